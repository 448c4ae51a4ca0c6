"""Report pages, exports and statements over HTTP: contents, permissions, bounded queries."""
import csv
import io
from datetime import date, timedelta

import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from atelier.models import AuditLogEntry
from content_review.models import ShareRequest
from tests import factories
from tests.payments import report_factories as rf
from tests.payments.report_data import PERIOD, build_lumen

pytestmark = pytest.mark.django_db


@pytest.fixture
def lumen():
    data = build_lumen()
    program = data["program"]
    data["finance"] = factories.staff_user(program, "finance")
    data["manager"] = factories.staff_user(program, "manager")
    data["reviewer"] = factories.staff_user(program, "reviewer")
    return data


def read_csv(response):
    assert isinstance(response, StreamingHttpResponse)
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


STAFF_PAGES = ["reports_overview", "reports_earnings", "reports_payouts", "reports_year_end", "reports_fair_pay"]


@pytest.mark.parametrize("name", STAFF_PAGES + ["reports_dashboard"])
def test_pages_render_with_one_h1_for_a_manager(client, lumen, name):
    client.force_login(lumen["manager"])
    response = client.get(reverse(f"payments:{name}", args=["lumen"]), PERIOD)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<h1") == 1
    assert "style=" not in html.replace('<svg', '')  # no inline styles (CSP)


def test_overview_shows_the_figures_and_charts_with_their_tables(client, lumen):
    client.force_login(lumen["finance"])
    html = client.get(reverse("payments:reports_overview", args=["lumen"]), PERIOD).content.decode()
    assert "$150.00" in html and "$40.00" in html  # earned, paid
    assert html.count('role="img"') == 4
    for title in ("Earnings over time, by source", "Payouts by status", "Review figures over time",
                  "Time to first review decision"):
        assert f"<title id=" in html and title in html
    assert "Dec 2025" in html and "Jan 2026" in html
    assert "url(#earnings-" in html  # patterns, not colour alone


def test_earnings_page_lists_artists_with_totals(client, lumen):
    client.force_login(lumen["finance"])
    html = client.get(reverse("payments:reports_earnings", args=["lumen"]), PERIOD).content.decode()
    assert "Ana Lima" in html and "$120.00" in html and "−$5.00" in html
    assert reverse("payments:reports_staff_statement", args=["lumen", lumen["ana"].pk]) in html


def test_earnings_csv_is_streamed_with_major_units(client, lumen):
    client.force_login(lumen["finance"])
    url = reverse("payments:reports_export", args=["lumen", "earnings", "csv"])
    rows = read_csv(client.get(url, PERIOD))
    header, body = rows[0], {r[0]: r for r in rows[1:]}
    ana = dict(zip(header, body["Ana"]))
    assert (ana["Legal name"], ana["Hours"], ana["Time"], ana["Feedback"], ana["Stipend"], ana["Adjustments"],
            ana["Earned"], ana["Paid"], ana["Opening balance"], ana["Closing balance"], ana["Currency"]) == (
        "Ana Lima", "3.00", "60.00", "15.00", "50.00", "-5.00", "120.00", "40.00", "40.00", "120.00", "USD")
    assert AuditLogEntry.objects.filter(action="payments.report.exported").count() == 1


def test_cohort_filter_applies_to_exports(client, lumen):
    client.force_login(lumen["finance"])
    url = reverse("payments:reports_export", args=["lumen", "earnings", "csv"])
    rows = read_csv(client.get(url, {**PERIOD, "cohort": "autumn"}))
    assert [r[0] for r in rows[1:]] == ["Ben"]


def test_jpy_export_has_no_decimals(client):
    program = factories.ProgramFactory(name="Kumo", slug="kumo", currency="JPY")
    kenji = factories.MembershipFactory(program=program, artist__display_name="Kenji")
    rf.time_entry(kenji, date(2025, 12, 31), 2, 1500)
    rf.feedback_entry(kenji, date(2026, 1, 1), 800)
    client.force_login(factories.staff_user(program, "finance"))
    rows = read_csv(client.get(reverse("payments:reports_export", args=["kumo", "ledger", "csv"]), PERIOD))
    assert [(r[4], r[8], r[10], r[11]) for r in rows[1:]] == [
        ("Testing time", "1500", "3000", "JPY"), ("Accepted feedback", "800", "800", "JPY")]


