"""The action layer: every change of state in Atelier is one registered action.

An action has a dotted name (`payments.payout_run.approve`), a human label, the model it changes, the verb
of that model's transition table it applies, and the permission rule that says who may run it. `check()`
says why not (or returns None) without changing anything; `run()` does, in one transaction:

1. lock the target row (`SELECT … FOR UPDATE`);
2. check again on the locked row, and refuse with the same reason `check` gives;
3. apply the action's effects (`apply`);
4. move the status through the transition table;
5. write one audit entry under the action's name;
6. queue its follow-up work (tasks, events) to run only if the transaction commits.

Views, admin actions, Celery tasks, management commands and the API all run actions; none of them repeats
an action's rules. `docs/actions.md` shows how to add one.
"""
from __future__ import annotations

import logging
from typing import Any, Callable, ClassVar

from django.db import IntegrityError, transaction

from . import audit, events
from .errors import ActionRefused, DomainError, Refusal
from .permissions import why_not

logger = logging.getLogger(__name__)


class SystemActor:
    """Atelier itself: tasks and the beat scheduler run actions as the system, and the audit entry says so."""

    pk = None
    is_authenticated = False
    is_active = True
    email = "system"

    def __str__(self):
        return "Atelier (system)"

    def __repr__(self):
        return "SYSTEM"


SYSTEM = SystemActor()

#: Every registered action, by name.
REGISTRY: dict[str, type["Action"]] = {}
#: Every name the audit log accepts, with its label: each action's name, plus audited events that change
#: no state (an export, a statement downloaded) registered with `register_audit_name`.
AUDIT_NAMES: dict[str, str] = {}


def register_audit_name(name: str, label: str) -> str:
    """Let the audit log record `name` (an audited read or a record-only event) with a human label."""
    _validate_name(name)
    if name in AUDIT_NAMES and AUDIT_NAMES[name] != label:
        raise ValueError(f"Audit name {name!r} is registered twice with different labels")
    AUDIT_NAMES[name] = label
    return name


#: Names that old audit entries carry but nothing writes any more: the audit views still show them in words,
#: and `audit.log` refuses them.
RETIRED_NAMES: dict[str, str] = {}


def register_retired_name(name: str, label: str) -> str:
    _validate_name(name)
    RETIRED_NAMES[name] = label
    return name


#: The database's rules (constraint names) in words, registered by each app: what a person is told when the
#: database refuses an action's write. The actions check the same rules first; these show only when something
#: slipped past them (a race, a bug), and still never as a 500.
CONSTRAINT_MESSAGES: dict[str, str] = {}
UNKNOWN_CONSTRAINT_MESSAGE = "This change breaks one of Atelier's rules, so nothing was saved."


def register_constraint_messages(messages: dict[str, str]) -> None:
    CONSTRAINT_MESSAGES.update(messages)


def constraint_message(error: IntegrityError) -> str | None:
    """The sentence for the rule the database gave as the reason for `error`, or None if none is known."""
    text = str(error)
    for name in sorted(CONSTRAINT_MESSAGES, key=len, reverse=True):
        if name in text:
            return CONSTRAINT_MESSAGES[name]
    return None


def label_for(name: str) -> str:
    return AUDIT_NAMES.get(name) or RETIRED_NAMES.get(name, name)


def get(name: str) -> type["Action"]:
    try:
        return REGISTRY[name]
    except KeyError:
        raise KeyError(f"No action is registered as {name!r}") from None


def _validate_name(name: str) -> None:
    parts = name.split(".")
    if len(parts) < 3 or not all(p and p.replace("_", "").isalnum() and p == p.lower() for p in parts):
        raise ValueError(f"Action names are dotted lower-case words, app.object.verb: {name!r}")


