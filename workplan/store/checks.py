"""Check a report against its plan before it is recorded: its day, and a value against its metric.

Each check returns the reasons a value is impossible, in words a clerk can act on; the caller
refuses the report with them, or records it anyway (``--force``) with them as a note.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, func, select

from workplan.errors import Refused
from workplan.i18n import L_, Text
from workplan.plan.units import is_count, is_percent
from workplan.store import refs
from workplan.store.cells import Reading
from workplan.store.tables import T_OBL, T_PROGRESS, counted, standing

FAR = 10
"""a value more than this many times the plan's largest figure for its metric is a typo"""


def sentences(reasons: list[Text]) -> Text:
    """The reasons as one message: a; b (in Chinese a；b)."""
    joined = reasons[0]
    for reason in reasons[1:]:
        joined = L_("{first}; {then}", first=joined, then=reason)
    return joined


def check_day(plan: refs.PlanRef, day: date, today: date | None) -> None:
    """Refuse a day outside the plan's period (and its grace), or after today."""
    start, end = refs.plan_span(plan)
    if not start <= day <= end:
        raise Refused(
            L_(
                "{day} is outside the plan's period ({start} – {end}): is the year right?",
                day=day,
                start=start,
                end=end,
            ),
            field="as_of",
        )
    if today is not None and day > today:
        raise Refused(
            L_(
                "{day} is after today ({today}): a report says what has happened",
                day=day,
                today=today,
            ),
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


def value_reasons(
    conn: Connection, metric: dict[str, Any], reading: Reading, day: date
) -> list[Text]:
    """Return why a value cannot be right for its metric on a day (empty when it can)."""
    value, unit, title = reading.value, metric["unit"], metric["title"]
    reasons = []
    if is_percent(unit) and not reading.percent_sign and 0 < abs(value) < 1:
        reasons.append(
            L_(
                "{title} is a percentage and {value} looks like a fraction: write {whole} for "
                "{whole}%, or {value}% when less than one per cent is meant",
                title=title,
                value=value,
                whole=round(value * 100, 8),
            )
        )
    if is_count(unit) and value < 0:
        reasons.append(
            L_(
                "{title} is a count ({unit}) and cannot be negative: {value}",
                title=title,
                unit=unit,
                value=value,
            )
        )
    if metric["cumulative"]:
        up = metric["direction"] == "at_least"
        cumulative = (
            L_("{title} is cumulative and cannot go down", title=title)
            if up
            else L_("{title} is cumulative and cannot go up", title=title)
        )

        def backwards(first: float, then: float) -> bool:
            return then < first if up else then > first

        earlier = _neighbour(conn, metric["id"], day, before=True)
        later = _neighbour(conn, metric["id"], day, before=False)
        if earlier is not None and backwards(earlier.value, value):
            reasons.append(
                L_(
                    "{cumulative}: {value} after {earlier} reported for {day}",
                    cumulative=cumulative,
                    value=value,
                    earlier=earlier.value,
                    day=earlier.as_of,
                )
            )
        elif earlier is None and backwards(metric["baseline"], value):
            reasons.append(
                L_(
                    "{cumulative}: {value} from its starting value {baseline}",
                    cumulative=cumulative,
                    value=value,
                    baseline=metric["baseline"],
                )
            )
        if later is not None and backwards(value, later.value):
            reasons.append(
                L_(
                    "{cumulative}: {value} before {later} reported for {day}",
                    cumulative=cumulative,
                    value=value,
                    later=later.value,
                    day=later.as_of,
                )
            )
    figures = [metric["target"], metric["baseline"], _largest_checkpoint(conn, metric["id"])]
    largest = max((f for f in figures if f is not None), default=0.0)
    if is_percent(unit) and value > 100 and largest <= 100:
        reasons.append(
            L_("{title} is a percentage: {value} is above 100", title=title, value=value)
        )
    elif largest > 0 and value > FAR * largest:
        reasons.append(
            L_(
                "{title}: {value} is more than {far} times the plan's figure ({largest}{unit})",
                title=title,
                value=value,
                far=FAR,
                largest=largest,
                unit=unit,
            )
        )
    return reasons


def _largest_checkpoint(conn: Connection, metric_id: int) -> float | None:
    query = select(func.max(T_OBL.c.target)).where(T_OBL.c.metric_id == metric_id, T_OBL.c.active)
    value = conn.execute(query).scalar()
    return float(value) if value is not None else None
