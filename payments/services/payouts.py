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
from django.db import IntegrityError, connection, connections, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from atelier import audit
from atelier.errors import DomainError
from atelier.money import format_money
from atelier.permissions import can
from payments import stripe_gateway as gateway
from payments.models import LedgerEntry, Payout, PayoutRun, PayoutRunSkip
from payments.selectors import balances_for_program
from payments.services.ledger import record_entry, record_payout_failed
from payments.services.rates import rate_card_for
from testers.models import Membership, Program

logger = logging.getLogger(__name__)

OPEN_STATUSES = (Payout.Status.PENDING, Payout.Status.SENDING)
SENDABLE_RUN_STATUSES = (PayoutRun.Status.SENDING, PayoutRun.Status.COMPLETED,
                         PayoutRun.Status.COMPLETED_WITH_FAILURES)


# --- creating, approving, cancelling a run ----------------------------------------------------------------

def create_payout_run(*, program: Program, period_start: datetime.date, period_end: datetime.date, by) -> PayoutRun:
    """Compute every artist's payable balance up to `period_end`, create one payout per payable artist,
    list the skipped ones with the reason, and debit the ledger — all in one transaction."""
    if not can(by, "payout_run.create", program):
        raise DomainError("Only finance staff of this program can create payout runs.")
    if period_start > period_end:
        raise DomainError("The period must start on or before its end.")
    if period_end > timezone.localdate():
        raise DomainError("The period cannot end in the future.")
    try:
        with transaction.atomic():
            # Serialises run creation per program: two runs can never debit the same balance.
            Program.objects.select_for_update().get(pk=program.pk)
            overlapping = PayoutRun.objects.filter(
                program=program, period_start__lte=period_end, period_end__gte=period_start
            ).exclude(status=PayoutRun.Status.CANCELLED).first()
            if overlapping is not None:
                raise DomainError(f"A payout run already covers part of this period ({overlapping.period_start} – "
                                  f"{overlapping.period_end}).")
            return _create_run_locked(program, period_start, period_end, by)
    except IntegrityError:
        raise DomainError("A payout run for this program and period already exists.")


def _create_run_locked(program, period_start, period_end, by) -> PayoutRun:
    card = rate_card_for(program, period_end)
    minimum = card.minimum_payout_minor if card else 0
    currency = program.currency
    balances = balances_for_program(program, up_to=period_end)
    memberships = (
        Membership.objects.filter(pk__in=[mid for mid, bal in balances.items() if bal != 0])
        .select_related("artist__stripe_account").order_by("pk")
    )
    run = PayoutRun.objects.create(program=program, period_start=period_start, period_end=period_end,
                                   currency=currency, created_by=by)
    payouts, skips = [], []
    for membership in memberships:
        balance = balances[membership.pk]
        account = getattr(membership.artist, "stripe_account", None)
        reason = None
        if balance < 0:
            reason = "Balance is negative"
        elif account is None:
            reason = "No payout account connected"
        elif not account.is_payable:
            reason = f"Payout account not ready ({account.get_state_display().lower()})"
        elif balance < minimum:
            reason = f"Under the minimum payout of {format_money(minimum, currency)}"
        if reason:
            skips.append(PayoutRunSkip(run=run, membership=membership, balance_minor=balance, reason=reason))
        else:
            payouts.append(Payout(run=run, membership=membership, stripe_account=account, amount_minor=balance,
                                  currency=currency))
    Payout.objects.bulk_create(payouts, batch_size=1000)
    PayoutRunSkip.objects.bulk_create(skips, batch_size=1000)
    today = timezone.localdate()
    # The debit of each payout, "payout:<id>" (the same key payments.services.ledger.record_payout uses);
    # bulk-inserted because the payouts are new, so no key can exist yet.
    LedgerEntry.objects.bulk_create([
        LedgerEntry(program=program, membership_id=p.membership_id, kind=LedgerEntry.Kind.PAYOUT,
                    amount_minor=-p.amount_minor, currency=currency, source_key=f"payout:{p.pk}", work_date=today,
                    payout=p, description=f"Payout of run {run.pk}", created_by=by)
        for p in payouts
    ], batch_size=1000)
    run.total_minor = sum(p.amount_minor for p in payouts)
    run.save(update_fields=["total_minor"])
    audit.log(by, "payments.payout_run.created", run, after={
        "period": f"{period_start}..{period_end}", "payouts": len(payouts), "skipped": len(skips),
        "total_minor": run.total_minor, "currency": currency,
    })
    return run


