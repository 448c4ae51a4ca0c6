"""Report figures against hand-computed expectations (see tests/payments/report_data.py)."""
from datetime import date, timedelta
from decimal import Decimal

import pytest

from payments.models import Payout
from payments.reports import selectors
from payments.reports.selectors import Filters, Period
from testers.models import Feedback, TimeLog
from tests import factories
from tests.payments import report_factories as rf
from tests.payments.report_data import aware, build_lumen

pytestmark = pytest.mark.django_db


WINTER = Period(date(2025, 12, 1), date(2026, 1, 31))


@pytest.fixture
def lumen():
    return build_lumen()


def by_name(rows):
    return {m.artist.display_name: m for m in rows}


def test_earnings_by_artist_over_a_period_crossing_the_year_end(lumen):
    rows = by_name(selectors.earnings_by_artist(lumen["program"], Filters(WINTER)))
    ana, ben, cy = rows["Ana"], rows["Ben"], rows["Cy"]
    assert (ana.hours, ana.time_minor, ana.feedback_items, ana.feedback_minor, ana.stipend_minor,
            ana.adjustment_minor) == (Decimal("3.00"), 6000, 1, 1500, 5000, -500)
    assert (ana.earned_minor, ana.paid_minor, ana.opening_minor, ana.balance_minor) == (12000, 4000, 4000, 12000)
    assert (ben.hours, ben.time_minor, ben.earned_minor, ben.paid_minor, ben.balance_minor) == (
        Decimal("1.50"), 3000, 3000, 0, 3000)
    assert (cy.earned_minor, cy.paid_minor, cy.balance_minor) == (0, 0, 0)


def test_earnings_totals_match_the_sum_of_the_rows(lumen):
    totals = selectors.earnings_totals(lumen["program"], Filters(WINTER))
    assert totals["hours"] == Decimal("4.50")
    assert (totals["time_minor"], totals["feedback_minor"], totals["stipend_minor"], totals["adjustment_minor"]) == (
        9000, 1500, 5000, -500)
    assert (totals["earned_minor"], totals["paid_minor"], totals["opening_minor"], totals["balance_minor"]) == (
        15000, 4000, 4000, 15000)


def test_a_single_month_period_ends_on_the_month_end(lumen):
    december = selectors.month_bounds(2025, 12)
    assert december == Period(date(2025, 12, 1), date(2025, 12, 31))
    ana = by_name(selectors.earnings_by_artist(lumen["program"], Filters(december)))["Ana"]
    # The 31 December feedback is in December; the 1 January stipend is not.
    assert (ana.time_minor, ana.feedback_minor, ana.stipend_minor, ana.balance_minor) == (6000, 1500, 0, 11500)


def test_cohort_and_status_filters(lumen):
    spring = by_name(selectors.earnings_by_artist(lumen["program"], Filters(WINTER, cohort="spring")))
    assert set(spring) == {"Ana", "Cy"}
    paused = by_name(selectors.earnings_by_artist(lumen["program"], Filters(WINTER, status="paused")))
    assert set(paused) == {"Cy"}
    totals = selectors.earnings_totals(lumen["program"], Filters(WINTER, cohort="autumn"))
    assert totals["earned_minor"] == 3000


def test_earnings_by_source_lists_every_kind(lumen):
    rows = {r["kind"]: r for r in selectors.earnings_by_source(lumen["program"], Filters(WINTER))}
    assert (rows["time"]["entries"], rows["time"]["quantity"], rows["time"]["total_minor"]) == (2, Decimal("4.50"), 9000)
    assert rows["feedback"]["total_minor"] == 1500
    assert rows["stipend"]["total_minor"] == 5000
    assert rows["adjustment"]["total_minor"] == -500
    assert (rows["payout"]["entries"], rows["payout"]["total_minor"]) == (2, -7000)
    assert rows["payout_failed"]["total_minor"] == 3000
    assert rows["reversal"]["total_minor"] == 0
    assert (rows["bonus"]["entries"], rows["bonus"]["total_minor"]) == (0, 0)  # no feedback shipped with a bonus
    # Time, accepted feedback, the shipped-feedback bonus, stipends and adjustments are earnings.
    assert [r["is_earning"] for r in selectors.earnings_by_source(lumen["program"], Filters(WINTER))].count(True) == 5


