"""What each export holds: the reports, the payout-run CSV and an artist's statement, as rows.

The rows go to the one writer, `atelier.spreadsheets` (CSV streamed, XLSX in write-only mode, every text cell
made safe from formula injection there). Rows come from `.iterator(chunk_size=...)` (a PostgreSQL server-side
cursor) and leave as soon as they are written, so memory stays flat whatever the row count. Amounts are
exported in major units with the currency beside them (JPY 1200 stays 1200, USD 1250 minor becomes 12.50).
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Callable, Iterator

from django.db import connection
from django.db.models import Case, Count, F, Sum, TextField, Value, When
from django.utils import timezone

from atelier.money import to_decimal
from atelier.spreadsheets import IsoDate, MajorUnits, SafeText
from payments.models import LedgerEntry, Payout
from payments.reports import selectors
from payments.reports.selectors import Filters, Statement

CHUNK = 2000
KIND_LABELS = dict(LedgerEntry.Kind.choices)
PAYOUT_STATUS_LABELS = dict(Payout.Status.choices)


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
            yield [m.artist.display_name, m.artist.legal_name, m.cohort,
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
            yield [start, end, name, legal, account, _money(amount, currency), currency,
                   PAYOUT_STATUS_LABELS.get(status, status), transfer, _local(paid_at),
                   _money(reversed_minor, currency), failure]
    return headers, rows()


def runs_rows(program, filters: Filters):
    c = program.currency
    headers = ["Period start", "Period end", "Status", "Payouts", "Paid", "Failed", "Pending or unknown",
               "Amount", "Paid amount", "Failed amount", "Currency", "Created by", "Approved by"]

    def rows():
        for run in selectors.runs(program, filters).iterator(chunk_size=CHUNK):
            yield [run.period_start, run.period_end, run.get_status_display(), run.payout_count, run.paid_count,
                   run.failed_count, run.open_count, _money(run.amount_minor, c), _money(run.paid_minor, c),
                   _money(run.failed_minor, c), c, run.created_by.email,
                   run.approved_by.email if run.approved_by else ""]
    return headers, rows()


LEDGER_HEADERS = ["Work date", "Artist", "Legal name", "Cohort", "Kind", "Source", "Description", "Quantity",
                  "Unit rate", "Rate card version", "Amount", "Currency", "Stripe transfer id"]


def ledger_rows(program, filters: Filters):
    """The ledger lines as Python rows, for the XLSX (the CSV is `ledger_cells`, written by PostgreSQL)."""
    def rows():
        for (work_date, name, legal, cohort, kind, source, description, quantity, unit_rate, version, amount,
             currency, transfer) in selectors.ledger_lines(program, filters).iterator(chunk_size=CHUNK):
            yield [work_date, name, legal, cohort, KIND_LABELS.get(kind, kind),
                   source, description, quantity,
                   _money(unit_rate, currency) if unit_rate is not None else None, version,
                   _money(amount, currency), currency, transfer or ""]
    return LEDGER_HEADERS, rows()


def ledger_cells(program, filters: Filters):
    """The same lines as `ledger_rows`, each column already the CSV cell `atelier.spreadsheets` would write,
    computed by PostgreSQL: (headers, a values_list queryset) for `spreadsheets.csv_copy_response`."""
    kind = Case(*[When(kind=value, then=Value(str(label))) for value, label in KIND_LABELS.items()],
                default=F("kind"), output_field=TextField())
    cells = selectors.ledger_lines(program, filters).values_list(
        IsoDate("work_date"), SafeText("membership__artist__display_name"),
        SafeText("membership__artist__legal_name"), SafeText("membership__cohort"), SafeText(kind),
        SafeText("source_key"), SafeText("description"), "quantity", MajorUnits("unit_rate_minor", "currency"),
        "rate_card__version", MajorUnits("amount_minor", "currency"), SafeText("currency"),
        SafeText("payout__stripe_transfer_id"))
    return LEDGER_HEADERS, cells


def year_end_rows(program, filters: Filters):
    year = filters.period.start.year
    c = program.currency
    threshold = selectors.reporting_threshold_minor(program, year)
    headers = ["Year", "Artist", "Legal name", "Country", "Cohort", "Paid in the year", "Paid payouts",
               "Reversed", "Earned in the year", "Currency", "Reporting threshold", "Reaches threshold"]

    def rows():
        for m in selectors.year_end_totals(program, year, filters).iterator(chunk_size=CHUNK):
            yield [year, m.artist.display_name, m.artist.legal_name, m.artist.country,
                   m.cohort, _money(m.paid_minor, c), m.payout_count, _money(m.reversed_minor, c),
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
# CSVs written by PostgreSQL (COPY), for the exports that grow with the ledger: report → cells builder.
COPY_EXPORTS: dict[str, Callable] = {"ledger": ledger_cells}


def copy_export(report: str) -> Callable | None:
    """The cells builder of `report` when its CSV can be written by COPY: on PostgreSQL only (the embedded
    default runs on SQLite, which has no COPY; there the Python rows are written, the same CSV)."""
    return COPY_EXPORTS.get(report) if connection.vendor == "postgresql" else None


# --- the payout-run CSV and the statement CSV --------------------------------------------------------

def payout_run_rows(run) -> Iterator[list]:
    """Finance's CSV of one run: every payout, then totals by status and the run's total."""
    yield ["payout_id", "artist", "legal_name", "stripe_account", "amount", "currency", "status", "transfer_id",
           "failure_reason"]
    payouts = run.payouts.select_related("membership__artist", "stripe_account").order_by("pk")
    for payout in payouts.iterator(chunk_size=500):
        artist = payout.membership.artist
        yield [payout.pk, artist.display_name, artist.legal_name, payout.stripe_account.stripe_account_id,
               to_decimal(payout.amount_minor, payout.currency), payout.currency, payout.status,
               payout.stripe_transfer_id, payout.held_reason or payout.failure_message]
    totals = run.payouts.order_by().values("status").annotate(n=Count("pk"), total=Sum("amount_minor"))
    for row in totals.order_by("status"):
        yield ["total", f"{row['n']} payouts", "", "", to_decimal(row["total"], run.currency), run.currency,
               row["status"], "", ""]
    yield ["total", "all payouts", "", "", to_decimal(run.total_minor, run.currency), run.currency, "", "", ""]


def statement_rows(statement: Statement) -> Iterator[list]:
    """An artist's statement as a sheet: who and when, opening balance, every line with the balance after it,
    the period's totals and the closing balance (the same figures as the PDF)."""
    membership, period, currency = statement.membership, statement.period, statement.currency
    artist, program = membership.artist, membership.program

    def money(amount):
        return None if amount is None else to_decimal(amount, currency)

    yield ["Statement of earnings and payouts"]
    yield ["Program", program.name]
    yield ["Artist", artist.display_name]
    yield ["Legal name", artist.legal_name]
    yield ["Period", period.start.isoformat(), period.end.isoformat()]
    yield ["Currency", currency]
    yield ["Opening balance", money(statement.opening_minor)]
    yield []
    yield ["Date", "Kind", "Description", "Source", "Rate card version", "Rate", "Quantity", "Amount", "Balance"]
    for entry in statement.entries:
        yield [entry.work_date.isoformat(), entry.get_kind_display(), entry.description, entry.source_key,
               entry.rate_card.version if entry.rate_card_id else None, money(entry.unit_rate_minor),
               entry.quantity, money(entry.amount_minor), money(entry.running_balance)]
    yield []
    yield ["Earned in period (incl. adjustments)", money(statement.earned_minor)]
    yield ["Paid out in period (net of failures and reversals)", money(statement.paid_minor)]
    yield ["Closing balance", money(statement.closing_minor)]
