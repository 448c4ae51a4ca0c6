"""Every write to the earnings ledger goes through these functions, called by actions (payments/actions/)
or, for approved time and accepted feedback, by the receivers inside testers' approving action.

Each entry has a `source_key` that is UNIQUE in the database; `record_entry` inserts inside a savepoint
and, when the key already exists, returns the existing row instead. So a repeated signal, a retried task
or two racing workers produce exactly one row per source, and the caller's transaction stays usable.
"""
from __future__ import annotations

import calendar
import datetime
import logging
from decimal import Decimal, ROUND_HALF_UP

from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone

from atelier import audit
from atelier.errors import DomainError
from payments.models import LedgerEntry
from payments.services.rates import rate_card_for
from testers.models import Feedback, Membership, TimeLog
from atelier.actions import constraint_message, SYSTEM

logger = logging.getLogger(__name__)

# How many completed months back the stipend task looks (so a few missed beats catch up by themselves).
STIPEND_LOOKBACK_MONTHS = 3


# --- the one insert ---------------------------------------------------------------------------------

def record_entry(**fields) -> tuple[LedgerEntry, bool]:
    """Insert one ledger entry unless its `source_key` exists: (entry, created).

    The uniqueness is the database's (no check-then-insert); the insert runs in a savepoint so a
    duplicate leaves the surrounding transaction intact.
    """
    membership = fields["membership"]
    fields.setdefault("program_id", membership.program_id)
    fields.setdefault("currency", membership.program.currency)
    fields["description"] = (fields.get("description") or "")[:255]
    try:
        with transaction.atomic():
            return LedgerEntry.objects.create(**fields), True
    except IntegrityError as error:
        existing = LedgerEntry.objects.filter(source_key=fields["source_key"]).first()
        if existing is None:
            message = constraint_message(error)
            if message is None:
                raise
            raise DomainError(message) from error
        return existing, False


def _round_div(numerator: int, denominator: int) -> int:
    """Integer division rounding half up (amounts here are never negative)."""
    return int((Decimal(numerator) / Decimal(denominator)).to_integral_value(rounding=ROUND_HALF_UP))


def _unpriced(by, obj, work_date, what: str) -> None:
    message = f"No rate card was in force on {work_date:%Y-%m-%d}: {what} was not priced."
    logger.warning("%s (%s %s)", message, obj._meta.label, obj.pk)
    audit.log(by, "payments.ledger.unpriced", obj, reason=message, work_date=work_date.isoformat())


# --- earnings -----------------------------------------------------------------------------------------

def time_source_key(time_log) -> str:
    return f"timelog:{time_log.pk}"


def feedback_source_key(feedback) -> str:
    return f"feedback:{feedback.pk}"


def stipend_source_key(membership, month: datetime.date) -> str:
    return f"stipend:{membership.pk}:{month:%Y-%m}"


def record_time(time_log: TimeLog, by=None) -> LedgerEntry | None:
    """Credit approved testing time at the hourly rate in force on the day it was done (TimeLog.date).

    Returns the entry (the existing one if already recorded), or None when nothing is owed: no rate
    card was in force that day (logged, audited, and listed to staff as unpriced) or the rate is zero.
    """
    if time_log.status != TimeLog.Status.APPROVED:
        raise DomainError("Only approved testing time is paid.")
    membership = time_log.membership
    card = rate_card_for(membership.program_id, time_log.date)
    if card is None:
        _unpriced(by, time_log, time_log.date, "testing time")
        return None
    amount = _round_div(card.hourly_rate_minor * time_log.minutes, 60)
    if amount == 0:
        return None
    hours = (Decimal(time_log.minutes) / 60).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    entry, _ = record_entry(
        membership=membership, kind=LedgerEntry.Kind.TIME, amount_minor=amount, currency=card.currency,
        source_key=time_source_key(time_log), work_date=time_log.date, rate_card=card,
        unit_rate_minor=card.hourly_rate_minor, quantity=hours, time_log=time_log,
        description=f"{hours} h of testing: {time_log.description}", created_by=by if getattr(by, "pk", None) else None,
    )
    return entry


def acceptance_date(feedback: Feedback) -> datetime.date:
    return timezone.localdate(feedback.accepted_at) if feedback.accepted_at else timezone.localdate()


