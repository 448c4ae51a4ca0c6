"""Issue 16, point 4: pay transparency. An artist's effective hourly rate beside their cohort's median (only from 5
artists with a rate) and the fair-pay floor; managers see the spread per cohort and a warning when anyone is under
the floor. The figures are cached and never stale after the actions that change them."""
import datetime
import re

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from payments import pay_transparency
from payments.actions import AdjustLedger
from testers import actions as testers_actions
from testers.models import Membership, TimeLog
from tests import factories
from tests.payments.factories import RateCardFactory, ledger_entry

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def paid_artist(program, cohort, rate_minor, *, hours=2, status=Membership.Status.ACTIVE):
    """An artist of `cohort` who earned `rate_minor` an hour over `hours` approved hours (today)."""
    membership = factories.MembershipFactory(program=program, cohort=cohort, status=status)
    factories.TimeLogFactory(membership=membership, date=timezone.localdate(), minutes=hours * 60,
                             status=TimeLog.Status.APPROVED)
    ledger_entry(membership, rate_minor * hours, work_date=timezone.localdate())
    return membership


@pytest.fixture
def floor_program(program):
    RateCardFactory(program=program, hourly_rate_minor=3000, fair_pay_floor_hourly_minor=2500)
    return program


def pay_page(client, membership):
    client.force_login(membership.artist.user)
    response = client.get(reverse("payments:pay_transparency", args=[membership.program.slug]))
    assert response.status_code == 200
    return response.content.decode()


def figure(html, name):
    match = re.search(rf'data-figure="{name}"><span class="stat__value">([^<]*)<', html)
    return match.group(1) if match else None


# --- definitions ---------------------------------------------------------------------------------------------

def test_the_rate_is_earnings_over_approved_hours_of_the_last_twelve_months_rounded_half_up(program):
    membership = factories.MembershipFactory(program=program)
    today = timezone.localdate()
    factories.TimeLogFactory(membership=membership, date=today, minutes=90, status=TimeLog.Status.APPROVED)
    factories.TimeLogFactory(membership=membership, date=today, minutes=600, status=TimeLog.Status.PENDING)
    factories.TimeLogFactory(membership=membership, date=today - datetime.timedelta(days=366), minutes=600,
                             status=TimeLog.Status.APPROVED)  # before the period
    ledger_entry(membership, 1001, work_date=today)
    ledger_entry(membership, 99999, work_date=today - datetime.timedelta(days=366))  # before the period
    view = pay_transparency.for_artist(membership)
    assert (view.earned_minor, view.minutes) == (1001, 90)
    assert view.rate_minor == 667  # 1001 * 60 / 90 = 667.33…
    assert pay_transparency.period(datetime.date(2026, 11, 30)) == (datetime.date(2025, 12, 1),
                                                                    datetime.date(2026, 11, 30))


# --- the artist's page ---------------------------------------------------------------------------------------

def test_with_five_artists_with_a_rate_the_cohort_median_is_shown_beside_the_own_rate_and_the_floor(
        client, floor_program):
    me = paid_artist(floor_program, "Spring", 2000)
    for rate in (1000, 3000, 4000, 5000):
        paid_artist(floor_program, "spring", rate)  # the cohort's case does not matter
    paid_artist(floor_program, "Autumn", 99900)  # another cohort: not counted
    html = pay_page(client, me)
    assert figure(html, "own-rate") == "$20.00"
    assert figure(html, "cohort-median") == "$30.00"
    assert figure(html, "floor") == "$25.00"
    assert "Your rate is under the program's fair-pay floor." in html
    assert 'data-figure="cohort-hidden"' not in html
    assert "$20.00" in html and "$40.00" in html  # the middle half: quartiles 20 and 40


def test_with_exactly_four_artists_with_a_rate_the_cohort_figures_are_hidden_and_the_page_says_why(
        client, floor_program):
    me = paid_artist(floor_program, "Spring", 2000)
    for rate in (1000, 3000, 4000):
        paid_artist(floor_program, "Spring", rate)
    factories.MembershipFactory(program=floor_program, cohort="Spring")  # no approved hours: not counted
    paid_artist(floor_program, "Spring", 5000, status=Membership.Status.REMOVED)  # no longer in the program
    html = pay_page(client, me)
    assert figure(html, "own-rate") == "$20.00"
    assert figure(html, "cohort-median") == "—"
    hidden = re.search(r'data-figure="cohort-hidden">([^<]*)<', html).group(1)
    assert "4 of its artists have approved hours" in hidden and "only from 5" in hidden
    # Nothing of the small cohort is computed into what the artist's view holds either.
    view = pay_transparency.for_artist(me)
    assert view.cohort.median_minor is None and view.cohort.lower_quartile_minor is None


def test_an_artist_without_approved_hours_has_no_rate_yet(client, floor_program):
    me = factories.MembershipFactory(program=floor_program)
    html = pay_page(client, me)
    assert figure(html, "own-rate") == "—"
    assert "no hourly rate yet" in html


def test_the_earnings_page_links_to_the_pay_page(client, artist_membership):
    client.force_login(artist_membership.artist.user)
    html = client.get(reverse("payments:earnings_program", args=[artist_membership.program.slug])).content.decode()
    assert reverse("payments:pay_transparency", args=[artist_membership.program.slug]) in html


def test_another_programs_slug_is_a_404(client, artist_membership, other_program):
    client.force_login(artist_membership.artist.user)
    assert client.get(reverse("payments:pay_transparency", args=[other_program.slug])).status_code == 404
    assert client.get(reverse("payments:pay_transparency", args=["no-such-program"])).status_code == 404


