"""The action layer's own rules: every action is registered with a name and a label, the audit log takes only
registered names, every permission rule is used, and the audit page speaks the product's words."""
import re
from pathlib import Path

import pytest

from atelier import actions, audit
from atelier.models import AuditLogEntry
from atelier.permissions import RULES

ROOT = Path(__file__).resolve().parents[2]
APP_DIRS = ["atelier", "testers", "content_review", "payments", "api", "templates"]
NAME = re.compile(r"^[a-z_]+\.[a-z_]+\.[a-z_]+$")


def test_every_action_has_a_dotted_name_a_label_and_a_known_permission_rule():
    assert actions.REGISTRY, "no action is registered"
    for name, action in actions.REGISTRY.items():
        assert NAME.match(name), name
        assert action.label and action.label != name and not action.label.endswith("."), name
        assert action.permission is None or action.permission in RULES, f"{name}: unknown rule {action.permission}"
        assert action.people or action.system, f"{name} can be run by nobody"
        if action.people and action.permission is None:
            pytest.fail(f"{name}: a person may run it, but no permission rule says who")


def test_every_transition_verb_is_used_by_an_action():
    tables = {}
    for action in actions.REGISTRY.values():
        if action.transition is not None:
            tables.setdefault(action.model, set()).add(action.transition)
    for model, used in tables.items():
        assert set(model.TRANSITIONS.verbs()) == used, f"{model.__name__}: verbs without an action"


def test_every_audit_name_has_a_human_label():
    for name, label in actions.AUDIT_NAMES.items():
        assert NAME.match(name), name
        assert label and "_" not in label and label != name, f"{name}: {label!r}"


@pytest.mark.django_db
def test_audit_log_refuses_a_name_that_is_not_registered(program):
    with pytest.raises(ValueError, match="not a registered"):
        audit.log(None, "testers.program.teleported", program)
    assert not AuditLogEntry.objects.exists()


def _sources() -> str:
    texts = []
    for app in APP_DIRS:
        for path in (ROOT / app).rglob("*"):
            if path.suffix in (".py", ".html") and path.name != "permissions.py" and "migrations" not in path.parts:
                texts.append(path.read_text(encoding="utf-8"))
    return "\n".join(texts)


def test_every_permission_rule_is_asked_by_some_action_or_view():
    used_by_actions = {a.permission for a in actions.REGISTRY.values()}
    sources = _sources()
    unused = [rule for rule in RULES if rule not in used_by_actions
              and f'"{rule}"' not in sources and f"'{rule}'" not in sources]
    assert unused == [], f"rules nobody asks: {unused}"


@pytest.mark.django_db
def test_retired_names_keep_their_label_but_cannot_be_written(program):
    retired = dict(actions.RETIRED_NAMES)
    assert retired, "no retired name to check"
    name, label = next(iter(retired.items()))
    assert actions.label_for(name) == label
    with pytest.raises(ValueError):
        audit.log(None, name, program)


# --- the kernel, through a real action ----------------------------------------------------------------------

@pytest.fixture
def received_events():
    from atelier import events

    received = []
    events._subscribers.append(("testers.membership.*", received.append))
    yield received
    events._subscribers.remove(("testers.membership.*", received.append))


@pytest.mark.django_db
def test_an_action_locks_checks_moves_audits_and_publishes_after_commit(
        manager, artist_membership, received_events, django_capture_on_commit_callbacks):
    from testers.actions import PauseMembership

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        PauseMembership(manager, artist_membership).run()
        assert received_events == [], "an event is published only after commit"
    assert callbacks
    artist_membership.refresh_from_db()
    assert artist_membership.status == "paused"
    entry = AuditLogEntry.objects.get(action="testers.membership.paused")
    assert entry.actor == manager and entry.data["before"]["status"] == "active"
    assert entry.data["after"]["status"] == "paused"
    assert [e["name"] for e in received_events] == ["testers.membership.paused"]
    assert received_events[0]["target_id"] == artist_membership.pk
    assert received_events[0]["program_id"] == artist_membership.program_id


@pytest.mark.django_db
def test_a_refused_action_changes_nothing_and_publishes_nothing(
        reviewer, artist_membership, received_events, django_capture_on_commit_callbacks):
    from atelier.errors import ActionRefused
    from testers.actions import PauseMembership

    action = PauseMembership(reviewer, artist_membership)
    refusal = action.check()
    assert refusal is not None and refusal.kind == "permission"
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(ActionRefused) as refused:
            PauseMembership(reviewer, artist_membership).run()
    assert str(refused.value) == str(refusal)
    artist_membership.refresh_from_db()
    assert artist_membership.status == "active"
    assert not AuditLogEntry.objects.exists() and received_events == []


@pytest.mark.django_db
def test_a_failing_subscriber_never_fails_the_action(manager, artist_membership, django_capture_on_commit_callbacks):
    from atelier import events
    from testers.actions import PauseMembership

    def broken(event):
        raise RuntimeError("the mail server is down")

    events._subscribers.append(("testers.membership.paused", broken))
    try:
        with django_capture_on_commit_callbacks(execute=True):
            PauseMembership(manager, artist_membership).run()
    finally:
        events._subscribers.remove(("testers.membership.paused", broken))
    artist_membership.refresh_from_db()
    assert artist_membership.status == "paused"


@pytest.mark.django_db
def test_the_system_runs_only_actions_marked_for_it(artist_membership):
    from testers.actions import PauseMembership

    refusal = PauseMembership(actions.SYSTEM, artist_membership).check()
    assert refusal is not None and refusal.kind == "permission"


def test_a_database_rule_is_told_in_words_the_longest_name_first():
    from django.db import IntegrityError

    error = IntegrityError('new row violates check constraint "program_currency_iso4217"')
    assert actions.constraint_message(error) == actions.CONSTRAINT_MESSAGES["program_currency_iso4217"]
    assert actions.constraint_message(IntegrityError("something else entirely")) is None
