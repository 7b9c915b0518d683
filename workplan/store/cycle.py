"""The office's cycle around an item, as records: every step one row of ``cycle_step``.

签收 (receipt), 延期申请 (request) and its answer (approve or refuse), 复核 (accept) and 退回
(return), 需协调解决的问题 (problem) and its decision, 挂起 (pause) and resume.  A step is never
changed or deleted: a later step answers an earlier one (``answers``).  Each step says who,
when (the business ``day`` and the instant ``at``), from where (``via``, ``address``) and why
(``reason``); what else it carries is JSON in ``detail``.  The readers (history, export, the
pauses the rules honour, the problems the agenda lists) are in :mod:`cycle_read`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from workplan.errors import Conflict, NotFound, Refused
from workplan.i18n import L_, Text
from workplan.plan.compiled import item_label
from workplan.store import refs
from workplan.store.changes import facts_changed
from workplan.store.cycle_read import Step, latest, open_pause, step_from_row
from workplan.store.db import dumps
from workplan.store.records import _owners, extend, office_only
from workplan.store.tables import T_CYCLE, T_OBL, T_TASK


@dataclass(frozen=True)
class Actor:
    """Who takes a step and from where: a department (or the office), by a command, a
    letter's link or the office's pages."""

    department: str
    by: str | None = None
    via: str = "cli"
    address: str | None = "cli"


@dataclass(frozen=True)
class Where:
    """The item (and obligation) a step is about."""

    plan: refs.PlanRef
    task: dict[str, Any]
    obligation: dict[str, Any] | None


def locate(conn: Connection, plan_key: str | None, ref: str, on: date | None = None) -> Where:
    """Find the item (TASK) or the obligation (TASK/OBLIGATION) a step is about."""
    plan = refs.find_plan(conn, plan_key)
    task_ref, _, key = ref.partition("/")
    task = refs.find_task(conn, plan, task_ref)
    obligation = refs.find_obligation(conn, task, key, on) if key else None
    return Where(plan, task, obligation)


def _only_obligation(conn: Connection, where: Where) -> dict[str, Any]:
    """The obligation named, or the item's only open one (a 交办件 has one)."""
    if where.obligation is not None:
        return where.obligation
    rows = (
        conn.execute(
            select(T_OBL).where(
                T_OBL.c.task_id == where.task["id"], T_OBL.c.active, T_OBL.c.kind != "checkpoint"
            )
        )
        .mappings()
        .all()
    )
    open_ = [dict(r) for r in rows if r["done_on"] is None] or [dict(r) for r in rows]
    if len(open_) != 1:
        label = item_label(where.task["number"])
        raise Refused(
            L_(
                "item {label} has {n} obligations ({keys}): name one as TASK/OBLIGATION",
                label=label,
                n=len(open_),
                keys=[r["key"] for r in open_[:6]],
            ),
            field="obligation",
        )
    return open_[0]


def record(
    conn: Connection,
    where: Where,
    step: str,
    actor: Actor,
    *,
    day: date,
    now: datetime,
    reason: str | None = None,
    detail: dict[str, Any] | None = None,
    answers: int | None = None,
    obligation_id: int | None = None,
) -> Step:
    """Append one step (in the caller's transaction) and return it as stored."""
    if obligation_id is None and where.obligation is not None:
        obligation_id = where.obligation["id"]
    values = {
        "plan_id": where.plan.id,
        "task_id": where.task["id"],
        "obligation_id": obligation_id,
        "step": step,
        "department": actor.department,
        "by": actor.by or actor.department,
        "via": actor.via,
        "address": actor.address,
        "day": day,
        "at": now,
        "reason": reason,
        "detail": dumps(detail or {}),
        "answers": answers,
    }
    new_id = conn.execute(insert(T_CYCLE).values(**values).returning(T_CYCLE.c.id)).scalar_one()
    facts_changed(conn, [where.plan.id])
    row = conn.execute(select(T_CYCLE).where(T_CYCLE.c.id == new_id)).mappings().one()
    return step_from_row(row, where.task["number"], obligation_key(conn, obligation_id))


def obligation_key(conn: Connection, obligation_id: int | None) -> str | None:
    if obligation_id is None:
        return None
    return conn.execute(select(T_OBL.c.key).where(T_OBL.c.id == obligation_id)).scalar()


def _owner(conn: Connection, where: Where, department: str, what: Text) -> str:
    """The department named, if it answers for the item; else refused (it cannot do
    ``what``: "sign for it")."""
    who = refs.find_department(conn, where.plan, department)
    owners = _owners(where.task, where.obligation["owners"] if where.obligation else None)
    if who not in owners:
        label = item_label(where.task["number"])
        raise Refused(
            L_(
                "{who} does not answer for item {label} (its departments: {owners}): "
                "it cannot {what}",
                who=who,
                label=label,
                owners=owners,
                what=what,
            ),
            field="department",
        )
    return who


