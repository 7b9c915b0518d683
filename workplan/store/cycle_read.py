"""Read the office's cycle (``cycle_step``): an item's history, the export, the pauses the
rules honour and the problems the agenda and the brief list.

Written by :mod:`workplan.store.cycle` (and :mod:`workplan.store.assign`); the scoring reads
the same rows.  The steps, in the words a clerk reads:
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, select

from workplan.plan.settings import PlanSettings
from workplan.store.facts import ObligationFacts, PlanFacts
from workplan.store.pending import Review, awaiting_reports, returned_reports
from workplan.store.tables import T_CYCLE, T_OBL, T_PLAN, T_TASK

WORDS: dict[str, tuple[str, str]] = {
    "assign": ("交办", "assigned"),
    "receipt": ("签收", "signed for"),
    "request": ("延期申请", "extension asked"),
    "approve": ("同意延期", "extension approved"),
    "refuse": ("不同意延期", "extension refused"),
    "accept": ("复核通过", "report accepted"),
    "return": ("退回", "report sent back"),
    "problem": ("提出问题", "problem raised"),
    "decide": ("问题决定", "problem decided"),
    "pause": ("挂起", "paused"),
    "resume": ("恢复", "resumed"),
}
"""each step's name in Chinese and English"""


@dataclass(frozen=True)
class Step:
    """One step of the cycle as stored."""

    id: int
    task: int
    obligation: str | None
    step: str
    department: str
    by: str
    via: str
    address: str | None
    day: date
    at: datetime
    reason: str | None
    detail: dict[str, Any] = field(default_factory=dict)
    answers: int | None = None

    @property
    def about(self) -> str | None:
        """What of the item it is about: the obligation's key, or the metric whose values
        were reviewed."""
        return self.obligation or self.detail.get("metric")

    def word(self, locale: str = "zh-CN") -> str:
        zh, en = WORDS.get(self.step, (self.step, self.step))
        return zh if locale != "en" else en

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "task": self.task,
            "obligation": self.obligation,
            "step": self.step,
            "department": self.department,
            "by": self.by,
            "via": self.via,
            "address": self.address,
            "day": self.day.isoformat(),
            "at": self.at.isoformat(),
            "reason": self.reason,
            "detail": self.detail,
            "answers": self.answers,
        }


def step_from_row(row: Any, number: int, obligation: str | None) -> Step:
    return Step(
        row["id"],
        number,
        obligation,
        row["step"],
        row["department"],
        row["by"],
        row["via"],
        row["address"],
        row["day"],
        row["at"],
        row["reason"],
        json.loads(row["detail"] or "{}"),
        row["answers"],
    )


def _query() -> Any:
    return (
        select(T_CYCLE, T_TASK.c.number, T_OBL.c.key.label("obligation_key"))
        .join(T_TASK, T_TASK.c.id == T_CYCLE.c.task_id)
        .outerjoin(T_OBL, T_OBL.c.id == T_CYCLE.c.obligation_id)
        .order_by(T_CYCLE.c.id)
    )


def _steps(conn: Connection, query: Any) -> list[Step]:
    return [
        step_from_row(r, r["number"], r["obligation_key"])
        for r in conn.execute(query).mappings().all()
    ]


def history(conn: Connection, task_id: int) -> list[Step]:
    """Every step of an item, in the order taken."""
    return _steps(conn, _query().where(T_CYCLE.c.task_id == task_id))


def plan_steps(conn: Connection, plan_id: int, as_of: date | None = None) -> list[Step]:
    """Every step of a plan (up to ``as_of``), in the order taken: the export."""
    query = _query().where(T_CYCLE.c.plan_id == plan_id)
    if as_of is not None:
        query = query.where(T_CYCLE.c.day <= as_of)
    return _steps(conn, query)


def latest(
    conn: Connection,
    task_id: int | None,
    step: str,
    *,
    department: str | None = None,
    obligation_id: int | None = None,
) -> Step | None:
    """The last step of a kind for an item (or an obligation), by a department if named."""
    query = _query().where(T_CYCLE.c.step == step)
    if task_id is not None:
        query = query.where(T_CYCLE.c.task_id == task_id)
    if obligation_id is not None:
        query = query.where(T_CYCLE.c.obligation_id == obligation_id)
    if department is not None:
        query = query.where(T_CYCLE.c.department == department)
    found = _steps(conn, query)
    return found[-1] if found else None


