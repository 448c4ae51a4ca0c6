"""Rate cards: which version applies to a day's work, and creating a new version."""
from __future__ import annotations

import datetime

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from atelier import audit
from atelier.errors import DomainError
from atelier.permissions import can
from payments.models import RateCard
from testers.models import Program

# Every amount field of a rate card, in minor units (the form and the audit log use this list).
AMOUNT_FIELDS = (
    "hourly_rate_minor",
    "feedback_bug_low_minor", "feedback_bug_medium_minor", "feedback_bug_high_minor", "feedback_bug_critical_minor",
    "feedback_feature_minor", "feedback_quality_minor", "feedback_general_minor",
    "monthly_stipend_minor", "minimum_payout_minor", "fair_pay_floor_hourly_minor",
)


def rate_card_for(program, on_date: datetime.date) -> RateCard | None:
    """The version in force on `on_date`: the one with the latest effective date on or before it (or None)."""
    program_id = getattr(program, "pk", program)
    return (
        RateCard.objects.filter(program_id=program_id, effective_date__lte=on_date)
        .order_by("-effective_date", "-version")
        .first()
    )


def upcoming_rate_card(program, after: datetime.date) -> RateCard | None:
    """The next version scheduled to take effect after `after`, if any (shown to artists in advance)."""
    return (
        RateCard.objects.filter(program=program, effective_date__gt=after).order_by("effective_date", "version").first()
    )


def create_rate_card(program: Program, *, by, effective_date: datetime.date, notes: str = "", **amounts) -> RateCard:
    """Add a new version of the program's rate card (program managers only).

    A version prices work dated on or after its effective date, so the effective date may not be in the
    past: otherwise it would claim to apply to work already priced by the previous version. The one
    exception is a program's first card, which may be backdated (nothing was priced before it; the
    manager then prices the waiting work from the "unpriced" list).
    """
    if not can(by, "ratecard.manage", program):
        raise DomainError("Only the program's managers can change its rate card.")
    unknown = set(amounts) - set(AMOUNT_FIELDS)
    if unknown:
        raise TypeError(f"Unknown rate card fields: {sorted(unknown)}")
    for name, value in amounts.items():
        if value is not None and (int(value) != value or value < 0):
            raise DomainError("Amounts must be whole, non-negative numbers of minor units.")
    today = timezone.localdate()
    with transaction.atomic():
        # Serialise versions of one program: lock the program row.
        Program.objects.select_for_update().filter(pk=program.pk).first()
        existing = RateCard.objects.filter(program=program)
        if existing.exists() and effective_date < today:
            raise DomainError(
                "A new version must take effect today or later: work already done stays priced by the version "
                "that was in force."
            )
        if existing.filter(effective_date=effective_date).exists():
            raise DomainError("A version already takes effect on that date. Choose another date.")
        version = (existing.aggregate(top=Max("version"))["top"] or 0) + 1
        try:
            with transaction.atomic():
                card = RateCard.objects.create(
                    program=program, version=version, effective_date=effective_date, currency=program.currency,
                    notes=notes, created_by=by if getattr(by, "pk", None) else None, **amounts,
                )
        except IntegrityError:
            raise DomainError("Another version was saved at the same time. Reload and try again.")
        audit.log(by, "payments.ratecard.created", card, after={
            "version": card.version, "effective_date": card.effective_date.isoformat(), "currency": card.currency,
            **{name: getattr(card, name) for name in AMOUNT_FIELDS},
        })
    return card
