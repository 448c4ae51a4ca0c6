"""Shared reads of the payments app: balances and earnings listings.

Other parts of the app (payout runs, reports) import `balance_minor` and `balances_for_program`
from here; keep their signatures stable.
"""
from __future__ import annotations

import datetime

from django.db.models import Q, Sum
from django.db.models.functions import Coalesce

from atelier.pagination import paginate

from payments.models import LedgerEntry, RateCard
from testers.models import Feedback, Membership, TimeLog

# Entries that settle money already earned (a payout debits it, a failure or reversal puts it back).
# They count in every payable balance whatever their date; see `balances_for_program`.
# A held reversal ("hold") and its release count the same way: they settle, they are not earnings.
SETTLEMENT_KINDS = (LedgerEntry.Kind.PAYOUT, LedgerEntry.Kind.PAYOUT_FAILED, LedgerEntry.Kind.REVERSAL,
                    LedgerEntry.Kind.HOLD, LedgerEntry.Kind.HOLD_RELEASED)


def _payable_filter(up_to: datetime.date | None) -> Q:
    if up_to is None:
        return Q()
    return Q(work_date__lte=up_to) | Q(kind__in=SETTLEMENT_KINDS) | Q(amount_minor__lt=0)


def balance_minor(membership, up_to: datetime.date | None = None) -> int:
    """An artist's balance in one program, in the program currency's minor units (one query).

    Without `up_to`: the sum of every ledger entry of the membership (DESIGN.md: the balance).
    With `up_to` (a date): the *payable* balance for a period ending that day — earnings
    (time, feedback, stipends, positive adjustments) count only if their work_date is on or before
    `up_to`, while every debit and every settlement entry (payouts, failed payouts credited back,
    reversals, negative adjustments) counts whatever its date. So work done after the period waits for
    the next run, and money already paid out can never be paid again by a run for an earlier period.
    """
    return (
        LedgerEntry.objects.filter(membership=membership)
        .filter(_payable_filter(up_to))
        .aggregate(total=Coalesce(Sum("amount_minor"), 0))["total"]
    )


def balances_for_program(program, up_to: datetime.date | None = None) -> dict[int, int]:
    """{membership_id: balance_minor} for every membership of `program` that has ledger entries (one query).

    Memberships without entries are absent (their balance is 0: use `.get(id, 0)`). Balances may be
    zero or negative (e.g. after a negative adjustment). `up_to` has the meaning described in
    `balance_minor`: the payable balance of a period ending on that date. Amounts are in
    `program.currency` minor units.
    """
    rows = (
        LedgerEntry.objects.filter(program=program)
        .filter(_payable_filter(up_to))
        .values("membership_id")
        .annotate(total=Sum("amount_minor"))
        .values_list("membership_id", "total")
    )
    return {membership_id: int(total) for membership_id, total in rows}


def ledger_entries(membership):
    """A membership's entries, newest first (see `ledger_page` for the balance after each)."""
    return LedgerEntry.objects.filter(membership=membership).select_related("rate_card", "created_by").order_by(
        "-work_date", "-id")


def ledger_page(request, membership, balance: int):
    """The requested page of `ledger_entries`, each entry with `running_balance` (the balance after it), given the
    membership's `balance`. The balance after the page's newest entry is `balance` less the entries newer than it
    (none on the first page), so PostgreSQL sums only those rather than a running total over every entry."""
    page = paginate(request, ledger_entries(membership))
    entries = list(page.object_list)
    if entries:
        newest = entries[0]
        newer = Q(work_date__gt=newest.work_date) | Q(work_date=newest.work_date, id__gt=newest.pk)
        after = balance
        if page.number > 1:
            after -= LedgerEntry.objects.filter(newer, membership=membership).aggregate(
                total=Coalesce(Sum("amount_minor"), 0))["total"]
        for entry in entries:
            entry.running_balance = after
            after -= entry.amount_minor
    page.object_list = entries
    return page


def member_balances(program):
    """Memberships of a program with `balance` and `entry_count` annotated (one query), for staff lists.

    Correlated subqueries rather than a JOIN + GROUP BY: PostgreSQL sums only the rows of the page shown,
    and the paginator's COUNT skips the ledger (1.3 s -> 16 ms with 1,000,000 entries; bench/request_rate.py).
    """
    from django.db.models import Count, IntegerField, OuterRef, Subquery

    entries = LedgerEntry.objects.filter(membership=OuterRef("pk")).order_by().values("membership")
    return (
        Membership.objects.filter(program=program)
        .select_related("artist")
        .annotate(
            balance=Coalesce(Subquery(entries.annotate(total=Sum("amount_minor")).values("total")), 0,
                             output_field=IntegerField()),
            entry_count=Coalesce(Subquery(entries.annotate(n=Count("pk")).values("n")), 0,
                                 output_field=IntegerField()),
        )
        .order_by("artist__display_name", "pk")
    )


def unpriced_time_logs(program):
    """Approved time of the program that has no ledger entry (no rate card was in force, or a zero rate)."""
    priced = LedgerEntry.objects.filter(program=program, time_log__isnull=False).values("time_log_id")
    return (
        TimeLog.objects.filter(membership__program=program, status=TimeLog.Status.APPROVED)
        .exclude(pk__in=priced).select_related("membership__artist", "membership__program").order_by("date", "pk")
    )


def unpriced_feedback(program):
    """Accepted feedback of the program that has no ledger entry."""
    priced = LedgerEntry.objects.filter(program=program, feedback__isnull=False).values("feedback_id")
    return (
        Feedback.objects.filter(membership__program=program,
                                status__in=[Feedback.Status.ACCEPTED, Feedback.Status.SHIPPED], accepted_at__isnull=False)
        .exclude(pk__in=priced).select_related("membership__artist", "membership__program")
        .order_by("accepted_at", "pk")
    )


def rate_cards(program):
    return RateCard.objects.filter(program=program).select_related("created_by").order_by("-effective_date", "-version")


def feedback_earnings(feedback) -> list[dict]:
    """The ledger lines a feedback item produced (its acceptance, its shipped bonus), oldest first: one query.
    Plugged into testers' feedback page (testers.feedback_earnings) by PaymentsConfig.ready."""
    return [
        {"label": LedgerEntry.Kind(kind).label, "amount_minor": amount, "currency": currency,
         "rate_card_version": version, "work_date": work_date}
        for kind, amount, currency, version, work_date in
        LedgerEntry.objects.filter(feedback=feedback, kind__in=[LedgerEntry.Kind.FEEDBACK, LedgerEntry.Kind.BONUS])
        .order_by("work_date", "pk").values_list("kind", "amount_minor", "currency", "rate_card__version", "work_date")
    ]
