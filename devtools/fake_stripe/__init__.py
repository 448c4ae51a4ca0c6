"""Fake Stripe server for tests and the local demo (stdlib only; a development tool, not a Django app).

Start one in process with ``FakeStripe().start()`` (or as a context manager), or from a shell with
``python -m devtools.fake_stripe --port 12111``. ``server.py`` says where each part of it lives.
"""

from .faults import Fault
from .protocol import API_VERSION, Response, StripeError, new_id, parse_form
from .server import FakeStripe
from .webhooks import deliver_event, make_event, sign_webhook_payload

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