def _reason(reason: str | None, what: Text) -> str:
    """The reason given, stripped; refused when there is none (``what``: "the reason for
    the extension")."""
    if not (reason or "").strip():
        raise Refused(L_("give {what}: --reason", what=what), field="reason")
    return (reason or "").strip()


# 签收 ---------------------------------------------------------------------------------------
def receipt(
    conn: Connection, plan_key: str | None, ref: str, actor: Actor, *, today: date, now: datetime
) -> tuple[Step, bool]:
    """Record that a department received the item (its 交办单 or a letter); return the step
    and whether it is new (a second receipt by the same department keeps the first)."""
    where = locate(conn, plan_key, ref)
    who = _owner(conn, where, actor.department, L_("sign for it"))
    earlier = latest(conn, where.task["id"], "receipt", department=who)
    if earlier is not None:
        return earlier, False
    return record(conn, where, "receipt", _as(actor, who), day=today, now=now), True


def _as(actor: Actor, department: str) -> Actor:
    return Actor(department, actor.by or department, actor.via, actor.address)


# 延期申请 -------------------------------------------------------------------------------------
def request_extension(
    conn: Connection,
    plan_key: str | None,
    ref: str,
    actor: Actor,
    *,
    to: date,
    reason: str | None,
    today: date,
    now: datetime,
) -> Step:
    """A department asks for more time, before the deadline, with its reason and new date."""
    where = locate(conn, plan_key, ref)
    obligation = _only_obligation(conn, where)
    where = Where(where.plan, where.task, obligation)
    who = _owner(conn, where, actor.department, L_("ask for an extension"))
    why = _reason(reason, L_("the reason for the extension"))
    deadline = obligation["deadline"]
    if today > deadline:
        raise Refused(
            L_(
                "{title} was due {deadline}: an extension is asked before the deadline, not "
                "after it (today is {today})",
                title=obligation["title"],
                deadline=deadline,
                today=today,
            ),
            field="to",
        )
    if to <= deadline:
        raise Refused(
            L_(
                "{title} is due {deadline}: ask for a later day than that, not {to}",
                title=obligation["title"],
                deadline=deadline,
                to=to,
            ),
            field="to",
        )
    pending = open_request(conn, obligation["id"])
    if pending is not None:
        raise Conflict(
            L_(
                "{department} asked on {day} already (to {to}); the office has not answered yet",
                department=pending.department,
                day=pending.day,
                to=date.fromisoformat(pending.detail["to"]),
            )
        )
    detail = {"to": to.isoformat(), "deadline": deadline.isoformat()}
    return record(
        conn, where, "request", _as(actor, who), day=today, now=now, reason=why, detail=detail
    )


def open_request(conn: Connection, obligation_id: int) -> Step | None:
    """The request of an obligation still waiting for the office's answer."""
    found = latest(conn, None, "request", obligation_id=obligation_id)
    if found is None:
        return None
    answered = conn.execute(select(T_CYCLE.c.id).where(T_CYCLE.c.answers == found.id)).first()
    return None if answered else found


def answer_request(
    conn: Connection,
    plan_key: str | None,
    ref: str,
    actor: Actor,
    *,
    approve: bool,
    reason: str | None,
    today: date,
    now: datetime,
) -> Step:
    """The office approves a request (the deadline moves: an extension) or refuses it with
    its reason (the ladder goes on)."""
    where = locate(conn, plan_key, ref)
    obligation = _only_obligation(conn, where)
    where = Where(where.plan, where.task, obligation)
    who = refs.find_department(conn, where.plan, actor.department)
    office_only(where.plan, who, L_("answer an extension request"))
    pending = open_request(conn, obligation["id"])
    if pending is None:
        raise NotFound(
            L_("no extension request of {title} waits for an answer", title=obligation["title"])
        )
    to = date.fromisoformat(pending.detail["to"])
    if not approve:
        why = _reason(reason, L_("the reason for refusing"))
        return record(
            conn,
            where,
            "refuse",
            _as(actor, who),
            day=today,
            now=now,
            reason=why,
            detail={"to": pending.detail["to"]},
            answers=pending.id,
        )
    extend(
        conn,
        plan_key=where.plan.key,
        ref=f"{where.task['number']}/{obligation['key']}",
        to=to,
        by=who,
        reason=reason or pending.reason or "",
        now=now,
    )
    return record(
        conn,
        where,
        "approve",
        _as(actor, who),
        day=today,
        now=now,
        reason=reason,
        detail={"from": obligation["deadline"].isoformat(), "to": to.isoformat()},
        answers=pending.id,
    )


# 复核 / 退回 (workplan.store.review) ---------------------------------------------------------


