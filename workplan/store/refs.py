"""Find plans, tasks, obligations, metrics and departments from what a user types."""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, select

from workplan.errors import NotFound
from workplan.plan.compiled import CHINESE_DIGITS, item_label
from workplan.store.tables import T_DEPT, T_METRIC, T_OBL, T_PLAN, T_TASK


def parse_number(text: str) -> int | None:
    """Read an item number written as 16, 十六, (十六) or （十六）."""
    core = text.strip().strip("()（）")
    if core.isdigit():
        return int(core)
    if not core or any(c not in CHINESE_DIGITS + "十" for c in core):
        return None
    if "十" not in core:
        return CHINESE_DIGITS.index(core) if len(core) == 1 else None
    tens_text, _, ones_text = core.partition("十")
    if len(tens_text) > 1 or len(ones_text) > 1:
        return None
    tens = CHINESE_DIGITS.index(tens_text) if tens_text else 1
    ones = CHINESE_DIGITS.index(ones_text) if ones_text else 0
    return tens * 10 + ones


@dataclass(frozen=True)
class PlanRef:
    id: int
    key: str
    title: str
    timezone: str
    office: str
    year: int
    settings: dict[str, Any]
    locale: str = "zh-CN"


def _ref(row: Any) -> PlanRef:
    return PlanRef(
        row["id"],
        row["key"],
        row["title"],
        row["timezone"],
        row["office"],
        row["year"],
        json.loads(row["settings"]),
        row["locale"],
    )


def all_plans(conn: Connection, key: str | None) -> list[PlanRef]:
    """Return the plan named ``key``, or every plan when none is named."""
    if key is not None:
        return [find_plan(conn, key)]
    rows = conn.execute(select(T_PLAN).order_by(T_PLAN.c.key)).mappings().all()
    if not rows:
        raise NotFound("the database holds no plan: load one with `workplan load PLAN.yaml`")
    return [_ref(r) for r in rows]


def find_plan(conn: Connection, key: str | None) -> PlanRef:
    """Return the plan named ``key``, or the only plan when none is named."""
    rows = conn.execute(select(T_PLAN)).mappings().all()
    if not rows:
        raise NotFound("the database holds no plan: load one with `workplan load PLAN.yaml`")
    if key is None:
        if len(rows) > 1:
            names = ", ".join(sorted(r["key"] for r in rows))
            raise NotFound(f"the database holds several plans ({names}): choose one with --plan")
        row = rows[0]
    else:
        matches = [r for r in rows if r["key"] == key]
        if not matches:
            close = difflib.get_close_matches(key, [r["key"] for r in rows], n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise NotFound(f"no plan '{key}'{hint}")
        row = matches[0]
    return _ref(row)


def find_task(conn: Connection, plan: PlanRef, text: str) -> dict[str, Any]:
    """Return the active task row for an item number typed as 16 or 十六."""
    number = parse_number(text)
    if number is None:
        raise NotFound(f"'{text}' is not an item number (write 16, 十六 or （十六）)", field="item")
    row = (
        conn.execute(select(T_TASK).where(T_TASK.c.plan_id == plan.id, T_TASK.c.number == number))
        .mappings()
        .first()
    )
    if row is None or not row["active"]:
        raise NotFound(f"plan {plan.key} has no item {item_label(number)} ({number})", field="item")
    return dict(row)


def department_names(conn: Connection, plan: PlanRef) -> dict[str, str]:
    """Return every name and alias of the plan's departments, mapped to the canonical name."""
    out: dict[str, str] = {}
    for row in conn.execute(
        select(T_DEPT.c.name, T_DEPT.c.aliases).where(T_DEPT.c.plan_id == plan.id)
    ):
        out[row.name] = row.name
        for alias in json.loads(row.aliases):
            out[alias] = row.name
    return out


def find_department(conn: Connection, plan: PlanRef, name: str) -> str:
    """Return the canonical name of a department, suggesting the closest on a typo."""
    names = department_names(conn, plan)
    if name in names:
        return names[name]
    close = difflib.get_close_matches(name, list(names), n=1, cutoff=0.5)
    hint = f"; did you mean '{names[close[0]]}'?" if close else ""
    raise NotFound(f"plan {plan.key} has no department '{name}'{hint}", field="department")


def find_metric(conn: Connection, task: dict[str, Any], key: str | None) -> dict[str, Any]:
    """Return the task's metric ``key``, or its only metric when none is named."""
    rows = (
        conn.execute(select(T_METRIC).where(T_METRIC.c.task_id == task["id"], T_METRIC.c.active))
        .mappings()
        .all()
    )
    label = item_label(task["number"])
    if not rows:
        raise NotFound(
            f"item {label} has no metric; record a note with --note instead", field="metric"
        )
    if key is None:
        if len(rows) > 1:
            keys = ", ".join(r["key"] for r in rows)
            raise NotFound(f"item {label} has several metrics ({keys}): name one", field="metric")
        return dict(rows[0])
    for r in rows:
        if r["key"] == key:
            return dict(r)
    close = difflib.get_close_matches(key, [r["key"] for r in rows], n=1)
    hint = (
        f"; did you mean '{close[0]}'?"
        if close
        else f" (its metrics: {', '.join(r['key'] for r in rows)})"
    )
    raise NotFound(f"item {label} has no metric '{key}'{hint}", field="metric")


def find_obligation(
    conn: Connection, task: dict[str, Any], key: str | None, as_of: date
) -> dict[str, Any]:
    """Return an obligation of ``task`` by key; a duty's id alone means its earliest open
    occurrence that has begun; no key means the task's only open deliverable or occurrence."""
    rows = [
        dict(r)
        for r in conn.execute(
            select(T_OBL)
            .where(T_OBL.c.task_id == task["id"], T_OBL.c.active)
            .order_by(T_OBL.c.deadline, T_OBL.c.key)
        ).mappings()
    ]
    label = item_label(task["number"])
    if key is not None:
        exact = [r for r in rows if r["key"] == key]
        if exact:
            return exact[0]
        rows = [r for r in rows if r["source"] == key]
        if not rows:
            sources = sorted({r.source for r in _all(conn, task)})
            close = difflib.get_close_matches(key, sources, n=1)
            hint = (
                f"; did you mean '{close[0]}'?"
                if close
                else f" (its obligations: {', '.join(sources)})"
            )
            raise NotFound(f"item {label} has no obligation '{key}'{hint}", field="obligation")
    open_rows = [r for r in rows if r["done_on"] is None and r["kind"] != "checkpoint"]
    begun = [r for r in open_rows if r["opens"] is None or r["opens"] <= as_of]
    candidates = begun or open_rows
    if not candidates:
        raise NotFound(
            f"item {label}: nothing open{f' for {key}' if key else ''} to mark done",
            field="obligation",
        )
    if key is None and len({r["source"] for r in candidates}) > 1:
        keys = ", ".join(sorted({r["source"] for r in candidates}))
        raise NotFound(
            f"item {label} has several open obligations ({keys}): write {task['number']}/ID",
            field="obligation",
        )
    return candidates[0]


def _all(conn: Connection, task: dict[str, Any]) -> list[Any]:
    return list(
        conn.execute(select(T_OBL.c.source).where(T_OBL.c.task_id == task["id"], T_OBL.c.active))
    )