def record_feedback(feedback: Feedback, by=None) -> LedgerEntry | None:
    """Credit an accepted feedback item by its kind (and, for bugs, its severity), priced by the rate
    card in force on the day it was accepted. None when unpriced or the amount is zero (see record_time).
    """
    if feedback.status not in (Feedback.Status.ACCEPTED, Feedback.Status.SHIPPED):
        raise DomainError("Only accepted feedback is paid.")
    membership = feedback.membership
    work_date = acceptance_date(feedback)
    card = rate_card_for(membership.program_id, work_date)
    if card is None:
        _unpriced(by, feedback, work_date, "accepted feedback")
        return None
    amount = card.feedback_amount_minor(feedback.kind, feedback.severity)
    if amount == 0:
        return None
    label = feedback.get_kind_display()
    if feedback.kind == Feedback.Kind.BUG:
        label += f" ({feedback.get_severity_display() or 'Low'})"
    entry, _ = record_entry(
        membership=membership, kind=LedgerEntry.Kind.FEEDBACK, amount_minor=amount, currency=card.currency,
        source_key=feedback_source_key(feedback), work_date=work_date, rate_card=card, unit_rate_minor=amount,
        quantity=Decimal("1"), feedback=feedback, description=f"{label}: {feedback.title}",
        created_by=by if getattr(by, "pk", None) else None,
    )
    return entry


def bonus_source_key(feedback) -> str:
    return f"feedback-shipped:{feedback.pk}"


def record_shipped_bonus(feedback: Feedback, by=None) -> tuple[LedgerEntry | None, bool]:
    """Credit the rate card's bonus for a feedback item that shipped, priced by the card in force on the local
    date it shipped. Once per item: the source key "feedback-shipped:<id>" is unique, and so is a bonus line per
    feedback item (a partial unique index), so marking twice, a retried signal or a racing worker add nothing.
    Returns (entry, created): (None, False) when no card was in force (logged, audited) or the card carries no
    bonus (0); (the existing line, False) when the item was credited already."""
    if feedback.status != Feedback.Status.SHIPPED or feedback.shipped_at is None:
        raise DomainError("Only shipped feedback earns the shipped bonus.")
    membership = feedback.membership
    work_date = timezone.localdate(feedback.shipped_at)
    card = rate_card_for(membership.program_id, work_date)
    if card is None:
        _unpriced(by, feedback, work_date, "the bonus of shipped feedback")
        return None, False
    amount = card.feedback_shipped_bonus_minor
    if amount == 0:
        return None, False
    return record_entry(
        membership=membership, kind=LedgerEntry.Kind.BONUS, amount_minor=amount, currency=card.currency,
        source_key=bonus_source_key(feedback), work_date=work_date, rate_card=card, unit_rate_minor=amount,
        quantity=Decimal("1"), feedback=feedback, description=f"Shipped in {feedback.shipped_in}: {feedback.title}",
        created_by=by if getattr(by, "pk", None) else None,
    )


def month_end(month: datetime.date) -> datetime.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def record_stipend(membership: Membership, month: datetime.date) -> LedgerEntry | None:
    """Credit the monthly stipend of `month` (any day of it), priced by the card in force on its last day.

    Dated the month's last day. None if no card was in force then or its stipend is zero. Whether the
    artist qualifies is the caller's question (see `accrue_stipends`).
    """
    month = month.replace(day=1)
    last_day = month_end(month)
    card = rate_card_for(membership.program_id, last_day)
    if card is None or card.monthly_stipend_minor == 0:
        return None
    entry, _ = record_entry(
        membership=membership, kind=LedgerEntry.Kind.STIPEND, amount_minor=card.monthly_stipend_minor,
        currency=card.currency, source_key=stipend_source_key(membership, month), work_date=last_day,
        rate_card=card, unit_rate_minor=card.monthly_stipend_minor, quantity=Decimal("1"),
        description=f"Monthly stipend for {month:%B %Y}",
    )
    return entry


def _end_of_day(day: datetime.date) -> datetime.datetime:
    midnight = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min)
    return timezone.make_aware(midnight)


