"""The brief's charts, read back as SVG: every value where the axis says it is."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date

from workplan.reports.brief import MetricSeries
from workplan.reports.charts import metric_svg
from workplan.rules.status import MetricStatus

SVG = "{http://www.w3.org/2000/svg}"


def series(reports: list[tuple[date, float]], unit: str = "%") -> MetricSeries:
    metric = MetricStatus(
        "spend", "中央衔接资金支出进度", unit, "at_least", None, None, None, None, 100.0, "behind"
    )
    checkpoints = [(date(2023, 6, 30), 50.0), (date(2023, 12, 31), 100.0)]
    pace = [(date(2023, 1, 1), 0.0), (date(2023, 12, 31), 100.0)]
    return MetricSeries("（一）", metric, reports, checkpoints, pace)


def axis(svg: ET.Element) -> tuple[dict[float, float], dict[str, float]]:
    """The value of each tick label at its height, and the x of each month label."""
    values, months = {}, {}
    for text in svg.iter(f"{SVG}text"):
        label = text.text or ""
        if label.endswith("月"):
            months[label] = float(text.attrib["x"])
        elif text.attrib.get("text-anchor") == "end":
            values[float(text.attrib["y"]) - 2.5] = float(label)
    return values, months


def test_each_report_is_drawn_where_the_axes_put_it() -> None:
    reports = [(date(2023, 3, 31), 12.5), (date(2023, 5, 31), 31.0), (date(2023, 7, 31), 58.0)]
    svg = ET.fromstring(metric_svg(series(reports), 2023))
    values, months = axis(svg)
    assert list(months) == ["1月", "3月", "5月", "7月", "9月", "11月"]
    (top_y, top), (bottom_y, bottom) = min(values.items()), max(values.items())
    dots = [(float(c.attrib["cx"]), float(c.attrib["cy"])) for c in svg.iter(f"{SVG}circle")]
    assert len(dots) == 3
    for (day, value), (cx, cy) in zip(reports, dots, strict=True):
        # the height the tick labels give the value, and the place the month labels give the day
        expected_y = top_y + (top - value) / (top - bottom) * (bottom_y - top_y)
        assert abs(cy - expected_y) < 0.1, (value, cy, expected_y)
        assert months[f"{day.month}月"] < cx < months[f"{day.month}月"] + 35
    assert min(values.values()) <= 0 and max(values.values()) >= 100  # pace and checkpoints
    assert len(list(svg.iter(f"{SVG}rect"))) == 2 + 2  # background, clip box, two checkpoints


def test_a_metric_never_reported_says_so_and_the_same_chart_is_the_same_bytes() -> None:
    drawn = metric_svg(series([], unit="亿元"), 2023)
    assert "未报告" in drawn and "亿元" in drawn
    assert drawn == metric_svg(series([], unit="亿元"), 2023)
    assert not list(ET.fromstring(drawn).iter(f"{SVG}circle"))
