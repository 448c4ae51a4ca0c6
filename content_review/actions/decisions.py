"""Deciding share requests: a reviewer's (or manager's) decision, one action per outcome; the deadline policy
(the system escalates or deems approved); the final decision on an appeal (overturn or uphold).

Who may decide lives in atelier.permissions.RULES ("share_request.decide": not your own request, escalated ⇒
manager; "appeal.decide": not your own request, not the reviewer who refused, the assignee or a manager), and
which statuses allow it in ShareRequest.TRANSITIONS. Nothing here repeats either."""
from __future__ import annotations

from datetime import timedelta
from typing import ClassVar

from django.utils import timezone

from atelier.display import format_day
from atelier.errors import DomainError, Refusal
from atelier.models import AuditLogEntry
from content_review.actions.base import ReviewAction
from content_review.models import Appeal, ReviewDecision, ShareRequest
from content_review.services.deadlines import appeal_days
from content_review.services.decisions import record_decision, validate_decision
from testers.models import StaffRole

Outcome = ReviewDecision.Outcome
Status = ShareRequest.Status


class DecideShareRequest(ReviewAction):
    """Base of the four decisions. Params: reason, clause_ids, embargo_until, required_caption,
    required_credit (checked when it runs: a bad decision is a DomainError, a form error in the view)."""

    model = ShareRequest
    permission = "share_request.decide"
    permission_reason = "Only the program's reviewers and managers decide share requests."
    select_related = ("membership__program", "terms_version")
    outcome: ClassVar[str] = ""

    def state_refusal(self, obj, status):
        return "This request is not waiting for a decision."

    def apply(self, obj):
        written = {k: v for k, v in self.params.items()
                   if k in ("reason", "clause_ids", "embargo_until", "required_caption", "required_credit")}
        checked = validate_decision(obj, self.outcome, **written)
        return record_decision(self, obj, outcome=self.outcome, by=self.actor, **checked)

    def audit_target(self, obj, result):
        return obj


class ApproveShareRequest(DecideShareRequest):
    name = "content_review.share_request.approved"
    label = "approved share request"
    transition = "approve"
    outcome = Outcome.APPROVE


class ApproveShareRequestWithConditions(DecideShareRequest):
    name = "content_review.share_request.approved_with_conditions"
    label = "approved share request with conditions"
    transition = "approve_with_conditions"
    outcome = Outcome.APPROVE_WITH_CONDITIONS


class RequestChanges(DecideShareRequest):
    name = "content_review.share_request.changes_requested"
    label = "asked for changes to share request"
    transition = "request_changes"
    outcome = Outcome.REQUEST_CHANGES


class RefuseShareRequest(DecideShareRequest):
    name = "content_review.share_request.refused"
    label = "refused share request"
    transition = "refuse"
    outcome = Outcome.REFUSE


DECIDE = {action.outcome: action for action in
          (ApproveShareRequest, ApproveShareRequestWithConditions, RequestChanges, RefuseShareRequest)}


# --- the deadline policy (the system, from the beat task) ---------------------------------------------------

class DeadlineAction(ReviewAction):
    """Base of the two policies. Params: now (defaults to the current time)."""

    model = ShareRequest
    system = True
    people = False
    select_related = ("membership__program",)
    policy: ClassVar[str] = ""

    def state_refusal(self, obj, status):
        return "This request is not waiting for a decision."

    def refusal(self, obj):
        now = self.params.get("now") or timezone.now()
        if obj.deadline_at is None or obj.deadline_at > now:
            return Refusal("The review deadline has not passed yet.", "rule")
        if obj.membership.program.deadline_policy != self.policy:
            return Refusal("The program's deadline policy is another one.", "rule")
        return None


class DeemApproved(DeadlineAction):
    name = "content_review.deadline.deemed_approved"
    label = "deemed share request approved at its deadline"
    transition = "deem_approved"
    policy = "deemed_approved"

    def apply(self, obj):
        program = obj.membership.program
        self.change(obj, deadline_missed=True)
        reason = (f"No reviewer decided within the program's {program.review_sla_days}-day review deadline, "
                  "so the program's policy deems the request approved.")
        record_decision(self, obj, outcome=Outcome.DEEMED_APPROVED, by=None, reason=reason)
        self.audit_data["deadline_at"] = obj.deadline_at.isoformat()
        return obj


