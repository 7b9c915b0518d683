"""Record the events that start a duty's clock, and make the occurrences they owe.

Recording ``flood-warning`` on a day makes one occurrence of every duty the plan ties to it,
due ``within`` after that day on the plan's working-day calendar; from then on it is chased,
reported done and shown like any other.  An event is recorded once per day: recording it
again for the same day is refused (nothing changes).  Reloading the plan keeps the occurrences
of the events recorded, with the plan's current titles, spans and owners.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, insert, select
from sqlalchemy.exc import IntegrityError

from workplan.errors import NotFound, Refused
from workplan.i18n import L_
from workplan.plan.calendar import calendar_for
from workplan.plan.compiled import CompiledPlan, ObligationInfo
from workplan.plan.events import TriggerInfo, event_due
from workplan.plan.settings import PlanSettings
from workplan.store import refs
from workplan.store.changes import facts_changed
from workplan.store.db import bulk_insert
from workplan.store.rows import OBLIGATION_COLUMNS, obligation_row, rules_fingerprint
from workplan.store.tables import T_OBL, T_OCCURRED, T_RULES, T_TASK


@dataclass(frozen=True)
class Made:
    """One occurrence an event made."""

    task: int
    key: str
    title: str
    due: date
    owners: tuple[str, ...]


@dataclass(frozen=True)
class EventRecord:
    """An event as recorded, with the occurrences it made (and how many are done)."""

    plan: str
    name: str
    title: str
    on: date
    by: str
    note: str | None
    at: datetime
    made: tuple[Made, ...] = ()
    done: int = 0


def _declared(plan: refs.PlanRef, name: str) -> str:
    """Return the event's description, or say which events the plan declares."""
    events = plan.settings.events
    if name in events:
        return events[name]
    if not events:
        raise NotFound(
            L_(
                "plan {plan} declares no events: add them under 'events:' with the duties "
                "they start ('triggered:' of an item)",
                plan=plan.key,
            ),
            field="event",
        )
    close = difflib.get_close_matches(name, list(events), n=1, cutoff=0.5)
    hint = L_("; did you mean '{name}'?", name=close[0]) if close else ""
    raise NotFound(
        L_(
            "plan {plan} has no event '{name}'{hint} (its events: {events})",
            plan=plan.key,
            name=name,
            hint=hint,
            events=sorted(events),
        ),
        field="event",
    )


def _in_period(plan: refs.PlanRef, on: date, today: date) -> None:
    start, end = plan.settings.period_or_year(plan.year)
    if not start <= on <= end:
        raise Refused(
            L_(
                "{day} is outside the plan's period ({start} – {end}): is the year right?",
                day=on,
                start=start,
                end=end,
            ),
            field="on",
        )
    if on > today:
        raise Refused(
            L_(
                "{day} is after today ({today}): record an event once it has happened",
                day=on,
                today=today,
            ),
            field="on",
        )


def instantiate(
    trigger: TriggerInfo,
    on: date,
    event_title: str,
    is_working: Callable[[date], bool],
    locale: str = "zh-CN",
) -> ObligationInfo:
    """Return the occurrence an event on ``on`` makes of a triggered duty (pure)."""
    suffix = f" ({event_title})" if locale == "en" else f"（{event_title}）"
    return ObligationInfo(
        trigger.task,
        f"{trigger.key}@{on.isoformat()}",
        "occurrence",
        trigger.key,
        trigger.title + suffix,
        on,
        event_due(on, trigger.within, is_working),
        None,
        None,
        trigger.owners,
        trigger.rules,
        trigger.aliases,
    )


def occurrences(
    settings: PlanSettings, year: int, recorded: list[tuple[str, date]], locale: str
) -> list[ObligationInfo]:
    """The occurrences the recorded events make of the plan's triggered duties (pure)."""
    events = settings.events
    calendar = calendar_for(settings.calendar, year)
    by_event: dict[str, list[TriggerInfo]] = {}
    for t in settings.triggers:
        by_event.setdefault(t.event, []).append(t)
    return [
        instantiate(t, on, events[name], calendar.is_working_day, locale)
        for name, on in recorded
        if name in events
        for t in by_event.get(name, [])
    ]


def _recorded(conn: Connection, plan_id: int) -> list[tuple[str, date]]:
    query = (
        select(T_OCCURRED.c.name, T_OCCURRED.c.on)
        .where(T_OCCURRED.c.plan_id == plan_id)
        .order_by(T_OCCURRED.c.on, T_OCCURRED.c.id)
    )
    return [(r.name, r.on) for r in conn.execute(query)]


def with_recorded_events(conn: Connection, plan_id: int, plan: CompiledPlan) -> CompiledPlan:
    """Return ``plan`` with the occurrences of the events recorded for it (for a reload)."""
    from dataclasses import replace

    recorded = _recorded(conn, plan_id) if plan.settings.events else []
    if not recorded:
        return plan
    made = occurrences(plan.settings, plan.year, recorded, plan.locale)
    return replace(plan, obligations=plan.obligations + tuple(made))


