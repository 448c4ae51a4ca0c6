"""Text with control characters (an escape in a display name, a vertical tab pasted into a reason) still exports:
XLSX cannot hold them (openpyxl raises), so they are dropped from XLSX cells; the CSV keeps the text as typed."""
import io
from datetime import date

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests import factories
from tests.payments.report_factories import adjustment_entry

pytestmark = [pytest.mark.django_db]


@pytest.mark.parametrize("report", ["earnings", "sources", "ledger", "year-end"])
def test_control_characters_in_stored_text_do_not_break_the_xlsx_export(client, program, artist_membership, report):
    artist_membership.artist.display_name = "Ana\x1b[31m Lima\x0b"
    artist_membership.artist.save()
    adjustment_entry(artist_membership, date(2026, 1, 15), 1200, reason="Bonus\x01\x02 for the\x0c launch")
    client.force_login(factories.staff_user(program, "finance"))
    response = client.get(reverse("payments:reports_export", args=[program.slug, report, "xlsx"]),
                          {"start": "2026-01-01", "end": "2026-12-31", "year": "2026"})
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    load_workbook(io.BytesIO(body))
