"""Replay a plan's year: every working day evaluated against a scratch database.

This is how an office checks a plan before loading it: which notices would go to whom, and
when.  Progress from a ledger file is visible from the day it is dated, as in real life.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update

from workplan.notices.outbox import tick
from workplan.plan.calendar import calendar_for
from workplan.plan.validate import LoadedPlan
from workplan.rules.evaluate import Intent
from workplan.store import db as store
from workplan.store import ledger
from workplan.store.changes import facts_changed
from workplan.store.load import load
from workplan.store.tables import T_NOTICE


@dataclass(frozen=True)
class Simulated:
    """A notice the replay produced, on the day it would be sent."""

    day: date
    intent: Intent


@dataclass(frozen=True)
class Mailed:
    """A letter the replay would send: to whom, on which day, of which kind."""

    day: date
    recipient: str
    document: str
    lines: int


@dataclass
class Replay:
    """What a replay produced: the notices owed and the letters that carry them."""

    notices: list[Simulated]
    letters: list[Mailed]


def simulate(
    plan: LoadedPlan,
    start: date,
    end: date,
    *,
    progress: Path | None = None,
    on_day: Callable[[date], None] | None = None,
) -> Replay:
    """Return every notice the plan would produce from ``start`` to ``end``, day by day.

    Each working day is evaluated as the service would at its morning run; the notices owed
    are taken as delivered that day, so the next day's evaluation sees them as sent.
    """
    compiled = plan.compiled
    zone = ZoneInfo(compiled.timezone)
    calendar = calendar_for(compiled.settings.calendar, compiled.year)
    out: list[Simulated] = []
    letters: list[Mailed] = []
    with tempfile.TemporaryDirectory(prefix="workplan-simulate-") as scratch:
        engine = store.open_store(f"sqlite:///{Path(scratch) / 'simulate.db'}", create=True)
        try:
            first = datetime.combine(start, time(8, 30), zone)
            with engine.begin() as conn:
                load(conn, compiled, source_path=str(plan.path), source_text=plan.text, now=first)
                if progress is not None:
                    ledger.import_ledger(conn, progress, plan_key=compiled.id, now=first)
            day = start
            while day <= end:
                if calendar.is_working_day(day):
                    morning = datetime.combine(day, time(8, 30), zone)
                    with engine.begin() as conn:
                        result = tick(conn, day, morning)
                        for recipient, document, lines in conn.execute(
                            select(T_NOTICE.c.department, T_NOTICE.c.document, func.count())
                            .where(T_NOTICE.c.status == "pending")
                            .group_by(
                                T_NOTICE.c.message_id, T_NOTICE.c.department, T_NOTICE.c.document
                            )
                        ):
                            letters.append(Mailed(day, recipient, document, lines))
                        sent = conn.execute(
                            update(T_NOTICE)
                            .where(T_NOTICE.c.status == "pending")
                            .values(status="sent", sent_at=morning)
                            .returning(T_NOTICE.c.plan_id)
                        )
                        facts_changed(conn, [r.plan_id for r in sent])
                    out.extend(Simulated(day, i) for i in result.added)
                if on_day is not None:
                    on_day(day)
                day += timedelta(days=1)
        finally:
            engine.dispose()
    return Replay(out, letters)
