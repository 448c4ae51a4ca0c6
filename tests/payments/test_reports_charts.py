"""The SVG charts: accessible, readable without colour, numbers in a table, safe with any label."""
import re

from payments.reports import charts
from payments.reports.statement_pdf import _safe


def test_stacked_bars_have_a_title_a_description_and_one_pattern_per_series():
    chart = charts.stacked_bar_chart("Earnings", "Per month", ["Dec 2025", "Jan 2026"],
                                     {"Time": [9000, 0], "Feedback": [1500, 0], "Stipend": [0, 5000]},
                                     fmt=lambda v: f"{v / 100:.2f}")
    svg = str(chart.svg)
    assert f'aria-labelledby="{chart.id}-title"' in svg and f'<title id="{chart.id}-title">Earnings</title>' in svg
    assert f'<desc id="{chart.id}-desc">Per month</desc>' in svg and 'role="img"' in svg
    patterns = set(re.findall(r'<pattern id="([^"]+)"', svg))
    assert len(patterns) == 3
    assert "105.00" in svg and "50.00" in svg  # totals written above the bars
    assert chart.headers == ["Month", "Time", "Feedback", "Stipend", "Total"]
    assert chart.rows == [["Dec 2025", "90.00", "15.00", "0.00", "105.00"], ["Jan 2026", "0.00", "0.00", "50.00", "50.00"]]


def test_two_charts_on_a_page_never_share_pattern_ids():
    first = charts.stacked_bar_chart("A", "a", ["x"], {"s": [1]})
    second = charts.stacked_bar_chart("B", "b", ["x"], {"s": [1]})
    assert first.id != second.id
    assert not set(re.findall(r'<pattern id="([^"]+)"', str(first.svg))) & set(
        re.findall(r'<pattern id="([^"]+)"', str(second.svg)))


def test_lines_differ_by_marker_and_dash_and_are_named_at_their_end():
    chart = charts.line_chart("Review", "d", ["Dec", "Jan"], {"Submitted": [3, 1], "Refused": [1, 1]}, counts=True)
    svg = str(chart.svg)
    assert 'stroke-dasharray="6 3"' in svg  # the second line is dashed, the first solid
    assert "<circle" in svg and "<rect x=" in svg  # circle and square markers
    assert "Submitted (1)" in svg and "Refused (1)" in svg


def test_histogram_marks_the_floor_and_hatches_bins_under_it():
    bins = [{"low": 0, "high": 1000, "count": 1, "under_floor": True},
            {"low": 1000, "high": 2000, "count": 3, "under_floor": False}]
    chart = charts.histogram("Rates", "d", bins, fmt=str, marker=1000, marker_label="Floor 1000/h")
    svg = str(chart.svg)
    assert "Floor 1000/h" in svg and 'stroke-dasharray="6 4"' in svg
    assert "Under the floor" in svg
    assert chart.rows == [["0 – 1000", "1", "yes"], ["1000 – 2000", "3", "no"]]


def test_empty_charts_say_so_and_keep_their_table():
    chart = charts.bar_chart("Payouts", "d", ["Paid", "Failed"], [0, 0])
    assert chart.empty and "Nothing to show" in str(chart.svg)
    assert chart.rows == [["Paid", "0"], ["Failed", "0"]]


def test_labels_are_escaped():
    chart = charts.bar_chart("<script>", "d", ["<b>Ana</b>"], [1])
    svg = str(chart.svg)
    assert "<script>" not in svg and "&lt;b&gt;Ana&lt;/b&gt;" in svg


def test_helvetica_fallback_text_is_encodable():
    assert _safe("−$5.00 – ₹10", unicode_font=False).encode("cp1252")
    assert _safe("−$5.00", unicode_font=True) == "−$5.00"
