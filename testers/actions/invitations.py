"""Invitations: invite, import a CSV, resend, revoke, and accept (bound to the invited address)."""
from __future__ import annotations

from datetime import timedelta

from django.db.models.functions import Lower
from django.utils import timezone

from atelier import audit
from atelier.errors import ActionRefused, Refusal
from atelier.permissions import forget_roles
from testers.models import ArtistProfile, Invitation, Membership, new_invitation_token

from .base import clean_text, TestersAction

INVITATION_VALID_FOR = timedelta(days=14)


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def problem_with(program, email: str) -> str | None:
    """Why `email` cannot be invited to `program` now, or None."""
    if Membership.objects.filter(program=program, artist__user__email__iexact=email).exclude(
        status=Membership.Status.REMOVED
    ).exists():
        return f"{email} is already a member of {program.name}."
    if Invitation.objects.filter(program=program, email__iexact=email, status=Invitation.Status.PENDING).exists():
        return f"{email} already has a pending invitation; resend it instead."
    return None


def problems_with_many(program, emails) -> dict[str, str]:
    """problem_with() for many normalised addresses at once, in two queries: {email: why not} for those refused."""
    emails = list(emails)
    problems = {}
    members = (Membership.objects.filter(program=program).exclude(status=Membership.Status.REMOVED)
               .annotate(address=Lower("artist__user__email")).filter(address__in=emails)
               .values_list("address", flat=True))
    for email in members:
        problems[email] = f"{email} is already a member of {program.name}."
    pending = (Invitation.objects.filter(program=program, status=Invitation.Status.PENDING)
               .annotate(address=Lower("email")).filter(address__in=emails).values_list("address", flat=True))
    for email in pending:
        problems.setdefault(email, f"{email} already has a pending invitation; resend it instead.")
    return problems


def unusable_reason(invitation: Invitation | None) -> str:
    if invitation is None:
        return "This invitation link is not valid. Check that you copied the whole link."
    if invitation.status == Invitation.Status.ACCEPTED:
        return "This invitation has already been used. Sign in with the account that accepted it."
    if invitation.status == Invitation.Status.REVOKED:
        return "This invitation was withdrawn by the program. Ask the program manager for a new one."
    return "This invitation has expired. Ask the program manager to send it again."


def holds_address(user, email: str) -> bool:
    """Is `email` the user's own address (their sign-in address or another verified one)?"""
    from allauth.account.models import EmailAddress

    email = normalise_email(email)
    if normalise_email(getattr(user, "email", "")) == email:
        return True
    return EmailAddress.objects.filter(user=user, email__iexact=email, verified=True).exists()


def address_mismatch(user, invitation: Invitation) -> str:
    return (f"This invitation was sent to {invitation.email}, and you are signed in as {user.email}. "
            f"Only {invitation.email} can use it: sign out, then follow the link again and sign up or sign in "
            f"with that address.")


def _send(invitation_id: int) -> None:
    from testers.tasks import send_invitation_email  # the task runs this module's services: import it when called

    send_invitation_email.delay(invitation_id)  # transaction-aware: sent once the invitation is committed


class CreateInvitation(TestersAction):
    """Invite one person by e-mail. Params: program, email, name, cohort."""

    name = "testers.invitation.created"
    label = "invited an artist"
    permission = "invitation.manage"


    def refusal(self, obj):
        email = normalise_email(self.params.get("email"))
        if not email:
            return "Give the person's e-mail address."
        return problem_with(self.params["program"], email)

    def apply(self, obj):
        program = self.params["program"]
        invitation = Invitation.objects.create(
            program=program, email=normalise_email(self.params["email"]), name=clean_text(self.params.get("name")),
            cohort=clean_text(self.params.get("cohort")), expires_at=timezone.now() + INVITATION_VALID_FOR,
            invited_by=self.actor, sent_count=1, last_sent_at=timezone.now(),
        )
        self.after = {"email": invitation.email, "cohort": invitation.cohort}
        _send(invitation.pk)
        return invitation

    def audit_program(self, obj, result):
        return self.params["program"]


