"""Events and their delivery: Stripe-shaped events, ``Stripe-Signature`` signing, and a background thread
that POSTs each recorded event to the configured endpoint."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request

from .protocol import API_VERSION, new_id


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


class Webhooks:
    """Mixed into ``FakeStripe``: records events in ``self.events`` and queues them for delivery."""

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
