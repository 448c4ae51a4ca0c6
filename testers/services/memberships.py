"""Artists and memberships: profile edits and membership status changes. Nothing is ever deleted."""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from atelier import audit
from atelier.permissions import forget_roles
from testers.models import ArtistProfile, Membership

from . import DomainError

PROFILE_FIELDS = ("display_name", "legal_name", "country", "portfolio_url", "pronouns", "credit_line")
M = Membership.Status
TRANSITIONS = {
    M.INVITED: {M.ACTIVE, M.REMOVED},
    M.ACTIVE: {M.PAUSED, M.REMOVED},
    M.PAUSED: {M.ACTIVE, M.REMOVED},
    M.REMOVED: {M.ACTIVE},
}


@transaction.atomic
def update_profile(*, profile: ArtistProfile, by, **changes) -> ArtistProfile:
    profile = ArtistProfile.objects.select_for_update().get(pk=profile.pk)
    before, after = {}, {}
    for name, value in changes.items():
        if name not in PROFILE_FIELDS:
            raise ValueError(f"Profile field {name!r} cannot be changed here")
        if name == "country":
            value = (value or "").upper()
        if getattr(profile, name) != value:
            before[name], after[name] = getattr(profile, name), value
            setattr(profile, name, value)
    if after:
        profile.save(update_fields=list(after))
        audit.log(by, "testers.profile.updated", profile, before=before, after=after)
    return profile


@transaction.atomic
def set_membership_status(*, membership: Membership, status: str, by, note: str = "") -> Membership:
    """Activate, pause or remove. Removing keeps every record (feedback, time, acceptances, earnings)."""
    membership = Membership.objects.select_for_update().select_related("artist__user", "program").get(pk=membership.pk)
    if status == membership.status:
        raise DomainError(f"This membership is already {membership.get_status_display().lower()}.")
    if status not in TRANSITIONS[membership.status]:
        raise DomainError(f"A {membership.get_status_display().lower()} membership cannot become {M(status).label.lower()}.")
    before = membership.status
    membership.status = status
    membership.status_changed_at = timezone.now()
    membership.save(update_fields=["status", "status_changed_at"])
    audit.log(by, f"testers.membership.{status}", membership, before={"status": before}, after={"status": status},
              note=note)
    forget_roles(membership.artist.user)
    return membership


@transaction.atomic
def set_cohort(*, membership: Membership, cohort: str, by) -> Membership:
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    before = membership.cohort
    membership.cohort = cohort.strip()
    membership.save(update_fields=["cohort"])
    audit.log(by, "testers.membership.cohort", membership, before={"cohort": before}, after={"cohort": membership.cohort})
    return membership
