"""Charts for the brief: SVG written directly, text kept as text, readable in black and white.

Each chart is a few dozen elements, so it is written out here rather than drawn by a plotting
library: matplotlib took 85% of a brief's time (importing it, scanning the system's fonts,
laying out 19 figures) to produce the same lines.  The browser draws the text, in the page's
Chinese font, so no font is looked for here.
"""

from __future__ import annotations

import hashlib
import math
from datetime import date
from html import escape

from workplan.reports.brief import MetricSeries

WIDTH, HEIGHT = 259.2, 151.2
"""the chart's size in points (3.6 × 2.1 inches)"""
TOP, RIGHT, BOTTOM = 4.0, 255.2, 133.2
"""the plot area's top, right and bottom edges"""
FONT = "'Noto Sans CJK SC', sans-serif"
GRID, AXIS, PACE, MUTED = "#d9d9d9", "#000000", "#595959", "#4d4d4d"
MARGIN = 0.15
"""the room left above and below the values, as a share of their span"""


def _nice_step(span: float, most: int = 7) -> float:
    """The smallest of 1, 2, 2.5, 5 × 10ⁿ that cuts ``span`` into at most ``most`` steps."""
    raw = span / most
    power = 10.0 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if factor * power >= raw:
            return factor * power
    return 10.0 * power


def _limits(values: list[float]) -> tuple[float, float]:
    """The value axis: the values with a margin above and below (0 to 1 with none)."""
    if not values:
        low, high = 0.0, 1.0
    else:
        low, high = min(values), max(values)
    if high == low:
        pad = abs(low) * 0.05 or 1.0
        low, high = low - pad, high + pad
    room = (high - low) * MARGIN
    return low - room, high + room


def _ticks(low: float, high: float) -> tuple[list[float], float]:
    step = _nice_step(high - low)
    first = math.ceil(low / step - 1e-9) * step
    ticks = []
    value = first
    while value <= high + step * 1e-9:
        ticks.append(round(value, 10) + 0.0)  # + 0.0: no "-0"
        value += step
    return ticks, step


def _label(value: float, step: float) -> str:
    """A tick's number, with as many decimals as its step has."""
    decimals = len(f"{step:.10f}".rstrip("0").split(".")[1])
    text = f"{value:.{decimals}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text  # no "-0"


def _n(value: float) -> str:
    """A coordinate, short: two decimals at most."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def metric_svg(series: MetricSeries, year: int) -> str:
    """Draw reported values against checkpoints and the 序时进度 line; return inline SVG."""
    values = [v for _, v in (*series.reports, *series.checkpoints, *series.pace)]
    low, high = _limits(values)
    ticks, step = _ticks(low, high)
    labels = [_label(t, step) for t in ticks]
    # room on the left for the unit and the longest tick label (7 px digits, about 0.6 em)
    left = 8.0 + 11.0 + max(len(text) for text in labels) * 4.2 + 3.5
    start, end = date(year, 1, 1).toordinal(), date(year, 12, 31).toordinal()

    def x(day: date) -> float:
        return left + (day.toordinal() - start) / (end - start) * (RIGHT - left)

    def y(value: float) -> float:
        return BOTTOM - (value - low) / (high - low) * (BOTTOM - TOP)

    clip = (
        "c"
        + hashlib.sha1(
            f"{series.label}|{series.metric.key}|{series.metric.title}".encode()
        ).hexdigest()[:10]
    )
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}pt" height="{HEIGHT}pt" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" version="1.1" role="img" '
        f'aria-label="{escape(series.metric.title)}">',
        f'<defs><clipPath id="{clip}"><rect x="{_n(left)}" y="{TOP}" '
        f'width="{_n(RIGHT - left)}" height="{_n(BOTTOM - TOP)}"/></clipPath></defs>',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
        f'<g font-family="{FONT}" fill="{AXIS}">',
    ]
    # the grid and ticks: every other month along, round values up
    for month in range(1, 13, 2):
        at = _n(x(date(year, month, 1)))
        out.append(f'<path d="M{at} {BOTTOM}V{TOP}" stroke="{GRID}" stroke-width="0.6"/>')
        out.append(f'<path d="M{at} {BOTTOM}v3.5" stroke="{AXIS}" stroke-width="0.8"/>')
        out.append(
            f'<text x="{at}" y="{BOTTOM + 13.16:.2f}" font-size="7" '
            f'text-anchor="middle">{month}月</text>'
        )
    for tick, text in zip(ticks, labels, strict=True):
        at = _n(y(tick))
        out.append(f'<path d="M{_n(left)} {at}H{RIGHT}" stroke="{GRID}" stroke-width="0.6"/>')
        out.append(f'<path d="M{_n(left)} {at}h-3.5" stroke="{AXIS}" stroke-width="0.8"/>')
        out.append(
            f'<text x="{_n(left - 7)}" y="{_n(y(tick) + 2.5)}" font-size="7" '
            f'text-anchor="end">{text}</text>'
        )
    out.append(
        f'<path d="M{_n(left)} {TOP}V{BOTTOM}H{RIGHT}" fill="none" stroke="{AXIS}" '
        'stroke-width="0.8"/>'
    )
    unit = escape(series.metric.unit)
    middle = _n((TOP + BOTTOM) / 2)
    out.append(
        f'<text x="13" y="{middle}" font-size="8" text-anchor="middle" '
        f'transform="rotate(-90 13 {middle})">{unit}</text>'
    )
    out.append(f'<g clip-path="url(#{clip})">')
    if series.pace:
        points = " L".join(f"{_n(x(d))} {_n(y(v))}" for d, v in series.pace)
        out.append(
            f'<path d="M{points}" fill="none" stroke="{PACE}" stroke-width="1.2" '
            'stroke-dasharray="4.44 1.92"/>'
        )
    for day, value in series.checkpoints:
        out.append(
            f'<rect x="{_n(x(day) - 3)}" y="{_n(y(value) - 3)}" width="6" height="6" '
            f'fill="#ffffff" stroke="{AXIS}" stroke-width="1"/>'
        )
    if series.reports:
        points = " L".join(f"{_n(x(d))} {_n(y(v))}" for d, v in series.reports)
        out.append(
            f'<path d="M{points}" fill="none" stroke="{AXIS}" stroke-width="1.6" '
            'stroke-linejoin="round"/>'
        )
        for day, value in series.reports:
            out.append(f'<circle cx="{_n(x(day))}" cy="{_n(y(value))}" r="2"/>')
    out.append("</g>")
    if not series.reports:
        out.append(
            f'<text x="{_n((left + RIGHT) / 2)}" y="{_n((TOP + BOTTOM) / 2 + 4)}" '
            f'font-size="11" text-anchor="middle" fill="{MUTED}">未报告</text>'
        )
    out.append("</g></svg>")
    return "\n".join(out)