def test_earnings_over_time_groups_by_calendar_month(lumen):
    data = selectors.earnings_over_time(lumen["program"], Filters(WINTER))
    assert data["months"] == [date(2025, 12, 1), date(2026, 1, 1)]
    assert data["series"]["Testing time"] == [9000, 0]
    assert data["series"]["Accepted feedback"] == [1500, 0]
    assert data["series"]["Monthly stipend"] == [0, 5000]
    assert data["series"]["Adjustment"] == [0, -500]


def test_payouts_by_status_and_runs(lumen):
    statuses = {r["status"]: r for r in selectors.payouts_by_status(lumen["program"], Filters(WINTER))}
    assert (statuses["paid"]["count"], statuses["paid"]["total_minor"]) == (1, 4000)
    assert (statuses["failed"]["count"], statuses["failed"]["total_minor"]) == (1, 3000)
    assert statuses["pending"]["count"] == 0
    (run,) = selectors.runs(lumen["program"], Filters(WINTER))
    assert (run.payout_count, run.paid_count, run.failed_count, run.open_count) == (2, 1, 1, 0)
    assert (run.amount_minor, run.paid_minor, run.failed_minor) == (7000, 4000, 3000)
    # The run ends 31 Dec 2025: a period of 2026 only does not include it.
    assert not selectors.runs(lumen["program"], Filters(Period(date(2026, 1, 1), date(2026, 1, 31)))).exists()


def test_jpy_amounts_have_no_minor_digits():
    program = factories.ProgramFactory(name="Kumo", slug="kumo", currency="JPY")
    kenji = factories.MembershipFactory(program=program, artist__display_name="Kenji")
    rf.time_entry(kenji, date(2025, 12, 31), 2, 1500)
    rf.feedback_entry(kenji, date(2026, 1, 1), 800)
    row = selectors.earnings_by_artist(program, Filters(WINTER)).get()
    assert (row.time_minor, row.feedback_minor, row.earned_minor) == (3000, 800, 3800)
    from atelier.money import format_money

    assert format_money(row.earned_minor, "JPY") == "¥3,800"


# --- year-end -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("year, expected", [(2024, 600_00), (2025, 600_00), (2026, 2000_00), (2027, 2000_00)])
def test_default_threshold_is_the_1099_nec_threshold_of_the_year(year, expected):
    assert selectors.us_1099_nec_threshold_minor(year) == expected


def test_year_end_totals_count_payments_by_paid_date_and_flag_the_threshold(lumen):
    program, ben = lumen["program"], lumen["ben"]
    run = rf.PayoutRunFactory(program=program, period_start=date(2026, 1, 1), period_end=date(2026, 1, 31))
    rf.paid_payout(run, ben, 2500_00, paid_at=aware(date(2026, 2, 3)), reversed_minor=100_00)
    rows = by_name(selectors.year_end_totals(program, 2026, Filters(Period.year(2026))))
    # Ana's December run was paid on 6 January 2026: a 2026 payment.
    assert (rows["Ana"].paid_minor, rows["Ana"].payout_count) == (4000, 1)
    assert (rows["Ben"].gross_paid_minor, rows["Ben"].reversed_minor, rows["Ben"].paid_minor) == (
        2500_00, 100_00, 2400_00)
    assert rows["Ana"].earned_minor == 5000 - 500 + 2000  # stipend, adjustment, 1 Feb time
    threshold = selectors.reporting_threshold_minor(program, 2026)
    assert threshold == 2000_00
    assert [name for name, m in rows.items() if m.paid_minor >= threshold] == ["Ben"]
    assert by_name(selectors.year_end_totals(program, 2025, Filters(Period.year(2025))))["Ana"].paid_minor == 0


