"""This app's panel on the artist portal's home, computed for all of an artist's memberships at once."""
from django.db.models import Q, Sum
from django.utils import timezone

from payments.models import LedgerEntry, Payout, PayoutRun
from payments.selectors import SETTLEMENT_KINDS


def home_panels(user, memberships) -> dict:
    """{membership_id: context for templates/payments/_home_panel.html}, in a bounded number of queries (3).

    Each context: currency, balance_minor, month_minor (earned this calendar month: time, feedback,
    stipends and adjustments dated this month) and next_payout (a Payout not yet paid in a run that is
    waiting, approved or sending; None if there is none).
    """
    memberships = list(memberships)
    ids = [m.pk for m in memberships]
    if not ids:
        return {}
    month_start = timezone.localdate().replace(day=1)
    sums = {
        row["membership_id"]: row
        for row in LedgerEntry.objects.filter(membership_id__in=ids).values("membership_id").annotate(
            balance=Sum("amount_minor"),
            month=Sum("amount_minor", filter=Q(work_date__gte=month_start) & ~Q(kind__in=SETTLEMENT_KINDS)),
        )
    }
    next_payouts = {}
    pending = (
        Payout.objects.filter(
            membership_id__in=ids,
            status__in=[Payout.Status.PENDING, Payout.Status.SENDING],
            run__status__in=[PayoutRun.Status.CREATED, PayoutRun.Status.APPROVED, PayoutRun.Status.SENDING],
        )
        .select_related("run")
        .order_by("run__period_end", "pk")
    )
    for payout in pending:
        next_payouts.setdefault(payout.membership_id, payout)
    panels = {}
    for membership in memberships:
        row = sums.get(membership.pk, {})
        panels[membership.pk] = {
            "membership": membership,
            "currency": membership.program.currency,
            "balance_minor": row.get("balance") or 0,
            "month_minor": row.get("month") or 0,
            "next_payout": next_payouts.get(membership.pk),
        }
    return panels
