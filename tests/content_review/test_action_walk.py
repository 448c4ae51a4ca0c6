"""Every content_review action with a transition, in every status of its table: `check()` and `run()` agree.

The two retries queue the task that makes the copies; run eagerly after commit, that task moves the status
again (to ready or failed), so the harness walks their refused statuses and the allowed one is walked below
with the task left queued. The credited copy's actions (Work.PUBLISHED_TRANSITIONS) are walked below too."""
from datetime import timedelta

import pytest
from django.utils import timezone

from atelier import actions
from atelier.errors import ActionRefused
from atelier.models import AuditLogEntry
from content_review.models import Appeal, ReviewDecision, ShareRequest, Work
from testers.models import Clause
from tests import factories
from tests.action_walk import ActionCase, walk, walk_roles
from tests.content_review.factories import member_with_terms

S = ShareRequest.Status
F = Work.FileStatus
SUBMITTED = {S.SUBMITTED, S.ESCALATED, S.CHANGES_REQUESTED, S.APPROVED, S.REFUSED, S.APPEALED}
DECIDED = {S.CHANGES_REQUESTED, S.APPROVED, S.REFUSED, S.APPEALED}
# A work's own copies are always made ("none" is only for the credited copy: constraint
# work_processing_status_not_none).
PROCESSING_STATUSES = (F.PENDING, F.READY, F.FAILED)


def request_in(status, *, policy="escalate", works=()):
    """A share request in `status`, with what that status implies (dates, the refusal, the pending appeal)."""
    program = factories.ProgramFactory(deadline_policy=policy)
    membership = member_with_terms(program)
    manager = factories.staff_user(program, "manager")
    reviewer = factories.staff_user(program, "reviewer")
    version = program.terms_versions.get()
    now = timezone.now()
    past = now - timedelta(days=1)
    fields = {"terms_version": version}
    if status in SUBMITTED:
        fields.update(submitted_at=past - timedelta(days=3), first_submitted_at=past - timedelta(days=3),
                      deadline_at=past)
    if status in DECIDED:
        fields.update(decided_at=now, first_decided_at=now)
    if status == S.ESCALATED:
        fields.update(escalated_at=now, escalated_to=manager, deadline_missed=True, escalation_deadline_at=past)
    if status == S.WITHDRAWN:
        fields.update(withdrawn_at=now)
    share_request = ShareRequest.objects.create(membership=membership, title=f"In {status}", status=status, **fields)
    for processing_status in works:
        Work.objects.create(share_request=share_request, kind="image", original_name="a.jpg", mime_type="image/jpeg",
                            extension="jpg", original="works/a.jpg", processing_status=processing_status)
    if status in (S.REFUSED, S.APPEALED):
        refusal = ReviewDecision.objects.create(share_request=share_request, outcome="refuse", decided_by=reviewer,
                                                reason="Confidential.", submitted_at=share_request.submitted_at)
        refusal.clauses.set([cited(share_request, Clause.Klass.CONFIDENTIAL)])
        if status == S.APPEALED:
            Appeal.objects.create(share_request=share_request, refusal=refusal, refused_by=reviewer,
                                  message="It was announced.", decide_by=past)
    share_request.manager, share_request.reviewer = manager, reviewer
    return share_request


def cited(share_request, klass):
    return share_request.terms_version.clauses.get(klass=klass)


def citing_only_an_ended_clause(share_request):
    """The request cites only its version's confidential clause, whose end came yesterday."""
    clause = cited(share_request, Clause.Klass.CONFIDENTIAL)
    Clause.objects.filter(pk=clause.pk).update(ends_on=timezone.localdate() - timedelta(days=1),
                                               ended_at=timezone.now())
    share_request.clauses.set([clause])
    return share_request


def owner(target):
    return target.membership.artist.user


def manager_of(target):
    return target.manager


def another_reviewer(target):
    return factories.staff_user(target.membership.program, "reviewer")


def decision(klass=None, **extra):
    def params(target):
        out = {"reason": "Because of the clause.", **extra}
        if klass:
            out["clause_ids"] = [cited(target, klass).pk]
        return out
    return params


def work_in(status):
    share_request = request_in(S.DRAFT)
    return Work.objects.create(
        share_request=share_request, kind="image", original_name="a.jpg", mime_type="image/jpeg", extension="jpg",
        original="works/a.jpg", processing_status=status, processing_error="It broke." if status == F.FAILED else "")


def work_owner(work):
    return work.share_request.membership.artist.user


