"""Decisions: clause-cited, reasoned, told to the artist; the queue ordered by deadline with filters."""
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from atelier.errors import DomainError
from atelier.models import AuditLogEntry
from content_review import services
from content_review.models import ReviewDecision, ShareRequest, Work
from testers.models import Clause
from tests import factories
from tests.content_review.factories import clause, member_with_terms, overdue, submitted, upload

pytestmark = pytest.mark.django_db


def cite(program, klass):
    return [clause(program, klass).pk]


def test_plain_approval_needs_no_clause_and_tells_the_artist(member, tmp_path, reviewer,
                                                             django_capture_on_commit_callbacks):
    share_request = submitted(member, tmp_path)
    with django_capture_on_commit_callbacks(execute=True):
        decision = services.decide_share_request(share_request, by=reviewer, outcome="approve")
    share_request.refresh_from_db()
    assert share_request.status == ShareRequest.Status.APPROVED and decision.decided_by == reviewer
    assert len(mail.outbox) == 1 and member.artist.user.email in mail.outbox[0].to
    assert "Approved" in mail.outbox[0].body
    entry = AuditLogEntry.objects.get(action="content_review.share_request.approved")
    assert entry.actor == reviewer and entry.data["before"]["status"] == "submitted"
    assert entry.data["after"]["status"] == "approved" and entry.data["outcome"] == "approve"


def test_refusal_citing_no_clause_is_refused(member, tmp_path, reviewer):
    share_request = submitted(member, tmp_path)
    with pytest.raises(DomainError, match="Cite at least one clause"):
        services.decide_share_request(share_request, by=reviewer, outcome="refuse", reason="No.")
    assert ShareRequest.objects.get().status == ShareRequest.Status.SUBMITTED
    assert not ReviewDecision.objects.exists()


def test_refusal_citing_a_free_to_share_clause_is_refused(member, tmp_path, reviewer):
    share_request = submitted(member, tmp_path)
    with pytest.raises(DomainError, match="free to share"):
        services.decide_share_request(share_request, by=reviewer, outcome="refuse", reason="Not allowed.",
                                      clause_ids=cite(member.program, Clause.Klass.FREE_TO_SHARE))
    assert not ReviewDecision.objects.exists()


def test_refusal_without_a_reason_in_words_is_refused(member, tmp_path, reviewer):
    share_request = submitted(member, tmp_path)
    with pytest.raises(DomainError, match="reason in words"):
        services.decide_share_request(share_request, by=reviewer, outcome="refuse", reason="  ",
                                      clause_ids=cite(member.program, Clause.Klass.CONFIDENTIAL))


def test_decision_cites_only_clauses_of_the_version_the_artist_accepted(member, tmp_path, reviewer):
    share_request = submitted(member, tmp_path)
    newer = factories.TermsVersionFactory(program=member.program)
    with pytest.raises(DomainError, match="terms version the artist accepted"):
        services.decide_share_request(share_request, by=reviewer, outcome="refuse", reason="x",
                                      clause_ids=[newer.clauses.first().pk])


def test_refusal_cites_clauses_and_the_artist_sees_them(client, member, tmp_path, reviewer,
                                                         django_capture_on_commit_callbacks):
    share_request = submitted(member, tmp_path)
    with django_capture_on_commit_callbacks(execute=True):
        services.decide_share_request(share_request, by=reviewer, outcome="refuse",
                                      reason="It shows the unreleased timeline editor.",
                                      clause_ids=cite(member.program, Clause.Klass.CONFIDENTIAL))
    assert "Unreleased features" in mail.outbox[0].body and "timeline editor" in mail.outbox[0].body
    client.force_login(member.artist.user)
    html = client.get(reverse("content_review:request_detail", args=[share_request.pk])).content.decode()
    assert "Unreleased features" in html and "timeline editor" in html and "Appeal the refusal" in html


def test_approval_with_conditions_needs_a_condition_a_clause_and_a_reason(member, tmp_path, reviewer):
    share_request = submitted(member, tmp_path)
    needs = cite(member.program, Clause.Klass.NEEDS_APPROVAL)
    with pytest.raises(DomainError, match="at least one condition"):
        services.decide_share_request(share_request, by=reviewer, outcome="approve_with_conditions",
                                      reason="Wait for launch.", clause_ids=needs)
    with pytest.raises(DomainError, match="Cite at least one clause"):
        services.decide_share_request(share_request, by=reviewer, outcome="approve_with_conditions",
                                      reason="Wait.", embargo_until=timezone.localdate() + timedelta(days=3))
    with pytest.raises(DomainError, match="plain approval has no conditions"):
        services.decide_share_request(share_request, by=reviewer, outcome="approve",
                                      required_caption="#ad")
    embargo = timezone.localdate() + timedelta(days=3)
    services.decide_share_request(share_request, by=reviewer, outcome="approve_with_conditions",
                                  reason="Wait for launch day.", clause_ids=needs, embargo_until=embargo,
                                  required_caption="Made with Lumen", required_credit="© Ana / Lumen")
    share_request.refresh_from_db()
    assert (share_request.embargo_until, share_request.required_caption) == (embargo, "Made with Lumen")
    assert share_request.is_embargoed


def test_request_changes_lets_the_artist_edit_and_resubmit(member, tmp_path, reviewer):
    share_request = submitted(member, tmp_path)
    services.decide_share_request(share_request, by=reviewer, outcome="request_changes", reason="Crop the UI out.",
                                  clause_ids=cite(member.program, Clause.Klass.CONFIDENTIAL))
    share_request.refresh_from_db()
    assert share_request.status == ShareRequest.Status.CHANGES_REQUESTED
    services.update_share_request(share_request, by=member.artist.user, title="Cropped")
    again = services.submit_share_request(share_request, by=member.artist.user)
    assert again.status == ShareRequest.Status.SUBMITTED and again.submitted_at > again.first_submitted_at


