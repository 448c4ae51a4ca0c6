"""Reports in a real browser: an artist downloads their PDF statement, finance downloads a CSV export."""
import csv
import io
from pathlib import Path

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from tests import factories
from tests.browser.conftest import sign_in
from tests.conftest import totp_code
from tests.payments.report_data import build_lumen

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

QUERY = "?start=2025-12-01&end=2026-01-31"


def test_artist_downloads_their_statement_pdf(page):
    lumen = build_lumen()
    sign_in(page, lumen["ana"].artist.user.email, factories.PASSWORD)
    page.goto(f"/earnings/lumen/statement/{QUERY}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your statement for Lumen")
    with page.expect_download() as info:
        page.get_by_role("link", name="Download the PDF statement").click()
    download = info.value
    assert download.suggested_filename.endswith(".pdf")
    reader = PdfReader(io.BytesIO(Path(download.path()).read_bytes()))
    text = "\n".join(p.extract_text() for p in reader.pages)
    for expected in ("Earnings statement", "Ana Lima", "Opening balance", "$40.00", "Closing balance", "$120.00",
                     "tr_ana_dec", "Page 1 of 1"):
        assert expected in text, expected
    assert "Benedict" not in text


def test_finance_filters_the_earnings_report_and_downloads_the_csv(page):
    lumen = build_lumen()
    finance = factories.staff_user(lumen["program"], "finance")
    sign_in(page, finance.email, factories.PASSWORD)
    page.get_by_label("Code").fill(totp_code(finance))
    page.get_by_role("button", name="Sign In").click()
    page.goto(f"/staff/lumen/reports/earnings/{QUERY}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Earnings by artist")
    page.get_by_label("Cohort").select_option("spring")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("table")).not_to_contain_text("Ben")
    with page.expect_download() as info:
        page.get_by_role("link", name="CSV of earnings by artist").click()
    download = info.value
    assert download.suggested_filename == "lumen-earnings-20251201-20260131.csv"
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text(encoding="utf-8-sig"))))
    assert [r["Artist"] for r in rows] == ["Ana", "Cy"]
    assert (rows[0]["Earned"], rows[0]["Paid"], rows[0]["Closing balance"]) == ("120.00", "40.00", "120.00")


def test_manager_sees_charts_with_their_numbers(page):
    lumen = build_lumen()
    manager = factories.staff_user(lumen["program"], "manager")
    sign_in(page, manager.email, factories.PASSWORD)
    page.get_by_label("Code").fill(totp_code(manager))
    page.get_by_role("button", name="Sign In").click()
    page.goto(f"/staff/lumen/reports/{QUERY}")
    chart = page.get_by_role("img", name="Earnings over time, by source")
    expect(chart).to_be_visible()
    figure = page.locator("figure", has=chart)
    expect(figure.get_by_role("table")).to_contain_text("Dec 2025")
    expect(figure.get_by_role("table")).to_contain_text("$90.00")
    page.screenshot(path="/tmp/reports-overview.png", full_page=True)
    page.goto(f"/staff/lumen/reports/fair-pay/{QUERY}")
    expect(page.get_by_role("img", name="Effective hourly rates")).to_be_visible()
