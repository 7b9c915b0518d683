"""交办件: items created outside the plan file (会议议定事项, 领导批示, 上级交办, 清单条目).

A 交办件 is stored as an item of its plan numbered from its own series (item ASSIGNED + n,
shown as （交办n）), with its departments, its obligations and the plan's ladder: from then on
status, tick, letters, brief, agenda, bulletin, the pages and 销号 treat it as any item.  A
reload of the plan file neither diffs nor drops it (:func:`workplan.store.diff.read_stored`).
Its source (kind, document, leader, the plan item whose list it is an entry of) is the
``assign`` step of the cycle (:mod:`workplan.store.cycle`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select

from workplan.errors import NotFound, Refused
from workplan.i18n import L_
from workplan.plan.compiled import ASSIGNED, ObligationInfo, item_label
from workplan.plan.periods import shortcut
from workplan.plan.policy import Rules, rules_to_dict
from workplan.store import refs
from workplan.store.cycle import Actor, Where, record
from workplan.store.db import bulk_insert, dumps
from workplan.store.records import office_only
from workplan.store.rows import OBLIGATION_COLUMNS, obligation_row, rules_fingerprint
from workplan.store.tables import T_METRIC, T_OBL, T_OWNER, T_RULES, T_TASK

SOURCES = ("会议议定事项", "领导批示", "上级交办", "清单条目")
"""where a 交办件 comes from"""

CADENCES = ("week", "month", "quarter", "half-year")
"""how often a 交办件 with a cadence reports (every: of the plan file)"""


@dataclass(frozen=True)
class Order:
    """What the office assigns: the 交办单's content."""

    title: str
    source: str
    lead: tuple[str, ...]
    co: tuple[str, ...] = ()
    due: date | None = None
    every: str | None = None
    document: str | None = None
    leader: str | None = None
    list_of: str | None = None
    """the plan item whose list (清单) this is an entry of, as typed (二, 20)"""
    metric: str | None = None
    unit: str = ""
    target: float | None = None
    review: bool = False
    text: str = ""


@dataclass(frozen=True)
class Assigned:
    """A 交办件 as created."""

    plan: str
    number: int
    label: str
    task_id: int
    obligations: tuple[str, ...]
    lead: tuple[str, ...]
    co: tuple[str, ...]


def _check(order: Order, plan: refs.PlanRef, today: date) -> None:
    if not order.title.strip():
        raise Refused(L_("a 交办件 needs its title"), field="title")
    if order.source not in SOURCES:
        raise Refused(
            L_(
                "the source is one of {sources}, not '{source}'",
                sources=SOURCES,
                source=order.source,
            ),
            field="source",
        )
    if order.source == "领导批示" and not (order.leader or "").strip():
        raise Refused(L_("a 领导批示 names the leader who gave it (--leader)"), field="leader")
    if order.source == "清单条目" and not order.list_of:
        raise Refused(
            L_("a list entry names the plan item that makes the list (--item)"), field="item"
        )
    if order.due is None and order.every is None:
        raise Refused(
            L_("give the 交办件 a due date (--due), a cadence (--every) or both"), field="due"
        )
    if order.every is not None and order.every not in CADENCES:
        raise Refused(
            L_(
                "a cadence is one of {cadences}, not '{every}'",
                cadences=CADENCES,
                every=order.every,
            ),
            field="every",
        )
    if order.due is not None and order.due < today:
        raise Refused(
            L_("the due date {due} has passed (today is {today})", due=order.due, today=today),
            field="due",
        )
    if order.metric is not None and order.target is None:
        raise Refused(L_("a metric needs its target (--target)"), field="target")
    if not order.lead:
        raise Refused(L_("name the lead department (--lead)"), field="lead")
    del plan


def _ladder(plan: refs.PlanRef, order: Order) -> Rules:
    """The plan's own ladder (the one its items inherit), its reports reviewed (复核) where
    the order or the plan says so."""
    ladder = plan.settings.ladder
    if ladder is None:
        raise NotFound(
            L_(
                "plan {plan} was loaded by an earlier workplan: load it again to assign work",
                plan=plan.key,
            )
        )
    if order.review or plan.settings.cycle.needs_review:
        return replace(ladder, needs_review=True)
    return ladder


def _rules_id(conn: Connection, plan: refs.PlanRef, ladder: Rules) -> int:
    """A policy as stored in the plan (found, else added)."""
    fingerprint = rules_fingerprint(ladder)
    query = select(T_RULES.c.id).where(
        T_RULES.c.plan_id == plan.id, T_RULES.c.fingerprint == fingerprint
    )
    found = conn.execute(query).scalar()
    if found is not None:
        return int(found)
    values = {"plan_id": plan.id, "fingerprint": fingerprint, "body": dumps(rules_to_dict(ladder))}
    return int(conn.execute(insert(T_RULES).values(**values).returning(T_RULES.c.id)).scalar_one())


