"""What the tour of issue 15 found on the reports: the default period starts when the program did (no empty months
before it); months with no review decision have no point on the time-to-decision chart (never "0 h"); the
fair-pay histogram's axis labels never overlap."""
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from payments.reports import charts
from payments.reports.selectors import Filters, Period, program_started
from tests.payments import report_factories


def test_default_period_starts_at_the_programs_start_when_that_is_this_year():
    today = date(2026, 11, 30)
    assert Period.default(today, since=date(2026, 9, 14)) == Period(date(2026, 9, 14), today)
    assert Period.default(today, since=date(2026, 9, 14)).months()[0] == date(2026, 9, 1)
    assert Period.default(today, since=date(2024, 3, 1)) == Period(date(2026, 1, 1), today)  # older programs
    assert Period.default(today) == Period(date(2026, 1, 1), today)
    assert Period.default(today, since=date(2027, 1, 1)) == Period(date(2026, 1, 1), today)  # never after today


@pytest.mark.django_db
def test_program_started_is_its_first_ledger_day_when_entries_are_dated_back(program, artist_membership):
    assert program_started(program) == timezone.localdate(program.created_at)
    back = timezone.localdate() - timedelta(days=40)
    report_factories.stipend_entry(artist_membership, back, 1000)
    assert program_started(program) == back


@pytest.mark.django_db
def test_reports_default_period_lists_no_month_before_the_program_started(client, program, finance):
    client.force_login(finance)
    response = client.get(reverse("payments:reports_overview", args=[program.slug]))
    assert response.status_code == 200
    period = response.context["filters"].period
    today = timezone.localdate()
    assert period.end == today
    assert period.start == max(date(today.year, 1, 1), timezone.localdate(program.created_at))


def test_time_to_decision_leaves_a_gap_for_months_with_no_decision():
    chart = charts.line_chart("Time to first review decision", "Median hours.", ["Jan", "Feb", "Mar", "Apr"],
                              {"Median hours to first decision": [5.0, None, None, 12.5]},
                              fmt=lambda v: f"{v:g} h")
    svg = str(chart.svg)
    assert "Feb — " not in svg and "Mar — " not in svg and ": 0 h" not in svg  # no point at zero for them
    assert svg.count("<g><circle") == 2  # two points, none for Feb and Mar
    path = svg.split('<path d="', 1)[1].split('"', 1)[0]
    assert path.count("M") == 2 and path.count("L") == 0  # a gap, not a line through zero
    assert [row[1] for row in chart.rows] == ["5 h", "—", "—", "12.5 h"]


def test_a_series_with_no_figure_at_all_is_an_empty_chart():
    chart = charts.line_chart("Time", "Median hours.", ["Jan", "Feb"], {"Median": [None, None]},
                              fmt=lambda v: f"{v:g} h")
    assert chart.empty and [row[1] for row in chart.rows] == ["—", "—"]


@pytest.mark.django_db
def test_review_figures_have_no_hours_for_months_without_decisions(member_with_decision):
    from content_review.report_figures import review_figures_over_time

    program, decided_month = member_with_decision
    today = timezone.localdate()
    period = Period(decided_month - timedelta(days=62), today)
    figures = review_figures_over_time(program, Filters(period))
    hours = figures["hours"]["Median hours to first decision"]
    months = figures["months"]
    assert hours[months.index(decided_month)] is not None
    assert all(h is None for m, h in zip(months, hours) if m != decided_month)


@pytest.fixture
def member_with_decision(program, reviewer, tmp_path, django_capture_on_commit_callbacks):
    from content_review import services
    from tests.content_review.factories import member_with_terms, submitted

    membership = member_with_terms(program)
    share_request = submitted(membership, tmp_path)
    services.decide_share_request(share_request, by=reviewer, outcome="approve")
    return program, timezone.localdate(share_request.first_submitted_at).replace(day=1)


def _extents(labels):
    out = []
    for x, text, anchor in labels:
        out.append(charts._extent(x, text, anchor))
    return out


@pytest.mark.parametrize("count,text", [(4, "$1.00"), (12, "$1,234.56"), (30, "$12,345.67"), (60, "¥1,234,567")])
def test_fair_pay_axis_labels_never_overlap(count, text):
    left, plot_w = 40, 460
    xs = [left + plot_w / count * i for i in range(count)]
    labels = charts.axis_labels(xs, [text] * count, end_x=left + plot_w, end_text=text)
    extents = sorted(_extents(labels))
    assert labels[0][2] == "start" and labels[-1][2] == "end" and len(labels) >= 2
    for (_, previous_end), (start, _) in zip(extents, extents[1:]):
        assert start >= previous_end, labels


def test_fair_pay_histogram_draws_only_non_overlapping_edge_labels():
    bins = [{"low": 1000 * i, "high": 1000 * (i + 1), "count": i % 3, "under_floor": i < 5} for i in range(24)]
    fmt = lambda v: f"${v / 100:,.2f}"  # noqa: E731
    chart = charts.histogram("Effective hourly rates", "How many artists.", bins, fmt=fmt, marker=2500,
                             marker_label="Floor $25.00/h")
    svg = str(chart.svg)
    drawn = [fmt(b["low"]) for b in bins if f">{fmt(b['low'])}</text>" in svg]
    assert 2 <= len(drawn) < len(bins)  # some edges are skipped at this width
