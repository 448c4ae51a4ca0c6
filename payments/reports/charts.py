"""Server-side SVG charts (bar, stacked bar, line, histogram) that read without colour alone.

Every series has its own fill pattern or marker and dash, values are written on the chart, and each chart
carries an accessible title and description plus the same numbers as a table (`Chart.headers/rows`) that
the template shows beside it. No JavaScript, nothing from another origin; attributes only (the CSP forbids
inline styles).
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Callable

from django.utils.html import escape
from django.utils.safestring import mark_safe

INK = "#1d1b26"
MUTED = "#5d5a6b"
GRID = "#d9d6e3"
FONT = 'font-family="system-ui, sans-serif"'
# (colour, pattern kind): the pattern alone tells the series apart, the colour helps.
STYLES = [
    ("#5b3cc4", "solid"),
    ("#1e6b3a", "diagonal"),
    ("#a1192b", "dots"),
    ("#7a4b00", "crosshatch"),
    ("#1b4f8a", "horizontal"),
    ("#5d5a6b", "vertical"),
]
MARKERS = ["circle", "square", "triangle", "diamond"]
DASHES = ["", "6 3", "2 3", "8 3 2 3"]

WIDTH = 520  # viewBox width: drawn at about this size beside its table, so the text stays legible
PLOT_H = 200

_ids = itertools.count(1)


@dataclass
class Chart:
    id: str
    title: str
    desc: str
    svg: str
    headers: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    empty: bool = False


def _chart_id(prefix: str) -> str:
    return f"{prefix}-{next(_ids)}"


def nice_max(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 × 10^k not below value (at least 1)."""
    if value <= 0:
        return 1
    exp = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * exp:
            return step * exp
    return 10 * exp


def _pattern_defs(chart_id: str, count: int) -> str:
    parts = []
    for i in range(count):
        colour, kind = STYLES[i % len(STYLES)]
        pid = f"{chart_id}-p{i}"
        if kind == "solid":
            body = f'<rect width="8" height="8" fill="{colour}"/>'
        elif kind == "diagonal":
            body = (f'<rect width="8" height="8" fill="#ffffff"/>'
                    f'<path d="M-2,2 l4,-4 M0,8 l8,-8 M6,10 l4,-4" stroke="{colour}" stroke-width="2.5"/>')
        elif kind == "dots":
            body = f'<rect width="8" height="8" fill="#ffffff"/><circle cx="4" cy="4" r="2.2" fill="{colour}"/>'
        elif kind == "crosshatch":
            body = (f'<rect width="8" height="8" fill="#ffffff"/>'
                    f'<path d="M0,0 l8,8 M8,0 l-8,8" stroke="{colour}" stroke-width="1.6"/>')
        elif kind == "horizontal":
            body = f'<rect width="8" height="8" fill="#ffffff"/><path d="M0,4 h8" stroke="{colour}" stroke-width="3"/>'
        else:
            body = f'<rect width="8" height="8" fill="#ffffff"/><path d="M4,0 v8" stroke="{colour}" stroke-width="3"/>'
        parts.append(f'<pattern id="{pid}" width="8" height="8" patternUnits="userSpaceOnUse">{body}</pattern>')
    return "<defs>" + "".join(parts) + "</defs>"


def _fill(chart_id: str, i: int) -> str:
    return f"url(#{chart_id}-p{i})"


def _open(chart_id: str, title: str, desc: str, width: int, height: int) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-labelledby="{chart_id}-title" aria-describedby="{chart_id}-desc" '
        'preserveAspectRatio="xMinYMin meet">'
        f'<title id="{chart_id}-title">{escape(title)}</title><desc id="{chart_id}-desc">{escape(desc)}</desc>'
    )


def _text(x, y, content, *, size=14, anchor="start", fill=INK, weight="normal", extra="") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{fill}" '
            f'font-weight="{weight}" {FONT}{extra}>{escape(content)}</text>')


