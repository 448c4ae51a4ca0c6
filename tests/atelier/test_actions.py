"""The action layer's own rules: every action is registered with a name and a label, the audit log takes only
registered names, every permission rule is used, and the audit page speaks the product's words."""
import re
from pathlib import Path

import pytest

from atelier import actions, audit
from atelier.models import AuditLogEntry
from atelier.permissions import RULES

ROOT = Path(__file__).resolve().parents[2]
APP_DIRS = ["atelier", "testers", "content_review", "payments", "templates"]
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
