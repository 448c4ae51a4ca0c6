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

from django.apps import apps
from django.db.models import Q, QuerySet
from django.http import Http404

from . import person_cache
from .errors import Refusal, TwoFactorRequired

# Programs, staff roles, memberships and artists live in testers, a layer above this kernel: the kernel names
# them by model label and looks them up at run time (like AUTH_USER_MODEL), never by import.
PROGRAM_MODEL = "testers.Program"
STAFF_ROLE_MODEL = "testers.StaffRole"
MEMBERSHIP_MODEL = "testers.Membership"
ARTIST_MODEL = "testers.ArtistProfile"
USER_MODEL = "atelier.User"


def is_model(obj, label: str) -> bool:
    return getattr(getattr(obj, "_meta", None), "label", None) == label


MANAGER = "manager"
REVIEWER = "reviewer"
FINANCE = "finance"
ALL_STAFF = frozenset({MANAGER, REVIEWER, FINANCE})


@dataclass(frozen=True)
class Condition:
    """A rule on the object itself, checked for everyone who passed the role test, site admins included."""

    name: str
    test: Callable  # (user, obj) -> bool
    reason: str
    kind: str = "permission"


@dataclass(frozen=True)
class Rule:
    staff: frozenset = frozenset()
    owner: bool = False  # the artist the object belongs to
    member: bool = False  # any artist with a (not removed) membership of the object's program
    conditions: tuple = ()  # Conditions on the object
    admin_only: bool = False
    # Artists (owner or member) may use the rule only while their membership is active. Paused and removed
    # artists keep every rule without it: reading, withdrawing their own pending items, their payout account.
    active: bool = False


def _not_creator(user, obj):
    return getattr(obj, "created_by_id", None) != user.pk


def _not_own_decision(user, obj):
    # obj is an Appeal; the reviewer who refused may not decide the appeal.
    refused_by_id = getattr(obj, "refused_by_id", None)
    return refused_by_id is None or refused_by_id != user.pk


def _appeal_assignee(user, obj):
    # obj is an Appeal: the reviewer it was given to decides it, or a manager of the program.
    assigned_to_id = getattr(obj, "assigned_to_id", None)
    return (assigned_to_id is None or assigned_to_id == user.pk or is_site_admin(user)
            or has_role(user, program_id_of(obj), MANAGER))


def _escalated_needs_manager(user, obj):
    escalated = getattr(getattr(type(obj), "Status", None), "ESCALATED", None)  # a share request's own status
    return (escalated is None or getattr(obj, "status", None) != escalated or is_site_admin(user)
            or has_role(user, program_id_of(obj), MANAGER))


def _not_own_request(user, obj):
    return owner_user_id_of(obj) != user.pk


NOT_CREATOR = Condition("not the creator", _not_creator, "You created this run: another finance user approves it.")
NOT_OWN_DECISION = Condition("not the refusing reviewer", _not_own_decision,
                             "You refused this request, so another reviewer decides its appeal.")
APPEAL_ASSIGNEE = Condition("assignee or manager", _appeal_assignee, "This appeal was given to another reviewer.")
ESCALATED_MANAGER = Condition(
    "escalated ⇒ manager", _escalated_needs_manager,
    "This request passed its deadline and was escalated: the program manager decides it.", kind="state",
)
NOT_OWN_REQUEST = Condition("not your own request", _not_own_request, "You cannot decide your own share request.")


