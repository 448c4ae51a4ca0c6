"""Deadlines after the first one (issue 15): an escalated request has the manager's deadline, an appeal its own;
the queue shows them, and the beat task that enforces first decisions enforces these too (as the system, audited,
the artist told): an escalated request past the manager's deadline is deemed approved, an appeal past its deadline
deems the refusal overturned."""
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from atelier.actions import SYSTEM
from atelier.errors import ActionRefused
from atelier.models import AuditLogEntry
from content_review import actions, services, tasks
from content_review.models import Appeal, ReviewDecision, ShareRequest
from testers.models import Clause
from tests.content_review.factories import clause, overdue, submitted

pytestmark = pytest.mark.django_db
S = ShareRequest.Status


def escalated(member, tmp_path, capture):
    member.program.deadline_policy = "escalate"
    member.program.save()
    share_request = overdue(submitted(member, tmp_path))
    with capture(execute=True):
        services.enforce_deadlines()
    share_request.refresh_from_db()
    assert share_request.status == S.ESCALATED
    return share_request


def appealed(member, tmp_path, reviewer):
    share_request = submitted(member, tmp_path)
    services.decide_share_request(share_request, by=reviewer, outcome="refuse", reason="Shows unreleased features.",
                                  clause_ids=[clause(member.program, Clause.Klass.CONFIDENTIAL).pk])
    share_request.refresh_from_db()
    services.appeal_refusal(share_request, by=member.artist.user, message="It is a public feature.")
    share_request.refresh_from_db()
    return share_request


def test_an_escalated_request_gets_the_managers_deadline_of_the_programs_length(member, tmp_path, manager,
                                                                               django_capture_on_commit_callbacks):
    before = timezone.now()
    share_request = escalated(member, tmp_path, django_capture_on_commit_callbacks)
    days = timedelta(days=member.program.review_sla_days)
    assert before + days <= share_request.escalation_deadline_at <= timezone.now() + days
    assert share_request.decide_by == share_request.escalation_deadline_at
    assert any("deemed approved" in m.body for m in mail.outbox if manager.email in m.to)


def test_an_appeal_is_due_after_the_programs_appeal_deadline_not_its_review_deadline(
        member, tmp_path, reviewer, manager):
    program = member.program
    program.appeal_sla_days, program.review_sla_days = 2, 9
    program.save()
    before = timezone.now()
    share_request = appealed(member, tmp_path, reviewer)
    appeal = Appeal.objects.get()
    days = timedelta(days=2)
    assert before + days <= appeal.decide_by <= timezone.now() + days
    assert share_request.decide_by == appeal.decide_by
    entry = AuditLogEntry.objects.get(action="content_review.appeal.created")
    assert entry.data["decide_by"] == appeal.decide_by.isoformat()


def test_queue_shows_the_deadline_of_escalated_and_appealed_requests_not_a_dash(
        client, member, tmp_path, manager, reviewer, django_capture_on_commit_callbacks):
    share_request = escalated(member, tmp_path, django_capture_on_commit_callbacks)
    other = appealed(member, tmp_path, reviewer)
    client.force_login(manager)
    response = client.get(reverse("content_review:queue", args=[member.program.slug]))
    rows = {r.pk: r for r in response.context["page_obj"]}
    assert rows[share_request.pk].due_at == share_request.escalation_deadline_at
    assert rows[other.pk].due_at == Appeal.objects.get().decide_by
    page = response.content.decode()
    assert "(manager)" in page and "(appeal)" in page
    # the closest deadline first: the escalated one is due before the fresh appeal
    assert [r.pk for r in response.context["page_obj"]] == [share_request.pk, other.pk]


def test_queue_overdue_filter_finds_an_appeal_past_its_deadline(client, member, tmp_path, manager, reviewer):
    share_request = appealed(member, tmp_path, reviewer)
    Appeal.objects.update(decide_by=timezone.now() - timedelta(hours=1))
    client.force_login(manager)
    response = client.get(reverse("content_review:queue", args=[member.program.slug]), {"overdue": "on",
                                                                                        "status": "appealed"})
    assert [r.pk for r in response.context["page_obj"]] == [share_request.pk]
    assert "Overdue by" in response.content.decode()


