"""The record of each month: where every item and metric stood at its end, kept as written.

A month is closed once: its rows are inserted and never updated, so a report made later, an
extension or an amended plan changes today's status but never a closed month.  Closing a month
again writes nothing, also when two processes close it at once (two services' mornings, or the
service and ``workplan month close``): the second one's rows give way to the first one's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, func, select
from sqlalchemy.dialects import postgresql, sqlite

from workplan.store.tables import T_METRIC, T_MONTH, T_TASK


@dataclass(frozen=True, slots=True)
class MonthRow:
    """One item (subject "") or one of its metrics (subject: the metric's key) at a month's end."""

    task_id: int
    subject: str
    state: str
    colour: str | None = None
    category: str | None = None
    level: str | None = None
    """the escalation an overdue item had reached (催办, 督办, 通报 …)"""
    value: float | None = None
    target: float | None = None
    expected: float | None = None
    """序时进度 at the month's end"""
    gap: float | None = None
    """the value's gap to 序时进度 (positive: behind)"""


@dataclass(frozen=True, slots=True)
class Recorded:
    """A row of a closed month, with the item's number."""

    month: str
    number: int
    row: MonthRow
    as_of: date


def closed_months(conn: Connection, plan_id: int) -> list[str]:
    """Return the months of a plan already closed (YYYY-MM), oldest first."""
    query = (
        select(T_MONTH.c.month)
        .where(T_MONTH.c.plan_id == plan_id)
        .group_by(T_MONTH.c.month)
        .order_by(T_MONTH.c.month)
    )
    return [m for (m,) in conn.execute(query)]


def write_month(
    conn: Connection, plan_id: int, month: str, as_of: date, rows: list[MonthRow], now: datetime
) -> int:
    """Keep a month's rows unless the month is closed already; return how many were written."""
    held = conn.execute(
        select(func.count())
        .select_from(T_MONTH)
        .where(T_MONTH.c.plan_id == plan_id, T_MONTH.c.month == month)
    ).scalar_one()
    if held or not rows:
        return 0
    # another process may be closing the same month now, unseen until it commits: its rows win
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    written = conn.execute(
        dialect.insert(T_MONTH)
        .on_conflict_do_nothing(index_elements=["plan_id", "month", "task_id", "subject"])
        .returning(T_MONTH.c.task_id),
        [
            {
                "plan_id": plan_id,
                "month": month,
                "task_id": r.task_id,
                "subject": r.subject,
                "colour": r.colour,
                "category": r.category,
                "state": r.state,
                "level": r.level,
                "value": r.value,
                "target": r.target,
                "expected": r.expected,
                "gap": r.gap,
                "as_of": as_of,
                "closed_at": now,
            }
            for r in rows
        ],
    )
    return len(written.all())


def read_months(conn: Connection, plan_id: int, month: str | None = None) -> list[Recorded]:
    """Return the rows of a plan's closed months (or of one), by month, item and subject."""
    m, t = T_MONTH, T_TASK
    query = (
        select(
            m.c.month,
            t.c.number,
            m.c.task_id,
            m.c.subject,
            m.c.state,
            m.c.colour,
            m.c.category,
            m.c.level,
            m.c.value,
            m.c.target,
            m.c.expected,
            m.c.gap,
            m.c.as_of,
        )
        .select_from(m.join(t, t.c.id == m.c.task_id))
        .where(m.c.plan_id == plan_id)
        .order_by(m.c.month, t.c.number, m.c.subject)
    )
    if month is not None:
        query = query.where(m.c.month == month)
    return [
        Recorded(
            r.month,
            r.number,
            MonthRow(
                r.task_id,
                r.subject,
                r.state,
                r.colour,
                r.category,
                r.level,
                r.value,
                r.target,
                r.expected,
                r.gap,
            ),
            r.as_of,
        )
        for r in conn.execute(query)
    ]


def subject_titles(conn: Connection, plan_id: int) -> dict[tuple[int, str], str]:
    """Return the title of every item (subject "") and metric of a plan, by task id and subject."""
    out = {
        (r.id, ""): r.title
        for r in conn.execute(
            select(T_TASK.c.id, T_TASK.c.title).where(T_TASK.c.plan_id == plan_id)
        )
    }
    query = select(T_METRIC.c.task_id, T_METRIC.c.key, T_METRIC.c.title).where(
        T_METRIC.c.plan_id == plan_id
    )
    out.update({(r.task_id, r.key): r.title for r in conn.execute(query)})
    return out
