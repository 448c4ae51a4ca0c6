"""Fault injection and rate limiting: errors before or after a request is executed, slow answers, and a
token bucket that answers 429 past a rate."""

from __future__ import annotations

import time
from dataclasses import dataclass

from .protocol import Response, StripeError, _error_type_for


@dataclass
class Fault:
    path_prefix: str = "/v1/"
    method: str | None = "POST"  # None or "*" matches any method
    mode: str = "error_before"  # error_before | error_after | timeout
    status: int = 500
    count: int = 1
    delay: float = 0.0
    message: str | None = None
    type: str | None = None
    code: str | None = None

    MODES = ("error_before", "error_after", "timeout")

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

    def error_response(self) -> Response:
        error_type = self.type or _error_type_for(self.status)
        code = self.code or ("rate_limit" if self.status == 429 else None)
        message = self.message or f"Injected fault ({self.mode}, HTTP {self.status})."
        return StripeError(self.status, error_type, message, code).response()

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
          but answer ``status`` this once (a retry replays the real response).
        - ``timeout``: execute, store, then wait ``delay`` seconds before
          answering normally (set a shorter client timeout).
        ``delay`` also applies to the other modes.
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