def was_active_on(membership: Membership, day: datetime.date) -> bool:
    """Was the membership active at the end of `day`? Memberships keep only their latest status change, so:
    joined by then, and either active since a change made by then, or paused/removed by a change made after.
    """
    end = _end_of_day(day)
    if membership.joined_at >= end:
        return False
    if membership.status == Membership.Status.ACTIVE:
        return membership.status_changed_at < end
    if membership.status in (Membership.Status.PAUSED, Membership.Status.REMOVED):
        return membership.status_changed_at >= end
    return False


def completed_months(today: datetime.date, count: int = STIPEND_LOOKBACK_MONTHS) -> list[datetime.date]:
    """The first days of the `count` calendar months before the one containing `today`, oldest first."""
    months = []
    month = today.replace(day=1)
    for _ in range(count):
        month = (month - datetime.timedelta(days=1)).replace(day=1)
        months.append(month)
    return list(reversed(months))


def accrue_stipends(today: datetime.date | None = None) -> int:
    """Credit every stipend owed for the last completed months; returns how many entries were created.

    Rule: an artist earns the stipend of a calendar month once the month is over, if their membership
    was active on its last day and the rate card in force that day has a stipend. Idempotent per artist
    and month (source key "stipend:<membership>:<YYYY-MM>"); looks STIPEND_LOOKBACK_MONTHS back.
    """
    from payments.actions import CreditStipend  # the actions use this module

    today = today or timezone.localdate()
    months = completed_months(today)
    first_end = _end_of_day(month_end(months[-1]))
    memberships = list(
        Membership.objects.filter(joined_at__lt=first_end)
        .exclude(status=Membership.Status.INVITED)
        .select_related("program")
    )
    existing = set(
        LedgerEntry.objects.filter(kind=LedgerEntry.Kind.STIPEND, work_date__gte=months[0])
        .values_list("source_key", flat=True)
    )
    created = 0
    for membership in memberships:
        for month in months:
            if stipend_source_key(membership, month) in existing or not was_active_on(membership, month_end(month)):
                continue
            if CreditStipend(SYSTEM, membership, month=month).run() is not None:
                created += 1
    return created


# --- adjustments ---------------------------------------------------------------------------------------

def record_adjustment(membership: Membership, *, by, amount_minor: int, reason: str, token: str | None = None
                      ) -> LedgerEntry:
    """A signed manual correction by finance or a manager of the program (the `payments.ledger.adjusted`
    action): with a reason, dated today; the form's `token` makes a repeated submission add one entry."""
    from payments.actions import AdjustLedger  # the actions use this module

    return AdjustLedger(by, membership, amount_minor=amount_minor, reason=reason, token=token).run()


def record_time_correction(time_log: TimeLog, *, by=None, reason: str = "", correction_id=None
                           ) -> LedgerEntry | None:
    """After an approved time log's minutes or date were corrected, an adjusting line for the difference between
    what it earns now and what the ledger credited it ("timelog-correction:<log>:<n>"); None if equal. A log
    that was never priced (no card was in force) is priced now, as approval would have."""
    from django.db.models import Sum

    if not LedgerEntry.objects.filter(time_log=time_log, kind=LedgerEntry.Kind.TIME).exists():
        return record_time(time_log, by=by)
    credited = LedgerEntry.objects.filter(time_log=time_log).aggregate(total=Sum("amount_minor"))["total"] or 0
    card = rate_card_for(time_log.membership.program_id, time_log.date)
    owed = _round_div(card.hourly_rate_minor * time_log.minutes, 60) if card is not None else 0
    difference = owed - credited
    if difference == 0:
        return None
    if correction_id is None:
        correction_id = LedgerEntry.objects.filter(source_key__startswith=f"timelog-correction:{time_log.pk}:").count() + 1
    hours = (Decimal(time_log.minutes) / 60).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    reason = (f"Time log {time_log.pk} corrected to {hours} h on {time_log.date:%Y-%m-%d}"
              + (f" (rate card v{card.version})" if card is not None else " (no rate card in force that day)")
              + (f": {reason}" if reason else ""))
    entry, _ = record_entry(
        membership=time_log.membership, kind=LedgerEntry.Kind.ADJUSTMENT, amount_minor=difference,
        currency=card.currency if card is not None else time_log.membership.program.currency,
        source_key=f"timelog-correction:{time_log.pk}:{correction_id}", work_date=timezone.localdate(),
        rate_card=card, time_log=time_log, description=reason[:255], reason=reason,
        created_by=by if getattr(by, "pk", None) else None,
    )
    return entry


