"""Stripe webhook events: verified, stored once by id, applied once.

Stripe delivers at least once, out of order, for up to three days. The event id is UNIQUE in the
database and the event is stored in the same transaction that applies it, so a repeated delivery
(even a concurrent one) finds the row and is acknowledged without being applied again. Money state is
changed only from objects re-fetched from Stripe, never from the event body.
"""
from __future__ import annotations

import datetime
import json
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction

from atelier.actions import SYSTEM
from atelier.money import format_money
from payments import actions
from payments import stripe_gateway as gateway
from payments.models import LedgerEntry, Payout, StripeAccount, StripeEvent
from payments.services.accounts import apply_stripe_account

logger = logging.getLogger(__name__)


@dataclass
class WebhookResult:
    status: int
    message: str


def receive_webhook(payload: bytes, signature_header: str) -> WebhookResult:
    """Verify, store and apply one delivery. 400 changes nothing (or stores the event as failed, when it is
    signed but of the wrong shape, so a redelivery is acknowledged); 500 asks Stripe to deliver again."""
    try:
        event = json.loads(payload)
    except (ValueError, RecursionError) as error:  # RecursionError: "[[[[…" nested deeper than Python recurses
        return _refused(f"Invalid payload: {error!r}"[:300])
    if not isinstance(event, dict):
        # Checked before the signature: the Stripe library assumes an object and would raise on anything else.
        return _refused("Not an event.")
    try:
        gateway.verify_webhook(payload, signature_header)
    except gateway.InvalidWebhook as error:
        return WebhookResult(400, f"Invalid signature or payload: {error}")
    except (ValueError, TypeError, AttributeError, KeyError) as error:
        return _refused(f"Invalid payload: {error!r}")
    problem = envelope_problem(event)
    if not problem and b"\\u0000" in payload:
        problem = "it contains a NUL character, which PostgreSQL cannot store"
    if problem:
        return _refused(f"Not an event: {problem}")
    if StripeEvent.objects.filter(event_id=event["id"]).exists():
        return WebhookResult(200, "Already received.")  # a redelivery, even of an event stored as failed
    problem = shape_problem(event)
    if problem:
        _store_failed(event, f"Malformed payload: {problem}")
        return _refused(f"Malformed payload: {problem}", event)
    if event.get("livemode", False) != bool(settings.STRIPE_LIVEMODE):
        return WebhookResult(400, "Event livemode does not match this installation.")
    try:
        with transaction.atomic():
            try:
                with transaction.atomic():
                    stored = StripeEvent.objects.create(
                        event_id=event["id"], type=event["type"], account=event.get("account") or "",
                        livemode=bool(event.get("livemode")), payload=event,
                    )
            except IntegrityError:
                return WebhookResult(200, "Already received.")
            handler = HANDLERS.get(event["type"])
            handled = handler(event) if handler is not None else False
            (actions.ProcessStripeEvent if handled else actions.IgnoreStripeEvent)(SYSTEM, stored).run()
    except gateway.RetryableStripeError as error:
        # Nothing was stored: Stripe will deliver the event again and we will try again.
        logger.warning("Webhook %s not applied yet (Stripe unreachable): %s", event.get("id"), error.message)
        return WebhookResult(500, "Try again later.")
    except gateway.FinalStripeError as error:
        _store_failed(event, error.message)
        return WebhookResult(200, "Stored, could not be applied.")
    except (ValueError, TypeError, AttributeError, KeyError, OverflowError) as error:
        # A shape shape_problem() did not foresee: the same answer as a foreseen one, never a 500 (which
        # Stripe would redeliver for days).
        logger.exception("Webhook %s could not be read", event.get("id"))
        _store_failed(event, f"Malformed payload: {error!r}"[:1000])
        return WebhookResult(400, "Malformed payload.")
    return WebhookResult(200, "OK")


def _refused(message: str, event: dict | None = None) -> WebhookResult:
    logger.warning("Webhook refused (%s): %s", (event or {}).get("id", "no id"), message)
    return WebhookResult(400, message)


# Stripe's ids and the event types are short ASCII strings; amounts fit our BigIntegerField; timestamps fit a date.
_MAX_TIMESTAMP = 253402300799  # 9999-12-31T23:59:59Z
_MAX_AMOUNT = 10**15


def _is_int(value, low, high) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _is_text(value, max_length: int, *, optional: bool = False) -> bool:
    if value is None:
        return optional
    return isinstance(value, str) and 0 < len(value) <= max_length and "\x00" not in value


def envelope_problem(event: dict) -> str:
    """What makes the event impossible to store, in words, or ''."""
    if not _is_text(event.get("id"), 255):
        return "the id is not a string of at most 255 characters"
    if not _is_text(event.get("type"), 100):
        return "the type is not a string of at most 100 characters"
    return ""


