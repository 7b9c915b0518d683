"""The service: evaluate every working morning, dispatch every minute (APScheduler 3).

APScheduler only decides *when* the two steps run.  Jobs are defined here in code and kept in
the memory job store (its SQLAlchemy store pickles jobs and deletes those it cannot unpickle),
with ``misfire_grace_time=None`` and coalescing.  What is owed is decided by the rules from the
data, so a restart, a missed morning or a second service changes nothing: on start the service
evaluates every local date since the last recorded evaluation, and the notices' unique keys and
claims keep concurrent services from sending anything twice.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.engine import make_url

from workplan.channels.config import DeliverySettings
from workplan.errors import StoreError
from workplan.notices.compose import Renderer
from workplan.notices.deliver import Delivered, deliver_all
from workplan.notices.dispatch import DispatchResult, DispatchSettings
from workplan.notices.outbox import TickResult, already_evaluated, tick
from workplan.notices.robots import RobotResult
from workplan.plan.calendar import Calendars, WorkCalendar, unknown_years
from workplan.store import db as store
from workplan.store.migrate import bulk_foreign_keys
from workplan.store.refs import PlanRef, all_plans
from workplan.store.tables import T_EVAL

log = logging.getLogger("workplan.service")

AUTOVACUUM_OFF = (
    "PostgreSQL's autovacuum is off on this server: every notice sent leaves a dead row in the "
    "outbox, and without VACUUM the dispatch slows day by day (a year's soak went from 6 s to "
    "24 s a day); turn autovacuum on, or run VACUUM ANALYZE nightly"
)


def foreign_keys_kept(keys: list[str]) -> str:
    """The warning for a database whose bulk tables keep an earlier version's foreign keys."""
    shown = ", ".join(keys[:3]) + (" …" if len(keys) > 3 else "")
    return (
        f"this database keeps an earlier workplan's foreign keys on {len(keys)} columns written "
        f"in bulk ({shown}), which PostgreSQL checks by a trigger per row inserted (74,900 "
        "obligations: 1.08 s with them, 0.25 s without): `workplan upgrade` replaces them with "
        "the triggers a new database has"
    )


def database_warnings(engine: Engine) -> list[str]:
    """What about the database server the office should fix before relying on the service."""
    if engine.dialect.name != "postgresql":
        return []
    with engine.connect() as conn:
        autovacuum = conn.exec_driver_sql("SHOW autovacuum").scalar_one()
        keys = [str(key) for key in bulk_foreign_keys(conn)]
    warnings = [AUTOVACUUM_OFF] if autovacuum == "off" else []
    return warnings + ([foreign_keys_kept(keys)] if keys else [])


@dataclass(frozen=True)
class PlanClock:
    """When a plan is evaluated: its zone and its morning time."""

    plan: PlanRef
    zone: ZoneInfo
    run_at: time
    sends_from: time = time(8)
    """the start of the plan's sending hours"""

    @classmethod
    def of(cls, plan: PlanRef) -> PlanClock:
        notices = plan.settings.notices
        hour, minute = notices.run_at.split(":")
        start = notices.hours[0]
        return cls(plan, ZoneInfo(plan.timezone), time(int(hour), int(minute)), time(start))


class SingleService:
    """Hold an exclusive lock on a SQLite database file: one service per database file.

    The lock is taken on the file itself (``flock``), so it follows the file's identity, its
    device and inode, whatever path, symlink, hard link or URL spelling reaches it; SQLite's
    own locks are POSIX record locks, which ``flock`` does not touch.  The operating system
    releases the lock when the process ends, however it ends, so a killed service never
    leaves a stale lock behind.
    """

    def __init__(self, url: str) -> None:
        self.path: Path | None = None
        self.fd: int | None = None
        parsed = make_url(url)
        database = parsed.database or ""
        if parsed.get_backend_name() == "sqlite" and database and ":memory:" not in database:
            self.path = Path(database.removeprefix("file:").split("?")[0]).expanduser()

    def __enter__(self) -> SingleService:
        if self.path is None or not self.path.exists():
            return self  # nothing to share yet: opening the store says what is wrong
        fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise StoreError(
                f"another workplan service is running on this database ({self.path}, however"
                " named); on SQLite one service runs per file (use PostgreSQL to run several)"
            ) from None
        self.fd = fd
        return self

    def __exit__(self, *_: object) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


