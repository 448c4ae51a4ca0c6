"""Ledger actions: rate card versions, adjustments, pricing waiting work, monthly stipends.

Every ledger line is written on an action's path: these actions, the payout actions (debits, credits back,
reversals), and the pricing of approved time and accepted feedback, which runs inside testers' approving
action through its signal (payments/receivers.py).
"""
from __future__ import annotations

import uuid

from django.db.models import Max
from django.utils import timezone

from atelier import bounds
from atelier.actions import SYSTEM
from atelier.errors import Refusal
from atelier.display import format_day
from atelier.money import format_money
from payments.models import LedgerEntry, RateCard
from payments.services import ledger as ledger_services
from payments.services.rates import AMOUNT_FIELDS
from payments.selectors import unpriced_feedback, unpriced_time_logs

from .base import PaymentsAction

__all__ = ["CreateRateCard", "UpdateRateCard", "DeleteRateCard", "AdjustLedger", "PriceWaitingWork", "CreditStipend",
           "CorrectTimeLogCredit", "CreditShippedBonus"]


def _over_program_maximum(program, amounts) -> str | None:
    """Why one of these amounts is refused for this program (its own maximum single amount), or None."""
    largest = max((a for a in amounts if a is not None), default=0)
    if largest > program.max_amount_minor:
        return (f"{format_money(largest, program.currency)} is above this program's maximum single amount, "
                f"{format_money(program.max_amount_minor, program.currency)}.")
    return None


def _card_refusal(program, params, card=None) -> str | None:
    """Why a rate card version with these values cannot be saved (`card`: the scheduled version being edited)."""
    amounts = params.get("amounts") or {}
    unknown = set(amounts) - set(AMOUNT_FIELDS)
    if unknown:
        raise TypeError(f"Unknown rate card fields: {sorted(unknown)}")
    for value in amounts.values():
        if value is not None and (int(value) != value or value < 0):
            return "Amounts must be whole, non-negative numbers of minor units."
    too_large = _over_program_maximum(program, amounts.values())
    if too_large:
        return too_large
    if len(params.get("notes") or "") > bounds.REASON_TEXT:
        return f"Notes are at most {bounds.REASON_TEXT:,} characters."
    effective_date = params.get("effective_date")
    if effective_date is None:
        return "Give the date the version takes effect."
    if not bounds.EARLIEST_DATE <= effective_date <= bounds.schedule_latest():
        return (f"A version takes effect between {format_day(bounds.EARLIEST_DATE)} and a year from today "
                f"({format_day(bounds.schedule_latest())}).")
    others = RateCard.objects.filter(program=program)
    if card is not None:
        others = others.exclude(pk=card.pk)
    if effective_date < timezone.localdate() and (card is not None or others.exists()):
        return ("A new version must take effect today or later: work already done stays priced by the version "
                "that was in force.")
    if others.filter(effective_date=effective_date).exists():
        return "A version already takes effect on that date. Choose another date."
    return None


def _scheduled_refusal(card) -> Refusal | None:
    """A version can be changed or deleted only while it is scheduled: once in force it has priced work (or may
    have), and what was promised for a day's work never changes; a new version is published instead."""
    if card.effective_date <= timezone.localdate():
        return Refusal(f"Version {card.version} took effect on {format_day(card.effective_date)}: it can no longer be "
                       f"changed. Publish a new version instead.", "state")
    if LedgerEntry.objects.filter(rate_card=card).exists():
        return Refusal(f"Version {card.version} already priced work, so it stays as it is.", "state")
    return None


def _card_values(card) -> dict:
    return {"effective_date": card.effective_date.isoformat(), "notes": card.notes,
            **{name: getattr(card, name) for name in AMOUNT_FIELDS}}


