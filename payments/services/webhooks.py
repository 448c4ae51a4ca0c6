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
    """Verify, store and apply one delivery. 400 changes nothing; 500 asks Stripe to deliver again."""
    try:
        gateway.verify_webhook(payload, signature_header)
        event = json.loads(payload)
    except (gateway.InvalidWebhook, ValueError) as error:
        return WebhookResult(400, f"Invalid signature or payload: {error}")
    if not isinstance(event, dict) or not event.get("id") or not event.get("type"):
        return WebhookResult(400, "Not an event.")
    if bool(event.get("livemode")) != bool(settings.STRIPE_LIVEMODE):
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
    return WebhookResult(200, "OK")


def _store_failed(event: dict, message: str) -> None:
    try:
        with transaction.atomic():
            stored = StripeEvent.objects.create(
                event_id=event["id"], type=event["type"], account=event.get("account") or "",
                livemode=bool(event.get("livemode")), payload=event,
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
    actions.RecordBankPayout(SYSTEM, account, status=status, message=message).run()
    return True


HANDLERS = {
    "account.updated": handle_account_updated,
    "transfer.reversed": handle_transfer_reversed,
    "payout.paid": handle_connected_payout,
    "payout.failed": handle_connected_payout,
}
