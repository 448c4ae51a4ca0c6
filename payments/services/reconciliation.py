"""Reconciliation: Atelier's payouts against Stripe's transfers, every difference recorded.

For a program and period, the runs whose period overlaps it are compared with the transfers Stripe lists
for their transfer groups, plus every transfer created while they were sent whose metadata names the
program (so a transfer outside any known group is found too). A payout left "unknown" (no answer within
the idempotency window) is settled here: paid if Stripe has its transfer.
"""
from __future__ import annotations

import datetime
import logging

from django.db.models import Min, Q
from django.utils import timezone

from atelier.actions import SYSTEM
from atelier.errors import ActionRefused
from payments import actions, stripe_gateway as gateway
from payments.models import Payout, PayoutRun, ReconciliationDifference, ReconciliationReport
from testers.models import Program
from payments.services.payouts import finish_run_if_done

logger = logging.getLogger(__name__)

Kind = ReconciliationDifference.Kind
COMPARED_RUN_STATUSES = (PayoutRun.Status.APPROVED, PayoutRun.Status.SENDING, PayoutRun.Status.COMPLETED,
                         PayoutRun.Status.COMPLETED_WITH_FAILURES)
RECENT_DAYS = 7


def _describe(transfer: dict) -> str:
    return f"{transfer.get('amount')} {str(transfer.get('currency') or '').upper()} to {transfer.get('destination')}"


def _payout_id(transfer: dict) -> int | None:
    value = str((transfer.get("metadata") or {}).get("payout_id") or "")
    return int(value) if value.isdigit() else None


def _stripe_transfers(program: Program, runs: list[PayoutRun]) -> list[dict]:
    found: dict[str, dict] = {}
    for run in runs:
        for transfer in gateway.list_transfers(transfer_group=run.transfer_group):
            found[transfer["id"]] = transfer
    if runs:
        start = min(run.approved_at or run.created_at for run in runs) - datetime.timedelta(hours=1)
        for transfer in gateway.list_transfers(created_gte=int(start.timestamp())):
            if str((transfer.get("metadata") or {}).get("program_id")) == str(program.pk):
                found.setdefault(transfer["id"], transfer)
    return list(found.values())


def _settle_unknown(payout: Payout, transfer: dict) -> None:
    try:
        actions.PayoutPaid(SYSTEM, payout, transfer_id=transfer["id"], source="reconciliation").run()
    except ActionRefused:
        return  # no longer unknown: settled meanwhile
    payout.status, payout.stripe_transfer_id = Payout.Status.PAID, transfer["id"]

    finish_run_if_done(payout.run_id)


