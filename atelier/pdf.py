"""What every PDF Atelier writes shares (reportlab): the embedded fonts (DejaVu Sans from Debian's
fonts-dejavu-core when present, else Helvetica), the colours, "Page x of y" footers and text safe for the font."""
from __future__ import annotations

import os

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import registerFontFamily
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

FONT_DIRS = ["/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu"]
INK = colors.HexColor("#1d1b26")
MUTED = colors.HexColor("#5d5a6b")
ACCENT = colors.HexColor("#5b3cc4")
STRIPE = colors.HexColor("#f2f0f8")
LINE = colors.HexColor("#d9d6e3")


def fonts() -> tuple[str, str, bool]:
    """(regular, bold, unicode?) — DejaVu when the files exist, embedded in the PDF; else Helvetica."""
    if "AtelierSans" in pdfmetrics.getRegisteredFontNames():
        return "AtelierSans", "AtelierSans-Bold", True
    for folder in FONT_DIRS:
        regular, bold = os.path.join(folder, "DejaVuSans.ttf"), os.path.join(folder, "DejaVuSans-Bold.ttf")
        if os.path.exists(regular) and os.path.exists(bold):
            italic = os.path.join(folder, "DejaVuSans-Oblique.ttf")
            pdfmetrics.registerFont(TTFont("AtelierSans", regular))
            pdfmetrics.registerFont(TTFont("AtelierSans-Bold", bold))
            pdfmetrics.registerFont(TTFont("AtelierSans-Italic", italic if os.path.exists(italic) else regular))
            registerFontFamily("AtelierSans", normal="AtelierSans", bold="AtelierSans-Bold",
                               italic="AtelierSans-Italic", boldItalic="AtelierSans-Bold")
            return "AtelierSans", "AtelierSans-Bold", True
    return "Helvetica", "Helvetica-Bold", False


class NumberedCanvas(canvas.Canvas):
    """Draws "Page x of y" once every page is known (two passes over the saved page states)."""

    footer_left = ""
    font = "Helvetica"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._saved_pages = []

    def showPage(self):
        self._saved_pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._saved_pages)
        for state in self._saved_pages:
            self.__dict__.update(state)
            self._draw_footer(total)
            super().showPage()
        super().save()

    def _draw_footer(self, total):
        width, _ = self._pagesize
        self.setStrokeColor(LINE)
        self.line(18 * mm, 14 * mm, width - 18 * mm, 14 * mm)
        self.setFont(self.font, 8)
        self.setFillColor(MUTED)
        self.drawString(18 * mm, 9 * mm, self.footer_left)
        self.drawRightString(width - 18 * mm, 9 * mm, f"Page {self._pageNumber} of {total}")


def safe(text: str, unicode_font: bool) -> str:
    text = text or ""
    if unicode_font:
        return text
    # Helvetica's encoding (WinAnsi) lacks the true minus sign and some currency symbols.
    return text.replace("\u2212", "-").replace("\u2013", "-").encode("cp1252", "replace").decode("cp1252")


def chunks(text: str, size: int):
    """Paragraph-sized pieces, each of which a page can hold."""
    for start in range(0, len(text), size):
        yield text[start:start + size]
