"""Payout runs: created in one transaction, approved by a second finance user, sent as one Stripe Transfer
per payout (never twice), and failed payouts retried or cancelled one by one.

How a payout can never be paid twice (docs/payments-payouts.md has the whole story):
- each payout row is committed before any Stripe call, and every call for it carries the same
  idempotency key (`atelier-payout-<id>`, plus `-<n>` for the n-th explicit retry after a final failure,
  since Stripe stores a final 400 under its key) and the same parameters, both stored on the payout when
  the key is first used;
- a worker sends a payout only while it holds the payout's lease (owner and expiry, taken by a conditional
  update and committed): no transaction is open during the Stripe call, and a killed worker's lease expires;
- connection errors, 409, 429 and 5xx are retried with the same key; when the last attempt still does not
  say whether money moved (a timeout, a 409, a 5xx, an idempotency error) the payout is "unknown" and only
  reconciliation settles it; past STRIPE_RESEND_WINDOW_HOURS after the first attempt (Stripe keeps keys
  ~24 h) a payout is not re-sent but marked "unknown" too;
- a payout whose account cannot be paid when the sender comes to it is held, before any request is made.
"""
from __future__ import annotations

import contextlib
import datetime
import heapq
import logging
import os
import random
import socket
import threading
import time
import uuid

from django.conf import settings
from django.db import connection, connections, transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from atelier import page_cache
from atelier.actions import SYSTEM
from atelier.errors import ActionRefused
from payments import actions
from payments import stripe_gateway as gateway
from payments.models import LedgerEntry, Payout, PayoutRun
from payments.services import pacing
from payments.services.accounts import account_not_payable_reason
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


def approve_payout_run(run: PayoutRun, *, by, totp_code: str) -> PayoutRun:
    """The `payments.payout_run.approved` action: a second finance user approves with a fresh code from their
    authenticator app; sending starts on commit."""
    return actions.ApprovePayoutRun(by, run, totp_code=totp_code).run()


def cancel_payout_run(run: PayoutRun, *, by) -> PayoutRun:
    """The `payments.payout_run.cancelled` action: every payout is cancelled and credited back."""
    return actions.CancelPayoutRun(by, run).run()


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
    """Send payouts with STRIPE_SEND_CONCURRENCY threads sharing the pacing, so a run goes at the configured rate
    even though each Stripe call takes a few hundred milliseconds. A payout waiting out a retry backoff gives its
    thread back: it goes back on the schedule, due when its backoff ends, and the thread sends the next one (a
    few slow or faulty answers never stall a run). Threads need committed rows and their own connections: inside
    a transaction (the demo seed, tests) or on SQLite, one payout at a time, sleeping through backoffs."""
    workers = min(int(settings.STRIPE_SEND_CONCURRENCY), len(payout_ids))
    if workers <= 1 or connection.vendor != "postgresql" or connection.in_atomic_block:
        for payout_id in payout_ids:
            send_payout(payout_id)
        return
    schedule = _Schedule(payout_ids)

    def work():
        try:
            while (item := schedule.next()) is not None:
                due_again = None
                try:
                    due_again = _send_step(item)
                finally:
                    schedule.done(item, due_again)
        except BaseException as error:  # noqa: BLE001 (re-raised in the calling thread)
            schedule.fail(error)
        finally:
            connections.close_all()  # this thread's connections only

    threads = [threading.Thread(target=work, name=f"payout-sender-{i}", daemon=True) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if schedule.error is not None:
        raise schedule.error


class _Sending:
    """A payout this process is sending: its id and, once claimed, the claimed row, the lease owner and how many
    requests were made in this pass."""

    def __init__(self, payout_id: int):
        self.payout_id, self.payout, self.owner, self.attempt = payout_id, None, "", 0


class _Schedule:
    """The run's payouts by the time they are due (now, or when a backoff ends), shared by the sender threads."""

    def __init__(self, payout_ids):
        self.ready = threading.Condition()
        self.heap = [(0.0, n, _Sending(payout_id)) for n, payout_id in enumerate(payout_ids)]
        self.counter = len(self.heap)
        self.busy = 0
        self.error = None

    def next(self) -> _Sending | None:
        with self.ready:
            while True:
                if self.error is not None or (not self.heap and not self.busy):
                    self.ready.notify_all()
                    return None
                now = time.monotonic()
                if self.heap and self.heap[0][0] <= now:
                    self.busy += 1
                    return heapq.heappop(self.heap)[2]
                self.ready.wait(self.heap[0][0] - now if self.heap else None)

    def done(self, item: _Sending, due_in: float | None) -> None:
        with self.ready:
            self.busy -= 1
            if due_in is not None:
                self.counter += 1
                heapq.heappush(self.heap, (time.monotonic() + due_in, self.counter, item))
            self.ready.notify_all()

    def fail(self, error: BaseException) -> None:
        with self.ready:
            self.error = self.error or error
            self.ready.notify_all()


def _send_step(item: _Sending) -> float | None:
    """Claim the payout (first step) and make one request; the seconds until the next request when Stripe asked
    to be retried, else None (settled, or left for a later pass)."""
    if item.payout is None:
        item.owner = _lease_owner()
        claimed = _claim(item.payout_id, item.owner)
        if isinstance(claimed, str):
            return None
        item.payout = claimed
    item.attempt += 1
    result = _try_once(item.payout, item.owner, item.attempt)
    return result if isinstance(result, float) else None


def _generation(payout: Payout) -> int:
    """How many times this payout was debited (1, plus one per retry after a final failure)."""
    return LedgerEntry.objects.filter(payout=payout, kind=LedgerEntry.Kind.PAYOUT).count()


def idempotency_key_for(payout: Payout, generation: int) -> str:
    return payout.idempotency_key if generation <= 1 else f"{payout.idempotency_key}-{generation}"


def transfer_metadata(payout: Payout) -> dict:
    return {"payout_id": payout.pk, "run_id": payout.run_id, "artist_id": payout.membership.artist_id,
            "membership_id": payout.membership_id, "program_id": payout.run.program_id}


def transfer_params(payout: Payout) -> dict:
    """What is sent for a payout under one idempotency key. Nothing a person can edit later (a program's name,
    say) goes in: the same key must always carry the same parameters."""
    return {
        "amount": payout.amount_minor, "currency": payout.currency,
        "destination": payout.stripe_account.stripe_account_id, "transfer_group": payout.run.transfer_group,
        "metadata": {k: str(v) for k, v in transfer_metadata(payout).items()},
        "description": f"Atelier payout {payout.pk}",
    }


def _lease_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}:{uuid.uuid4().hex[:8]}"


