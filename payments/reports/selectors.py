"""Report figures of one program, aggregated in PostgreSQL (GROUP BY / conditional sums).

Every function here runs a fixed number of queries whatever the number of artists, entries or payouts.
Definitions (also in docs/payments-reports.md):

- Earnings are ledger entries of kind time, feedback, stipend and adjustment (adjustments are signed).
  Payout, payout_failed and reversal entries move money already earned: they are not earnings.
- "Paid" in a period is the net of the money-movement entries dated in it: −(payout + payout_failed + reversal).
- A balance is the sum of every ledger entry up to a date (DESIGN.md: balance = sum of the ledger).
"""
from __future__ import annotations

import calendar
import hashlib
import math
import statistics
import time as time_module
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.core.cache import cache
from django.db import connection
from django.db.models import (
    Aggregate, BigIntegerField, Count, DecimalField, DurationField, Exists, ExpressionWrapper, F, FloatField, Func,
    OuterRef, Q, Subquery, Sum, Value,
)
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from payments.models import LedgerEntry, Payout, PayoutRun, RateCard
from testers.models import Feedback, Membership, TimeLog

Kind = LedgerEntry.Kind
EARNING_KINDS = (Kind.TIME, Kind.FEEDBACK, Kind.STIPEND, Kind.ADJUSTMENT)
MONEY_MOVEMENT_KINDS = (Kind.PAYOUT, Kind.PAYOUT_FAILED, Kind.REVERSAL)

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


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    def __post_init__(self):
        if self.start > self.end:
            raise ValueError("A period starts before it ends.")

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(date(year, 1, 1), date(year, 12, 31))

    @classmethod
    def default(cls, today: date | None = None) -> Period:
        """The calendar year to date: what finance looks at most often."""
        today = today or timezone.localdate()
        return cls(date(today.year, 1, 1), today)

    def months(self) -> list[date]:
        """First day of each calendar month the period touches, in order."""
        out, current = [], self.start.replace(day=1)
        while current <= self.end:
            out.append(current)
            current = (current + timedelta(days=32)).replace(day=1)
        return out

    def aware_bounds(self) -> tuple[datetime, datetime]:
        """[start 00:00, day after end 00:00) in the site's time zone, for datetime fields."""
        tz = timezone.get_current_timezone()
        return (timezone.make_aware(datetime.combine(self.start, time.min), tz),
                timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min), tz))

    def __str__(self):
        return f"{self.start:%-d %b %Y} – {self.end:%-d %b %Y}"


@dataclass(frozen=True)
class Filters:
    period: Period
    cohort: str = ""
    status: str = ""  # membership status
    payout_status: str = ""  # only the payout list and its export

    def membership_q(self, prefix: str = "") -> Q:
        q = Q()
        if self.cohort:
            q &= Q(**{f"{prefix}cohort": self.cohort})
        if self.status:
            q &= Q(**{f"{prefix}status": self.status})
        return q


def _big(expr):
    return Coalesce(expr, Value(0), output_field=BigIntegerField())


def _hours(expr):
    return Coalesce(expr, Value(Decimal("0")), output_field=DecimalField(max_digits=14, decimal_places=2))


def cohorts(program) -> list[str]:
    return list(
        Membership.objects.filter(program=program).exclude(cohort="")
        .order_by("cohort").values_list("cohort", flat=True).distinct()
    )


def memberships(program, filters: Filters):
    return Membership.objects.filter(program=program).filter(filters.membership_q()).select_related("artist")


# --- earnings --------------------------------------------------------------------------------------

