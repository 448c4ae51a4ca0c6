"""The ledger in a real browser: finance adjusts an artist's balance, the artist sees it and downloads a statement."""
import csv
import io

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import sign_in
from tests.conftest import totp_code
from tests.payments.factories import RateCardFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_finance_adjusts_a_balance_and_the_artist_sees_it_and_downloads_a_statement(page):
    program = factories.ProgramFactory(name="Lumen Beta", slug="lumen-beta")
    RateCardFactory(program=program)
    membership = factories.MembershipFactory(program=program, artist__display_name="Ana Lima")
    finance = factories.staff_user(program, "finance")

    sign_in(page, finance.email, factories.PASSWORD)
    page.get_by_label("Code").fill(totp_code(finance))
    page.get_by_role("button", name="Sign In").click()
    page.goto("/staff/lumen-beta/ledger/")
    page.get_by_role("link", name="Adjust").click()
    page.get_by_label("Amount (USD)").fill("12.50")
    page.get_by_label("Reason").fill("Travel costs for the testing day")
    page.get_by_role("button", name="Record adjustment").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ledger of Ana Lima")
    expect(page.get_by_role("table")).to_contain_text("Travel costs for the testing day")
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, membership.artist.user.email, factories.PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Earnings").click()
    expect(page.get_by_text("Your balance")).to_be_visible()
    expect(page.locator(".stat__value").first).to_have_text("$12.50")
    expect(page.get_by_role("table").first).to_contain_text("Travel costs for the testing day")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download statement (CSV)").click()
    rows = list(csv.reader(io.StringIO(open(download_info.value.path(), encoding="utf-8").read())))
    assert ["Closing balance", "12.50"] in rows