def open_pause(conn: Connection, task_id: int, obligation_id: int | None) -> Step | None:
    """The pause of an item (or of one obligation) not resumed yet."""
    query = _query().where(T_CYCLE.c.task_id == task_id, T_CYCLE.c.step.in_(("pause", "resume")))
    if obligation_id is None:
        query = query.where(T_CYCLE.c.obligation_id.is_(None))
    else:
        query = query.where(T_CYCLE.c.obligation_id == obligation_id)
    found = _steps(conn, query)
    return found[-1] if found and found[-1].step == "pause" else None


@dataclass(frozen=True)
class Pause:
    """An item or obligation paused on ``since`` (resumed on ``until``, if it is)."""

    task_id: int
    obligation_id: int | None
    since: date
    until: date | None
    reason: str | None

    def covers(self, o: ObligationFacts) -> bool:
        return o.task_id == self.task_id and self.obligation_id in (None, o.id)


def pauses(conn: Connection, plan_ids: list[int], as_of: date) -> list[Pause]:
    """The pauses of these plans as they stood on ``as_of``."""
    rows = conn.execute(
        select(
            T_CYCLE.c.id,
            T_CYCLE.c.task_id,
            T_CYCLE.c.obligation_id,
            T_CYCLE.c.step,
            T_CYCLE.c.day,
            T_CYCLE.c.reason,
            T_CYCLE.c.answers,
        )
        .where(
            T_CYCLE.c.plan_id.in_(plan_ids),
            T_CYCLE.c.step.in_(("pause", "resume")),
            T_CYCLE.c.day <= as_of,
        )
        .order_by(T_CYCLE.c.id)
    ).all()
    resumed = {r.answers: r.day for r in rows if r.step == "resume"}
    return [
        Pause(r.task_id, r.obligation_id, r.day, resumed.get(r.id), r.reason)
        for r in rows
        if r.step == "pause"
    ]


def with_pauses(conn: Connection, facts: dict[int, PlanFacts], as_of: date) -> dict[int, PlanFacts]:
    """The facts with the pauses applied: a paused obligation owes nothing (its ladder stops;
    its deadline stays), and one resumed after its deadline counts from the resume day."""
    found = pauses(conn, list(facts), as_of) if facts else []
    if not found:
        return facts
    out = {}
    for pid, plan in facts.items():
        kept = []
        for o in plan.obligations:
            mine = [p for p in found if p.covers(o)]
            if any(p.until is None for p in mine):
                continue
            restart = max((p.until for p in mine if p.until is not None), default=None)
            if restart is not None and o.deadline < restart:
                o = replace(o, deadline=restart)
            kept.append(o)
        out[pid] = replace(plan, obligations=tuple(kept))
    return out


@dataclass(frozen=True)
class Problem:
    """A problem raised against an item, with the office's decision once taken."""

    raised: Step
    decided: Step | None


def problems(conn: Connection, plan_id: int, as_of: date | None = None) -> list[Problem]:
    """The problems raised in a plan (up to ``as_of``), each with its decision if taken."""
    steps = [s for s in plan_steps(conn, plan_id, as_of) if s.step in ("problem", "decide")]
    decisions = {s.answers: s for s in steps if s.step == "decide"}
    return [Problem(s, decisions.get(s.id)) for s in steps if s.step == "problem"]


@dataclass(frozen=True)
class Unsigned:
    """A 交办件 a department has not signed for, with its first open obligation."""

    task_id: int
    task: int
    title: str
    department: str
    assigned_on: date
    obligation_id: int
    deadline: date
    owners: tuple[str, ...]


@dataclass(frozen=True)
class Waiting:
    """An extension request the office has not answered."""

    task_id: int
    task: int
    title: str
    department: str
    asked_on: date
    obligation_id: int
    deadline: date
    to: date