class Escalate(DeadlineAction):
    name = "content_review.deadline.escalated"
    label = "escalated share request to the program manager"
    transition = "escalate"
    policy = "escalate"

    def apply(self, obj):
        program = obj.membership.program
        manager = (StaffRole.objects.filter(program=program, role=StaffRole.Role.MANAGER,
                                            user__is_active=True).order_by("user_id").select_related("user").first())
        now = self.params.get("now") or timezone.now()
        # The manager gets a deadline of the same length; past it the request is deemed approved.
        self.change(obj, deadline_missed=True, escalated_at=now,
                    escalation_deadline_at=now + timedelta(days=program.review_sla_days),
                    escalated_to_id=manager.user_id if manager else None)
        self.audit_data.update(deadline_at=obj.deadline_at.isoformat(),
                               escalated_to=manager.user.email if manager else None)
        return obj


DEADLINE_POLICIES = {action.policy: action for action in (DeemApproved, Escalate)}


class DeemApprovedAfterEscalation(ReviewAction):
    """The manager did not decide an escalated request by its deadline either: the artist is not kept waiting
    longer, the request is deemed approved (whatever the program's policy; it chose escalation for the first
    deadline only). Params: now."""

    name = "content_review.deadline.deemed_approved_after_escalation"
    label = "deemed escalated share request approved at the manager's deadline"
    model = ShareRequest
    transition = "deem_approved_after_escalation"
    system = True
    people = False
    select_related = ("membership__program",)

    def state_refusal(self, obj, status):
        return "This request is not escalated."

    def refusal(self, obj):
        now = self.params.get("now") or timezone.now()
        if obj.escalation_deadline_at is None or obj.escalation_deadline_at > now:
            return Refusal("The manager's deadline has not passed yet.", "rule")
        return None

    def apply(self, obj):
        days = obj.membership.program.review_sla_days
        reason = (f"The request passed its review deadline and was escalated; the program manager did not decide "
                  f"it within {days} more day{'s' if days != 1 else ''}, so it is deemed approved.")
        record_decision(self, obj, outcome=Outcome.DEEMED_APPROVED, by=None, reason=reason)
        self.audit_data["escalation_deadline_at"] = obj.escalation_deadline_at.isoformat()
        return obj


class WarnDeadlineApproaching(ReviewAction):
    """Whoever decides is told the deadline in force is near (the beat task; content_review/notifications.py says
    who): the review deadline, the manager's once escalated, the appeal's once appealed. Changes nothing but is
    audited, which is also what makes it once per deadline. Params: now."""

    name = "content_review.deadline.approaching"
    label = "warned reviewers that a share request's deadline is near"
    model = ShareRequest
    system = True
    people = False
    select_related = ("membership__program",)

    def refusal(self, obj):
        if obj is None:
            return None
        decide_by = obj.decide_by
        if decide_by is None:
            return Refusal("This request is not waiting for a decision.", "state")
        now = self.params.get("now") or timezone.now()
        if decide_by <= now:
            return Refusal("The deadline has passed: the program's policy applies.", "state")
        if AuditLogEntry.objects.filter(action=self.name, target_type=ShareRequest._meta.label,
                                        target_id=str(obj.pk), data__deadline_at=decide_by.isoformat()).exists():
            return Refusal("The reviewers were already warned of this deadline.", "state")
        return None

    def apply(self, obj):
        self.audit_data.update(deadline_at=obj.decide_by.isoformat(), status=obj.status)
        return obj


# --- appeals ------------------------------------------------------------------------------------------------

class DecideAppeal(ReviewAction):
    """The final decision on an appeal, on the appealed request; the appeal moves through Appeal.TRANSITIONS
    with it. The permission rule is asked about the appeal (who refused, who it was given to).
    Params: outcome (an approval's kind, for overturn), reason, clause_ids, embargo_until, required_caption,
    required_credit."""

    model = ShareRequest
    permission = "appeal.decide"
    permission_reason = "Only the program's reviewers and managers decide appeals."
    select_related = ("membership__program", "terms_version")
    outcomes: ClassVar[tuple] = ()

    def _appeal(self, obj):
        return Appeal.objects.filter(share_request_id=obj.pk).first() if obj is not None else None

    def permission_target(self, obj):
        return self._appeal(obj) or obj

    def state_refusal(self, obj, status):
        if self._appeal(obj) is not None:
            return "This appeal was already decided; the decision is final."
        return "There is no appeal to decide."

    def apply(self, obj):
        outcome = self.params.get("outcome") or self.outcomes[0]
        if outcome not in self.outcomes:
            raise DomainError("Choose a decision.")
        appeal = Appeal.objects.select_for_update(of=("self",)).get(share_request_id=obj.pk)
        table = Appeal.TRANSITIONS
        if not table.allows(self.transition, appeal.status):
            raise DomainError("This appeal was already decided; the decision is final.")
        written = {k: v for k, v in self.params.items()
                   if k in ("reason", "clause_ids", "embargo_until", "required_caption", "required_credit")}
        checked = validate_decision(obj, outcome, **written)
        decision = record_decision(self, obj, outcome=outcome, by=self.actor, on_appeal=True, **checked)
        appeal.status = table.target(self.transition, appeal.status)
        appeal.decision = decision
        appeal.decided_at = decision.created_at
        appeal.save(update_fields=["status", "decision", "decided_at"])
        self.audit_data.update(appeal=appeal.pk, appeal_status=appeal.status)
        return decision

    def audit_target(self, obj, result):
        return obj