class CreateRateCard(PaymentsAction):
    """A new version of the program's rate card (target: the program, locked so versions are serialised).

    A version prices work dated on or after its effective date, so the effective date may not be in the past:
    otherwise it would claim to apply to work already priced by the previous version. The one exception is a
    program's first card, which may be backdated (nothing was priced before it; the waiting work is then priced
    from the "unpriced" list)."""

    name = "payments.ratecard.created"
    label = "created rate card version"
    permission = "ratecard.manage"

    def refusal(self, program):
        return _card_refusal(program, self.params)

    def apply(self, program):
        amounts = self.params.get("amounts") or {}
        version = (RateCard.objects.filter(program=program).aggregate(top=Max("version"))["top"] or 0) + 1
        card = RateCard.objects.create(
            program=program, version=version, effective_date=self.params["effective_date"],
            currency=program.currency, notes=self.params.get("notes") or "",
            created_by=self.actor if getattr(self.actor, "pk", None) else None, **amounts,
        )
        self.after = {"version": card.version, "effective_date": card.effective_date.isoformat(),
                      "currency": card.currency, **{name: getattr(card, name) for name in AMOUNT_FIELDS}}
        return card

    def audit_program(self, program, card):
        return program


class UpdateRateCard(PaymentsAction):
    """Change a scheduled version (its effective date still ahead) before it takes effect, with the same rules
    as a new one. Params: effective_date, notes, amounts. The audit entry holds before/after of what changed."""

    name = "payments.ratecard.updated"
    label = "changed scheduled rate card version"
    model = RateCard
    permission = "ratecard.manage"
    select_related = ("program",)

    def refusal(self, card):
        return _scheduled_refusal(card) or _card_refusal(card.program, self.params, card=card)

    def apply(self, card):
        values = {"effective_date": self.params["effective_date"], "notes": self.params.get("notes") or "",
                  **(self.params.get("amounts") or {})}
        self.change(card, **values)
        for side in (self.before, self.after):
            if "effective_date" in side:
                side["effective_date"] = side["effective_date"].isoformat()
        self.audit_data["version"] = card.version

    def audit_program(self, card, result):
        return card.program


class DeleteRateCard(PaymentsAction):
    """Delete a scheduled version before it takes effect; the audit entry keeps what it said."""

    name = "payments.ratecard.deleted"
    label = "deleted scheduled rate card version"
    model = RateCard
    permission = "ratecard.manage"
    select_related = ("program",)

    def refusal(self, card):
        return _scheduled_refusal(card)

    def apply(self, card):
        self.before = {"version": card.version, "currency": card.currency, **_card_values(card)}
        self.audit_data["rate_card_id"] = card.pk
        self._program = card.program
        card.delete()

    def audit_target(self, card, result):
        return self._program

    def audit_program(self, card, result):
        return self._program


class AdjustLedger(PaymentsAction):
    """A signed manual correction with a reason, dated today (target: the membership).

    `token` (a UUID the form carries) makes a submitted form idempotent: sending it twice adds one entry."""

    name = "payments.ledger.adjusted"
    label = "adjusted an artist's ledger"
    permission = "ledger.adjust"
    select_related = ("program",)

    def source_key(self) -> str:
        token = self.params.get("token")
        if not token:
            self.params["token"] = token = str(uuid.uuid4())
        return f"adjustment:{uuid.UUID(str(token))}"

    def refusal(self, membership):
        if not (self.params.get("reason") or "").strip():
            return "Give the reason for the adjustment."
        if len(self.params["reason"].strip()) > bounds.REASON_TEXT:
            return f"Give the reason in at most {bounds.REASON_TEXT:,} characters."
        amount = self.params.get("amount_minor")
        if amount is None or int(amount) != amount or amount == 0:
            return "The amount must be a non-zero whole number of minor units."
        return _over_program_maximum(membership.program, [abs(amount)])

    def run(self):
        existing = LedgerEntry.objects.filter(source_key=self.source_key()).first()
        if existing is not None:
            return existing  # the same form sent again: already recorded
        return super().run()

    def apply(self, membership):
        reason = self.params["reason"].strip()
        entry, _ = ledger_services.record_entry(
            membership=membership, kind=LedgerEntry.Kind.ADJUSTMENT, amount_minor=int(self.params["amount_minor"]),
            source_key=self.source_key(), work_date=timezone.localdate(),
            description=f"Adjustment: {reason}"[:255], reason=reason, created_by=self.actor,
        )
        self.after = {"amount_minor": entry.amount_minor, "currency": entry.currency, "reason": reason,
                      "membership": membership.pk}
        return entry

    def audit_program(self, membership, entry):
        return membership.program


