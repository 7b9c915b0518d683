"""Record what departments report: metric values, notes, and obligations done."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, insert, or_, select, update

from workplan.errors import Refused
from workplan.plan.compiled import item_label
from workplan.store import refs
from workplan.store.db import dumps
from workplan.store.tables import T_EVENT, T_OBL, T_PROGRESS, T_TASK


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


def check_owner(
    plan: refs.PlanRef, task: dict[str, Any], department: str, owners: list[str]
) -> None:
    """Refuse a report from a department that does not answer for the item."""
    if department != plan.office and department not in owners:
        raise Refused(
            f"{department} does not answer for item {item_label(task['number'])} "
            f"(its departments: {'、'.join(owners)}); only they or the office "
            f"({plan.office}) may report on it",
            field="department",
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
        raise Refused("give --value (for a metric) or --note (a report in words)", field="value")
    if value is not None and not math.isfinite(value):
        raise Refused(f"{value} is not a number a metric can take", field="value")
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
            f"(workplan progress record {task['number']} {obligation['source']} --value …)",
            field="obligation",
        )
    who = refs.find_department(conn, plan, department)
    check_owner(plan, task, who, _owners(task, obligation["owners"]))
    if obligation["done_on"] is not None:
        raise Refused(
            f"{obligation['key']} of item {item_label(task['number'])} was already marked done "
            f"on {obligation['done_on']} by {obligation['done_by']}",
            field="obligation",
        )
    conn.execute(
        update(T_OBL)
        .where(T_OBL.c.id == obligation["id"])
        .values(done_on=on, done_by=who, done_note=note)
    )
    return Recorded(plan.key, task["number"], obligation["key"], who, on)


def _office_only(plan: refs.PlanRef, who: str, action: str) -> None:
    if who != plan.office:
        raise Refused(f"only the coordination office ({plan.office}) may {action}; {who} may not")


def extend(
    conn: Connection,
    *,
    plan_key: str | None,
    ref: str,
    to: date,
    by: str,
    reason: str,
    now: datetime,
) -> Recorded:
    """Move an obligation's deadline (an extension granted by the office); its ladder restarts."""
    plan = refs.find_plan(conn, plan_key)
    task_ref, _, key = ref.partition("/")
    task = refs.find_task(conn, plan, task_ref)
    if not key:
        raise Refused(
            "name the obligation to extend: TASK/OBLIGATION, e.g. 16/project-library-2024"
        )
    obligation = refs.find_obligation(conn, task, key, to)
    who = refs.find_department(conn, plan, by)
    _office_only(plan, who, "grant an extension")
    if not reason.strip():
        raise Refused("give the reason for the extension (--reason)")
    if to <= obligation["deadline"]:
        raise Refused(
            f"{obligation['key']} is due {obligation['deadline']}; an extension moves it later, "
            f"not to {to}"
        )
    conn.execute(update(T_OBL).where(T_OBL.c.id == obligation["id"]).values(deadline=to))
    conn.execute(
        insert(T_EVENT).values(
            plan_id=plan.id,
            task_id=task["id"],
            obligation_id=obligation["id"],
            kind="extend",
            by=who,
            detail=dumps({"from": obligation["deadline"], "to": to, "reason": reason}),
            at=now,
        )
    )
    return Recorded(plan.key, task["number"], obligation["key"], who, to)


def signoff(
    conn: Connection,
    *,
    plan_key: str | None,
    task_ref: str,
    by: str,
    note: str | None,
    force: bool,
    as_of: date,
    now: datetime,
) -> Recorded:
    """Close an item (销号): only the office may, and no notice is owed for it afterwards."""
    plan = refs.find_plan(conn, plan_key)
    task = refs.find_task(conn, plan, task_ref)
    who = refs.find_department(conn, plan, by)
    _office_only(plan, who, "sign an item off (销号)")
    label = item_label(task["number"])
    if task["signed_off_at"] is not None:
        raise Refused(
            f"item {label} was signed off on {task['signed_off_at']:%Y-%m-%d} by {task['signed_off_by']}"
        )
    still_open = (
        conn.execute(
            select(T_OBL.c.key)
            .where(
                T_OBL.c.task_id == task["id"],
                T_OBL.c.active,
                T_OBL.c.kind != "checkpoint",
                or_(T_OBL.c.done_on.is_(None), T_OBL.c.done_on > as_of),
            )
            .order_by(T_OBL.c.deadline)
        )
        .scalars()
        .all()
    )
    if still_open and not force:
        shown = ", ".join(still_open[:5]) + (" …" if len(still_open) > 5 else "")
        raise Refused(
            f"item {label} still has {len(still_open)} open obligation(s) ({shown}); "
            "sign off anyway with --force"
        )
    conn.execute(
        update(T_TASK).where(T_TASK.c.id == task["id"]).values(signed_off_at=now, signed_off_by=who)
    )
    conn.execute(
        insert(T_EVENT).values(
            plan_id=plan.id,
            task_id=task["id"],
            kind="signoff",
            by=who,
            detail=dumps({"note": note, "open": list(still_open)}),
            at=now,
        )
    )
    return Recorded(plan.key, task["number"], "signed off", who, as_of)
