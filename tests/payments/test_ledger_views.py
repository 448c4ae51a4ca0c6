"""Ledger pages: what artists and staff see, who may see it, and bounded queries."""
import csv
import datetime
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from payments.models import LedgerEntry, RateCard
from payments.portal import home_panels
from payments.services import ledger
from testers.models import Feedback, TimeLog
from tests import factories
from tests.payments.factories import RateCardFactory, ledger_entry

D = datetime.date


def rows_of(response):
    return list(csv.reader(io.StringIO(response.content.decode())))


# --- the artist's earnings page -----------------------------------------------------------------------

def test_earnings_page_lists_every_entry_with_source_rate_and_balance(client, artist_membership):
    program = artist_membership.program
    RateCardFactory(program=program, hourly_rate_minor=3000, effective_date=D(2020, 1, 1),
                    fair_pay_floor_hourly_minor=2500)
    log = factories.TimeLogFactory(membership=artist_membership, minutes=90, status=TimeLog.Status.APPROVED)
    ledger.record_time(log)
    ledger_entry(artist_membership, -500, reason="Equipment loan repaid")
    client.force_login(artist_membership.artist.user)

    response = client.get(reverse("payments:earnings"))

    html = response.content.decode()
    assert response.status_code == 200
    assert f"timelog:{log.pk}" in html
    assert "$30.00/h × 1.50 h" in html and "rate card v" in html
    assert "$45.00" in html and "−$5.00" in html
    assert "$40.00" in html  # balance
    assert "Your rate card" in html and "$25.00" in html  # fair-pay floor row


def test_artist_with_no_program_sees_an_empty_state(client, db):
    user = factories.UserFactory()
    client.force_login(user)
    response = client.get(reverse("payments:earnings"))
    assert response.status_code == 200
    assert "empty-state" in response.content.decode()


def test_earnings_page_of_a_program_the_artist_is_not_in_is_404(client, artist_membership, other_program):
    factories.MembershipFactory(program=other_program)
    client.force_login(artist_membership.artist.user)
    assert client.get(reverse("payments:earnings_program", args=[other_program.slug])).status_code == 404
    assert client.get(reverse("payments:statement_csv", args=[other_program.slug]),
                      {"start": "2026-01-01", "end": "2026-12-31"}).status_code == 404


def test_artist_cannot_see_another_artists_ledger_or_statement(client, artist_membership):
    other = factories.MembershipFactory(program=artist_membership.program)
    ledger_entry(other, 9999, reason="Secret bonus")
    client.force_login(artist_membership.artist.user)

    page = client.get(reverse("payments:earnings"))
    assert "Secret bonus" not in page.content.decode()
    program = artist_membership.program
    for url in (reverse("payments:ledger_member", args=[program.slug, other.pk]),
                reverse("payments:staff_statement_csv", args=[program.slug, other.pk]),
                reverse("payments:ledger_overview", args=[program.slug])):
        assert client.get(url, {"start": "2026-01-01", "end": "2026-12-31"}).status_code == 404


