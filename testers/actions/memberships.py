"""Artists and memberships: profile edits, membership status (activate, pause, remove, reactivate), cohort.
Nothing is ever deleted: removing changes only the status."""
from __future__ import annotations

from django.utils import timezone

from atelier.permissions import forget_roles
from testers.models import ArtistProfile, Membership

from .base import TestersAction, clean_text

PROFILE_FIELDS = ("display_name", "legal_name", "country", "portfolio_url", "pronouns", "credit_line",
                  "changelog_credit")


class UpdateProfile(TestersAction):
    """An artist edits their own profile. Params: the fields to change."""

    name = "testers.profile.updated"
    label = "updated artist profile"
    model = ArtistProfile
    permission = "profile.edit"

    def apply(self, profile):
        unknown = set(self.params) - set(PROFILE_FIELDS)
        if unknown:
            raise ValueError(f"Profile fields {sorted(unknown)} cannot be changed here")
        values = dict(self.params)
        if "country" in values:
            values["country"] = (values["country"] or "").upper()
        self.change(profile, **values)


class _MembershipStatus(TestersAction):
    model = Membership
    permission = "membership.manage"
    select_related = ("artist__user", "program")

    def state_refusal(self, membership, status):
        target = Membership.TRANSITIONS[self.transition].target
        if target == status:
            return f"This membership is already {membership.get_status_display().lower()}."
        return (f"A {membership.get_status_display().lower()} membership cannot be "
                f"{self.past_participle}.")

    past_participle = "changed"

    def apply(self, membership):
        self.change(membership, status_changed_at=timezone.now())
        self.before.pop("status_changed_at", None)
        self.after.pop("status_changed_at", None)
        note = clean_text(self.params.get("note"))
        if note:
            self.audit_data["note"] = note
        self.on_commit(lambda: forget_roles(membership.artist.user))


class ActivateMembership(_MembershipStatus):
    """An invited or paused membership becomes active."""

    name = "testers.membership.active"
    label = "activated membership"
    transition = "activate"
    past_participle = "activated"


class PauseMembership(_MembershipStatus):
    name = "testers.membership.paused"
    label = "paused membership"
    transition = "pause"
    past_participle = "paused"


class RemoveMembership(_MembershipStatus):
    """The artist leaves the program; every record (feedback, time, acceptances, earnings) stays."""

    name = "testers.membership.removed"
    label = "removed membership"
    transition = "remove"
    past_participle = "removed"


class ReactivateMembership(_MembershipStatus):
    """A removed artist comes back."""

    name = "testers.membership.reactivated"
    label = "reactivated membership"
    transition = "reactivate"
    past_participle = "reactivated"


def status_action(membership: Membership, status: str) -> type[_MembershipStatus]:
    """The action that moves `membership` to `status` (a removed artist made active is reactivated)."""
    if status == Membership.Status.ACTIVE:
        return ReactivateMembership if membership.status == Membership.Status.REMOVED else ActivateMembership
    if status == Membership.Status.PAUSED:
        return PauseMembership
    if status == Membership.Status.REMOVED:
        return RemoveMembership
    raise ValueError(f"No action moves a membership to {status!r}")


class SetCohort(TestersAction):
    """Params: cohort."""

    name = "testers.membership.cohort"
    label = "changed cohort of membership"
    model = Membership
    permission = "membership.manage"

    def apply(self, membership):
        self.change(membership, cohort=clean_text(self.params.get("cohort")))


__all__ = ["ActivateMembership", "PROFILE_FIELDS", "PauseMembership", "ReactivateMembership", "RemoveMembership",
           "SetCohort", "UpdateProfile", "status_action"]
