"""The payments actions' base: a database rule broken by a write becomes a sentence, never a 500."""
from __future__ import annotations

from atelier.actions import Action

from . import _common  # noqa: F401  (registers the payments tables' rules in words)


class PaymentsAction(Action):
    """An action whose writes the payments tables' constraints also guard (creator ≠ approver, one transfer
    per payout, ledger kind ⇒ sign and source, currency shape). The rule a write breaks is told in words."""