def lease_seconds() -> float:
    """PAYOUT_LEASE_SECONDS, but never shorter than one request and the longest backoff after it: renewed before
    each request, a lease must not lapse while its worker waits to make the next one."""
    longest_backoff = settings.STRIPE_RETRY_BACKOFF_SECONDS * (2 ** max(0, settings.STRIPE_MAX_ATTEMPTS - 2)) * 1.5
    return max(float(settings.PAYOUT_LEASE_SECONDS), settings.STRIPE_TIMEOUT_SECONDS + longest_backoff + 1.0)


def _lease_until():
    return timezone.now() + datetime.timedelta(seconds=lease_seconds())


def _lease_free(now) -> Q:
    return Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now)


def _claim(payout_id: int, owner: str) -> Payout | str:
    """Take the payout's lease by a conditional update and commit it, moving a pending payout to "sending" (its
    key and parameters fixed) or holding it when its account cannot be paid. One short transaction; returns
    the claimed payout, or what happened instead ("skipped", "held", "unknown")."""
    window = datetime.timedelta(hours=settings.STRIPE_RESEND_WINDOW_HOURS)
    with transaction.atomic():
        now = timezone.now()
        taken = (Payout.objects.filter(pk=payout_id, status__in=OPEN_STATUSES, run__status__in=SENDABLE_RUN_STATUSES)
                 .filter(_lease_free(now)).update(lease_owner=owner, lease_expires_at=_lease_until()))
        if not taken:
            return "skipped"  # settled, not sendable, or another worker holds a live lease
        payout = (Payout.objects.select_for_update(of=("self",))
                  .select_related("run", "stripe_account", "membership__program").get(pk=payout_id))
        page_cache.program_changed(payout.run.program_id)  # the lease is not an action; the run's page shows it
        account = payout.stripe_account
        if not account.is_payable and payout.attempts == 0:
            # No request was ever made with this payout's key: holding it cannot leave a transfer behind.
            actions.HoldPayout(SYSTEM, payout, reason=account_not_payable_reason(account)).run()
            return "held"
        if payout.status == Payout.Status.PENDING:
            payout = actions.SendPayout(SYSTEM, payout).run()
        if payout.first_sent_at and now - payout.first_sent_at > window:
            actions.PayoutUnknown(SYSTEM, payout,
                                  message="No answer from Stripe within the idempotency window: not sent again. "
                                          "Reconciliation will look for the transfer.").run()
            return "unknown"
    return payout


def send_payout(payout_id: int) -> str:
    """Send one payout to Stripe, or settle why not. Safe to call twice, from any number of workers.

    Three steps, and no transaction is open while Stripe is called: claim (a committed lease), call (with the
    key and parameters fixed at the first attempt), record (a short update, only while the lease is ours).
    Returns what happened: "paid", "failed", "unknown", "held", "retry_later" or "skipped".
    """
    owner = _lease_owner()
    claimed = _claim(payout_id, owner)
    if isinstance(claimed, str):
        if claimed in ("held", "unknown"):
            finish_run_if_done(_run_id(payout_id))
        return claimed
    outcome = _attempt_transfer(claimed, owner)
    if outcome in ("paid", "failed", "unknown"):
        finish_run_if_done(claimed.run_id)
    return outcome


