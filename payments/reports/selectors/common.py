"""What every report shares: the period and filters, the earning kinds, the membership rows and the short
cache of program-wide ledger figures.

Definitions (also in docs/payments-reports.md):

- Earnings are ledger entries of kind time, feedback, bonus (shipped feedback), stipend and adjustment (adjustments
  are signed). The reports count the shipped bonus with accepted feedback ("feedback" figures).
  Payout, payout_failed and reversal entries move money already earned: they are not earnings.
- "Paid" in a period is the net of the money-movement entries dated in it: −(payout + payout_failed + reversal).
- A balance is the sum of every ledger entry up to a date (DESIGN.md: balance = sum of the ledger).
"""
from __future__ import annotations

import calendar
import hashlib
import math
import time as time_module
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.core.cache import cache
from django.db.models import BigIntegerField, DecimalField, Min, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from payments.models import LedgerEntry
from testers.models import Membership


Kind = LedgerEntry.Kind


EARNING_KINDS = (Kind.TIME, Kind.FEEDBACK, Kind.BONUS, Kind.STIPEND, Kind.ADJUSTMENT)


MONEY_MOVEMENT_KINDS = (Kind.PAYOUT, Kind.PAYOUT_FAILED, Kind.REVERSAL)


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
    def default(cls, today: date | None = None, *, since: date | None = None) -> Period:
        """The calendar year to date: what finance looks at most often. From `since` (the program's start) when
        that is later in the year, so the reports list no empty months before the program existed."""
        today = today or timezone.localdate()
        start = date(today.year, 1, 1)
        if since is not None and start < since <= today:
            start = since
        return cls(start, today)

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


def month_bounds(year: int, month: int) -> Period:
    return Period(date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]))


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


def _entries(program, filters: Filters):
    return LedgerEntry.objects.filter(program=program).filter(filters.membership_q("membership__"))


# Program-wide ledger figures come from one GROUP BY (work_date, kind) over the program's entries: a few
# hundred rows a year, from which totals, sources, the monthly series and the balance are all derived for
# any period. That result is cached briefly (see _cached_ledger).
LEDGER_DAYS_CACHE_SECONDS = 60


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


def program_started(program) -> date:
    """The day the program started: its creation, or its first ledger entry if that is earlier (entries can be
    dated back, as imported hours or the demo's are). One query."""
    created = timezone.localdate(program.created_at) if program.created_at else None
    first = LedgerEntry.objects.filter(program=program).aggregate(first=Min("work_date"))["first"]
    days = [d for d in (created, first) if d is not None]
    return min(days) if days else timezone.localdate()
