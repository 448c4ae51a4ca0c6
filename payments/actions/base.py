"""The payments actions' base: a database rule broken by a write becomes a sentence, never a 500."""
from __future__ import annotations

from django.db import IntegrityError

from atelier.actions import Action
from atelier.errors import ActionRefused, Refusal

from ._common import constraint_message


class PaymentsAction(Action):
    """An action whose writes the payments tables' constraints also guard (creator ≠ approver, one transfer
    per payout, ledger kind ⇒ sign and source, currency shape). The rule a write breaks is told in words."""

    def run(self):
        try:
            return super().run()
        except IntegrityError as error:
            message = constraint_message(error)
            if message is None:
                raise
            raise ActionRefused(Refusal(message, "rule")) from error