def test_statement_csv_has_opening_balance_period_entries_totals_and_closing_balance(client, artist_membership):
    m = artist_membership
    ledger_entry(m, 1000, kind="time", work_date=D(2026, 9, 20))
    ledger_entry(m, 2500, kind="feedback", work_date=D(2026, 10, 3), description="=HYPERLINK(\"x\")")
    ledger_entry(m, -3500, kind="payout", work_date=D(2026, 10, 15))
    ledger_entry(m, 700, kind="stipend", work_date=D(2026, 10, 31))
    ledger_entry(m, 400, kind="time", work_date=D(2026, 11, 2))
    client.force_login(m.artist.user)

    response = client.get(reverse("payments:statement_csv", args=[m.program.slug]),
                          {"start": "2026-10-01", "end": "2026-10-31"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = rows_of(response)
    assert ["Opening balance", "10.00"] in rows
    body = [r for r in rows if r and r[0].startswith("2026-")]
    assert [(r[0], r[7], r[8]) for r in body] == [("2026-10-03", "25.00", "35.00"), ("2026-10-15", "-35.00", "0.00"),
                                                  ("2026-10-31", "7.00", "7.00")]
    assert body[0][2].startswith("'=")  # no formula injection
    assert ["Earned in period (incl. adjustments)", "32.00"] in rows
    assert ["Paid out in period (net of failures and reversals)", "35.00"] in rows
    assert ["Closing balance", "7.00"] in rows


def test_a_bad_statement_period_goes_back_with_a_message(client, artist_membership):
    client.force_login(artist_membership.artist.user)
    response = client.get(reverse("payments:statement_csv", args=[artist_membership.program.slug]),
                          {"start": "2026-10-31", "end": "2026-10-01"}, follow=True)
    assert "Statement not made" in response.content.decode()


def test_jpy_amounts_show_without_decimals(client, db):
    program = factories.ProgramFactory(currency="JPY", slug="yen")
    m = factories.MembershipFactory(program=program)
    ledger_entry(m, 1200)
    client.force_login(m.artist.user)
    html = client.get(reverse("payments:earnings")).content.decode()
    assert "¥1,200" in html and "¥12.00" not in html


@pytest.mark.parametrize("rows", [10, 200])
def test_earnings_page_queries_are_bounded(client, artist_membership, django_assert_max_num_queries, rows):
    RateCardFactory(program=artist_membership.program)
    for i in range(rows):
        ledger_entry(artist_membership, 100 + i)
    client.force_login(artist_membership.artist.user)
    client.get(reverse("payments:earnings"))
    with django_assert_max_num_queries(12):
        assert client.get(reverse("payments:earnings")).status_code == 200


# --- staff pages ---------------------------------------------------------------------------------------

def test_finance_of_another_program_sees_nothing_of_this_one(client, artist_membership, other_program):
    program = artist_membership.program
    outsider = factories.staff_user(other_program, "finance")
    client.force_login(outsider)
    for url in (
        reverse("payments:ratecard_list", args=[program.slug]),
        reverse("payments:ratecard_create", args=[program.slug]),
        reverse("payments:ledger_overview", args=[program.slug]),
        reverse("payments:ledger_unpriced", args=[program.slug]),
        reverse("payments:ledger_member", args=[program.slug, artist_membership.pk]),
        reverse("payments:ledger_adjust", args=[program.slug, artist_membership.pk]),
        reverse("payments:staff_statement_csv", args=[program.slug, artist_membership.pk]),
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("payments:ledger_adjust", args=[program.slug, artist_membership.pk]),
                       {"amount": "5", "reason": "x"}).status_code == 404
    assert not LedgerEntry.objects.exists()


def test_a_membership_of_another_program_is_404_under_this_programs_url(client, finance, program, other_program):
    elsewhere = factories.MembershipFactory(program=other_program)
    client.force_login(finance)
    assert client.get(reverse("payments:ledger_member", args=[program.slug, elsewhere.pk])).status_code == 404


def test_finance_sees_balances_and_a_members_ledger_and_statement(client, finance, artist_membership):
    ledger_entry(artist_membership, 4200)
    program = artist_membership.program
    client.force_login(finance)
    assert "$42.00" in client.get(reverse("payments:ledger_overview", args=[program.slug])).content.decode()
    assert "$42.00" in client.get(reverse("payments:ledger_member", args=[program.slug, artist_membership.pk])
                                  ).content.decode()
    csv_response = client.get(reverse("payments:staff_statement_csv", args=[program.slug, artist_membership.pk]),
                              {"start": (timezone.localdate() - timedelta(days=30)).isoformat(),
                               "end": timezone.localdate().isoformat()})
    assert ["Closing balance", "42.00"] in rows_of(csv_response)


def test_finance_records_a_signed_adjustment_through_the_form(client, finance, artist_membership):
    program = artist_membership.program
    client.force_login(finance)
    url = reverse("payments:ledger_adjust", args=[program.slug, artist_membership.pk])
    page = client.get(url)
    token = str(page.context["form"]["token"].value())
    assert f'value="{token}"' in page.content.decode()
    data = {"amount": "-12.50", "reason": "Overpaid stipend in October", "token": token}

    # The balance is 0: a debit would push it below zero, so the page warns first and records nothing.
    warning = client.post(url, data)
    html = warning.content.decode()
    assert warning.status_code == 200 and "would leave" in html and "−$12.50" in html and "Record it anyway" in html
    assert not LedgerEntry.objects.exists()
    data["below_zero_confirmed"] = "1"
    response = client.post(url, data)
    client.post(url, data)  # double submit

    assert response.status_code == 302
    entry = LedgerEntry.objects.get()
    assert (entry.amount_minor, entry.created_by, entry.reason) == (-1250, finance, "Overpaid stipend in October")


def test_a_debit_the_balance_covers_is_recorded_without_a_warning(client, finance, artist_membership):
    program = artist_membership.program
    client.force_login(finance)
    url = reverse("payments:ledger_adjust", args=[program.slug, artist_membership.pk])
    token = "1b4e28ba-2fa1-11d2-883f-0016d3cca428"
    client.post(url, {"amount": "20", "reason": "Bonus", "token": token})
    response = client.post(url, {"amount": "-20", "reason": "Bonus given twice",
                                 "token": "1b4e28ba-2fa1-11d2-883f-0016d3cca429"})
    assert response.status_code == 302 and LedgerEntry.objects.count() == 2


def test_the_adjustment_form_requires_a_reason_and_refuses_too_many_decimals(client, finance, artist_membership):
    client.force_login(finance)
    url = reverse("payments:ledger_adjust", args=[artist_membership.program.slug, artist_membership.pk])
    token = "1b4e28ba-2fa1-11d2-883f-0016d3cca427"
    assert client.post(url, {"amount": "5", "reason": " ", "token": token}).status_code == 200
    assert client.post(url, {"amount": "5.001", "reason": "x", "token": token}).status_code == 200
    assert client.post(url, {"amount": "0", "reason": "x", "token": token}).status_code == 200
    assert not LedgerEntry.objects.exists()


def test_reviewers_cannot_reach_the_adjustment_form(client, reviewer, artist_membership):
    client.force_login(reviewer)
    url = reverse("payments:ledger_adjust", args=[artist_membership.program.slug, artist_membership.pk])
    assert client.get(url).status_code == 404


def test_staff_see_rate_card_versions_with_the_fair_pay_floor(client, reviewer, program):
    RateCardFactory(program=program, version=1, effective_date=D(2026, 1, 1), fair_pay_floor_hourly_minor=2200)
    RateCardFactory(program=program, version=2, effective_date=timezone.localdate() + timedelta(days=5))
    client.force_login(reviewer)
    html = client.get(reverse("payments:ratecard_list", args=[program.slug])).content.decode()
    assert "Version 1" in html and "Version 2" in html and "Scheduled" in html
    assert "Fair-pay floor: at least $22.00 per hour" in html
    assert "New version" not in html  # reviewers don't manage rates


def test_manager_creates_a_version_in_major_units_of_a_zero_decimal_currency(client, db):
    program = factories.ProgramFactory(currency="JPY", slug="yen-program")
    manager = factories.staff_user(program, "manager")
    client.force_login(manager)
    url = reverse("payments:ratecard_create", args=[program.slug])
    data = {"effective_date": timezone.localdate().isoformat(), "hourly_rate": "4500", "feedback_bug_low": "500",
            "feedback_bug_medium": "1000", "feedback_bug_high": "2000", "feedback_bug_critical": "5000",
            "feedback_feature": "800", "feedback_quality": "600", "feedback_general": "300",
            "monthly_stipend": "0", "minimum_payout": "3000", "fair_pay_floor_hourly": "", "notes": "Launch"}

    assert client.post(url, {**data, "hourly_rate": "4500.5"}).status_code == 200  # JPY has no decimals
    response = client.post(url, data)

    assert response.status_code == 302
    card = RateCard.objects.get()
    assert (card.hourly_rate_minor, card.minimum_payout_minor, card.fair_pay_floor_hourly_minor, card.currency) == (
        4500, 3000, None, "JPY")


def test_a_version_in_the_past_is_refused_on_the_form(client, manager, program):
    RateCardFactory(program=program)
    client.force_login(manager)
    response = client.post(reverse("payments:ratecard_create", args=[program.slug]), {
        "effective_date": (timezone.localdate() - timedelta(days=1)).isoformat(), "hourly_rate": "1",
        **{f: "0" for f in ("feedback_bug_low", "feedback_bug_medium", "feedback_bug_high", "feedback_bug_critical",
                            "feedback_feature", "feedback_quality", "feedback_general", "monthly_stipend",
                            "minimum_payout")}})
    assert response.status_code == 200
    assert "today or later" in response.content.decode()
    assert RateCard.objects.count() == 1


def test_finance_cannot_create_rate_cards(client, finance, program):
    client.force_login(finance)
    assert client.get(reverse("payments:ratecard_create", args=[program.slug])).status_code == 404


def test_unpriced_work_is_listed_and_priced_once_a_card_covers_it(client, manager, artist_membership):
    program = artist_membership.program
    log = factories.TimeLogFactory(membership=artist_membership, status=TimeLog.Status.APPROVED, minutes=60)
    factories.FeedbackFactory(membership=artist_membership, status=Feedback.Status.ACCEPTED,
                              accepted_at=timezone.now(), title="Crash on export")
    client.force_login(manager)
    url = reverse("payments:ledger_unpriced", args=[program.slug])
    assert log.description in client.get(url).content.decode()
    assert "Crash on export" in client.get(url, {"kind": "feedback"}).content.decode()

    RateCardFactory(program=program, effective_date=D(2020, 1, 1))
    client.post(reverse("payments:ledger_price_unpriced", args=[program.slug]))

    assert LedgerEntry.objects.count() == 2
    assert "Nothing waiting for a price" in client.get(url).content.decode()


@pytest.mark.parametrize("rows", [10, 200])
def test_staff_ledger_pages_queries_are_bounded(client, finance, program, django_assert_max_num_queries, rows):
    member = factories.MembershipFactory(program=program)
    for i in range(rows):
        ledger_entry(member, 100 + i)
        if i % 10 == 0:
            ledger_entry(factories.MembershipFactory(program=program), 50)
    for i in range(rows // 10):
        RateCardFactory(program=program, version=i + 1, effective_date=D(2020, 1, 1) + timedelta(days=i))
    client.force_login(finance)
    urls = [reverse("payments:ledger_overview", args=[program.slug]),
            reverse("payments:ledger_member", args=[program.slug, member.pk]),
            reverse("payments:ratecard_list", args=[program.slug]),
            reverse("payments:ledger_unpriced", args=[program.slug])]
    for url in urls:
        client.get(url)
        with django_assert_max_num_queries(15):
            assert client.get(url).status_code == 200


# --- the home panel ------------------------------------------------------------------------------------

@pytest.mark.parametrize("programs", [1, 5])
def test_home_panels_are_computed_for_all_memberships_in_bounded_queries(django_assert_max_num_queries, db,
                                                                        programs):
    artist = factories.ArtistProfileFactory()
    memberships = []
    for i in range(programs):
        m = factories.MembershipFactory(artist=artist)
        ledger_entry(m, 1000, kind="time", work_date=timezone.localdate())
        ledger_entry(m, 500, kind="time", work_date=timezone.localdate().replace(day=1) - timedelta(days=1))
        memberships.append(m)
    memberships = list(type(memberships[0]).objects.filter(artist=artist).select_related("program"))
    with django_assert_max_num_queries(6):
        panels = home_panels(artist.user, memberships)
    assert {p["balance_minor"] for p in panels.values()} == {1500}
    assert {p["month_minor"] for p in panels.values()} == {1000}
    assert all(p["next_payout"] is None for p in panels.values())


def test_the_artist_home_shows_balance_and_this_months_earnings(client, artist_membership):
    ledger_entry(artist_membership, 1234, kind="time", work_date=timezone.localdate())
    client.force_login(artist_membership.artist.user)
    html = client.get(reverse("home")).content.decode()
    assert "Earned this month" in html and "$12.34" in html
    assert reverse("payments:earnings_program", args=[artist_membership.program.slug]) in html


def test_the_program_staff_page_links_finance_to_the_ledger_pages(client, finance, program):
    client.force_login(finance)
    html = client.get(reverse("testers:staff_program", args=[program.slug])).content.decode()
    assert reverse("payments:ledger_overview", args=[program.slug]) in html
    assert reverse("payments:ratecard_list", args=[program.slug]) in html


def test_earnings_page_offers_the_statement_as_pdf_too(client, db):
    from tests import factories as base

    membership = base.MembershipFactory()
    client.force_login(membership.artist.user)
    html = client.get(reverse("payments:earnings")).content.decode()
    pdf_url = reverse("payments:reports_artist_statement_pdf", args=[membership.program.slug])
    assert f'formaction="{pdf_url}"' in html
