"""Payout tasks: sending runs and single payouts, resuming interrupted runs, reconciliation.

Thin and idempotent: they take ids and call payments.services; any of them may run twice or at once.
"""
import logging

from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings
from payments.services import payouts, reconciliation
from payments.models import Payout, PayoutRun

__all__ = ["send_payout_run", "send_payout", "resume_payout_runs", "reconcile_recent"]

logger = logging.getLogger(__name__)


@shared_task(name="payments.tasks.send_payout_run", bind=True, acks_late=True)
def send_payout_run(self, run_id: int) -> int:
    """Send every open payout of a run; if Stripe kept failing for some, come back later."""
    remaining = payouts.send_run(run_id)
    if remaining and not self.request.is_eager:
        self.apply_async((run_id,), countdown=settings.PAYOUT_RESUME_AFTER_SECONDS)
    return remaining


@shared_task(name="payments.tasks.send_payout", acks_late=True)
def send_payout(payout_id: int) -> str:
    """Send one payout (a retry asked by finance)."""
    return payouts.send_payout(payout_id)


@shared_task(name="payments.tasks.resume_payout_runs")
def resume_payout_runs() -> int:
    """Every minute and when a worker starts: pick up runs a dead worker left half-sent."""
    run_ids = set(PayoutRun.objects.filter(status__in=[PayoutRun.Status.APPROVED, PayoutRun.Status.SENDING])
                  .values_list("pk", flat=True))
    run_ids |= set(Payout.objects.filter(status__in=[Payout.Status.PENDING, Payout.Status.SENDING],
                                         run__status__in=[PayoutRun.Status.COMPLETED,
                                                          PayoutRun.Status.COMPLETED_WITH_FAILURES])
                   .values_list("run_id", flat=True))
    for run_id in sorted(run_ids):
        send_payout_run.delay(run_id)
    return len(run_ids)


@shared_task(name="payments.tasks.reconcile_recent")
def reconcile_recent() -> list:
    """Hourly: reconcile recent runs with Stripe (and settle payouts left unknown)."""
    return reconciliation.reconcile_recent()


@worker_ready.connect
def _resume_on_worker_start(sender=None, **kwargs):
    try:
        resume_payout_runs.delay()
    except Exception:  # the broker may be briefly unavailable; beat resumes runs anyway
        logger.exception("Could not queue resume_payout_runs at worker start")
