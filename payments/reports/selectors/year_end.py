"""Year-end totals: what each artist was paid in a calendar year, against the reporting threshold."""
from __future__ import annotations

from datetime import date

from django.db.models import BigIntegerField, Count, F, OuterRef, Q, Subquery, Sum

from payments.models import LedgerEntry, Payout
from payments.reports.selectors.common import EARNING_KINDS, Filters, Period, _big, memberships


# US Form 1099-NEC reporting threshold (payments to one non-employee in a calendar year), in US cents.
# $600 for payments made through 2025; $2,000 for payments made from 2026 (One Big Beautiful Bill Act).
# From 2027 the IRS indexes the $2,000 for inflation: add the published figure for each new year here.
US_1099_NEC_THRESHOLDS_MINOR = {2025: 600_00, 2026: 2000_00}


def us_1099_nec_threshold_minor(year: int) -> int:
    if year <= 2025:
        return 600_00
    known = [y for y in US_1099_NEC_THRESHOLDS_MINOR if y <= year]
    # Years after the newest known one reuse it until the indexed figure is added above.
    return US_1099_NEC_THRESHOLDS_MINOR[max(known)]


def reporting_threshold_minor(program, year: int) -> int | None:
    """The program's own threshold, else the US 1099-NEC one for USD programs; None when nothing applies."""
    if program.reporting_threshold_minor is not None:
        return program.reporting_threshold_minor
    if program.currency == "USD":
        return us_1099_nec_threshold_minor(year)
    return None


def year_end_totals(program, year: int, filters: Filters):
    """Per artist: payments made in the calendar year (paid payouts by paid date, net of reversals),
    and earnings dated in the year. One query (the earnings are a correlated subquery)."""
    tz_bounds = Period.year(year).aware_bounds()
    paid_q = Q(payouts__status=Payout.Status.PAID, payouts__paid_at__gte=tz_bounds[0],
               payouts__paid_at__lt=tz_bounds[1])
    earned = (
        LedgerEntry.objects.filter(membership=OuterRef("pk"), kind__in=EARNING_KINDS,
                                   work_date__gte=date(year, 1, 1), work_date__lte=date(year, 12, 31))
        .order_by().values("membership").annotate(total=Sum("amount_minor")).values("total")
    )
    return (
        memberships(program, filters)
        .annotate(
            gross_paid_minor=_big(Sum("payouts__amount_minor", filter=paid_q)),
            reversed_minor=_big(Sum("payouts__reversed_amount_minor", filter=paid_q)),
            payout_count=Count("payouts", filter=paid_q),
            earned_minor=_big(Subquery(earned, output_field=BigIntegerField())),
        )
        .annotate(paid_minor=F("gross_paid_minor") - F("reversed_minor"))
        .order_by("artist__display_name", "pk")
    )


def attach_year_end(members, year: int) -> list:
    """Set year_end_totals's figures on a page of memberships: two GROUP BY queries over their rows only."""
    members = list(members)
    ids = [m.pk for m in members]
    low, high = Period.year(year).aware_bounds()
    paid = {
        row["membership"]: row
        for row in Payout.objects.filter(membership__in=ids, status=Payout.Status.PAID, paid_at__gte=low,
                                         paid_at__lt=high)
        .values("membership").annotate(gross=Sum("amount_minor"), reversed=Sum("reversed_amount_minor"),
                                       count=Count("id")).order_by()
    }
    earned = dict(
        LedgerEntry.objects.filter(membership__in=ids, kind__in=EARNING_KINDS, work_date__gte=date(year, 1, 1),
                                   work_date__lte=date(year, 12, 31))
        .values("membership").annotate(total=Sum("amount_minor")).order_by().values_list("membership", "total")
    )
    for m in members:
        row = paid.get(m.pk, {})
        m.gross_paid_minor = row.get("gross") or 0
        m.reversed_minor = row.get("reversed") or 0
        m.payout_count = row.get("count", 0)
        m.earned_minor = earned.get(m.pk) or 0
        m.paid_minor = m.gross_paid_minor - m.reversed_minor
    return members


def year_end_flagged_count(program, year: int, filters: Filters, threshold: int) -> int:
    """How many of year_end_totals's artists were paid at least the threshold in the year. One query."""
    if threshold <= 0:  # artists without any payment reach it too
        return year_end_totals(program, year, filters).filter(paid_minor__gte=threshold).count()
    low, high = Period.year(year).aware_bounds()
    return (
        Payout.objects.filter(membership__program=program, status=Payout.Status.PAID, paid_at__gte=low,
                              paid_at__lt=high)
        .filter(filters.membership_q("membership__"))
        .values("membership").annotate(paid=Sum("amount_minor") - Sum("reversed_amount_minor"))
        .filter(paid__gte=threshold).order_by().count()
    )