RULES: dict[str, Rule] = {
    # Programs and people
    "program.create": Rule(admin_only=True),
    # A program's team (invite, change a role, revoke; the team page): its managers, and site admins.
    "staff_role.manage": Rule(staff=frozenset({MANAGER})),
    "program.view_staff": Rule(staff=ALL_STAFF),
    "program.manage": Rule(staff=frozenset({MANAGER})),
    "dashboard.view": Rule(staff=frozenset({MANAGER})),
    "audit.view": Rule(staff=frozenset({MANAGER})),
    "membership.view": Rule(staff=frozenset({MANAGER, FINANCE}), owner=True),
    "membership.manage": Rule(staff=frozenset({MANAGER})),
    "invitation.manage": Rule(staff=frozenset({MANAGER})),
    "invitation.accept": Rule(owner=True),  # for oneself; the action binds it to the invited address
    "profile.view": Rule(staff=frozenset({MANAGER, FINANCE}), owner=True),
    "profile.edit": Rule(owner=True),
    # Terms
    "terms.view": Rule(staff=ALL_STAFF, member=True),
    "terms.manage": Rule(staff=frozenset({MANAGER})),
    "terms.accept": Rule(owner=True, active=True),
    "milestone.manage": Rule(staff=frozenset({MANAGER})),  # create and announce a program's milestones
    # Feedback and testing time
    "feedback.create": Rule(owner=True, active=True),
    "feedback.view": Rule(staff=frozenset({MANAGER, FINANCE}), owner=True),
    "feedback.comment": Rule(staff=frozenset({MANAGER}), owner=True, active=True),
    "feedback.triage": Rule(staff=frozenset({MANAGER})),
    "timelog.create": Rule(owner=True, active=True),
    "timelog.view": Rule(staff=frozenset({MANAGER, FINANCE}), owner=True),
    "timelog.approve": Rule(staff=frozenset({MANAGER})),
    "timelog.withdraw": Rule(owner=True),
    "timelog.correct": Rule(admin_only=True),
    # Content review
    "share_request.create": Rule(owner=True, active=True),
    "share_request.view": Rule(staff=frozenset({MANAGER, REVIEWER}), owner=True),
    "share_request.edit": Rule(owner=True, active=True),
    "share_request.withdraw": Rule(owner=True),
    "share_request.decide": Rule(staff=frozenset({MANAGER, REVIEWER}), conditions=(NOT_OWN_REQUEST, ESCALATED_MANAGER)),
    "share_request.appeal": Rule(owner=True, active=True),
    "appeal.decide": Rule(staff=frozenset({MANAGER, REVIEWER}),
                          conditions=(NOT_OWN_REQUEST, NOT_OWN_DECISION, APPEAL_ASSIGNEE)),
    "work.retry": Rule(staff=frozenset({MANAGER, REVIEWER}), owner=True, active=True),
    "showcase.consent": Rule(owner=True, active=True),
    "showcase.withdraw": Rule(owner=True),  # the artist's own consent; a manager removes with a reason (below)
    "showcase.remove": Rule(staff=frozenset({MANAGER})),
    "review_report.view": Rule(staff=ALL_STAFF, member=True),
    "review_report.view_by_reviewer": Rule(staff=frozenset({MANAGER, REVIEWER})),
    # Payments
    "ratecard.view": Rule(staff=ALL_STAFF, member=True),
    "ratecard.manage": Rule(staff=frozenset({MANAGER})),
    "ledger.view": Rule(staff=frozenset({MANAGER, FINANCE}), owner=True),
    "ledger.adjust": Rule(staff=frozenset({MANAGER, FINANCE})),
    "payout_account.manage": Rule(owner=True),
    # A site admin re-fetches an account from Stripe (admin action); the artist's own refreshes run as the system.
    "payout_account.refresh": Rule(admin_only=True),
    "payout_run.view": Rule(staff=frozenset({MANAGER, FINANCE})),
    "payout_run.create": Rule(staff=frozenset({FINANCE})),
    "payout_run.approve": Rule(staff=frozenset({FINANCE}), conditions=(NOT_CREATOR,)),
    "payout.manage": Rule(staff=frozenset({FINANCE})),
    "reconciliation.view": Rule(staff=frozenset({FINANCE, MANAGER})),
    "reconciliation.resolve": Rule(staff=frozenset({FINANCE})),
    "reports.view": Rule(staff=frozenset({FINANCE, MANAGER})),
    "statement.view": Rule(staff=frozenset({FINANCE, MANAGER}), owner=True),
    "fair_pay.view": Rule(staff=frozenset({MANAGER, FINANCE})),
    # Notifications: a person's own (its recipient), whatever their roles; their own settings.
    "notification.own": Rule(owner=True),
    # One's own account settings (the time zone).
    "account.edit": Rule(owner=True),
    # Personal access tokens of the REST API: an artist's own, per membership (staff tokens do not exist). Made
    # only while active; revoked whatever the membership's status.
    "api_token.create": Rule(owner=True, active=True),
    "api_token.revoke": Rule(owner=True),
}


# --- who holds which role ----------------------------------------------------------------------

