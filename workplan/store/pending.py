"""The values that wait for the office's review (复核), as the facts carry them.

Where the plan says reports are reviewed (``needs_review``), a metric's value is stored
``review = 'pending'`` until the office accepts it (then it counts) or sends it back (then it
never counts).  While one waits, the department has done its part: the metric and its
checkpoints are neither met nor chased (``reported_on`` in the facts), and the office is
reminded after the plan's ``cycle.review_days``.  A ratio's parts wait on their ratio.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, func, select, update

from workplan.errors import Conflict
from workplan.i18n import L_
from workplan.store.facts import PlanFacts
from workplan.store.tables import T_CYCLE, T_METRIC, T_OBL, T_PROGRESS, T_RULES, T_TASK


@dataclass(frozen=True)
class PendingValue:
    """A metric (a ratio's part: its ratio) with a value waiting for review since ``since``."""

    plan_id: int
    task_id: int
    task: int
    metric_id: int
    key: str
    title: str
    department: str
    since: date


def pending_values(conn: Connection, plan_ids: list[int], as_of: date) -> list[PendingValue]:
    """The metrics of these plans with a value reported on or before ``as_of`` that waits
    for the office's review, each with its earliest such day (one row per metric)."""
    if not plan_ids:
        return []
    p, m, t = T_PROGRESS, T_METRIC, T_TASK
    rows = conn.execute(
        select(
            p.c.plan_id,
            m.c.task_id,
            t.c.number,
            m.c.id,
            m.c.key,
            m.c.title,
            m.c.part_of,
            func.min(p.c.department),
            func.min(p.c.as_of),
        )
        .select_from(p.join(m, m.c.id == p.c.metric_id).join(t, t.c.id == m.c.task_id))
        .where(
            p.c.review == "pending",
            p.c.plan_id.in_(plan_ids),
            p.c.as_of <= as_of,
            p.c.replaced_by.is_(None),
            t.c.active,
        )
        .group_by(p.c.plan_id, m.c.task_id, t.c.number, m.c.id, m.c.key, m.c.title, m.c.part_of)
    ).all()
    if not rows:
        return []
    ratios = {
        (r.task_id, r.key): (r.id, r.title)
        for r in conn.execute(
            select(m.c.id, m.c.task_id, m.c.key, m.c.title).where(
                m.c.task_id.in_({r.task_id for r in rows if r.part_of}), m.c.active
            )
        )
    }
    found: dict[int, PendingValue] = {}
    for plan_id, task_id, number, metric_id, key, title, part_of, department, since in rows:
        if part_of is not None and (task_id, part_of) in ratios:
            metric_id, title = ratios[task_id, part_of]
            key = part_of
        held = found.get(metric_id)
        if held is None or since < held.since:
            found[metric_id] = PendingValue(
                plan_id, task_id, number, metric_id, key, title, department, since
            )
    return sorted(found.values(), key=lambda v: (v.plan_id, v.since, v.metric_id))


def pending_of(conn: Connection, task_id: int) -> list[dict[str, Any]]:
    """An item's values waiting for the office's review, oldest first, each with the metric
    it is reviewed by (a ratio's part: its ratio's key and title)."""
    p, m = T_PROGRESS, T_METRIC
    metrics = {
        r.key: r for r in conn.execute(select(m.c.key, m.c.title).where(m.c.task_id == task_id))
    }
    rows = conn.execute(
        select(p.c.value, p.c.as_of, p.c.department, m.c.key, m.c.title, m.c.unit, m.c.part_of)
        .select_from(p.join(m, m.c.id == p.c.metric_id))
        .where(p.c.task_id == task_id, p.c.review == "pending", p.c.replaced_by.is_(None))
        .order_by(p.c.as_of, p.c.id)
    ).all()
    out = []
    for r in rows:
        whole = metrics.get(r.part_of) if r.part_of else None
        out.append(
            {
                "key": whole.key if whole else r.key,
                "title": whole.title if whole else r.title,
                "part": r.title if whole else None,
                "value": r.value,
                "unit": r.unit,
                "as_of": r.as_of,
                "department": r.department,
            }
        )
    return out


def with_pending(
    conn: Connection, facts: dict[int, PlanFacts], as_of: date
) -> dict[int, PlanFacts]:
    """The facts with each metric's value waiting for review marked (``reported_on``) on the
    metric and its checkpoints."""
    waiting = {v.metric_id: v.since for v in pending_values(conn, list(facts), as_of)}
    if not waiting:
        return facts
    for plan in facts.values():
        for o in plan.obligations:
            if o.metric_id in waiting and o.reported_on is None:
                o.reported_on = waiting[o.metric_id]
        for metric in plan.metrics:
            if metric.id in waiting:
                metric.reported_on = waiting[metric.id]
    return facts


def needs_review(conn: Connection, rules_id: int) -> bool:
    """Whether the policy stored as ``rules_id`` says its reports wait for the office."""
    body = conn.execute(select(T_RULES.c.body).where(T_RULES.c.id == rules_id)).scalar()
    return bool(json.loads(body or "{}").get("needs_review", False))


def report_done(
    conn: Connection,
    obligation: dict[str, Any],
    who: str,
    on: date,
    note: str | None,
    *,
    correct: bool,
) -> tuple[str, date | None]:
    """Record a report of an obligation whose reports are reviewed: it waits for the office
    (``reported_on``), it is not done yet.  Return the outcome (awaiting, already,
    corrected) and the day a correction replaced."""
    earlier = obligation["reported_on"]
    if earlier == on:
        return "already", None
    if earlier is not None and not correct:
        raise Conflict(
            L_(
                "{title} was reported done on {day} by {department} and waits for the office's "
                "review; this says {on}: to replace the day, record the correction with --correct",
                title=obligation["title"],
                day=earlier,
                department=obligation["done_by"],
                on=on,
            ),
            field="obligation",
        )
    conn.execute(
        update(T_OBL)
        .where(T_OBL.c.id == obligation["id"])
        .values(reported_on=on, done_by=who, done_note=note)
    )
    return ("corrected", earlier) if earlier is not None else ("awaiting", None)


@dataclass(frozen=True)
class Review:
    """A report waiting for the office's review (复核) since ``since``, or one the office sent
    back (退回) on ``since`` that its department has not made again."""

    plan_id: int
    task_id: int
    task: int
    title: str
    department: str
    """who reported it (and, sent back, who is told)"""
    since: date
    obligation_id: int | None
    metric_id: int | None
    deadline: date
    reason: str | None = None
    key: str = ""
    """the obligation's key, or the metric's"""


def awaiting_reports(conn: Connection, plan_ids: list[int], as_of: date) -> list[Review]:
    """The reports of these plans waiting for the office's review on ``as_of``: obligations
    reported done, metrics with a value pending (a ratio's part: on its ratio)."""
    o, t = T_OBL, T_TASK
    rows = conn.execute(
        select(o.c.id, o.c.plan_id, o.c.task_id, t.c.number, o.c.title, o.c.done_by, o.c.key)
        .add_columns(o.c.reported_on, o.c.deadline)
        .select_from(o.join(t, t.c.id == o.c.task_id))
        .where(
            o.c.reported_on.is_not(None),
            o.c.done_on.is_(None),
            o.c.plan_id.in_(plan_ids),
            o.c.reported_on <= as_of,
            o.c.active,
            t.c.active,
            t.c.signed_off_at.is_(None),
        )
        .order_by(o.c.reported_on, o.c.id)
    ).all()
    out = [
        Review(
            r.plan_id,
            r.task_id,
            r.number,
            r.title,
            r.done_by or "",
            r.reported_on,
            r.id,
            None,
            r.deadline,
            key=r.key,
        )
        for r in rows
    ]
    for v in pending_values(conn, plan_ids, as_of):
        out.append(
            Review(
                v.plan_id,
                v.task_id,
                v.task,
                v.title,
                v.department,
                v.since,
                None,
                v.metric_id,
                v.since,
                key=v.key,
            )
        )
    return out


def returned_reports(conn: Connection, plan_ids: list[int], as_of: date) -> list[Review]:
    """The reports of these plans the office sent back (退回) by ``as_of`` that their
    department has not made again: the last return of each obligation still open and not
    reported, of each metric with no value recorded since.  Its department is told."""
    c, o, t, p, m = T_CYCLE.c, T_OBL, T_TASK, T_PROGRESS, T_METRIC
    steps = conn.execute(
        select(c.id, c.plan_id, c.task_id, c.obligation_id, c.day, c.reason, c.detail)
        .add_columns(t.c.number, t.c.title)
        .select_from(T_CYCLE.join(t, t.c.id == c.task_id))
        .where(
            c.step == "return",
            c.plan_id.in_(plan_ids),
            c.day <= as_of,
            t.c.active,
            t.c.signed_off_at.is_(None),
        )
        .order_by(c.id)
    ).all()
    last: dict[tuple[str, int], Any] = {}
    for s in steps:
        detail = json.loads(s.detail or "{}")
        key = ("o", s.obligation_id) if s.obligation_id else ("m", detail.get("metric_id", 0))
        last[key] = (s, detail)
    out: list[Review] = []
    for (what, ident), (s, detail) in last.items():
        told = detail.get("done_by") or detail.get("department") or ""
        if what == "o":
            ob = conn.execute(
                select(o.c.key, o.c.title, o.c.deadline, o.c.done_on, o.c.reported_on)
                .add_columns(o.c.active)
                .where(o.c.id == ident)
            ).one()
            if not ob.active or ob.done_on is not None or ob.reported_on is not None:
                continue
            title, deadline, metric_id, key = ob.title, ob.deadline, None, ob.key
        else:
            parts = select(m.c.id).where(m.c.task_id == s.task_id, m.c.part_of == detail["metric"])
            since = max((v["id"] for v in detail.get("values", [])), default=0)
            newer = conn.execute(
                select(p.c.id)
                .where(
                    p.c.metric_id.in_([ident, *conn.execute(parts).scalars()]),
                    p.c.id > since,
                    p.c.value.is_not(None),
                )
                .limit(1)
            ).first()
            if newer is not None:
                continue
            title, deadline, metric_id = detail.get("title", s.title), s.day, ident
            key = detail["metric"]
        out.append(
            Review(
                s.plan_id,
                s.task_id,
                s.number,
                title,
                told,
                s.day,
                ident if what == "o" else None,
                metric_id,
                deadline,
                s.reason,
                key,
            )
        )
    return sorted(out, key=lambda r: (r.plan_id, r.since, r.task))