def approve_payout_run(run: PayoutRun, *, by) -> PayoutRun:
    """A second finance user approves; sending starts once the approval commits."""
    if run.created_by_id == getattr(by, "pk", None):
        raise DomainError("You created this run: another finance user must approve it.")
    if not can(by, "payout_run.approve", run):
        raise DomainError("Only finance staff of this program can approve payout runs.")
    if run.status != PayoutRun.Status.CREATED:
        raise DomainError("This run is not waiting for approval.")
    if run.total_minor:
        # A transfer fails when the platform balance cannot cover it: check before sending anything.
        try:
            available = gateway.available_balance(run.currency)
        except gateway.StripeGatewayError as error:
            raise DomainError(f"Could not check the Stripe balance: {error.message}")
        if available < run.total_minor:
            raise DomainError(f"The Stripe balance ({format_money(available, run.currency)}) does not cover this run "
                              f"({format_money(run.total_minor, run.currency)}). Add funds, then approve again.")
    with transaction.atomic():
        locked = PayoutRun.objects.select_for_update().get(pk=run.pk)
        if locked.status != PayoutRun.Status.CREATED:
            raise DomainError("This run was already approved or cancelled.")
        locked.status = PayoutRun.Status.APPROVED
        locked.approved_by = by
        locked.approved_at = timezone.now()
        locked.save(update_fields=["status", "approved_by", "approved_at"])
        audit.log(by, "payments.payout_run.approved", locked, before={"status": "created"},
                  after={"status": "approved"})
        transaction.on_commit(lambda: _enqueue_run(locked.pk))
    return locked


def cancel_payout_run(run: PayoutRun, *, by) -> PayoutRun:
    """Cancel a run that is still waiting for approval: every payout is cancelled and credited back."""
    if not can(by, "payout_run.create", run):
        raise DomainError("Only finance staff of this program can cancel payout runs.")
    with transaction.atomic():
        locked = PayoutRun.objects.select_for_update().get(pk=run.pk)
        if locked.status != PayoutRun.Status.CREATED:
            raise DomainError("Only a run waiting for approval can be cancelled.")
        for payout in locked.payouts.select_related("membership__program").select_for_update(of=("self",)):
            record_payout_failed(payout)
            payout.status = Payout.Status.CANCELLED
            payout.save(update_fields=["status"])
        locked.status = PayoutRun.Status.CANCELLED
        locked.save(update_fields=["status"])
        audit.log(by, "payments.payout_run.cancelled", locked, before={"status": "created"},
                  after={"status": "cancelled"})
    return locked


def _enqueue_run(run_id: int) -> None:
    from payments.tasks.payouts import send_payout_run

    send_payout_run.delay(run_id)


def _enqueue_payout(payout_id: int) -> None:
    from payments.tasks.payouts import send_payout

    send_payout.delay(payout_id)


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
    PayoutRun.objects.filter(pk=run_id, status=PayoutRun.Status.APPROVED).update(status=PayoutRun.Status.SENDING)
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
    now = timezone.now()
    window = datetime.timedelta(hours=settings.STRIPE_RESEND_WINDOW_HOURS)
    # Claim: pending -> sending, and note when the first attempt with this key was made.
    with transaction.atomic():
        payout = _locked_payout(payout_id, OPEN_STATUSES)
        if payout is None or payout.run.status not in SENDABLE_RUN_STATUSES:
            return "skipped"
        if payout.status == Payout.Status.PENDING:
            payout.status = Payout.Status.SENDING
            payout.first_sent_at = payout.first_sent_at or now
            payout.save(update_fields=["status", "first_sent_at"])
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
        payout.status = Payout.Status.PAID
        payout.stripe_transfer_id = transfer["id"]
        payout.paid_at = timezone.now()
        payout.failure_message = ""
        payout.save(update_fields=["status", "stripe_transfer_id", "paid_at", "failure_message", "attempts",
                                   "last_attempt_at"])
        audit.log(None, "payments.payout.paid", payout, after={"transfer": transfer["id"],
                                                                "amount_minor": payout.amount_minor})
        return "paid"
    return "retry_later"  # pragma: no cover (the loop always returns)


def _settle(payout: Payout, status: str, message: str, *, generation: int | None = None) -> None:
    """Mark a payout failed (credited back once per debit) or unknown (left for reconciliation)."""
    payout.status = status
    payout.failure_message = message[:2000]
    payout.save(update_fields=["status", "failure_message", "attempts", "last_attempt_at"])
    if status == Payout.Status.FAILED:
        credit_back(payout, generation or _generation(payout))
    audit.log(None, f"payments.payout.{status}", payout, after={"status": status, "message": message[:500]})


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
        status = PayoutRun.Status.COMPLETED if all_paid else PayoutRun.Status.COMPLETED_WITH_FAILURES
        if run.status == status and run.completed_at:
            return
        before = run.status
        run.status = status
        run.completed_at = run.completed_at or timezone.now()
        run.save(update_fields=["status", "completed_at"])
        audit.log(None, "payments.payout_run.completed", run, before={"status": before}, after={"status": status})


