"""The one place that answers "may this user do this action on this object".

`can(user, action, obj)` for a single object, `scope(queryset, user, action)` for lists, and
`get_object_for(user, action, queryset, **lookup)` for views: an object the user may not see is a
404, never a leak. Every view, admin action and task asks here.

A rule names the staff roles that may act on objects of their own program, whether the artist who
owns the object may act, and optionally a condition on the object (e.g. "not the run's creator").
Site admins (superusers) may do everything except what a condition forbids to everyone.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from django.db.models import Q, QuerySet
from django.http import Http404

MANAGER = "manager"
REVIEWER = "reviewer"
FINANCE = "finance"
ALL_STAFF = frozenset({MANAGER, REVIEWER, FINANCE})


@dataclass(frozen=True)
class Rule:
    staff: frozenset = frozenset()
    owner: bool = False  # the artist the object belongs to
    member: bool = False  # any artist with a (not removed) membership of the object's program
    condition: Callable | None = None  # (user, obj) -> bool, checked for everyone, admins included
    admin_only: bool = False


def _not_creator(user, obj):
    return getattr(obj, "created_by_id", None) != user.pk


def _not_own_decision(user, obj):
    # obj is an Appeal; the reviewer who refused may not decide the appeal.
    refused_by_id = getattr(obj, "refused_by_id", None)
    return refused_by_id is None or refused_by_id != user.pk


RULES: dict[str, Rule] = {
    # Programs and people
    "program.create": Rule(admin_only=True),
    "program.view_staff": Rule(staff=ALL_STAFF),
    "program.view": Rule(staff=ALL_STAFF, member=True),
    "program.manage": Rule(staff=frozenset({MANAGER})),
    "dashboard.view": Rule(staff=frozenset({MANAGER})),
    "audit.view": Rule(staff=frozenset({MANAGER})),
    "membership.view": Rule(staff=frozenset({MANAGER, FINANCE}), owner=True),
    "membership.manage": Rule(staff=frozenset({MANAGER})),
    "invitation.manage": Rule(staff=frozenset({MANAGER})),
    "profile.view": Rule(staff=frozenset({MANAGER, FINANCE}), owner=True),
    "profile.edit": Rule(owner=True),
    # Terms
    "terms.view": Rule(staff=ALL_STAFF, member=True),
    "terms.manage": Rule(staff=frozenset({MANAGER})),
    "terms.accept": Rule(owner=True),
    # Feedback and testing time
    "feedback.create": Rule(owner=True),
    "feedback.view": Rule(staff=frozenset({MANAGER, FINANCE}), owner=True),
    "feedback.comment": Rule(staff=frozenset({MANAGER}), owner=True),
    "feedback.triage": Rule(staff=frozenset({MANAGER})),
    "timelog.create": Rule(owner=True),
    "timelog.view": Rule(staff=frozenset({MANAGER, FINANCE}), owner=True),
    "timelog.approve": Rule(staff=frozenset({MANAGER})),
    # Content review
    "share_request.create": Rule(owner=True),
    "share_request.view": Rule(staff=frozenset({MANAGER, REVIEWER}), owner=True),
    "share_request.edit": Rule(owner=True),
    "share_request.decide": Rule(staff=frozenset({MANAGER, REVIEWER})),
    "share_request.appeal": Rule(owner=True),
    "appeal.decide": Rule(staff=frozenset({MANAGER, REVIEWER}), condition=_not_own_decision),
    "showcase.manage": Rule(staff=frozenset({MANAGER}), owner=True),
    "review_report.view": Rule(staff=ALL_STAFF, member=True),
    "review_report.view_by_reviewer": Rule(staff=frozenset({MANAGER, REVIEWER})),
    # Payments
    "ratecard.view": Rule(staff=ALL_STAFF, member=True),
    "ratecard.manage": Rule(staff=frozenset({MANAGER})),
    "ledger.view": Rule(staff=frozenset({MANAGER, FINANCE}), owner=True),
    "ledger.adjust": Rule(staff=frozenset({MANAGER, FINANCE})),
    "payout_account.manage": Rule(owner=True),
    "payout_run.view": Rule(staff=frozenset({MANAGER, FINANCE})),
    "payout_run.create": Rule(staff=frozenset({FINANCE})),
    "payout_run.approve": Rule(staff=frozenset({FINANCE}), condition=_not_creator),
    "payout.manage": Rule(staff=frozenset({FINANCE})),
    "reconciliation.view": Rule(staff=frozenset({FINANCE, MANAGER})),
    "reports.view": Rule(staff=frozenset({FINANCE, MANAGER})),
    "statement.view": Rule(staff=frozenset({FINANCE, MANAGER}), owner=True),
    "fair_pay.view": Rule(staff=frozenset({MANAGER, FINANCE})),
}


# --- who holds which role ----------------------------------------------------------------------

def staff_roles(user) -> dict[int, set[str]]:
    """{program_id: {roles}} for a user, loaded once per user object (one query)."""
    if not getattr(user, "is_authenticated", False):
        return {}
    cached = getattr(user, "_atelier_staff_roles", None)
    if cached is None:
        from testers.models import StaffRole

        cached = {}
        for program_id, role in StaffRole.objects.filter(user=user).values_list("program_id", "role"):
            cached.setdefault(program_id, set()).add(role)
        user._atelier_staff_roles = cached
    return cached


def member_program_ids(user) -> set[int]:
    """Programs in which the user is an artist whose membership was not removed (one query, cached)."""
    if not getattr(user, "is_authenticated", False):
        return set()
    cached = getattr(user, "_atelier_member_programs", None)
    if cached is None:
        from testers.models import Membership

        cached = set(
            Membership.objects.filter(artist__user=user)
            .exclude(status=Membership.Status.REMOVED)
            .values_list("program_id", flat=True)
        )
        user._atelier_member_programs = cached
    return cached


def forget_roles(user) -> None:
    for attr in ("_atelier_staff_roles", "_atelier_member_programs"):
        if hasattr(user, attr):
            delattr(user, attr)


def is_site_admin(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.is_superuser)


def is_staff_member(user) -> bool:
    """Holds any staff role anywhere (or is a site admin): must use TOTP."""
    return is_site_admin(user) or bool(staff_roles(user)) or bool(getattr(user, "is_staff", False))


def programs_with_roles(user, roles) -> set[int]:
    return {pid for pid, held in staff_roles(user).items() if held & set(roles)}


def has_role(user, program, *roles) -> bool:
    program_id = getattr(program, "pk", program)
    return bool(staff_roles(user).get(program_id, set()) & set(roles))


# --- resolving an object's program and owner -----------------------------------------------------

def program_id_of(obj) -> int | None:
    from testers.models import Program

    if obj is None:
        return None
    if isinstance(obj, Program):
        return obj.pk
    if getattr(obj, "program_id", None) is not None:
        return obj.program_id
    for path in ("membership", "share_request", "feedback", "run", "payout", "appeal", "decision"):
        related = getattr(obj, path, None)
        if related is not None and related is not obj:
            return program_id_of(related)
    return None


def owner_user_id_of(obj) -> int | None:
    from testers.models import ArtistProfile, Membership

    if obj is None:
        return None
    if isinstance(obj, ArtistProfile):
        return obj.user_id
    if isinstance(obj, Membership):
        return obj.artist.user_id
    for path in ("membership", "artist", "share_request", "feedback", "payout", "appeal"):
        related = getattr(obj, path, None)
        if related is not None and related is not obj:
            return owner_user_id_of(related)
    return None


# --- the questions ------------------------------------------------------------------------------

def can(user, action: str, obj=None) -> bool:
    """May `user` do `action` on `obj` (or, with obj=None, on anything of some program)?"""
    rule = RULES.get(action)
    if rule is None:
        raise KeyError(f"Unknown permission action {action!r}")
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if obj is not None and rule.condition is not None and not rule.condition(user, obj):
        return False
    if is_site_admin(user):
        return True
    if rule.admin_only:
        return False
    if obj is None:
        return bool(programs_with_roles(user, rule.staff)) or (rule.owner or rule.member) and bool(
            member_program_ids(user)
        )
    program_id = program_id_of(obj)
    if program_id is not None and staff_roles(user).get(program_id, set()) & rule.staff:
        return True
    if rule.owner and owner_user_id_of(obj) == user.pk:
        return True
    if rule.member and program_id in member_program_ids(user):
        return True
    return False


def require(user, action: str, obj=None) -> None:
    """Raise PermissionDenied (403) unless `can`; for objects reached by URL prefer get_object_for (404)."""
    from django.core.exceptions import PermissionDenied

    if not can(user, action, obj):
        raise PermissionDenied(f"You may not do this ({action}).")


def scope(queryset: QuerySet, user, action: str, *, program_path: str = "program",
          owner_path: str | None = None) -> QuerySet:
    """Only the rows of `queryset` on which `user` may do `action`.

    `program_path` leads from a row to its program (e.g. "membership__program"), `owner_path` to the
    owning user (e.g. "membership__artist__user").
    """
    rule = RULES[action]
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return queryset.none()
    if is_site_admin(user):
        return queryset
    if rule.admin_only:
        return queryset.none()
    allowed = Q(**{f"{program_path}__in": programs_with_roles(user, rule.staff)}) if rule.staff else Q(pk__in=[])
    if rule.owner and owner_path:
        allowed |= Q(**{owner_path: user})
    if rule.member:
        allowed |= Q(**{f"{program_path}__in": member_program_ids(user)})
    return queryset.filter(allowed)


def get_object_for(user, action: str, queryset: QuerySet, *, program_path: str = "program",
                   owner_path: str | None = None, **lookup):
    """Fetch one object through `scope`, then check `can` (conditions included). Anything else is a 404."""
    scoped = scope(queryset, user, action, program_path=program_path, owner_path=owner_path)
    try:
        obj = scoped.get(**lookup)
    except (scoped.model.DoesNotExist, ValueError):
        raise Http404("Not found.")
    if not can(user, action, obj):
        raise Http404("Not found.")
    return obj


def get_program_for(user, action: str, slug: str):
    """The program with this slug, if `user` may do `action` in it; a 404 otherwise."""
    from testers.models import Program

    return get_object_for(user, action, Program.objects.all(), program_path="pk", slug=slug)