def shape_problem(event: dict) -> str:
    """What in a stored-able event is of the wrong shape for the handlers, in words, or ''."""
    if "account" in event and event["account"] is not None and not _is_text(event["account"], 64):
        return "account is not an account id"
    if not isinstance(event.get("livemode", False), bool):
        return "livemode is not true or false"
    if "created" in event and not _is_int(event["created"], 0, _MAX_TIMESTAMP):
        return "created is not a timestamp"
    data = event.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("object"), dict):
        return "data.object is not an object"
    obj = data["object"]
    kind = event["type"]
    if kind == "account.updated":
        if not _is_text(event.get("account") or obj.get("id"), 64):
            return "no account id"
    elif kind == "transfer.reversed":
        if not _is_text(obj.get("id"), 255):
            return "the transfer id is not a string"
        if obj.get("metadata") is not None and not isinstance(obj["metadata"], dict):
            return "metadata is not an object"
    elif kind in ("payout.paid", "payout.failed"):
        if obj.get("amount") is not None and not _is_int(obj["amount"], -_MAX_AMOUNT, _MAX_AMOUNT):
            return "amount is not a whole number in range"
        if obj.get("currency") is not None and not (isinstance(obj["currency"], str) and len(obj["currency"]) == 3
                                                    and obj["currency"].isalpha()):
            return "currency is not a three-letter code"
        if obj.get("arrival_date") is not None and not _is_int(obj["arrival_date"], 0, _MAX_TIMESTAMP):
            return "arrival_date is not a timestamp"
        for key in ("failure_message", "failure_code"):
            if obj.get(key) is not None and not isinstance(obj[key], str):
                return f"{key} is not a string"
    return ""


def _store_failed(event: dict, message: str) -> None:
    account = event.get("account")
    try:
        with transaction.atomic():
            stored = StripeEvent.objects.create(
                event_id=event["id"], type=event["type"],
                account=account if isinstance(account, str) and len(account) <= 64 else "",
                livemode=event.get("livemode") is True, payload=event,
            )
            actions.FailStripeEvent(SYSTEM, stored, error=message).run()
    except IntegrityError:
        pass


def _object(event: dict) -> dict:
    return (event.get("data") or {}).get("object") or {}


def handle_account_updated(event: dict) -> bool:
    account_id = event.get("account") or _object(event).get("id")
    account = StripeAccount.objects.select_for_update().filter(stripe_account_id=account_id).first()
    if account is None:
        return False
    apply_stripe_account(account, gateway.retrieve_account(account.stripe_account_id))  # the system's refresh
    return True


def handle_transfer_reversed(event: dict) -> bool:
    """Credit each reversal back once (source "reversal:<trr id>"), from the transfer as Stripe has it now."""
    transfer_id = _object(event).get("id")
    payout = (
        Payout.objects.select_for_update(of=("self",)).select_related("membership__program")
        .filter(stripe_transfer_id=transfer_id).first()
    )
    if payout is None:
        metadata = _object(event).get("metadata") or {}
        payout_id = metadata.get("payout_id")
        payout = (Payout.objects.select_for_update(of=("self",)).select_related("membership__program")
                  .filter(pk=payout_id).first() if str(payout_id or "").isdigit() else None)
    if payout is None:
        return False
    transfer = gateway.retrieve_transfer(transfer_id)
    reversals = [(r["id"], int(r["amount"])) for r in gateway.list_transfer_reversals(transfer_id)]
    amount_reversed = int(transfer.get("amount_reversed") or 0)
    recorded = set(LedgerEntry.objects.filter(source_key__in=[f"reversal:{rid}" for rid, _ in reversals])
                   .values_list("source_key", flat=True))
    if all(f"reversal:{rid}" in recorded for rid, _ in reversals) and payout.reversed_amount_minor == amount_reversed:
        return True  # nothing new at Stripe
    actions.ReversePayout(SYSTEM, payout, reversals=reversals, amount_reversed=amount_reversed).run()
    return True


def handle_connected_payout(event: dict) -> bool:
    """payout.paid / payout.failed on an artist's connected account: shown on their payout account page."""
    account = StripeAccount.objects.filter(stripe_account_id=event.get("account") or "").first()
    if account is None:
        return False
    newer = StripeEvent.objects.filter(
        account=account.stripe_account_id, type__in=["payout.paid", "payout.failed"],
        status=StripeEvent.Status.PROCESSED, payload__created__gt=int(event.get("created") or 0),
    ).exists()
    if newer:
        return False  # events arrive out of order: a later payout event already set what the artist sees
    obj = _object(event)
    amount = obj.get("amount")
    currency = (obj.get("currency") or "").upper()
    if event["type"] == "payout.paid":
        status = "paid"
        message = f"{format_money(int(amount or 0), currency)} sent to your bank"
        if obj.get("arrival_date"):
            arrival = datetime.datetime.fromtimestamp(int(obj["arrival_date"]), tz=datetime.timezone.utc).date()
            message += f" on {arrival.isoformat()}"
    else:
        status = "failed"
        message = obj.get("failure_message") or obj.get("failure_code") or "Your bank refused the payout."
    message = message[:255]
    actions.RecordBankPayout(SYSTEM, account, status=status, message=message).run()
    return True


HANDLERS = {
    "account.updated": handle_account_updated,
    "transfer.reversed": handle_transfer_reversed,
    "payout.paid": handle_connected_payout,
    "payout.failed": handle_connected_payout,
}
