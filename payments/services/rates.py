"""Rate cards: which version applies to a day's work, and creating a new version."""
from __future__ import annotations

import datetime

from payments.models import RateCard
from testers.models import Program

# Every amount field of a rate card, in minor units (the form and the audit log use this list).
AMOUNT_FIELDS = (
    "hourly_rate_minor",
    "feedback_bug_low_minor", "feedback_bug_medium_minor", "feedback_bug_high_minor", "feedback_bug_critical_minor",
    "feedback_feature_minor", "feedback_quality_minor", "feedback_general_minor", "feedback_shipped_bonus_minor",
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
    """Add a new version of the program's rate card: the `payments.ratecard.created` action (program managers;
    no backdating except a program's first card)."""
    from payments.actions import CreateRateCard  # the actions use this module

    return CreateRateCard(by, program, effective_date=effective_date, notes=notes, amounts=amounts).run()
