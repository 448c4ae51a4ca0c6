"""The one way Atelier writes a spreadsheet: rows → a streamed CSV or an XLSX file, formulas neutralised.

Every export (reports, the payout-run CSV, an artist's statement) hands its rows to `csv_response` or
`xlsx_response`; none writes cells itself. Rows are lists of plain values (str, int, Decimal, date, datetime,
None), the first row usually the headings. Memory stays flat whatever the row count: the CSV is a generator,
the XLSX is written in openpyxl's write-only mode to a temporary file.

CSV injection (OWASP): a text cell that starts with = + - @ tab or carriage return would run as a formula in
a spreadsheet program (`=HYPERLINK(...)` in an artist's display name). Every text cell, in CSV and XLSX, gets
a leading apostrophe then, so it is shown as text. Numbers, dates and amounts (int, Decimal) stay numbers.

A CSV leaves in chunks of about 64 KB (one row per chunk costs a write and a WSGI iteration per row). The
largest export (every ledger line) is written by PostgreSQL itself: `csv_copy_response` streams
`COPY (<query>) TO STDOUT WITH (FORMAT csv)`, where the query's columns are already formatted by the SQL
twins of the Python cells (`SafeText`, `IsoDate`, `MajorUnits`), so the bytes are the ones `csv_lines`
would write (tests/payments/test_exports_copy.py compares them).
"""
from __future__ import annotations

import csv
import tempfile
from datetime import datetime
from typing import Iterable, Iterator, Sequence

from django.db import connections
from django.db.models import DecimalField, Func, QuerySet, TextField
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from atelier.money import MINOR_UNIT_EXPONENTS

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CHUNK_BYTES = 64 * 1024


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


def _csv_chunks(rows: Iterable[Sequence], *, bom: bool) -> Iterator[bytes]:
    """The lines of `csv_lines`, UTF-8 encoded and joined into chunks of about CSV_CHUNK_BYTES."""
    buffer, size = [], 0
    for line in csv_lines(rows, bom=bom):
        buffer.append(line)
        size += len(line)
        if size >= CSV_CHUNK_BYTES:
            yield "".join(buffer).encode()
            buffer, size = [], 0
    if buffer:
        yield "".join(buffer).encode()


def _download(response, filename: str):
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def csv_response(filename: str, rows: Iterable[Sequence], *, bom: bool = False,
                 stream: bool = True) -> HttpResponse | StreamingHttpResponse:
    """A CSV download named `filename` (with its extension), never stored by a cache. Streamed in chunks of
    about 64 KB, unless `stream` is False (a short document, such as a statement, sent in one piece)."""
    content_type = "text/csv; charset=utf-8"
    if stream:
        return _download(StreamingHttpResponse(_csv_chunks(rows, bom=bom), content_type=content_type), filename)
    return _download(HttpResponse("".join(csv_lines(rows, bom=bom)), content_type=content_type), filename)


# --- CSV written by PostgreSQL: the cells of _csv_cell in SQL, and the COPY stream ---------------------------

def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'" if text.isprintable() else f"chr({ord(text)})"


_FORMULA_STARTS_SQL = ", ".join(_sql_literal(c) for c in FORMULA_STARTS)


class SafeText(Func):
    """`safe_text` in SQL: text that starts like a formula gets a leading apostrophe. Empty text becomes NULL:
    COPY writes an empty string as `""`, csv.writer writes nothing (for None and "" alike)."""

    output_field = TextField()

    def as_sql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return (f"CASE WHEN left({sql}, 1) IN ({_FORMULA_STARTS_SQL}) THEN '''' || {sql} "
                f"ELSE NULLIF({sql}, '') END", [*params, *params, *params])


class IsoDate(Func):
    """A date as `str(date)` writes it (YYYY-MM-DD), whatever the session's DateStyle."""

    template = "to_char(%(expressions)s, 'YYYY-MM-DD')"
    output_field = TextField()


class MajorUnits(Func):
    """`atelier.money.to_decimal` in SQL, from the same exponent table: minor units → a numeric with the
    currency's decimal places (USD 1250 → 12.50, JPY 1200 → 1200). Arguments: the amount, the currency."""

    output_field = DecimalField()

    def as_sql(self, compiler, connection, **extra):
        (amount, amount_params), (currency, currency_params) = (compiler.compile(e) for e in self.source_expressions)
        sql, params = "CASE", []
        for exp in sorted(set(MINOR_UNIT_EXPONENTS.values())):
            codes = ", ".join(_sql_literal(code) for code, e in sorted(MINOR_UNIT_EXPONENTS.items()) if e == exp)
            sql += f" WHEN upper({currency}) IN ({codes}) THEN {self._scaled(amount, exp)}"
            params += [*currency_params, *amount_params]
        return f"{sql} ELSE {self._scaled(amount, 2)} END", [*params, *amount_params]

    @staticmethod
    def _scaled(amount: str, exp: int) -> str:
        # A numeric literal with `exp` decimals gives a product with exactly `exp` decimals (1250 * 0.01 = 12.50).
        return f"({amount})::numeric" if exp == 0 else f"({amount}) * 0.{'0' * (exp - 1)}1"


def _copy_chunks(queryset: QuerySet, header: str) -> Iterator[bytes]:
    """`header`, then the queryset's rows as PostgreSQL writes CSV, in chunks of about CSV_CHUNK_BYTES. COPY
    sends each row as one message ending in LF; csv.writer ends rows with CRLF, so each row's last byte becomes
    CRLF (a line break inside a quoted cell stays as it is, as csv.writer leaves it)."""
    sql, params = queryset.query.sql_with_params()
    buffer = bytearray(header.encode())
    with connections[queryset.db].cursor() as cursor:
        with cursor.cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", params) as copy:
            for row in copy:
                buffer += row
                buffer[-1:] = b"\r\n"
                if len(buffer) >= CSV_CHUNK_BYTES:
                    yield bytes(buffer)
                    buffer.clear()
    if buffer:
        yield bytes(buffer)


def csv_copy_response(filename: str, headers: Sequence[str], queryset: QuerySet, *,
                      bom: bool = False) -> StreamingHttpResponse:
    """A CSV download written by PostgreSQL: `headers` (by csv.writer), then the rows of `queryset`, a
    `.values_list()` whose columns are cells already (text through `SafeText`, dates through `IsoDate`, amounts
    through `MajorUnits`, numbers as they are). The rows never become Python objects."""
    header = "".join(csv_lines([headers], bom=bom))
    return _download(StreamingHttpResponse(_copy_chunks(queryset, header), content_type="text/csv; charset=utf-8"),
                     filename)


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
