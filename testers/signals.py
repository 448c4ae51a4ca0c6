"""Events other apps react to inside the same transaction (payments prices them)."""
from django.dispatch import Signal

# Sent once, inside the transaction that accepts the item: feedback=<Feedback>, by=<User>
feedback_accepted = Signal()
# Sent once, inside the transaction that approves the log: time_log=<TimeLog>, by=<User>
time_log_approved = Signal()
