"""The one way Atelier writes a spreadsheet: rows → a streamed CSV or an XLSX file, formulas neutralised.

Every export (reports, the payout-run CSV, an artist's statement) hands its rows to `csv_response` or
`xlsx_response`; none writes cells itself. Rows are lists of plain values (str, int, Decimal, date, datetime,
None), the first row usually the headings. Memory stays flat whatever the row count: the CSV is a generator,
the XLSX is written in openpyxl's write-only mode to a temporary file.

CSV injection (OWASP): a text cell that starts with = + - @ tab or carriage return would run as a formula in
a spreadsheet program (`=HYPERLINK(...)` in an artist's display name). Every text cell, in CSV and XLSX, gets
a leading apostrophe then, so it is shown as text. Numbers, dates and amounts (int, Decimal) stay numbers.
"""
from __future__ import annotations

import csv
import tempfile
from datetime import datetime
from typing import Iterable, Iterator, Sequence

from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def safe_text(value) -> str:
    """Text a spreadsheet would run as a formula gets a leading apostrophe (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _cell(value):
    """A value as written: text made safe, None empty, anything else (numbers, dates) unchanged."""
    if value is None:
        return ""
    if isinstance(value, str):
        return safe_text(value)
    return value


def _xlsx_cell(value):
    """XLSX (XML 1.0) cannot hold most control characters, and openpyxl raises on them: they are dropped. An escape
    or a vertical tab pasted into a name or a reason must not cost the whole export."""
    value = _cell(value)
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def _csv_cell(value):
    value = _cell(value)
    return value.isoformat(sep=" ") if isinstance(value, datetime) else value


class _Echo:
    """A file-like object whose write returns the line, so csv.writer feeds a generator."""

    def write(self, value):
        return value


def csv_lines(rows: Iterable[Sequence], *, bom: bool = False) -> Iterator[str]:
    """One CSV line per row. `bom`: start with a byte-order mark, so spreadsheet programs read UTF-8."""
    writer = csv.writer(_Echo())
    prefix = "\ufeff" if bom else ""
    for row in rows:
        yield prefix + writer.writerow([_csv_cell(v) for v in row])
        prefix = ""


def csv_response(filename: str, rows: Iterable[Sequence], *, bom: bool = False,
                 stream: bool = True) -> HttpResponse | StreamingHttpResponse:
    """A CSV download named `filename` (with its extension), never stored by a cache. Streamed line by line,
    unless `stream` is False (a short document, such as a statement, sent in one piece)."""
    lines = csv_lines(rows, bom=bom)
    content_type = "text/csv; charset=utf-8"
    response = StreamingHttpResponse(lines, content_type=content_type) if stream else HttpResponse(
        "".join(lines), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def xlsx_file(title: str, rows: Iterable[Sequence]):
    """A temporary file holding a one-sheet workbook; write-only mode keeps one row in memory at a time."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    for row in rows:
        sheet.append([_xlsx_cell(v) for v in row])
    handle = tempfile.TemporaryFile()
    workbook.save(handle)
    handle.seek(0)
    return handle


def xlsx_response(filename: str, title: str, rows: Iterable[Sequence]) -> FileResponse:
    """An XLSX download named `filename` (with its extension), one sheet called `title`."""
    response = FileResponse(xlsx_file(title, rows), as_attachment=True, filename=filename,
                            content_type=XLSX_CONTENT_TYPE)
    response["Cache-Control"] = "private, no-store"
    return response
