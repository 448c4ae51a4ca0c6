"""Fake Stripe server for tests and the local demo (stdlib only)."""

from .server import (
    API_VERSION,
    Fault,
    FakeStripe,
    Response,
    StripeError,
    deliver_event,
    make_event,
    new_id,
    parse_form,
    sign_webhook_payload,
)

__all__ = [
    "API_VERSION",
    "Fault",
    "FakeStripe",
    "Response",
    "StripeError",
    "deliver_event",
    "make_event",
    "new_id",
    "parse_form",
    "sign_webhook_payload",
]
