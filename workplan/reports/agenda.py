"""The deadlines falling in a period: what the next meeting must look at."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection

from workplan.errors import Refused
from workplan.i18n import L_
from workplan.plan.compiled import item_label
from workplan.rules.status import is_done
from workplan.store.facts_query import read_facts
from workplan.store.refs import PlanRef
from workplan.store.snapshot import read_tasks


@dataclass(frozen=True)
class AgendaEntry:
    deadline: date
    working_days: int
    """Working days from the first day of the period to the deadline."""
    item: int
    label: str
    item_title: str
    key: str
    title: str
    kind: str
    lead: tuple[str, ...]
    departments: tuple[str, ...]
    target: float | None
    unit: str
    done: bool
    """Done (or the checkpoint met) before the period starts."""


def agenda(
    conn: Connection,
    plan: PlanRef,
    start: date,
    end: date,
    department: str | None = None,
) -> list[AgendaEntry]:
    """Return the plan's deadlines from ``start`` to ``end``, earliest first.

    Items the office has signed off are left out; obligations already done when the period
    starts are kept and marked, so the meeting sees the whole month.
    """
    if end < start:
        raise Refused(
            L_("the period ends ({end}) before it starts ({start})", end=end, start=start),
            field="to",
        )
    tasks = read_tasks(conn, plan)
    facts, calendars = read_facts(conn, start, plan_ids=[plan.id], everything=True)
    calendar = calendars[plan.id]
    out = []
    for ob in facts[plan.id].obligations:
        task = tasks.get(ob.task_id)
        if task is None or task.signed_off_at is not None or not start <= ob.deadline <= end:
            continue
        if department is not None and department not in ob.owners:
            continue
        out.append(
            AgendaEntry(
                ob.deadline,
                calendar.count(start, ob.deadline),
                task.number,
                item_label(task.number),
                task.title,
                ob.key,
                ob.title,
                ob.kind,
                ob.lead,
                ob.owners,
                ob.target,
                ob.unit,
                is_done(ob, start),
            )
        )
    return sorted(out, key=lambda e: (e.deadline, e.item, e.key))
