"""Pacing of transfers to Stripe: `wait_for_transfer_slot()` returns when the next request may go out."""
from __future__ import annotations

import threading
import time

from django.conf import settings


class TokenBucket:
    """Blocking token bucket: `take()` returns when a request may go out (thread-safe, per process)."""

    def __init__(self, rate: float):
        self.rate = max(float(rate), 0.1)
        self.capacity = max(1.0, self.rate)
        self.tokens = self.capacity
        self.updated = time.monotonic()
        self.lock = threading.Lock()

    def take(self) -> None:
        while True:
            with self.lock:
                now = time.monotonic()
                self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
                self.updated = now
                if self.tokens >= 1:
                    self.tokens -= 1
                    return
                wait = (1 - self.tokens) / self.rate
            time.sleep(wait)


_buckets: dict[float, TokenBucket] = {}
_buckets_lock = threading.Lock()


def transfer_bucket() -> TokenBucket:
    rate = float(settings.STRIPE_TRANSFERS_PER_SECOND)
    with _buckets_lock:
        if rate not in _buckets:
            _buckets[rate] = TokenBucket(rate)
        return _buckets[rate]


def wait_for_transfer_slot() -> None:
    transfer_bucket().take()
