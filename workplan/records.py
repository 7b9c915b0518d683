"""Record what departments report: metric values, notes, and obligations done."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, insert, update

from workplan import refs
from workplan.errors import Refused
from workplan.expand import item_label
from workplan.store import ObligationRow, ProgressRow

T_PROGRESS = ProgressRow.__table__  # type: ignore[attr-defined]
T_OBL = ObligationRow.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Recorded:
    """What was recorded, to echo back to the user."""

    plan: str
    task: int
    what: str
    department: str
    as_of: date
    value: float | None = None
    unit: str | None = None


def _owners(task: dict[str, Any], override: str | None = None) -> list[str]:
    if override is not None:
        return list(json.loads(override))
    return [*json.loads(task["lead"]), *json.loads(task["co"])]


def check_owner(plan: refs.PlanRef, task: dict[str, Any], department: str, owners: list[str]) -> None:
    """Refuse a report from a department that does not answer for the item."""
    if department != plan.office and department not in owners:
        raise Refused(
            f"{department} does not answer for item {item_label(task['number'])} "
            f"(its departments: {'、'.join(owners)}); only they or the office "
            f"({plan.office}) may report on it"
        )


def record_progress(
    conn: Connection,
    *,
    plan_key: str | None,
    task_ref: str,
    metric_key: str | None,
    value: float | None,
    as_of: date,
    department: str,
    note: str | None,
    now: datetime,
) -> Recorded:
    """Record a metric's value (or a note) as of a day, by a department."""
    plan = refs.find_plan(conn, plan_key)
    task = refs.find_task(conn, plan, task_ref)
    who = refs.find_department(conn, plan, department)
    if value is None and not note:
        raise Refused("give --value (for a metric) or --note (a report in words)")
    if value is not None and not math.isfinite(value):
        raise Refused(f"{value} is not a number a metric can take")
    metric: dict[str, Any] | None = None
    if value is not None or metric_key is not None:
        metric = refs.find_metric(conn, task, metric_key)
    check_owner(plan, task, who, _owners(task, metric["owners"] if metric else None))
    conn.execute(
        insert(T_PROGRESS).values(
            plan_id=plan.id,
            task_id=task["id"],
            metric_id=metric["id"] if metric else None,
            value=value,
            as_of=as_of,
            department=who,
            note=note,
            recorded_at=now,
        )
    )
    return Recorded(
        plan.key,
        task["number"],
        metric["key"] if metric else "note",
        who,
        as_of,
        value,
        metric["unit"] if metric else None,
    )


def mark_done(
    conn: Connection,
    *,
    plan_key: str | None,
    ref: str,
    department: str,
    on: date,
    note: str | None,
) -> Recorded:
    """Mark a deliverable or an occurrence of a duty done (TASK or TASK/OBLIGATION)."""
    plan = refs.find_plan(conn, plan_key)
    task_ref, _, key = ref.partition("/")
    task = refs.find_task(conn, plan, task_ref)
    obligation = refs.find_obligation(conn, task, key or None, on)
    if obligation["kind"] == "checkpoint":
        raise Refused(
            f"{obligation['key']} is a metric checkpoint: it is met by the values reported "
            f"(workplan progress record {task['number']} {obligation['source']} --value …)"
        )
    who = refs.find_department(conn, plan, department)
    check_owner(plan, task, who, _owners(task, obligation["owners"]))
    if obligation["done_on"] is not None:
        raise Refused(
            f"{obligation['key']} of item {item_label(task['number'])} was already marked done "
            f"on {obligation['done_on']} by {obligation['done_by']}"
        )
    conn.execute(
        update(T_OBL)
        .where(T_OBL.c.id == obligation["id"])
        .values(done_on=on, done_by=who, done_note=note)
    )
    return Recorded(plan.key, task["number"], obligation["key"], who, on)
