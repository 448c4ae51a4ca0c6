"""Events that actions publish after their transaction commits, and the subscribers that react to them
(notifications, cache invalidation, later outgoing webhooks).

An event is a plain dict: `name` (the action's dotted name unless it says otherwise), `actor_id`,
`program_id`, `target_type`, `target_id`, and whatever the action added. A subscriber never fails the
action that published the event: its errors are logged, and work that can fail belongs in a Celery task.
"""
from __future__ import annotations

import fnmatch
import logging
from typing import Callable

logger = logging.getLogger(__name__)

_subscribers: list[tuple[str, Callable[[dict], None]]] = []


def subscribe(pattern: str):
    """Decorator: call the function with every event whose name matches `pattern` (`*` wildcards)."""

    def register(fn):
        _subscribers.append((pattern, fn))
        return fn

    return register


def has_subscribers(name: str) -> bool:
    return any(fnmatch.fnmatchcase(name, pattern) for pattern, _ in _subscribers)


def publish(event: dict) -> None:
    for pattern, fn in list(_subscribers):
        if fnmatch.fnmatchcase(event["name"], pattern):
            try:
                fn(event)
            except Exception:  # a subscriber never fails the action that published the event
                logger.exception("Subscriber %s failed on event %s", getattr(fn, "__qualname__", fn), event["name"])
