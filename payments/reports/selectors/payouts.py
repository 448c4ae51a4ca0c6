"""Payouts and payout runs of the runs whose period ends inside the report's period."""
from __future__ import annotations

from django.db.models import Count, Q, Sum

from payments.models import Payout, PayoutRun
from payments.reports.selectors.common import Filters, _big


def _payouts(program, filters: Filters):
    """Payouts of the runs whose period ends inside the report's period."""
    p = filters.period
    return Payout.objects.filter(
        run__program=program, run__period_end__gte=p.start, run__period_end__lte=p.end,
    ).filter(filters.membership_q("membership__"))


def payouts_by_status(program, filters: Filters) -> list[dict]:
    grouped = {
        row["status"]: row
        for row in _payouts(program, filters).values("status")
        .annotate(count=Count("id"), total_minor=Sum("amount_minor")).order_by()
    }
    return [
        {"status": s.value, "label": s.label, "count": grouped.get(s.value, {}).get("count", 0),
         "total_minor": grouped.get(s.value, {}).get("total_minor") or 0}
        for s in Payout.Status
    ]


def payout_rows(program, filters: Filters):
    qs = _payouts(program, filters)
    if filters.payout_status:
        qs = qs.filter(status=filters.payout_status)
    return (
        qs.select_related("run", "membership__artist", "stripe_account")
        .order_by("run__period_end", "run_id", "membership__artist__display_name", "id")
    )


def payout_lines(program, filters: Filters):
    return payout_rows(program, filters).values_list(
        "run__period_start", "run__period_end", "membership__artist__display_name", "membership__artist__legal_name",
        "stripe_account__stripe_account_id", "amount_minor", "currency", "status", "stripe_transfer_id",
        "paid_at", "reversed_amount_minor", "failure_message",
    )


def runs(program, filters: Filters):
    """Runs whose period ends inside the report's period, with counts and totals by payout status."""
    p = filters.period
    member = filters.membership_q("payouts__membership__")

    def count(status):
        return Count("payouts", filter=member & Q(payouts__status=status))

    def total(*statuses):
        return _big(Sum("payouts__amount_minor", filter=member & Q(payouts__status__in=statuses)))

    return (
        PayoutRun.objects.filter(program=program, period_end__gte=p.start, period_end__lte=p.end)
        .select_related("created_by", "approved_by")
        .annotate(
            payout_count=Count("payouts", filter=member),
            paid_count=count(Payout.Status.PAID),
            failed_count=count(Payout.Status.FAILED),
            open_count=Count("payouts", filter=member & Q(payouts__status__in=[
                Payout.Status.PENDING, Payout.Status.SENDING, Payout.Status.UNKNOWN])),
            amount_minor=_big(Sum("payouts__amount_minor", filter=member)),
            paid_minor=total(Payout.Status.PAID),
            failed_minor=total(Payout.Status.FAILED),
        )
        .order_by("-period_end", "-id")
    )
