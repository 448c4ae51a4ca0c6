"""An artist's statement for a period: the one query behind both the CSV and the PDF."""
from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, Sum

from payments.models import LedgerEntry, Payout
from payments.reports.selectors.common import EARNING_KINDS, MONEY_MOVEMENT_KINDS, Kind, Period, _big
from testers.models import Membership


@dataclass
class Statement:
    membership: Membership
    period: Period
    currency: str
    opening_minor: int
    earned_minor: int
    paid_minor: int
    closing_minor: int
    entries: list  # LedgerEntry, each with running_balance
    payouts: list


def statement(membership, period: Period) -> Statement:
    """An artist's statement for a period: opening balance, every line oldest first with `running_balance` (the
    balance after it), payouts, closing balance. Three queries. Lines are dated by their work date."""
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
    balance = sums["opening"]
    for entry in entries:
        balance += entry.amount_minor
        entry.running_balance = balance
    closing = sums["opening"] + sums["earned"] + sums["movement"]
    return Statement(
        membership=membership, period=period, currency=membership.program.currency,
        opening_minor=sums["opening"], earned_minor=sums["earned"], paid_minor=-sums["movement"],
        closing_minor=closing, entries=entries, payouts=payouts,
    )
