"""What the pages show, read from the same facts as `workplan status` and `workplan notices`."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, func, or_, select

from workplan.errors import NotFound
from workplan.i18n import L_
from workplan.notices import record as notices_record
from workplan.plan.compiled import item_label
from workplan.rules.evaluate import Intent, evaluate
from workplan.rules.kinds import LADDER
from workplan.rules.status import TaskStatus, is_done, task_statuses
from workplan.store.facts import ObligationFacts, PlanFacts
from workplan.store.facts_query import read_facts
from workplan.store.refs import PlanRef, find_task
from workplan.store.snapshot import read_tasks
from workplan.store.tables import (
    T_EVENT,
    T_METRIC,
    T_NOTICE,
    T_OBL,
    T_PROGRESS,
    T_TASK,
    T_WEB_REPORT,
)

SOON = timedelta(days=31)
"""How far ahead a department's page lists what it owes."""


@dataclass
class Standing:
    """A plan's items on a day, as `status` computes them, with the open obligations."""

    today: date
    items: list[TaskStatus]
    owed: dict[int, list[ObligationFacts]] = field(default_factory=dict)
    """by item number: open duties and deliverables due by ``today + SOON`` (or overdue);
    on a department's page, every open deliverable"""
    reports: dict[int, list[Intent]] = field(default_factory=dict)
    """by item number: the metric reports owed today (a period's figure not yet sent)"""
    parts: dict[tuple[int, str], list[Any]] = field(default_factory=dict)
    """by (item number, ratio metric key): the parts reported on their own (key, title, unit)"""


def standing(conn: Connection, plan: PlanRef, today: date, department: str | None) -> Standing:
    """Return where the plan's items stand on ``today``, optionally only a department's.

    One read of the facts, evaluated as `workplan status` evaluates them: nothing is owed
    for an item signed off (销号)."""
    tasks = read_tasks(conn, plan)
    everything, calendars = read_facts(
        conn, today, plan_ids=[plan.id], everything=True, ladder=LADDER
    )
    facts = everything[plan.id]
    if department is not None:
        facts = _of_items_of(facts, department)
    closed = {t.id for t in tasks.values() if t.signed_off_at is not None}
    intents = [i for i in evaluate(facts, today, calendars[plan.id]) if i.task_id not in closed]
    items = task_statuses(tasks, facts, intents, calendars[plan.id], today, department)
    shown = {i.number for i in items}
    owed: dict[int, list[ObligationFacts]] = {}
    for ob in sorted(facts.obligations, key=lambda o: (o.deadline, o.id)):
        if ob.task not in shown or ob.kind == "checkpoint" or is_done(ob, today):
            continue
        if department is not None and department not in ob.owners:
            continue
        # a department may finish a deliverable early: its page lists every open one
        early = department is not None and ob.kind == "deliverable"
        if ob.deadline <= today + SOON or early:
            owed.setdefault(ob.task, []).append(ob)
    reports: dict[int, list[Intent]] = {}
    for intent in intents:
        if (
            intent.kind.topic == "report"
            and intent.task in shown
            and (department is None or intent.department == department)
        ):
            reports.setdefault(intent.task, []).append(intent)
    return Standing(today, items, owed, reports, _ratio_parts(conn, plan))


def _of_items_of(facts: PlanFacts, department: str) -> PlanFacts:
    """The facts of the items a department answers for in any part, each item whole (its
    colour is its every obligation's): a department's page evaluates those alone."""
    mine = {o.task for o in facts.obligations if department in o.owners or department in o.lead}
    mine |= {m.task for m in facts.metrics if department in m.owners or department in m.lead}
    return replace(
        facts,
        obligations=tuple(o for o in facts.obligations if o.task in mine),
        metrics=tuple(m for m in facts.metrics if m.task in mine),
    )


def _ratio_parts(conn: Connection, plan: PlanRef) -> dict[tuple[int, str], list[Any]]:
    """A ratio's numerator and denominator, which its department reports on the page."""
    m = T_METRIC
    rows = conn.execute(
        select(T_TASK.c.number, m.c.part_of, m.c.key, m.c.title, m.c.unit)
        .join(T_TASK, T_TASK.c.id == m.c.task_id)
        .where(m.c.plan_id == plan.id, m.c.active, m.c.part.in_(("numerator", "denominator")))
        .order_by(m.c.id)
    ).all()
    out: dict[tuple[int, str], list[Any]] = {}
    for r in rows:
        out.setdefault((r.number, r.part_of), []).append(r)
    return out


