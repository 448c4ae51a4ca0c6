"""The payments tables' database rules in words, for the action layer (`atelier.actions.constraint_message`)."""
from __future__ import annotations

from atelier.actions import register_constraint_messages

#: The database rules of the payments tables, in words a person understands (constraint name → sentence).
CONSTRAINT_MESSAGES = {
    "payoutrun_creator_not_approver": "You created this run: another finance user approves it.",
    "payoutrun_one_per_program_period": "A payout run for this program and period already exists.",
    "payoutrun_period_order": "The period must start on or before its end.",
    "payout_transfer_id_unique": "This Stripe transfer is already recorded on another payout.",
    "payout_paid_has_transfer_and_date": "A paid payout needs its Stripe transfer and the time it was paid.",
    "ledger_kind_sign": "That amount has the wrong sign for this kind of ledger entry.",
    "ledger_time_has_time_log": "A ledger line for testing time must name its time log.",
    "ledger_feedback_has_feedback": "A ledger line for feedback must name its feedback item.",
    "ledger_payout_kinds_have_payout": "A ledger line for a payout must name the payout.",
    "ledger_adjustment_has_reason": "Give the reason for the adjustment.",
    "ledger_amount_not_zero": "The amount must not be zero.",
    "ratecard_version_unique": "Another version was saved at the same time. Reload and try again.",
    "ratecard_one_per_effective_date": "A version already takes effect on that date. Choose another date.",
    "stripeaccount_enabled_iff_payable": "A payout account is enabled exactly when Stripe enables its payouts.",
    # every currency column's check (program, rate card, ledger, run, payout) ends with this name
    "currency_iso4217": "A currency is a three-letter ISO 4217 code, such as USD or EUR.",
}

register_constraint_messages(CONSTRAINT_MESSAGES)
