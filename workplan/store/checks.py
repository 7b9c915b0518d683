"""Check a report against its plan before it is recorded: its day, and a value against its metric.

Each check returns the reasons a value is impossible, in words a clerk can act on; the caller
refuses the report with them, or records it anyway (``--force``) with them as a note.
"""

from __future__ import annotations

from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import Connection, func, select

from workplan.errors import Refused
from workplan.plan.units import is_count, is_percent
from workplan.store import refs
from workplan.store.cells import Reading
from workplan.store.tables import T_OBL, T_PROGRESS, counted, standing

FAR = 10
"""a value more than this many times the plan's largest figure for its metric is a typo"""


class Reason(NamedTuple):
    """Why a value cannot be right: in English (the CLI's, and the note of a forced value)
    and in Chinese (the pages')."""

    en: str
    zh: str


def check_day(plan: refs.PlanRef, day: date, today: date | None) -> None:
    """Refuse a day outside the plan's period (and its grace), or after today."""
    start, end = refs.plan_span(plan)
    if not start <= day <= end:
        raise Refused(
            f"{day} is outside the plan's period ({start} – {end}): is the year right?",
            zh=f"{day}不在计划期内（{start}至{end}）：年份是否写错了？",
            field="as_of",
        )
    if today is not None and day > today:
        raise Refused(
            f"{day} is after today ({today}): a report says what has happened",
            zh=f"{day}晚于今天（{today}）：报送的是已经发生的情况，不能填以后的日期",
            field="as_of",
        )


def current_report(conn: Connection, metric_id: int, day: date) -> dict[str, Any] | None:
    """Return the report that stands for a metric on a day (the latest correction of it)."""
    p = T_PROGRESS
    row = (
        conn.execute(
            select(p)
            .where(
                p.c.metric_id == metric_id,
                p.c.as_of == day,
                p.c.value.is_not(None),
                p.c.replaced_by.is_(None),
                standing(p),
            )
            .order_by(p.c.id.desc())
            .limit(1)
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


def _neighbour(conn: Connection, metric_id: int, day: date, *, before: bool) -> Any:
    p = T_PROGRESS
    side = p.c.as_of < day if before else p.c.as_of > day
    order = (p.c.as_of.desc(), p.c.id.desc()) if before else (p.c.as_of.asc(), p.c.id.desc())
    return conn.execute(
        select(p.c.value, p.c.as_of)
        .where(
            p.c.metric_id == metric_id,
            side,
            p.c.value.is_not(None),
            p.c.replaced_by.is_(None),
            counted(p),
        )
        .order_by(*order)
        .limit(1)
    ).first()


def _g(value: float) -> str:
    return f"{value:g}"


def value_reasons(
    conn: Connection, metric: dict[str, Any], reading: Reading, day: date
) -> list[Reason]:
    """Return why a value cannot be right for its metric on a day (empty when it can)."""
    value, unit, title = reading.value, metric["unit"], metric["title"]
    reasons = []
    if is_percent(unit) and not reading.percent_sign and 0 < abs(value) < 1:
        whole = _g(round(value * 100, 8))
        reasons.append(
            Reason(
                f"{title} is a percentage and {_g(value)} looks like a fraction: write "
                f"{whole} for {whole}%, or {_g(value)}% if less than one per cent is meant",
                f"{title}是百分比，{_g(value)} 像是小数：{whole}% 请填 {whole}；"
                f"如确实不到百分之一，请填 {_g(value)}%",
            )
        )
    if is_count(unit) and value < 0:
        reasons.append(
            Reason(
                f"{title} is a count ({unit}) and cannot be negative: {_g(value)}",
                f"{title}是计数（{unit}），不能为负数：{_g(value)}",
            )
        )
    if metric["cumulative"]:
        up = metric["direction"] == "at_least"
        word, word_zh = ("go down", "减少") if up else ("go up", "增加")
        cumulative = f"{title}是累计数，不能{word_zh}"

        def backwards(first: float, then: float) -> bool:
            return then < first if up else then > first

        earlier = _neighbour(conn, metric["id"], day, before=True)
        later = _neighbour(conn, metric["id"], day, before=False)
        if earlier is not None and backwards(earlier.value, value):
            reasons.append(
                Reason(
                    f"{title} is cumulative and cannot {word}: {_g(value)} after "
                    f"{_g(earlier.value)} reported for {earlier.as_of}",
                    f"{cumulative}：{earlier.as_of}已报 {_g(earlier.value)}，本次为 {_g(value)}",
                )
            )
        elif earlier is None and backwards(metric["baseline"], value):
            reasons.append(
                Reason(
                    f"{title} is cumulative and cannot {word}: {_g(value)} from its "
                    f"starting value {_g(metric['baseline'])}",
                    f"{cumulative}：起始值为 {_g(metric['baseline'])}，本次为 {_g(value)}",
                )
            )
        if later is not None and backwards(value, later.value):
            reasons.append(
                Reason(
                    f"{title} is cumulative and cannot {word}: {_g(value)} before "
                    f"{_g(later.value)} reported for {later.as_of}",
                    f"{cumulative}：本次为 {_g(value)}，而{later.as_of}已报 {_g(later.value)}",
                )
            )
    figures = [metric["target"], metric["baseline"], _largest_checkpoint(conn, metric["id"])]
    largest = max((f for f in figures if f is not None), default=0.0)
    if is_percent(unit) and value > 100 and largest <= 100:
        reasons.append(
            Reason(
                f"{title} is a percentage: {_g(value)} is above 100",
                f"{title}是百分比：{_g(value)} 超过了 100",
            )
        )
    elif largest > 0 and value > FAR * largest:
        reasons.append(
            Reason(
                f"{title}: {_g(value)} is more than {FAR} times the plan's figure "
                f"({_g(largest)}{unit})",
                f"{title}：{_g(value)} 超过计划数值（{_g(largest)}{unit}）的 {FAR} 倍",
            )
        )
    return reasons


def _largest_checkpoint(conn: Connection, metric_id: int) -> float | None:
    query = select(func.max(T_OBL.c.target)).where(T_OBL.c.metric_id == metric_id, T_OBL.c.active)
    value = conn.execute(query).scalar()
    return float(value) if value is not None else None
