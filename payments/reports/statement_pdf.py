"""An artist's earnings statement for a period as a PDF (reportlab), rendered offline.

The document: title, program, artist's legal name, period, a summary (opening balance, earned, paid,
closing balance), every ledger line with its source and rate, the payouts with their dates and Stripe
transfer ids, and on every page "page x of y" and the generation date. Fonts are embedded: DejaVu Sans
(Debian's fonts-dejavu-core) when present, otherwise reportlab's built-in Helvetica.
"""
from __future__ import annotations

import io
from xml.sax.saxutils import escape

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from atelier.display import format_day, format_when
from atelier.money import format_money
from atelier.pdf import ACCENT, INK, LINE, MUTED, STRIPE
from atelier.pdf import NumberedCanvas as _NumberedCanvas
from atelier.pdf import chunks as _chunks
from atelier.pdf import fonts as _fonts
from atelier.pdf import safe as _safe
from payments.reports.selectors import Statement

#: A table row never outgrows a page (reportlab cannot split a row: LayoutError): text in a cell is cut here and
#: given in full (up to NOTE_CHARS) in the notes after the table, as paragraphs that flow across pages.
CELL_CHARS = 300
NOTE_CHARS = 20_000
NOTE_CHUNK = 1_500


def _cut(text: str, limit: int) -> tuple[str, bool]:
    return (text, False) if len(text) <= limit else (text[:limit].rstrip() + "…", True)


