"""Reconciliation: Atelier's payouts against Stripe's transfers, every difference recorded.

For a program and period, the runs whose period overlaps it are compared with the transfers Stripe lists
for their transfer groups, plus every transfer created while they were sent whose metadata names the
program (so a transfer outside any known group is found too). A payout left "unknown" (an ambiguous answer,
or none within the idempotency window) is settled here: paid if Stripe has its one transfer.

A difference is kept across reconciliations by its fingerprint (kind, payout, transfer): found again it is
the same row, not a new one; finance explains or resolves it with a note; one no longer found among what was
checked is cleared. An open difference holds its artist back from new runs.
"""
from __future__ import annotations

import datetime
import logging

from django.db.models import Min, Q
from django.utils import timezone

from atelier.actions import SYSTEM
from atelier.errors import ActionRefused
from atelier.money import format_money
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
    return f"{format_money(int(transfer.get('amount') or 0), _currency(transfer))} to {transfer.get('destination')}"


def _currency(transfer: dict) -> str:
    return str(transfer.get("currency") or "").upper()


def _payout_id(transfer: dict) -> int | None:
    value = str((transfer.get("metadata") or {}).get("payout_id") or "")
    return int(value) if value.isdigit() else None


def _membership_id(transfer: dict) -> int | None:
    value = str((transfer.get("metadata") or {}).get("membership_id") or "")
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


def _settle_paid(payout: Payout, transfer: dict) -> bool:
    """An unknown payout, or one whose sender died mid-request (its lease expired), that Stripe did pay."""
    try:
        actions.PayoutPaid(SYSTEM, payout, transfer_id=transfer["id"], source="reconciliation").run()
    except ActionRefused:
        return False  # settled meanwhile
    payout.status, payout.stripe_transfer_id = Payout.Status.PAID, transfer["id"]
    finish_run_if_done(payout.run_id)
    return True


def _difference(kind, payout: Payout | None = None, transfer: dict | None = None, **fields) -> ReconciliationDifference:
    transfer_id = (transfer or {}).get("id") or fields.pop("stripe_transfer_id", "") or ""
    fields.setdefault("currency", (payout.currency if payout else _currency(transfer or {})))
    if transfer is not None:
        fields.setdefault("stripe_amount_minor", int(transfer.get("amount") or 0))
        fields.setdefault("stripe_value", _describe(transfer))
    membership_id = payout.membership_id if payout else _membership_id(transfer or {})
    return ReconciliationDifference(
        kind=kind, payout=payout, stripe_transfer_id=transfer_id, membership_id=membership_id,
        fingerprint=f"{kind}:{payout.pk if payout else '-'}:{transfer_id or '-'}", **fields)


def reconcile(program: Program, period_start: datetime.date, period_end: datetime.date, *, by=None
              ) -> ReconciliationReport:
    """Compare and record. Raises StripeGatewayError when Stripe cannot be listed (nothing is recorded).

    Every payout of the runs compared is checked whatever its status: paid (its transfer exists, with its amount,
    currency and destination), pending (no transfer may exist yet), sending (a transfer found while no worker
    holds the payout settles it paid), unknown (settled paid when its one transfer is found, else reported),
    failed or cancelled (no transfer may exist)."""
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
            differences.append(_difference(Kind.MISSING_IN_ATELIER, transfer=transfer))
        else:
            matched.setdefault(payout.pk, []).append(transfer)

    now = timezone.now()
    for payout in payouts:
        found = matched.get(payout.pk, [])
        lease_live = payout.lease_expires_at is not None and payout.lease_expires_at > now
        if len(found) == 1 and (payout.status == Payout.Status.UNKNOWN
                                or (payout.status == Payout.Status.SENDING and not lease_live)):
            _settle_paid(payout, found[0])
        primary = next((t for t in found if t["id"] == payout.stripe_transfer_id), found[0] if found else None)
        for extra in found:
            if extra is not primary:  # a second transfer for one payout: the artist was paid twice
                differences.append(_difference(Kind.MISSING_IN_ATELIER, payout, extra,
                                               atelier_value=f"payout {payout.pk} has transfer {primary['id']}"))
        account_id = payout.stripe_account.stripe_account_id
        atelier_value = f"{format_money(payout.amount_minor, payout.currency)} to {account_id}"
        amounts = {"atelier_amount_minor": payout.amount_minor}
        if payout.status == Payout.Status.PAID:
            if primary is None:
                differences.append(_difference(Kind.MISSING_AT_STRIPE, payout, stripe_transfer_id=payout.stripe_transfer_id,
                                               atelier_value=atelier_value, **amounts))
                continue
            if int(primary["amount"]) != payout.amount_minor:
                differences.append(_difference(Kind.AMOUNT, payout, primary, atelier_value=atelier_value, **amounts))
            if primary.get("destination") != account_id:
                differences.append(_difference(Kind.DESTINATION, payout, primary, atelier_value=atelier_value, **amounts))
            if _currency(primary) != payout.currency.upper():
                differences.append(_difference(Kind.CURRENCY, payout, primary, atelier_value=atelier_value, **amounts))
        elif payout.status == Payout.Status.UNKNOWN:
            if len(found) != 1:
                differences.append(_difference(Kind.MISSING_AT_STRIPE, payout, atelier_value=f"unknown: {atelier_value}",
                                               **amounts))
        elif primary is not None and payout.status == Payout.Status.SENDING and lease_live:
            continue  # the sender holds it and is recording this very transfer
        elif primary is not None:  # pending, held, failed or cancelled, yet Stripe made a transfer for it
            differences.append(_difference(Kind.MISSING_IN_ATELIER, payout, primary,
                                           atelier_value=f"{payout.get_status_display().lower()}: {atelier_value}",
                                           **amounts))

    report = actions.RecordReconciliation(
        by or SYSTEM, program, period_start=period_start, period_end=period_end, differences=differences,
        checked_payout_ids=[p.pk for p in payouts], checked_transfer_ids=[t["id"] for t in transfers],
        checked_payouts=len(payouts), checked_transfers=len(transfers),
    ).run()
    if differences:
        logger.warning("Reconciliation of %s %s..%s: %s difference(s)", program.slug, period_start, period_end,
                       len(differences))
    return report


def open_differences(program: Program):
    return (ReconciliationDifference.objects.filter(program=program, status__in=ReconciliationDifference.OPEN_STATUSES)
            .select_related("membership__artist", "payout__run", "noted_by", "report").order_by("pk"))


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
