"""What a reload would change: the stored plan read in a few bulk queries and compared with
the compiled one (pure), each difference said for the office to check."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, select

from workplan.i18n import L_, Language, Text, language, said
from workplan.plan.compiled import CompiledPlan, is_assigned, item_label
from workplan.store.db import dumps
from workplan.store.rows import aliases_json
from workplan.store.tables import T_DEPT, T_METRIC, T_OBL, T_TASK

_TASK_CHANGED = {
    "title": L_("task title changed"),
    "lead": L_("task lead changed"),
    "co": L_("task co changed"),
}


@dataclass(frozen=True)
class Change:
    """One difference between the stored plan and the file, for the office to check."""

    what: str | Text
    task: int | None = None
    key: str | None = None
    detail: str | Text = ""

    def __str__(self) -> str:
        return self.said("en")

    def said(self, lang: Language | None = None) -> str:
        """Return the change as the office reads it in ``lang`` (default: spoken now)."""
        where = f" {item_label(self.task)}" if self.task is not None else ""
        key = f" {self.key}" if self.key else ""
        lang = lang or language()
        detail = said(self.detail, lang)
        colon = "：" if lang == "zh" else ": "
        return f"{said(self.what, lang)}{where}{key}{colon + detail if detail else ''}"


@dataclass
class Stored:
    plan: dict[str, Any]
    departments: dict[str, dict[str, Any]]
    tasks: dict[int, dict[str, Any]]
    metrics: dict[tuple[int, str], dict[str, Any]]
    obligations: dict[tuple[int, str], dict[str, Any]]


def read_stored(conn: Connection, plan_id: int, plan: dict[str, Any]) -> Stored:
    def rows(table: Any) -> list[dict[str, Any]]:
        if table in (T_OBL, T_METRIC):
            # through the task: obligations and metrics are indexed by (task_id, key)
            query = select(table).join(T_TASK, T_TASK.c.id == table.c.task_id)
            return [
                dict(r._mapping) for r in conn.execute(query.where(T_TASK.c.plan_id == plan_id))
            ]
        return [
            dict(r._mapping) for r in conn.execute(select(table).where(table.c.plan_id == plan_id))
        ]

    # a 交办件 is no part of the plan file: a reload neither diffs nor drops it
    tasks = {r["number"]: r for r in rows(T_TASK) if not is_assigned(r["number"])}
    by_id = {r["id"]: n for n, r in tasks.items()}
    return Stored(
        plan,
        {r["name"]: r for r in rows(T_DEPT)},
        tasks,
        {(by_id[r["task_id"]], r["key"]): r for r in rows(T_METRIC) if r["task_id"] in by_id},
        {(by_id[r["task_id"]], r["key"]): r for r in rows(T_OBL) if r["task_id"] in by_id},
    )


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def diff(stored: Stored, plan: CompiledPlan) -> list[Change]:
    """Return what loading ``plan`` over ``stored`` changes, in a stable order."""
    out: list[Change] = []
    names = {d.name for d in plan.departments}
    for d in plan.departments:
        old = stored.departments.get(d.name)
        if old is None:
            out.append(Change(L_("department added"), detail=d.name))
        elif json.loads(old["emails"]) != list(d.emails) or old["head_email"] != d.head_email:
            out.append(Change(L_("department changed"), detail=d.name))
    out += [
        Change(L_("department dropped"), detail=n) for n in stored.departments if n not in names
    ]
    numbers = {t.number for t in plan.tasks}
    for t in plan.tasks:
        old = stored.tasks.get(t.number)
        if old is None or not old["active"]:
            out.append(Change(L_("task added"), t.number, detail=t.title))
            continue
        for name, new in (
            ("title", t.title),
            ("lead", dumps(list(t.lead))),
            ("co", dumps(list(t.co))),
        ):
            if old[name] != new:
                out.append(Change(_TASK_CHANGED[name], t.number, detail=f"{old[name]} → {new}"))
        if old["text"] != t.text:
            out.append(Change(L_("task text changed"), t.number))
    out += [
        Change(L_("task dropped"), n, detail=r["title"])
        for n, r in stored.tasks.items()
        if n not in numbers and r["active"]
    ]
    # a metric's new target is said once, not again for each checkpoint that carries it
    moved: set[tuple[int, str | None, float | None, float | None]] = set()
    metric_keys = {(m.task, m.key) for m in plan.metrics}
    for m in plan.metrics:
        old = stored.metrics.get((m.task, m.key))
        if old is not None and old["active"] and old["target"] != m.target:
            moved.add((m.task, m.key, old["target"], m.target))
            out.append(
                Change(
                    L_("target changed"), m.task, m.key, f"{_fmt(old['target'])} → {_fmt(m.target)}"
                )
            )
        if old is not None and old["active"] and old["aliases"] != aliases_json(m.aliases):
            out.append(
                Change(L_("aliases changed"), m.task, m.key, "、".join(m.aliases) or L_("none"))
            )
    keys = {(o.task, o.key) for o in plan.obligations}
    renamed: set[tuple[int, str]] = set()
    for o in plan.obligations:
        old = stored.obligations.get((o.task, o.key))
        if old is None or not old["active"]:
            if o.task in stored.tasks and stored.tasks[o.task]["active"]:
                out.append(
                    Change(L_("obligation added"), o.task, o.key, L_("due {day}", day=o.due))
                )
            continue
        if old["aliases"] != aliases_json(o.aliases) and (o.task, o.source) not in renamed:
            renamed.add((o.task, o.source))
            out.append(
                Change(L_("aliases changed"), o.task, o.source, "、".join(o.aliases) or L_("none"))
            )
        if old["due"] != o.due:
            out.append(Change(L_("date moved"), o.task, o.key, f"{old['due']} → {o.due}"))
        if old["target"] != o.target and (o.task, o.metric, old["target"], o.target) not in moved:
            out.append(
                Change(
                    L_("target changed"), o.task, o.key, f"{_fmt(old['target'])} → {_fmt(o.target)}"
                )
            )
    out += [
        Change(L_("obligation dropped"), task, key, L_("was due {day}", day=r["due"]))
        for (task, key), r in stored.obligations.items()
        if (task, key) not in keys and r["active"] and task in numbers
    ]
    out += [
        Change(L_("metric dropped"), task, key)
        for (task, key), r in stored.metrics.items()
        if (task, key) not in metric_keys and r["active"] and task in numbers
    ]
    return out
