"""The report pages paginate memberships first and aggregate only the page; program-wide ledger figures are
derived from one per-day GROUP BY, cached until a new ledger entry (see docs/payments-reports.md)."""
import importlib
from datetime import date
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from payments.reports import selectors
from payments.reports.selectors import Filters, Period
from testers.models import TimeLog
from tests import factories
from tests.payments import report_factories as rf
from tests.payments.report_data import aware, build_lumen

pytestmark = pytest.mark.django_db

WINTER = Period(date(2025, 12, 1), date(2026, 1, 31))
FILTERS = [Filters(WINTER), Filters(Period(date(2025, 12, 16), date(2026, 1, 31))), Filters(WINTER, cohort="spring"),
           Filters(WINTER, status="paused"), Filters(Period.year(2026))]


@pytest.fixture
def lumen():
    cache.clear()
    return build_lumen()


def figures(rows, names):
    return {m.artist.display_name: [getattr(m, n) for n in names] for m in rows}


@pytest.mark.parametrize("filters", FILTERS, ids=str)
def test_a_page_of_artists_has_the_same_figures_as_earnings_by_artist(lumen, filters):
    program = lumen["program"]
    names = [*selectors.EARNING_FIGURES, "earned_minor", "paid_minor"]
    page = selectors.attach_earnings(selectors.memberships(program, filters).order_by("artist__display_name", "pk"),
                                     program, filters)
    assert figures(page, names) == figures(selectors.earnings_by_artist(program, filters), names)


def test_a_page_of_year_end_rows_has_the_same_figures_as_year_end_totals(lumen):
    program, ben = lumen["program"], lumen["ben"]
    run = rf.PayoutRunFactory(program=program, period_start=date(2026, 1, 1), period_end=date(2026, 1, 31))
    rf.paid_payout(run, ben, 2500_00, paid_at=aware(date(2026, 2, 3)), reversed_minor=100_00)
    names = ["gross_paid_minor", "reversed_minor", "payout_count", "earned_minor", "paid_minor"]
    filters = Filters(Period.year(2026))
    page = selectors.attach_year_end(selectors.memberships(program, filters), 2026)
    assert figures(page, names) == figures(selectors.year_end_totals(program, 2026, filters), names)
    assert selectors.year_end_flagged_count(program, 2026, filters, 2000_00) == 1
    assert selectors.year_end_flagged_count(program, 2026, filters, 0) == 3  # artists paid nothing reach 0


@pytest.mark.parametrize("filters", FILTERS, ids=str)
def test_totals_are_the_sum_of_the_rows(lumen, filters):
    totals = selectors.earnings_totals(lumen["program"], filters)
    rows = list(selectors.earnings_by_artist(lumen["program"], filters))
    for name in [*selectors.EARNING_FIGURES, "earned_minor", "paid_minor"]:
        assert totals[name] == sum(getattr(m, name) for m in rows), name


def test_cached_ledger_figures_change_as_soon_as_a_ledger_entry_is_written(lumen):
    program, ana, ben = lumen["program"], lumen["ana"], lumen["ben"]
    before = selectors.earnings_totals(program, Filters(WINTER))
    with CaptureQueriesContext(connection) as again:
        assert selectors.earnings_totals(program, Filters(WINTER)) == before
    assert len(again) == 1  # only the newest entry id: the per-day figures come from the cache
    rf.adjustment_entry(ana, date(2026, 1, 20), 700, reason="Late bonus")
    rf.time_entry(ben, date(2025, 12, 10), "0.5", 2000)  # a day and kind already in the cached figures
    with CaptureQueriesContext(connection) as merged:
        after = selectors.earnings_totals(program, Filters(WINTER))
    assert len(merged) == 2  # the newest id, then the two new entries only
    assert after["adjustment_minor"] == before["adjustment_minor"] + 700
    assert after["hours"] == before["hours"] + Decimal("0.5")
    assert selectors.program_balance_minor(program) == after["balance_minor"] + 2000  # ana's 1 Feb hour
    cache.clear()
    assert selectors.earnings_totals(program, Filters(WINTER)) == after  # the same as computed in full


def test_cached_fair_pay_shows_an_entry_recorded_by_an_action_at_once(lumen, django_capture_on_commit_callbacks):
    from django.utils import timezone

    from payments.actions.ledger import AdjustLedger

    program, ana = lumen["program"], lumen["ana"]
    today = timezone.localdate()
    period = Filters(Period(date(today.year, 1, 1), today))
    factories.TimeLogFactory(membership=ana, date=today, minutes=180, status=TimeLog.Status.APPROVED)
    first = {r.membership_id: r.earned_minor for r in selectors.fair_pay(program, period).rows}
    assert {r.membership_id: r.earned_minor for r in selectors.fair_pay(program, period).rows} == first  # cached

    finance = factories.staff_user(program, "finance")
    with django_capture_on_commit_callbacks(execute=True):  # the action's event, after its commit
        AdjustLedger(finance, ana, amount_minor=900, reason="Late workshop fee").run()
    rows = {r.membership_id: r for r in selectors.fair_pay(program, period).rows}
    assert rows[ana.pk].earned_minor == first[ana.pk] + 900
    assert rows[ana.pk].rate_minor == round((first[ana.pk] + 900) / 3)
    assert rows[ana.pk].membership.artist.display_name == "Ana"




def test_fair_pay_rows_read_in_pieces_are_the_rows_in_order_even_when_a_piece_was_evicted(lumen, monkeypatch):
    from atelier import figure_cache
    from payments import pay_transparency
    module = importlib.import_module("payments.reports.selectors.fair_pay")

    program = lumen["program"]
    whole = [(r.membership_id, r.rate_minor) for r in selectors.fair_pay(program, Filters(WINTER)).rows]
    assert len(whole) > 2
    cache.clear()
    monkeypatch.setattr(module, "CHUNK", 2)
    assert [(r.membership_id, r.rate_minor) for r in selectors.fair_pay(program, Filters(WINTER)).rows] == whole

    result = selectors.fair_pay(program, Filters(WINTER))
    scope = pay_transparency.scope(program.pk)
    floor = result.floor_minor
    parts = ("fair-pay", WINTER.start.isoformat(), WINTER.end.isoformat(), "", "", floor, 1)
    assert cache.delete(f"figures:{scope}:{figure_cache.generation(scope)}:" + ":".join(str(p) for p in parts))
    assert [(r.membership_id, r.rate_minor) for r in selectors.fair_pay(program, Filters(WINTER)).rows] == whole
