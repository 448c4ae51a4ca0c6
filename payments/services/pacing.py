"""Pacing of Stripe transfer requests, shared by every process and machine that sends with one Stripe key.

`wait_for_transfer_slot()` blocks until one more transfer request may go out without the total, over all
workers, passing STRIPE_TRANSFERS_PER_SECOND. The count lives in Redis (PACING_REDIS_URL, by default the
Celery broker), kept by the `limits` library's moving window: at most N requests in any window of W seconds,
counted exactly (a Lua script adds a timestamp to a capped list atomically), so bursts at a window's edge
cannot double the rate as a fixed window would, and nothing is approximated as by a sliding-window counter.

Without Redis (the embedded default: SQLite and tasks run in process) the same window is kept in memory: one
process is then the only sender, so it is shared by everything that sends. If Redis is configured but cannot
be reached, a call falls back to the in-memory window, logged; the rate may then exceed the limit by the
number of workers, which Stripe answers with 429s our retries already handle; no payout is affected.
"""
from __future__ import annotations

import hashlib
import logging
import random
import threading
import time
from dataclasses import dataclass
from fractions import Fraction

from django.conf import settings
from limits import RateLimitItemPerSecond
from limits.storage import MemoryStorage, RedisStorage
from limits.strategies import MovingWindowRateLimiter

logger = logging.getLogger(__name__)

# Sleep at most this long between two tries, so a slot freed early (the window moves) is taken promptly.
MAX_NAP_SECONDS = 0.25
# After Redis fails, pace in memory this long before trying Redis again (one log line per outage).
REDIS_RETRY_SECONDS = 5.0


def window_for(rate: float) -> RateLimitItemPerSecond:
    """`rate` per second as a whole number of requests per whole number of seconds (0.5/s -> 1 per 2 s,
    2.5/s -> 5 per 2 s), the window no longer than 10 s so that a burst stays small."""
    if rate <= 0:
        raise ValueError("STRIPE_TRANSFERS_PER_SECOND must be positive")
    ratio = Fraction(rate).limit_denominator(10)
    amount, seconds = max(ratio.numerator, 1), max(ratio.denominator, 1)
    return RateLimitItemPerSecond(amount, seconds)


@dataclass
class Pacer:
    """One shared limit: `rate` requests per second under `name`, in Redis at `redis_url` (or in memory)."""

    rate: float
    redis_url: str = ""
    name: str = "stripe-transfers"

    def __post_init__(self):
        self.item = window_for(self.rate)
        self._memory = MovingWindowRateLimiter(MemoryStorage())
        self._shared = MovingWindowRateLimiter(RedisStorage(self.redis_url)) if self.redis_url else None
        self._redis_down_until = 0.0

    @property
    def shared(self) -> bool:
        return self._shared is not None

    def try_acquire(self) -> bool:
        """Take a slot if one is free now."""
        if self._shared is not None and time.monotonic() >= self._redis_down_until:
            try:
                return self._shared.hit(self.item, self.name)
            except Exception as error:  # noqa: BLE001 (redis errors vary by client version)
                self._redis_down_until = time.monotonic() + REDIS_RETRY_SECONDS
                logger.error("Pacing: Redis unreachable (%s); pacing this process on its own for %s s",
                             error, REDIS_RETRY_SECONDS)
        return self._memory.hit(self.item, self.name)

    def wait(self, timeout: float | None = None) -> float:
        """Block until a slot is taken; returns the seconds waited. TimeoutError past `timeout`."""
        started = time.monotonic()
        while not self.try_acquire():
            waited = time.monotonic() - started
            if timeout is not None and waited >= timeout:
                raise TimeoutError(f"no transfer slot within {timeout} s")
            # The window frees its oldest slot at reset_time; jitter spreads the workers that all wait for it.
            nap = self._until_free()
            time.sleep(min(MAX_NAP_SECONDS, max(0.001, nap)) * (1 + random.random() * 0.2))
        return time.monotonic() - started

    def _until_free(self) -> float:
        if self._shared is not None and time.monotonic() >= self._redis_down_until:
            try:
                return self._shared.get_window_stats(self.item, self.name).reset_time - time.time()
            except Exception:  # noqa: BLE001 (the next try_acquire notes the outage)
                return MAX_NAP_SECONDS
        return self._memory.get_window_stats(self.item, self.name).reset_time - time.time()

    def clear(self) -> None:
        """Forget the window (tests and benchmarks)."""
        for limiter in (self._shared, self._memory):
            if limiter is not None:
                limiter.clear(self.item, self.name)


def redis_url() -> str:
    """PACING_REDIS_URL if set, else the Celery broker when it is Redis, else "" (in-process pacing)."""
    return settings.PACING_REDIS_URL


def _key_name() -> str:
    # Stripe limits per account: workers that send with the same key share one window, others do not.
    digest = hashlib.sha256(str(settings.STRIPE_API_KEY).encode()).hexdigest()[:12]
    return f"{settings.PACING_KEY_PREFIX}:stripe-transfers:{digest}"


_pacers: dict[tuple, Pacer] = {}
_pacers_lock = threading.Lock()


def transfer_pacer() -> Pacer:
    """The pacer for the current settings (one per process and configuration; settings change in tests)."""
    config = (float(settings.STRIPE_TRANSFERS_PER_SECOND), redis_url(), _key_name())
    with _pacers_lock:
        if config not in _pacers:
            _pacers[config] = Pacer(rate=config[0], redis_url=config[1], name=config[2])
        return _pacers[config]


def wait_for_transfer_slot() -> float:
    """Block until one more transfer request may be sent (all workers together stay under the rate)."""
    return transfer_pacer().wait()
