"""The actions of the payments app. Each change of state is one registered action (see docs/actions.md).

TRANSITIONAL: names still written by services directly are registered here as audit names until their
action exists."""
from atelier.actions import register_audit_name

register_audit_name("payments.ledger.adjusted", "adjusted ledger")
register_audit_name("payments.ledger.priced_waiting_work", "priced waiting work ledger")
register_audit_name("payments.ledger.unpriced", "unpriced ledger")
register_audit_name("payments.payout.cancelled", "cancelled payout")
register_audit_name("payments.payout.paid", "paid payout")
register_audit_name("payments.payout.resent", "resent payout")
register_audit_name("payments.payout.retried", "retried payout")
register_audit_name("payments.payout.reversed", "reversed payout")
register_audit_name("payments.payout_account.created", "created payout account")
register_audit_name("payments.payout_account.updated", "updated payout account")
register_audit_name("payments.payout_run.approved", "approved payout run")
register_audit_name("payments.payout_run.cancelled", "cancelled payout run")
register_audit_name("payments.payout_run.completed", "completed payout run")
register_audit_name("payments.payout_run.created", "created payout run")
register_audit_name("payments.ratecard.created", "created ratecard")
register_audit_name("payments.reconciliation.recorded", "recorded reconciliation")
register_audit_name("payments.report.exported", "exported report")
register_audit_name("payments.statement.downloaded", "downloaded statement")
