"""The one spreadsheet writer: text that a spreadsheet would run as a formula is written as text (OWASP CSV
injection), numbers and dates stay what they are."""
import csv
import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from atelier import spreadsheets


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", '=HYPERLINK("http://x","y")'])
def test_text_starting_like_a_formula_gets_an_apostrophe(text):
    assert spreadsheets.safe_text(text) == "'" + text
    line = next(spreadsheets.csv_lines([[text]]))
    assert next(csv.reader(io.StringIO(line))) == ["'" + text]


def test_plain_text_numbers_and_dates_are_written_as_they_are():
    row = ["Ana", Decimal("-12.50"), -3, date(2026, 1, 2), datetime(2026, 1, 2, 3, 4, 5), None, "a-b"]
    line = next(spreadsheets.csv_lines([row]))
    assert next(csv.reader(io.StringIO(line))) == ["Ana", "-12.50", "-3", "2026-01-02", "2026-01-02 03:04:05", "",
                                                   "a-b"]


def test_byte_order_mark_only_when_asked_and_only_once():
    assert "".join(spreadsheets.csv_lines([["a"], ["b"]], bom=True)) == "\ufeffa\r\nb\r\n"
    assert "".join(spreadsheets.csv_lines([["a"]])) == "a\r\n"


def test_xlsx_cells_are_text_not_formulas():
    handle = spreadsheets.xlsx_file("Sheet", [["Name", "Amount"], ["=1+1", Decimal("-2.5")]])
    sheet = load_workbook(handle).active
    name, amount = sheet["A2"], sheet["B2"]
    assert (name.value, name.data_type) == ("'=1+1", "s")
    assert amount.value == -2.5