def item_history(conn: Connection, plan: PlanRef, number: int) -> dict[str, Any]:
    """Return one item's record: reports, obligations done, notices, extensions, sign-off."""
    task = find_task(conn, plan, str(number))
    reports = conn.execute(
        select(
            T_PROGRESS.c.id,
            T_PROGRESS.c.as_of,
            T_PROGRESS.c.value,
            T_PROGRESS.c.department,
            T_PROGRESS.c.note,
            T_PROGRESS.c.recorded_at,
            T_PROGRESS.c.replaced_by,
            T_METRIC.c.title.label("metric"),
            T_METRIC.c.unit,
            T_WEB_REPORT.c.via,
            T_WEB_REPORT.c.address,
            T_WEB_REPORT.c.id.label("web_id"),
            T_WEB_REPORT.c.evidence_name,
        )
        .select_from(
            T_PROGRESS.outerjoin(T_METRIC, T_METRIC.c.id == T_PROGRESS.c.metric_id).outerjoin(
                T_WEB_REPORT, T_WEB_REPORT.c.progress_id == T_PROGRESS.c.id
            )
        )
        .where(T_PROGRESS.c.task_id == task["id"])
        .order_by(T_PROGRESS.c.recorded_at.desc(), T_PROGRESS.c.id.desc())
    ).mappings()
    done = conn.execute(
        select(
            T_OBL.c.key,
            T_OBL.c.title,
            T_OBL.c.deadline,
            T_OBL.c.done_on,
            T_OBL.c.reported_on,
            T_OBL.c.done_by,
            T_OBL.c.done_note,
            T_WEB_REPORT.c.via,
            T_WEB_REPORT.c.address,
            T_WEB_REPORT.c.at,
            T_WEB_REPORT.c.id.label("web_id"),
            T_WEB_REPORT.c.evidence_name,
        )
        .select_from(
            T_OBL.outerjoin(
                T_WEB_REPORT,
                (T_WEB_REPORT.c.obligation_id == T_OBL.c.id)
                & T_WEB_REPORT.c.action.in_(("done", "import")),
            )
        )
        .where(
            T_OBL.c.task_id == task["id"],
            or_(T_OBL.c.done_on.is_not(None), T_OBL.c.reported_on.is_not(None)),
        )
        .order_by(func.coalesce(T_OBL.c.done_on, T_OBL.c.reported_on).desc())
    ).mappings()
    notices = conn.execute(
        select(
            T_NOTICE.c.id,
            T_NOTICE.c.evaluated_on,
            T_NOTICE.c.level_name,
            T_NOTICE.c.department,
            T_NOTICE.c.due,
            notices_record.status_column().label("status"),
            T_NOTICE.c.sent_at,
            T_NOTICE.c.message_id,
            T_NOTICE.c.doc_number,
            T_NOTICE.c.as_of,
            T_NOTICE.c.facts,
        )
        .where(T_NOTICE.c.task_id == task["id"])
        .order_by(T_NOTICE.c.id.desc())
    ).mappings()
    events = conn.execute(
        select(T_EVENT.c.kind, T_EVENT.c.by, T_EVENT.c.detail, T_EVENT.c.at, T_OBL.c.key)
        .select_from(T_EVENT.outerjoin(T_OBL, T_OBL.c.id == T_EVENT.c.obligation_id))
        .where(T_EVENT.c.task_id == task["id"])
        .order_by(T_EVENT.c.at.desc())
    ).mappings()
    metrics = conn.execute(
        select(T_METRIC.c.key, T_METRIC.c.title, T_METRIC.c.unit)
        .where(T_METRIC.c.task_id == task["id"], T_METRIC.c.active)
        .order_by(T_METRIC.c.id)
    ).all()
    open_obligations = conn.execute(
        select(T_OBL.c.key, T_OBL.c.title, T_OBL.c.deadline)
        .where(
            T_OBL.c.task_id == task["id"],
            T_OBL.c.active,
            T_OBL.c.done_on.is_(None),
            T_OBL.c.reported_on.is_(None),
            T_OBL.c.kind != "checkpoint",
        )
        .order_by(T_OBL.c.deadline)
    ).all()
    return {
        "task": dict(task),
        "label": item_label(task["number"]),
        "owners": [*json.loads(task["lead"]), *json.loads(task["co"])],
        "reports": [dict(r) for r in reports],
        "done": [dict(r) for r in done],
        "notices": [{**dict(n), "about": json.loads(n["facts"]).get("title", "")} for n in notices],
        "events": [{**dict(e), "detail": json.loads(e["detail"])} for e in events],
        "metrics": metrics,
        "open": open_obligations,
    }


def recent_reports(
    conn: Connection, plan: PlanRef, department: str, today: date, limit: int = 5
) -> list[Any]:
    """Return a department's latest reports up to ``today``, each saying whether a
    correction replaced it."""
    p = T_PROGRESS
    return list(
        conn.execute(
            select(
                p.c.as_of,
                p.c.value,
                p.c.note,
                p.c.replaced_by,
                T_METRIC.c.title.label("metric"),
                T_METRIC.c.unit,
            )
            .select_from(p.outerjoin(T_METRIC, T_METRIC.c.id == p.c.metric_id))
            .where(p.c.plan_id == plan.id, p.c.department == department, p.c.as_of <= today)
            .order_by(p.c.id.desc())
            .limit(limit)
        ).all()
    )


def notices(
    conn: Connection,
    plan: PlanRef,
    *,
    status: str | None,
    department: str | None,
    item: int | None,
) -> list[dict[str, Any]]:
    """Return the notices record, filtered as `workplan notices` filters it."""
    rows = notices_record.listing(conn, plan, status=status, department=department, limit=500)
    if item is not None:
        rows = [r for r in rows if r["item"] == item]
    return rows


def last_value(conn: Connection, plan: PlanRef, task_ref: str, metric_key: str) -> float:
    """Return a metric's latest reported value, for "no change this month"."""
    task = find_task(conn, plan, task_ref)
    metric = conn.execute(
        select(T_METRIC.c.id, T_METRIC.c.title).where(
            T_METRIC.c.task_id == task["id"], T_METRIC.c.key == metric_key
        )
    ).first()
    if metric is None:
        label = item_label(task["number"])
        raise NotFound(L_("item {label} has no metric “{metric}”", label=label, metric=metric_key))
    value = conn.execute(
        select(T_PROGRESS.c.value)
        .where(T_PROGRESS.c.metric_id == metric.id, T_PROGRESS.c.value.is_not(None))
        .order_by(T_PROGRESS.c.as_of.desc(), T_PROGRESS.c.id.desc())
        .limit(1)
    ).scalar()
    if value is None:
        raise NotFound(
            L_(
                "{metric} has no value reported yet: report its value instead of “no change”",
                metric=metric.title,
            )
        )
    return float(value)
