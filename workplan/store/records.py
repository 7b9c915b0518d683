"""Record what departments report: metric values, notes, and obligations done."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, insert, or_, select, update

from workplan.errors import Conflict, Refused, Unreadable
from workplan.i18n import L_, Text, _, said
from workplan.plan.compiled import item_label
from workplan.store import ratio, refs
from workplan.store.cells import read_number
from workplan.store.changes import facts_changed
from workplan.store.checks import check_day, current_report, sentences, value_reasons
from workplan.store.db import dumps
from workplan.store.pending import needs_review, report_done
from workplan.store.tables import T_EVENT, T_METRIC, T_OBL, T_PROGRESS, T_TASK


@dataclass(frozen=True)
class Recorded:
    """What was recorded, to echo back to the user."""

    plan: str
    task: int
    what: str
    department: str
    as_of: date
    value: float | None = None
    unit: str | None = None
    outcome: str = "recorded"
    """recorded, already (the same report was recorded before) or corrected"""
    previous: float | date | None = None
    """what a correction replaced: the earlier value, or the earlier day done"""
    forced: tuple[str, ...] = ()
    """the checks a report was recorded against (--force)"""
    row_id: int | None = None
    """the progress row written, or the obligation marked done (None: nothing was written)"""
    kind: str = ""
    """the obligation's kind when one was marked done: an "outcome" was achieved"""
    derived: str | None = None
    """a ratio's part: what the ratio stands at that day (x / y = z%)"""
    title: str = ""
    """the metric's or the obligation's title, what a clerk reads for ``what``"""


def _local_day(at: datetime, zone: str) -> date:
    """The day an instant (aware, or naive in UTC) falls on in the plan's time zone."""
    aware = at if at.tzinfo else at.replace(tzinfo=UTC)
    return aware.astimezone(ZoneInfo(zone)).date()


def _owners(task: dict[str, Any], override: str | None = None) -> list[str]:
    if override is not None:
        return list(json.loads(override))
    return [*json.loads(task["lead"]), *json.loads(task["co"])]


def check_owner(
    plan: refs.PlanRef, task: dict[str, Any], department: str, owners: list[str]
) -> None:
    """Refuse a report from a department that does not answer for the item."""
    if department != plan.office and department not in owners:
        label = item_label(task["number"])
        raise Refused(
            L_(
                "{department} does not answer for item {label} (its departments: {owners}); "
                "only they or the office ({office}) may report on it",
                department=department,
                label=label,
                owners=owners,
                office=plan.office,
            ),
            field="department",
        )


def check_account(kind: str, note: str | None) -> None:
    """Refuse a standing duty's review (an obligation of ``kind`` standing) closed without its
    account of the period's work (the department's page asks for it; the office's commands do
    not)."""
    if kind == "standing" and not (note or "").strip():
        raise Refused(
            L_("a standing duty is reported done with a sentence on this period's work"),
            field="note",
        )


def _event(
    conn: Connection,
    plan: refs.PlanRef,
    task: dict[str, Any],
    obligation_id: int | None,
    kind: str,
    by: str,
    detail: dict[str, Any],
    at: datetime | None,
) -> None:
    """Keep one of the office's records: an extension, a sign-off, a correction (a change
    of the plan's facts: its marker moves, so the next tick evaluates the plan again)."""
    conn.execute(
        insert(T_EVENT).values(
            plan_id=plan.id,
            task_id=task["id"],
            obligation_id=obligation_id,
            kind=kind,
            by=by,
            detail=dumps(detail),
            at=at,
        )
    )
    facts_changed(conn, [plan.id])


def _with(note: str | None, more: str) -> str:
    return f"{note}；{more}" if note else more