@pytest.mark.parametrize("report", ["earnings", "sources", "payouts", "runs", "ledger", "year-end"])
def test_every_report_exports_as_xlsx_and_csv(client, lumen, report):
    client.force_login(lumen["finance"])
    url = reverse("payments:reports_export", args=["lumen", report, "xlsx"])
    response = client.get(url, {**PERIOD, "year": "2026"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True).active
    xlsx_rows = list(sheet.iter_rows(values_only=True))
    csv_rows = read_csv(client.get(url.replace(".xlsx", ".csv"), {**PERIOD, "year": "2026"}))
    assert len(xlsx_rows) == len(csv_rows) > 1
    assert list(xlsx_rows[0]) == csv_rows[0]


def test_payouts_export_has_transfer_ids(client, lumen):
    client.force_login(lumen["finance"])
    rows = read_csv(client.get(reverse("payments:reports_export", args=["lumen", "payouts", "csv"]), PERIOD))
    by_artist = {r[2]: r for r in rows[1:]}
    assert by_artist["Ana"][8] == "tr_ana_dec" and by_artist["Ana"][7] == "Paid"
    assert by_artist["Ben"][7] == "Failed"


def test_year_end_export_flags_the_threshold(client, lumen):
    program = lumen["program"]
    program.reporting_threshold_minor = 3000
    program.save()
    client.force_login(lumen["finance"])
    rows = read_csv(client.get(reverse("payments:reports_export", args=["lumen", "year-end", "csv"]),
                               {"year": "2026"}))
    flags = {r[1]: (r[5], r[10], r[11]) for r in rows[1:]}
    assert flags["Ana"] == ("40.00", "30.00", "yes")
    assert flags["Ben"] == ("0.00", "30.00", "no")


def test_csv_cells_that_look_like_formulas_are_defused(client, lumen):
    ana = lumen["ana"]
    ana.artist.legal_name = "=HYPERLINK(\"http://evil\")"
    ana.artist.save()
    client.force_login(lumen["finance"])
    rows = read_csv(client.get(reverse("payments:reports_export", args=["lumen", "earnings", "csv"]), PERIOD))
    assert rows[1][1].startswith("'=")


def test_unknown_export_is_404(client, lumen):
    client.force_login(lumen["finance"])
    assert client.get("/staff/lumen/reports/export/secrets.csv").status_code == 404
    assert client.get("/staff/lumen/reports/export/earnings.pdf").status_code == 404


def test_year_end_page_shows_the_default_threshold(client, lumen):
    client.force_login(lumen["finance"])
    html = client.get(reverse("payments:reports_year_end", args=["lumen"]), {"year": "2025"}).content.decode()
    assert "$600.00" in html and "1099-NEC" in html
    html = client.get(reverse("payments:reports_year_end", args=["lumen"]), {"year": "2026"}).content.decode()
    assert "$2,000.00" in html


def test_fair_pay_page_highlights_artists_under_the_floor(client, lumen):
    from testers.models import TimeLog

    factories.TimeLogFactory(membership=lumen["ben"], date=date(2025, 12, 10), minutes=90,
                             status=TimeLog.Status.APPROVED)
    client.force_login(lumen["manager"])
    html = client.get(reverse("payments:reports_fair_pay", args=["lumen"]), PERIOD).content.decode()
    assert "Under the floor" in html and "$20.00/h" in html and "Floor $25.00/h" in html


def test_dashboard_lists_share_requests_near_their_deadline(client, lumen):
    now = timezone.now()
    ShareRequest.objects.create(membership=lumen["ana"], title="Poster for the fair", status="submitted",
                                submitted_at=now, first_submitted_at=now, deadline_at=now + timedelta(hours=20))
    ShareRequest.objects.create(membership=lumen["ana"], title="Far away", status="submitted",
                                submitted_at=now, first_submitted_at=now, deadline_at=now + timedelta(days=5))
    client.force_login(lumen["manager"])
    html = client.get(reverse("payments:reports_dashboard", args=["lumen"])).content.decode()
    assert "Poster for the fair" in html and "Far away" not in html


def test_dashboard_counts_pending_invitations_and_each_card_opens_its_list(client, lumen):
    program = lumen["program"]
    factories.InvitationFactory(program=program)
    factories.InvitationFactory(program=program)
    factories.InvitationFactory(program=program, expires_at=timezone.now() - timedelta(days=1))  # expired
    factories.InvitationFactory(program=program, status="revoked")
    client.force_login(lumen["manager"])
    html = client.get(reverse("payments:reports_dashboard", args=["lumen"])).content.decode()
    assert 'data-figure="pending-invitations">2<' in html
    for url in (reverse("testers:staff_invitations", args=["lumen"]) + "?status=pending",
                reverse("testers:staff_feedback", args=["lumen"]) + "?status=new",
                reverse("testers:staff_timelogs", args=["lumen"]) + "?status=pending",
                reverse("content_review:queue", args=["lumen"]),
                reverse("payments:ledger_overview", args=["lumen"]),
                reverse("testers:staff_artists", args=["lumen"]) + "?status=active"):
        assert f'class="stat__link" href="{url}"' in html
    assert html.count('class="stat__link"') == html.count('class="stat"')


# --- statements -----------------------------------------------------------------------------------------

def test_artist_downloads_their_statement_pdf(client, lumen):
    client.force_login(lumen["ana"].artist.user)
    page = client.get(reverse("payments:reports_artist_statement", args=["lumen"]), PERIOD)
    assert page.status_code == 200 and "$120.00" in page.content.decode()
    response = client.get(reverse("payments:reports_artist_statement_pdf", args=["lumen"]), PERIOD)
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    for expected in ("Earnings statement", "Ana Lima", "Lumen", "1 December 2025", "31 January 2026",
                     "Opening balance", "$40.00", "Closing balance", "$120.00", "tr_ana_dec",
                     "Double-counted hour", "Page 1 of 1", "3 × $20.00"):
        assert expected in text, expected


def test_statement_pdf_of_many_lines_has_numbered_pages(client, lumen):
    for day in range(60):
        rf.feedback_entry(lumen["ana"], date(2025, 12, 1) + timedelta(days=day % 31), 100)
    client.force_login(lumen["finance"])
    response = client.get(reverse("payments:reports_staff_statement", args=["lumen", lumen["ana"].pk]), PERIOD)
    reader = PdfReader(io.BytesIO(response.content))
    pages = len(reader.pages)
    assert pages >= 2
    assert f"Page {pages} of {pages}" in reader.pages[-1].extract_text()


def test_artist_gets_only_their_own_statement(client, lumen):
    ben_user = lumen["ben"].artist.user
    client.force_login(ben_user)
    text = pdf_text(client.get(reverse("payments:reports_artist_statement_pdf", args=["lumen"]), PERIOD).content)
    assert "Benedict Okafor" in text and "Ana Lima" not in text
    # The staff URL of Ana's statement is a 404 for Ben, and so is another program's statement URL.
    assert client.get(reverse("payments:reports_staff_statement", args=["lumen", lumen["ana"].pk])).status_code == 404
    other = factories.ProgramFactory(slug="elsewhere")
    assert client.get(reverse("payments:reports_artist_statement_pdf", args=["elsewhere"])).status_code == 404
    assert other


# --- permissions ----------------------------------------------------------------------------------------

ALLOWED = {
    "reports_overview": {"finance", "manager"},
    "reports_earnings": {"finance", "manager"},
    "reports_payouts": {"finance", "manager"},
    "reports_year_end": {"finance", "manager"},
    "reports_fair_pay": {"finance", "manager"},
    "reports_dashboard": {"manager"},
}


@pytest.mark.parametrize("name", sorted(ALLOWED))
def test_each_role_on_each_report_page(client, lumen, name):
    other = factories.ProgramFactory(name="Other", slug="other")
    people = {
        "finance": lumen["finance"], "manager": lumen["manager"], "reviewer": lumen["reviewer"],
        "artist": lumen["ana"].artist.user,
        "other_finance": factories.staff_user(other, "finance"),
        "other_manager": factories.staff_user(other, "manager"),
    }
    url = reverse(f"payments:{name}", args=["lumen"])
    for who, user in people.items():
        client.force_login(user)
        expected = 200 if who in ALLOWED[name] else 404
        assert client.get(url).status_code == expected, who


@pytest.mark.parametrize("who", ["reviewer", "artist", "other_finance"])
def test_exports_and_staff_statements_are_404_outside_the_role(client, lumen, who):
    other = factories.ProgramFactory(name="Other", slug="other")
    user = {"reviewer": lumen["reviewer"], "artist": lumen["ben"].artist.user,
            "other_finance": factories.staff_user(other, "finance")}[who]
    client.force_login(user)
    assert client.get(reverse("payments:reports_export", args=["lumen", "ledger", "csv"])).status_code == 404
    assert client.get(reverse("payments:reports_staff_statement", args=["lumen", lumen["ana"].pk])).status_code == 404


def test_finance_of_another_program_cannot_reach_a_statement_through_their_own_slug(client, lumen):
    other = factories.ProgramFactory(name="Other", slug="other")
    client.force_login(factories.staff_user(other, "finance"))
    assert client.get(reverse("payments:reports_staff_statement", args=["other", lumen["ana"].pk])).status_code == 404


def test_finance_downloads_any_artists_statement_of_their_program(client, lumen):
    client.force_login(lumen["finance"])
    response = client.get(reverse("payments:reports_staff_statement", args=["lumen", lumen["ben"].pk]), PERIOD)
    assert response.status_code == 200 and "Benedict Okafor" in pdf_text(response.content)
    assert AuditLogEntry.objects.filter(action="payments.statement.downloaded").exists()


def test_anonymous_is_sent_to_sign_in(client, lumen):
    response = client.get(reverse("payments:reports_overview", args=["lumen"]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_staff_program_page_links_to_the_reports(client, lumen):
    client.force_login(lumen["manager"])
    html = client.get(reverse("testers:staff_program", args=["lumen"])).content.decode()
    assert reverse("payments:reports_dashboard", args=["lumen"]) in html
    assert reverse("payments:reports_fair_pay", args=["lumen"]) in html
    client.force_login(lumen["finance"])
    html = client.get(reverse("testers:staff_program", args=["lumen"])).content.decode()
    assert reverse("payments:reports_overview", args=["lumen"]) in html
    assert reverse("payments:reports_dashboard", args=["lumen"]) not in html


def test_payout_status_filter_narrows_the_payout_list_and_export(client, lumen):
    client.force_login(lumen["finance"])
    rows = read_csv(client.get(reverse("payments:reports_export", args=["lumen", "payouts", "csv"]),
                               {**PERIOD, "payout_status": "failed"}))
    assert [r[2] for r in rows[1:]] == ["Ben"]
    html = client.get(reverse("payments:reports_payouts", args=["lumen"]),
                      {**PERIOD, "payout_status": "paid"}).content.decode()
    assert "tr_ana_dec" in html and "Payout status" in html


def test_jpy_statement_prints_whole_yen(client):
    program = factories.ProgramFactory(name="Kumo", slug="kumo", currency="JPY")
    kenji = factories.MembershipFactory(program=program, artist__display_name="Kenji", artist__legal_name="Kenji Sato")
    rf.time_entry(kenji, date(2025, 12, 31), 2, 1500)
    rf.feedback_entry(kenji, date(2026, 1, 1), 800)
    client.force_login(kenji.artist.user)
    text = pdf_text(client.get(reverse("payments:reports_artist_statement_pdf", args=["kumo"]), PERIOD).content)
    assert "¥3,800" in text and "2 × ¥1,500" in text and "JPY" in text


def test_finance_of_two_programs_can_switch_program_and_sees_only_theirs(client, lumen):
    second = factories.ProgramFactory(name="Second", slug="second")
    third = factories.ProgramFactory(name="Third", slug="third")
    factories.StaffRoleFactory(user=lumen["finance"], program=second, role="finance")
    client.force_login(lumen["finance"])
    html = client.get(reverse("payments:reports_earnings", args=["lumen"]), PERIOD).content.decode()
    assert reverse("payments:reports_earnings", args=["second"]) + "?start=2025-12-01" in html
    assert "/third/" not in html and third
    assert client.get(reverse("payments:reports_earnings", args=["second"])).status_code == 200
    assert client.get(reverse("payments:reports_earnings", args=["third"])).status_code == 404