def _obligations(
    order: Order, number: int, owners: tuple[str, ...], rules: Rules, today: date, end: date
) -> list[ObligationInfo]:
    if order.every is not None:
        until = order.due or end
        return [
            ObligationInfo(
                number,
                f"report@{o.label}",
                "occurrence",
                "report",
                order.title,
                o.opens,
                o.due,
                None,
                None,
                owners,
                rules,
            )
            for o in shortcut(order.every, today, until, None)
            if o.due >= today
        ]
    assert order.due is not None  # checked by _check
    out = [
        ObligationInfo(
            number,
            "done",
            "deliverable",
            "done",
            order.title,
            today,
            order.due,
            None,
            None,
            owners,
            rules,
        )
    ]
    if order.metric is not None and order.target is not None:
        out.append(
            ObligationInfo(
                number,
                "metric#target",
                "checkpoint",
                "metric",
                order.metric,
                today,
                order.due,
                "metric",
                order.target,
                owners,
                rules,
            )
        )
    return out


def assign(
    conn: Connection,
    plan_key: str | None,
    order: Order,
    actor: Actor,
    *,
    today: date,
    now: datetime,
) -> Assigned:
    """Create a 交办件 from the office's order (in the caller's transaction)."""
    plan = refs.find_plan(conn, plan_key)
    who = refs.find_department(conn, plan, actor.department)
    office_only(plan, who, L_("assign work"))
    _check(order, plan, today)
    lead = tuple(refs.find_department(conn, plan, d) for d in order.lead)
    co = tuple(refs.find_department(conn, plan, d) for d in order.co if d not in order.lead)
    parent = refs.find_task(conn, plan, order.list_of) if order.list_of else None
    last = conn.execute(
        select(func.max(T_TASK.c.number)).where(T_TASK.c.plan_id == plan.id)
    ).scalar()
    number = max(int(last or 0), ASSIGNED) + 1
    text = order.text or order.title
    task_id = conn.execute(
        insert(T_TASK)
        .values(
            plan_id=plan.id,
            number=number,
            chapter=0,
            chapter_title="交办件",
            title=order.title.strip(),
            text=text,
            lead=dumps(list(lead)),
            co=dumps(list(co)),
            active=True,
        )
        .returning(T_TASK.c.id)
    ).scalar_one()
    owners = lead + co
    conn.execute(
        insert(T_OWNER),
        [{"task_id": task_id, "department": d, "role": "lead"} for d in lead]
        + [{"task_id": task_id, "department": d, "role": "co"} for d in co],
    )
    ladder = _ladder(plan, order)
    rules_id = _rules_id(conn, plan, ladder)
    end = plan.settings.period_or_year(plan.year)[1]
    made = _obligations(order, number, owners, ladder, today, end)
    if not made:
        raise Refused(
            L_("no report falls between {today} and {end}", today=today, end=order.due or end),
            field="every",
        )
    metric_id = None
    if order.metric is not None:
        metric_id = conn.execute(
            insert(T_METRIC)
            .values(
                plan_id=plan.id,
                task_id=task_id,
                key="metric",
                title=order.metric,
                unit=order.unit,
                direction="at_least",
                cumulative=True,
                baseline=0.0,
                target=order.target,
                target_by=order.due,
                rules_id=rules_id,
                active=True,
            )
            .returning(T_METRIC.c.id)
        ).scalar_one()
    rows = [
        obligation_row(plan.id, task_id, o, owners, rules_id, metric_id if o.metric else None)
        for o in made
    ]
    bulk_insert(conn, T_OBL, OBLIGATION_COLUMNS, rows)
    detail: dict[str, Any] = {
        "number": number - ASSIGNED,
        "source": order.source,
        "document": order.document,
        "leader": order.leader,
        "list_of": parent["number"] if parent else None,
        "review": ladder.needs_review,
        "due": order.due.isoformat() if order.due else None,
        "every": order.every,
    }
    task = dict(conn.execute(select(T_TASK).where(T_TASK.c.id == task_id)).mappings().one())
    record(
        conn,
        Where(plan, task, None),
        "assign",
        Actor(who, actor.by, actor.via, actor.address),
        day=today,
        now=now,
        reason=order.document,
        detail=detail,
    )
    return Assigned(
        plan.key, number, item_label(number), task_id, tuple(o.key for o in made), lead, co
    )