def test_the_pay_page_runs_a_bounded_number_of_queries_and_reads_the_cache_after(
        client, floor_program, django_assert_max_num_queries):
    me = paid_artist(floor_program, "Spring", 2000)
    for i in range(40):
        paid_artist(floor_program, "Spring", 1000 + i * 100)
    client.force_login(me.artist.user)
    url = reverse("payments:pay_transparency", args=[floor_program.slug])
    with django_assert_max_num_queries(12) as cold:
        assert client.get(url).status_code == 200
    with django_assert_max_num_queries(len(cold.captured_queries) - 1):
        assert client.get(url).status_code == 200


# --- managers ------------------------------------------------------------------------------------------------

def test_the_dashboard_warns_when_artists_are_under_the_floor_naming_how_many_and_linking_fair_pay(
        client, floor_program, manager):
    for rate in (1000, 2000, 3000):
        paid_artist(floor_program, "Spring", rate)
    client.force_login(manager)
    html = client.get(reverse("payments:reports_dashboard", args=[floor_program.slug])).content.decode()
    warning = re.search(r'data-figure="under-floor-warning">(.*?)</p>', html, re.S).group(1)
    start, end = pay_transparency.period()
    assert warning.startswith("2 artists are under the fair-pay floor of $25.00")
    assert (reverse("payments:reports_fair_pay", args=[floor_program.slug])
            + f"?start={start.isoformat()}&amp;end={end.isoformat()}") in warning


def test_no_warning_when_nobody_is_under_the_floor_or_there_is_no_floor(client, program, manager):
    paid_artist(program, "Spring", 1000)
    client.force_login(manager)
    url = reverse("payments:reports_dashboard", args=[program.slug])
    assert 'data-figure="under-floor-warning"' not in client.get(url).content.decode()  # no floor at all
    RateCardFactory(program=program, fair_pay_floor_hourly_minor=500)
    pay_transparency.forget(program.pk)
    assert 'data-figure="under-floor-warning"' not in client.get(url).content.decode()


def test_managers_see_the_spread_of_every_cohort_and_which_ones_artists_see(client, floor_program, manager):
    for rate in (1000, 2000, 3000, 4000, 5000):
        paid_artist(floor_program, "Spring", rate)
    paid_artist(floor_program, "Autumn", 6000)
    paid_artist(floor_program, "", 7000)
    spreads = {s.cohort: s for s in pay_transparency.figures(floor_program).spreads()}
    spring = spreads["Spring"]
    assert (spring.artists, spring.lower_quartile_minor, spring.median_minor, spring.upper_quartile_minor,
            spring.under_floor, spring.shown_to_artists) == (5, 2000, 3000, 4000, 2, True)
    assert spreads["Autumn"].median_minor == 6000 and not spreads["Autumn"].shown_to_artists
    client.force_login(manager)
    html = client.get(reverse("payments:reports_dashboard", args=[floor_program.slug])).content.decode()
    assert "Hourly rates by cohort" in html and "No: fewer than 5" in html and "No cohort" in html


# --- never stale ---------------------------------------------------------------------------------------------

@pytest.fixture
def four_of_spring(floor_program):
    me = paid_artist(floor_program, "Spring", 2000)
    for rate in (1000, 3000, 4000):
        paid_artist(floor_program, "Spring", rate)
    return me


def test_recorded_earnings_show_at_once(client, four_of_spring, manager, django_capture_on_commit_callbacks):
    assert figure(pay_page(client, four_of_spring), "own-rate") == "$20.00"
    with django_capture_on_commit_callbacks(execute=True):
        AdjustLedger(manager, four_of_spring, amount_minor=1000, reason="Missed hour").run()
    assert figure(pay_page(client, four_of_spring), "own-rate") == "$25.00"


def test_approved_time_shows_at_once(client, four_of_spring, manager, django_capture_on_commit_callbacks):
    assert figure(pay_page(client, four_of_spring), "own-rate") == "$20.00"
    log = factories.TimeLogFactory(membership=four_of_spring, date=timezone.localdate(), minutes=120,
                                   status=TimeLog.Status.PENDING)
    with django_capture_on_commit_callbacks(execute=True):
        testers_actions.ApproveTimeLog(manager, log).run()  # priced at $30/h by the card
    assert figure(pay_page(client, four_of_spring), "own-rate") == "$25.00"


def test_a_cohort_change_shows_at_once(client, four_of_spring, floor_program, manager,
                                       django_capture_on_commit_callbacks):
    newcomer = paid_artist(floor_program, "Autumn", 5000)
    assert figure(pay_page(client, four_of_spring), "cohort-median") == "—"
    with django_capture_on_commit_callbacks(execute=True):
        testers_actions.SetCohort(manager, newcomer, cohort="Spring").run()
    assert figure(pay_page(client, four_of_spring), "cohort-median") == "$30.00"
    with django_capture_on_commit_callbacks(execute=True):
        testers_actions.RemoveMembership(manager, newcomer).run()
    assert figure(pay_page(client, four_of_spring), "cohort-median") == "—"


def test_a_membership_change_and_a_new_floor_show_on_the_dashboard_at_once(client, program, manager,
                                                                            django_capture_on_commit_callbacks):
    low = paid_artist(program, "Spring", 1000)
    paid_artist(program, "Spring", 3000)
    client.force_login(manager)
    url = reverse("payments:reports_dashboard", args=[program.slug])
    assert 'data-figure="under-floor-warning"' not in client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        testers_actions.ChangeProgramSettings(manager, program, fair_pay_floor_hourly_minor=2000).run()
    assert "1 artist is under the fair-pay floor of $20.00" in client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        testers_actions.RemoveMembership(manager, low).run()
    assert 'data-figure="under-floor-warning"' not in client.get(url).content.decode()
