"""What can be notified: the categories a person chooses e-mail for, and the notices each app declares (an event
name → who is told what, with which link). Apps register theirs from their `<app>/notifications.py`, imported in
their AppConfig.ready; the kernel never imports them."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable

from atelier import events


@dataclass(frozen=True)
class Category:
    key: str
    label: str
    help: str = ""
    #: always e-mailed at once, whatever the person's preference (terms and money: DESIGN.md "Telling people")
    mandatory: bool = False


@dataclass
class Message:
    """One person told one thing. `link` is a path on this site (the object it is about). `key` is left empty
    for notices of an event (the event's delivery gives each one a key); reminders give a stable one, so a
    reminder sent twice is one notification."""

    to: object
    title: str
    body: str = ""
    link: str = ""
    key: str = ""


@dataclass(frozen=True)
class Notice:
    """A row of docs/notifications.md: on `event`, `build(event)` says who is told what."""

    event: str
    category: str
    build: Callable[[dict], Iterable[Message]] = field(compare=False)

    @property
    def id(self) -> str:
        return f"{self.build.__module__}.{self.build.__qualname__}"


CATEGORIES: dict[str, Category] = {}
NOTICES: list[Notice] = []


def register_category(key: str, label: str, help: str = "", *, mandatory: bool = False) -> Category:
    category = Category(key, label, help, mandatory)
    if key in CATEGORIES and CATEGORIES[key] != category:
        raise ValueError(f"Notification category {key!r} is registered twice, differently")
    CATEGORIES[key] = category
    return category


def notice(event: str, *, category: str):
    """Decorator: on every event named `event` (after its action commits), call the function with the event and
    notify the people in the Messages it returns."""

    def register(build):
        if category not in CATEGORIES:
            raise ValueError(f"Notice {build.__qualname__}: unknown category {category!r}")
        entry = Notice(event, category, build)
        if any(n.id == entry.id and n.event == event for n in NOTICES):
            return build  # an app's module imported twice (tests reloading): registered already
        first_for_event = not any(n.event == event for n in NOTICES)
        NOTICES.append(entry)
        if first_for_event:
            events.subscribe(event)(_on_event)
        return build

    return register


def notices_for(name: str) -> list[Notice]:
    return [n for n in NOTICES if n.event == name]


def _on_event(event: dict) -> None:
    """The one subscriber: hand the event to a Celery task that builds and delivers its notifications (sent
    only once the current transaction, if any, commits; retried; safe to run twice)."""
    import uuid

    from atelier.notifications.delivery import queue_event  # delivery imports this registry

    queue_event(event, str(uuid.uuid4()))