class OverturnRefusal(DecideAppeal):
    name = "content_review.appeal.overturned"
    label = "overturned refusal on appeal"
    transition = "overturn"
    outcomes = (Outcome.APPROVE, Outcome.APPROVE_WITH_CONDITIONS)


class UpholdRefusal(DecideAppeal):
    name = "content_review.appeal.upheld"
    label = "upheld refusal on appeal"
    transition = "uphold"
    outcomes = (Outcome.REFUSE,)


class DeemAppealOverturned(ReviewAction):
    """Nobody decided an appeal by its deadline: the refusal is deemed overturned (final), as the artist was
    promised a decision in time and the program did not keep it. Params: now."""

    name = "content_review.deadline.appeal_deemed_overturned"
    label = "deemed refusal overturned at the appeal's deadline"
    model = ShareRequest
    transition = "deem_overturned"
    system = True
    people = False
    select_related = ("membership__program",)

    def state_refusal(self, obj, status):
        return "There is no pending appeal."

    def refusal(self, obj):
        appeal = Appeal.objects.filter(share_request_id=obj.pk).first()
        now = self.params.get("now") or timezone.now()
        if appeal is None or appeal.decide_by is None or appeal.decide_by > now:
            return Refusal("The appeal's deadline has not passed yet.", "rule")
        return None

    def apply(self, obj):
        appeal = Appeal.objects.select_for_update(of=("self",)).get(share_request_id=obj.pk)
        table = Appeal.TRANSITIONS
        if not table.allows("deem_overturned", appeal.status):
            raise DomainError("This appeal was already decided; the decision is final.")
        days = appeal_days(obj.membership.program)
        reason = (f"Nobody decided the appeal within {days} day{'s' if days != 1 else ''}, so the refusal is "
                  "deemed overturned and the request approved.")
        decision = record_decision(self, obj, outcome=Outcome.DEEMED_APPROVED, by=None, reason=reason,
                                   on_appeal=True)
        appeal.status = table.target("deem_overturned", appeal.status)
        appeal.decision = decision
        appeal.decided_at = decision.created_at
        appeal.save(update_fields=["status", "decision", "decided_at"])
        self.audit_data.update(appeal=appeal.pk, appeal_status=appeal.status,
                               decide_by=appeal.decide_by.isoformat())
        return decision

    def audit_target(self, obj, result):
        return obj


def appeal_action_for(outcome: str):
    for action in (OverturnRefusal, UpholdRefusal):
        if outcome in action.outcomes:
            return action
    raise DomainError("Choose a decision.")


# --- clauses that ended (the system, when testers ends a clause, and on submission) -------------------------

class ApproveAsFree(ReviewAction):
    """Every clause the request cites is free to share now, and at least one of them was confidential or needed
    approval until its end came (testers' `testers.clause.ended`): no review is needed, the system approves, and
    the decision's reason names the ended clauses (docs/content_review.md, "Clauses that ended")."""

    name = "content_review.share_request.approved_as_free"
    label = "approved share request: the clauses it cites have ended"
    model = ShareRequest
    transition = "approve_as_free"
    system = True
    people = False
    select_related = ("membership__program", "terms_version")

    def state_refusal(self, obj, status):
        return "This request is not waiting for a decision."

    def refusal(self, obj):
        if obj is not None and not ended_clauses(obj):
            return Refusal("A clause this request cites is still confidential or needs approval.", "rule")
        return None

    def apply(self, obj):
        ended = ended_clauses(obj)
        reason = ("Every clause this request cites is free to share now, so no review is needed. "
                  + " ".join(f"{clause} was {clause.get_klass_display().lower()} {clause.end_text()}, and that "
                             f"end came on {format_day(clause.ended_at)}." for clause in ended))
        record_decision(self, obj, outcome=Outcome.CLAUSES_ENDED, by=None, reason=reason, clauses=ended)
        return obj

    def audit_target(self, obj, result):
        return obj


def ended_clauses(share_request) -> list:
    """The ended clauses the request cites, if every clause it cites is free to share now (by its class or its end)
    and at least one of them ended; else []."""
    cited = list(share_request.clauses.select_related("ends_at_milestone").order_by("position"))
    if not cited or not all(clause.is_free_to_share for clause in cited):
        return []
    return [clause for clause in cited if clause.has_ended]
