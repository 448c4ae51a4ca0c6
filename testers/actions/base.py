"""What every testers action shares: a database rule that refuses a write becomes a sentence, never a 500."""
from __future__ import annotations

from atelier.actions import Action, register_constraint_messages
from testers.selectors import has_accepted_current

# Constraint name -> what the person is told when the database refuses a write by that rule.
CONSTRAINT_MESSAGES = {
    "feedback_declined_has_reason": "Say why the item is declined; the artist sees the reason.",
    "feedback_duplicate_has_original": "Choose the item this one duplicates.",
    "feedback_bug_has_severity": "Choose how severe the bug is.",
    "terms_published_has_hash_and_dates": "Published terms need their text hash, publication time and effective date.",
    "terms_one_draft_per_program": "There is already a draft; edit it or publish it first.",
    "terms_version_number_unique": "Another version with this number was created meanwhile; reload and try again.",
    "clause_key_unique_in_version": "Another clause of this version has the same key; change the title.",
    "acceptance_once_per_version": "You already accepted this version of the terms.",
    "timelog_rejected_has_reason": "Say why the time is rejected; the artist sees the reason.",
    "timelog_minutes_in_a_day": "A log is between 1 minute and 24 hours.",
    "invitation_one_pending_per_email": "This address already has a pending invitation; resend it instead.",
    "membership_unique_per_program": "This artist is already a member of this program.",
    "staffrole_unique_per_program": "This person already holds this role in this program.",
    "program_currency_iso4217": "The currency is a three-letter ISO 4217 code, such as USD or EUR.",
    "program_deadlines_at_least_a_day": "Review and appeal deadlines are at least one day.",
    "clause_ends_on_a_day_or_at_a_milestone": "A clause ends on a day or at a milestone, not both: choose one.",
    "clause_end_only_when_restricted": "Only a confidential or needs-approval clause can end.",
    "clause_ended_has_an_end": "Only a clause with an end can have ended.",
    "milestone_name_unique_in_program": "This program already has a milestone with this name.",
    "milestone_announced_has_date": "An announced milestone needs the time it was announced.",
}


register_constraint_messages(CONSTRAINT_MESSAGES)


class TestersAction(Action):
    """An action of the testers app."""


def clean_text(value) -> str:
    return (value or "").strip()


class TransitionAction(TestersAction):
    """An action whose effects need the new status already (a signal whose receivers read it)."""

    def move(self, obj) -> str:
        """Move the status through the table now (the run would do it after `apply`) and return it."""
        table = self.transitions()
        status = table.target(self.transition, getattr(obj, table.field))
        self.change(obj, **{table.field: status})
        return status

    def next_status(self, obj) -> str:
        table = self.transitions()
        return table.target(self.transition, getattr(obj, table.field))


def terms_refusal(membership) -> str | None:
    """Artists act in a program only once they accepted its current terms."""
    if not has_accepted_current(membership):
        return "Please accept the program's current terms first."
    return None
