"""Payout runs: created in one transaction, approved by a second finance user, sent as one Stripe Transfer
per payout (never twice), and failed payouts retried or cancelled one by one.

How a payout can never be paid twice:
- each payout row is committed before any Stripe call, and every call for it carries the same
  idempotency key (`atelier-payout-<id>`, plus `-<n>` for the n-th explicit retry after a final failure,
  since Stripe stores a final 400 under its key);
- a worker sends a payout only while holding its row lock (`SELECT … FOR UPDATE SKIP LOCKED`), so two
  workers never send the same payout at once, and a killed worker's lock goes with its connection;
- only connection errors, 429 and 5xx are retried, always with the same key and parameters; past
  STRIPE_RESEND_WINDOW_HOURS after the first attempt (Stripe keeps keys ~24 h) a payout is not re-sent
  but marked "unknown" for reconciliation to settle.
"""
from __future__ import annotations

import contextlib
import datetime
import logging
import queue
import random
import threading
import time

from django.conf import settings
from django.db import connection, connections, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from atelier.actions import SYSTEM
from atelier.errors import ActionRefused
from payments import actions
from payments import stripe_gateway as gateway
from payments.models import LedgerEntry, Payout, PayoutRun
from payments.services.ledger import record_entry, record_payout_failed
from testers.models import Program

logger = logging.getLogger(__name__)

OPEN_STATUSES = (Payout.Status.PENDING, Payout.Status.SENDING)
SENDABLE_RUN_STATUSES = (PayoutRun.Status.SENDING, PayoutRun.Status.COMPLETED,
                         PayoutRun.Status.COMPLETED_WITH_FAILURES)


# --- creating, approving, cancelling a run (thin wrappers of the actions, for tasks, commands and tests) -----

def create_payout_run(*, program: Program, period_start: datetime.date, period_end: datetime.date, by) -> PayoutRun:
    """The `payments.payout_run.created` action: payouts, skips and ledger debits in one transaction."""
    return actions.CreatePayoutRun(by, program, period_start=period_start, period_end=period_end).run()


def approve_payout_run(run: PayoutRun, *, by) -> PayoutRun:
    """The `payments.payout_run.approved` action: a second finance user approves; sending starts on commit."""
    return actions.ApprovePayoutRun(by, run).run()


def cancel_payout_run(run: PayoutRun, *, by) -> PayoutRun:
    """The `payments.payout_run.cancelled` action: every payout is cancelled and credited back."""
    return actions.CancelPayoutRun(by, run).run()


# --- pacing -------------------------------------------------------------------------------------------------

class TokenBucket:
    """Blocking token bucket: `take()` returns when a request may go out (thread-safe, per process)."""

    def __init__(self, rate: float):
        self.rate = max(float(rate), 0.1)
        self.capacity = max(1.0, self.rate)
        self.tokens = self.capacity
        self.updated = time.monotonic()
        self.lock = threading.Lock()

    def take(self) -> None:
        while True:
            with self.lock:
                now = time.monotonic()
                self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
                self.updated = now
                if self.tokens >= 1:
                    self.tokens -= 1
                    return
                wait = (1 - self.tokens) / self.rate
            time.sleep(wait)


_buckets: dict[float, TokenBucket] = {}
_buckets_lock = threading.Lock()


def transfer_bucket() -> TokenBucket:
    rate = float(settings.STRIPE_TRANSFERS_PER_SECOND)
    with _buckets_lock:
        if rate not in _buckets:
            _buckets[rate] = TokenBucket(rate)
        return _buckets[rate]


# --- sending -----------------------------------------------------------------------------------------------

@contextlib.contextmanager
def run_lease(run_id: int):
    """One sender per run at a time (PostgreSQL session advisory lock, freed if the worker dies).

    Correctness does not depend on it (payout row locks do that); it keeps a duplicated task from
    doubling the request rate. SQLite (the embedded default) runs tasks in process: no lease needed.
    """
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [5150, int(run_id)])
        got = cursor.fetchone()[0]
    try:
        yield got
    finally:
        if got:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [5150, int(run_id)])


def send_run(run_id: int) -> int:
    """Send every open payout of an approved run; returns how many are still open (to try again later)."""
    run = PayoutRun.objects.filter(pk=run_id).first()
    if run is not None and run.status == PayoutRun.Status.APPROVED:
        try:
            actions.StartSendingPayoutRun(SYSTEM, run).run()
        except ActionRefused:
            pass  # another worker started it meanwhile
        run = PayoutRun.objects.filter(pk=run_id).first()
    if run is None or run.status not in SENDABLE_RUN_STATUSES:
        return 0
    with run_lease(run_id) as got:
        if not got:
            return 0  # another worker is sending this run right now
        payout_ids = list(run.payouts.filter(status__in=OPEN_STATUSES).order_by("pk").values_list("pk", flat=True))
        _send_all(payout_ids)
    finish_run_if_done(run_id)
    return Payout.objects.filter(run_id=run_id, status__in=OPEN_STATUSES).count()