def render_statement(statement: Statement, *, generated_at=None) -> bytes:
    regular, bold, unicode_font = _fonts()
    generated_at = generated_at or timezone.localtime()
    membership = statement.membership
    artist, program, currency = membership.artist, membership.program, statement.currency

    def s(text):
        return escape(_safe(str(text), unicode_font))

    def money(amount):
        return _safe(format_money(amount, currency), unicode_font)

    title = ParagraphStyle("title", fontName=bold, fontSize=20, leading=24, textColor=INK, spaceAfter=4)
    subtitle = ParagraphStyle("subtitle", fontName=regular, fontSize=10, leading=13, textColor=MUTED)
    heading = ParagraphStyle("heading", fontName=bold, fontSize=12, leading=15, textColor=INK, spaceBefore=10,
                             spaceAfter=6)
    cell = ParagraphStyle("cell", fontName=regular, fontSize=8, leading=10, textColor=INK)
    cell_right = ParagraphStyle("cell_right", parent=cell, alignment=TA_RIGHT)
    head = ParagraphStyle("head", fontName=bold, fontSize=8, leading=10, textColor=colors.white)
    head_right = ParagraphStyle("head_right", parent=head, alignment=TA_RIGHT)
    body = ParagraphStyle("body", fontName=regular, fontSize=9, leading=12, textColor=INK)

    legal_name = artist.legal_name or artist.display_name
    story = [
        Paragraph(s("Earnings statement"), title),
        Paragraph(s(f"{program.name} · Atelier"), subtitle),
        Spacer(1, 6 * mm),
    ]
    # A display name is never labelled as a legal name: without one, the statement says it is missing.
    who = ([["Artist (legal name)", artist.legal_name], ["Shown as", artist.display_name]] if artist.legal_name
           else [["Artist", artist.display_name], ["Legal name", "Not given (the artist adds it in their profile)"]])
    details = [
        *who,
        ["Program", program.name],
        ["Period", f"{statement.period.start:%-d %B %Y} – {statement.period.end:%-d %B %Y}"],
        ["Currency", currency],
        ["Generated", format_when(generated_at)],
    ]
    details_table = Table(
        [[Paragraph(s(k), ParagraphStyle("k", parent=body, fontName=bold)), Paragraph(s(v), body)]
         for k, v in details],
        colWidths=[42 * mm, 120 * mm], hAlign="LEFT",
    )
    details_table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                                       ("BOTTOMPADDING", (0, 0), (-1, -1), 2), ("TOPPADDING", (0, 0), (-1, -1), 2)]))
    story += [details_table, Spacer(1, 4 * mm)]

    summary = [
        ["Opening balance", money(statement.opening_minor)],
        ["Earned in the period", money(statement.earned_minor)],
        ["Paid out in the period", money(-statement.paid_minor if statement.paid_minor else 0)],
        ["Closing balance", money(statement.closing_minor)],
    ]
    summary_table = Table(summary, colWidths=[60 * mm, 40 * mm], hAlign="LEFT")
    summary_table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), regular), ("FONTSIZE", (0, 0), (-1, -1), 10),
        ("FONTNAME", (0, -1), (-1, -1), bold), ("ALIGN", (1, 0), (1, -1), "RIGHT"),
        ("LINEABOVE", (0, -1), (-1, -1), 1, INK), ("BOX", (0, 0), (-1, -1), 0.5, LINE),
        ("BACKGROUND", (0, 0), (-1, -1), STRIPE),
    ]))
    story += [KeepTogether([Paragraph(s("Summary"), heading), summary_table])]

    # Every ledger line of the period.
    story.append(Paragraph(s("Ledger lines"), heading))
    notes = []  # (note number, date, full text) of the lines whose text is cut in the table
    if statement.entries:
        rows = [[Paragraph(s(h), head_right if h == "Amount" else head)
                 for h in ("Date", "Source", "Description", "Quantity × rate", "Rate card", "Amount")]]
        for entry in statement.entries:
            rate = ""
            if entry.unit_rate_minor is not None:
                quantity = f"{entry.quantity.normalize():f}" if entry.quantity is not None else "1"
                rate = f"{quantity} × {money(entry.unit_rate_minor)}"
            payout = entry.payout
            transfer = f" · {payout.stripe_transfer_id}" if payout and payout.stripe_transfer_id else ""
            source = s(entry.get_kind_display()) + f"<br/><font size=6 color='#5d5a6b'>{s(entry.source_key)}</font>"
            text, cut = _cut(entry.description + transfer, CELL_CHARS)
            description = s(text)
            if entry.reason and entry.reason not in entry.description:
                reason, reason_cut = _cut(entry.reason, CELL_CHARS)
                description += f"<br/><i>{s(reason)}</i>"
                cut = cut or reason_cut
            if cut:
                notes.append((len(notes) + 1, entry.work_date, entry.description + transfer, entry.reason or ""))
                description += f"<br/>{s(f'(in full in note {len(notes)})')}"
            rows.append([
                Paragraph(s(f"{format_day(entry.work_date)}"), cell),
                Paragraph(source, cell),
                Paragraph(description, cell),
                Paragraph(s(rate), cell),
                Paragraph(s(f"v{entry.rate_card.version}" if entry.rate_card else "—"), cell),
                Paragraph(s(money(entry.amount_minor)), cell_right),
            ])
        net = statement.earned_minor - statement.paid_minor
        rows.append(["", Paragraph(s("Total of the period"), ParagraphStyle("t", parent=cell, fontName=bold)), "",
                     "", "", Paragraph(s(money(net)), ParagraphStyle("tr", parent=cell_right, fontName=bold))])
        widths = [22 * mm, 32 * mm, 52 * mm, 30 * mm, 14 * mm, 24 * mm]  # 174 mm: A4 less the margins
        table = Table(rows, colWidths=widths, repeatRows=1)
        table.setStyle(TableStyle([
            ("BACKGROUND", (0, 0), (-1, 0), ACCENT),
            ("ROWBACKGROUNDS", (0, 1), (-1, -2), [colors.white, STRIPE]),
            ("LINEABOVE", (0, -1), (-1, -1), 1, INK), ("LINEBELOW", (0, 0), (-1, 0), 0.5, INK),
            ("BOX", (0, 0), (-1, -1), 0.5, LINE), ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]))
        story.append(table)
        if notes:
            story.append(Paragraph(s("Notes"), heading))
            for number, day, description_text, reason_text in notes:
                story.append(Paragraph(s(f"Note {number} · {format_day(day)} · ") + s(_cut(description_text, 255)[0]),
                                       ParagraphStyle("n", parent=body, fontName=bold)))
                full, cut = _cut(reason_text, NOTE_CHARS)
                story += [Paragraph(s(piece), body) for piece in _chunks(full, NOTE_CHUNK)]
                if cut:
                    story.append(Paragraph(s(f"({len(reason_text) - NOTE_CHARS:,} more characters not shown.)"),
                                           subtitle))
    else:
        story.append(Paragraph(s("No ledger lines in this period."), body))

    # Payouts made in the period.
    story.append(Paragraph(s("Payouts"), heading))
    if statement.payouts:
        rows = [[Paragraph(s(h), head_right if h == "Amount" else head)
                 for h in ("Created", "Run period", "Status", "Paid on", "Stripe transfer id", "Amount")]]
        for payout in statement.payouts:
            rows.append([
                Paragraph(s(f"{format_day(payout.created_at)}"), cell),
                Paragraph(s(f"{format_day(payout.run.period_start)} – {format_day(payout.run.period_end)}"), cell),
                Paragraph(s(payout.get_status_display()), cell),
                Paragraph(s(f"{format_day(payout.paid_at)}" if payout.paid_at else "—"), cell),
                Paragraph(s(payout.stripe_transfer_id or "—"), cell),
                Paragraph(s(money(payout.amount_minor)), cell_right),
            ])
        table = Table(rows, colWidths=[22 * mm, 38 * mm, 26 * mm, 22 * mm, 42 * mm, 24 * mm], repeatRows=1)
        table.setStyle(TableStyle([
            ("BACKGROUND", (0, 0), (-1, 0), ACCENT),
            ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, STRIPE]),
            ("BOX", (0, 0), (-1, -1), 0.5, LINE), ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]))
        story.append(table)
    else:
        story.append(Paragraph(s("No payouts in this period."), body))

    story += [Spacer(1, 6 * mm), Paragraph(s(
        "Amounts are in the program's currency. Earnings are testing time, accepted feedback, stipends and "
        "adjustments; payouts, failed payouts credited back and reversed transfers move money already earned. "
        "The closing balance is what Atelier owes you at the end of the period."), subtitle)]

    buffer = io.BytesIO()
    footer = _safe(f"{program.name} · Statement of {legal_name} · {format_day(statement.period.start)} to "
                   f"{format_day(statement.period.end)} · generated {format_day(generated_at)}", unicode_font)

    class FooterCanvas(_NumberedCanvas):
        footer_left = footer
        font = regular

    doc = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=18 * mm, bottomMargin=22 * mm,
        title=_safe(f"Earnings statement — {legal_name} — {program.name}", unicode_font),
        author="Atelier", subject=_safe(f"Statement {statement.period}", unicode_font), creator="Atelier",
    )
    doc.build(story, canvasmaker=FooterCanvas)
    return buffer.getvalue()
