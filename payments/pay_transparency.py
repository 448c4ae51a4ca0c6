"""Pay transparency (docs/payments-reports.md, "Pay transparency"): an artist's effective hourly rate beside their
cohort's median and the program's fair-pay floor; for managers, the spread per cohort and who falls under the floor.

Over the last twelve months (the 365 days up to today), for the current artists of a program (memberships active or
paused):

- earnings = ledger entries of the earning kinds (time, accepted feedback, shipped bonus, stipend, adjustments)
  dated in the period; approved hours = minutes of approved time logs dated in it;
- effective hourly rate = earnings ÷ approved hours, rounded half up to a whole minor unit (as on the fair-pay
  report); an artist without approved hours has no rate ("no pay data") and is counted nowhere;
- a cohort is the artists sharing a membership's cohort (case does not matter; artists with none form one group);
- a cohort's figures (median, quartiles) are shown to its artists only when at least MIN_COHORT of them have a
  rate, so nobody can work out another artist's pay from them.

One grouped query per program (and cohort, for an artist), cached under a per-program generation that the actions
that change earnings, approved hours, cohorts, memberships or the floor replace (their events, see `connect`).
"""
from __future__ import annotations

import datetime
import statistics
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import BigIntegerField, IntegerField, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from atelier import bounds, events, figure_cache
from payments.models import LedgerEntry, RateCard
from payments.reports.selectors.common import EARNING_KINDS
from payments.services.rates import rate_card_for
from testers.models import Membership, TimeLog

#: The fewest artists with pay data a cohort needs before its figures are shown to its artists.
MIN_COHORT = 5
#: Cached figures are replaced by the next generation (see `forget`); this only bounds what an idle program keeps.
CACHE_SECONDS = 24 * 3600
CURRENT = (Membership.Status.ACTIVE, Membership.Status.PAUSED)

#: The events after which a program's figures are recomputed: earnings recorded, time approved or corrected,
#: memberships changed (status, cohort, joined), the floor changed (rate cards, program settings).
INVALIDATING_EVENTS = (
    "testers.timelog.approved", "testers.timelog.corrected", "testers.feedback.accepted", "testers.feedback.shipped", "testers.membership.*",
    "testers.invitation.accepted", "testers.program.settings_changed", "payments.ledger.*", "payments.ratecard.*",
)


def period(today: datetime.date | None = None) -> tuple[datetime.date, datetime.date]:
    """The last twelve months: from the day after the same day a year ago, up to today (inclusive)."""
    today = today or timezone.localdate()
    return bounds.years_from(today, -1) + datetime.timedelta(days=1), today


