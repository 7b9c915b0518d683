"""Read a plan's tasks and departments: the small tables the reports and notices need."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import Connection, select

from workplan.plan.policy import Rules, rules_from_dict
from workplan.store.facts import Task
from workplan.store.refs import PlanRef
from workplan.store.tables import T_DEPT, T_TASK


@dataclass(frozen=True)
class Department:
    name: str
    emails: tuple[str, ...]
    head_name: str | None
    head_email: str | None


def rules_from_json(body: str) -> Rules:
    """Rebuild a resolved policy from its stored JSON."""
    return rules_from_dict(json.loads(body))


def read_tasks(conn: Connection, plan: PlanRef) -> dict[int, Task]:
    """Return the plan's active tasks by id."""
    query = select(T_TASK).where(T_TASK.c.plan_id == plan.id, T_TASK.c.active)
    return {
        r["id"]: Task(
            r["id"],
            r["number"],
            r["chapter"],
            r["chapter_title"],
            r["title"],
            tuple(json.loads(r["lead"])),
            tuple(json.loads(r["co"])),
            r["signed_off_at"],
            r["signed_off_by"],
        )
        for r in conn.execute(query).mappings()
    }


def read_departments(conn: Connection, plan_id: int) -> dict[str, Department]:
    """Return the plan's departments by name."""
    return {
        r.name: Department(r.name, tuple(json.loads(r.emails)), r.head_name, r.head_email)
        for r in conn.execute(select(T_DEPT).where(T_DEPT.c.plan_id == plan_id))
    }
