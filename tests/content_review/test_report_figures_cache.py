"""The reports' review figures are cached (atelier.figure_cache): every action that changes them shows at once."""
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from atelier import actions
from content_review import services
from payments.reports import providers
from payments.reports.selectors.common import Filters, Period
from testers.models import Clause
from tests.content_review.factories import clause, overdue, submitted

pytestmark = pytest.mark.django_db


def this_month(program, **filters) -> dict:
    """This month's review figures, as the reports show them."""
    today = timezone.localdate()
    figures = providers.review_figures(program, Filters(Period(today - timedelta(days=40), today), **filters))
    i = figures["months"].index(today.replace(day=1))
    return {**{name: values[i] for name, values in figures["series"].items()},
            "hours": figures["hours"]["Median hours to first decision"][i]}


def test_the_figures_are_read_from_the_cache_while_nothing_changes(member, tmp_path, commits,
                                                                     django_assert_num_queries):
    commits(submitted, member, tmp_path)
    first = this_month(member.program)
    with django_assert_num_queries(0):
        assert this_month(member.program) == first


def test_a_submitted_request_is_counted_at_once(member, tmp_path, commits):
    assert this_month(member.program)["Submitted"] == 0
    commits(submitted, member, tmp_path)
    assert this_month(member.program)["Submitted"] == 1


def test_an_approval_shows_with_its_time_to_decision(member, tmp_path, reviewer, commits):
    share_request = commits(submitted, member, tmp_path)
    assert (this_month(member.program)["Approved"], this_month(member.program)["hours"]) == (0, None)
    commits(services.decide_share_request, share_request, by=reviewer, outcome="approve")
    figures = this_month(member.program)
    assert figures["Approved"] == 1 and figures["hours"] is not None


def test_a_refusal_is_counted_at_once(member, tmp_path, reviewer, commits):
    share_request = commits(submitted, member, tmp_path)
    assert this_month(member.program)["Refused"] == 0
    commits(services.decide_share_request, share_request, by=reviewer, outcome="refuse",
            reason="Shows unreleased features.", clause_ids=[clause(member.program, Clause.Klass.CONFIDENTIAL).pk])
    assert this_month(member.program)["Refused"] == 1


def test_an_overturned_appeal_leaves_the_refused_count(member, tmp_path, reviewer, manager, commits):
    share_request = commits(submitted, member, tmp_path)
    commits(services.decide_share_request, share_request, by=reviewer, outcome="refuse",
            reason="Shows unreleased features.", clause_ids=[clause(member.program, Clause.Klass.CONFIDENTIAL).pk])
    share_request.refresh_from_db()
    appeal = commits(services.appeal_refusal, share_request, by=member.artist.user, message="It was released.")
    assert this_month(member.program)["Refused"] == 1
    commits(services.decide_appeal, appeal, by=manager, outcome="approve")
    assert (this_month(member.program)["Refused"], this_month(member.program)["Approved"]) == (0, 1)


def test_a_missed_deadline_is_counted_once_the_deadline_task_escalates(member, tmp_path, manager, commits):
    member.program.deadline_policy = "escalate"
    member.program.save()
    overdue(commits(submitted, member, tmp_path))
    assert this_month(member.program)["Deadlines missed"] == 0
    commits(services.enforce_deadlines)
    assert this_month(member.program)["Deadlines missed"] == 1


def test_a_cohort_change_moves_the_artist_between_cohort_filters(member, tmp_path, manager, commits):
    commits(submitted, member, tmp_path)
    assert this_month(member.program, cohort="spring")["Submitted"] == 0
    commits(actions.run, "testers.membership.cohort", manager, member, cohort="spring")
    assert this_month(member.program, cohort="spring")["Submitted"] == 1


def test_a_paused_artist_leaves_the_active_filter(member, tmp_path, manager, commits):
    commits(submitted, member, tmp_path)
    assert this_month(member.program, status="active")["Submitted"] == 1
    commits(actions.run, "testers.membership.paused", manager, member)
    assert this_month(member.program, status="active")["Submitted"] == 0


def test_the_reports_page_shows_a_decision_made_after_it_was_last_seen(client, member, tmp_path, reviewer, finance,
                                                                       commits):
    share_request = commits(submitted, member, tmp_path)
    client.force_login(finance)
    url = reverse("payments:reports_overview", args=[member.program.slug])
    before = client.get(url).content.decode()
    commits(services.decide_share_request, share_request, by=reviewer, outcome="approve")
    after = client.get(url).content.decode()
    assert "Median hours to first decision" in after
    assert after != before  # the chart now has its first point


def test_the_review_report_shows_a_decision_at_once_and_the_reviewers_current_name(member, tmp_path, reviewer,
                                                                                  commits):
    from content_review import report_figures

    today = timezone.localdate()
    share_request = commits(submitted, member, tmp_path)
    report = report_figures.review_report(member.program, today - timedelta(days=30), today, by_reviewer=True)
    assert (report["decided"], report["reviewers"]) == (0, [])
    commits(services.decide_share_request, share_request, by=reviewer, outcome="approve")
    report = report_figures.review_report(member.program, today - timedelta(days=30), today, by_reviewer=True)
    assert report["approved"] == 1 and [row["reviewer"] for row in report["reviewers"]] == [reviewer]

    type(reviewer).objects.filter(pk=reviewer.pk).update(first_name="Renamed")
    report = report_figures.review_report(member.program, today - timedelta(days=30), today, by_reviewer=True)
    assert report["reviewers"][0]["reviewer"].first_name == "Renamed"