CASES = {
    "content_review.share_request.updated": ActionCase(
        make=lambda status: request_in(status), actor=owner,
        params=lambda target: {"fields": {"title": "Renamed"}, "clauses": []}),
    "content_review.share_request.submitted": ActionCase(
        make=lambda status: request_in(status, works=[F.READY]), actor=owner),
    "content_review.share_request.withdrawn": ActionCase(make=lambda status: request_in(status), actor=owner),
    "content_review.share_request.approved": ActionCase(make=lambda status: request_in(status), actor=manager_of),
    "content_review.share_request.approved_with_conditions": ActionCase(
        make=lambda status: request_in(status), actor=manager_of,
        params=decision(Clause.Klass.NEEDS_APPROVAL, embargo_until=timezone.localdate() + timedelta(days=7))),
    "content_review.share_request.changes_requested": ActionCase(
        make=lambda status: request_in(status), actor=manager_of, params=decision(Clause.Klass.NEEDS_APPROVAL)),
    "content_review.share_request.refused": ActionCase(
        make=lambda status: request_in(status), actor=manager_of, params=decision(Clause.Klass.CONFIDENTIAL)),
    "content_review.deadline.escalated": ActionCase(
        make=lambda status: request_in(status, policy="escalate"), actor=lambda target: actions.SYSTEM),
    "content_review.deadline.deemed_approved": ActionCase(
        make=lambda status: request_in(status, policy="deemed_approved"), actor=lambda target: actions.SYSTEM),
    "content_review.deadline.deemed_approved_after_escalation": ActionCase(
        make=lambda status: request_in(status), actor=lambda target: actions.SYSTEM),
    "content_review.deadline.appeal_deemed_overturned": ActionCase(
        make=lambda status: request_in(status), actor=lambda target: actions.SYSTEM),
    "content_review.share_request.approved_as_free": ActionCase(
        make=lambda status: citing_only_an_ended_clause(request_in(status)), actor=lambda target: actions.SYSTEM),
    "content_review.appeal.created": ActionCase(
        make=lambda status: request_in(status), actor=owner, params=lambda target: {"message": "It was announced."}),
    "content_review.appeal.overturned": ActionCase(
        make=lambda status: request_in(status), actor=another_reviewer,
        params=lambda target: {"outcome": "approve"}),
    "content_review.appeal.upheld": ActionCase(
        make=lambda status: request_in(status), actor=another_reviewer, params=decision(Clause.Klass.CONFIDENTIAL)),
    "content_review.work.processed": ActionCase(
        make=work_in, actor=lambda target: actions.SYSTEM,
        params=lambda target: {"clean": "works/clean.jpg", "thumbnail": "works/thumb.jpg"},
        statuses=PROCESSING_STATUSES),
    "content_review.work.processing_failed": ActionCase(
        make=work_in, actor=lambda target: actions.SYSTEM, params=lambda target: {"error": "Not an image."},
        statuses=PROCESSING_STATUSES),
    "content_review.work.retried": ActionCase(make=work_in, actor=work_owner, statuses=(F.PENDING, F.READY)),
}

test_check_and_run_agree = walk(CASES)


def test_every_content_review_action_with_a_transition_is_walked():
    with_transition = {name for name, action in actions.REGISTRY.items()
                       if name.startswith("content_review.") and action.transition is not None}
    assert with_transition == set(CASES)


@pytest.mark.django_db
def test_retry_from_failed_moves_the_work_to_pending_and_queues_its_copies(django_capture_on_commit_callbacks):
    work = work_in(F.FAILED)
    assert actions.check("content_review.work.retried", work_owner(work), work) is None
    with django_capture_on_commit_callbacks(execute=False) as queued:
        actions.run("content_review.work.retried", work_owner(work), work)
    work.refresh_from_db()
    assert work.processing_status == F.PENDING and work.processing_error == ""
    assert len(queued) == 1  # process_work, sent on commit
    assert AuditLogEntry.objects.filter(action="content_review.work.retried").count() == 1


# --- the credited copy: Work.PUBLISHED_TRANSITIONS --------------------------------------------------------------

def published_work(status):
    work = work_in(F.READY)
    Work.objects.filter(pk=work.pk).update(
        published_status=status, published_error="It broke." if status == F.FAILED else "")
    work.refresh_from_db()
    return work


PUBLISHED_CASES = {
    "content_review.work.published": (lambda work: actions.SYSTEM,
                                      {"published": "works/published.jpg", "credit": "Ana · Atelier"}),
    "content_review.work.publishing_failed": (lambda work: actions.SYSTEM, {"error": "Codec error."}),
    "content_review.work.publishing_retried": (work_owner, {}),
}


@pytest.mark.django_db
@pytest.mark.parametrize("status", Work.PUBLISHED_TRANSITIONS.statuses())
@pytest.mark.parametrize("name", sorted(PUBLISHED_CASES))
def test_credited_copy_check_and_run_agree(name, status, django_capture_on_commit_callbacks):
    action_cls = actions.get(name)
    table = Work.PUBLISHED_TRANSITIONS
    work = published_work(status)
    actor, params = PUBLISHED_CASES[name][0](work), PUBLISHED_CASES[name][1]
    refusal = action_cls(actor, work, **params).check()
    audit_before = AuditLogEntry.objects.filter(action=name).count()
    if table.allows(action_cls.published_verb, status):
        assert refusal is None, refusal
        with django_capture_on_commit_callbacks(execute=False):  # a retry's task stays queued
            action_cls(actor, work, **params).run()
        work.refresh_from_db()
        assert work.published_status == table.target(action_cls.published_verb, status)
        assert AuditLogEntry.objects.filter(action=name).count() == audit_before + 1
    else:
        assert refusal is not None and refusal.kind == "state"
        with pytest.raises(ActionRefused) as refused:
            action_cls(actor, work, **params).run()
        assert str(refused.value) == str(refusal)
        work.refresh_from_db()
        assert work.published_status == status
        assert AuditLogEntry.objects.filter(action=name).count() == audit_before
test_check_and_run_agree_for_every_role = walk_roles(CASES)