def reconcile(program: Program, period_start: datetime.date, period_end: datetime.date, *, by=None
              ) -> ReconciliationReport:
    """Compare and record. Raises StripeGatewayError when Stripe cannot be listed (nothing is recorded)."""
    runs = list(PayoutRun.objects.filter(program=program, status__in=COMPARED_RUN_STATUSES,
                                         period_start__lte=period_end, period_end__gte=period_start))
    transfers = _stripe_transfers(program, runs)
    payouts = list(Payout.objects.filter(run__in=runs).select_related("stripe_account", "run").order_by("pk"))
    by_id = {p.pk: p for p in payouts}
    by_transfer = {p.stripe_transfer_id: p for p in payouts if p.stripe_transfer_id}
    differences: list[ReconciliationDifference] = []
    matched: dict[int, list[dict]] = {}
    for transfer in sorted(transfers, key=lambda t: (t.get("created") or 0, t["id"])):
        payout = by_transfer.get(transfer["id"]) or by_id.get(_payout_id(transfer))
        if payout is None:
            differences.append(ReconciliationDifference(kind=Kind.MISSING_IN_ATELIER, stripe_transfer_id=transfer["id"],
                                                        stripe_value=_describe(transfer)))
        else:
            matched.setdefault(payout.pk, []).append(transfer)

    for payout in payouts:
        found = matched.get(payout.pk, [])
        if payout.status == Payout.Status.UNKNOWN and len(found) == 1:
            _settle_unknown(payout, found[0])
        primary = next((t for t in found if t["id"] == payout.stripe_transfer_id), found[0] if found else None)
        for extra in found:
            if extra is not primary:  # a second transfer for one payout: the artist was paid twice
                differences.append(ReconciliationDifference(kind=Kind.MISSING_IN_ATELIER, payout=payout,
                                                            stripe_transfer_id=extra["id"],
                                                            stripe_value=_describe(extra)))
        atelier_value = f"{payout.amount_minor} {payout.currency} to {payout.stripe_account.stripe_account_id}"
        if payout.status == Payout.Status.PAID:
            if primary is None:
                differences.append(ReconciliationDifference(kind=Kind.MISSING_AT_STRIPE, payout=payout,
                                                            stripe_transfer_id=payout.stripe_transfer_id,
                                                            atelier_value=atelier_value))
                continue
            if int(primary["amount"]) != payout.amount_minor:
                differences.append(ReconciliationDifference(kind=Kind.AMOUNT, payout=payout,
                                                            stripe_transfer_id=primary["id"],
                                                            atelier_value=str(payout.amount_minor),
                                                            stripe_value=str(primary["amount"])))
            if primary.get("destination") != payout.stripe_account.stripe_account_id:
                differences.append(ReconciliationDifference(kind=Kind.DESTINATION, payout=payout,
                                                            stripe_transfer_id=primary["id"],
                                                            atelier_value=payout.stripe_account.stripe_account_id,
                                                            stripe_value=str(primary.get("destination"))))
            if str(primary.get("currency") or "").upper() != payout.currency.upper():
                differences.append(ReconciliationDifference(kind=Kind.CURRENCY, payout=payout,
                                                            stripe_transfer_id=primary["id"],
                                                            atelier_value=payout.currency.upper(),
                                                            stripe_value=str(primary.get("currency")).upper()))
        elif payout.status == Payout.Status.UNKNOWN:
            differences.append(ReconciliationDifference(kind=Kind.MISSING_AT_STRIPE, payout=payout,
                                                        atelier_value=f"unknown: {atelier_value}"))
        elif primary is not None and payout.status in (Payout.Status.FAILED, Payout.Status.CANCELLED):
            differences.append(ReconciliationDifference(kind=Kind.MISSING_IN_ATELIER, payout=payout,
                                                        stripe_transfer_id=primary["id"],
                                                        atelier_value=payout.get_status_display().lower(),
                                                        stripe_value=_describe(primary)))

    report = actions.RecordReconciliation(
        by or SYSTEM, program, period_start=period_start, period_end=period_end, differences=differences,
        checked_payouts=len(payouts), checked_transfers=len(transfers),
    ).run()
    if differences:
        logger.warning("Reconciliation of %s %s..%s: %s difference(s)", program.slug, period_start, period_end,
                       len(differences))
    return report


def reconcile_recent() -> list[int]:
    """For every program with a run sent in the last RECENT_DAYS days, or a payout still unknown."""
    since = timezone.now() - datetime.timedelta(days=RECENT_DAYS)
    runs = PayoutRun.objects.filter(status__in=COMPARED_RUN_STATUSES).filter(
        Q(approved_at__gte=since) | Q(payouts__status=Payout.Status.UNKNOWN)
    )
    report_ids = []
    for program_id in runs.order_by().values_list("program_id", flat=True).distinct():
        program = Program.objects.get(pk=program_id)
        span = runs.filter(program_id=program_id).aggregate(start=Min("period_start"))
        end = PayoutRun.objects.filter(program_id=program_id).order_by("-period_end").values_list(
            "period_end", flat=True).first()
        report_ids.append(reconcile(program, span["start"], end).pk)
    return report_ids
