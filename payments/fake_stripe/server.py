"""A fake Stripe API server for tests and the local demo.

It speaks enough of Stripe's v1 HTTP API (form-encoded requests, JSON
responses, Stripe's error shape, idempotency keys, list pagination) for the
official ``stripe`` library to work against it unchanged, keeps its state in
memory, and can inject faults (errors before or after execution, slow
responses) and rate limits.  Pure standard library: no Django imports.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import html
import json
import queue
import re
import secrets
import string
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qsl, urlsplit

API_VERSION = "2026-02-25.clover"
DEFAULT_BALANCE = 10**12
DEFAULT_CURRENCIES = ("usd", "eur", "gbp")
ACCOUNT_LINK_TTL = 300  # seconds, like Stripe's "expires within minutes"

NEW_ACCOUNT_REQUIREMENTS = [
    "business_profile.mcc",
    "business_profile.url",
    "business_type",
    "external_account",
    "tos_acceptance.date",
    "tos_acceptance.ip",
]
COUNTRY_CURRENCY = {"US": "usd", "GB": "gbp", "CA": "cad", "AU": "aud", "JP": "jpy"}

_ID_ALPHABET = string.ascii_letters + string.digits


def new_id(prefix: str) -> str:
    return prefix + "_1" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(23))


# --------------------------------------------------------------------------
# Form decoding


def _split_key(key: str) -> list[str]:
    """``a[b][c]`` -> ``["a", "b", "c"]``; ``expand[]`` -> ``["expand", ""]``."""
    head, sep, rest = key.partition("[")
    parts = [head]
    if sep:
        parts.extend(re.findall(r"([^\[\]]*)\]", "[" + rest))
    return parts


def _listify(value: Any, key: str = "") -> Any:
    # The stripe library encodes arrays as key[0], key[1], ...; metadata keys
    # are free-form, so a metadata hash is never taken for an array.
    if isinstance(value, dict):
        value = {k: _listify(v, k) for k, v in value.items()}
        if key != "metadata" and value and all(k.isdigit() for k in value):
            return [value[k] for k in sorted(value, key=int)]
    return value


def parse_form(body: str | bytes) -> dict:
    """Decode a Stripe-style form body into nested dicts and lists.

    Values stay strings, as Stripe receives them.
    """
    if isinstance(body, bytes):
        body = body.decode("utf-8")
    result: dict = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        parts = _split_key(key)
        node = result
        for i, part in enumerate(parts[:-1]):
            nxt = parts[i + 1]
            if nxt == "":
                node = node.setdefault(part, [])
                break
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ValueError(f"conflicting form keys at {key!r}")
        else:
            node[parts[-1]] = value
            continue
        node.append(value)
    return _listify(result)


# --------------------------------------------------------------------------
# Webhooks


def sign_webhook_payload(payload: bytes | str, secret: str, timestamp: int | None = None) -> str:
    """Return a ``Stripe-Signature`` header value for ``payload``."""
    if isinstance(payload, bytes):
        payload = payload.decode("utf-8")
    t = int(time.time()) if timestamp is None else int(timestamp)
    mac = hmac.new(secret.encode("utf-8"), f"{t}.{payload}".encode("utf-8"), hashlib.sha256)
    return f"t={t},v1={mac.hexdigest()}"


def make_event(
    type: str,
    data_object: dict,
    account: str | None = None,
    livemode: bool = False,
    previous_attributes: dict | None = None,
) -> dict:
    """Build an event dict in Stripe's shape.

    Like Stripe, the ``account`` key is present only for events of a connected
    account (read it with ``event.get("account")``).
    """
    data: dict = {"object": copy.deepcopy(data_object)}
    if previous_attributes is not None:
        data["previous_attributes"] = copy.deepcopy(previous_attributes)
    event = {
        "id": new_id("evt"),
        "object": "event",
        "api_version": API_VERSION,
        "created": int(time.time()),
        "data": data,
        "livemode": livemode,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": type,
    }
    if account is not None:
        event["account"] = account
    return event


def deliver_event(event: dict, url: str, secret: str, timeout: float = 10.0) -> int:
    """POST ``event`` to ``url`` signed with ``secret``; return the HTTP status."""
    payload = json.dumps(event).encode("utf-8")
    request = urllib.request.Request(
        url,
        data=payload,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "Stripe-Signature": sign_webhook_payload(payload, secret),
            "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


# --------------------------------------------------------------------------
# Responses and errors


@dataclass
class Response:
    status: int
    body: bytes
    headers: dict = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, obj: Any, headers: dict | None = None) -> "Response":
        return cls(
            status,
            json.dumps(obj).encode("utf-8"),
            {"Content-Type": "application/json", **(headers or {})},
        )


class StripeError(Exception):
    """An error answered in Stripe's shape.

    ``stored`` says whether the endpoint had started executing, i.e. whether
    Stripe would save it under the idempotency key (parameter validation
    failures are not saved).
    """

    def __init__(self, status, type, message, code=None, param=None, stored=True):
        super().__init__(message)
        self.status = status
        self.type = type
        self.message = message
        self.code = code
        self.param = param
        self.stored = stored

    def body(self) -> dict:
        error = {"type": self.type, "message": self.message}
        if self.code:
            error["code"] = self.code
        if self.param:
            error["param"] = self.param
        return {"error": error}

    def response(self) -> Response:
        return Response.json(self.status, self.body())


def _invalid(message, code=None, param=None, stored=True, status=400):
    return StripeError(status, "invalid_request_error", message, code, param, stored)


def _missing(param):
    return _invalid(f"Missing required param: {param}.", "parameter_missing", param, stored=False)


def _no_such(kind, obj_id, param="id"):
    return _invalid(f"No such {kind}: '{obj_id}'", "resource_missing", param, status=404)


def _error_type_for(status: int) -> str:
    if status == 429:
        return "rate_limit_error"
    if status >= 500:
        return "api_error"
    return "invalid_request_error"


# --------------------------------------------------------------------------
# Faults and rate limiting


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


# --------------------------------------------------------------------------
# The fake


@dataclass
class _Ctx:
    method: str
    path: str
    stripe_account: str | None
    idempotency_key: str | None


class FakeStripe:
    """In-memory Stripe served over HTTP.

    ``FakeStripe().start()`` serves on a free port in a daemon thread; use
    ``.url`` as the StripeClient base address.  All state sits behind one lock.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        rate_limit_per_second: float | None = None,
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
        initial_balance: dict | None = None,
        public_url: str | None = None,
        verbose: bool = False,
    ):
        self.host = host
        self.port = port
        self.rate_limit_per_second = rate_limit_per_second
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret
        self.initial_balance = dict(
            initial_balance or {c: DEFAULT_BALANCE for c in DEFAULT_CURRENCIES}
        )
        self.public_url = public_url
        self.verbose = verbose
        self.lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._webhook_queue: queue.Queue = queue.Queue()
        self._webhook_thread: threading.Thread | None = None
        self._routes = self._build_routes()
        self._reset_state()

    # ---- lifecycle -------------------------------------------------------

    def start(self) -> "FakeStripe":
        server = ThreadingHTTPServer((self.host, self.port), _Handler)
        server.daemon_threads = True
        server.block_on_close = False
        server.fake = self  # type: ignore[attr-defined]
        self._server = server
        self.port = server.server_address[1]
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-stripe", daemon=True
        )
        self._thread.start()
        self._webhook_thread = threading.Thread(
            target=self._webhook_worker, name="fake-stripe-webhooks", daemon=True
        )
        self._webhook_thread.start()
        return self

    def serve_forever(self) -> None:
        """Run in the foreground until interrupted (used by ``__main__``)."""
        if self._server is None:
            self.start()
        try:
            while self._thread and self._thread.is_alive():
                self._thread.join(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._webhook_thread is not None:
            self._webhook_queue.put(None)
            self._webhook_thread.join(2)
            self._webhook_thread = None

    def __enter__(self) -> "FakeStripe":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The address put in account links (what a browser should open)."""
        return (self.public_url or self.url).rstrip("/")

    # ---- state -----------------------------------------------------------

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

    # ---- control -------------------------------------------------------

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

    def set_balance(self, currency: str, amount: int) -> None:
        with self.lock:
            self.balance_available[currency.lower()] = int(amount)

    def create_account(
        self,
        email: str | None = None,
        country: str = "US",
        enabled: bool = False,
        account_id: str | None = None,
        metadata: dict | None = None,
    ) -> dict:
        """Create an Express-style account directly (no HTTP, no event).

        ``account_id`` lets demo seeding re-create known ids after a restart.
        """
        with self.lock:
            account = self._new_account(
                {
                    "email": email,
                    "country": country,
                    "metadata": metadata or {},
                    "controller": {"stripe_dashboard": {"type": "express"}},
                    "capabilities": {"transfers": {"requested": "true"}},
                },
                account_id=account_id,
            )
            if enabled:
                self._set_enabled(account)
            return copy.deepcopy(account)

    def enable_account(self, account_id: str) -> dict:
        """Finish onboarding: everything enabled; emits ``account.updated``."""
        with self.lock:
            account = self._account_or_raise(account_id)
            return self._update_account(account, self._set_enabled)

    def disable_account(self, account_id: str, reason: str = "requirements.past_due") -> dict:
        """Disable payouts and transfers; emits ``account.updated``."""

        def apply(acct):
            acct["charges_enabled"] = False
            acct["payouts_enabled"] = False
            acct["capabilities"].setdefault("transfers", "inactive")
            for name in acct["capabilities"]:
                acct["capabilities"][name] = "inactive"
            due = ["external_account"]
            acct["requirements"].update(
                currently_due=due, eventually_due=due, past_due=due, disabled_reason=reason
            )

        with self.lock:
            return self._update_account(self._account_or_raise(account_id), apply)

    def update_account(self, account_id: str, **fields) -> dict:
        """Deep-merge ``fields`` into the account (e.g. ``payouts_enabled=False``,
        ``requirements={"disabled_reason": "rejected.fraud"}``); emits
        ``account.updated``."""
        with self.lock:
            account = self._account_or_raise(account_id)
            return self._update_account(account, lambda a: _deep_merge(a, fields))

    def reverse_transfer(self, transfer_id: str, amount: int | None = None) -> dict:
        """Reverse a transfer as if from the dashboard; emits ``transfer.reversed``."""
        with self.lock:
            return copy.deepcopy(self._reverse(transfer_id, {"amount": amount} if amount else {}))

    # ---- webhooks --------------------------------------------------------

    def configure_webhooks(self, url: str | None, secret: str | None) -> None:
        self.webhook_url = url
        self.webhook_secret = secret

    def deliver_event(self, event: dict, url: str, secret: str) -> int:
        return deliver_event(event, url, secret)

    def send_event(self, type: str, data_object: dict, account: str | None = None) -> dict:
        """Record an event made by hand and queue it for delivery."""
        event = make_event(type, data_object, account=account)
        with self.lock:
            self._record_event(event)
        return event

    def flush_webhooks(self, timeout: float = 5.0) -> bool:
        """Wait until queued webhook deliveries are done; False on timeout."""
        deadline = time.monotonic() + timeout
        while self._webhook_queue.unfinished_tasks:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def _emit(self, type: str, obj: dict, account: str | None = None, previous=None) -> None:
        self._record_event(make_event(type, obj, account=account, previous_attributes=previous))

    def _record_event(self, event: dict) -> None:
        self.events.append(event)
        if self.webhook_url and self.webhook_secret:
            self._webhook_queue.put((event, self.webhook_url, self.webhook_secret))

    def _webhook_worker(self) -> None:
        while True:
            item = self._webhook_queue.get()
            try:
                if item is None:
                    return
                event, url, secret = item
                record = {"event": event["id"], "type": event["type"], "url": url}
                try:
                    record["status"] = deliver_event(event, url, secret)
                except Exception as exc:  # best effort, like a flaky endpoint
                    record["error"] = repr(exc)
                with self.lock:
                    self.deliveries.append(record)
            finally:
                self._webhook_queue.task_done()

    # ---- request handling ------------------------------------------------

    def handle_api(self, method: str, path: str, query: str, body: bytes, headers) -> tuple[Response, float]:
        """Answer one /v1 request; returns the response and a delay to apply."""
        key = headers.get("Idempotency-Key") if method == "POST" else None
        ctx = _Ctx(method, path, headers.get("Stripe-Account"), key)
        entry = {
            "time": time.time(),
            "method": method,
            "path": path,
            "query": query,
            "idempotency_key": key,
            "stripe_account": ctx.stripe_account,
            "params": None,
            "status": None,
            "replayed": False,
            "fault": None,
        }
        with self.lock:
            self._request_log.append(entry)
            response, delay = self._handle_api_locked(ctx, query, body, headers, entry)
            entry["status"] = response.status
        return response, delay

    def _handle_api_locked(self, ctx, query, body, headers, entry) -> tuple[Response, float]:
        if not _api_key(headers.get("Authorization") or "").startswith("sk_test_"):
            error = StripeError(
                401, "authentication_error", "Invalid API Key provided.", "api_key_invalid"
            )
            return error.response(), 0.0

        if self._bucket is not None and not self._bucket.take():
            error = StripeError(
                429,
                "rate_limit_error",
                "Request rate limit exceeded. Learn more about rate limits here "
                "https://stripe.com/docs/rate-limits.",
                "rate_limit",
            )
            return error.response(), 0.0

        fault = self._take_fault(ctx.method, ctx.path)
        if fault is not None:
            entry["fault"] = fault.mode
            if fault.mode == "error_before":
                return fault.error_response(), fault.delay

        try:
            params = parse_form(body if ctx.method == "POST" else query)
        except ValueError as exc:
            return _invalid(str(exc), stored=False).response(), 0.0
        entry["params"] = params

        response = None
        if ctx.idempotency_key:
            scope = (ctx.stripe_account, ctx.idempotency_key)
            stored = self._idempotency.get(scope)
            if stored is not None:
                if (stored["method"], stored["path"], stored["params"]) != (ctx.method, ctx.path, params):
                    error = StripeError(
                        400,
                        "idempotency_error",
                        "Keys for idempotent requests can only be used with the same "
                        "parameters they were first used with. Try using a key other "
                        f"than '{ctx.idempotency_key}' if you meant to execute a "
                        "different request.",
                    )
                    return error.response(), 0.0
                entry["replayed"] = True
                response = Response(
                    stored["status"],
                    stored["body"],
                    {**stored["headers"], "Idempotent-Replayed": "true"},
                )

        if response is None:
            response, store = self._execute(ctx, params)
            if ctx.idempotency_key and store:
                self._idempotency[(ctx.stripe_account, ctx.idempotency_key)] = {
                    "method": ctx.method,
                    "path": ctx.path,
                    "params": params,
                    "status": response.status,
                    "body": response.body,
                    "headers": dict(response.headers),
                }

        if ctx.idempotency_key:
            response.headers["Idempotency-Key"] = ctx.idempotency_key
        if fault is not None and fault.mode == "error_after":
            return fault.error_response(), fault.delay
        return response, fault.delay if fault is not None else 0.0

    def _take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self._faults:
            if fault.matches(method, path):
                fault.count -= 1
                if fault.count <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def _execute(self, ctx: _Ctx, params: dict) -> tuple[Response, bool]:
        for method, pattern, handler in self._routes:
            match = pattern.fullmatch(ctx.path)
            if match and method == ctx.method:
                try:
                    return Response.json(200, handler(ctx, params, *match.groups())), True
                except StripeError as error:
                    return error.response(), error.stored
        error = _invalid(
            f"Unrecognized request URL ({ctx.method}: {ctx.path}).", status=404, stored=False
        )
        return error.response(), False

    def _build_routes(self) -> list[tuple[str, re.Pattern, Callable]]:
        seg = r"([^/]+)"
        table = [
            ("POST", r"/v1/accounts", self._api_create_account),
            ("GET", r"/v1/accounts", self._api_list_accounts),
            ("GET", rf"/v1/accounts/{seg}", self._api_get_account),
            ("POST", rf"/v1/accounts/{seg}", self._api_update_account),
            ("POST", r"/v1/account_links", self._api_create_account_link),
            ("POST", r"/v1/transfers", self._api_create_transfer),
            ("GET", r"/v1/transfers", self._api_list_transfers),
            ("GET", rf"/v1/transfers/{seg}", self._api_get_transfer),
            ("POST", rf"/v1/transfers/{seg}", self._api_update_transfer),
            ("POST", rf"/v1/transfers/{seg}/reversals", self._api_create_reversal),
            ("GET", rf"/v1/transfers/{seg}/reversals", self._api_list_reversals),
            ("GET", r"/v1/balance", self._api_balance),
            ("GET", r"/v1/events", self._api_list_events),
            ("GET", rf"/v1/events/{seg}", self._api_get_event),
        ]
        return [(m, re.compile(p), h) for m, p, h in table]

    # ---- accounts --------------------------------------------------------

    def _account_or_raise(self, account_id: str, param: str = "id") -> dict:
        account = self.accounts.get(account_id)
        if account is None:
            raise _no_such("account", account_id, param)
        return account

    def _new_account(self, params: dict, account_id: str | None = None) -> dict:
        controller = dict(params.get("controller") or {})
        dashboard = (controller.get("stripe_dashboard") or {}).get("type")
        account_type = params.get("type") or {"express": "express", "full": "standard"}.get(
            dashboard, "custom" if controller else "express"
        )
        if controller:
            controller.update(is_controller=True, type="application")
        country = (params.get("country") or "US").upper()
        capabilities = {
            name: "inactive"
            for name, spec in (params.get("capabilities") or {}).items()
            if isinstance(spec, dict) and str(spec.get("requested")).lower() == "true"
        }
        account = {
            "id": account_id or new_id("acct"),
            "object": "account",
            "business_profile": params.get("business_profile") or {},
            "business_type": params.get("business_type"),
            "capabilities": capabilities,
            "charges_enabled": False,
            "controller": controller,
            "country": country,
            "created": int(time.time()),
            "default_currency": params.get("default_currency")
            or COUNTRY_CURRENCY.get(country, "eur"),
            "details_submitted": False,
            "email": params.get("email"),
            "livemode": False,
            "metadata": _clean_metadata(params.get("metadata") or {}),
            "payouts_enabled": False,
            "requirements": {
                "alternatives": [],
                "current_deadline": None,
                "currently_due": list(NEW_ACCOUNT_REQUIREMENTS),
                "disabled_reason": "requirements.past_due",
                "errors": [],
                "eventually_due": list(NEW_ACCOUNT_REQUIREMENTS),
                "past_due": list(NEW_ACCOUNT_REQUIREMENTS),
                "pending_verification": [],
            },
            "tos_acceptance": {"date": None},
            "type": account_type,
        }
        self.accounts[account["id"]] = account
        self._register(account["id"])
        return account

    def _set_enabled(self, account: dict) -> None:
        account["details_submitted"] = True
        account["charges_enabled"] = True
        account["payouts_enabled"] = True
        account["capabilities"]["transfers"] = "active"
        for name in account["capabilities"]:
            account["capabilities"][name] = "active"
        account["requirements"].update(
            currently_due=[], eventually_due=[], past_due=[], pending_verification=[],
            errors=[], disabled_reason=None,
        )
        account["tos_acceptance"] = {"date": int(time.time()), "ip": "127.0.0.1"}

    def _update_account(self, account: dict, apply: Callable[[dict], None]) -> dict:
        before = copy.deepcopy(account)
        apply(account)
        previous = {k: v for k, v in before.items() if account.get(k) != v}
        if previous:
            self._emit("account.updated", account, account=account["id"], previous=previous)
        return copy.deepcopy(account)

    def _api_create_account(self, ctx, params):
        return self._new_account(params)

    def _api_get_account(self, ctx, params, account_id):
        return self._account_or_raise(account_id)

    def _api_list_accounts(self, ctx, params):
        return self._paginate(list(self.accounts.values()), params, "/v1/accounts")

    def _api_update_account(self, ctx, params, account_id):
        account = self._account_or_raise(account_id)

        def apply(acct):
            if "metadata" in params:
                acct["metadata"] = _merge_metadata(acct["metadata"], params["metadata"])
            for name in ("email", "business_type", "default_currency"):
                if name in params:
                    acct[name] = params[name] or None
            if isinstance(params.get("business_profile"), dict):
                acct["business_profile"].update(params["business_profile"])

        return self._update_account(account, apply)

    def _api_create_account_link(self, ctx, params):
        for name in ("account", "type"):
            if not params.get(name):
                raise _missing(name)
        if params["type"] not in ("account_onboarding", "account_update"):
            raise _invalid(
                "Invalid type: must be one of account_onboarding or account_update",
                "parameter_invalid", "type", stored=False,
            )
        self._account_or_raise(params["account"], "account")
        link_id = new_id("acctlink")
        now = int(time.time())
        self.account_links[link_id] = {
            "account": params["account"],
            "refresh_url": params.get("refresh_url"),
            "return_url": params.get("return_url"),
            "type": params["type"],
            "expires_at": now + ACCOUNT_LINK_TTL,
            "used": False,
        }
        return {
            "object": "account_link",
            "created": now,
            "expires_at": now + ACCOUNT_LINK_TTL,
            "url": f"{self.base_url}/connect/onboarding/{link_id}",
        }

    # ---- transfers -------------------------------------------------------

    def _transfer_or_raise(self, transfer_id: str) -> dict:
        transfer = self._transfers.get(transfer_id)
        if transfer is None:
            raise _no_such("transfer", transfer_id)
        return transfer

    def _api_create_transfer(self, ctx, params):
        for name in ("amount", "currency", "destination"):
            if params.get(name) in (None, ""):
                raise _missing(name)
        amount = _positive_int(params["amount"], "amount")
        currency = _currency(params["currency"])
        destination = self.accounts.get(params["destination"])
        if destination is None:
            raise _invalid(
                f"No such destination: '{params['destination']}'", "resource_missing", "destination"
            )
        if destination["capabilities"].get("transfers") != "active":
            raise _invalid(
                "Your destination account needs to have at least one of the following "
                "capabilities enabled: transfers, crypto_transfers, legacy_payments",
                "insufficient_capabilities_for_transfer",
                "destination",
            )
        if self.balance_available.get(currency, 0) < amount:
            raise _invalid(
                "You have insufficient available funds in your Stripe account. Try "
                "adding funds directly to your available balance by creating Charges "
                "using the 4000000000000077 test card.",
                "balance_insufficient",
            )
        self.balance_available[currency] -= amount
        acct_balance = self.account_balances.setdefault(destination["id"], {})
        acct_balance[currency] = acct_balance.get(currency, 0) + amount
        transfer_id = new_id("tr")
        transfer = {
            "id": transfer_id,
            "object": "transfer",
            "amount": amount,
            "amount_reversed": 0,
            "balance_transaction": new_id("txn"),
            "created": int(time.time()),
            "currency": currency,
            "description": params.get("description") or None,
            "destination": destination["id"],
            "destination_payment": new_id("py"),
            "livemode": False,
            "metadata": _clean_metadata(params.get("metadata") or {}),
            "reversals": {
                "object": "list",
                "data": [],
                "has_more": False,
                "total_count": 0,
                "url": f"/v1/transfers/{transfer_id}/reversals",
            },
            "reversed": False,
            "source_transaction": None,
            "source_type": "card",
            "transfer_group": params.get("transfer_group") or None,
        }
        self._transfers[transfer_id] = transfer
        self._register(transfer_id)
        self._emit("transfer.created", transfer)
        return transfer

    def _api_get_transfer(self, ctx, params, transfer_id):
        return self._transfer_or_raise(transfer_id)

    def _api_update_transfer(self, ctx, params, transfer_id):
        transfer = self._transfer_or_raise(transfer_id)
        before = copy.deepcopy(transfer)
        if "metadata" in params:
            transfer["metadata"] = _merge_metadata(transfer["metadata"], params["metadata"])
        if "description" in params:
            transfer["description"] = params["description"] or None
        previous = {k: v for k, v in before.items() if transfer.get(k) != v}
        if previous:
            self._emit("transfer.updated", transfer, previous=previous)
        return transfer

    def _api_list_transfers(self, ctx, params):
        items = list(self._transfers.values())
        for name in ("transfer_group", "destination"):
            if params.get(name):
                items = [t for t in items if t[name] == params[name]]
        if "created" in params:
            items = [t for t in items if _created_matches(t["created"], params["created"])]
        return self._paginate(items, params, "/v1/transfers")

    def _reverse(self, transfer_id: str, params: dict) -> dict:
        transfer = self._transfer_or_raise(transfer_id)
        remaining = transfer["amount"] - transfer["amount_reversed"]
        amount = (
            remaining if params.get("amount") in (None, "") else _positive_int(params["amount"], "amount")
        )
        if amount > remaining:
            raise _invalid(
                f"You have already reversed {transfer['amount_reversed']} of this transfer; "
                f"at most {remaining} more can be reversed.",
                "amount_too_large" if remaining else "transfer_already_reversed",
                "amount",
            )
        before = copy.deepcopy(transfer)
        reversal = {
            "id": new_id("trr"),
            "object": "transfer_reversal",
            "amount": amount,
            "balance_transaction": new_id("txn"),
            "created": int(time.time()),
            "currency": transfer["currency"],
            "destination_payment_refund": new_id("pyr"),
            "metadata": _clean_metadata(params.get("metadata") or {}),
            "source_refund": None,
            "transfer": transfer_id,
        }
        self._reversals[reversal["id"]] = reversal
        self._register(reversal["id"])
        transfer["amount_reversed"] += amount
        # Like Stripe: `reversed` only once the transfer is fully reversed.
        transfer["reversed"] = transfer["amount_reversed"] >= transfer["amount"]
        transfer["reversals"]["data"].insert(0, reversal)
        transfer["reversals"]["total_count"] += 1
        currency = transfer["currency"]
        self.balance_available[currency] = self.balance_available.get(currency, 0) + amount
        acct_balance = self.account_balances.setdefault(transfer["destination"], {})
        acct_balance[currency] = acct_balance.get(currency, 0) - amount
        previous = {
            k: before[k] for k in ("amount_reversed", "reversed", "reversals") if before[k] != transfer[k]
        }
        self._emit("transfer.reversed", transfer, previous=previous)
        return reversal

    def _api_create_reversal(self, ctx, params, transfer_id):
        return self._reverse(transfer_id, params)

    def _api_list_reversals(self, ctx, params, transfer_id):
        transfer = self._transfer_or_raise(transfer_id)
        return self._paginate(
            transfer["reversals"]["data"], params, f"/v1/transfers/{transfer_id}/reversals"
        )

    # ---- balance and events ---------------------------------------------

    def _api_balance(self, ctx, params):
        if ctx.stripe_account:
            if ctx.stripe_account not in self.accounts:
                raise StripeError(
                    403,
                    "invalid_request_error",
                    f"The provided key does not have access to account "
                    f"'{ctx.stripe_account}' (or that account does not exist).",
                    "account_invalid",
                )
            amounts = self.account_balances.get(ctx.stripe_account, {})
        else:
            amounts = self.balance_available
        return {
            "object": "balance",
            "available": [
                {"amount": amt, "currency": cur, "source_types": {"card": amt}}
                for cur, amt in sorted(amounts.items())
            ],
            "connect_reserved": [{"amount": 0, "currency": cur} for cur in sorted(amounts)],
            "livemode": False,
            "pending": [
                {"amount": 0, "currency": cur, "source_types": {"card": 0}} for cur in sorted(amounts)
            ],
        }

    def _api_list_events(self, ctx, params):
        items = self.events
        if params.get("type"):
            items = [e for e in items if e["type"] == params["type"]]
        if "created" in params:
            items = [e for e in items if _created_matches(e["created"], params["created"])]
        # Events are not registered with a sequence number: keep list order.
        return self._paginate(items, params, "/v1/events", ordered=True)

    def _api_get_event(self, ctx, params, event_id):
        for event in self.events:
            if event["id"] == event_id:
                return event
        raise _no_such("event", event_id)

    # ---- lists -----------------------------------------------------------

    def _paginate(self, items: list[dict], params: dict, url: str, ordered: bool = False) -> dict:
        """A Stripe list object, newest first, honouring limit/starting_after/ending_before."""
        limit = params.get("limit", 10)
        try:
            limit = int(limit)
        except (TypeError, ValueError):
            raise _invalid("Invalid integer: limit", "parameter_invalid_integer", "limit", stored=False)
        if not 1 <= limit <= 100:
            raise _invalid(
                "This value must be between 1 and 100 (it is currently "
                f"{limit}).", "parameter_invalid_integer", "limit", stored=False,
            )
        if ordered:
            position = {obj["id"]: i for i, obj in enumerate(items)}
        else:
            position = self._seq
        items = sorted(items, key=lambda o: position[o["id"]], reverse=True)

        def cursor(name):
            obj_id = params[name]
            if obj_id not in position:
                raise _invalid(f"No such object: '{obj_id}'", "resource_missing", name, stored=False)
            return position[obj_id]

        if params.get("starting_after"):
            pos = cursor("starting_after")
            items = [o for o in items if position[o["id"]] < pos]
            page, has_more = items[:limit], len(items) > limit
        elif params.get("ending_before"):
            pos = cursor("ending_before")
            items = [o for o in items if position[o["id"]] > pos]
            page, has_more = items[-limit:], len(items) > limit
        else:
            page, has_more = items[:limit], len(items) > limit
        return {"object": "list", "data": page, "has_more": has_more, "url": url}

    # ---- onboarding pages ------------------------------------------------

    def handle_onboarding(self, method: str, link_id: str) -> Response:
        with self.lock:
            self._request_log.append(
                {"time": time.time(), "method": method, "path": f"/connect/onboarding/{link_id}",
                 "query": "", "idempotency_key": None, "stripe_account": None, "params": None,
                 "status": None, "replayed": False, "fault": None}
            )
            entry = self._request_log[-1]
            response = self._onboarding_locked(method, link_id)
            entry["status"] = response.status
            return response

    def _onboarding_locked(self, method: str, link_id: str) -> Response:
        link = self.account_links.get(link_id)
        if link is None:
            return _html(404, "<h1>Unknown or invalid onboarding link</h1>")
        if link["used"] or time.time() > link["expires_at"]:
            return _redirect(link["refresh_url"])
        account = self.accounts[link["account"]]
        if method == "POST":
            link["used"] = True
            self._update_account(account, self._set_enabled)
            return _redirect(link["return_url"])
        esc = html.escape
        body = f"""
<h1>Fake Stripe onboarding</h1>
<p>Account <code>{esc(account['id'])}</code> ({esc(account.get('email') or 'no e-mail')})</p>
<form method="post" action="/connect/onboarding/{esc(link_id)}">
  <button type="submit">Complete onboarding</button>
</form>
<p><a href="{esc(link['return_url'] or '')}">Leave</a> (back to the platform without finishing)</p>
<p><a href="{esc(link['refresh_url'] or '')}">Simulate an expired link</a></p>
"""
        return _html(200, body)


# --------------------------------------------------------------------------
# Helpers


def _html(status: int, body: str) -> Response:
    page = (
        "<!doctype html><html><head><meta charset=\"utf-8\">"
        "<title>Fake Stripe onboarding</title></head><body>" + body + "</body></html>"
    )
    return Response(status, page.encode("utf-8"), {"Content-Type": "text/html; charset=utf-8"})


def _redirect(location: str | None) -> Response:
    if not location:
        return _html(400, "<h1>No URL to return to</h1>")
    return Response(303, b"", {"Location": location})


def _api_key(authorization: str) -> str:
    # The stripe library sends a Bearer token; curl -u sends Basic "key:".
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() == "bearer":
        return value.strip()
    if scheme.lower() == "basic":
        try:
            return base64.b64decode(value).decode("utf-8").partition(":")[0]
        except (ValueError, UnicodeDecodeError):
            return ""
    return ""


def _positive_int(value: Any, param: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise _invalid(f"Invalid integer: {value}", "parameter_invalid_integer", param, stored=False)
    if number <= 0:
        raise _invalid(
            f"Invalid positive integer: {value}", "parameter_invalid_integer", param, stored=False
        )
    return number


def _currency(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z]{3}", value):
        raise _invalid(f"Invalid currency: {value}", "parameter_invalid", "currency", stored=False)
    return value.lower()


def _clean_metadata(metadata: Any) -> dict:
    if not isinstance(metadata, dict):
        raise _invalid("Invalid metadata: must be a hash", "parameter_invalid", "metadata", stored=False)
    return {str(k): str(v) for k, v in metadata.items() if v != ""}


def _merge_metadata(current: dict, update: Any) -> dict:
    # Stripe: metadata="" clears all keys, metadata[key]="" removes one key.
    if update == "":
        return {}
    merged = dict(current)
    for k, v in (update or {}).items():
        if v == "":
            merged.pop(k, None)
        else:
            merged[k] = str(v)
    return merged


def _created_matches(created: int, spec: Any) -> bool:
    try:
        if isinstance(spec, dict):
            ops = {"gt": int.__gt__, "gte": int.__ge__, "lt": int.__lt__, "lte": int.__le__}
            return all(ops[op](created, int(v)) for op, v in spec.items() if op in ops)
        return created == int(spec)
    except (TypeError, ValueError):
        raise _invalid("Invalid integer in created filter", "parameter_invalid_integer", "created", stored=False)


def _deep_merge(target: dict, update: dict) -> None:
    for k, v in update.items():
        if isinstance(v, dict) and isinstance(target.get(k), dict):
            _deep_merge(target[k], v)
        else:
            target[k] = copy.deepcopy(v)


# --------------------------------------------------------------------------
# HTTP plumbing


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeStripe/1.0"
    # Headers and body go out in two writes; without this, Nagle + delayed ACK
    # add ~40 ms to every keep-alive request.
    disable_nagle_algorithm = True

    @property
    def fake(self) -> FakeStripe:
        return self.server.fake  # type: ignore[attr-defined]

    def log_message(self, format, *args):
        if self.fake.verbose:
            super().log_message(format, *args)

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_DELETE(self):
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        parts = urlsplit(self.path)
        path = parts.path
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        delay = 0.0
        try:
            if path.startswith("/_fake/"):
                response = self._control(method, path, body)
            elif path.startswith("/connect/onboarding/") and method in ("GET", "POST"):
                response = self.fake.handle_onboarding(method, path.rsplit("/", 1)[-1])
            elif path.startswith("/v1/"):
                response, delay = self.fake.handle_api(method, path, parts.query, body, self.headers)
            else:
                response = _invalid(
                    f"Unrecognized request URL ({method}: {path}).", status=404
                ).response()
        except Exception as exc:  # a bug in the fake: answer like Stripe's 500
            response = StripeError(500, "api_error", f"Fake Stripe internal error: {exc!r}").response()
        if delay:
            time.sleep(delay)
        self._send(response)

    def _send(self, response: Response) -> None:
        try:
            self.send_response(response.status)
            headers = {"Request-Id": new_id("req"), "Stripe-Version": API_VERSION, **response.headers}
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (e.g. its timeout fired during an injected delay).
            self.close_connection = True

    def _control(self, method: str, path: str, body: bytes) -> Response:
        fake = self.fake
        try:
            data = json.loads(body or b"{}")
        except json.JSONDecodeError:
            return Response.json(400, {"error": "body must be JSON"})
        try:
            if path == "/_fake/faults" and method == "POST":
                fault = fake.inject_fault(**data)
                return Response.json(200, fault.as_dict())
            if path == "/_fake/faults" and method == "DELETE":
                fake.clear_faults()
                return Response.json(200, {"ok": True})
            if path == "/_fake/faults" and method == "GET":
                return Response.json(200, fake.state()["faults"])
            if path == "/_fake/reset" and method == "POST":
                fake.reset()
                return Response.json(200, {"ok": True})
            if path == "/_fake/state" and method == "GET":
                return Response.json(200, fake.state())
            if path == "/_fake/balance" and method == "POST":
                fake.set_balance(data["currency"], data["amount"])
                return Response.json(200, fake.balance())
            if path == "/_fake/webhook" and method == "POST":
                fake.configure_webhooks(data.get("url"), data.get("secret"))
                return Response.json(200, {"ok": True})
            if path == "/_fake/accounts" and method == "POST":
                return Response.json(200, fake.create_account(**data))
            match = re.fullmatch(r"/_fake/accounts/([^/]+)(?:/(enable|disable))?", path)
            if match and method == "POST":
                account_id, action = match.groups()
                if action == "enable":
                    return Response.json(200, fake.enable_account(account_id))
                if action == "disable":
                    return Response.json(200, fake.disable_account(account_id, **data))
                return Response.json(200, fake.update_account(account_id, **data))
            match = re.fullmatch(r"/_fake/transfers/([^/]+)/reverse", path)
            if match and method == "POST":
                return Response.json(200, fake.reverse_transfer(match.group(1), data.get("amount")))
        except StripeError as error:
            return error.response()
        except (TypeError, ValueError, KeyError) as exc:
            return Response.json(400, {"error": f"bad control request: {exc!r}"})
        return Response.json(404, {"error": f"unknown control endpoint {method} {path}"})
