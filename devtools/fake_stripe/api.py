"""The /v1 request pipeline: API key, rate limit, injected fault, form decoding, idempotency replay, then
the route table that sends each request to its resource (``resources/``)."""

from __future__ import annotations

import base64
import re
import time
from dataclasses import dataclass
from typing import Callable

from .protocol import Response, StripeError, _invalid, key_in_use_error, parse_form, rate_limit_error


@dataclass
class _Ctx:
    method: str
    path: str
    stripe_account: str | None
    idempotency_key: str | None


@dataclass
class _Plan:
    fault: object  # the injected Fault for this request, or None

    @property
    def hold(self) -> float:
        return self.fault.delay if self.fault is not None and self.fault.mode == "slow" else 0.0


class Api:
    """Mixed into ``FakeStripe``: answers one /v1 request under ``self.lock``."""

    def handle_api(self, method: str, path: str, query: str, body: bytes, headers) -> tuple[Response, float]:
        """Answer one /v1 request; returns the response and a delay to apply.

        Runs under ``self.lock``, except while a "slow" fault holds a request before executing it: its key
        is then in progress, and another request with the same key gets Stripe's 409.
        """
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
            response, delay, pending = self._admit(ctx, query, body, headers, entry)
            if pending is not None and not pending[0].hold:
                response, delay = self._run(ctx, entry, *pending)
            entry["status"] = response.status if response is not None else None
        if response is None:  # a slow fault: the key stays in progress while the request is held
            try:
                time.sleep(pending[0].hold)
            finally:
                with self.lock:
                    response, delay = self._run(ctx, entry, *pending)
                    entry["status"] = response.status
        return response, delay

    def _admit(self, ctx, query, body, headers, entry):
        """Everything before executing: (response, delay, None) if answered here, else
        (None, 0, (plan, params)) with the key marked in progress."""
        if not _api_key(headers.get("Authorization") or "").startswith("sk_test_"):
            # Stripe's 401 body: type invalid_request_error (the spec's enum has no authentication_error).
            error = StripeError(401, "invalid_request_error", "Invalid API Key provided.", "api_key_invalid")
            return error.response(), 0.0, None

        if self._bucket is not None and not self._bucket.take():
            return rate_limit_error().response(), 0.0, None

        fault = self._take_fault(ctx.method, ctx.path)
        if fault is not None:
            entry["fault"] = fault.mode
            if fault.mode == "error_before":
                return fault.error_response(ctx.idempotency_key), fault.delay, None

        try:
            params = parse_form(body if ctx.method == "POST" else query)
        except ValueError as exc:
            return _invalid(str(exc), stored=False).response(), 0.0, None
        entry["params"] = params

        if ctx.idempotency_key:
            scope = (ctx.stripe_account, ctx.idempotency_key)
            if scope in self._in_progress:
                # Stripe: a request whose key another request is still executing is refused, not stored.
                return key_in_use_error(ctx.idempotency_key).response(), 0.0, None
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
                    return error.response(), 0.0, None
                entry["replayed"] = True
                response = Response(
                    stored["status"],
                    stored["body"],
                    {**stored["headers"], "Idempotent-Replayed": "true",
                     "Idempotency-Key": ctx.idempotency_key},
                )
                if fault is not None and fault.mode == "error_after":
                    return fault.error_response(ctx.idempotency_key), fault.delay, None
                return response, fault.delay if fault is not None else 0.0, None
            self._in_progress.add(scope)
        return None, 0.0, (_Plan(fault), params)

    def _run(self, ctx, entry, plan, params) -> tuple[Response, float]:
        """Execute, store the answer under the key, and apply an "after" fault (under ``self.lock``)."""
        fault = plan.fault
        scope = (ctx.stripe_account, ctx.idempotency_key)
        try:
            response, store = self._execute(ctx, params)
            if fault is not None and fault.mode == "error_stored":
                # Stripe's own 500 once execution began: the error is what the key keeps and replays.
                response, store = fault.error_response(ctx.idempotency_key), True
                response.headers["Stripe-Should-Retry"] = "false"
            if ctx.idempotency_key and store:
                self._idempotency[scope] = {
                    "method": ctx.method,
                    "path": ctx.path,
                    "params": params,
                    "status": response.status,
                    "body": response.body,
                    "headers": dict(response.headers),
                }
        finally:
            self._in_progress.discard(scope)
        if ctx.idempotency_key:
            response.headers["Idempotency-Key"] = ctx.idempotency_key
        if fault is not None and fault.mode == "error_after":
            return fault.error_response(ctx.idempotency_key), fault.delay
        delay = fault.delay if fault is not None and fault.mode != "slow" else 0.0
        return response, delay

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