def earnings_by_artist(program, filters: Filters):
    """One row per membership: hours, time, feedback, stipend, adjustments, earned, paid, closing balance.

    One query (plus a count when paginated): a single join on the ledger with conditional sums.
    """
    p = filters.period
    in_period = Q(ledger_entries__work_date__gte=p.start, ledger_entries__work_date__lte=p.end)

    def kind_sum(*kinds):
        return _big(Sum("ledger_entries__amount_minor", filter=in_period & Q(ledger_entries__kind__in=kinds)))

    return (
        memberships(program, filters)
        .annotate(
            hours=_hours(Sum("ledger_entries__quantity", filter=in_period & Q(ledger_entries__kind=Kind.TIME))),
            time_minor=kind_sum(Kind.TIME),
            feedback_items=Count("ledger_entries", filter=in_period & Q(ledger_entries__kind=Kind.FEEDBACK)),
            feedback_minor=kind_sum(Kind.FEEDBACK),
            stipend_minor=kind_sum(Kind.STIPEND),
            adjustment_minor=kind_sum(Kind.ADJUSTMENT),
            movement_minor=kind_sum(*MONEY_MOVEMENT_KINDS),
            opening_minor=_big(Sum("ledger_entries__amount_minor", filter=Q(ledger_entries__work_date__lt=p.start))),
            balance_minor=_big(Sum("ledger_entries__amount_minor", filter=Q(ledger_entries__work_date__lte=p.end))),
        )
        .annotate(
            earned_minor=F("time_minor") + F("feedback_minor") + F("stipend_minor") + F("adjustment_minor"),
            paid_minor=-F("movement_minor"),
        )
        .order_by("artist__display_name", "pk")
    )


def _entries(program, filters: Filters):
    return LedgerEntry.objects.filter(program=program).filter(filters.membership_q("membership__"))


def _earning_sums(p: Period) -> dict:
    """The per-membership figures of earnings_by_artist as aggregates over LedgerEntry rows (no join)."""
    in_period = Q(work_date__gte=p.start, work_date__lte=p.end)

    def kind_sum(*kinds):
        return _big(Sum("amount_minor", filter=in_period & Q(kind__in=kinds)))

    return dict(
        hours=_hours(Sum("quantity", filter=in_period & Q(kind=Kind.TIME))),
        time_minor=kind_sum(Kind.TIME),
        feedback_items=Count("id", filter=in_period & Q(kind=Kind.FEEDBACK)),
        feedback_minor=kind_sum(Kind.FEEDBACK),
        stipend_minor=kind_sum(Kind.STIPEND),
        adjustment_minor=kind_sum(Kind.ADJUSTMENT),
        movement_minor=kind_sum(*MONEY_MOVEMENT_KINDS),
        opening_minor=_big(Sum("amount_minor", filter=Q(work_date__lt=p.start))),
        balance_minor=_big(Sum("amount_minor", filter=Q(work_date__lte=p.end))),
    )


EARNING_FIGURES = ("hours", "time_minor", "feedback_items", "feedback_minor", "stipend_minor", "adjustment_minor",
                   "movement_minor", "opening_minor", "balance_minor")


def attach_earnings(members, program, filters: Filters) -> list:
    """Set earnings_by_artist's figures on a page of memberships: one GROUP BY query over their entries only.

    The report pages paginate the memberships first (a cheap COUNT on memberships), then aggregate the
    ledger of the 50 artists shown, through the (membership, work_date) index.
    """
    members = list(members)
    p = filters.period
    grouped = {
        row["membership"]: row
        for row in LedgerEntry.objects.filter(membership__in=[m.pk for m in members], work_date__lte=p.end)
        .values("membership").annotate(**_earning_sums(p)).order_by()
    }
    for m in members:
        row = grouped.get(m.pk, {})
        for name in EARNING_FIGURES:
            setattr(m, name, row.get(name, Decimal("0") if name == "hours" else 0))
        m.earned_minor = m.time_minor + m.feedback_minor + m.stipend_minor + m.adjustment_minor
        m.paid_minor = -m.movement_minor
    return members


# Program-wide ledger figures come from one GROUP BY (work_date, kind) over the program's entries: a few
# hundred rows a year, from which totals, sources, the monthly series and the balance are all derived for
# any period. That result is cached briefly (see _cached_ledger).
LEDGER_DAYS_CACHE_SECONDS = 60


def _ledger_days(program, filters: Filters) -> list[tuple]:
    """[(work_date, kind, entries, quantity or None, amount)] of the program's entries (membership filters
    applied), one row per day and kind. Cached briefly, see _cached_ledger (two queries on a hit).
    """
    def query(entries):
        return [
            (row["work_date"], row["kind"], row["entries"], row["quantity"], row["amount"])
            for row in entries.values("work_date", "kind")
            .annotate(entries=Count("id"), quantity=Sum("quantity"), amount=Sum("amount_minor")).order_by()
        ]

    def merge(rows, more):
        acc = {(day, kind): [count, qty, total] for day, kind, count, qty, total in rows}
        for day, kind, count, qty, total in more:
            cur = acc.setdefault((day, kind), [0, None, 0])
            cur[0] += count
            cur[2] += total
            if qty is not None:
                cur[1] = qty if cur[1] is None else cur[1] + qty
        return [(day, kind, count, qty, total) for (day, kind), (count, qty, total) in acc.items()]

    return _cached_ledger(program, filters, "ledger-days", query, merge)


