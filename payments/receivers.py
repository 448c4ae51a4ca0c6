"""Price work the moment testers accepts or approves it, inside the same transaction.

The signals are sent once by the testers services, inside the accepting transaction; the entry is
written in a savepoint and keyed by its source, so even a repeated signal adds nothing. Work for which
no rate card was in force gets no entry: it is logged, audited and listed to staff as unpriced.
"""
from django.dispatch import receiver

from payments.services import ledger
from testers.signals import feedback_accepted, time_log_approved


@receiver(feedback_accepted, dispatch_uid="payments.price_accepted_feedback")
def price_accepted_feedback(sender, feedback, by=None, **kwargs):
    ledger.record_feedback(feedback, by=by)


@receiver(time_log_approved, dispatch_uid="payments.price_approved_time")
def price_approved_time(sender, time_log, by=None, **kwargs):
    ledger.record_time(time_log, by=by)
