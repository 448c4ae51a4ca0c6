"""The harness behind every app's `test_action_walk.py`: for each action with a transition, for each status of
its model's table, put a target in that status and check that `check()` and `run()` agree.

An app describes each action once:

    CASES = {
        "payments.payout_run.approve": ActionCase(
            make=lambda status: PayoutRunFactory(status=status),   # a target in `status`
            actor=lambda target: another_finance_user(target),     # someone the permission table lets act
            params=lambda target: {},                              # valid parameters for a successful run
        ),
    }

and its test module ends with `test_check_and_run_agree = walk(CASES)`. The walk asserts:
- `check()` is None exactly when the table allows the verb in that status (and then `run()` succeeds and
  leaves the table's target status);
- otherwise `run()` raises ActionRefused with the same reason `check()` gave, and the row is unchanged.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import pytest

from atelier import actions, figure_cache, page_cache
from atelier.errors import ActionRefused
from atelier.models import AuditLogEntry


@dataclass
class ActionCase:
    make: Callable  # (status) -> target
    actor: Callable  # (target) -> user or actions.SYSTEM
    params: Callable = field(default=lambda target: {})
    statuses: tuple | None = None  # limit the walk (e.g. statuses a factory cannot build); default: all


def walk(cases: dict[str, ActionCase]):
    pairs = []
    for name, case in cases.items():
        action = actions.get(name)
        table = action.transitions()
        assert table is not None, f"{name} has no transition: walk only actions that move a status"
        for status in case.statuses or table.statuses():
            pairs.append(pytest.param(name, status, id=f"{name}[{status}]"))

    @pytest.mark.django_db
    @pytest.mark.parametrize("name,status", pairs)
    def test_check_and_run_agree(name, status, django_capture_on_commit_callbacks):
        case = cases[name]
        action_cls = actions.get(name)
        table = action_cls.transitions()
        target = case.make(status)
        assert getattr(target, table.field) == status
        actor = case.actor(target)
        params = case.params(target)
        refusal = action_cls(actor, target, **params).check()
        allowed = table.allows(action_cls.transition, status)
        audit_before = AuditLogEntry.objects.filter(action=name).count()
        if allowed:
            assert refusal is None, f"{name} in {status}: check refused ({refusal}) though the table allows it"
            # The cached pages of the target's program are refreshed (by its program's scope, or by every page's).
            page_scopes = {page_cache.event_scope(actions.audit_program_id(target)), page_cache.SITE_SCOPE}
            page_generations = figure_cache.generations(page_scopes)
            with django_capture_on_commit_callbacks(execute=True):
                action_cls(actor, target, **params).run()
            assert figure_cache.generations(page_scopes) != page_generations, f"{name}: cached pages not refreshed"
            target.refresh_from_db()
            assert getattr(target, table.field) == table.target(action_cls.transition, status)
            assert AuditLogEntry.objects.filter(action=name).count() == audit_before + 1
        else:
            assert refusal is not None and refusal.kind == "state", f"{name} in {status}: check gave {refusal!r}"
            with pytest.raises(ActionRefused) as refused:
                action_cls(actor, target, **params).run()
            assert str(refused.value) == str(refusal)
            target.refresh_from_db()
            assert getattr(target, table.field) == status
            assert AuditLogEntry.objects.filter(action=name).count() == audit_before

    return test_check_and_run_agree


ROLES = ("manager", "reviewer", "finance", "owner", "member", "other_program_manager", "site_admin")


def _person(role, target):
    from atelier.audit import program_of
    from atelier.models import User
    from atelier.permissions import owner_user_id_of
    from tests import factories

    program = program_of(target) or factories.ProgramFactory()  # a Stripe account belongs to no program
    if role in ("manager", "reviewer", "finance"):
        return factories.staff_user(program, role)
    if role == "owner":
        owner_id = owner_user_id_of(target)
        return User.objects.get(pk=owner_id) if owner_id else factories.UserFactory()
    if role == "member":
        return factories.MembershipFactory(program=program).artist.user
    if role == "other_program_manager":
        return factories.staff_user(factories.ProgramFactory(), "manager")
    return factories.UserFactory(is_superuser=True, is_staff=True, totp=True)


def walk_roles(cases: dict[str, ActionCase]):
    """For every action a person may run, in the first status its table allows, for every role of the target's
    program (and a manager of another program, and a site admin): `check()` and `run()` agree — both let the
    role through, or `run()` refuses with exactly the reason `check()` gave and changes nothing."""
    pairs = []
    for name, case in cases.items():
        action = actions.get(name)
        if not action.people:
            continue
        table = action.transitions()
        allowed = [s for s in (case.statuses or table.statuses()) if table.allows(action.transition, s)]
        if allowed:
            pairs += [pytest.param(name, allowed[0], role, id=f"{name}[{allowed[0]}]-{role}") for role in ROLES]

    @pytest.mark.django_db
    @pytest.mark.parametrize("name,status,role", pairs)
    def test_check_and_run_agree_for_every_role(name, status, role, django_capture_on_commit_callbacks):
        case = cases[name]
        action_cls = actions.get(name)
        table = action_cls.transitions()
        target = case.make(status)
        person = _person(role, target)
        params = case.params(target)
        refusal = action_cls(person, target, **params).check()
        audit_before = AuditLogEntry.objects.filter(action=name).count()
        if refusal is None:
            with django_capture_on_commit_callbacks(execute=True):
                action_cls(person, target, **params).run()
            assert AuditLogEntry.objects.filter(action=name).count() == audit_before + 1
        else:
            with pytest.raises(ActionRefused) as refused:
                action_cls(person, target, **params).run()
            assert str(refused.value) == str(refusal)
            target.refresh_from_db()
            assert getattr(target, table.field) == status
            assert AuditLogEntry.objects.filter(action=name).count() == audit_before

    return test_check_and_run_agree_for_every_role
