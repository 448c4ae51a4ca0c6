"""Report exports: CSV streamed row by row from a server-side cursor, XLSX written in openpyxl's write-only mode.

Memory stays flat whatever the row count: rows come from `.iterator(chunk_size=...)` (a PostgreSQL
server-side cursor) and leave as soon as they are written. Amounts are exported in major units with the
currency beside them (JPY 1200 stays 1200, USD 1250 minor becomes 12.50).
"""
from __future__ import annotations

import csv
import tempfile
from datetime import datetime
from decimal import Decimal
from typing import Callable, Iterable, Iterator

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from openpyxl import Workbook

from atelier.money import to_decimal
from payments.models import LedgerEntry, Payout
from payments.reports import selectors
from payments.reports.selectors import Filters

CHUNK = 2000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
KIND_LABELS = dict(LedgerEntry.Kind.choices)
PAYOUT_STATUS_LABELS = dict(Payout.Status.choices)


def safe_text(value) -> str:
    """Text cells that a spreadsheet would run as a formula get a leading apostrophe (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _local(value):
    if isinstance(value, datetime):
        return timezone.localtime(value).replace(tzinfo=None, microsecond=0)
    return value


def _money(amount_minor, currency) -> Decimal:
    return to_decimal(amount_minor or 0, currency)


# --- the reports, as (headers, rows) ---------------------------------------------------------------

def earnings_rows(program, filters: Filters):
    c = program.currency
    headers = ["Artist", "Legal name", "Cohort", "Membership status", "Hours", "Time", "Feedback items",
               "Feedback", "Stipend", "Adjustments", "Earned", "Paid", "Opening balance", "Closing balance",
               "Currency"]

    def rows():
        for m in selectors.earnings_by_artist(program, filters).iterator(chunk_size=CHUNK):
            yield [safe_text(m.artist.display_name), safe_text(m.artist.legal_name), safe_text(m.cohort),
                   m.get_status_display(), m.hours, _money(m.time_minor, c), m.feedback_items,
                   _money(m.feedback_minor, c), _money(m.stipend_minor, c), _money(m.adjustment_minor, c),
                   _money(m.earned_minor, c), _money(m.paid_minor, c), _money(m.opening_minor, c),
                   _money(m.balance_minor, c), c]
    return headers, rows()


def sources_rows(program, filters: Filters):
    c = program.currency
    headers = ["Source", "Counts as earnings", "Entries", "Quantity", "Total", "Currency"]

    def rows():
        for row in selectors.earnings_by_source(program, filters):
            yield [row["label"], "yes" if row["is_earning"] else "no", row["entries"], row["quantity"],
                   _money(row["total_minor"], c), c]
    return headers, rows()


def payouts_rows(program, filters: Filters):
    headers = ["Run period start", "Run period end", "Artist", "Legal name", "Stripe account", "Amount",
               "Currency", "Status", "Stripe transfer id", "Paid at", "Reversed", "Failure reason"]

    def rows():
        for (start, end, name, legal, account, amount, currency, status, transfer, paid_at, reversed_minor,
             failure) in selectors.payout_lines(program, filters).iterator(chunk_size=CHUNK):
            yield [start, end, safe_text(name), safe_text(legal), account, _money(amount, currency), currency,
                   PAYOUT_STATUS_LABELS.get(status, status), transfer, _local(paid_at),
                   _money(reversed_minor, currency), safe_text(failure)]
    return headers, rows()


def runs_rows(program, filters: Filters):
    c = program.currency
    headers = ["Period start", "Period end", "Status", "Payouts", "Paid", "Failed", "Pending or unknown",
               "Amount", "Paid amount", "Failed amount", "Currency", "Created by", "Approved by"]

    def rows():
        for run in selectors.runs(program, filters).iterator(chunk_size=CHUNK):
            yield [run.period_start, run.period_end, run.get_status_display(), run.payout_count, run.paid_count,
                   run.failed_count, run.open_count, _money(run.amount_minor, c), _money(run.paid_minor, c),
                   _money(run.failed_minor, c), c, safe_text(run.created_by.email),
                   safe_text(run.approved_by.email if run.approved_by else "")]
    return headers, rows()


def ledger_rows(program, filters: Filters):
    headers = ["Work date", "Artist", "Legal name", "Cohort", "Kind", "Source", "Description", "Quantity",
               "Unit rate", "Rate card version", "Amount", "Currency", "Stripe transfer id"]

    def rows():
        for (work_date, name, legal, cohort, kind, source, description, quantity, unit_rate, version, amount,
             currency, transfer) in selectors.ledger_lines(program, filters).iterator(chunk_size=CHUNK):
            yield [work_date, safe_text(name), safe_text(legal), safe_text(cohort), KIND_LABELS.get(kind, kind),
                   safe_text(source), safe_text(description), quantity,
                   _money(unit_rate, currency) if unit_rate is not None else None, version,
                   _money(amount, currency), currency, transfer or ""]
    return headers, rows()


def year_end_rows(program, filters: Filters):
    year = filters.period.start.year
    c = program.currency
    threshold = selectors.reporting_threshold_minor(program, year)
    headers = ["Year", "Artist", "Legal name", "Country", "Cohort", "Paid in the year", "Paid payouts",
               "Reversed", "Earned in the year", "Currency", "Reporting threshold", "Reaches threshold"]

    def rows():
        for m in selectors.year_end_totals(program, year, filters).iterator(chunk_size=CHUNK):
            yield [year, safe_text(m.artist.display_name), safe_text(m.artist.legal_name), m.artist.country,
                   safe_text(m.cohort), _money(m.paid_minor, c), m.payout_count, _money(m.reversed_minor, c),
                   _money(m.earned_minor, c), c, _money(threshold, c) if threshold is not None else "",
                   ("yes" if m.paid_minor >= threshold else "no") if threshold is not None else ""]
    return headers, rows()


EXPORTS: dict[str, tuple[str, Callable]] = {
    "earnings": ("Earnings by artist", earnings_rows),
    "sources": ("Earnings by source", sources_rows),
    "payouts": ("Payouts", payouts_rows),
    "runs": ("Payout runs", runs_rows),
    "ledger": ("Ledger lines", ledger_rows),
    "year-end": ("Year-end totals", year_end_rows),
}


# --- writers ---------------------------------------------------------------------------------------

class _Echo:
    """A file-like object whose write returns the line, so csv.writer feeds a generator."""

    def write(self, value):
        return value


def _csv_value(value):
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return "" if value is None else value


def csv_lines(headers: list[str], rows: Iterable[list]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(headers)  # the BOM makes spreadsheet programs read UTF-8
    for row in rows:
        yield writer.writerow([_csv_value(v) for v in row])


def csv_response(filename: str, headers: list[str], rows: Iterable[list]) -> StreamingHttpResponse:
    response = StreamingHttpResponse(csv_lines(headers, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response


def xlsx_file(title: str, headers: list[str], rows: Iterable[list]):
    """A temporary file holding the workbook; openpyxl's write-only mode keeps one row in memory at a time."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append(headers)
    for row in rows:
        sheet.append(["" if v is None else v for v in row])
    handle = tempfile.TemporaryFile()
    workbook.save(handle)
    handle.seek(0)
    return handle


def xlsx_response(filename: str, title: str, headers: list[str], rows: Iterable[list]) -> FileResponse:
    response = FileResponse(
        xlsx_file(title, headers, rows), as_attachment=True, filename=f"{filename}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Cache-Control"] = "private, no-store"
    return response
