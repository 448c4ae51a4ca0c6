"""Every export goes through one writer (atelier.spreadsheets): an artist's name that looks like a formula
arrives in finance's spreadsheet as text, in the payout-run CSV, the report CSVs and XLSXs and the statement."""
import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from payments.models import Payout
from tests import factories
from tests.payments.report_data import PERIOD, build_lumen

pytestmark = pytest.mark.django_db

NAME = '=HYPERLINK("http://x","y")'
LEGAL = "@SUM(1+1)"


@pytest.fixture
def lumen():
    data = build_lumen()
    artist = data["ana"].artist
    artist.display_name, artist.legal_name = NAME, LEGAL
    artist.save()
    data["finance"] = factories.staff_user(data["program"], "finance")
    return data


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def cells_of(rows) -> list:
    return [cell for row in rows for cell in row]


def assert_defused(cells):
    texts = [c for c in cells if isinstance(c, str)]
    assert "'" + NAME in texts and "'" + LEGAL in texts
    assert not [c for c in texts if c.startswith(("=", "@", "+"))]


def test_payout_run_csv_writes_names_as_text(client, lumen):
    run = Payout.objects.filter(membership=lumen["ana"]).first().run
    client.force_login(lumen["finance"])
    rows = csv_rows(client.get(reverse("payments:payout_run_csv", args=["lumen", run.pk])))
    assert_defused(cells_of(rows))


@pytest.mark.parametrize("report", ["earnings", "payouts", "ledger", "year-end"])
def test_report_csv_writes_names_as_text(client, lumen, report):
    client.force_login(lumen["finance"])
    query = {"year": "2026"} if report == "year-end" else PERIOD
    rows = csv_rows(client.get(reverse("payments:reports_export", args=["lumen", report, "csv"]), query))
    assert_defused(cells_of(rows))


@pytest.mark.parametrize("report", ["earnings", "payouts", "ledger", "year-end"])
def test_report_xlsx_writes_names_as_text_not_formulas(client, lumen, report):
    client.force_login(lumen["finance"])
    query = {"year": "2026"} if report == "year-end" else PERIOD
    response = client.get(reverse("payments:reports_export", args=["lumen", report, "xlsx"]), query)
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    assert_defused([cell.value for cell in cells])


def test_statement_csv_writes_names_as_text(client, lumen):
    client.force_login(lumen["finance"])
    response = client.get(reverse("payments:staff_statement_csv", args=["lumen", lumen["ana"].pk]),
                          {"start": "2025-12-01", "end": "2026-01-31"})
    rows = csv_rows(response)
    assert ["Artist", "'" + NAME] in rows and ["Legal name", "'" + LEGAL] in rows
    assert_defused(cells_of(rows))