def test_beat_task_deems_an_escalated_request_approved_past_the_managers_deadline(
        member, tmp_path, manager, django_capture_on_commit_callbacks):
    share_request = escalated(member, tmp_path, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.enforce_deadlines.apply().get() == {"deemed_approved": 0, "escalated": 0}  # not yet
    ShareRequest.objects.filter(pk=share_request.pk).update(escalation_deadline_at=timezone.now()
                                                            - timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        result = tasks.enforce_deadlines.apply().get()
    assert result == {"deemed_approved": 0, "escalated": 0, "escalations_deemed_approved": 1}
    share_request.refresh_from_db()
    assert share_request.status == S.APPROVED
    decision = ReviewDecision.objects.get()
    assert decision.outcome == "deemed_approved" and decision.decided_by is None and not decision.on_appeal
    entry = AuditLogEntry.objects.get(action="content_review.deadline.deemed_approved_after_escalation")
    assert entry.actor is None and entry.data["before"]["status"] == S.ESCALATED
    assert [m.to for m in mail.outbox] == [[member.artist.user.email]]
    # Twice: nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        assert services.enforce_deadlines() == {"deemed_approved": 0, "escalated": 0}
    assert ReviewDecision.objects.count() == 1


def test_beat_task_deems_a_refusal_overturned_past_the_appeals_deadline(
        member, tmp_path, reviewer, manager, django_capture_on_commit_callbacks):
    share_request = appealed(member, tmp_path, reviewer)
    Appeal.objects.update(decide_by=timezone.now() - timedelta(minutes=1))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        result = services.enforce_deadlines()
    assert result == {"deemed_approved": 0, "escalated": 0, "appeals_deemed_overturned": 1}
    share_request.refresh_from_db()
    appeal = Appeal.objects.get()
    assert share_request.status == S.APPROVED and appeal.status == Appeal.Status.OVERTURNED
    assert appeal.decision.outcome == "deemed_approved" and appeal.decision.on_appeal
    assert appeal.decision.decided_by is None
    entry = AuditLogEntry.objects.get(action="content_review.deadline.appeal_deemed_overturned")
    assert entry.actor is None and entry.data["appeal"] == appeal.pk
    assert [m.to for m in mail.outbox] == [[member.artist.user.email]]
    assert "on appeal, final" in mail.outbox[0].body
    with django_capture_on_commit_callbacks(execute=True):
        assert services.enforce_deadlines() == {"deemed_approved": 0, "escalated": 0}


def test_an_appeal_decided_in_time_is_left_alone_by_the_task(member, tmp_path, reviewer, manager):
    share_request = appealed(member, tmp_path, reviewer)
    services.decide_appeal(Appeal.objects.get(), by=manager, outcome="refuse", reason="Still confidential.",
                           clause_ids=[clause(member.program, Clause.Klass.CONFIDENTIAL).pk])
    Appeal.objects.update(decide_by=timezone.now() - timedelta(minutes=1))
    assert services.enforce_deadlines() == {"deemed_approved": 0, "escalated": 0}
    share_request.refresh_from_db()
    assert share_request.status == S.REFUSED
    with pytest.raises(ActionRefused, match="no pending appeal"):
        actions.DeemAppealOverturned(SYSTEM, share_request).run()


def test_nobody_but_the_system_runs_the_later_deadline_actions(member, tmp_path, reviewer, manager, site_admin):
    share_request = appealed(member, tmp_path, reviewer)
    Appeal.objects.update(decide_by=timezone.now() - timedelta(minutes=1))
    for person in (manager, site_admin, member.artist.user):
        refusal = actions.DeemAppealOverturned(person, share_request).check()
        assert refusal is not None and refusal.kind == "permission"
    assert actions.DeemAppealOverturned(SYSTEM, share_request).check() is None


def test_a_request_still_on_time_is_not_deemed_anything(member, tmp_path, reviewer, manager):
    share_request = appealed(member, tmp_path, reviewer)
    refusal = actions.DeemAppealOverturned(SYSTEM, share_request).check()
    assert refusal is not None and "not passed" in str(refusal)


def test_the_manager_is_warned_before_the_escalation_deadline_once(member, tmp_path, manager,
                                                                  django_capture_on_commit_callbacks):
    share_request = escalated(member, tmp_path, django_capture_on_commit_callbacks)
    ShareRequest.objects.filter(pk=share_request.pk).update(escalation_deadline_at=timezone.now()
                                                            + timedelta(hours=3))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.warn_near_deadlines() == 1
    assert [m.to for m in mail.outbox] == [[manager.email]]
    assert "deemed approved" in mail.outbox[0].body
    entry = AuditLogEntry.objects.get(action="content_review.deadline.approaching")
    assert entry.data["status"] == S.ESCALATED
    with django_capture_on_commit_callbacks(execute=True):
        assert services.warn_near_deadlines() == 0


def test_the_appeals_assignee_is_warned_before_its_deadline(member, tmp_path, reviewer, manager,
                                                            django_capture_on_commit_callbacks):
    appealed(member, tmp_path, reviewer)
    appeal = Appeal.objects.get()
    Appeal.objects.update(decide_by=timezone.now() + timedelta(hours=3))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.warn_near_deadlines() == 1
    assert [m.to for m in mail.outbox] == [[appeal.assigned_to.email]]
    assert "deemed overturned" in mail.outbox[0].body and reviewer.email not in mail.outbox[0].to


def test_dashboard_lists_an_escalated_request_by_the_managers_deadline(client, member, tmp_path, manager,
                                                                       django_capture_on_commit_callbacks):
    from content_review.selectors import near_deadline

    share_request = escalated(member, tmp_path, django_capture_on_commit_callbacks)
    # Its review deadline has passed, but the manager's is days away: not near, not overdue.
    assert near_deadline(member.program, timedelta(days=1)) == ([], 0)
    ShareRequest.objects.filter(pk=share_request.pk).update(escalation_deadline_at=timezone.now()
                                                            + timedelta(hours=5))
    due, count = near_deadline(member.program, timedelta(days=1))
    assert [r.pk for r in due] == [share_request.pk] and count == 1
    client.force_login(manager)
    page = client.get(reverse("payments:reports_dashboard", args=[member.program.slug])).content.decode()
    assert share_request.title in page