def last_evaluated(engine: Engine, plan_id: int) -> date | None:
    """Return the last local date evaluated for a plan."""
    return last_evaluations(engine, [plan_id]).get(plan_id)


def last_evaluations(engine: Engine, plan_ids: list[int]) -> dict[int, date]:
    """Return the last local date evaluated for each plan evaluated so far (one query)."""
    query = (
        select(T_EVAL.c.plan_id, func.max(T_EVAL.c.as_of))
        .where(T_EVAL.c.plan_id.in_(plan_ids))
        .group_by(T_EVAL.c.plan_id)
    )
    with store.reading(engine) as conn:
        rows = conn.execute(query).all()
    found = {}
    for plan_id, day in rows:
        if isinstance(day, str):  # max() of a SQLite text column comes back as text
            day = date.fromisoformat(day)
        if isinstance(day, date):
            found[plan_id] = day
    return found


def tick_apart(
    conn: Connection, day: date, now: datetime, plan_ids: list[int]
) -> tuple[TickResult, dict[int, Exception]]:
    """Evaluate ``day`` for the plans in one pass, in the caller's transaction; a plan whose
    evaluation fails is rolled back alone.  Return the evaluation and each failed plan's error.

    The plans go as one tick (a few set-based statements for all of them) inside a savepoint.
    Should it fail, it is rolled back and each plan ticks again in a savepoint of its own: the
    failing plan is rolled back and reported, and the others are stored.  Any error counts:
    this is where one plan's fault is kept from stopping the others' notices.
    """
    try:
        with conn.begin_nested():
            return tick(conn, day, now, plan_ids=plan_ids), {}
    except Exception as exc:
        if len(plan_ids) == 1:
            return TickResult(day), {plan_ids[0]: exc}
    total = TickResult(day)
    failed: dict[int, Exception] = {}
    for plan_id in plan_ids:
        try:
            with conn.begin_nested():
                one = tick(conn, day, now, plan_ids=[plan_id])
        except Exception as exc:
            failed[plan_id] = exc
            continue
        total.owed += one.owed
        total.added += one.added
        total.superseded += one.superseded
        total.plans += one.plans
        total.unchanged += one.unchanged
    return total, failed


def _named(clocks: list[PlanClock]) -> str:
    """Name the plans of a log line: one by its key, several by their number and first keys."""
    if len(clocks) == 1:
        return clocks[0].plan.key
    keys = ", ".join(c.plan.key for c in clocks[:3])
    return f"{len(clocks)} plans ({keys}{', …' if len(clocks) > 3 else ''})"


