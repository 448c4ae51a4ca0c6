"""The statement PDF names the artist truthfully: a display name is never labelled as a legal name."""
import io
from datetime import date

import pytest
from pypdf import PdfReader

from payments.reports.selectors import Period, statement
from payments.reports.statement_pdf import render_statement
from tests.payments.report_factories import adjustment_entry

pytestmark = [pytest.mark.django_db]


def _text(membership):
    adjustment_entry(membership, date(2026, 1, 15), 1200)
    pdf = render_statement(statement(membership, Period(date(2026, 1, 1), date(2026, 1, 31))))
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages)


def test_statement_without_a_legal_name_does_not_call_the_display_name_legal(artist_membership):
    artist_membership.artist.display_name, artist_membership.artist.legal_name = "Pixel Fox", ""
    artist_membership.artist.save()
    text = _text(artist_membership)
    assert "Artist (legal name)" not in text and "Artist Pixel Fox" in text and "Legal name Not given" in text


def test_statement_with_a_legal_name_labels_it(artist_membership):
    artist_membership.artist.display_name, artist_membership.artist.legal_name = "Pixel Fox", "Ana Lima"
    artist_membership.artist.save()
    text = _text(artist_membership)
    assert "Artist (legal name) Ana Lima" in text and "Shown as Pixel Fox" in text
