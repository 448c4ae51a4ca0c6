"""The /v1 request pipeline: API key, rate limit, injected fault, form decoding, idempotency replay, then
the route table that sends each request to its resource (``resources/``)."""

from __future__ import annotations

import base64
import re
import time
from dataclasses import dataclass
from typing import Callable

from .protocol import Response, StripeError, _invalid, parse_form


@dataclass
class _Ctx:
    method: str
    path: str
    stripe_account: str | None
    idempotency_key: str | None


class Api:
    """Mixed into ``FakeStripe``: answers one /v1 request under ``self.lock``."""

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
