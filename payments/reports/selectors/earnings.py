"""Earnings: by artist (one row per membership), by source, over time, the ledger lines export and the
program's balance. Every function runs a fixed number of queries whatever the number of artists or entries."""
from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, F, Q, Sum

from payments.models import LedgerEntry
from payments.reports.selectors.common import (
    EARNING_KINDS, MONEY_MOVEMENT_KINDS, Filters, Kind, Period, _big, _cached_ledger, _entries, _hours, memberships,
)


def earnings_by_artist(program, filters: Filters):
    """One row per membership: hours, time, feedback, stipend, adjustments, earned, paid, closing balance.

    One query (plus a count when paginated): a single join on the ledger with conditional sums.
    """
    return (
        memberships(program, filters)
        .annotate(**_earning_sums(filters.period, path="ledger_entries__"))
        .annotate(
            earned_minor=F("time_minor") + F("feedback_minor") + F("stipend_minor") + F("adjustment_minor"),
            paid_minor=-F("movement_minor"),
        )
        .order_by("artist__display_name", "pk")
    )


def _earning_sums(p: Period, path: str = "") -> dict:
    """The per-membership earnings figures as conditional aggregates over ledger entries: directly on LedgerEntry
    rows (`path=""`, grouped by membership) or across the join from Membership (`path="ledger_entries__"`)."""
    in_period = Q(**{f"{path}work_date__gte": p.start, f"{path}work_date__lte": p.end})

    def kind_sum(*kinds):
        return _big(Sum(f"{path}amount_minor", filter=in_period & Q(**{f"{path}kind__in": kinds})))

    return dict(
        hours=_hours(Sum(f"{path}quantity", filter=in_period & Q(**{f"{path}kind": Kind.TIME}))),
        time_minor=kind_sum(Kind.TIME),
        feedback_items=Count(f"{path}id", filter=in_period & Q(**{f"{path}kind": Kind.FEEDBACK})),
        feedback_minor=kind_sum(Kind.FEEDBACK, Kind.BONUS),  # accepted feedback and the bonus when it ships
        stipend_minor=kind_sum(Kind.STIPEND),
        adjustment_minor=kind_sum(Kind.ADJUSTMENT),
        movement_minor=kind_sum(*MONEY_MOVEMENT_KINDS),
        opening_minor=_big(Sum(f"{path}amount_minor", filter=Q(**{f"{path}work_date__lt": p.start}))),
        balance_minor=_big(Sum(f"{path}amount_minor", filter=Q(**{f"{path}work_date__lte": p.end}))),
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
        "feedback_minor": amount.get(Kind.FEEDBACK.value, 0) + amount.get(Kind.BONUS.value, 0),
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
