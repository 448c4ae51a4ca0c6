"""Deadlines: the beat task applies each program's policy once, with no reviewer, and tells people."""
import pytest
from django.conf import settings
from django.core import mail

from atelier.models import AuditLogEntry
from content_review import services, tasks
from content_review.models import ReviewDecision, ShareRequest
from tests.content_review.factories import overdue, submitted

pytestmark = pytest.mark.django_db


def test_beat_schedules_the_deadline_task_by_its_registered_name():
    entry = settings.CELERY_BEAT_SCHEDULE["share-request-deadlines"]
    assert entry["task"] == tasks.enforce_deadlines.name == "content_review.tasks.enforce_deadlines"


def test_deemed_approval_is_recorded_with_no_reviewer_and_the_artist_is_told(member, tmp_path,
                                                                            django_capture_on_commit_callbacks):
    member.program.deadline_policy = "deemed_approved"
    member.program.save()
    share_request = overdue(submitted(member, tmp_path))
    still_on_time = submitted(member, tmp_path, title="On time")
    with django_capture_on_commit_callbacks(execute=True):
        result = tasks.enforce_deadlines.apply().get()  # the beat task, run in process
    assert result == {"deemed_approved": 1, "escalated": 0}
    share_request.refresh_from_db()
    assert share_request.status == ShareRequest.Status.APPROVED and share_request.deadline_missed
    decision = ReviewDecision.objects.get()
    assert decision.outcome == "deemed_approved" and decision.decided_by is None
    assert ShareRequest.objects.get(pk=still_on_time.pk).status == ShareRequest.Status.SUBMITTED
    assert [m.to for m in mail.outbox] == [[member.artist.user.email]] and "Deemed approved" in mail.outbox[0].body
    entry = AuditLogEntry.objects.get(action="content_review.deadline.deemed_approved")
    assert entry.actor is None and entry.actor_label == "system"


def test_escalation_goes_to_the_manager_and_the_artist_is_told(member, tmp_path, manager, reviewer,
                                                               django_capture_on_commit_callbacks):
    member.program.deadline_policy = "escalate"
    member.program.save()
    share_request = overdue(submitted(member, tmp_path))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.enforce_deadlines() == {"deemed_approved": 0, "escalated": 1}
    share_request.refresh_from_db()
    assert share_request.status == ShareRequest.Status.ESCALATED and share_request.escalated_to == manager
    assert share_request.deadline_missed and not ReviewDecision.objects.exists()
    recipients = sorted(address for m in mail.outbox for address in m.to)
    assert recipients == sorted([member.artist.user.email, manager.email])
    assert AuditLogEntry.objects.filter(action="content_review.deadline.escalated").count() == 1


@pytest.mark.parametrize("policy", ["deemed_approved", "escalate"])
def test_running_the_deadline_task_twice_changes_nothing_more(member, tmp_path, manager, policy,
                                                              django_capture_on_commit_callbacks):
    member.program.deadline_policy = policy
    member.program.save()
    share_request = overdue(submitted(member, tmp_path))
    with django_capture_on_commit_callbacks(execute=True):
        services.enforce_deadlines()
    share_request.refresh_from_db()
    state = (share_request.status, share_request.decided_at, share_request.escalated_at, share_request.updated_at)
    counts = (ReviewDecision.objects.count(), AuditLogEntry.objects.count(), len(mail.outbox))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.enforce_deadlines() == {"deemed_approved": 0, "escalated": 0}
        assert services.enforce_deadline(share_request.pk) is None
    share_request.refresh_from_db()
    assert (share_request.status, share_request.decided_at, share_request.escalated_at,
            share_request.updated_at) == state
    assert (ReviewDecision.objects.count(), AuditLogEntry.objects.count(), len(mail.outbox)) == counts


def test_request_decided_before_the_task_runs_is_left_alone(member, tmp_path, reviewer):
    member.program.deadline_policy = "deemed_approved"
    member.program.save()
    share_request = submitted(member, tmp_path)
    services.decide_share_request(share_request, by=reviewer, outcome="approve")
    overdue(share_request)
    assert services.enforce_deadline(share_request.pk) is None
    assert ReviewDecision.objects.count() == 1