def close_if_all_accepted(conn: Connection, where: Where, by: str, now: datetime) -> bool:
    """Sign the item off (销号) once every obligation is done and every report accepted."""
    rows = conn.execute(
        select(T_OBL.c.id, T_OBL.c.done_on).where(
            T_OBL.c.task_id == where.task["id"], T_OBL.c.active, T_OBL.c.kind != "checkpoint"
        )
    ).all()
    if not rows or any(r.done_on is None for r in rows):
        return False
    accepted = set(
        conn.execute(
            select(T_CYCLE.c.obligation_id).where(
                T_CYCLE.c.task_id == where.task["id"], T_CYCLE.c.step == "accept"
            )
        ).scalars()
    )
    if any(r.id not in accepted for r in rows):
        return False
    task = conn.execute(select(T_TASK.c.signed_off_at).where(T_TASK.c.id == where.task["id"]))
    if task.scalar() is not None:
        return False
    conn.execute(
        update(T_TASK)
        .where(T_TASK.c.id == where.task["id"])
        .values(signed_off_at=now, signed_off_by=by)
    )
    return True


# 需协调解决的问题 ------------------------------------------------------------------------------
def raise_problem(
    conn: Connection,
    plan_key: str | None,
    ref: str,
    actor: Actor,
    *,
    text: str,
    today: date,
    now: datetime,
) -> Step:
    """A department raises a problem that needs coordination against an item."""
    where = locate(conn, plan_key, ref)
    who = refs.find_department(conn, where.plan, actor.department)
    if who != where.plan.office:
        who = _owner(conn, where, who, L_("raise a problem on it"))
    what = _reason(text, L_("the problem that needs coordination"))
    return record(conn, where, "problem", _as(actor, who), day=today, now=now, reason=what)


def decide_problem(
    conn: Connection,
    plan_key: str | None,
    problem_id: int,
    actor: Actor,
    *,
    decision: str,
    today: date,
    now: datetime,
    assigned: int | None = None,
) -> Step:
    """The office records the meeting's decision on a problem (it may become a 交办件:
    ``assigned`` is its item number)."""
    plan = refs.find_plan(conn, plan_key)
    row = (
        conn.execute(
            select(T_CYCLE).where(
                T_CYCLE.c.id == problem_id,
                T_CYCLE.c.plan_id == plan.id,
                T_CYCLE.c.step == "problem",
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound(L_("plan {plan} has no problem {number}", plan=plan.key, number=problem_id))
    decided = conn.execute(select(T_CYCLE.c.day).where(T_CYCLE.c.answers == problem_id)).first()
    if decided is not None:
        raise Conflict(
            L_("problem {number} was decided on {day}", number=problem_id, day=decided.day)
        )
    task = dict(conn.execute(select(T_TASK).where(T_TASK.c.id == row["task_id"])).mappings().one())
    where = Where(plan, task, None)
    who = refs.find_department(conn, plan, actor.department)
    office_only(plan, who, L_("decide a problem"))
    what = _reason(decision, L_("the decision"))
    detail = {"assigned": assigned} if assigned is not None else {}
    return record(
        conn,
        where,
        "decide",
        _as(actor, who),
        day=today,
        now=now,
        reason=what,
        detail=detail,
        answers=problem_id,
    )


# 挂起 -----------------------------------------------------------------------------------------
def pause(
    conn: Connection,
    plan_key: str | None,
    ref: str,
    actor: Actor,
    *,
    reason: str | None,
    resume: bool,
    today: date,
    now: datetime,
) -> Step:
    """Pause an item or an obligation (挂起: its ladder stops, its deadline stays), or resume
    it (its clock restarts that day)."""
    where = locate(conn, plan_key, ref)
    who = refs.find_department(conn, where.plan, actor.department)
    office_only(where.plan, who, L_("pause or resume an item"))
    obligation_id = where.obligation["id"] if where.obligation else None
    current = open_pause(conn, where.task["id"], obligation_id)
    label = item_label(where.task["number"])
    if resume:
        if current is None:
            raise Refused(L_("item {label} is not paused", label=label))
        days = (today - current.day).days
        return record(
            conn,
            where,
            "resume",
            _as(actor, who),
            day=today,
            now=now,
            reason=reason,
            detail={"paused_on": current.day.isoformat(), "days": days},
            answers=current.id,
        )
    if current is not None:
        raise Conflict(
            L_(
                "item {label} is paused since {day} ({reason})",
                label=label,
                day=current.day,
                reason=current.reason,
            )
        )
    why = _reason(reason, L_("the reason for pausing"))
    return record(conn, where, "pause", _as(actor, who), day=today, now=now, reason=why)


def detail_of(step: Any) -> dict[str, Any]:
    """The JSON detail of a stored step row."""
    return dict(json.loads(step["detail"] or "{}"))
