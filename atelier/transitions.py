"""Transition tables: for each status field, which verbs move it from which statuses to which.

A model declares its table next to its `Status` choices::

    TRANSITIONS = TransitionTable(Status, {
        "approve": ([Status.CREATED], Status.APPROVED),
        "cancel": ([Status.CREATED, Status.APPROVED], Status.CANCELLED),
    })

An action names its verb (`transition = "approve"`); the action layer asks the table whether the object's
current status allows it, and moves the status to the verb's target. A target of `None` keeps the status
(a verb that is allowed only in some statuses but does not change them, such as replying to feedback).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable


@dataclass(frozen=True)
class Transition:
    verb: str
    sources: frozenset
    target: str | None


class TransitionTable:
    def __init__(self, status_choices, table: dict[str, tuple[Iterable, str | None]], *, field: str = "status"):
        self.status_choices = status_choices
        self.field = field
        self.transitions: dict[str, Transition] = {}
        valid = set(status_choices.values)
        for verb, (sources, target) in table.items():
            sources = frozenset(str(s) for s in sources)
            unknown = (sources | ({str(target)} if target is not None else set())) - valid
            if unknown:
                raise ValueError(f"Transition {verb!r} names unknown statuses {sorted(unknown)}")
            self.transitions[verb] = Transition(verb, sources, str(target) if target is not None else None)

    def __contains__(self, verb: str) -> bool:
        return verb in self.transitions

    def __getitem__(self, verb: str) -> Transition:
        return self.transitions[verb]

    def verbs(self) -> list[str]:
        return list(self.transitions)

    def statuses(self) -> list[str]:
        return list(self.status_choices.values)

    def label(self, status: str) -> str:
        try:
            return str(self.status_choices(status).label).lower()
        except ValueError:
            return str(status)

    def allows(self, verb: str, status: str) -> bool:
        return str(status) in self.transitions[verb].sources

    def why_not(self, verb: str, status: str) -> str | None:
        if self.allows(verb, status):
            return None
        return f"Not possible while it is {self.label(status)}."

    def target(self, verb: str, status: str) -> str:
        target = self.transitions[verb].target
        return str(status) if target is None else target
