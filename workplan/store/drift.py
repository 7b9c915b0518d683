"""Drift: every deadline moved since the plan was issued, read from the office's records.

Three sources, each a record the store keeps already: extensions granted (``event`` rows of
kind ``extend``), amendments loaded (each plan version's "date moved" changes) and pauses
(挂起, from the ``cycle_step`` table where a database has one).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, select

from workplan.store.score_facts import cycle_steps
from workplan.store.tables import T_EVENT, T_OBL, T_TASK, T_VERSION


@dataclass(frozen=True, slots=True)
class Moved:
    """One deadline moved: by an extension, an amendment, or a pause (to: None while paused)."""

    task: int
    key: str
    title: str
    owners: tuple[str, ...]
    lead: tuple[str, ...]
    how: str
    """extension, amendment or pause"""
    before: date
    after: date | None
    on: date
    """the day it was decided (granted, loaded, paused)"""
    why: str = ""


def _day(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def moved_deadlines(conn: Connection, plan_id: int, zone: str) -> list[Moved]:
    """Return every deadline of a plan moved since it was issued, in the order decided."""
    from zoneinfo import ZoneInfo

    local = ZoneInfo(zone)
    o, t = T_OBL, T_TASK
    query = (
        select(o.c.id, t.c.number, o.c.key, o.c.title, o.c.deadline, o.c.owners, t.c.lead, t.c.co)
        .select_from(o.join(t, t.c.id == o.c.task_id))
        .where(o.c.plan_id == plan_id)
    )
    by_id: dict[int, tuple[int, str, str, tuple[str, ...], tuple[str, ...]]] = {}
    deadlines: dict[int, date] = {}
    by_key: dict[tuple[int, str], int] = {}
    for row in conn.execute(query):
        lead = tuple(json.loads(row.lead))
        owners = tuple(json.loads(row.owners)) if row.owners else lead + tuple(json.loads(row.co))
        by_id[row.id] = (row.number, row.key, row.title, owners, lead)
        deadlines[row.id] = row.deadline
        by_key[(row.number, row.key)] = row.id

    def made(
        obligation_id: int, how: str, before: date, after: date | None, on: date, why: str
    ) -> Moved:
        number, key, title, owners, lead = by_id[obligation_id]
        return Moved(number, key, title, owners, lead, how, before, after, on, why)

    out: list[tuple[datetime, Moved]] = []
    extensions = select(T_EVENT.c.obligation_id, T_EVENT.c.detail, T_EVENT.c.at).where(
        T_EVENT.c.plan_id == plan_id, T_EVENT.c.kind == "extend"
    )
    for ob, detail, at in conn.execute(extensions.order_by(T_EVENT.c.id)):
        d = json.loads(detail)
        on = at.astimezone(local).date()
        moved = made(ob, "extension", _day(d["from"]), _day(d["to"]), on, d.get("reason", ""))
        out.append((at.astimezone(local), moved))
    v = T_VERSION
    versions = (
        select(v.c.version, v.c.changes, v.c.loaded_at)
        .where(v.c.plan_id == plan_id)
        .order_by(v.c.version)
    )
    for version, changes, loaded_at in conn.execute(versions):
        for change in json.loads(changes):
            found = by_key.get((change.get("task"), change.get("key")))
            if change.get("what") != "date moved" or found is None:
                continue
            before, _, after = str(change["detail"]).partition(" → ")
            on = loaded_at.astimezone(local).date()
            moved = made(found, "amendment", _day(before), _day(after), on, f"v{version}")
            out.append((loaded_at.astimezone(local), moved))
    for step in cycle_steps(conn, set(by_id)):
        if step.step == "paused":
            # the deadline stays while paused: the row says since when
            ob = step.obligation_id
            when = datetime.combine(step.on, datetime.min.time(), local)
            out.append((when, made(ob, "pause", deadlines[ob], None, step.on, "")))
    return [m for _, m in sorted(out, key=lambda x: (x[0], x[1].task, x[1].key))]