def rate_per_hour_minor(earned_minor: int, minutes: int) -> int:
    """earned / (minutes / 60), rounded half up to a whole minor unit."""
    return int((Decimal(earned_minor) * 60 / Decimal(minutes)).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def floor_for(program, day: datetime.date) -> tuple[int | None, RateCard | None, str]:
    """The fair-pay floor on `day`: the rate card version in force sets it, else the program's own setting.
    (floor or None, the card in force, "rate_card" | "program" | "")."""
    card = rate_card_for(program, day)
    if card is not None and card.fair_pay_floor_hourly_minor is not None:
        return card.fair_pay_floor_hourly_minor, card, "rate_card"
    if program.fair_pay_floor_hourly_minor is not None:
        return program.fair_pay_floor_hourly_minor, card, "program"
    return None, card, ""


def _whole(value) -> int:
    return int(Decimal(str(value)).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


@dataclass
class Spread:
    """One cohort's figures: how many artists have a rate, quartiles and median (None when no one has one)."""

    cohort: str
    artists: int = 0
    under_floor: int = 0
    lower_quartile_minor: int | None = None
    median_minor: int | None = None
    upper_quartile_minor: int | None = None

    @property
    def shown_to_artists(self) -> bool:
        return self.artists >= MIN_COHORT

    @classmethod
    def of(cls, cohort: str, rates: list[int], floor: int | None) -> Spread:
        spread = cls(cohort=cohort, artists=len(rates),
                     under_floor=sum(1 for r in rates if floor is not None and r < floor))
        if rates:
            spread.median_minor = _whole(statistics.median(rates))
            if len(rates) >= 2:
                q1, _, q3 = statistics.quantiles(rates, n=4, method="inclusive")
                spread.lower_quartile_minor, spread.upper_quartile_minor = _whole(q1), _whole(q3)
            else:
                spread.lower_quartile_minor = spread.upper_quartile_minor = rates[0]
        return spread


@dataclass
class Figures:
    start: datetime.date
    end: datetime.date
    currency: str
    floor_minor: int | None
    floor_source: str
    #: membership id -> (cohort as written, earned minor, approved minutes, rate or None)
    rows: dict[int, tuple] = field(default_factory=dict)
    #: (spreads, under-floor count), worked out once when the figures are computed and cached with them
    summary: tuple[list[Spread], int] | None = None

    def spreads(self) -> list[Spread]:
        """Per cohort (case-insensitive; artists with no cohort last), from the rows."""
        if self.summary is not None:
            return self.summary[0]
        groups: dict[str, tuple[str, list[int]]] = {}
        for cohort, _, _, rate in self.rows.values():
            label, rates = groups.setdefault(cohort.lower(), (cohort, []))
            if rate is not None:
                rates.append(rate)
        ordered = sorted(groups.items(), key=lambda item: (item[0] == "", item[0]))
        return [Spread.of(label, rates, self.floor_minor) for _, (label, rates) in ordered]

    @property
    def under_floor_count(self) -> int:
        if self.summary is not None:
            return self.summary[1]
        return sum(1 for *_, rate in self.rows.values()
                   if rate is not None and self.floor_minor is not None and rate < self.floor_minor)


def _compute(program, cohort: str | None, start, end) -> Figures:
    """One query: the current memberships (of a cohort) with their earnings and approved minutes in the period."""
    earned = (LedgerEntry.objects.filter(membership=OuterRef("pk"), kind__in=EARNING_KINDS,
                                         work_date__gte=start, work_date__lte=end)
              .order_by().values("membership").annotate(total=Sum("amount_minor")).values("total"))
    minutes = (TimeLog.objects.filter(membership=OuterRef("pk"), status=TimeLog.Status.APPROVED,
                                      date__gte=start, date__lte=end)
               .order_by().values("membership").annotate(total=Sum("minutes")).values("total"))
    members = Membership.objects.filter(program=program, status__in=CURRENT)
    if cohort is not None:
        members = members.filter(cohort__iexact=cohort)
    floor, _, source = floor_for(program, end)
    figures = Figures(start=start, end=end, currency=program.currency, floor_minor=floor, floor_source=source)
    for pk, member_cohort, earned_minor, approved in (
        members.annotate(earned=Coalesce(Subquery(earned, output_field=BigIntegerField()), 0),
                         approved=Coalesce(Subquery(minutes, output_field=IntegerField()), 0))
        .order_by().values_list("pk", "cohort", "earned", "approved")
    ):
        rate = rate_per_hour_minor(earned_minor, approved) if approved else None
        figures.rows[pk] = (member_cohort, earned_minor, approved, rate)
    figures.summary = (figures.spreads(), figures.under_floor_count)
    if cohort is None:
        # The program-wide figures serve the managers' spreads and count: no artist's row travels with them, so
        # reading them from the cache costs the same at 10 or 10,000 artists.
        figures.rows = {}
    return figures


def scope(program_id) -> str:
    """The figure_cache scope of a program's pay figures (these and the fair-pay report's rates)."""
    return f"pay-figures:{program_id}"


def forget(program_id) -> None:
    """Every cached figure of the program is stale from now: a new generation (the old keys are never read)."""
    figure_cache.invalidate(scope(program_id))


def figures(program, cohort: str | None = None, today: datetime.date | None = None) -> Figures:
    """The program's figures (every current artist), or one cohort's (`cohort`, "" for artists with none)."""
    start, end = period(today)
    which = "*" if cohort is None else "c:" + cohort.lower()
    return figure_cache.cached(scope(program.pk), ("pay-transparency", end.isoformat(), which),
                               lambda: _compute(program, cohort, start, end), timeout=CACHE_SECONDS)


@dataclass
class ArtistView:
    """What one artist sees: their own rate, their cohort's median when it may be shown, and the floor."""

    figures: Figures
    membership: Membership
    rate_minor: int | None
    earned_minor: int
    minutes: int
    cohort: Spread

    @property
    def hours(self) -> Decimal:
        return (Decimal(self.minutes) / 60).quantize(Decimal("0.01"))

    @property
    def under_floor(self) -> bool:
        return (self.rate_minor is not None and self.figures.floor_minor is not None
                and self.rate_minor < self.figures.floor_minor)

    @property
    def cohort_missing(self) -> int:
        return max(0, MIN_COHORT - self.cohort.artists)


def for_artist(membership, today: datetime.date | None = None) -> ArtistView:
    result = figures(membership.program, membership.cohort, today)
    spreads = result.spreads()
    _, earned, minutes, rate = result.rows.get(membership.pk, (membership.cohort, 0, 0, None))
    cohort = spreads[0] if spreads else Spread(cohort=membership.cohort)
    if not cohort.shown_to_artists:  # nothing of a small cohort leaves this function
        cohort = Spread(cohort=cohort.cohort, artists=cohort.artists)
    return ArtistView(figures=result, membership=membership, rate_minor=rate, earned_minor=earned,
                      minutes=minutes, cohort=cohort)


def _on_event(event) -> None:
    if event.get("program_id"):
        forget(event["program_id"])


_connected = False


def connect() -> None:
    """Subscribe the cache to the events that change the figures (PaymentsConfig.ready), once."""
    global _connected
    if _connected:
        return
    _connected = True
    for pattern in INVALIDATING_EVENTS:
        events.subscribe(pattern)(_on_event)
