"""Fair pay: each artist's effective hourly rate against the rate card's floor, and accepted feedback not
paid out yet."""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Exists, OuterRef, Q, Subquery, Sum

from atelier import figure_cache
from payments import pay_transparency
from payments.models import LedgerEntry, Payout, RateCard
from payments.reports.selectors.common import EARNING_KINDS, Filters, Kind, _cached_ledger, memberships
from payments.services.rates import rate_card_for
from testers.models import Feedback, Membership, TimeLog


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
    #: where the floor comes from: "rate_card" (the version in force sets one), "program" (its settings), or ""
    floor_source: str = ""
    #: the counts and the histogram, worked out once with the rows and cached with them (see `fair_pay`)
    summary: dict | None = None

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
        if self.summary is not None:
            return self.summary["rated"]
        return sum(1 for rate, _ in self._rates() if rate is not None)

    @property
    def under_floor_count(self) -> int:
        if self.summary is not None:
            return self.summary["under"]
        return sum(1 for _, under in self._rates() if under)

    def distribution(self, bins: int = 8) -> list[dict]:
        if self.summary is not None and bins == 8:
            return self.summary["distribution"]
        return self._distribution(bins)

    def _distribution(self, bins: int) -> list[dict]:
        """Histogram of effective rates in equal-width bins from 0. With a floor, the floor is a bin edge,
        so every bin is either wholly under it or wholly at or above it. At most 2 × `bins` bins: the last one
        reaches up to the highest rate, so one artist paid far above the rest (many hours of pay on one short
        time log) cannot draw thousands of empty bins (8.5 MB of chart at 10,000 artists)."""
        rates = [max(rate, 0) for rate, _ in self._rates() if rate is not None]
        if not rates:
            return []
        top = max(max(rates), self.floor_minor or 0, 1)
        if self.floor_minor:
            below = max(1, min(bins - 1, round(bins * self.floor_minor / top)))
            width = self.floor_minor / below
            count = min(2 * bins, below + max(1, math.ceil((max(rates) + 1 - self.floor_minor) / width)))
        else:
            width, count = max(1, math.ceil(top / bins)), bins
        out = [{"low": i * width, "high": (i + 1) * width, "count": 0} for i in range(count)]
        out[-1]["high"] = max(out[-1]["high"], max(rates) + 1)
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
    rate card in force on the period's last day, or the program's own when that version sets none.
    """
    p = filters.period
    card = rate_card_for(program, p.end)
    # The version in force may set its own floor; otherwise the program's (its settings page), if any.
    floor, floor_source = (card.fair_pay_floor_hourly_minor, "rate_card") if card else (None, "")
    if floor is None and program.fair_pay_floor_hourly_minor is not None:
        floor, floor_source = program.fair_pay_floor_hourly_minor, "program"
    result = FairPay(floor_minor=floor, rate_card=card, floor_source=floor_source if floor is not None else "")
    # Every artist's rate, sorted (the page, the histogram and the counts all need the whole list): kept with the
    # pay transparency figures, which the same actions change (payments.pay_transparency.INVALIDATING_EVENTS), so
    # a visit with nothing new costs the same at 10 or 10,000 artists.
    scope = pay_transparency.scope(program.pk)
    parts = ("fair-pay", p.start.isoformat(), p.end.isoformat(), filters.cohort, filters.status, floor)

    def compute():
        data = _rate_rows(program, filters, floor)
        for i in range(0, len(data), CHUNK):  # the rows in pieces: a page reads one piece, not every artist
            figure_cache.cached(scope, (*parts, i // CHUNK), lambda i=i: data[i:i + CHUNK])
        whole = FairPay(floor_minor=floor, rate_card=None, rows=_FairPayRows(None, data))
        return {"count": len(data), "rated": whole.rated_count, "under": whole.under_floor_count,
                "distribution": whole.distribution()}

    def chunk(index):
        # An evicted piece is worked out again; under the same generation nothing it depends on has changed.
        return figure_cache.cached(scope, (*parts, index),
                                   lambda: _rate_rows(program, filters, floor)[index * CHUNK:(index + 1) * CHUNK])

    result.summary = figure_cache.cached(scope, parts, compute)
    result.rows = _FairPayRows(result, _Chunked(result.summary["count"], chunk))
    return result


#: Rows per cache entry of the fair-pay report's sorted rates.
CHUNK = 500


class _Chunked(Sequence):
    """A cached list read piece by piece (`load(index)` gives piece `index` of CHUNK items)."""

    def __init__(self, count: int, load):
        self.count, self.load, self.pieces = count, load, {}

    def __len__(self):
        return self.count

    def __getitem__(self, i):
        if i < 0:
            i += self.count
        if not 0 <= i < self.count:
            raise IndexError(i)
        index = i // CHUNK
        if index not in self.pieces:
            self.pieces[index] = self.load(index)
        return self.pieces[index][i % CHUNK]


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


def _rate_rows(program, filters: Filters, floor: int | None) -> list[tuple]:
    """(membership id, name, earned, approved minutes, rate, under the floor) of every artist, sorted by rate."""
    p = filters.period
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
    data = []
    for pk, name in memberships(program, filters).values_list("pk", "artist__display_name"):
        earned_minor, approved_minutes = earned.get(pk) or 0, minutes.get(pk) or 0
        rate = _rate_per_hour_minor(earned_minor, approved_minutes) if approved_minutes else None
        data.append((pk, name, earned_minor, approved_minutes, rate,
                     rate is not None and floor is not None and rate < floor))
    data.sort(key=lambda d: (d[4] is None, d[4] or 0, d[1]))
    return data