def _send_all(payout_ids: list[int]) -> None:
    """Send payouts with STRIPE_SEND_CONCURRENCY threads sharing the token bucket, so a run goes at the
    configured rate even though each Stripe call takes a few hundred milliseconds. Threads need committed
    rows and their own connections: inside a transaction (the demo seed, tests) or on SQLite, one at a time."""
    workers = min(int(settings.STRIPE_SEND_CONCURRENCY), len(payout_ids))
    if workers <= 1 or connection.vendor != "postgresql" or connection.in_atomic_block:
        for payout_id in payout_ids:
            send_payout(payout_id)
        return
    pending: queue.SimpleQueue = queue.SimpleQueue()
    for payout_id in payout_ids:
        pending.put(payout_id)
    errors: list[BaseException] = []

    def work():
        try:
            while not errors:
                try:
                    payout_id = pending.get_nowait()
                except queue.Empty:
                    return
                send_payout(payout_id)
        except BaseException as error:  # noqa: BLE001 (re-raised in the calling thread)
            errors.append(error)
        finally:
            connections.close_all()  # this thread's connections only

    threads = [threading.Thread(target=work, name=f"payout-sender-{i}", daemon=True) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def _generation(payout: Payout) -> int:
    """How many times this payout was debited (1, plus one per retry after a final failure)."""
    return LedgerEntry.objects.filter(payout=payout, kind=LedgerEntry.Kind.PAYOUT).count()


def idempotency_key_for(payout: Payout, generation: int) -> str:
    return payout.idempotency_key if generation <= 1 else f"{payout.idempotency_key}-{generation}"


def transfer_metadata(payout: Payout) -> dict:
    return {"payout_id": payout.pk, "run_id": payout.run_id, "artist_id": payout.membership.artist_id,
            "membership_id": payout.membership_id, "program_id": payout.run.program_id}


def _locked_payout(payout_id: int, statuses):
    return (
        Payout.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("run", "stripe_account", "membership__program")
        .filter(pk=payout_id, status__in=statuses).first()
    )


def send_payout(payout_id: int) -> str:
    """Send one payout to Stripe, or settle why not. Safe to call twice, from any number of workers.

    Returns what happened: "paid", "failed", "unknown", "retry_later" or "skipped".
    """
    window = datetime.timedelta(hours=settings.STRIPE_RESEND_WINDOW_HOURS)
    # Claim: pending -> sending, and note when the first attempt with this key was made.
    with transaction.atomic():
        payout = _locked_payout(payout_id, OPEN_STATUSES)
        if payout is None or payout.run.status not in SENDABLE_RUN_STATUSES:
            return "skipped"
        if payout.status == Payout.Status.PENDING:
            actions.SendPayout(SYSTEM, payout).run()  # re-locks the row this transaction holds
    # Send while holding the row lock: a second worker skips this payout until we are done.
    with transaction.atomic():
        payout = _locked_payout(payout_id, [Payout.Status.SENDING])
        if payout is None:
            return "skipped"
        if payout.first_sent_at and timezone.now() - payout.first_sent_at > window:
            _settle(payout, Payout.Status.UNKNOWN,
                    "No answer from Stripe within the idempotency window: not sent again. "
                    "Reconciliation will look for the transfer.")
            outcome = "unknown"
        else:
            outcome = _attempt_transfer(payout)
    if outcome in ("paid", "failed", "unknown"):
        finish_run_if_done(payout.run_id)
    return outcome


def _attempt_transfer(payout: Payout) -> str:
    generation = _generation(payout)
    key = idempotency_key_for(payout, generation)
    max_attempts = max(1, settings.STRIPE_MAX_ATTEMPTS)
    bucket = transfer_bucket()
    for attempt in range(1, max_attempts + 1):
        bucket.take()
        payout.attempts += 1
        payout.last_attempt_at = timezone.now()
        try:
            transfer = gateway.create_transfer(
                amount=payout.amount_minor, currency=payout.currency,
                destination=payout.stripe_account.stripe_account_id, transfer_group=payout.run.transfer_group,
                metadata=transfer_metadata(payout), idempotency_key=key,
                description=f"Atelier payout {payout.pk} ({payout.run.program.name})",
            )
        except gateway.RetryableStripeError as error:
            if attempt < max_attempts:
                backoff = settings.STRIPE_RETRY_BACKOFF_SECONDS * (2 ** (attempt - 1))
                time.sleep(backoff * (1 + random.random() / 2))
                continue
            payout.failure_message = f"Stripe did not answer ({error.message}); it will be tried again."[:2000]
            payout.save(update_fields=["attempts", "last_attempt_at", "failure_message"])
            logger.warning("Payout %s: retryable error after %s attempts: %s", payout.pk, attempt, error.message)
            return "retry_later"
        except gateway.FinalStripeError as error:
            if error.is_idempotency_error:
                # A bug: the key was used with other parameters. The first request may have paid.
                logger.error("Payout %s: idempotency error from Stripe: %s", payout.pk, error.message)
                _settle(payout, Payout.Status.UNKNOWN, f"Idempotency error (check reconciliation): {error.message}")
                return "unknown"
            _settle(payout, Payout.Status.FAILED, error.message or "Stripe refused the transfer.",
                    generation=generation)
            return "failed"
        actions.PayoutPaid(SYSTEM, payout, transfer_id=transfer["id"], attempts=payout.attempts,
                           last_attempt_at=payout.last_attempt_at).run()
        return "paid"
    return "retry_later"  # pragma: no cover (the loop always returns)


def _settle(payout: Payout, status: str, message: str, *, generation: int | None = None) -> None:
    """Record a payout failed (credited back once per debit) or unknown (left for reconciliation)."""
    action = actions.PayoutFailed if status == Payout.Status.FAILED else actions.PayoutUnknown
    action(SYSTEM, payout, message=message, generation=generation, attempts=payout.attempts,
           last_attempt_at=payout.last_attempt_at).run()


def credit_back(payout: Payout, generation: int) -> None:
    """Put a failed payout's amount back on the artist's balance, once per debit ("payout-failed:<id>[:n]")."""
    if generation <= 1:
        record_payout_failed(payout)
        return
    record_entry(
        membership=payout.membership, kind=LedgerEntry.Kind.PAYOUT_FAILED, amount_minor=payout.amount_minor,
        currency=payout.currency, source_key=f"payout-failed:{payout.pk}:{generation}",
        work_date=timezone.localdate(), payout=payout,
        description=f"Payout of run {payout.run_id} did not go through (retry {generation - 1}): credited back",
    )


def finish_run_if_done(run_id: int) -> None:
    """A run with no open payout left ends completed (all paid) or completed with failures."""
    with transaction.atomic():
        run = PayoutRun.objects.select_for_update().filter(pk=run_id, status__in=SENDABLE_RUN_STATUSES).first()
        if run is None:
            return
        counts = dict(run.payouts.order_by().values("status").annotate(n=Count("pk")).values_list("status", "n"))
        if any(counts.get(s) for s in OPEN_STATUSES):
            return
        all_paid = set(counts) <= {Payout.Status.PAID}
        action = actions.CompletePayoutRun if all_paid else actions.CompletePayoutRunWithFailures
        target = PayoutRun.TRANSITIONS[action.transition].target
        if run.status == target and run.completed_at:
            return
        try:
            action(SYSTEM, run).run()
        except ActionRefused as refused:
            logger.error("Payout run %s could not be completed: %s", run_id, refused)


# --- one payout at a time (finance) ---------------------------------------------------------------------------

def find_transfer(payout: Payout) -> dict | None:
    """The transfer Stripe made for this payout, if any (searched by the run's transfer group and metadata)."""
    for transfer in gateway.list_transfers(transfer_group=payout.run.transfer_group):
        if (transfer.get("metadata") or {}).get("payout_id") == str(payout.pk):
            return transfer
    return None


def retry_payout(payout: Payout, *, by) -> Payout:
    """Finance sends a payout again: the `payments.payout.resent` action for one Stripe did not answer (same key),
    else `payments.payout.retried` (a failed one debited again with a new key; an unknown one searched at
    Stripe first, and recorded paid when its transfer is found)."""
    action = actions.ResendPayout if Payout.objects.filter(pk=payout.pk, status=Payout.Status.SENDING).exists() \
        else actions.RetryPayout
    return action(by, payout).run()


def cancel_payout(payout: Payout, *, by) -> Payout:
    """The `payments.payout.cancelled` action: give up on a failed payout (its amount is back on the balance)."""
    cancelled = actions.CancelPayout(by, payout).run()
    finish_run_if_done(cancelled.run_id)
    return cancelled


# --- progress --------------------------------------------------------------------------------------------------

def run_progress(run: PayoutRun) -> dict:
    """Counts and sums by status, in one query."""
    rows = run.payouts.aggregate(
        total=Count("pk"),
        paid=Count("pk", filter=Q(status=Payout.Status.PAID)),
        failed=Count("pk", filter=Q(status=Payout.Status.FAILED)),
        unknown=Count("pk", filter=Q(status=Payout.Status.UNKNOWN)),
        cancelled=Count("pk", filter=Q(status=Payout.Status.CANCELLED)),
        pending=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
        paid_minor=Sum("amount_minor", filter=Q(status=Payout.Status.PAID)),
    )
    rows["paid_minor"] = rows["paid_minor"] or 0
    rows["done"] = rows["paid"] + rows["failed"] + rows["unknown"] + rows["cancelled"]
    rows["percent"] = int(100 * rows["done"] / rows["total"]) if rows["total"] else 100
    return rows
