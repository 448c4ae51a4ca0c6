"""Reads about programs, terms and memberships that several apps share."""
from __future__ import annotations

from atelier.errors import DomainError
from testers.models import Membership, TermsAcceptance, TermsVersion


def current_terms(program) -> TermsVersion | None:
    """The newest published terms version of a program (the one artists must have accepted)."""
    return (
        TermsVersion.objects.filter(program=program, status=TermsVersion.Status.PUBLISHED)
        .order_by("-number")
        .first()
    )


def latest_acceptance(membership) -> TermsAcceptance | None:
    return (
        TermsAcceptance.objects.filter(membership=membership)
        .select_related("terms_version")
        .order_by("-terms_version__number")
        .first()
    )


def accepted_version(membership) -> TermsVersion | None:
    """The newest terms version this artist accepted (what their share requests are judged by)."""
    acceptance = latest_acceptance(membership)
    return acceptance.terms_version if acceptance else None


def has_accepted_current(membership) -> bool:
    current = current_terms(membership.program)
    if current is None:
        return True  # nothing to accept yet
    return TermsAcceptance.objects.filter(membership=membership, terms_version=current).exists()


def require_participation(membership: Membership) -> None:
    """Raise DomainError unless the artist may use the program now (send feedback, log time, ask to share)."""
    if membership.status == Membership.Status.PAUSED:
        raise DomainError("Your membership of this program is paused, so you cannot do this now.")
    if membership.status != Membership.Status.ACTIVE:
        raise DomainError("You are no longer an active member of this program.")
    if not has_accepted_current(membership):
        raise DomainError("Please accept the program's current terms first.")
