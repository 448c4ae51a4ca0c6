"""Events other apps react to inside the same transaction (payments prices them)."""
from django.dispatch import Signal

# Sent once, inside the transaction that accepts the item: feedback=<Feedback>, by=<User>
feedback_accepted = Signal()
# Sent once, inside the transaction that marks the item shipped (feedback.shipped_in names the build):
# feedback=<Feedback>, by=<User>. Payments credits the rate card's shipped-feedback bonus, once per item.
feedback_shipped = Signal()
# Sent once, inside the transaction that approves the log: time_log=<TimeLog>, by=<User>
time_log_approved = Signal()
# Sent once, inside the transaction that corrects an approved log (a site admin changed its minutes or date):
# time_log=<TimeLog, already corrected>, by=<User>, before={"minutes": int, "date": date}, reason=<str>.
# Payments mends the ledger: an adjusting entry for the difference between the new price and what was credited.
time_log_corrected = Signal()