def test_program_threshold_overrides_the_default_and_non_usd_has_none(lumen):
    program = lumen["program"]
    program.reporting_threshold_minor = 3000
    program.save()
    assert selectors.reporting_threshold_minor(program, 2026) == 3000
    eur = factories.ProgramFactory(currency="EUR")
    assert selectors.reporting_threshold_minor(eur, 2026) is None


# --- fair pay -----------------------------------------------------------------------------------------

def test_fair_pay_rates_against_the_floor_of_the_card_in_force(lumen):
    ana, ben = lumen["ana"], lumen["ben"]
    factories.TimeLogFactory(membership=ana, date=date(2025, 12, 15), minutes=180, status=TimeLog.Status.APPROVED)
    factories.TimeLogFactory(membership=ben, date=date(2025, 12, 10), minutes=90, status=TimeLog.Status.APPROVED)
    factories.TimeLogFactory(membership=ben, date=date(2026, 1, 10), minutes=600, status=TimeLog.Status.PENDING)
    factories.TimeLogFactory(membership=ben, date=date(2025, 11, 10), minutes=600, status=TimeLog.Status.APPROVED)
    result = selectors.fair_pay(lumen["program"], Filters(WINTER))
    # Card v2 (from 15 Jan 2026) is in force on 31 Jan: floor $25/h, not v1's $15/h.
    assert result.floor_minor == 2500 and result.rate_card.version == 2
    rows = {r.membership.artist.display_name: r for r in result.rows}
    assert (rows["Ana"].earned_minor, rows["Ana"].minutes, rows["Ana"].rate_minor) == (12000, 180, 4000)
    assert (rows["Ben"].earned_minor, rows["Ben"].minutes, rows["Ben"].rate_minor) == (3000, 90, 2000)
    assert rows["Cy"].rate_minor is None and not rows["Cy"].under_floor
    assert [r.membership.artist.display_name for r in result.under_floor] == ["Ben"]
    assert [r.membership.artist.display_name for r in result.rows] == ["Ben", "Ana", "Cy"]  # lowest rate first
    bins = result.distribution(bins=8)  # 0..4000 in steps of 500
    assert sum(b["count"] for b in bins) == 2
    assert [b for b in bins if b["count"]][0]["low"] == 2000
    assert [b["under_floor"] for b in bins][:5] == [True, True, True, True, True]


def test_effective_rate_rounds_half_up_to_a_whole_minor_unit():
    assert selectors._rate_per_hour_minor(1000, 45) == 1333
    assert selectors._rate_per_hour_minor(1001, 120) == 501  # 500.5 → 501


def test_accepted_but_unpaid_feedback_is_listed(lumen):
    program, ana, ben = lumen["program"], lumen["ana"], lumen["ben"]
    accepted = {"status": Feedback.Status.ACCEPTED, "accepted_at": aware(date(2026, 1, 10))}
    unpriced = factories.FeedbackFactory(membership=ana, title="Unpriced", **accepted)
    covered = factories.FeedbackFactory(membership=ben, title="Covered", **accepted)
    rf.feedback_entry(ben, date(2026, 1, 10), 700, feedback=covered)
    run = rf.PayoutRunFactory(program=program, period_start=date(2026, 1, 1), period_end=date(2026, 1, 31))
    rf.paid_payout(run, ben, 700)
    priced = factories.FeedbackFactory(membership=ana, title="Priced", **accepted)
    rf.feedback_entry(ana, date(2026, 1, 12), 900, feedback=priced)  # written after the only paid payouts
    factories.FeedbackFactory(membership=ana, title="Still new")
    rows = list(selectors.accepted_unpaid_feedback(program, Filters(WINTER)))
    assert [(f.title, f.entry_id is not None) for f in rows] == [("Unpriced", False), ("Priced", True)]
    assert rows[1].entry_amount_minor == 900


def test_statement_has_opening_lines_payouts_and_closing(lumen):
    st = selectors.statement(lumen["ana"], WINTER)
    assert (st.opening_minor, st.earned_minor, st.paid_minor, st.closing_minor) == (4000, 12000, 4000, 12000)
    assert [e.kind for e in st.entries] == ["time", "feedback", "stipend", "payout", "adjustment"]
    assert [p.stripe_transfer_id for p in st.payouts] == ["tr_ana_dec"]
    assert selectors.statement(lumen["ben"], WINTER).payouts[0].status == Payout.Status.FAILED