class Action:
    """One thing a person or the system does to the product. Subclass it, set the class attributes, and
    write `apply` (and `refusal` for rules beyond permission and status)."""

    #: dotted and stable: the audit entry's action and the event's name
    name: ClassVar[str] = ""
    #: human words for audit views and notifications: "approved payout run"
    label: ClassVar[str] = ""
    #: the model it changes (locked and re-read before `apply`); None when the action creates
    model: ClassVar[Any] = None
    #: the rule in atelier.permissions.RULES that says who may run it
    permission: ClassVar[str | None] = None
    #: the verb of `model.TRANSITIONS` it applies; None when it changes no status
    transition: ClassVar[str | None] = None
    #: related rows read with the locked target (never locked themselves)
    select_related: ClassVar[tuple] = ()
    #: may the system (tasks, beat, commands without a person) run it? may a person?
    system: ClassVar[bool] = False
    people: ClassVar[bool] = True
    #: False for a light action that changes only its actor's own view of things (marking a notification read):
    #: checked and locked like any other, but no audit entry (the log would fill with page views) and no event
    audited: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        name = cls.__dict__.get("name")
        if not name:
            return
        _validate_name(name)
        if not cls.label:
            raise ValueError(f"Action {name} has no label")
        if name in REGISTRY and REGISTRY[name].__qualname__ != cls.__qualname__:
            raise ValueError(f"Two actions are registered as {name!r}")
        if cls.transition is not None:
            table = getattr(cls.model, "TRANSITIONS", None)
            if table is None or cls.transition not in table:
                raise ValueError(f"Action {name}: {cls.model} has no transition {cls.transition!r}")
        REGISTRY[name] = cls
        AUDIT_NAMES[name] = cls.label

    def __init__(self, actor, target=None, **params):
        self.actor = actor
        self.target = target
        self.params = params
        self.before: dict = {}
        self.after: dict = {}
        self.audit_data: dict = {}
        self.dirty: set[str] = set()
        self._after_commit: list[Callable] = []
        self._events: list[dict] = []
        self._event_data: dict = {}

    # --- what subclasses write -----------------------------------------------------------------------------

    def permission_target(self, obj):
        """The object the permission rule is asked about: the target; for a create (no target), the membership or
        the program it is given as a parameter."""
        if obj is not None:
            return obj
        return self.params.get("membership") or self.params.get("program")

    def refusal(self, obj) -> str | None:
        """Rules of this action beyond permission and status, on the (locked, when running) target."""
        return None

    def apply(self, obj):
        """The effects, in the database only. Returns the created or changed object."""
        raise NotImplementedError(f"{type(self).__name__}.apply")

    def audit_target(self, obj, result):
        return result if result is not None else obj

    def audit_program(self, obj, result):
        """The program the audit entry is filed under; found from the target unless an action says."""
        return None

    # --- helpers for apply ---------------------------------------------------------------------------------

    def change(self, obj, **values) -> None:
        """Set fields on the target, remembering before/after for the audit entry; saved once after `apply`."""
        for field, value in values.items():
            old = getattr(obj, field)
            if old != value:
                self.before.setdefault(field, old)
                self.after[field] = value
                setattr(obj, field, value)
                self.dirty.add(field)

    def on_commit(self, fn: Callable) -> None:
        """Run `fn` once the transaction commits (queue a task: tasks are transaction-aware anyway)."""
        self._after_commit.append(fn)

    def emit(self, name: str | None = None, **data) -> None:
        """Add data to the event every action publishes after commit under its name, or (with `name`) publish
        another event too. Subscribers (notifications, caches) get them only if the transaction commits."""
        if name is None or name == self.name:
            self._event_data.update(data)
        else:
            self._events.append({"name": name, **data})

    # --- the protocol --------------------------------------------------------------------------------------

    @classmethod
    def transitions(cls):
        return cls.model.TRANSITIONS if cls.transition is not None else None

    def check(self) -> Refusal | None:
        """Why the actor may not run this action on the target now, or None. Changes nothing."""
        return self._why_not(self.target)

    def _why_not(self, obj) -> Refusal | None:
        # Order matters for what a page shows: someone who may not act on the object at all hears nothing more
        # (a 404); then the object's status (no button where the status forbids it, whoever asks); then what is
        # missing on the person's side (TOTP, an active membership); then the action's own rules.
        about_person = None
        if self.actor is SYSTEM:
            if not self.system:
                return Refusal("Only a person can do this.", "permission")
        else:
            if not self.people:
                return Refusal("Only Atelier itself does this.", "permission")
            if self.permission is not None:
                about_person = why_not(self.actor, self.permission, self.permission_target(obj))
                if about_person is not None and about_person.kind == "permission":
                    return about_person
        table = self.transitions()
        if table is not None and obj is not None:
            status = getattr(obj, table.field)
            if not table.allows(self.transition, status):
                return Refusal(self.state_refusal(obj, status) or table.why_not(self.transition, status), "state")
        reason = self.refusal(obj)
        if reason and not isinstance(reason, Refusal):
            reason = Refusal(str(reason), "rule")
        if reason and reason.kind == "state":
            return reason
        return about_person or reason or None

    def state_refusal(self, obj, status) -> str | None:
        """A clearer sentence than the table's for a status that does not allow the action."""
        return None

    def run(self):
        """Run the action: lock, check again, apply, transition, audit, queue after-commit work."""
        connection = transaction.get_connection()
        try:
            if connection.in_atomic_block:
                with transaction.atomic():
                    return self._run()
            with transaction.atomic(durable=True):
                return self._run()
        except IntegrityError as error:
            message = constraint_message(error)
            if message is None:
                logger.warning("%s: the database refused a write for a rule with no message: %s", self.name, error)
            raise ActionRefused(Refusal(message or UNKNOWN_CONSTRAINT_MESSAGE, "rule")) from error

    def lock(self, obj):
        manager = type(obj)._default_manager
        return manager.select_for_update(of=("self",)).select_related(*self.select_related).get(pk=obj.pk)

    def _run(self):
        obj = self.lock(self.target) if self.target is not None else None
        if obj is not None:
            self.target = obj
        refusal = self._why_not(obj)
        if refusal is not None:
            raise ActionRefused(refusal)
        result = self.apply(obj)
        table = self.transitions()
        if table is not None and obj is not None:
            self.change(obj, **{table.field: table.target(self.transition, getattr(obj, table.field))})
        if obj is not None and self.dirty:
            obj.save(update_fields=sorted(self.dirty))
        target = self.audit_target(obj, result)
        if not self.audited:
            for fn in self._after_commit:
                transaction.on_commit(fn)
            return result if result is not None else obj
        audit.log(
            None if self.actor is SYSTEM else self.actor, self.name, target,
            program=self.audit_program(obj, result),
            before=self.before or None, after=self.after or None, **self.audit_data,
        )
        for fn in self._after_commit:
            transaction.on_commit(fn)
        actor_id = getattr(self.actor, "pk", None)
        program_id = audit_program_id(target) if target is not None else None
        for event in [{"name": self.name, **self._event_data}, *self._events]:
            if not events.has_subscribers(event["name"]):
                continue
            payload = {"actor_id": actor_id, "program_id": program_id, **_target_ref(target), **event}
            transaction.on_commit(lambda payload=payload: events.publish(payload))
        return result if result is not None else obj


def audit_program_id(obj):
    program = audit.program_of(obj)
    return getattr(program, "pk", None)


def _target_ref(obj) -> dict:
    if obj is None:
        return {"target_type": "", "target_id": None}
    return {"target_type": obj._meta.label, "target_id": obj.pk}


# --- calling actions by name ---------------------------------------------------------------------------------

def check(name: str, actor, target=None, **params) -> Refusal | None:
    """Why `actor` may not run action `name` on `target`, or None. For templates and views: never changes anything."""
    return get(name)(actor, target, **params).check()


def run(name: str, actor, target=None, **params):
    return get(name)(actor, target, **params).run()


__all__ = [
    "Action", "ActionRefused", "AUDIT_NAMES", "DomainError", "REGISTRY", "Refusal", "SYSTEM", "check",
    "constraint_message", "get", "label_for", "register_audit_name", "register_constraint_messages", "run",
]