def _legend(chart_id: str, names: list[str], x: float, y: float, *, width: float, lines: bool = False):
    """The legend, wrapped onto as many rows as the width needs. Returns (svg, bottom y)."""
    out, cx, row_y = [], x, y
    for i, name in enumerate(names):
        needed = (28 if lines else 20) + 8 * len(name) + 14
        if cx > x and cx + needed > width - 8:
            cx, row_y = x, row_y + 20
        if lines:
            dash = DASHES[i % len(DASHES)]
            dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
            out.append(f'<line x1="{cx}" y1="{row_y - 5}" x2="{cx + 22}" y2="{row_y - 5}" '
                       f'stroke="{STYLES[i % len(STYLES)][0]}" stroke-width="2.5"{dash_attr}/>')
            out.append(_marker(MARKERS[i % len(MARKERS)], cx + 11, row_y - 5, STYLES[i % len(STYLES)][0]))
            cx += 28
        else:
            out.append(f'<rect x="{cx}" y="{row_y - 13}" width="15" height="15" fill="{_fill(chart_id, i)}" '
                       f'stroke="{INK}" stroke-width="1"/>')
            cx += 20
        out.append(_text(cx, row_y, name, size=13))
        cx += 8 * len(name) + 14
    return "".join(out), row_y


def _marker(kind: str, x: float, y: float, colour: str) -> str:
    if kind == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}" stroke="{INK}" stroke-width="1"/>'
    if kind == "square":
        return f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="#ffffff" stroke="{colour}" stroke-width="2"/>'
    if kind == "triangle":
        return (f'<path d="M{x:.1f},{y - 5:.1f} L{x + 5:.1f},{y + 4:.1f} L{x - 5:.1f},{y + 4:.1f} Z" fill="{colour}" '
                f'stroke="{INK}" stroke-width="1"/>')
    return (f'<path d="M{x:.1f},{y - 5:.1f} L{x + 5:.1f},{y:.1f} L{x:.1f},{y + 5:.1f} L{x - 5:.1f},{y:.1f} Z" '
            f'fill="#ffffff" stroke="{colour}" stroke-width="2"/>')


def integer_top(peak: float) -> int:
    """An axis top for counts whose four intervals fall on whole numbers."""
    if peak <= 20:
        return max(4, 4 * math.ceil(peak / 4))
    return 4 * math.ceil(nice_max(peak) / 4)


def _label_every(categories: list[str], slot: float) -> int:
    width = 8 * max((len(c) for c in categories), default=1) + 8
    return max(1, math.ceil(width / max(slot, 1)))


def _y_axis(left, top, plot_w, plot_h, top_value, fmt) -> str:
    out = []
    for i in range(5):
        value = top_value * i / 4
        y = top + plot_h - plot_h * i / 4
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="{GRID}" stroke-width="1"/>')
        out.append(_text(left - 6, y + 4, fmt(value), size=13, anchor="end", fill=MUTED))
    return "".join(out)


def _empty(chart_id, title, desc, headers) -> Chart:
    svg = _open(chart_id, title, desc, 600, 60) + _text(10, 35, "Nothing to show for this selection.", fill=MUTED) + "</svg>"
    return Chart(chart_id, title, desc, mark_safe(svg), headers, [], empty=True)


def bar_chart(title: str, desc: str, labels: list[str], values: list[int], *, fmt: Callable = str,
              value_header: str = "Value", label_header: str = "Category", prefix: str = "bar") -> Chart:
    """Horizontal bars, one per category, each labelled with its value."""
    chart_id = _chart_id(prefix)
    headers = [label_header, value_header]
    if not labels or not any(values):
        chart = _empty(chart_id, title, desc, headers)
        chart.rows = [[label, fmt(v)] for label, v in zip(labels, values)]
        return chart
    width, row_h, right = WIDTH, 30, 110
    left = min(230, 16 + 8 * max(len(label) for label in labels))
    plot_w = width - left - right
    height = row_h * len(labels) + 20
    top_value = max(max(values), 1)
    parts = [_open(chart_id, title, desc, width, height), _pattern_defs(chart_id, 1)]
    for i, (label, value) in enumerate(zip(labels, values)):
        y = 10 + i * row_h
        w = plot_w * max(value, 0) / top_value
        parts.append(_text(left - 8, y + 16, label, anchor="end"))
        parts.append(f'<rect x="{left}" y="{y + 4}" width="{w:.1f}" height="{row_h - 10}" fill="{_fill(chart_id, 0)}"/>')
        parts.append(_text(left + w + 6, y + 16, fmt(value), weight="bold"))
    parts.append(f'<line x1="{left}" y1="6" x2="{left}" y2="{height - 6}" stroke="{INK}" stroke-width="1"/>')
    parts.append("</svg>")
    rows = [[label, fmt(v)] for label, v in zip(labels, values)]
    return Chart(chart_id, title, desc, mark_safe("".join(parts)), headers, rows)