@dataclass(frozen=True)
class CycleFacts:
    """What the cycle owes notices for, in one plan: 交办件 not signed for, requests waiting,
    reports waiting for review (复核) and reports sent back (退回) not made again."""

    receipt_days: int
    answer_days: int
    unsigned: tuple[Unsigned, ...] = ()
    waiting: tuple[Waiting, ...] = ()
    review_days: int = 3
    awaiting: tuple[Review, ...] = ()
    returned: tuple[Review, ...] = ()


def cycle_facts(conn: Connection, plan_ids: list[int], as_of: date) -> dict[int, CycleFacts]:
    """The cycle's facts of each plan on ``as_of``: what its notices are owed for."""
    steps = conn.execute(
        select(
            T_CYCLE.c.id,
            T_CYCLE.c.plan_id,
            T_CYCLE.c.task_id,
            T_CYCLE.c.obligation_id,
            T_CYCLE.c.step,
            T_CYCLE.c.department,
            T_CYCLE.c.day,
            T_CYCLE.c.detail,
            T_CYCLE.c.answers,
        )
        .where(
            T_CYCLE.c.plan_id.in_(plan_ids),
            T_CYCLE.c.step.in_(("assign", "receipt", "request", "approve", "refuse")),
            T_CYCLE.c.day <= as_of,
        )
        .order_by(T_CYCLE.c.id)
    ).all()
    reviews = awaiting_reports(conn, plan_ids, as_of) if plan_ids else []
    sent_back = returned_reports(conn, plan_ids, as_of) if plan_ids else []
    if not steps and not reviews and not sent_back:
        return {}
    task_ids = {s.task_id for s in steps}
    tasks = {
        r.id: r
        for r in conn.execute(
            select(T_TASK.c.id, T_TASK.c.number, T_TASK.c.title, T_TASK.c.lead, T_TASK.c.co).where(
                T_TASK.c.id.in_(task_ids), T_TASK.c.active, T_TASK.c.signed_off_at.is_(None)
            )
        )
    }
    open_: dict[int, list[Any]] = {}
    for o in conn.execute(
        select(T_OBL.c.id, T_OBL.c.task_id, T_OBL.c.deadline)
        .where(T_OBL.c.task_id.in_(task_ids), T_OBL.c.active, T_OBL.c.done_on.is_(None))
        .order_by(T_OBL.c.deadline)
    ):
        open_.setdefault(o.task_id, []).append(o)
    signed = {(s.task_id, s.department) for s in steps if s.step == "receipt"}
    answered = {s.answers for s in steps if s.step in ("approve", "refuse")}
    settings = {
        r.id: PlanSettings.from_json(r.settings)
        for r in conn.execute(
            select(T_PLAN.c.id, T_PLAN.c.settings).where(T_PLAN.c.id.in_(plan_ids))
        )
    }
    out: dict[int, CycleFacts] = {}
    for pid in plan_ids:
        cycle = settings[pid].cycle
        unsigned, waiting = [], []
        for s in steps:
            task = tasks.get(s.task_id)
            if s.plan_id != pid or task is None or not open_.get(s.task_id):
                continue
            first = open_[s.task_id][0]
            if s.step == "assign":
                owners = (*json.loads(task.lead), *json.loads(task.co))
                unsigned += [
                    Unsigned(
                        s.task_id,
                        task.number,
                        task.title,
                        d,
                        s.day,
                        first.id,
                        first.deadline,
                        owners,
                    )
                    for d in owners
                    if (s.task_id, d) not in signed
                ]
            elif s.step == "request" and s.id not in answered:
                ob = next((o for o in open_[s.task_id] if o.id == s.obligation_id), None)
                if ob is not None:
                    to = date.fromisoformat(json.loads(s.detail)["to"])
                    waiting.append(
                        Waiting(
                            s.task_id,
                            task.number,
                            task.title,
                            s.department,
                            s.day,
                            ob.id,
                            ob.deadline,
                            to,
                        )
                    )
        out[pid] = CycleFacts(
            cycle.receipt_days,
            cycle.answer_days,
            tuple(unsigned),
            tuple(waiting),
            cycle.review_days,
            tuple(r for r in reviews if r.plan_id == pid),
            tuple(r for r in sent_back if r.plan_id == pid),
        )
    return out
