"""What every content_review action shares: a plain sentence for people the rule does not cover, and database
rules (constraints) turned into sentences rather than 500s."""
from __future__ import annotations

from typing import ClassVar


from atelier.actions import SYSTEM, Action, register_constraint_messages
from atelier.errors import Refusal
from atelier.permissions import RULES

# The CheckConstraints of content_review/models.py, in words. A constraint is the last guard: the actions check
# the same rules first, so these sentences show only when something bypassed them.
CONSTRAINT_MESSAGES = {
    "share_request_submitted_has_deadline": "A submitted request needs its submission time and review deadline.",
    "share_request_decided_has_date": "A decided request needs the time of its decision.",
    "share_request_escalated_has_date": "An escalated request needs the time it was escalated.",
    "share_request_escalated_has_deadline": "An escalated request needs the manager's deadline.",
    "share_request_withdrawn_has_date": "A withdrawn request needs the time it was withdrawn.",
    "decision_deemed_has_no_reviewer": "Only the system decides without a reviewer (a deadline passed, or the "
                                       "clauses a request cites ended); a reviewer decides everything else.",
    "decision_conditions_has_a_condition": "Set at least one condition: an embargo date, a required caption or "
                                           "a required credit.",
    "decision_only_conditional_approval_has_conditions": "Only an approval with conditions carries conditions.",
    "decision_has_a_reason": "Give the reason in words.",
    "appeal_not_assigned_to_refuser": "The reviewer who refused cannot be given the appeal.",
    "appeal_pending_has_deadline": "A pending appeal needs the time by which it is decided.",
    "appeal_decided_has_decision": "A decided appeal needs its decision and the time it was decided.",
    "work_processing_status_not_none": "A work's copies are always made.",
    "work_processing_failed_has_error": "A failed work needs the reason it failed.",
    "work_publishing_failed_has_error": "A failed credited copy needs the reason it failed.",
    "work_showcase_removed_has_reason": "A work a manager took off the showcase needs the reason, and is off it.",
    "work_showcase_consent_has_date": "Consent to the showcase needs the time it was given.",
}


register_constraint_messages(CONSTRAINT_MESSAGES)


class ReviewAction(Action):
    """Base of the app's actions."""

    #: the sentence (kind "permission") for a person the rule does not let act at all, instead of the generic
    #: "You may not do this." Views still answer such people with a 404; services, the admin and the shell show it.
    permission_reason: ClassVar[str | None] = None

    def _why_not(self, obj) -> Refusal | None:
        refusal = super()._why_not(obj)
        if (refusal is not None and refusal.kind == "permission" and self.permission_reason
                and self.actor is not SYSTEM and getattr(self.actor, "is_authenticated", False)
                and str(refusal) not in {c.reason for c in RULES[self.permission].conditions}):
            return Refusal(self.permission_reason, "permission")
        return refusal

    def change(self, obj, **values) -> None:
        super().change(obj, **values)
        if hasattr(obj, "updated_at"):
            self.dirty.add("updated_at")  # auto_now: saved with the change, not recorded as one

    def set_files(self, obj, **names) -> None:
        """Set file fields (stored names) without recording them as before/after: the audit entry gets the names."""
        for field, name in names.items():
            setattr(obj, field, name)
            self.dirty.add(field)
        self.audit_data.setdefault("files", {}).update(names)