# --- payouts (used by the payout services) ------------------------------------------------------------

def record_payout(payout) -> tuple[LedgerEntry, bool]:
    """Debit the artist by a payout's amount when the run is created ("payout:<id>")."""
    return record_entry(
        membership=payout.membership, kind=LedgerEntry.Kind.PAYOUT, amount_minor=-payout.amount_minor,
        currency=payout.currency, source_key=f"payout:{payout.pk}", work_date=timezone.localdate(),
        payout=payout, description=f"Payout of run {payout.run_id}",
    )


def record_payout_failed(payout) -> tuple[LedgerEntry, bool]:
    """Credit back a payout that finally failed or was cancelled ("payout-failed:<id>")."""
    return record_entry(
        membership=payout.membership, kind=LedgerEntry.Kind.PAYOUT_FAILED, amount_minor=payout.amount_minor,
        currency=payout.currency, source_key=f"payout-failed:{payout.pk}", work_date=timezone.localdate(),
        payout=payout, description=f"Payout of run {payout.run_id} did not go through: credited back",
    )


def record_reversal(payout, reversal_id: str, amount_minor: int) -> tuple[LedgerEntry, bool]:
    """Credit back (part of) a transfer Stripe reversed ("reversal:<trr_…>"), and hold the credit
    ("hold:reversal:<trr_…>", the opposite amount) until finance releases it: a reversal is something to look
    into, never money a run pays again on its own."""
    entry, created = record_entry(
        membership=payout.membership, kind=LedgerEntry.Kind.REVERSAL, amount_minor=amount_minor,
        currency=payout.currency, source_key=f"reversal:{reversal_id}", work_date=timezone.localdate(),
        payout=payout, description=f"Transfer of payout {payout.pk} reversed ({reversal_id})",
    )
    record_entry(
        membership=payout.membership, kind=LedgerEntry.Kind.HOLD, amount_minor=-amount_minor,
        currency=payout.currency, source_key=f"hold:reversal:{reversal_id}", work_date=timezone.localdate(),
        payout=payout, description=f"Reversed amount held until finance reviews it ({reversal_id})",
    )
    return entry, created


def release_reversal(payout, reversal_id: str, *, note: str, by) -> LedgerEntry:
    """The release of a held reversal ("release:reversal:<trr_…>"): the amount is payable again."""
    hold = LedgerEntry.objects.get(source_key=f"hold:reversal:{reversal_id}")
    entry, _ = record_entry(
        membership=payout.membership, kind=LedgerEntry.Kind.HOLD_RELEASED, amount_minor=-hold.amount_minor,
        currency=payout.currency, source_key=f"release:reversal:{reversal_id}", work_date=timezone.localdate(),
        payout=payout, created_by=by, reason=note,
        description=f"Reversed amount released by finance ({reversal_id})",
    )
    return entry


def held_reversals(*, program=None, membership=None):
    """Hold entries of reversed transfers not released yet, oldest first (`reversal_id` annotated)."""
    released = LedgerEntry.objects.filter(
        source_key=Concat(Value("release:reversal:"), Substr(OuterRef("source_key"), len("hold:reversal:") + 1)))
    holds = LedgerEntry.objects.filter(kind=LedgerEntry.Kind.HOLD).annotate(
        reversal_id=Substr("source_key", len("hold:reversal:") + 1), held_minor=-F("amount_minor"),
    ).exclude(Exists(released))
    if program is not None:
        holds = holds.filter(program=program)
    if membership is not None:
        holds = holds.filter(membership=membership)
    return holds.select_related("membership__artist", "payout__run").order_by("created_at", "pk")


# --- work waiting for a price ----------------------------------------------------------------------------

def price_unpriced(program, *, by) -> int:
    """Try again to price approved time and accepted feedback that have no ledger entry (after a first,
    backdated rate card): the `payments.ledger.priced_waiting_work` action. Returns how many were created."""
    from payments.actions import PriceWaitingWork  # the actions use this module

    return PriceWaitingWork(by, program).run()