def stacked_bar_chart(title: str, desc: str, categories: list[str], series: dict[str, list[int]], *,
                      fmt: Callable = str, category_header: str = "Month", prefix: str = "stack") -> Chart:
    """Vertical stacked bars (one per category), one pattern per series, the total written above each bar.

    Negative values (e.g. a correcting adjustment) are not drawn; the table shows them.
    """
    chart_id = _chart_id(prefix)
    names = list(series)
    headers = [category_header, *names, "Total"]
    totals = [sum(series[n][i] for n in names) for i in range(len(categories))]
    rows = [[c, *[fmt(series[n][i]) for n in names], fmt(totals[i])] for i, c in enumerate(categories)]
    positive_totals = [sum(max(series[n][i], 0) for n in names) for i in range(len(categories))]
    if not categories or not any(positive_totals):
        chart = _empty(chart_id, title, desc, headers)
        chart.rows = rows
        return chart
    legend, legend_bottom = _legend(chart_id, names, 10, 18, width=WIDTH)
    width, left, right, top, bottom = WIDTH, 80, 10, legend_bottom + 28, 40
    height = top + PLOT_H + bottom
    plot_w, plot_h = width - left - right, PLOT_H
    top_value = nice_max(max(positive_totals))
    slot = plot_w / len(categories)
    bar_w = min(60, slot * 0.6)
    every = _label_every(categories, slot)  # long periods: label every k-th month so labels never overlap
    parts = [_open(chart_id, title, desc, width, height), _pattern_defs(chart_id, len(names)),
             legend, _y_axis(left, top, plot_w, plot_h, top_value, fmt)]
    for i, category in enumerate(categories):
        x = left + slot * i + (slot - bar_w) / 2
        y = top + plot_h
        for s, name in enumerate(names):
            value = max(series[name][i], 0)
            if not value:
                continue
            h = plot_h * value / top_value
            y -= h
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                         f'fill="{_fill(chart_id, s)}" stroke="{INK}" stroke-width="0.75">'
                         f'<title>{escape(category)} — {escape(name)}: {escape(fmt(series[name][i]))}</title></rect>')
        if totals[i]:
            parts.append(_text(x + bar_w / 2, y - 5, fmt(totals[i]), size=13, anchor="middle", weight="bold"))
        if i % every == 0:
            parts.append(_text(x + bar_w / 2, top + plot_h + 18, category, size=13, anchor="middle"))
    parts.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="{INK}"/>')
    parts.append("</svg>")
    return Chart(chart_id, title, desc, mark_safe("".join(parts)), headers, rows)


