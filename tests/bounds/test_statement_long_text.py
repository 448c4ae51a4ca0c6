"""A statement with long text (an adjustment's reason) still renders: wrapped, paginated, in bounded time."""
import io
import time
from datetime import date

import pytest
from pypdf import PdfReader

from payments.reports.selectors import Period, statement
from payments.reports.statement_pdf import render_statement
from tests.payments.report_factories import adjustment_entry

pytestmark = [pytest.mark.django_db]


@pytest.mark.parametrize("length", [3_000, 20_000, 1_000_000])
def test_statement_pdf_renders_a_reason_of_any_length_in_bounded_time(artist_membership, length):
    adjustment_entry(artist_membership, date(2026, 1, 15), 1200)
    adjustment_entry(artist_membership, date(2026, 1, 16), -200)
    made = statement(artist_membership, Period(date(2026, 1, 1), date(2026, 1, 31)))
    # Rows written before reasons had a length limit (or text from elsewhere): the PDF must not depend on it.
    made.entries[0].reason = ("lorem ipsum dolor sit amet " * (length // 27 + 1))[:length]
    made.entries[1].reason = "x" * length  # one unbreakable word
    started = time.monotonic()
    pdf = render_statement(made)
    assert time.monotonic() - started < 15
    pages = PdfReader(io.BytesIO(pdf)).pages
    text = "".join(page.extract_text() for page in pages)
    assert "lorem ipsum" in text and "note 1" in text
    assert len(pages) < 40


def test_statement_pdf_of_a_long_reason_is_served(client, artist_membership):
    adjustment_entry(artist_membership, date(2026, 1, 15), 1200, reason="lorem ipsum " * 160)
    client.force_login(artist_membership.artist.user)
    response = client.get(f"/earnings/{artist_membership.program.slug}/statement.pdf",
                          {"start": "2026-01-01", "end": "2026-01-31"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"


def test_statement_pdf_renders_control_characters_and_markup(artist_membership):
    artist_membership.artist.legal_name = "Ana\x1b[31m <b>Lima</b> & \x0bco\x01"
    artist_membership.artist.save()
    adjustment_entry(artist_membership, date(2026, 1, 15), 1200, reason="<font size=99>x</font>\x0c\x1b & <br/>")
    pdf = render_statement(statement(artist_membership, Period(date(2026, 1, 1), date(2026, 1, 31))))
    assert PdfReader(io.BytesIO(pdf)).pages
