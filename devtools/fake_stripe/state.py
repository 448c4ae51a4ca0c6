"""The fake's memory: every object it holds, the idempotency store and the request log, all behind one lock,
and the read-only views tests use to inspect them."""

from __future__ import annotations

import copy

from .faults import Fault, TokenBucket

DEFAULT_BALANCE = 10**12
DEFAULT_CURRENCIES = ("usd", "eur", "gbp")


class State:
    """Mixed into ``FakeStripe``; ``self.lock`` guards every attribute set in ``_reset_state``."""

    def _reset_state(self) -> None:
        with self.lock:
            self.accounts: dict[str, dict] = {}
            self.account_links: dict[str, dict] = {}
            self._transfers: dict[str, dict] = {}
            self._reversals: dict[str, dict] = {}
            self._seq: dict[str, int] = {}
            self._counter = 0
            self.balance_available = dict(self.initial_balance)
            self.account_balances: dict[str, dict[str, int]] = {}
            self._idempotency: dict[tuple, dict] = {}
            self._in_progress: set[tuple] = set()  # (account, key) of requests executing right now
            self._faults: list[Fault] = []
            self._request_log: list[dict] = []
            self.events: list[dict] = []
            self.deliveries: list[dict] = []
            self._bucket = (
                TokenBucket(self.rate_limit_per_second) if self.rate_limit_per_second else None
            )

    def reset(self) -> None:
        """Forget all state (accounts, transfers, keys, faults, log, events)."""
        self._reset_state()

    def _register(self, obj_id: str) -> None:
        self._counter += 1
        self._seq[obj_id] = self._counter

    @property
    def request_log(self) -> list[dict]:
        with self.lock:
            return copy.deepcopy(self._request_log)

    def request_count(self, method: str | None = None, path_prefix: str = "/") -> int:
        with self.lock:
            return sum(
                1
                for e in self._request_log
                if (method is None or e["method"] == method.upper())
                and e["path"].startswith(path_prefix)
            )

    def transfers(self, **filters) -> list[dict]:
        """All transfers, oldest first; ``filters`` match top-level fields."""
        with self.lock:
            return [
                copy.deepcopy(t)
                for t in self._transfers.values()
                if all(t.get(k) == v for k, v in filters.items())
            ]

    def get_account(self, account_id: str) -> dict:
        with self.lock:
            return copy.deepcopy(self.accounts[account_id])

    def balance(self, account: str | None = None) -> dict[str, int]:
        with self.lock:
            if account is None:
                return dict(self.balance_available)
            return dict(self.account_balances.get(account, {}))

    def state(self) -> dict:
        with self.lock:
            counts: dict[str, int] = {}
            for e in self._request_log:
                name = f"{e['method']} {e['path']}"
                counts[name] = counts.get(name, 0) + 1
            return {
                "request_counts": counts,
                "requests": copy.deepcopy(self._request_log),
                "transfers": self.transfers(),
                "accounts": copy.deepcopy(list(self.accounts.values())),
                "balance": dict(self.balance_available),
                "account_balances": copy.deepcopy(self.account_balances),
                "events": [
                    {"id": e["id"], "type": e["type"], "account": e.get("account")}
                    for e in self.events
                ],
                "deliveries": copy.deepcopy(self.deliveries),
                "faults": [f.as_dict() for f in self._faults],
                "idempotency_keys": len(self._idempotency),
            }
