"""Decisions and appeals. The entry points (a reviewer's decision, an artist's appeal, the final decision on an
appeal) each build and run one action of content_review/actions; below them, the parts the deciding actions
share: checking what the reviewer wrote, and recording the (append-only) decision with its effects on the
request and its works."""
from __future__ import annotations

from django.utils import timezone

from atelier.errors import DomainError
from content_review import tasks
from content_review.models import Appeal, ReviewDecision, ShareRequest, Work
from testers.models import Clause

Outcome = ReviewDecision.Outcome
FileStatus = Work.FileStatus


def _actions():
    from content_review import actions  # the actions import these helpers: import them late

    return actions


def decide_share_request(share_request: ShareRequest, *, by, outcome: str, **decision) -> ReviewDecision:
    """A reviewer's (or manager's) decision: runs the outcome's action (reason, clause_ids, embargo_until,
    required_caption, required_credit as keyword arguments)."""
    action = _actions().DECIDE.get(outcome)
    if action is None:
        raise DomainError("Choose a decision.")
    return action(by, share_request, **decision).run()


def appeal_refusal(share_request: ShareRequest, *, by, message: str) -> Appeal:
    return _actions().AppealRefusal(by, share_request, message=message).run()


def decide_appeal(appeal: Appeal, *, by, outcome: str, **decision) -> ReviewDecision:
    """The final decision on an appeal: an approval overturns the refusal, a refusal upholds it."""
    action = _actions().appeal_action_for(outcome)
    return action(by, appeal.share_request, outcome=outcome, **decision).run()


# --- what the deciding actions share ----------------------------------------------------------------

def validate_decision(share_request, outcome, *, reason="", clause_ids=(), embargo_until=None,
                      required_caption="", required_credit=""):
    """What the reviewer wrote, checked: clauses of the version the artist accepted, a reason in words for all
    but a plain approval, conditions only (and at least one) for an approval with conditions."""
    reason = (reason or "").strip()
    required_caption = (required_caption or "").strip()
    required_credit = (required_credit or "").strip()
    clause_ids = {int(c) for c in (clause_ids or [])}
    clauses = list(Clause.objects.filter(pk__in=clause_ids, terms_version=share_request.terms_version))
    if len(clauses) != len(clause_ids):
        raise DomainError("Cite only clauses of the terms version the artist accepted "
                          f"(version {share_request.terms_version.number if share_request.terms_version else '—'}).")
    has_conditions = bool(embargo_until or required_caption or required_credit)
    if outcome == Outcome.APPROVE:
        if has_conditions:
            raise DomainError("A plain approval has no conditions: choose “approve with conditions”.")
    else:
        if not clauses:
            raise DomainError("Cite at least one clause of the terms the artist accepted.")
        if not reason:
            raise DomainError("Give the reason in words.")
    if outcome == Outcome.REFUSE:
        free = [c for c in clauses if c.klass == Clause.Klass.FREE_TO_SHARE]
        if free:
            raise DomainError(f"{free[0]} is “free to share”, so it cannot be cited to refuse.")
    if outcome == Outcome.APPROVE_WITH_CONDITIONS:
        if not has_conditions:
            raise DomainError("Set at least one condition: an embargo date, a required caption or a required credit.")
        if embargo_until and embargo_until < timezone.localdate():
            raise DomainError("The embargo date is in the past.")
    else:
        embargo_until, required_caption, required_credit = None, "", ""
    return {"reason": reason, "clauses": clauses, "embargo_until": embargo_until,
            "required_caption": required_caption, "required_credit": required_credit}


def record_decision(action, share_request, *, outcome, by, reason="", clauses=(), embargo_until=None,
                    required_caption="", required_credit="", on_appeal=False) -> ReviewDecision:
    """Create the decision and set the (locked) request's decision fields through `action.change`; the action
    moves its status. An approval asks for the works' credited copies; the artist is told after commit (the
    event carries the decision)."""
    now = timezone.now()
    decision = ReviewDecision.objects.create(
        share_request=share_request, outcome=outcome, decided_by=by, reason=reason,
        embargo_until=embargo_until, required_caption=required_caption, required_credit=required_credit,
        on_appeal=on_appeal, submitted_at=share_request.submitted_at or now, created_at=now,
    )
    decision.clauses.set(clauses)
    action.change(share_request, decided_at=now, first_decided_at=share_request.first_decided_at or now,
                  embargo_until=embargo_until, required_caption=required_caption, required_credit=required_credit)
    if decision.is_approval:
        # "publish" in Work.PUBLISHED_TRANSITIONS: part of the approval's effects, audited with it.
        publishable = Work.PUBLISHED_TRANSITIONS["publish"].sources
        work_ids = list(share_request.works.filter(published_status__in=publishable).values_list("pk", flat=True))
        Work.objects.filter(pk__in=work_ids).update(published_status=FileStatus.PENDING, published_error="")
        for pk in work_ids:
            tasks.make_published_copy.delay(pk)
    action.emit(decision_id=decision.pk)  # the artist is told (content_review/notifications.py)
    action.audit_data.update(decision=decision.pk, **decision_audit(decision, clauses))
    return decision


def decision_audit(decision, clauses) -> dict:
    return {"outcome": decision.outcome, "reason": decision.reason, "clauses": [c.key for c in clauses],
            "embargo_until": decision.embargo_until.isoformat() if decision.embargo_until else None,
            "required_caption": decision.required_caption, "required_credit": decision.required_credit}