def _cached_ledger(program, filters: Filters, name: str, query, merge):
    """query(entries) over the program's entries (membership filters applied), cached for at most
    LEDGER_DAYS_CACHE_SECONDS under the program and the cohort/status filter.

    The cached value remembers the newest entry id it covers. The ledger is append-only, so on each call
    (one primary-key lookup for the newest id) the entries written since are read by id range and merged
    in with `merge(old, new)`: a new entry shows at once, for the cost of reading the new entries only.
    Seen only when the value expires and is recomputed in full (at most LEDGER_DAYS_CACHE_SECONDS later): an
    entry committed late with a lower id (two concurrent writers), and a membership's new cohort or status
    under a cohort/status filter.
    """
    newest = LedgerEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    member_filters = hashlib.sha256(f"{filters.cohort}\x00{filters.status}".encode()).hexdigest()[:16]
    key = f"payments:reports:{name}:{program.pk}:{member_filters}"
    entries = _entries(program, filters).filter(id__lte=newest)
    now = time_module.time()
    hit = cache.get(key)
    if hit is not None and hit["expires"] > now and hit["newest"] <= newest:
        if hit["newest"] == newest:
            return hit["rows"]
        rows = merge(hit["rows"], query(entries.filter(id__gt=hit["newest"])))
        expires = hit["expires"]
    else:
        rows, expires = query(entries), now + LEDGER_DAYS_CACHE_SECONDS
    cache.set(key, {"newest": newest, "rows": rows, "expires": expires}, max(1, math.ceil(expires - now)))
    return rows


def ledger_figures(program, filters: Filters) -> dict:
    """earnings_totals, earnings_by_source and earnings_over_time of one period, from one _ledger_days call."""
    p = filters.period
    days = _ledger_days(program, filters)
    amount, entries, quantity = {}, {}, {}
    months = p.months()
    index = {m: i for i, m in enumerate(months)}
    labels = dict(Kind.choices)
    series = {kind.label: [0] * len(months) for kind in Kind if kind in EARNING_KINDS}
    opening = balance = 0
    for day, kind, count, qty, total in days:
        if day <= p.end:
            balance += total
        if day < p.start:
            opening += total
        if not p.start <= day <= p.end:
            continue
        amount[kind] = amount.get(kind, 0) + total
        entries[kind] = entries.get(kind, 0) + count
        if qty is not None:
            quantity[kind] = quantity.get(kind, Decimal("0")) + qty
        if kind in EARNING_KINDS:
            series[labels[kind]][index[day.replace(day=1)]] += total
    totals = {
        "hours": quantity.get(Kind.TIME.value, Decimal("0")),
        "time_minor": amount.get(Kind.TIME.value, 0),
        "feedback_items": entries.get(Kind.FEEDBACK.value, 0),
        "feedback_minor": amount.get(Kind.FEEDBACK.value, 0),
        "stipend_minor": amount.get(Kind.STIPEND.value, 0),
        "adjustment_minor": amount.get(Kind.ADJUSTMENT.value, 0),
        "movement_minor": sum(amount.get(k.value, 0) for k in MONEY_MOVEMENT_KINDS),
        "opening_minor": opening,
        "balance_minor": balance,
    }
    totals["earned_minor"] = sum(totals[k] for k in ("time_minor", "feedback_minor", "stipend_minor",
                                                    "adjustment_minor"))
    totals["paid_minor"] = -totals["movement_minor"]
    sources = [{
        "kind": kind.value, "label": kind.label, "entries": entries.get(kind.value, 0),
        "quantity": quantity.get(kind.value) or Decimal("0"), "total_minor": amount.get(kind.value, 0),
        "is_earning": kind in EARNING_KINDS,
    } for kind in Kind]
    return {"totals": totals, "sources": sources, "over_time": {"months": months, "series": series}}


def earnings_totals(program, filters: Filters) -> dict:
    """The totals row of earnings_by_artist (see ledger_figures)."""
    return ledger_figures(program, filters)["totals"]


