"""Figures that are costly to compute and change only when an action changes their data, kept in the cache under
a generation: an action's event moves the generation on (`invalidate_on`), so the next read computes them again.

A generation is a per-scope number in the cache; a cache entry's key holds the generation it was computed under, so
a new generation makes every older entry unreachable at once (they expire by themselves). If the generation itself
is evicted, a new one is drawn from the clock: an entry computed before can never be read again.
"""
from __future__ import annotations

import time
from typing import Callable

from django.core.cache import cache

from atelier import events

#: Belt and braces: an entry lives at most this long even if an invalidation were missed.
TIMEOUT = 15 * 60


def _generation_key(scope: str) -> str:
    return f"figures:gen:{scope}"


def generation(scope: str) -> int:
    key = _generation_key(scope)
    value = cache.get(key)
    if value is None:
        value = time.time_ns()
        cache.add(key, value, timeout=None)
        value = cache.get(key, value)
    return value


def generations(scopes) -> dict[str, int]:
    """{scope: generation} of several scopes, in one cache round trip when they are all there."""
    keys = {scope: _generation_key(scope) for scope in scopes}
    found = cache.get_many(list(keys.values()))
    return {scope: found[key] if key in found else generation(scope) for scope, key in keys.items()}


def invalidate(scope: str) -> None:
    cache.set(_generation_key(scope), time.time_ns(), timeout=None)


def cached(scope: str, parts: tuple, compute: Callable[[], object], timeout: int = TIMEOUT):
    """`compute()`'s result, kept under `scope`'s current generation and `parts` (the arguments it depends on)."""
    key = "figures:" + scope + ":" + str(generation(scope)) + ":" + ":".join(str(p) for p in parts)
    found = cache.get(key)
    if found is None:
        found = compute()
        cache.set(key, found, timeout=timeout)
    return found


def invalidate_on(scope: str, *patterns: str) -> None:
    """Move `scope`'s generation on after every committed action whose event matches one of `patterns`
    (`atelier.events` wildcards). Called once per scope, from the owning app's `ready()`."""
    for pattern in patterns:
        events.subscribe(pattern)(lambda event: invalidate(scope))