def record_progress(
    conn: Connection,
    *,
    plan_key: str | None,
    task_ref: str,
    metric_key: str | None,
    value: float | str | None,
    as_of: date,
    department: str,
    note: str | None,
    now: datetime,
    today: date | None = None,
    force: bool = False,
    correct: bool = False,
    part: str | None = None,
) -> Recorded:
    """Record a metric's value (or a note) as of a day, by a department.

    The value is read as people write it (35%, 1.2亿, 4,927人) in the metric's unit.  A value
    already recorded for that day is not recorded twice; a different one is refused unless
    ``correct`` (the earlier stays in the history); a value the metric cannot take (a
    cumulative metric going down, a negative count, far beyond the plan's figures) is refused
    unless ``force``, which records it with the reasons as a note.  Days outside the plan's
    period, or after ``today``, are refused.
    """
    plan = refs.find_plan(conn, plan_key)
    task = refs.find_task(conn, plan, task_ref)
    who = refs.find_department(conn, plan, department)
    if value is None and not note:
        raise Refused(
            L_("give --value (for a metric) or --note (a report in words)"),
            field="value",
        )
    metric: dict[str, Any] | None = None
    if value is not None or metric_key is not None or part is not None:
        metric = _reported(conn, task, refs.find_metric(conn, task, metric_key), part)
    check_owner(plan, task, who, _owners(task, metric["owners"] if metric else None))
    check_day(plan, as_of, today)
    echo = Recorded(
        plan.key,
        task["number"],
        metric["key"] if metric else "note",
        who,
        as_of,
        None,
        metric["unit"] if metric else None,
        title=metric["title"] if metric else "",
    )
    number: float | None = None
    current: dict[str, Any] | None = None
    forced: list[str] = []
    if value is not None:
        assert metric is not None  # for mypy: found above whenever a value is given
        try:
            reading = read_number(value, metric["unit"], metric["title"])
        except Unreadable as exc:
            raise Refused(exc.message, field="value") from None
        number = reading.value
        echo = replace(echo, value=number)
        current = current_report(conn, metric["id"], as_of)
        if current is not None and math.isclose(current["value"], number, abs_tol=1e-9):
            return replace(echo, outcome="already")
        if current is not None and not correct:
            raise Conflict(
                L_(
                    "{metric} was reported as {earlier} for {day} (by {department}); this says "
                    "{value}: to replace the earlier value, record the correction with --correct",
                    metric=metric["title"],
                    earlier=current["value"],
                    day=as_of,
                    department=current["department"],
                    value=number,
                ),
                field="value",
            )
        reasons = value_reasons(conn, metric, reading, as_of)
        if reasons and not force:
            raise Refused(
                L_("{reasons}; to record it anyway, use --force", reasons=sentences(reasons)),
                field="value",
            )
        forced = [said(r) for r in reasons]
        if forced:
            note = _with(note, _("recorded with --force: {reasons}", reasons=sentences(reasons)))
    elif _same_note(conn, task["id"], metric, as_of, note):
        return replace(echo, outcome="already")
    new_id = conn.execute(
        insert(T_PROGRESS).values(
            plan_id=plan.id,
            task_id=task["id"],
            metric_id=metric["id"] if metric else None,
            value=number,
            as_of=as_of,
            department=who,
            note=note,
            recorded_at=now,
            review="pending" if metric and needs_review(conn, metric["rules_id"]) else None,
        )
    ).inserted_primary_key[0]  # type: ignore[index]
    echo = replace(echo, row_id=new_id)
    echo = _with_ratio(conn, metric, as_of, now, echo)
    facts_changed(conn, [plan.id])
    if current is None:
        return replace(echo, forced=tuple(forced))
    conn.execute(
        update(T_PROGRESS).where(T_PROGRESS.c.id == current["id"]).values(replaced_by=new_id)
    )
    detail = {"metric": echo.what, "as_of": as_of, "from": current["value"], "to": number}
    _event(conn, plan, task, None, "correct", who, detail, now)
    return replace(echo, outcome="corrected", previous=current["value"], forced=tuple(forced))


def _reported(
    conn: Connection, task: dict[str, Any], metric: dict[str, Any], part: str | None
) -> dict[str, Any]:
    """The metric a value is recorded on: a ratio's part when one is named.  A % reported on
    a ratio itself (a ledger that gives only the %) is taken as reported, without parts."""
    if part is not None:
        return refs.find_part(conn, task, metric, part)
    return metric