# --- one payout at a time (finance) ---------------------------------------------------------------------------

def find_transfer(payout: Payout) -> dict | None:
    """The transfer Stripe made for this payout, if any (searched by the run's transfer group and metadata)."""
    for transfer in gateway.list_transfers(transfer_group=payout.run.transfer_group):
        if (transfer.get("metadata") or {}).get("payout_id") == str(payout.pk):
            return transfer
    return None


def retry_payout(payout: Payout, *, by) -> Payout:
    """Send a failed payout again (debited again, with a new idempotency key), re-check an unknown one, or
    try a payout Stripe did not answer again now (same key)."""
    if not can(by, "payout.manage", payout):
        raise DomainError("Only finance staff of this program can retry payouts.")
    if Payout.objects.filter(pk=payout.pk, status=Payout.Status.SENDING).exists():
        # Stripe did not answer earlier: try again now with the same key (safe, and locked per payout).
        audit.log(by, "payments.payout.resent", payout, after={"status": "sending"})
        transaction.on_commit(lambda: _enqueue_payout(payout.pk))
        return payout
    found, searched = None, False
    if Payout.objects.filter(pk=payout.pk, status=Payout.Status.UNKNOWN).exists():
        # Before anything is sent again, look for the transfer Stripe may have made.
        try:
            found = find_transfer(payout)
        except gateway.StripeGatewayError as error:
            raise DomainError(f"Could not search Stripe for this payout's transfer: {error.message}")
        searched = True
    with transaction.atomic():
        locked = _locked_payout(payout.pk, [Payout.Status.FAILED, Payout.Status.UNKNOWN])
        if locked is None:
            raise DomainError("Only a failed or unknown payout can be retried (or it is being sent right now).")
        if locked.status == Payout.Status.UNKNOWN and not searched:
            raise DomainError("This payout changed meanwhile: reload the page and try again.")
        before = locked.status
        if locked.status == Payout.Status.UNKNOWN and found is not None:
            locked.status = Payout.Status.PAID
            locked.stripe_transfer_id = found["id"]
            locked.paid_at = timezone.now()
            locked.failure_message = ""
            locked.save(update_fields=["status", "stripe_transfer_id", "paid_at", "failure_message"])
            transaction.on_commit(lambda: finish_run_if_done(locked.run_id))
        else:
            if locked.status == Payout.Status.FAILED:
                if not locked.stripe_account.is_payable:
                    raise DomainError("The artist's payout account cannot receive transfers yet.")
                generation = _generation(locked) + 1
                record_entry(
                    membership=locked.membership, kind=LedgerEntry.Kind.PAYOUT, amount_minor=-locked.amount_minor,
                    currency=locked.currency, source_key=f"payout:{locked.pk}:{generation}",
                    work_date=timezone.localdate(), payout=locked, created_by=by,
                    description=f"Payout of run {locked.run_id} (retry {generation - 1})",
                )
            # An unknown payout keeps its key: if Stripe still knows it, the first answer comes back.
            locked.status = Payout.Status.PENDING
            locked.first_sent_at = None
            locked.failure_message = ""
            locked.save(update_fields=["status", "first_sent_at", "failure_message"])
            transaction.on_commit(lambda: _enqueue_payout(locked.pk))
        audit.log(by, "payments.payout.retried", locked, before={"status": before}, after={"status": locked.status})
    return locked


def cancel_payout(payout: Payout, *, by) -> Payout:
    """Give up on a failed payout. Its amount was credited back when it failed, so the artist's balance
    already holds it and the next run pays it."""
    if not can(by, "payout.manage", payout):
        raise DomainError("Only finance staff of this program can cancel payouts.")
    with transaction.atomic():
        locked = _locked_payout(payout.pk, [Payout.Status.FAILED])
        if locked is None:
            raise DomainError("Only a failed payout can be cancelled.")
        locked.status = Payout.Status.CANCELLED
        locked.save(update_fields=["status"])
        audit.log(by, "payments.payout.cancelled", locked, before={"status": "failed"}, after={"status": "cancelled"})
    finish_run_if_done(locked.run_id)
    return locked


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
