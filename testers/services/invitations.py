"""Invitations: the only way into Atelier for an artist."""
from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from atelier import audit
from atelier.permissions import forget_roles
from testers.models import ArtistProfile, Invitation, Membership

from . import DomainError

INVITATION_VALID_FOR = timedelta(days=14)


class InvitationUnusable(DomainError):
    def __init__(self, invitation: Invitation | None):
        self.invitation = invitation
        if invitation is None:
            reason = "This invitation link is not valid. Check that you copied the whole link."
        elif invitation.status == Invitation.Status.ACCEPTED:
            reason = "This invitation has already been used. Sign in with the account that accepted it."
        elif invitation.status == Invitation.Status.REVOKED:
            reason = "This invitation was withdrawn by the program. Ask the program manager for a new one."
        else:
            reason = "This invitation has expired. Ask the program manager to send it again."
        super().__init__(reason)


def find_invitation(token: str | None) -> Invitation | None:
    if not token:
        return None
    return Invitation.objects.select_related("program").filter(token=token).first()


def find_usable_invitation(token: str | None) -> Invitation | None:
    invitation = find_invitation(token)
    return invitation if invitation is not None and invitation.is_usable else None


def check_usable(token: str | None) -> Invitation:
    invitation = find_invitation(token)
    if invitation is None or not invitation.is_usable:
        raise InvitationUnusable(invitation)
    return invitation


@transaction.atomic
def accept_invitation(*, token: str, user) -> Membership:
    """Join `user` to the invitation's program (creating their artist profile), once and only once."""
    invitation = Invitation.objects.select_for_update().select_related("program").filter(token=token).first()
    if invitation is None or not invitation.is_usable:
        raise InvitationUnusable(invitation)
    profile, _ = ArtistProfile.objects.get_or_create(
        user=user,
        defaults={"display_name": invitation.name or user.get_full_name() or user.email.split("@")[0]},
    )
    membership, created = Membership.objects.get_or_create(
        program=invitation.program,
        artist=profile,
        defaults={"status": Membership.Status.ACTIVE, "cohort": invitation.cohort},
    )
    if not created and membership.status in (Membership.Status.INVITED, Membership.Status.REMOVED):
        before = membership.status
        membership.status = Membership.Status.ACTIVE
        membership.status_changed_at = timezone.now()
        membership.save(update_fields=["status", "status_changed_at"])
        audit.log(user, "testers.membership.reactivated", membership, before={"status": before},
                  after={"status": membership.status})
    invitation.status = Invitation.Status.ACCEPTED
    invitation.accepted_by = user
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["status", "accepted_by", "accepted_at"])
    audit.log(user, "testers.invitation.accepted", invitation, program=invitation.program,
              membership_id=membership.pk)
    forget_roles(user)
    return membership
