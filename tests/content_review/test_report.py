"""The transparency report: visible to the program's artists and staff; per reviewer for staff only."""
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from content_review import selectors, services
from content_review.models import ReviewDecision, ShareRequest
from testers.models import Clause
from tests import factories
from tests.content_review.factories import clause, member_with_terms, overdue, submitted

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(program, terms, reviewer, manager, tmp_path):
    second = factories.staff_user(program, "reviewer", first_name="Rosa", last_name="Second")
    member = member_with_terms(program)
    confidential = [clause(program, Clause.Klass.CONFIDENTIAL).pk]
    approved = submitted(member, tmp_path, title="A")
    services.decide_share_request(approved, by=reviewer, outcome="approve")
    refused = submitted(member, tmp_path, title="B")
    services.decide_share_request(refused, by=reviewer, outcome="refuse", reason="Secret.", clause_ids=confidential)
    appeal = services.appeal_refusal(refused, by=member.artist.user, message="Please")
    services.decide_appeal(appeal, by=second, outcome="refuse", reason="Still secret.", clause_ids=confidential)
    program.deadline_policy = "deemed_approved"
    program.save()
    overdue(submitted(member, tmp_path, title="C"))
    services.enforce_deadlines()
    submitted(member, tmp_path, title="D")  # still in review
    return {"member": member, "second": second}


def test_report_figures(program, history, reviewer):
    today = timezone.localdate()
    report = selectors.review_report(program, today - timedelta(days=1), today, by_reviewer=True)
    assert report["requests"] == 4
    assert (report["approved"], report["refused"], report["decided"]) == (2, 1, 3)
    assert report["approval_rate"] == pytest.approx(2 / 3)
    assert report["deadlines_missed"] == 1 and report["deemed_approvals"] == 1
    assert (report["appeals"], report["appeals_upheld"], report["appeals_overturned"]) == (1, 1, 0)
    assert report["refusals_by_clause"] == [("§1 Unreleased features", 2)]
    assert report["median_hours"] is not None and report["p90_hours"] >= report["median_hours"]
    rows = {row["reviewer"]: row for row in report["reviewers"]}
    assert rows[reviewer]["decisions"] == 2 and rows[history["second"]]["on_appeal"] == 1


def test_time_to_decision_median_and_90th_percentile(program, terms, reviewer, tmp_path):
    member = member_with_terms(program)
    for hours in (1, 2, 3, 4, 10):
        share_request = submitted(member, tmp_path, title=f"{hours}h")
        ShareRequest.objects.filter(pk=share_request.pk).update(
            submitted_at=timezone.now() - timedelta(hours=hours),
            first_submitted_at=timezone.now() - timedelta(hours=hours))
        share_request.refresh_from_db()
        services.decide_share_request(share_request, by=reviewer, outcome="approve")
    today = timezone.localdate()
    report = selectors.review_report(program, today - timedelta(days=1), today)
    assert report["median_hours"] == pytest.approx(3, abs=0.01)
    assert report["p90_hours"] == pytest.approx(10, abs=0.01)
    assert "reviewers" not in report


def test_period_excludes_requests_submitted_outside_it(program, history):
    long_ago = timezone.localdate() - timedelta(days=400)
    assert selectors.review_report(program, long_ago, long_ago + timedelta(days=30))["requests"] == 0


def test_artists_see_the_report_without_the_reviewer_table(client, program, history):
    client.force_login(history["member"].artist.user)
    html = client.get(reverse("content_review:review_report", args=[program.slug])).content.decode()
    assert "Refusals by clause" in html and "Unreleased features" in html and "By reviewer" not in html


def test_staff_see_the_report_per_reviewer(client, program, history, manager):
    client.force_login(manager)
    html = client.get(reverse("content_review:review_report", args=[program.slug])).content.decode()
    assert "By reviewer" in html and "Rosa Second" in html


def test_finance_sees_the_report_but_not_per_reviewer(client, program, history, finance):
    client.force_login(finance)
    html = client.get(reverse("content_review:review_report", args=[program.slug])).content.decode()
    assert "Refusals by clause" in html and "By reviewer" not in html


def test_outsiders_cannot_see_a_programs_report(client, program, other_program, history):
    client.force_login(member_with_terms(other_program).artist.user)
    assert client.get(reverse("content_review:review_report", args=[program.slug])).status_code == 404
    client.logout()
    assert client.get(reverse("content_review:review_report", args=[program.slug])).status_code == 302


def test_report_uses_a_bounded_number_of_queries(client, program, history, manager, django_assert_max_num_queries):
    client.force_login(manager)
    with django_assert_max_num_queries(15):
        client.get(reverse("content_review:review_report", args=[program.slug]))
    assert ReviewDecision.objects.count() >= 3
