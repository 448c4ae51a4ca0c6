"""The ledger CSV is written by PostgreSQL (COPY): it must be byte for byte the CSV that atelier.spreadsheets
writes from the Python rows (the XLSX's rows), whatever the text, currency or missing values."""
from datetime import date

import pytest
from django.urls import reverse

from atelier.spreadsheets import csv_lines
from payments.models import LedgerEntry
from payments.reports import exports
from payments.reports.selectors import Filters, Period
from tests import factories
from tests.payments import report_factories as rf
from tests.payments.report_data import PERIOD, build_lumen

pytestmark = pytest.mark.django_db

TRICKY = [
    'Tested "checkout", then login',
    "two\nlines",
    "carriage\rreturn",
    "-5 minus first",
    "\ttab first",
    "\rreturn first",
    "+ plus, comma",
    "@mention",
    "Zoë — 12 € ✓",
    " leading space",
    '"',
    ",",
]


def download(client, slug, query):
    response = client.get(reverse("payments:reports_export", args=[slug, "ledger", "csv"]), query)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return b"".join(response.streaming_content)


def python_csv(program, start, end) -> bytes:
    headers, rows = exports.ledger_rows(program, Filters(Period(start, end)))
    return "".join(csv_lines([headers, *rows], bom=True)).encode()


def test_ledger_csv_from_copy_is_the_python_csv_with_awkward_text(client):
    data = build_lumen()
    program, ana = data["program"], data["ana"]
    ana.artist.display_name, ana.artist.legal_name = '=HYPERLINK("http://x","y")', ""
    ana.artist.save()
    ana.cohort = ""
    ana.save()
    for n, text in enumerate(TRICKY):
        rf.LedgerEntryFactory(membership=ana, work_date=date(2025, 12, 20), amount_minor=-(n * 37 + 5),
                              description=text, source_key=f"+src:{n}" if n % 2 else f"src:{n}:{text}")
    finance = factories.staff_user(program, "finance")
    client.force_login(finance)

    body = download(client, "lumen", PERIOD)

    assert body == python_csv(program, date(2025, 12, 1), date(2026, 1, 31))
    assert body.startswith("\ufeffWork date,".encode())
    assert b"'=HYPERLINK" in body and b"\r\n" in body and b"-0.05" in body


@pytest.mark.parametrize("currency, amount, shown", [("JPY", 1200, "1200"), ("KWD", 1250, "1.250"),
                                                     ("EUR", 123456789012, "1234567890.12"), ("USD", -7, "-0.07")])
def test_ledger_csv_from_copy_writes_amounts_in_the_currency_decimals(client, currency, amount, shown):
    program = factories.ProgramFactory(slug="cur", currency=currency.upper())
    member = factories.MembershipFactory(program=program)
    rf.time_entry(member, date(2025, 12, 3), 1, 2000)
    rf.LedgerEntryFactory(membership=member, work_date=date(2025, 12, 4), amount_minor=amount, currency=currency)
    client.force_login(factories.staff_user(program, "finance"))

    body = download(client, "cur", PERIOD)

    assert body == python_csv(program, date(2025, 12, 1), date(2026, 1, 31))
    assert f",{shown},{currency}," in body.decode("utf-8-sig")