def test_decided_request_cannot_be_decided_again(member, tmp_path, reviewer, manager):
    share_request = submitted(member, tmp_path)
    services.decide_share_request(share_request, by=reviewer, outcome="approve")
    with pytest.raises(DomainError, match="not waiting for a decision"):
        services.decide_share_request(share_request, by=manager, outcome="approve")


def test_finance_and_other_programs_staff_cannot_decide(member, tmp_path, finance, other_program):
    share_request = submitted(member, tmp_path)
    outsider = factories.staff_user(other_program, "reviewer")
    for user in (finance, outsider):
        with pytest.raises(DomainError, match="Only the program's reviewers"):
            services.decide_share_request(share_request, by=user, outcome="approve")


def test_decisions_are_append_only(member, tmp_path, reviewer):
    decision = services.decide_share_request(submitted(member, tmp_path), by=reviewer, outcome="approve")
    with pytest.raises(PermissionError):
        decision.save()
    from django.db import connection, transaction

    with pytest.raises(Exception), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("UPDATE content_review_reviewdecision SET reason = 'changed'")


def test_approval_makes_a_credited_watermarked_copy(member, tmp_path, reviewer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        share_request = submitted(member, tmp_path, files=[
            upload(tmp_path, "png", w=320, h=240),
            upload(tmp_path, "webm"),
        ])
    with django_capture_on_commit_callbacks(execute=True):
        services.decide_share_request(share_request, by=reviewer, outcome="approve")
    for work in Work.objects.all():
        assert work.published_status == Work.FileStatus.READY, work.published_error
        assert member.artist.credit in work.published_credit
    video = Work.objects.get(kind="video")
    assert video.published.name.endswith(".mp4")
    assert services.make_published_copy(video.pk) == "skipped"  # twice changes nothing


# --- the queue -----------------------------------------------------------------------------------

def staff_client(client, user):
    client.force_login(user)
    return client


def test_queue_is_ordered_by_deadline_and_filters_work(client, program, terms, reviewer, tmp_path):
    ana = member_with_terms(program, artist__display_name="Ana Lima")
    ben = member_with_terms(program, artist__display_name="Ben Okafor")
    late = submitted(ana, tmp_path, title="Late one")
    soon = overdue(submitted(ben, tmp_path, title="Overdue one"))
    url = reverse("content_review:queue", args=[program.slug])
    html = staff_client(client, reviewer).get(url).content.decode()
    assert html.index("Overdue one") < html.index("Late one") and "Overdue by" in html
    html = client.get(url, {"overdue": "on"}).content.decode()
    assert "Overdue one" in html and "Late one" not in html
    html = client.get(url, {"artist": ana.artist_id}).content.decode()
    assert "Late one" in html and "Overdue one" not in html
    services.decide_share_request(late, by=reviewer, outcome="approve")
    html = client.get(url, {"status": "approved"}).content.decode()
    assert "Late one" in html and "Overdue one" not in html
    assert soon.pk


@pytest.mark.parametrize("rows", [10, 200])
def test_queue_uses_a_bounded_number_of_queries(client, program, terms, reviewer, rows, django_assert_max_num_queries):
    member = member_with_terms(program)
    now = timezone.now()
    requests = ShareRequest.objects.bulk_create([
        ShareRequest(membership=member, title=f"Request {i}", status="submitted", submitted_at=now,
                     first_submitted_at=now, deadline_at=now + timedelta(days=1, minutes=i)) for i in range(rows)])
    Work.objects.bulk_create([Work(share_request=r, kind="image", original_name="a.jpg", mime_type="image/jpeg",
                                   extension="jpg", original="x.jpg", processing_status="ready",
                                   thumbnail="t.jpg") for r in requests])
    client.force_login(reviewer)
    with django_assert_max_num_queries(16):
        response = client.get(reverse("content_review:queue", args=[program.slug]))
    assert response.status_code == 200


def test_reviewer_review_page_shows_works_full_size_and_records_a_decision(client, member, tmp_path, reviewer,
                                                                           django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        share_request = submitted(member, tmp_path)
    client.force_login(reviewer)
    url = reverse("content_review:review", args=[member.program.slug, share_request.pk])
    html = client.get(url).content.decode()
    work = share_request.works.get()
    assert reverse("content_review:work_file", args=[work.token, "full"]) in html
    response = client.post(url, {"outcome": "refuse", "reason": "Shows secrets",
                                 "clauses": cite(member.program, Clause.Klass.FREE_TO_SHARE)})
    assert "cannot be cited to refuse" in response.content.decode()
    response = client.post(url, {"outcome": "refuse", "reason": "Shows secrets",
                                 "clauses": cite(member.program, Clause.Klass.CONFIDENTIAL)})
    assert response.status_code == 302
    assert ShareRequest.objects.get().status == ShareRequest.Status.REFUSED


def test_escalated_request_is_decided_by_the_manager_only(member, tmp_path, reviewer, manager):
    member.program.deadline_policy = "escalate"
    member.program.save()
    share_request = overdue(submitted(member, tmp_path))
    services.enforce_deadlines()
    with pytest.raises(DomainError, match="program manager decides"):
        services.decide_share_request(share_request, by=reviewer, outcome="approve")
    services.decide_share_request(share_request, by=manager, outcome="approve")
    assert ShareRequest.objects.get().status == ShareRequest.Status.APPROVED
