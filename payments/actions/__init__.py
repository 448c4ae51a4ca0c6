"""The actions of the payments app: every change of state in payments is one registered action (see
docs/actions.md and docs/payments-actions.md). Split by concern:

- `ledger`: rate cards, adjustments, the ledger lines of priced work and stipends;
- `payouts`: payout runs and payouts (people's actions and what the sending task records);
- `accounts`: Stripe connected accounts, webhook events, reconciliation.

Audited events that change no state (a report exported, a statement downloaded, work left unpriced) are
registered here with their labels.
"""
from atelier.actions import register_audit_name, register_retired_name

from .accounts import *  # noqa: F401,F403
from .ledger import *  # noqa: F401,F403
from .payouts import *  # noqa: F401,F403

register_audit_name("payments.report.exported", "exported a payments report")
register_audit_name("payments.statement.downloaded", "downloaded an earnings statement")
register_audit_name("payments.ledger.unpriced", "left work unpriced (no rate card in force)")

# Older audit entries carry this name; `payments.stripe_account.refreshed` writes them now.
register_retired_name("payments.payout_account.updated", "updated payout account from Stripe")
