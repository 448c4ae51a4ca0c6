"""Price work the moment testers accepts or approves it (and mend the price of corrected time), inside the
same transaction as testers' action.

The signals are sent once by the testers services, inside the accepting transaction; the entry is
written in a savepoint and keyed by its source, so even a repeated signal adds nothing. Work for which
no rate card was in force gets no entry: it is logged, audited and listed to staff as unpriced.
"""
from django.dispatch import receiver

from payments.services import ledger
from testers.signals import feedback_accepted, feedback_shipped, time_log_approved, time_log_corrected
from atelier.actions import SYSTEM
from payments.actions import CorrectTimeLogCredit, CreditShippedBonus


@receiver(feedback_accepted, dispatch_uid="payments.price_accepted_feedback")
def price_accepted_feedback(sender, feedback, by=None, **kwargs):
    ledger.record_feedback(feedback, by=by)


@receiver(feedback_shipped, dispatch_uid="payments.credit_shipped_bonus")
def credit_shipped_bonus(sender, feedback, by=None, **kwargs):
    """The rate card's bonus per shipped item, once (an action: audited, and the artist is told)."""
    CreditShippedBonus(SYSTEM, feedback.membership, feedback=feedback, by=by).run()


@receiver(time_log_approved, dispatch_uid="payments.price_approved_time")
def price_approved_time(sender, time_log, by=None, **kwargs):
    ledger.record_time(time_log, by=by)


@receiver(time_log_corrected, dispatch_uid="payments.mend_corrected_time")
def mend_corrected_time(sender, time_log, by=None, reason="", **kwargs):
    """A site admin corrected an approved log: an adjusting ledger line for the difference (an action)."""
    CorrectTimeLogCredit(SYSTEM, time_log.membership, time_log=time_log, by=by, reason=reason).run()