def line_chart(title: str, desc: str, categories: list[str], series: dict[str, list[int]], *,
               fmt: Callable = str, category_header: str = "Month", prefix: str = "line",
               counts: bool = False) -> Chart:
    """One line per series, each with its own marker shape and dash pattern, its name written at its end.

    A value of None is "no figure" (e.g. no decision that month): no point, a gap in the line, "—" in the table."""
    chart_id = _chart_id(prefix)
    names = list(series)
    headers = [category_header, *names]
    shown = lambda v: "—" if v is None else fmt(v)  # noqa: E731
    rows = [[c, *[shown(series[n][i]) for n in names]] for i, c in enumerate(categories)]
    peak = max((v for values in series.values() for v in values if v is not None), default=0)
    if not categories or peak <= 0:
        chart = _empty(chart_id, title, desc, headers)
        chart.rows = rows
        return chart
    legend, legend_bottom = _legend(chart_id, names, 10, 18, width=WIDTH, lines=True)
    last = {name: next((v for v in reversed(series[name]) if v is not None), None) for name in names}
    end_labels = [(f"{name} ({shown(last[name])})" if len(names) > 1 else shown(last[name])) for name in names]
    right = min(190, 14 + 7 * max(len(label) for label in end_labels))
    width, left, top, bottom = WIDTH, 50, legend_bottom + 28, 40
    height = top + PLOT_H + bottom
    plot_w, plot_h = width - left - right, PLOT_H
    top_value = integer_top(peak) if counts else nice_max(peak)
    step = plot_w / max(len(categories) - 1, 1)
    parts = [_open(chart_id, title, desc, width, height), legend,
             _y_axis(left, top, plot_w, plot_h, top_value, fmt)]
    ends = []
    for s, name in enumerate(names):
        colour = STYLES[s % len(STYLES)][0]
        points = [(left + (step * i if len(categories) > 1 else plot_w / 2),
                   None if v is None else top + plot_h - plot_h * max(v, 0) / top_value)
                  for i, v in enumerate(series[name])]
        dash = DASHES[s % len(DASHES)]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        # A missing value breaks the line: each run of values starts with a move.
        path, pen_down = [], False
        for x, y in points:
            if y is None:
                pen_down = False
                continue
            path.append(f"{'L' if pen_down else 'M'}{x:.1f},{y:.1f}")
            pen_down = True
        if path:
            parts.append(f'<path d="{" ".join(path)}" fill="none" stroke="{colour}" stroke-width="2.5"{dash_attr}/>')
        for (x, y), value, category in zip(points, series[name], categories):
            if y is None:
                continue
            parts.append(f'<g>{_marker(MARKERS[s % len(MARKERS)], x, y, colour)}'
                         f'<title>{escape(category)} — {escape(name)}: {escape(fmt(value))}</title></g>')
        drawn = [(x, y) for x, y in points if y is not None]
        if drawn:
            ends.append([drawn[-1][1] + 4, drawn[-1][0] + 10, end_labels[s]])
    # Each line's name and last value at its end; labels keep 15 units apart, in the order of the lines.
    ends.sort()
    for i in range(1, len(ends)):
        ends[i][0] = max(ends[i][0], ends[i - 1][0] + 15)
    overflow = ends[-1][0] - (top + plot_h + 4) if ends else 0
    for end in ends:
        end[0] -= max(overflow, 0)
        parts.append(_text(end[1], end[0], end[2], size=13, fill=INK))
    every = _label_every(categories, step if len(categories) > 1 else plot_w)
    for i, category in enumerate(categories):
        x = left + (step * i if len(categories) > 1 else plot_w / 2)
        if i % every == 0:
            parts.append(_text(x, top + plot_h + 18, category, size=13, anchor="middle"))
    parts.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="{INK}"/>')
    parts.append("</svg>")
    return Chart(chart_id, title, desc, mark_safe("".join(parts)), headers, rows)


#: width of one character of a 12-unit axis label, rounded up (digits and currency signs of system-ui fonts)
AXIS_CHAR_W = 8
AXIS_GAP = 10


def _extent(x: float, text: str, anchor: str) -> tuple[float, float]:
    width = AXIS_CHAR_W * len(text)
    start = {"start": x, "middle": x - width / 2, "end": x - width}[anchor]
    return start, start + width


def axis_labels(xs: list[float], texts: list[str], *, end_x: float, end_text: str) -> list[tuple[float, str, str]]:
    """[(x, text, anchor)] of the labels to draw along an axis: the first edge (anchored at its start), then each
    edge whose label clears the previous one drawn by AXIS_GAP, and always the last edge (anchored at its end),
    before which any label it would touch is dropped. No two labels drawn overlap, whatever their lengths."""
    if not xs:
        return [(end_x, end_text, "end")]
    chosen = [(xs[0], texts[0], "start")]
    for x, text in zip(xs[1:], texts[1:]):
        if _extent(x, text, "middle")[0] >= _extent(*chosen[-1])[1] + AXIS_GAP:
            chosen.append((x, text, "middle"))
    end_start = _extent(end_x, end_text, "end")[0]
    while chosen and _extent(*chosen[-1])[1] + AXIS_GAP > end_start:
        chosen.pop()
    return [*chosen, (end_x, end_text, "end")]