def access(user) -> dict:
    """What the person may reach, as every page asks it: {"roles": {program_id: {roles}}, "memberships":
    {program_id: status} (removed included), "totp": bool (staff only)}. Loaded once per user object, from the
    shared cache (atelier.person_cache, cleared whenever the user, a staff role, a membership or an authenticator
    of the person changes) or, on a miss, with two queries (three for staff)."""
    loaded = getattr(user, "_atelier_access", None)
    if loaded is None:
        if user.pk is None:  # not saved yet: holds nothing, and has no key of its own
            return {"roles": {}, "memberships": {}, "totp": False}
        key = person_cache.access_key(user.pk)
        loaded = person_cache.get(key)
        if loaded is None:
            loaded = _access_from_database(user)
            person_cache.fill(key, loaded)
        user._atelier_access = loaded
    return loaded


def _access_from_database(user) -> dict:
    from allauth.mfa.models import Authenticator  # allauth's models are not loaded when the kernel is imported

    roles: dict[int, set[str]] = {}
    for program_id, role in (apps.get_model(STAFF_ROLE_MODEL).objects.filter(user_id=user.pk).order_by()
                             .values_list("program_id", "role")):
        roles.setdefault(program_id, set()).add(role)
    memberships = dict(apps.get_model(MEMBERSHIP_MODEL).objects.filter(artist__user_id=user.pk).order_by()
                       .values_list("program_id", "status"))
    # Only staff are ever asked for TOTP (is_staff_member): an artist's page spends no query on it.
    staff = bool(roles) or getattr(user, "is_staff", False) or getattr(user, "is_superuser", False)
    totp = staff and Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.TOTP).exists()
    return {"roles": roles, "memberships": memberships, "totp": totp}


def staff_roles(user) -> dict[int, set[str]]:
    """{program_id: {roles}} for a user."""
    if not getattr(user, "is_authenticated", False):
        return {}
    return access(user)["roles"]


def member_program_ids(user) -> set[int]:
    """Programs in which the user is an artist whose membership was not removed."""
    if not getattr(user, "is_authenticated", False):
        return set()
    return {program_id for program_id, status in access(user)["memberships"].items() if status != "removed"}


def forget_roles(user) -> None:
    """After an action changed the person's roles or memberships: this user object asks again (the shared cache
    is cleared by the change itself, see atelier.person_cache)."""
    if hasattr(user, "_atelier_access"):
        delattr(user, "_atelier_access")


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
    if obj is None:
        return None
    if is_model(obj, PROGRAM_MODEL):
        return obj.pk
    if getattr(obj, "program_id", None) is not None:
        return obj.program_id
    for path in ("membership", "share_request", "feedback", "run", "payout", "appeal", "decision"):
        related = getattr(obj, path, None)
        if related is not None and related is not obj:
            return program_id_of(related)
    return None


def owner_user_id_of(obj) -> int | None:
    if obj is None:
        return None
    if getattr(obj, "recipient_id", None) is not None:  # a notification belongs to the person it tells
        return obj.recipient_id
    if is_model(obj, USER_MODEL):  # a person's own settings
        return obj.pk
    if is_model(obj, ARTIST_MODEL):
        return obj.user_id
    if is_model(obj, MEMBERSHIP_MODEL):
        return obj.artist.user_id
    for path in ("membership", "artist", "share_request", "feedback", "payout", "appeal"):
        related = getattr(obj, path, None)
        if related is not None and related is not obj:
            return owner_user_id_of(related)
    return None


def membership_statuses(user) -> dict[int, str]:
    """{program_id: membership status} of the user as an artist, removed included."""
    if not getattr(user, "is_authenticated", False):
        return {}
    return access(user)["memberships"]


def has_totp(user) -> bool:
    """Has the user set up an authenticator app?"""
    if not getattr(user, "is_authenticated", False):
        return False
    return access(user)["totp"]


PARTICIPATION_REASONS = {
    "paused": "Your participation in this program is paused: you can read your records, withdraw what is still "
              "pending and manage your payout account.",
    "removed": "You are no longer part of this program: you can read your records, withdraw what is still "
               "pending and manage your payout account.",
    "invited": "Your invitation to this program is not accepted yet.",
}
MFA_REASON = "Staff work needs two-factor authentication: set up an authenticator app first."


# --- the questions ------------------------------------------------------------------------------