def _with_ratio(
    conn: Connection, metric: dict[str, Any] | None, as_of: date, now: datetime, echo: Recorded
) -> Recorded:
    """After a ratio's part is recorded: rewrite the ratio's derived values; the echo says
    the % it makes on that day."""
    if metric is None or metric["part"] not in ("numerator", "denominator"):
        return echo
    whole = (
        conn.execute(
            select(T_METRIC).where(
                T_METRIC.c.task_id == metric["task_id"], T_METRIC.c.key == metric["part_of"]
            )
        )
        .mappings()
        .one()
    )
    ratio.derive(conn, dict(whole), now)
    return replace(echo, derived=ratio.as_of(conn, dict(whole), as_of))


def _same_note(
    conn: Connection, task_id: int, metric: dict[str, Any] | None, day: date, note: str | None
) -> bool:
    p = T_PROGRESS
    found = conn.execute(
        select(p.c.id).where(
            p.c.task_id == task_id,
            p.c.metric_id == metric["id"] if metric else p.c.metric_id.is_(None),
            p.c.as_of == day,
            p.c.value.is_(None),
            p.c.note == note,
        )
    ).first()
    return found is not None


def mark_done(
    conn: Connection,
    *,
    plan_key: str | None,
    ref: str,
    department: str,
    on: date,
    note: str | None,
    today: date | None = None,
    period: str | None = None,
    correct: bool = False,
    now: datetime | None = None,
) -> Recorded:
    """Mark a deliverable or an occurrence of a duty done (TASK or TASK/OBLIGATION).

    A duty's occurrence is the one named (dispatch@2023-04, or ``period``), or else the one
    whose period contains ``on``, if open: never a guess (see :func:`refs.find_obligation`).
    Done again on the same day is already recorded; on another day it is refused unless
    ``correct``, which moves the day and keeps the earlier one in the office's record (at
    ``now``, which a correction needs).
    """
    plan = refs.find_plan(conn, plan_key)
    task_ref, _, key = ref.partition("/")
    task = refs.find_task(conn, plan, task_ref)
    try:
        check_day(plan, on, today)
    except Refused as wrong_day:
        # the day is wrong; a name that finds nothing, or a checkpoint, is said first
        try:
            named = refs.find_obligation(conn, task, key or None, None, period=period)
        except Refused:
            raise wrong_day from None
        if named["kind"] != "checkpoint":
            raise
    obligation = refs.find_obligation(conn, task, key or None, on, period=period)
    if obligation["kind"] == "checkpoint":
        raise Refused(
            L_(
                "{title} is a metric checkpoint: it is met by the values reported "
                "(workplan progress record {number} {source} --value …)",
                title=obligation["title"],
                number=task["number"],
                source=obligation["source"],
            ),
            field="obligation",
        )
    who = refs.find_department(conn, plan, department)
    check_owner(plan, task, who, _owners(task, obligation["owners"]))
    echo = Recorded(
        plan.key,
        task["number"],
        obligation["key"],
        who,
        on,
        kind=obligation["kind"],
        title=obligation["title"],
    )
    earlier = obligation["done_on"]
    if earlier is None and needs_review(conn, obligation["rules_id"]):
        # it waits for the office's review (复核): not done until accepted
        outcome, before = report_done(conn, obligation, who, on, note, correct=correct)
        if outcome != "already":
            facts_changed(conn, [plan.id])
        return replace(echo, outcome=outcome, previous=before, row_id=obligation["id"])
    if earlier == on:
        return replace(echo, outcome="already")
    if earlier is not None and (not correct or now is None):
        label = item_label(task["number"])
        raise Conflict(
            L_(
                "{title} of item {label} was already marked done on {earlier} by {by}; this "
                "says {on}: to replace the day, record the correction with --correct",
                title=obligation["title"],
                label=label,
                earlier=earlier,
                by=obligation["done_by"],
                on=on,
            ),
            field="obligation",
        )
    conn.execute(
        update(T_OBL)
        .where(T_OBL.c.id == obligation["id"])
        .values(done_on=on, done_by=who, done_note=note)
    )
    echo = replace(echo, row_id=obligation["id"])
    facts_changed(conn, [plan.id])
    if earlier is None:
        return echo
    detail = {"from": earlier, "to": on, "was_by": obligation["done_by"]}
    _event(conn, plan, task, obligation["id"], "correct", who, detail, now)
    return replace(echo, outcome="corrected", previous=earlier)


