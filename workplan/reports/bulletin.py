"""The monthly bulletin (通报, 第N期): what reached 通报 in a month, by department."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, and_, func, or_, select

from workplan.notices.numbers import BULLETIN, assign
from workplan.plan.compiled import item_label
from workplan.plan.periods import month_end
from workplan.rules.kinds import rule_kind
from workplan.store.refs import PlanRef
from workplan.store.tables import T_BULLETIN, T_NOTICE, T_OBL, T_TASK


@dataclass(frozen=True)
class BulletinEntry:
    department: str
    item: int
    label: str
    item_title: str
    title: str
    deadline: str
    days_late: int | None
    """working days late on the day of the letter (as the letter says)"""
    on: date
    """The day of the 通报 letter (the day its facts are for), not the day first owed."""
    document: str | None
    """The 通报 letter's own number, once it was sent."""
    carried: bool = False
    """通报 in an earlier month and still not done at this month's end: an item at the top
    rung stays in every bulletin until it is closed (issue 22)"""


@dataclass
class Bulletin:
    plan: PlanRef
    month: date
    number: str | None
    entries: list[BulletinEntry] = field(default_factory=list)

    @property
    def month_label(self) -> str:
        return f"{self.month.year}年{self.month.month}月"

    def by_department(self) -> list[tuple[str, list[BulletinEntry]]]:
        grouped: dict[str, list[BulletinEntry]] = {}
        for e in self.entries:
            grouped.setdefault(e.department, []).append(e)
        return sorted(grouped.items(), key=lambda kv: (-len(kv[1]), kv[0]))


def bulletin_entries(conn: Connection, plan: PlanRef, month: date) -> list[BulletinEntry]:
    """Return what reached 通报 in the month, then what reached it earlier and was still not
    done at the month's end (carried): one entry per department and obligation, dated as its
    letter is dated, with the working days late the letter states.  The office's own items
    are entries like any department's; its copies of others' items are not."""
    first = month.replace(day=1)
    last = month_end(first.year, first.month)
    day = func.coalesce(T_NOTICE.c.as_of, T_NOTICE.c.evaluated_on)
    # still open at the month's end: a duty or deliverable not done by then, its item not
    # signed off by then (a checkpoint is met by a figure, not a done mark: it is not carried)
    after = datetime.combine(last + timedelta(days=1), time(), ZoneInfo(plan.timezone))
    open_then = and_(
        T_OBL.c.kind != "checkpoint",
        or_(T_OBL.c.done_on.is_(None), T_OBL.c.done_on > last),
        or_(T_TASK.c.signed_off_at.is_(None), T_TASK.c.signed_off_at >= after),
    )
    query = (
        select(
            T_NOTICE,
            T_TASK.c.number,
            T_TASK.c.title.label("task_title"),
            day.label("day"),
            (day < first).label("carried"),
        )
        .select_from(
            T_NOTICE.join(T_TASK, T_TASK.c.id == T_NOTICE.c.task_id).outerjoin(
                T_OBL, T_OBL.c.id == T_NOTICE.c.obligation_id
            )
        )
        .where(
            T_NOTICE.c.plan_id == plan.id,
            or_(and_(day >= first, day <= last), and_(day < first, open_then)),
            T_NOTICE.c.status != "superseded",
        )
        .order_by((day < first).desc(), day, T_NOTICE.c.id)
    )
    seen: set[tuple[str, str]] = set()
    out = []
    for r in conn.execute(query).mappings():
        # the letter goes to leadership (@…) and the office as well: the bulletin names
        # the departments that answer for the work
        if rule_kind(r["rule"]).letter_at(r["level"]) != "bulletin" or r["department"].startswith(
            "@"
        ):
            continue
        facts = json.loads(r["facts"])
        if r["department"] == plan.office and plan.office not in (facts.get("owners") or ()):
            continue  # the office's copy of another department's item
        about = str(facts.get("key") or facts.get("metric") or r["key"])
        if (r["department"], about) in seen:
            continue
        seen.add((r["department"], about))
        out.append(
            BulletinEntry(
                r["department"],
                r["number"],
                item_label(r["number"]),
                r["task_title"],
                str(facts.get("title") or about),
                str(facts.get("deadline") or r["due"]),
                facts.get("working_days_late"),
                r["day"],
                r["doc_number"],
                bool(r["carried"]),
            )
        )
    # this month's first, then those carried from earlier months (the order they were sent)
    return [e for e in out if not e.carried] + [e for e in out if e.carried]


def issue_number(conn: Connection, plan: PlanRef, month: date, day: date) -> str | None:
    """Return the month's bulletin number: the one it was issued under, else the next one.

    Call inside a write transaction; None when the plan does not number its bulletins.
    """
    key = f"{month:%Y-%m}"
    held = conn.execute(
        select(T_BULLETIN.c.number).where(
            T_BULLETIN.c.plan_id == plan.id, T_BULLETIN.c.month == key
        )
    ).scalar_one_or_none()
    if held is not None:
        return str(held)
    number = assign(conn, plan_id=plan.id, series=BULLETIN, day=day)
    if number is not None:
        conn.execute(
            T_BULLETIN.insert().values(plan_id=plan.id, month=key, number=number, issued_on=day)
        )
    return number
