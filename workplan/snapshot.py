"""Read one plan's state from the store in a few bulk queries, into plain immutable data."""

from __future__ import annotations

import json
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, select

from workplan.calendar import WorkCalendar
from workplan.expand import Rules, Step
from workplan.refs import PlanRef
from workplan.store import DepartmentRow, MetricRow, ObligationRow, ProgressRow, RulesRow, TaskRow

T_TASK = TaskRow.__table__  # type: ignore[attr-defined]
T_OBL = ObligationRow.__table__  # type: ignore[attr-defined]
T_METRIC = MetricRow.__table__  # type: ignore[attr-defined]
T_PROGRESS = ProgressRow.__table__  # type: ignore[attr-defined]
T_RULES = RulesRow.__table__  # type: ignore[attr-defined]
T_DEPT = DepartmentRow.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Department:
    name: str
    emails: tuple[str, ...]
    head_name: str | None
    head_email: str | None


@dataclass(frozen=True)
class Task:
    id: int
    number: int
    chapter: int
    chapter_title: str
    title: str
    lead: tuple[str, ...]
    co: tuple[str, ...]
    signed_off_at: datetime | None
    signed_off_by: str | None

    @property
    def owners(self) -> tuple[str, ...]:
        return self.lead + self.co


@dataclass(frozen=True)
class Metric:
    id: int
    task_id: int
    key: str
    title: str
    unit: str
    direction: str
    cumulative: bool
    baseline: float
    target: float | None
    target_by: date | None
    pace_start: date | None
    pace_until: date | None
    pace_tolerance: float | None
    report: str | None
    owners: tuple[str, ...]
    rules_id: int

    def meets(self, value: float, target: float) -> bool:
        """Return True when ``value`` satisfies ``target`` in this metric's direction."""
        return value >= target if self.direction == "at_least" else value <= target


@dataclass(frozen=True)
class Obligation:
    id: int
    task_id: int
    key: str
    kind: str
    source: str
    title: str
    opens: date | None
    due: date
    deadline: date
    metric_id: int | None
    target: float | None
    owners: tuple[str, ...]
    rules_id: int
    done_on: date | None
    done_by: str | None


@dataclass(frozen=True)
class Series:
    """A metric's reported values in date order."""

    days: tuple[date, ...] = ()
    values: tuple[float, ...] = ()

    def at(self, day: date) -> tuple[date, float] | None:
        """Return the latest (as_of, value) reported for a day on or before ``day``."""
        i = bisect_right(self.days, day)
        return (self.days[i - 1], self.values[i - 1]) if i else None

    def upto(self, day: date) -> Series:
        """Return the reports on or before ``day``."""
        i = bisect_right(self.days, day)
        return Series(self.days[:i], self.values[:i])


@dataclass
class Snapshot:
    """Everything the rules and reports need to know about one plan."""

    plan: PlanRef
    calendar: WorkCalendar
    departments: dict[str, Department]
    tasks: dict[int, Task]
    metrics: dict[int, Metric]
    obligations: list[Obligation]
    series: dict[int, Series] = field(default_factory=dict)
    rules: dict[int, Rules] = field(default_factory=dict)


def rules_from_json(body: str) -> Rules:
    raw = json.loads(body)
    return Rules(
        tuple(raw["remind"]),
        tuple(raw["remind_to"]),
        tuple(Step(s["level"], s["name"], s["after"], tuple(s["to"])) for s in raw["escalate"]),
    )


def plan_calendar(plan: PlanRef) -> WorkCalendar:
    """Return the working-day calendar a plan's settings describe."""
    s = plan.settings
    return WorkCalendar(
        s.get("country", "CN"),
        years=range(plan.year, plan.year + 2),
        extra_holidays=[date.fromisoformat(d) for d in s.get("extra_holidays", [])],
        extra_working_days=[date.fromisoformat(d) for d in s.get("extra_working_days", [])],
    )


def _owners(value: str | None, task: Task) -> tuple[str, ...]:
    return tuple(json.loads(value)) if value else task.owners


def read_snapshot(conn: Connection, plan: PlanRef, *, calendar: WorkCalendar | None = None) -> Snapshot:
    """Read the plan's active tasks, obligations, metrics, reports and rules."""
    tasks: dict[int, Task] = {}
    for r in conn.execute(select(T_TASK).where(T_TASK.c.plan_id == plan.id, T_TASK.c.active)).mappings():
        tasks[r["id"]] = Task(
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
    metrics: dict[int, Metric] = {}
    query = select(T_METRIC).where(T_METRIC.c.plan_id == plan.id, T_METRIC.c.active)
    for r in conn.execute(query).mappings():
        if r["task_id"] not in tasks:
            continue
        values: dict[str, Any] = {k: r[k] for k in Metric.__dataclass_fields__ if k != "owners"}
        metrics[r["id"]] = Metric(**values, owners=_owners(r["owners"], tasks[r["task_id"]]))
    obligations = []
    query = (
        select(T_OBL)
        .where(T_OBL.c.plan_id == plan.id, T_OBL.c.active)
        .order_by(T_OBL.c.deadline, T_OBL.c.id)
    )
    for r in conn.execute(query).mappings():
        if r["task_id"] not in tasks:
            continue
        values = {k: r[k] for k in Obligation.__dataclass_fields__ if k != "owners"}
        obligations.append(Obligation(**values, owners=_owners(r["owners"], tasks[r["task_id"]])))
    collected: dict[int, tuple[list[date], list[float]]] = {}
    query = (
        select(T_PROGRESS.c.metric_id, T_PROGRESS.c.as_of, T_PROGRESS.c.value)
        .where(T_PROGRESS.c.plan_id == plan.id, T_PROGRESS.c.value.is_not(None))
        .order_by(T_PROGRESS.c.metric_id, T_PROGRESS.c.as_of, T_PROGRESS.c.id)
    )
    for metric_id, as_of, value in conn.execute(query):
        days, values_ = collected.setdefault(metric_id, ([], []))
        days.append(as_of)
        values_.append(value)
    departments = {
        r.name: Department(r.name, tuple(json.loads(r.emails)), r.head_name, r.head_email)
        for r in conn.execute(select(T_DEPT).where(T_DEPT.c.plan_id == plan.id))
    }
    rules = {
        r.id: rules_from_json(r.body)
        for r in conn.execute(select(T_RULES).where(T_RULES.c.plan_id == plan.id))
    }
    return Snapshot(
        plan,
        calendar or plan_calendar(plan),
        departments,
        tasks,
        metrics,
        obligations,
        {m: Series(tuple(d), tuple(v)) for m, (d, v) in collected.items()},
        rules,
    )
