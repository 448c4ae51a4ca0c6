"""The record of one terms acceptance as a PDF: the version, the exact text the artist accepted, its SHA-256 hash,
the time (in the artist's zone and in UTC) and the address it came from. Rendered offline with reportlab."""
from __future__ import annotations

import datetime
import io
from xml.sax.saxutils import escape

from django.utils import timezone
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from atelier.display import format_day, format_when
from atelier.pdf import INK, LINE, MUTED, NumberedCanvas, chunks, fonts, safe
from atelier.timezones import zone_of
from testers.models import TermsAcceptance

#: a paragraph of the text longer than this is split (reportlab lays out one paragraph within one frame)
CHUNK = 1_500


def acceptance_filename(acceptance: TermsAcceptance) -> str:
    return f"terms-{acceptance.terms_version.program.slug}-v{acceptance.terms_version.number}-accepted.pdf"


def render_acceptance(acceptance: TermsAcceptance, *, generated_at=None) -> bytes:
    version = acceptance.terms_version
    program, artist = version.program, acceptance.membership.artist
    regular, bold, unicode_font = fonts()
    generated_at = generated_at or timezone.now()
    zone = zone_of(artist.user)
    text = version.canonical_text()
    matches = version.compute_hash() == acceptance.text_hash

    def s(value):
        return escape(safe(str(value), unicode_font))

    title = ParagraphStyle("title", fontName=bold, fontSize=18, leading=22, textColor=INK, spaceAfter=4)
    subtitle = ParagraphStyle("subtitle", fontName=regular, fontSize=10, leading=13, textColor=MUTED)
    heading = ParagraphStyle("heading", fontName=bold, fontSize=12, leading=15, textColor=INK, spaceBefore=10,
                             spaceAfter=6)
    cell = ParagraphStyle("cell", fontName=regular, fontSize=9, leading=12, textColor=INK)
    label = ParagraphStyle("label", parent=cell, fontName=bold)
    mono = ParagraphStyle("mono", parent=cell, fontName="Courier", fontSize=8)
    body = ParagraphStyle("body", fontName=regular, fontSize=10, leading=13.5, textColor=INK, spaceAfter=6)

    details = [
        ("Program", program.name),
        ("Terms version", f"Version {version.number}"
                          + (f", in effect from {format_day(version.effective_date)}" if version.effective_date else "")),
        ("Accepted by", f"{artist.display_name} <{artist.user.email}>"),
        ("Accepted at", f"{format_when(acceptance.accepted_at, zone)} ({zone})"),
        ("Accepted at (UTC)", format_when(acceptance.accepted_at, datetime.timezone.utc)),
        ("IP address", acceptance.ip_address or "not recorded"),
    ]
    rows = [[Paragraph(s(k), label), Paragraph(s(v), cell)] for k, v in details]
    rows.append([Paragraph(s("SHA-256 of the text"), label), Paragraph(s(acceptance.text_hash), mono)])
    table = Table(rows, colWidths=[42 * mm, 132 * mm])
    table.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 0.5, LINE), ("INNERGRID", (0, 0), (-1, -1), 0.25, LINE),
                               ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    check = ("The text below is the exact text accepted: its SHA-256 hash is the one above."
             if matches else
             "Warning: the text below no longer hashes to the value recorded at acceptance; the recorded hash is "
             "the proof of what was accepted.")
    story = [
        Paragraph(s(f"{program.name} — participation terms, version {version.number}"), title),
        Paragraph(s("Record of acceptance · Atelier"), subtitle),
        Spacer(1, 5 * mm), table, Spacer(1, 3 * mm), Paragraph(s(check), subtitle),
        Paragraph(s("The text accepted"), heading),
    ]
    for paragraph in text.split("\n\n"):
        for piece in chunks(paragraph, CHUNK):
            story.append(Paragraph("<br/>".join(s(line) for line in piece.split("\n")), body))

    class FooterCanvas(NumberedCanvas):
        footer_left = safe(f"{program.name} · terms version {version.number} · SHA-256 {acceptance.text_hash[:16]}… "
                           f"· generated {format_when(generated_at, datetime.timezone.utc)}", unicode_font)
        font = regular

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=18 * mm, bottomMargin=22 * mm,
        title=safe(f"{program.name} terms, version {version.number}, accepted by {artist.display_name}", unicode_font),
        author="Atelier", subject=f"SHA-256 {acceptance.text_hash}", creator="Atelier",
    )
    doc.build(story, canvasmaker=FooterCanvas)
    return buffer.getvalue()