class Service:
    """The morning evaluation and the minute-by-minute dispatch, for every plan in a database."""

    def __init__(
        self,
        engine: Engine,
        delivery: DeliverySettings,
        renderer: Renderer,
        *,
        owner: str,
        now: Callable[[], datetime],
        wall: Callable[[], datetime] | None = None,
        settings: DispatchSettings | None = None,
    ) -> None:
        self.engine = engine
        self.wall = wall or now
        self.delivery = delivery
        self.renderer = renderer
        self.owner = owner
        self.now = now
        self.settings = settings or DispatchSettings()
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.totals = DispatchResult()
        self.robot_totals = RobotResult()

    # the two steps ----------------------------------------------------------------------
    def plans(self) -> list[PlanClock]:
        with store.reading(self.engine) as conn:
            return [PlanClock.of(p) for p in all_plans(conn, None)]

    def calendar(self, clock: PlanClock) -> WorkCalendar:
        """Return a plan's working-day calendar (built once per distinct calendar)."""
        return Calendars().get(clock.plan.settings.calendar, clock.plan.year)

    def evaluate(self, day: date, clocks: list[PlanClock]) -> set[int]:
        """Evaluate one local date for the plans whose working day it is, in one pass; return
        the plans whose evaluation failed (the others' is stored).

        A day every plan has evaluated already, with nothing changed since, is answered by one
        read of their change markers, outside a transaction (on SQLite, without the write
        lock).
        """
        due = [c for c in clocks if self.calendar(c).is_working_day(day)]
        if not due:
            return set()
        plan_ids = [c.plan.id for c in due]
        with self.lock, self.engine.connect() as conn:
            with store.read_only(conn):
                result = already_evaluated(conn, day, plan_ids)
            failed: dict[int, Exception] = {}
            if result is None:
                with conn.begin():
                    result, failed = tick_apart(conn, day, self.now(), plan_ids)
        for clock in due:
            if clock.plan.id in failed:
                error = failed[clock.plan.id]
                log.error(
                    "evaluating %s for %s failed, nothing of it was stored (the other plans' "
                    "evaluation was; its next run starts again from this day): %s",
                    day,
                    clock.plan.key,
                    error,
                    exc_info=error,
                )
        done = [c for c in due if c.plan.id not in failed]
        self.close_months(day, done)
        if done:
            log.info(
                "evaluated %s for %s: %d owed, %d new, %d superseded%s",
                day,
                _named(done),
                result.owed,
                len(result.added),
                result.superseded,
                f" ({result.unchanged} unchanged since)" if result.unchanged else "",
            )
        return set(failed)

    def close_months(self, day: date, clocks: list[PlanClock]) -> None:
        """Keep the record of the month before ``day`` for each plan that has not kept it: on
        the first working day after a month, or the first evaluated after it."""
        from workplan.reports.months import close_month

        before = day.replace(day=1) - timedelta(days=1)
        for clock in clocks:
            try:
                with self.lock, self.engine.begin() as conn:
                    done = close_month(conn, clock.plan, before.replace(day=1), day, self.now())
            except Exception as error:  # one plan's record never stops the others' or the sending
                log.error(
                    "keeping the record of %s for %s failed (tried again at its next run): %s",
                    f"{before:%Y-%m}",
                    clock.plan.key,
                    error,
                    exc_info=error,
                )
                continue
            if done.written:
                log.info("%s: closed %s (%d rows)", clock.plan.key, done.month, done.written)

    def catch_up(self, clocks: list[PlanClock], *, starting: bool = False) -> None:
        """Evaluate every local date since each plan's last recorded evaluation, up to today,
        a day at a time: each day's plans in one pass.

        Starting inside the sending hours but before the morning evaluation, today is
        evaluated at once: what goes out is today's state, never yesterday's followed by
        today's a few minutes later.  A plan whose evaluation of a day fails is left out of
        the days after it: its next run starts again from that day.
        """
        last = last_evaluations(self.engine, [c.plan.id for c in clocks])
        spans: dict[int, tuple[date, date]] = {}
        told: dict[tuple[date, date, bool], list[PlanClock]] = {}
        for clock in clocks:
            local = self.now().astimezone(clock.zone)
            today = local.date()
            due = local.time() >= clock.run_at or (starting and local.time() >= clock.sends_from)
            until = today if due else today - timedelta(days=1)
            before = last.get(clock.plan.id)
            first = (before + timedelta(days=1)) if before is not None else until
            spans[clock.plan.id] = (first, until)
            if before is None or first <= until:
                told.setdefault((first, until, before is None), []).append(clock)
            for year in unknown_years(
                clock.plan.settings.calendar, range(first.year, until.year + 1)
            ):
                log.warning(
                    "%s: the calendar has no official schedule for %d (its 调休 are unknown): "
                    "upgrade the holidays package or give the year in a calendar file",
                    clock.plan.key,
                    year,
                )
        for (first, until, never), named in told.items():
            if never:
                log.info("%s: never evaluated; starting with %s", _named(named), until)
            else:
                log.info("%s: catching up %s to %s", _named(named), first, until)
        if not spans:
            return
        failed: set[int] = set()
        day = min(first for first, _ in spans.values())
        last_day = max(until for _, until in spans.values())
        while day <= last_day and not self.stopping.is_set():
            clocks_due = [
                c
                for c in clocks
                if spans[c.plan.id][0] <= day <= spans[c.plan.id][1] and c.plan.id not in failed
            ]
            failed |= self.evaluate(day, clocks_due)
            day += timedelta(days=1)

    def morning(self, plan_keys: list[str]) -> None:
        """The scheduled evaluation of today, for the plans evaluated at this time."""
        wanted = set(plan_keys)
        self.catch_up([c for c in self.plans() if c.plan.key in wanted])
        self.send()

    def send(self) -> DispatchResult:
        """Deliver what is due: the e-mail, the robots' posts, the office's alerts."""
        done = deliver_all(
            self.engine,
            self.delivery,
            self.renderer,
            now=self.now,
            wall=self.wall,
            owner=self.owner,
            settings=self.settings,
            stop=self.stopping.is_set,
            lock=self.lock,
        )
        self.log(done)
        result = done.mail
        for name in ("messages", "notices", "sent", "retrying", "failed", "unknown", "reaped"):
            setattr(self.totals, name, getattr(self.totals, name) + getattr(result, name))
        self.robot_totals = done.posts or RobotResult()
        return result

    @staticmethod
    def log(done: Delivered) -> None:
        """Say what a delivery run did, when it did anything."""
        result = done.mail
        if result.messages or result.reaped:
            log.info(
                "dispatched %d messages (%d notices) by %s: %d %s, %d retrying, %d failed%s",
                result.messages,
                result.notices,
                done.channel,
                result.sent,
                "written" if done.channel == "outbox folder" else "sent",
                result.retrying,
                result.failed,
                f", {result.reaped} reclaimed after a stop" if result.reaped else "",
            )
        posts = done.posts
        if posts and (posts.parts or posts.failed or posts.retrying):
            log.info(
                "robots: %d delivered (%d posts), %d to retry, %d failed%s",
                posts.sent,
                posts.parts,
                posts.retrying,
                posts.failed,
                "".join(f"; {e}" for e in posts.errors[:3]),
            )

    # running ----------------------------------------------------------------------------
    def once(self) -> DispatchResult:
        """Catch up every plan, then dispatch until nothing more is due now."""
        for warning in database_warnings(self.engine):
            log.warning(warning)
        self.catch_up(self.plans(), starting=True)
        return self.send()

    def run(self, *, dispatch_every: timedelta = timedelta(minutes=1)) -> None:
        """Run until stop() is called: catch up, then the scheduled jobs."""
        scheduler = BackgroundScheduler(
            job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1}
        )
        for warning in database_warnings(self.engine):
            log.warning(warning)
        clocks = self.plans()
        self.catch_up(clocks, starting=True)
        # the plans evaluated at the same time in the same zone: one job, one pass
        mornings: dict[tuple[str, time], list[PlanClock]] = {}
        for clock in clocks:
            mornings.setdefault((clock.zone.key, clock.run_at), []).append(clock)
        for (zone, run_at), group in mornings.items():
            scheduler.add_job(
                self.morning,
                CronTrigger(hour=run_at.hour, minute=run_at.minute, timezone=group[0].zone),
                args=[[c.plan.key for c in group]],
                id=f"evaluate:{zone}:{run_at:%H:%M}",
                name=f"evaluate {_named(group)} at {run_at:%H:%M} {zone}",
            )
            log.info(
                "%s: evaluated each working day at %s (%s)", _named(group), f"{run_at:%H:%M}", zone
            )
        scheduler.add_job(
            self.send,
            IntervalTrigger(seconds=dispatch_every.total_seconds()),
            id="dispatch",
            name="dispatch",
        )
        self.send()
        scheduler.start()
        log.info("running: %d plan(s); dispatch every %s", len(clocks), dispatch_every)
        try:
            self.stopping.wait()
        finally:
            log.info("stopping after the current step")
            scheduler.shutdown(wait=True)
            log.info("stopped")

    def stop(self, *_: Any) -> None:
        """Ask the service to stop after the step in progress (a signal handler)."""
        self.stopping.set()
