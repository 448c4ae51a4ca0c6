"""Fault injection and rate limiting: errors before or after a request is executed (the error lost on the way
back, or stored under the key as Stripe stores its own 500s), slow execution (the key in progress: 409 for a
second request), slow answers, and a token bucket that answers 429 past a rate."""

from __future__ import annotations

import time
from dataclasses import dataclass

from .protocol import Response, StripeError, _error_type_for, key_in_use_error, rate_limit_error


@dataclass
class Fault:
    path_prefix: str = "/v1/"
    method: str | None = "POST"  # None or "*" matches any method
    mode: str = "error_before"  # one of MODES
    status: int = 500
    count: int = 1
    delay: float = 0.0
    message: str | None = None
    type: str | None = None
    code: str | None = None

    MODES = ("error_before", "error_after", "error_stored", "slow", "timeout")

    def __post_init__(self):
        if self.mode not in self.MODES:
            raise ValueError(f"mode must be one of {self.MODES}")
        if self.method in (None, "*"):
            self.method = None
        else:
            self.method = self.method.upper()
        self.status = int(self.status)
        self.count = int(self.count)
        self.delay = float(self.delay)

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and path.startswith(self.path_prefix)

    def error_response(self, key: str | None = None) -> Response:
        # 429 and 409 in Stripe's words unless told otherwise; other statuses with the spec's type for them.
        if self.status == 429:
            default = rate_limit_error()
        elif self.status == 409:
            default = key_in_use_error(key)
        else:
            default = StripeError(self.status, _error_type_for(self.status),
                                  f"Injected fault ({self.mode}, HTTP {self.status}).")
        return StripeError(self.status, self.type or default.type, self.message or default.message,
                           self.code or default.code).response()

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


class TokenBucket:
    def __init__(self, rate: float):
        self.rate = float(rate)
        self.capacity = max(1.0, self.rate)
        self.tokens = self.capacity
        self.updated = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class Faults:
    """Mixed into ``FakeStripe``: the queue of injected faults (``self._faults``, under ``self.lock``)."""

    def inject_fault(
        self,
        path_prefix: str = "/v1/transfers",
        method: str | None = "POST",
        mode: str = "error_before",
        status: int = 500,
        count: int = 1,
        delay: float = 0.0,
        message: str | None = None,
        type: str | None = None,
        code: str | None = None,
    ) -> Fault:
        """Queue a fault for the next ``count`` matching requests (FIFO).

        - ``error_before``: answer ``status`` without executing or storing the
          idempotency key (a retry with the same key executes normally).
        - ``error_after``: execute and store the real response under the key,
          but answer ``status`` this once (a retry replays the real response):
          the answer lost on the way back, e.g. a proxy's 502.
        - ``error_stored``: execute, then answer ``status`` and store THAT under
          the key, as Stripe does with its own 500 once execution began: every
          retry with the key replays the error (``Stripe-Should-Retry: false``),
          though the transfer exists. Only a search (reconciliation) tells.
        - ``slow``: hold the request ``delay`` seconds before executing it; its
          key is in progress meanwhile, so a second request with the same key
          gets Stripe's 409 ``idempotency_key_in_use`` (not stored). The held
          request still executes, even if its client gave up.
        - ``timeout``: execute, store, then wait ``delay`` seconds before
          answering normally (set a shorter client timeout).
        ``delay`` also applies to the other modes (after answering is decided).
        A 429 or 409 gets Stripe's body for it unless ``type``/``code``/``message`` say otherwise.
        """
        fault = Fault(path_prefix, method, mode, status, count, delay, message, type, code)
        with self.lock:
            self._faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self.lock:
            self._faults.clear()

    def _take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self._faults:
            if fault.matches(method, path):
                fault.count -= 1
                if fault.count <= 0:
                    self._faults.remove(fault)
                return fault
        return None