def record_event(
    conn: Connection,
    *,
    plan_key: str | None,
    name: str,
    on: date,
    note: str | None,
    by: str | None,
    today: date,
    now: datetime,
) -> EventRecord:
    """Record that ``name`` happened on ``on`` and make the occurrences it owes."""
    plan = refs.find_plan(conn, plan_key)
    title = _declared(plan, name)
    _in_period(plan, on, today)
    who = refs.find_department(conn, plan, by) if by else plan.office
    earlier = (
        conn.execute(
            select(T_OCCURRED).where(
                T_OCCURRED.c.plan_id == plan.id, T_OCCURRED.c.name == name, T_OCCURRED.c.on == on
            )
        )
        .mappings()
        .first()
    )
    if earlier is not None:
        at = earlier["at"] if earlier["at"].tzinfo else earlier["at"].replace(tzinfo=UTC)
        raise Refused(
            L_(
                "{name} was already recorded for {day} (by {by} at {at}); nothing recorded: an "
                "event is recorded once a day",
                name=name,
                day=on,
                by=earlier["by"],
                at=f"{at.astimezone(ZoneInfo(plan.timezone)):%Y-%m-%d %H:%M}",
            ),
            field="event",
        )
    try:
        conn.execute(
            insert(T_OCCURRED).values(plan_id=plan.id, name=name, on=on, note=note, by=who, at=now)
        )
    except IntegrityError:  # recorded by someone else a moment ago: the unique key says so
        raise Refused(
            L_(
                "{name} was just recorded for {day} by someone else; nothing recorded",
                name=name,
                day=on,
            ),
            field="event",
        ) from None
    made = occurrences(plan.settings, plan.year, [(name, on)], plan.locale)
    _insert(conn, plan, made)
    facts_changed(conn, [plan.id])
    return EventRecord(
        plan.key,
        name,
        title,
        on,
        who,
        note,
        now,
        tuple(Made(o.task, o.key, o.title, o.due, o.owners) for o in made),
    )


def _insert(conn: Connection, plan: refs.PlanRef, made: list[ObligationInfo]) -> None:
    """Write the occurrences an event made (a duty dropped from the plan since is skipped)."""
    tasks = {
        r["number"]: dict(r)
        for r in conn.execute(
            select(T_TASK).where(T_TASK.c.plan_id == plan.id, T_TASK.c.active)
        ).mappings()
    }
    rules = {
        r.fingerprint: r.id
        for r in conn.execute(
            select(T_RULES.c.fingerprint, T_RULES.c.id).where(T_RULES.c.plan_id == plan.id)
        )
    }
    rows = []
    for o in made:
        task = tasks.get(o.task)
        rules_id = rules.get(rules_fingerprint(o.rules))
        if task is None or rules_id is None:
            continue
        owners = (*json.loads(task["lead"]), *json.loads(task["co"]))
        rows.append(obligation_row(plan.id, task["id"], o, owners, rules_id, None))
    bulk_insert(conn, T_OBL, OBLIGATION_COLUMNS, rows)


def list_events(conn: Connection, *, plan_key: str | None) -> list[EventRecord]:
    """Every event recorded for the plan, oldest first, with its occurrences."""
    plan = refs.find_plan(conn, plan_key)
    events = plan.settings.events
    rows = (
        conn.execute(
            select(T_OCCURRED)
            .where(T_OCCURRED.c.plan_id == plan.id)
            .order_by(T_OCCURRED.c.on, T_OCCURRED.c.id)
        )
        .mappings()
        .all()
    )
    obligations = conn.execute(
        select(
            T_OBL.c.key,
            T_OBL.c.title,
            T_OBL.c.due,
            T_OBL.c.owners,
            T_OBL.c.done_on,
            T_TASK.c.number,
            T_TASK.c.lead,
            T_TASK.c.co,
        )
        .join(T_TASK, T_TASK.c.id == T_OBL.c.task_id)
        .where(T_OBL.c.plan_id == plan.id, T_OBL.c.active, T_OBL.c.kind == "occurrence")
    ).all()
    triggers = plan.settings.triggers
    out = []
    for row in rows:
        keys = {
            (t.task, f"{t.key}@{row['on'].isoformat()}") for t in triggers if t.event == row["name"]
        }
        mine = [o for o in obligations if (o.number, o.key) in keys]
        made = tuple(
            Made(
                o.number,
                o.key,
                o.title,
                o.due,
                tuple(json.loads(o.owners))
                if o.owners
                else (*json.loads(o.lead), *json.loads(o.co)),
            )
            for o in sorted(mine, key=lambda o: (o.due, o.number, o.key))
        )
        out.append(
            EventRecord(
                plan.key,
                row["name"],
                events.get(row["name"], row["name"]),
                row["on"],
                row["by"],
                row["note"],
                row["at"],
                made,
                sum(1 for o in mine if o.done_on is not None),
            )
        )
    return out


__all__ = ["EventRecord", "list_events", "record_event", "with_recorded_events"]