def histogram(title: str, desc: str, bins: list[dict], *, fmt: Callable = str, marker: int | None = None,
              marker_label: str = "", prefix: str = "hist") -> Chart:
    """Bins [{"low", "high", "count", "under_floor"}] as adjacent bars, counts written on top.

    Bins entirely under the marker (the fair-pay floor) are hatched and named in the legend; the marker is a
    dashed vertical line with its label.
    """
    chart_id = _chart_id(prefix)
    headers = ["Effective hourly rate", "Artists", "Under the floor"]
    rows = [[f"{fmt(b['low'])} – {fmt(b['high'])}", str(b["count"]), "yes" if b.get("under_floor") else "no"]
            for b in bins]
    if not bins or not any(b["count"] for b in bins):
        chart = _empty(chart_id, title, desc, headers)
        chart.rows = rows
        return chart
    legend, legend_bottom = _legend(chart_id, ["At or above the floor", "Under the floor"], 10, 18, width=WIDTH)
    width, left, right, top, bottom = WIDTH, 40, 20, legend_bottom + 36, 60
    height = top + PLOT_H + bottom
    plot_w, plot_h = width - left - right, PLOT_H
    top_value = integer_top(max(b["count"] for b in bins))
    span_low, span_high = bins[0]["low"], bins[-1]["high"]
    slot = plot_w / len(bins)
    # Bin edges are labelled only where the label clears the one before it and the last edge's (see below).
    label_w = 8 * max(len(fmt(b["high"])) for b in bins) + 6
    parts = [_open(chart_id, title, desc, width, height), _pattern_defs(chart_id, 2), legend,
             _y_axis(left, top, plot_w, plot_h, top_value, lambda v: f"{v:g}")]
    for i, b in enumerate(bins):
        x = left + slot * i
        h = plot_h * b["count"] / top_value
        y = top + plot_h - h
        fill = _fill(chart_id, 1 if b.get("under_floor") else 0)
        if b["count"]:
            parts.append(f'<rect x="{x + 1:.1f}" y="{y:.1f}" width="{slot - 2:.1f}" height="{h:.1f}" fill="{fill}" '
                         f'stroke="{INK}" stroke-width="0.75"/>')
        parts.append(_text(x + slot / 2, y - 5, str(b["count"]), size=13, anchor="middle", weight="bold"))
    for x, text, anchor in axis_labels([left + slot * i for i in range(len(bins))], [fmt(b["low"]) for b in bins],
                                       end_x=left + plot_w, end_text=fmt(span_high)):
        parts.append(f'<line x1="{x:.1f}" y1="{top + plot_h}" x2="{x:.1f}" y2="{top + plot_h + 5}" stroke="{INK}"/>')
        parts.append(_text(x, top + plot_h + 18, text, size=12, anchor=anchor, fill=MUTED))
    parts.append(_text(left + plot_w / 2, top + plot_h + 40, "Effective hourly rate (per hour)", size=13,
                       anchor="middle"))
    if marker is not None and span_high > span_low:
        mx = left + plot_w * (min(max(marker, span_low), span_high) - span_low) / (span_high - span_low)
        parts.append(f'<line x1="{mx:.1f}" y1="{top - 24}" x2="{mx:.1f}" y2="{top + plot_h}" stroke="{INK}" '
                     f'stroke-width="2" stroke-dasharray="6 4"/>')
        on_right = mx > left + plot_w * 0.6
        parts.append(_text(mx - 4 if on_right else mx + 4, top - 14, marker_label, size=13, weight="bold",
                           anchor="end" if on_right else "start"))
    parts.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="{INK}"/>')
    parts.append("</svg>")
    return Chart(chart_id, title, desc, mark_safe("".join(parts)), headers, rows)