def earnings_by_source(program, filters: Filters) -> list[dict]:
    """Every ledger kind with its entry count, quantity and total in the period (see ledger_figures)."""
    return ledger_figures(program, filters)["sources"]


def earnings_over_time(program, filters: Filters) -> dict:
    """{"months": [date], "series": {kind label: [minor per month]}} of earnings kinds (see ledger_figures)."""
    return ledger_figures(program, filters)["over_time"]


def program_balance_minor(program) -> int:
    """The sum of every ledger entry of the program. One SUM, cached briefly (see _cached_ledger)."""
    def query(entries):
        return entries.aggregate(total=_big(Sum("amount_minor")))["total"]

    return _cached_ledger(program, Filters(Period.default()), "balance", query, lambda old, new: old + new)


def ledger_lines(program, filters: Filters):
    """Every entry of the period as tuples, for the streamed export (one server-side cursor)."""
    p = filters.period
    return (
        _entries(program, filters).filter(work_date__gte=p.start, work_date__lte=p.end)
        .order_by("work_date", "id")
        .values_list("work_date", "membership__artist__display_name", "membership__artist__legal_name",
                     "membership__cohort", "kind", "source_key", "description", "quantity", "unit_rate_minor",
                     "rate_card__version", "amount_minor", "currency", "payout__stripe_transfer_id")
    )


# --- payouts ---------------------------------------------------------------------------------------

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


# --- year-end totals -------------------------------------------------------------------------------

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


# --- fair pay --------------------------------------------------------------------------------------

def rate_card_in_force(program, on: date) -> RateCard | None:
    return RateCard.objects.filter(program=program, effective_date__lte=on).order_by("-effective_date").first()


def _rate_per_hour_minor(earned_minor: int, minutes: int) -> int:
    """earned / (minutes / 60), rounded half away from zero to a whole minor unit."""
    value = (Decimal(earned_minor) * 60 / Decimal(minutes)).quantize(Decimal("1"), rounding=ROUND_HALF_UP)
    return int(value)


@dataclass
class FairPayRow:
    membership_id: int
    display_name: str
    earned_minor: int
    minutes: int
    rate_minor: int | None
    under_floor: bool
    result: FairPay | None = field(default=None, repr=False, compare=False)
    _membership: Membership | None = field(default=None, repr=False, compare=False)

    @property
    def membership(self) -> Membership:
        """Loaded on first use, for the rows of the page (FairPay.load_memberships) or else all rows at once."""
        if self._membership is None:
            self.result.load_memberships()
        return self._membership

    @property
    def hours(self) -> Decimal:
        return (Decimal(self.minutes) / 60).quantize(Decimal("0.01"))


@dataclass
class FairPay:
    floor_minor: int | None
    rate_card: RateCard | None
    rows: Sequence[FairPayRow] = field(default_factory=list)

    def load_memberships(self, rows=None) -> None:
        """Fetch the memberships (with their artists) of `rows` (default: every row) that are not loaded yet."""
        wanted = [r for r in (self.rows if rows is None else rows) if r._membership is None]
        loaded = Membership.objects.select_related("artist").in_bulk([r.membership_id for r in wanted])
        for r in wanted:
            r._membership = loaded[r.membership_id]

    def _rates(self) -> list[tuple[int | None, bool]]:
        """(rate_minor, under_floor) of every row, without building the rows."""
        if isinstance(self.rows, _FairPayRows):
            return [(data[4], data[5]) for data in self.rows.data]
        return [(r.rate_minor, r.under_floor) for r in self.rows]

    @property
    def rated(self):
        return [r for r in self.rows if r.rate_minor is not None]

    @property
    def under_floor(self):
        return [r for r in self.rows if r.under_floor]

    @property
    def rated_count(self) -> int:
        return sum(1 for rate, _ in self._rates() if rate is not None)

    @property
    def under_floor_count(self) -> int:
        return sum(1 for _, under in self._rates() if under)

    def distribution(self, bins: int = 8) -> list[dict]:
        """Histogram of effective rates in equal-width bins from 0. With a floor, the floor is a bin edge,
        so every bin is either wholly under it or wholly at or above it."""
        rates = [max(rate, 0) for rate, _ in self._rates() if rate is not None]
        if not rates:
            return []
        top = max(max(rates), self.floor_minor or 0, 1)
        if self.floor_minor:
            below = max(1, min(bins - 1, round(bins * self.floor_minor / top)))
            width = self.floor_minor / below
            count = below + max(1, math.ceil((max(rates) + 1 - self.floor_minor) / width))
        else:
            width, count = max(1, math.ceil(top / bins)), bins
        out = [{"low": i * width, "high": (i + 1) * width, "count": 0} for i in range(count)]
        for rate in rates:
            out[min(int(rate // width), count - 1)]["count"] += 1
        for b in out:
            b["under_floor"] = self.floor_minor is not None and b["high"] <= self.floor_minor
        return out


class _FairPayRows(Sequence):
    """FairPay.rows built on access from compact tuples (membership id, name, earned, minutes, rate, under
    the floor): a page of a 10,000-artist program builds 50 rows, not 10,000 objects per view."""

    def __init__(self, result: FairPay, data: list[tuple]):
        self.result, self.data, self._built = result, data, {}

    def __len__(self):
        return len(self.data)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self.data)))]
        if i < 0:
            i += len(self.data)
        row = self._built.get(i)
        if row is None:
            pk, name, earned, minutes, rate, under = self.data[i]  # IndexError ends iteration
            row = self._built[i] = FairPayRow(pk, name, earned, minutes, rate, under, result=self.result)
        return row