def why_not(user, action: str, obj=None) -> Refusal | None:
    """Why `user` may not do `action` on `obj` (or, with obj=None, on anything of some program); None if they may.

    Staff reach an object through a role in its program and only with TOTP set up; artists through owning it
    (or membership of its program) and, for rules marked `active`, only while their membership is active.
    """
    rule = RULES.get(action)
    if rule is None:
        raise KeyError(f"Unknown permission action {action!r}")
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Refusal("Sign in first.", "permission")
    if obj is not None:
        for condition in rule.conditions:
            if not condition.test(user, obj):
                return Refusal(condition.reason, condition.kind)
    program_id = program_id_of(obj) if obj is not None else None
    # Site admins hold every staff rule, never an artist's own (consenting, appealing, withdrawing for them).
    admin_grants = is_site_admin(user) and (rule.admin_only or bool(rule.staff))
    if admin_grants or (not rule.admin_only and _staff_grants(user, rule, obj, program_id)):
        return None if has_totp(user) else Refusal(MFA_REASON, "mfa")
    if rule.admin_only:
        return Refusal("Only a site admin may do this.", "permission")
    status = _artist_status(user, rule, obj, program_id)
    if status is None:
        return Refusal("You may not do this.", "permission")
    if rule.active and status != "active":
        return Refusal(PARTICIPATION_REASONS.get(status, "Your membership is not active."), "participation")
    return None


def _staff_grants(user, rule: Rule, obj, program_id) -> bool:
    if not rule.staff:
        return False
    if obj is None:
        return bool(programs_with_roles(user, rule.staff))
    return program_id is not None and bool(staff_roles(user).get(program_id, set()) & rule.staff)


def _artist_status(user, rule: Rule, obj, program_id) -> str | None:
    """The user's membership status that gives them the rule as owner or member, or None."""
    statuses = membership_statuses(user)
    if obj is None:
        if not (rule.owner or rule.member):
            return None
        held = [s for s in statuses.values() if s != "removed" or rule.owner]
        if not held:
            return None
        return "active" if "active" in held else held[0]
    if rule.owner and owner_user_id_of(obj) == user.pk:
        return statuses.get(program_id, "active") if program_id is not None else "active"
    if rule.member and program_id is not None and statuses.get(program_id) not in (None, "removed"):
        return statuses[program_id]
    return None


def can(user, action: str, obj=None) -> bool:
    """May `user` do `action` on `obj` (or, with obj=None, on anything of some program)?"""
    return why_not(user, action, obj) is None


def require(user, action: str, obj=None) -> None:
    """Raise PermissionDenied (403) unless `can`; for objects reached by URL prefer get_object_for (404)."""
    from django.core.exceptions import PermissionDenied

    if not can(user, action, obj):
        raise PermissionDenied(f"You may not do this ({action}).")


def scope(queryset: QuerySet, user, action: str, *, program_path: str = "program",
          owner_path: str | None = None, mfa: bool = True) -> QuerySet:
    """Only the rows of `queryset` on which `user` may do `action`.

    `program_path` leads from a row to its program (e.g. "membership__program"), `owner_path` to the
    owning user (e.g. "membership__artist__user"). Staff rows need TOTP unless `mfa=False` (used by
    `get_object_for`, which then explains what is missing).
    """
    rule = RULES[action]
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return queryset.none()
    staff_ok = has_totp(user) or not mfa
    if is_site_admin(user) and (rule.admin_only or rule.staff):
        return queryset if staff_ok else queryset.none()
    if rule.admin_only:
        return queryset.none()
    allowed = Q(pk__in=[])
    if rule.staff and staff_ok:
        allowed |= Q(**{f"{program_path}__in": programs_with_roles(user, rule.staff)})
    if rule.owner and owner_path:
        allowed |= Q(**{owner_path: user})
    if rule.member:
        allowed |= Q(**{f"{program_path}__in": member_program_ids(user)})
    return queryset.filter(allowed)


def get_object_for(user, action: str, queryset: QuerySet, *, program_path: str = "program",
                   owner_path: str | None = None, **lookup):
    """Fetch one object through `scope`, then check `can` (conditions included). Anything else is a 404,
    except staff without TOTP, who are sent to set it up (TwoFactorRequired)."""
    scoped = scope(queryset, user, action, program_path=program_path, owner_path=owner_path, mfa=False)
    try:
        obj = scoped.get(**lookup)
    except (scoped.model.DoesNotExist, ValueError):
        raise Http404("Not found.")
    refusal = why_not(user, action, obj)
    if refusal is not None and refusal.kind == "mfa":
        raise TwoFactorRequired(str(refusal))
    if refusal is not None and refusal.kind == "permission":
        raise Http404("Not found.")
    return obj


def get_program_for(user, action: str, slug: str):
    """The program with this slug, if `user` may do `action` in it; a 404 otherwise."""
    return get_object_for(user, action, apps.get_model(PROGRAM_MODEL).objects.all(), program_path="pk", slug=slug)