def _run_id(payout_id: int) -> int:
    return Payout.objects.filter(pk=payout_id).values_list("run_id", flat=True).get()


def _renew_lease(payout: Payout, owner: str) -> bool:
    """Before each request: extend our lease and count the attempt, committed before the request leaves (so a
    payout with attempts > 0 may have reached Stripe). False when the lease is no longer ours."""
    payout.attempts += 1
    payout.last_attempt_at = timezone.now()
    return bool(Payout.objects.filter(pk=payout.pk, lease_owner=owner, status=Payout.Status.SENDING).update(
        lease_expires_at=_lease_until(), attempts=F("attempts") + 1, last_attempt_at=payout.last_attempt_at))


def _release_lease(payout: Payout, owner: str, **fields) -> None:
    Payout.objects.filter(pk=payout.pk, lease_owner=owner).update(lease_owner="", lease_expires_at=None, **fields)
    page_cache.program_changed(payout.run.program_id)  # not an action: the run's page shows the failure message


def _record(payout: Payout, owner: str, action, **params) -> bool:
    """Write the answer with a short conditional update: only while the lease is still ours (else the worker
    that took it over sends the same key and parameters, gets the same answer from Stripe, and records it)."""
    with transaction.atomic():
        current = (Payout.objects.select_for_update(of=("self",)).select_related("membership__program", "run")
                   .filter(pk=payout.pk, lease_owner=owner).first())
        if current is None:
            return False
        try:
            action(SYSTEM, current, **params).run()
        except ActionRefused as refused:
            logger.warning("Payout %s: could not record %s: %s", payout.pk, action.name, refused)
            return False
    return True


def _attempt_transfer(payout: Payout, owner: str) -> str:
    """Call Stripe (no transaction open) until it answers, sleeping through the backoffs: one payout on its own
    (finance's retry, a single task). Runs use the schedule of `_send_all` instead."""
    attempt = 0
    while True:
        attempt += 1
        result = _try_once(payout, owner, attempt)
        if not isinstance(result, float):
            return result
        time.sleep(result)


def _backoff(attempt: int) -> float:
    return settings.STRIPE_RETRY_BACKOFF_SECONDS * (2 ** (attempt - 1)) * (1 + random.random() / 2)


def _try_once(payout: Payout, owner: str, attempt: int) -> str | float:
    """One request with the payout's fixed key and parameters (no transaction open). Returns the outcome ("paid",
    "failed", "unknown", "retry_later", "skipped"), or the seconds to wait before trying again. An answer that
    does not say whether money moved, at the last attempt or when Stripe says retrying is pointless (a replayed
    answer, `Stripe-Should-Retry: false`), leaves the payout "unknown"."""
    max_attempts = max(1, settings.STRIPE_MAX_ATTEMPTS)
    pacing.wait_for_transfer_slot()
    if not _renew_lease(payout, owner):
        return "skipped"
    try:
        transfer = gateway.create_transfer(**payout.transfer_params, idempotency_key=payout.transfer_key)
    except gateway.RetryableStripeError as error:
        if attempt < max_attempts and error.should_retry:
            return _backoff(attempt)
        if error.ambiguous:
            _record(payout, owner, actions.PayoutUnknown,
                    message=f"Stripe's last answer ({error.message}) does not say whether the transfer was made: "
                            "not sent again. Reconciliation will look for it.")
            return "unknown"
        _release_lease(payout, owner, failure_message=f"Stripe did not answer ({error.message}); "
                                                      f"it will be tried again."[:2000])
        logger.warning("Payout %s: retryable error after %s attempts: %s", payout.pk, attempt, error.message)
        return "retry_later"
    except gateway.FinalStripeError as error:
        if error.is_idempotency_error:
            # A bug: the key was used with other parameters. The first request may have paid.
            logger.error("Payout %s: idempotency error from Stripe: %s", payout.pk, error.message)
            _record(payout, owner, actions.PayoutUnknown,
                    message=f"Idempotency error (check reconciliation): {error.message}")
            return "unknown"
        _record(payout, owner, actions.PayoutFailed, message=error.message or "Stripe refused the transfer.",
                generation=_generation(payout))
        return "failed"
    if not _record(payout, owner, actions.PayoutPaid, transfer_id=transfer["id"]):
        return "skipped"  # the lease was taken over: its new holder gets the same answer for the same key
    return "paid"


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
        held=Count("pk", filter=Q(status=Payout.Status.HELD)),
        pending=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
        paid_minor=Sum("amount_minor", filter=Q(status=Payout.Status.PAID)),
    )
    rows["paid_minor"] = rows["paid_minor"] or 0
    rows["done"] = rows["paid"] + rows["failed"] + rows["unknown"] + rows["cancelled"] + rows["held"]
    rows["percent"] = int(100 * rows["done"] / rows["total"]) if rows["total"] else 100
    return rows