def fair_pay(program, filters: Filters) -> FairPay:
    """Each artist's effective hourly rate over the period: earnings / approved hours. A fixed number of
    queries (the rate card, approved minutes and earnings per membership, the memberships' names; the rows'
    memberships are loaded on use, see FairPayRow.membership).

    Hours are the minutes of approved time logs dated in the period. Artists without approved hours have
    no rate (they are listed, not counted in the distribution, never flagged). The floor is that of the
    rate card in force on the period's last day.
    """
    p = filters.period
    card = rate_card_in_force(program, p.end)
    floor = card.fair_pay_floor_hourly_minor if card else None
    minutes = dict(
        TimeLog.objects.filter(membership__program=program, status=TimeLog.Status.APPROVED,
                               date__gte=p.start, date__lte=p.end)
        .filter(filters.membership_q("membership__"))
        .values("membership").annotate(total=Sum("minutes")).order_by().values_list("membership", "total")
    )
    def earned_by_membership(entries):
        return dict(
            entries.filter(work_date__gte=p.start, work_date__lte=p.end, kind__in=EARNING_KINDS)
            .values("membership").annotate(total=Sum("amount_minor")).order_by().values_list("membership", "total")
        )

    def add(earned, more):
        return {**earned, **{pk: earned.get(pk, 0) + total for pk, total in more.items()}}

    earned = _cached_ledger(program, filters, f"fair-pay-earned:{p.start}:{p.end}", earned_by_membership, add)
    result = FairPay(floor_minor=floor, rate_card=card)
    data = []
    for pk, name in memberships(program, filters).values_list("pk", "artist__display_name"):
        earned_minor, approved_minutes = earned.get(pk) or 0, minutes.get(pk) or 0
        rate = _rate_per_hour_minor(earned_minor, approved_minutes) if approved_minutes else None
        data.append((pk, name, earned_minor, approved_minutes, rate,
                     rate is not None and floor is not None and rate < floor))
    data.sort(key=lambda d: (d[4] is None, d[4] or 0, d[1]))
    result.rows = _FairPayRows(result, data)
    return result


def accepted_unpaid_feedback(program, filters: Filters):
    """Accepted feedback that has not reached the artist's bank yet, oldest acceptance first. One query.

    - "not priced": accepted (or shipped) feedback with no ledger entry;
    - "not paid out": it has an entry, but no paid payout covers it yet. A payout run pays the balance as
      of its period end, so an entry is covered by a paid payout of the same artist from a run created
      after the entry was written and whose period ends on or after the entry's work date.
    """
    entry = LedgerEntry.objects.filter(feedback=OuterRef("pk"), kind=Kind.FEEDBACK).order_by("id")
    covered = Payout.objects.filter(
        membership=OuterRef("membership"), status=Payout.Status.PAID,
        created_at__gte=OuterRef("entry_created_at"), run__period_end__gte=OuterRef("entry_work_date"),
    )
    return (
        Feedback.objects.filter(membership__program=program, accepted_at__isnull=False,
                                status__in=[Feedback.Status.ACCEPTED, Feedback.Status.SHIPPED])
        .filter(filters.membership_q("membership__"))
        .select_related("membership__artist")
        .annotate(
            entry_id=Subquery(entry.values("pk")[:1]),
            entry_amount_minor=Subquery(entry.values("amount_minor")[:1]),
            entry_created_at=Subquery(entry.values("created_at")[:1]),
            entry_work_date=Subquery(entry.values("work_date")[:1]),
        )
        .annotate(paid_out=Exists(covered))
        .filter(Q(entry_id__isnull=True) | Q(paid_out=False))
        .order_by("accepted_at", "id")
    )


