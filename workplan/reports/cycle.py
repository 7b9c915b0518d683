"""The office's cycle in the reports: the problems that need coordination (需协调解决的问题)
raised, resolved and open, the items paused (挂起) with their age and the reports waiting for
the office's review (待复核), for the brief's own section and the agenda (workplan.store.cycle)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Connection, select

from workplan.plan.compiled import item_label
from workplan.store.cycle_read import Problem, pauses, problems
from workplan.store.pending import awaiting_reports
from workplan.store.refs import PlanRef
from workplan.store.tables import T_TASK


@dataclass(frozen=True)
class Paused:
    """An item (or one of its obligations) paused on ``since``, ``days`` ago."""

    label: str
    title: str
    since: date
    days: int
    reason: str | None


@dataclass(frozen=True)
class CycleSection:
    """The cycle's section of a report, as it stood on ``as_of``."""

    raised: int
    """problems raised in the period"""
    resolved: int
    """problems decided in the period"""
    open: list[tuple[str, Problem]] = field(default_factory=list)
    """every problem not decided by ``as_of``, with its item's label"""
    decided: list[tuple[str, Problem]] = field(default_factory=list)
    """the problems decided in the period"""
    paused: list[Paused] = field(default_factory=list)
    awaiting: list[Awaiting] = field(default_factory=list)
    """the reports waiting for the office's review (待复核) on ``as_of``"""


@dataclass(frozen=True)
class Awaiting:
    """A report waiting for the office's review (复核) since ``since``, ``days`` ago."""

    label: str
    title: str
    department: str
    since: date
    days: int


def cycle_section(conn: Connection, plan: PlanRef, first: date, as_of: date) -> CycleSection:
    """Return the problems and pauses of the period from ``first`` to ``as_of``."""
    found = problems(conn, plan.id, as_of)
    raised = sum(1 for p in found if p.raised.day >= first)
    decided = [p for p in found if p.decided is not None and p.decided.day >= first]
    open_ = [p for p in found if p.decided is None]
    held = [p for p in pauses(conn, [plan.id], as_of) if p.until is None]
    tasks = {
        r.id: r
        for r in conn.execute(
            select(T_TASK.c.id, T_TASK.c.number, T_TASK.c.title).where(
                T_TASK.c.id.in_({p.task_id for p in held})
            )
        )
    }
    return CycleSection(
        raised,
        len(decided),
        [(item_label(p.raised.task), p) for p in open_],
        [(item_label(p.raised.task), p) for p in decided],
        [
            Paused(
                item_label(tasks[p.task_id].number),
                tasks[p.task_id].title,
                p.since,
                (as_of - p.since).days,
                p.reason,
            )
            for p in held
            if p.task_id in tasks
        ],
        [
            Awaiting(item_label(r.task), r.title, r.department, r.since, (as_of - r.since).days)
            for r in awaiting_reports(conn, [plan.id], as_of)
        ],
    )