class PriceWaitingWork(PaymentsAction):
    """Price approved time and accepted feedback that have no ledger line yet (after a first, backdated rate
    card). Target: the program. The result is how many lines were written."""

    name = "payments.ledger.priced_waiting_work"
    label = "priced work that was waiting for a rate card"
    permission = "ledger.adjust"

    def apply(self, program):
        by = self.actor if self.actor is not SYSTEM else None
        created = 0
        for time_log in unpriced_time_logs(program):
            created += ledger_services.record_time(time_log, by=by) is not None
        for feedback in unpriced_feedback(program):
            created += ledger_services.record_feedback(feedback, by=by) is not None
        self.audit_data["created"] = created
        self.created = created
        return program

    def run(self):
        super().run()
        return self.created

    def audit_program(self, program, result):
        return program


class CreditStipend(PaymentsAction):
    """The system credits one month's stipend to one membership (target: the membership; params: month).
    Whether the artist qualifies is asked by the stipend task (`accrue_stipends`)."""

    name = "payments.ledger.stipend_credited"
    label = "credited a monthly stipend"
    system = True
    people = False

    def apply(self, membership):
        entry = ledger_services.record_stipend(membership, self.params["month"])
        if entry is not None:
            self.after = {"amount_minor": entry.amount_minor, "currency": entry.currency,
                          "month": f"{self.params['month']:%Y-%m}"}
        self.entry = entry
        return membership

    def run(self):
        super().run()
        return self.entry


class CorrectTimeLogCredit(PaymentsAction):
    """A time log's minutes or date were corrected after approval (`testers.timelog.corrected`): the ledger gets
    an adjusting line for the difference between what the log earns now and what it was credited. Run by the
    system inside the correcting transaction (payments/receivers.py). Target: the time log's membership;
    params: time_log, by (who corrected it), reason. Nothing is written when the difference is zero."""

    name = "payments.ledger.time_corrected"
    label = "adjusted the ledger for a corrected time log"
    system = True
    people = False

    def apply(self, membership):
        time_log = self.params["time_log"]
        self.entry = ledger_services.record_time_correction(time_log, by=self.params.get("by"),
                                                            reason=self.params.get("reason") or "")
        if self.entry is not None:
            self.after = {"amount_minor": self.entry.amount_minor, "currency": self.entry.currency,
                          "time_log": time_log.pk}
        return membership

    def run(self):
        super().run()
        return self.entry


class CreditShippedBonus(PaymentsAction):
    """Feedback shipped (`testers.feedback.shipped`): the system credits the bonus of the rate card in force on the
    day it shipped, inside the shipping transaction (payments/receivers.py). Target: the item's membership; params:
    feedback, by (who marked it shipped). When the card carries no bonus (or none is in force) no line is written
    and nobody is told; the audit entry says so. A second run for the same item finds the line already there and
    records nothing new."""

    name = "payments.ledger.bonus_credited"
    label = "credited the bonus of shipped feedback"
    system = True
    people = False

    def apply(self, membership):
        feedback = self.params["feedback"]
        self.entry, created = ledger_services.record_shipped_bonus(feedback, by=self.params.get("by"))
        if created:
            self.after = {"amount_minor": self.entry.amount_minor, "currency": self.entry.currency,
                          "feedback": feedback.pk, "build": feedback.shipped_in,
                          "rate_card_version": self.entry.rate_card.version}
            self.emit(entry_id=self.entry.pk, feedback_id=feedback.pk)
        else:
            self.audit_data.update(feedback=feedback.pk, credited=False,
                                   reason="already credited" if self.entry else "no bonus on the rate card in force")
        return membership

    def run(self):
        super().run()
        return self.entry