# --- statements ------------------------------------------------------------------------------------

@dataclass
class Statement:
    membership: Membership
    period: Period
    currency: str
    opening_minor: int
    earned_minor: int
    paid_minor: int
    closing_minor: int
    entries: list
    payouts: list


def statement(membership, period: Period) -> Statement:
    """An artist's statement for a period: opening balance, every line, payouts, closing balance. Three queries."""
    own = LedgerEntry.objects.filter(membership=membership)
    in_period = Q(work_date__gte=period.start, work_date__lte=period.end)
    sums = own.aggregate(
        opening=_big(Sum("amount_minor", filter=Q(work_date__lt=period.start))),
        earned=_big(Sum("amount_minor", filter=in_period & Q(kind__in=EARNING_KINDS))),
        movement=_big(Sum("amount_minor", filter=in_period & Q(kind__in=MONEY_MOVEMENT_KINDS))),
    )
    entries = list(own.filter(in_period).select_related("rate_card", "payout").order_by("work_date", "id"))
    payouts = list(
        Payout.objects.filter(membership=membership, ledger_entries__kind=Kind.PAYOUT,
                              ledger_entries__work_date__gte=period.start,
                              ledger_entries__work_date__lte=period.end)
        .select_related("run").distinct().order_by("created_at", "id")
    )
    closing = sums["opening"] + sums["earned"] + sums["movement"]
    return Statement(
        membership=membership, period=period, currency=membership.program.currency,
        opening_minor=sums["opening"], earned_minor=sums["earned"], paid_minor=-sums["movement"],
        closing_minor=closing, entries=entries, payouts=payouts,
    )


# --- review figures (content_review) and the manager dashboard ---------------------------------------

class Median(Aggregate):
    """PostgreSQL's continuous median: percentile_cont(0.5) WITHIN GROUP (ORDER BY expr)."""

    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


def review_figures_over_time(program, filters: Filters) -> dict:
    """The content-review figures, per calendar month of first submission (one GROUP BY query).

    Same definitions as content_review.selectors.review_report, which gives them for one period: requests
    first submitted in the month; of those, approved, refused (refused or appealed), deadlines missed; and
    the median hours from submission to the first decision.
    """
    from content_review.models import ReviewDecision, ShareRequest

    Status = ShareRequest.Status
    p = filters.period
    months = p.months()
    index = {m: i for i, m in enumerate(months)}
    low, high = p.aware_bounds()
    on_postgresql = connection.vendor == "postgresql"
    first_decisions = ReviewDecision.objects.filter(share_request=OuterRef("pk")).order_by("created_at", "id")
    if on_postgresql:
        first_delay = first_decisions.annotate(
            hours=Func(F("created_at") - F("submitted_at"), template="EXTRACT(EPOCH FROM %(expressions)s)",
                       output_field=FloatField()) / 3600.0).values("hours")[:1]
        delay_field = FloatField()
    else:
        # SQLite (the embedded default) has no percentile aggregate: take the delays and find medians here.
        first_delay = first_decisions.annotate(
            delay=ExpressionWrapper(F("created_at") - F("submitted_at"), output_field=DurationField())
        ).values("delay")[:1]
        delay_field = DurationField()
    requests = (
        ShareRequest.objects.filter(membership__program=program, first_submitted_at__gte=low,
                                    first_submitted_at__lt=high)
        .filter(filters.membership_q("membership__"))
        .annotate(month=TruncMonth("first_submitted_at"), first_delay=Subquery(first_delay, output_field=delay_field))
    )
    rows = (
        requests.values("month")
        .annotate(
            submitted=Count("id"),
            approved=Count("id", filter=Q(status=Status.APPROVED)),
            refused=Count("id", filter=Q(status__in=[Status.REFUSED, Status.APPEALED])),
            missed=Count("id", filter=Q(deadline_missed=True)),
            **({"median_hours": Median("first_delay")} if on_postgresql else {}),
        )
        .order_by()
    )
    if not on_postgresql:
        delays = {}
        for month, delay in requests.filter(first_delay__isnull=False).values_list("month", "first_delay"):
            delays.setdefault(month, []).append(delay.total_seconds() / 3600.0)
        rows = [{**row, "median_hours": statistics.median(delays[row["month"]]) if row["month"] in delays else None}
                for row in rows]
    counts = {name: [0] * len(months) for name in ("Submitted", "Approved", "Refused", "Deadlines missed")}
    hours = {"Median hours to first decision": [0] * len(months)}
    for row in rows:
        i = index[timezone.localdate(row["month"]).replace(day=1)]
        counts["Submitted"][i] = row["submitted"]
        counts["Approved"][i] = row["approved"]
        counts["Refused"][i] = row["refused"]
        counts["Deadlines missed"][i] = row["missed"]
        hours["Median hours to first decision"][i] = round(row["median_hours"] or 0, 1)
    return {"months": months, "series": counts, "hours": hours}