class ImportInvitations(TestersAction):
    """Invite every row of a checked CSV (all or nothing). Params: program, rows (from parse_invitation_csv)."""

    name = "testers.invitation.imported"
    label = "imported invitations"
    permission = "invitation.manage"


    def refusal(self, obj):
        if not self.params.get("rows"):
            return "The file has no rows to import."
        return None

    def apply(self, obj):
        # In bulk: a bounded number of queries whatever the number of rows (up to the file's row limit): one check
        # of every address, one INSERT of the invitations, one of their audit entries ("created", as one by one).
        program = self.params["program"]
        rows = self.params["rows"]
        problems = problems_with_many(program, [normalise_email(row["email"]) for row in rows])
        if problems:
            raise ActionRefused(Refusal(next(iter(problems.values())), "rule"))
        now = timezone.now()
        invitations = Invitation.objects.bulk_create([
            Invitation(program=program, email=normalise_email(row["email"]), name=clean_text(row.get("name")),
                       cohort=clean_text(row.get("cohort")), expires_at=now + INVITATION_VALID_FOR,
                       invited_by=self.actor, sent_count=1, last_sent_at=now)
            for row in rows
        ])
        audit.log_many(self.actor, CreateInvitation.name, invitations, program=program,
                       after=lambda invitation: {"email": invitation.email, "cohort": invitation.cohort})
        for invitation in invitations:
            _send(invitation.pk)
        self.audit_data["count"] = len(invitations)
        return invitations

    def audit_target(self, obj, result):
        return None

    def audit_program(self, obj, result):
        return self.params["program"]


class ResendInvitation(TestersAction):
    """Send a pending (or expired) invitation again with a fresh link; the old link stops working."""

    name = "testers.invitation.resent"
    label = "resent invitation"
    model = Invitation
    transition = "resend"
    permission = "invitation.manage"

    def state_refusal(self, invitation, status):
        return f"This invitation was {invitation.get_status_display().lower()}; it cannot be resent."

    def apply(self, invitation):
        self.change(invitation, token=new_invitation_token(), expires_at=timezone.now() + INVITATION_VALID_FOR,
                    sent_count=invitation.sent_count + 1, last_sent_at=timezone.now())
        self.after.pop("token", None)
        self.before.pop("token", None)
        self.audit_data["sent_count"] = invitation.sent_count
        _send(invitation.pk)


class RevokeInvitation(TestersAction):
    name = "testers.invitation.revoked"
    label = "revoked invitation"
    model = Invitation
    transition = "revoke"
    permission = "invitation.manage"

    def state_refusal(self, invitation, status):
        return f"This invitation was already {invitation.get_status_display().lower()}."

    def apply(self, invitation):
        pass


class AcceptInvitation(TestersAction):
    """The invited person joins the program (their artist profile is made if needed). Only the invited address
    may: anyone else signed in (another artist, a staff member who followed a posted link) is refused."""

    name = "testers.invitation.accepted"
    label = "accepted invitation"
    model = Invitation
    transition = "accept"
    permission = "invitation.accept"
    select_related = ("program",)

    def permission_target(self, invitation):
        # A person accepts an invitation for themself: the rule is asked about their own (maybe not yet saved)
        # artist profile. Which invitation they may accept is this action's rule: the one sent to their address.
        if not getattr(self.actor, "is_authenticated", False):
            return None
        return getattr(self.actor, "artist_profile", None) or ArtistProfile(user=self.actor)

    def state_refusal(self, invitation, status):
        return unusable_reason(invitation)

    def refusal(self, invitation):
        if invitation.is_expired:
            return unusable_reason(invitation)
        if not holds_address(self.actor, invitation.email):
            return address_mismatch(self.actor, invitation)
        return None

    def apply(self, invitation):
        user = self.actor
        profile, _ = ArtistProfile.objects.get_or_create(
            user=user,
            defaults={"display_name": invitation.name or user.get_full_name() or user.email.split("@")[0]},
        )
        membership, created = Membership.objects.get_or_create(
            program=invitation.program, artist=profile,
            defaults={"status": Membership.Status.ACTIVE, "cohort": invitation.cohort},
        )
        if not created:
            membership = Membership.objects.select_for_update(of=("self",)).get(pk=membership.pk)
            # Accepting an invitation is how an invited or removed artist (re)joins: the move is the membership
            # table's, recorded in this action's audit entry.
            verb = {Membership.Status.INVITED: "activate", Membership.Status.REMOVED: "reactivate"}.get(
                membership.status)
            if verb is not None:
                table = Membership.TRANSITIONS
                before = membership.status
                membership.status = table.target(verb, before)
                membership.status_changed_at = timezone.now()
                membership.save(update_fields=["status", "status_changed_at"])
                self.audit_data["membership_status"] = {"before": before, "after": membership.status}
        self.change(invitation, accepted_by_id=user.pk, accepted_at=timezone.now())
        self.audit_data["membership_id"] = membership.pk
        self.membership = membership
        forget_roles(user)


__all__ = [
    "AcceptInvitation", "CreateInvitation", "INVITATION_VALID_FOR", "ImportInvitations", "ResendInvitation",
    "RevokeInvitation", "address_mismatch", "holds_address", "normalise_email", "problem_with", "unusable_reason",
]
