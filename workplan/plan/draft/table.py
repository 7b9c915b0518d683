"""The 任务分解表 (task-breakdown table): a plan's obligations as an office writes them, one row
each (序号, 重点任务, 具体工作, 牵头单位, 责任单位, 完成时限, 节点目标, 备注), and back.

完成时限 is written in the office's words (“2023年6月底前”, “每月5日前”) and read back by the
same grammar that drafts plans from documents, so a table edited by hand is read as the office
meant it, and anything it cannot read is a positioned problem, never a guessed date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from workplan.plan.draft import grammar as g
from workplan.plan.draft.numerals import number

HEADERS = (
    "序号",
    "重点任务",
    "具体工作",
    "牵头单位",
    "责任单位",
    "完成时限",
    "节点目标",
    "备注",
    "编号",
)
KINDS = ("deliverables", "recurring", "standing", "metrics", "triggered")
_CN = "零一二三四"
_EVERY = {"month": "每月", "quarter": "每季度", "half-year": "每半年", "year": "每年"}
_EVERY |= {"term": "每学期", "2 months": "每两个月", "working-day": "每个工作日", "week": "每周"}
_REVIEW = {"week": "周", "month": "月", "quarter": "季度", "half-year": "半年", "year": "年"}
_WEEKDAY = {
    "mon": "一",
    "tue": "二",
    "wed": "三",
    "thu": "四",
    "fri": "五",
    "sat": "六",
    "sun": "日",
}
_STANDING = re.compile(r"^常态化（每(?P<c>周|月|季度|半年|年)报送开展情况）$")
_SINCE = re.compile(
    r"（(?:自(?P<f>\d{4}年\d{1,2}月\d{1,2}日)起)?(?:至(?P<u>\d{4}年\d{1,2}月\d{1,2}日)止?)?）$"
)
_AFTER = re.compile(r"^事件发生后(?P<n>\d+)个?(?P<u>工作日|日)内$")
_RRULE = re.compile(r"^按规则(?P<r>FREQ=\S+)$")
_POINT = re.compile(r"^(?P<when>.+?前)达到(?P<value>.+)$")
_TARGET = re.compile(r"^目标(?P<v>\d+(?:\.\d+)?)(?P<u>.*?)(?P<most>以内)?$")
_DAY = re.compile(r"(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})日")


@dataclass
class Row:
    """One row of the table, as written, and where it is (Sheet1:12)."""

    where: str
    item: int | None
    item_title: str
    work: str
    lead: list[str]
    co: list[str]
    when: str
    points: str
    note: str
    key: str
    cells: dict[str, str] = field(default_factory=dict)
    """Column letter of each header, for positioned problems."""
    chapter: str = ""
    """The chapter row above it (一、…), if the table has them."""


def _day_words(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def due_words(due: Any, year: int) -> str:
    """Return a due value as an office writes it: 2023年6月底前, 2023年第一季度, 2023年底前."""
    if due is None:
        return ""
    if isinstance(due, date):
        return f"{_day_words(due)}前"
    text = str(due)
    y = int(text[:4]) if text[:4].isdigit() else year
    period = (
        text[5:] if text[:4].isdigit() and text[4:5] == "-" and not text[5:].isdigit() else text
    )
    if re.fullmatch(r"\d{4}-\d{2}", text):
        return f"{y}年{int(text[5:])}月底前"
    if period == "year-end":
        return f"{y}年底前"
    if period.startswith("Q"):
        return f"{y}年第{_CN[int(period[1])]}季度"
    return f"{y}年{'上' if period == 'H1' else '下'}半年"


def _span(start: date | None, until: date | None) -> str:
    if not start and not until:
        return ""
    since = f"自{_day_words(start)}起" if start else ""
    return f"（{since}{f'至{_day_words(until)}止' if until else ''}）"


def when_words(kind: str, o: dict[str, Any], year: int) -> str:
    """Return 完成时限 of an obligation (its data as the plan file gives it)."""
    span = _span(o.get("from"), o.get("until"))
    if kind == "deliverables":
        return due_words(o.get("due"), year)
    if kind == "metrics":
        if o.get("every"):
            return _EVERY[o["every"]]
        return due_words(o.get("by"), year)
    if kind == "standing":
        return f"常态化（每{_REVIEW[o['review']]}报送开展情况）{span}"
    if kind == "triggered":
        n, _, unit = str(o["within"]).partition(" ")
        return f"事件发生后{n}个{'工作日' if unit.startswith('working') else '日'}内"
    if o.get("rrule"):
        return f"按规则{o['rrule']}{span}"
    every, day = o["every"], o.get("day")
    words = _EVERY[every]
    if every == "week" and day:
        words += _WEEKDAY[str(day)]
    elif day not in (None, -1) and every == "month":
        words += f"{day}日前"
    elif day not in (None, -1):
        words += f"最后一个月{day}日前"
    return words + span


def _value_words(value: Any, unit: str) -> str:
    if value == "pace":
        return "序时进度"
    if isinstance(value, dict):
        return "序时进度或全国平均水平"
    return f"{float(value):g}{unit}"


def points_words(m: dict[str, Any], year: int) -> str:
    """Return 节点目标 of a metric: its checkpoints and its target."""
    unit = m.get("unit", "")
    parts = [
        f"{due_words(c['by'], year)}达到{_value_words(c['value'], unit)}"
        for c in m.get("checkpoints", [])
    ]
    if m.get("target") is not None:
        most = "以内" if m.get("direction") == "at_most" else ""
        parts.append(f"目标{float(m['target']):g}{unit}{most}")
    return "；".join(parts)


def _date(text: str) -> date | None:
    m = _DAY.search(text)
    return date(int(m["y"]), int(m["m"]), int(m["d"])) if m else None


def read_when(kind: str, text: str, year: int) -> dict[str, Any]:
    """Read 完成时限 back into the keys of an obligation of ``kind``; raise ValueError."""
    text = text.strip()
    out: dict[str, Any] = {}
    if m := _SINCE.search(text):
        if m["f"]:
            out["from"] = _date(m["f"])
        if m["u"]:
            out["until"] = _date(m["u"])
        text = text[: m.start()]
    if not text:
        if kind in ("deliverables", "metrics"):
            return out
        raise ValueError("is empty: write when it is due, e.g. 2023年6月底前 or 每月5日前")
    if kind == "standing":
        if m := _STANDING.match(text):
            return out | {"review": next(k for k, v in _REVIEW.items() if v == m["c"])}
        raise ValueError("is not a standing duty's review: write e.g. 常态化（每季度报送开展情况）")
    if kind == "triggered":
        if m := _AFTER.match(text):
            unit = "working day" if m["u"] == "工作日" else "day"
            n = int(m["n"])
            return out | {"within": f"{n} {unit}{'s' if n != 1 else ''}"}
        raise ValueError("is not a span after the event: write e.g. 事件发生后5个工作日内")
    if kind == "recurring" and (m := _RRULE.match(text)):
        return out | {"rrule": m["r"]}
    phrases = g.read_clause(text, year)
    whole = [p for p in phrases if p.start == 0 and p.end == len(text)]
    if not whole:
        raise ValueError(
            "cannot be read as a date or a cadence: write e.g. 2023年6月底前, 每月5日前"
        )
    phrase = whole[0]
    if (
        isinstance(phrase, g.Cadence)
        and phrase.every is not None
        and kind in ("recurring", "metrics")
    ):
        out["every"] = phrase.every
        if phrase.day is not None and kind == "recurring":
            out["day"] = phrase.day
        return out
    if (
        isinstance(phrase, g.Deadline)
        and phrase.due is not None
        and kind in ("deliverables", "metrics")
    ):
        return out | {"due" if kind == "deliverables" else "by": phrase.due}
    raise ValueError("is no date or cadence this row can have: write e.g. 2023年6月底前, 每月5日前")


def read_points(text: str, m: dict[str, Any], year: int) -> dict[str, Any]:
    """Read 节点目标 back into a metric's checkpoints and target; raise ValueError."""
    out: dict[str, Any] = {}
    points = []
    old = {(str(c["by"])): c["value"] for c in m.get("checkpoints", [])}
    for part in [p for p in re.split(r"[；;]", text) if p.strip()]:
        part = part.strip()
        if t := _TARGET.match(part):
            out["target"] = float(t["v"])
            continue
        p = _POINT.match(part)
        if p is None:
            raise ValueError(f"“{part}” is neither 某日前达到X nor 目标X")
        due = read_when("deliverables", p["when"], year).get("due")
        if due is None:
            raise ValueError(f"“{p['when']}” is no date")
        words = p["value"]
        if "序时进度" in words:
            value: Any = old.get(str(due), "pace")
        else:
            figure = re.match(r"\d+(?:\.\d+)?", words)
            if figure is None:
                raise ValueError(f"“{words}” is no value")
            value = float(figure[0])
        points.append({"by": due, "value": value})
    if points or m.get("checkpoints"):
        out["checkpoints"] = points
    return out


def item_number(text: str) -> int | None:
    """Read 序号 as an office writes it: （十六）, 十六, 16."""
    core = text.strip().strip("()（）、.．")
    try:
        return number(core) if core else None
    except ValueError:
        return None