NEAR_DEADLINE = timedelta(hours=48)


def dashboard(program) -> dict:
    """The manager's headline figures for one program. A fixed number of queries (about ten)."""
    from content_review.models import ShareRequest
    from testers.selectors import current_terms

    now = timezone.now()
    members = Membership.objects.filter(program=program)
    counts = members.aggregate(
        active=Count("id", filter=Q(status=Membership.Status.ACTIVE)),
        invited=Count("id", filter=Q(status=Membership.Status.INVITED)),
        paused=Count("id", filter=Q(status=Membership.Status.PAUSED)),
    )
    terms = current_terms(program)
    pending_terms = (
        members.filter(status=Membership.Status.ACTIVE).exclude(acceptances__terms_version=terms).count()
        if terms else 0
    )
    feedback_new = Feedback.objects.filter(membership__program=program, status=Feedback.Status.NEW).count()
    time_pending = TimeLog.objects.filter(membership__program=program, status=TimeLog.Status.PENDING).aggregate(
        count=Count("id"), minutes=Coalesce(Sum("minutes"), Value(0)))
    near = (
        ShareRequest.objects.filter(membership__program=program, status__in=ShareRequest.OPEN,
                                    deadline_at__isnull=False, deadline_at__lte=now + NEAR_DEADLINE)
        .select_related("membership__artist").order_by("deadline_at", "id")
    )
    near_list = list(near[:10])
    near_count = near.count() if len(near_list) == 10 else len(near_list)
    balance = program_balance_minor(program)
    next_run = (
        PayoutRun.objects.filter(program=program, status__in=[
            PayoutRun.Status.CREATED, PayoutRun.Status.APPROVED, PayoutRun.Status.SENDING])
        .order_by("period_end", "id").first()
    )
    last_run = None
    if next_run is None:
        last_run = PayoutRun.objects.filter(program=program).exclude(status=PayoutRun.Status.CANCELLED).order_by(
            "-period_end", "-id").first()
    suggested = None
    if next_run is None:
        start = (last_run.period_end + timedelta(days=1)) if last_run else timezone.localdate().replace(day=1)
        suggested = month_bounds(start.year, start.month)
        if suggested.start < start:
            suggested = Period(start, suggested.end)
    return {
        "active_artists": counts["active"], "invited_artists": counts["invited"], "paused_artists": counts["paused"],
        "current_terms": terms, "pending_terms": pending_terms,
        "feedback_new": feedback_new,
        "time_pending": time_pending["count"], "time_pending_minutes": time_pending["minutes"],
        "share_requests_near_deadline": near_list, "share_requests_near_deadline_count": near_count,
        "near_deadline_hours": int(NEAR_DEADLINE.total_seconds() // 3600),
        "unpaid_balance_minor": balance, "next_run": next_run, "last_run": last_run, "suggested_period": suggested,
    }


def month_bounds(year: int, month: int) -> Period:
    return Period(date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]))