def test_dashboard_figures(lumen):
    program, ana, ben = lumen["program"], lumen["ana"], lumen["ben"]
    terms = factories.TermsVersionFactory(program=program)
    factories.accept_terms(ana, terms)
    factories.FeedbackFactory(membership=ana)  # new
    factories.TimeLogFactory(membership=ben, minutes=45)  # pending
    factories.TimeLogFactory(membership=ben, minutes=30, status=TimeLog.Status.APPROVED)
    figures = selectors.dashboard(program)
    assert figures["active_artists"] == 2 and figures["paused_artists"] == 1
    assert figures["pending_terms"] == 1  # Ben; Cy is paused
    assert figures["feedback_new"] == 1
    assert (figures["time_pending"], figures["time_pending_minutes"]) == (1, 45)
    assert figures["unpaid_balance_minor"] == 12000 + 2000 + 3000  # Ana (incl. 1 Feb) + Ben
    assert figures["next_run"] is None
    assert figures["suggested_period"] == Period(date(2026, 1, 1), date(2026, 1, 31))


def test_review_figures_per_month_of_first_submission(lumen):
    from content_review.models import ReviewDecision, ShareRequest

    ana, reviewer = lumen["ana"], factories.staff_user(lumen["program"], "reviewer")

    def request(title, submitted, status, *, missed=False, decided_after_hours=None, outcome="approve"):
        decided = (submitted + timedelta(hours=decided_after_hours or 0)
                   if status in ("changes_requested", "approved", "refused", "appealed") else None)
        sr = ShareRequest.objects.create(membership=ana, title=title, status=status, first_submitted_at=submitted,
                                         submitted_at=submitted, deadline_at=submitted + timedelta(hours=48),
                                         deadline_missed=missed, decided_at=decided, first_decided_at=decided)
        if decided_after_hours is not None:
            ReviewDecision.objects.create(share_request=sr, outcome=outcome, decided_by=reviewer,
                                          reason="" if outcome == "approve" else "Shows the unreleased UI.",
                                          submitted_at=submitted,
                                          created_at=submitted + timedelta(hours=decided_after_hours))
        return sr

    request("Approved", aware(date(2025, 12, 3)), "approved", decided_after_hours=24)
    request("Refused late", aware(date(2025, 12, 31), hour=20), "refused", missed=True, decided_after_hours=12,
            outcome="refuse")
    request("Waiting", aware(date(2026, 1, 5)), "submitted")
    request("Before", aware(date(2025, 11, 30)), "approved", decided_after_hours=1)
    from content_review.report_figures import review_figures_over_time

    data = review_figures_over_time(lumen["program"], Filters(WINTER))
    assert data["series"] == {"Submitted": [2, 1], "Approved": [1, 0], "Refused": [1, 0], "Deadlines missed": [1, 0]}
    # no decision in the second month: no figure, not 0 h (issue 15)
    assert data["hours"] == {"Median hours to first decision": [18.0, None]}


def test_one_artist_paid_far_above_the_rest_does_not_stretch_the_histogram(lumen):
    ana, ben = lumen["ana"], lumen["ben"]
    factories.TimeLogFactory(membership=ana, date=date(2025, 12, 15), minutes=180, status=TimeLog.Status.APPROVED)
    # Ben's $30 of the period over one approved minute: $1,800 an hour, 72 times the $25 floor.
    factories.TimeLogFactory(membership=ben, date=date(2025, 12, 10), minutes=1, status=TimeLog.Status.APPROVED)
    result = selectors.fair_pay(lumen["program"], Filters(WINTER))
    bins = result.distribution(bins=8)
    assert len(bins) == 16
    assert sum(b["count"] for b in bins) == 2 and bins[-1]["count"] == 1
    assert bins[-1]["high"] > 180000  # the last bin reaches Ben's rate
