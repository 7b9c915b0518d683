"""复核 and 退回: the office accepts a report or sends it back.

Where the plan says reports are reviewed (``needs_review``: on an obligation, a metric, an
item or plan-wide; a 交办件 with ``--review``), a report waits for the office:

- an obligation reported done keeps its report's day in ``reported_on`` and counts (``done_on``)
  only once the office accepts it, as of the day it was reported;
- a metric's value is stored ``review = 'pending'`` and counts only once accepted
  (:func:`workplan.store.tables.counted`).

While a report waits, the department has done its part: nothing is chased, and the office is
reminded after ``cycle.review_days`` working days (:mod:`workplan.rules.cycle`).  Sent back
(退回, with the reason), the obligation is open again from that day (its deadline, if passed,
becomes the return day: its ladder restarts), the value never counts, and the department is
told by a letter.  Each review is a step of ``cycle_step``, with what it reviewed.

Where no review applies, a report counts at once; the office may still accept it (an item
whose reports are all accepted is closed) or send it back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, select, update

from workplan.errors import Conflict, NotFound, Refused
from workplan.i18n import L_
from workplan.plan.calendar import calendar_for
from workplan.store import ratio, refs
from workplan.store.changes import facts_changed
from workplan.store.cycle import Actor, Where, _as, _only_obligation, _reason, locate, record
from workplan.store.cycle_read import Step, history, latest
from workplan.store.pending import needs_review
from workplan.store.records import office_only
from workplan.store.tables import T_METRIC, T_OBL, T_PROGRESS

REDO_DAYS = 3
"""working days a report sent back after its deadline has to be done again (as a 催办 gives
3 working days to answer): the 退回重办 letter is the first word, never a 催办 the next day"""


def _metric_named(conn: Connection, task: dict[str, Any], key: str) -> dict[str, Any] | None:
    """The metric ``key`` names (its id, title or an alias), if it names one."""
    if not key or any(mark in key for mark in "#@/"):
        return None
    try:
        return refs.find_metric(conn, task, key)
    except (NotFound, Refused):
        return None


def review(
    conn: Connection,
    plan_key: str | None,
    ref: str,
    actor: Actor,
    *,
    accept: bool,
    reason: str | None,
    today: date,
    now: datetime,
) -> Step:
    """The office accepts a report (复核通过) or sends it back (退回) with its reason.

    ``ref`` names an obligation (TASK/OBLIGATION, or TASK with one open) or a metric
    (TASK/METRIC: its values waiting for review)."""
    where = locate(conn, plan_key, ref.partition("/")[0])
    who = refs.find_department(conn, where.plan, actor.department)
    office_only(where.plan, who, L_("review a report"))
    key = ref.partition("/")[2]
    metric = _metric_named(conn, where.task, key)
    if metric is not None:
        decided = _Decided(accept, reason, today, now)
        return _review_values(conn, where, metric, _as(actor, who), decided)
    where = locate(conn, plan_key, ref)
    obligation = _only_obligation(conn, where)
    where = Where(where.plan, where.task, obligation)
    reviewed = needs_review(conn, obligation["rules_id"])
    accepted = latest(conn, None, "accept", obligation_id=obligation["id"])
    if accepted is not None:
        raise Conflict(
            L_(
                "the report of {title} was accepted on {day} by {by}: it is reviewed already",
                title=obligation["title"],
                day=accepted.day,
                by=accepted.by,
            )
        )
    day = obligation["reported_on"] if reviewed else obligation["done_on"]
    if day is None or (reviewed and obligation["done_on"] is not None):
        raise NotFound(
            L_("{title} has no report waiting for review", title=obligation["title"]),
            field="obligation",
        )
    report = {"reported_on": day.isoformat(), "done_by": obligation["done_by"]}
    if obligation["done_note"]:
        report["note"] = obligation["done_note"]
    if accept:
        if reviewed:  # it counts from now on, as of the day it was reported
            conn.execute(update(T_OBL).where(T_OBL.c.id == obligation["id"]).values(done_on=day))
            facts_changed(conn, [where.plan.id])
        step = _as(actor, who)
        return record(conn, where, "accept", step, day=today, now=now, reason=reason, detail=report)
    why = _reason(reason, L_("the reason for sending it back"))
    calendar = calendar_for(where.plan.settings.calendar, today.year)
    deadline = max(obligation["deadline"], calendar.after(today, REDO_DAYS))
    conn.execute(
        update(T_OBL)
        .where(T_OBL.c.id == obligation["id"])
        .values(done_on=None, reported_on=None, done_by=None, done_note=None, deadline=deadline)
    )
    report.update(deadline=obligation["deadline"].isoformat(), reopened_until=deadline.isoformat())
    return record(
        conn, where, "return", _as(actor, who), day=today, now=now, reason=why, detail=report
    )


@dataclass(frozen=True)
class _Decided:
    """The office's review: accepted or sent back, why, on which day and at which instant."""

    accept: bool
    reason: str | None
    today: date
    now: datetime


def _review_values(
    conn: Connection, where: Where, metric: dict[str, Any], actor: Actor, decided: _Decided
) -> Step:
    """Accept or send back a metric's values waiting for review (a ratio's: its parts')."""
    accept, reason, today, now = decided.accept, decided.reason, decided.today, decided.now
    m, p = T_METRIC, T_PROGRESS
    parts = select(m.c.id).where(m.c.task_id == metric["task_id"], m.c.part_of == metric["key"])
    ids = [metric["id"], *conn.execute(parts).scalars()]
    rows = (
        conn.execute(
            select(p.c.id, p.c.metric_id, p.c.value, p.c.as_of, p.c.department)
            .where(
                p.c.metric_id.in_(ids),
                p.c.review == "pending",
                p.c.replaced_by.is_(None),
                p.c.as_of <= today,
            )
            .order_by(p.c.as_of, p.c.id)
        )
        .mappings()
        .all()
    )
    if not rows:
        done = _last_values_review(conn, where, metric["key"])
        if done is not None and done.step == "accept":
            raise Conflict(
                L_(
                    "the values of {title} were accepted on {day} by {by}: none waits for review",
                    title=metric["title"],
                    day=done.day,
                    by=done.by,
                )
            )
        raise NotFound(L_("{title} has no value waiting for review", title=metric["title"]))
    why = reason if accept else _reason(reason, L_("the reason for sending it back"))
    state = "accepted" if accept else "returned"
    conn.execute(update(p).where(p.c.id.in_([r["id"] for r in rows])).values(review=state))
    if len(ids) > 1:  # a ratio: its % is derived from its parts' values that count
        ratio.derive(conn, metric, now)
    facts_changed(conn, [where.plan.id])
    detail = {
        "metric": metric["key"],
        "metric_id": metric["id"],
        "title": metric["title"],
        "values": [
            {"id": r["id"], "value": r["value"], "as_of": r["as_of"].isoformat()} for r in rows
        ],
        "department": rows[-1]["department"],
        "reported_on": rows[0]["as_of"].isoformat(),
    }
    step = "accept" if accept else "return"
    return record(conn, where, step, actor, day=today, now=now, reason=why, detail=detail)


def _last_values_review(conn: Connection, where: Where, key: str) -> Step | None:
    """The last review of a metric's values in an item."""
    steps = [
        s
        for s in history(conn, where.task["id"])
        if s.step in ("accept", "return") and s.detail.get("metric") == key
    ]
    return steps[-1] if steps else None
