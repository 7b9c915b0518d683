"""The record of each month (月度存档): close a month, read it back, the colour strip per item.

A month's state is computed as the brief computes it, on the facts of the month's last day
(the same rules and 三色 preset) taken at the end of that day, so what fell due on it and was
not done has lapsed in the month; with one rule of its own, common in practice (瓯海): an
item whose lapse was made up (done late, or red in an earlier closed month) turns yellow,
never green, in every month after.  The rows are kept as written
(:mod:`workplan.store.months`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from sqlalchemy import Connection

from workplan.errors import Refused
from workplan.i18n import L_, month_of
from workplan.plan.periods import month_end
from workplan.reports.brief import category, colour, overdue_level
from workplan.rules.evaluate import evaluate
from workplan.rules.status import TaskStatus, task_statuses
from workplan.store.facts import ObligationFacts
from workplan.store.facts_query import read_facts
from workplan.store.months import MonthRow, Recorded, read_months, write_month
from workplan.store.refs import PlanRef
from workplan.store.snapshot import read_tasks

METRIC_COLOURS = {"missed": "red", "behind": "yellow", "no report": None}
"""A metric's colour by its state (met and on track: green)."""


def made_up(ob: ObligationFacts, as_of: date) -> bool:
    """Whether an obligation lapsed and was made up by ``as_of``: done (or its checkpoint
    reached) after its deadline."""
    if ob.kind == "checkpoint":
        return ob.met_late
    return ob.done_on is not None and ob.deadline < ob.done_on <= as_of


def item_colour(
    row: TaskStatus, lapses: bool, preset: str = "pace", near: int = 5
) -> tuple[str, str]:
    """Return an item's colour and category at a month's end: a made-up lapse is yellow."""
    shade = colour(row, preset, near)
    if lapses and shade in ("green", "blue"):
        shade = "yellow"
    return shade, category(row)


def month_rows(conn: Connection, plan: PlanRef, month: date) -> tuple[date, list[MonthRow]]:
    """Return where every item and metric stood at the end of ``month``, and that day."""
    as_of = month_end(month.year, month.month)
    tasks = read_tasks(conn, plan)
    everything, calendars = read_facts(conn, as_of, plan_ids=[plan.id], everything=True)
    # the month's end is the end of its last day: what is due that day and not done by then
    # has lapsed in this month.  The facts are those of that day (nothing done later counts),
    # the standing is taken the moment after
    known = everything[plan.id]
    facts = replace(
        known,
        obligations=tuple(
            o if o.done_on is None or o.done_on <= as_of else replace(o, done_on=None)
            for o in known.obligations
        ),
    )
    after = as_of + timedelta(days=1)
    intents = evaluate(facts, after, calendars[plan.id])
    rows = task_statuses(tasks, facts, intents, calendars[plan.id], after)
    ids = {t.number: t.id for t in tasks.values()}
    # made up: a lapse the facts show done late, or an item a closed month kept red (a report
    # dated back to before its deadline makes up the lapse, it does not undo it)
    lapsed = {
        o.task
        for o in facts.obligations
        if o.rules.escalate and made_up(o, as_of) and o.deadline <= as_of
    }
    lapsed |= {
        rec.number
        for rec in read_months(conn, plan.id)
        if rec.month < f"{month:%Y-%m}" and not rec.row.subject and rec.row.colour == "red"
    }
    style = plan.settings.brief
    out = []
    for r in rows:
        shade, cat = item_colour(r, r.number in lapsed, style.colours, style.near)
        out.append(
            MonthRow(ids[r.number], "", r.state, shade, cat, overdue_level(r)),
        )
        for m in r.metrics:
            shown = METRIC_COLOURS.get(m.state, "green")
            target = m.next_target if m.next_target is not None else m.final_target
            out.append(
                MonthRow(
                    ids[r.number],
                    m.key,
                    m.state,
                    shown,
                    None,
                    None,
                    m.value,
                    target,
                    m.expected,
                    m.pace_gap,
                )
            )
    return as_of, out


@dataclass(frozen=True)
class Closed:
    month: str
    as_of: date
    written: int
    """rows written now; 0: the month was closed already (nothing rewritten)"""


def close_month(conn: Connection, plan: PlanRef, month: date, today: date, now: datetime) -> Closed:
    """Keep the state of every item and metric at the end of ``month`` (a month that has
    ended), unless it is kept already."""
    first = month.replace(day=1)
    if month_end(first.year, first.month) >= today:
        raise Refused(
            L_(
                "{month} has not ended yet (today is {today}): a month is closed after its "
                "last day",
                month=month_of(first),
                today=today,
            )
        )
    as_of, rows = month_rows(conn, plan, first)
    return Closed(
        f"{first:%Y-%m}", as_of, write_month(conn, plan.id, f"{first:%Y-%m}", as_of, rows, now)
    )


def strips(conn: Connection, plan: PlanRef, until: date) -> dict[int, list[tuple[str, str | None]]]:
    """Return each item's colour in every closed month up to ``until``'s month, by item number."""
    last = f"{until:%Y-%m}"
    out: dict[int, list[tuple[str, str | None]]] = {}
    for rec in read_months(conn, plan.id):
        if rec.row.subject == "" and rec.month <= last:
            out.setdefault(rec.number, []).append((rec.month, rec.row.colour))
    return out


def recorded(conn: Connection, plan: PlanRef, month: date) -> list[Recorded]:
    """Return a closed month's rows (empty when the month is not closed)."""
    return read_months(conn, plan.id, f"{month:%Y-%m}")
