"""Artists and memberships, as keyword-only functions: each runs one action of `testers.actions.memberships`."""
from __future__ import annotations

from testers.actions import memberships as actions
from testers.actions.memberships import PROFILE_FIELDS  # noqa: F401
from testers.models import ArtistProfile, Membership


def update_profile(*, profile: ArtistProfile, by, **changes) -> ArtistProfile:
    return actions.UpdateProfile(by, profile, **changes).run()


def set_membership_status(*, membership: Membership, status: str, by, note: str = "") -> Membership:
    """Activate, pause, remove or reactivate. Removing keeps every record (feedback, time, acceptances, earnings)."""
    return actions.status_action(membership, status)(by, membership, note=note).run()


def set_cohort(*, membership: Membership, cohort: str, by) -> Membership:
    return actions.SetCohort(by, membership, cohort=cohort).run()