def office_only(plan: refs.PlanRef, who: str, action: Text) -> None:
    """Refuse ``action`` (an ``L_`` message: "answer an extension request") to any
    department but the coordination office."""
    if who != plan.office:
        raise Refused(
            L_(
                "only the coordination office ({office}) may {action}; {who} may not",
                office=plan.office,
                action=action,
                who=who,
            )
        )


def extend(
    conn: Connection,
    *,
    plan_key: str | None,
    ref: str,
    to: date,
    by: str,
    reason: str,
    now: datetime,
) -> Recorded:
    """Move an obligation's deadline (an extension granted by the office); its ladder restarts."""
    plan = refs.find_plan(conn, plan_key)
    task_ref, _, key = ref.partition("/")
    task = refs.find_task(conn, plan, task_ref)
    if not key:
        raise Refused(
            L_("name the obligation to extend: TASK/OBLIGATION, e.g. 16/project-library-2024"),
        )
    obligation = refs.find_obligation(conn, task, key, to)
    who = refs.find_department(conn, plan, by)
    office_only(plan, who, L_("grant an extension"))
    if not reason.strip():
        raise Refused(L_("give the reason for the extension (--reason)"))
    if to <= obligation["deadline"]:
        raise Refused(
            L_(
                "{title} is due {deadline}; an extension moves it later, not to {to}",
                title=obligation["title"],
                deadline=obligation["deadline"],
                to=to,
            )
        )
    conn.execute(update(T_OBL).where(T_OBL.c.id == obligation["id"]).values(deadline=to))
    detail = {"from": obligation["deadline"], "to": to, "reason": reason}
    _event(conn, plan, task, obligation["id"], "extend", who, detail, now)
    return Recorded(plan.key, task["number"], obligation["key"], who, to, title=obligation["title"])


def signoff(
    conn: Connection,
    *,
    plan_key: str | None,
    task_ref: str,
    by: str,
    note: str | None,
    force: bool,
    as_of: date,
    now: datetime,
) -> Recorded:
    """Close an item (销号): only the office may, and no notice is owed for it afterwards."""
    plan = refs.find_plan(conn, plan_key)
    task = refs.find_task(conn, plan, task_ref)
    who = refs.find_department(conn, plan, by)
    office_only(plan, who, L_("sign an item off (销号)"))
    label = item_label(task["number"])
    if task["signed_off_at"] is not None:
        raise Refused(
            L_(
                "item {label} was signed off on {day} by {by}",
                label=label,
                day=_local_day(task["signed_off_at"], plan.timezone),
                by=task["signed_off_by"],
            )
        )
    still_open = (
        conn.execute(
            select(T_OBL.c.key)
            .where(
                T_OBL.c.task_id == task["id"],
                T_OBL.c.active,
                T_OBL.c.kind != "checkpoint",
                or_(T_OBL.c.done_on.is_(None), T_OBL.c.done_on > as_of),
            )
            .order_by(T_OBL.c.deadline)
        )
        .scalars()
        .all()
    )
    if still_open and not force:
        raise Refused(
            L_(
                "item {label} still has {n} open obligation(s) ({keys}{more}); sign off anyway "
                "with --force",
                label=label,
                n=len(still_open),
                keys=still_open[:5],
                more=" …" if len(still_open) > 5 else "",
            )
        )
    conn.execute(
        update(T_TASK).where(T_TASK.c.id == task["id"]).values(signed_off_at=now, signed_off_by=who)
    )
    _event(conn, plan, task, None, "signoff", who, {"note": note, "open": list(still_open)}, now)
    return Recorded(plan.key, task["number"], "signed off", who, as_of)
