"""Properties of the rule engine and the outbox, checked with hypothesis.

(a) Evaluating the same day twice adds nothing (through the store, and pure).
(b) More progress never yields more escalations (pure).
(c) Catching up day by day after days off leaves the same notices waiting as a single
    evaluation of the last day (through the store).

The store properties load plans/example.yaml (one item: a year-end deliverable, a monthly
duty due on the 25th, the central-disbursement metric with checkpoints 30/50/75% on 30 April,
30 June and 30 September, a target of 100%, a pace with tolerance 5 and a monthly report).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, Engine, delete, select

from tests.helpers import PLANS
from workplan.notices import outbox
from workplan.plan.calendar import WorkCalendar
from workplan.plan.policy import Rules, Step
from workplan.plan.validate import read_plan
from workplan.rules.evaluate import Intent, evaluate
from workplan.store import records
from workplan.store.db import open_store
from workplan.store.facts import MetricFacts, ObligationFacts, PlanFacts
from workplan.store.facts_query import read_facts
from workplan.store.load import load
from workplan.store.tables import KEPT, T_EVAL, T_NOTICE, metadata

CAL = WorkCalendar("CN", years=[2023])
NOW = datetime(2023, 3, 1, 1, 0, tzinfo=UTC)
EXAMPLE = read_plan(PLANS / "example.yaml")
OFFICE = "区乡村振兴局"  # the example's office, also the item's lead
CO = "区财政局"
MONTHS = [f"2023-{m:02d}" for m in range(1, 13)]

STORE = settings(
    max_examples=10,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
PURE = settings(max_examples=80, deadline=None, database=None)
# a catch-up ticks every day of its span, twice over: fewer, longer examples
CATCH_UP = settings(STORE, max_examples=6)

days_2023 = st.dates(date(2023, 1, 1), date(2023, 12, 31))


# the store --------------------------------------------------------------------------------------


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """The store's tables, created once per test: hypothesis examples empty them in turn."""
    engine = open_store(db_url, create=True)
    yield engine
    engine.dispose()


def _empty(conn: Connection) -> None:
    """Delete every row but the schema's: the guards that keep plans, tasks and obligations
    from being deleted are lifted for this transaction (test set-up, not workplan's)."""
    kept = [t.name for t in KEPT]
    if conn.dialect.name == "postgresql":
        for name in kept:
            conn.exec_driver_sql(f'ALTER TABLE "{name}" DISABLE TRIGGER USER')
        guards = []
    else:
        guards = list(
            conn.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                "AND name LIKE 'workplan_keep_%'"
            )
        )
        for name, _ in guards:
            conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
    for table in reversed(metadata.sorted_tables):
        if table.name != "meta":
            conn.execute(table.delete())
    if conn.dialect.name == "postgresql":
        for name in kept:
            conn.exec_driver_sql(f'ALTER TABLE "{name}" ENABLE TRIGGER USER')
    for _, sql in guards:
        conn.exec_driver_sql(sql)


@contextmanager
def example_store(engine: Engine) -> Iterator[Engine]:
    """The example plan loaded into an empty store (rows, not tables, are dropped between
    hypothesis examples: much faster than DDL on PostgreSQL)."""
    with engine.begin() as conn:
        _empty(conn)
        load(
            conn,
            EXAMPLE.compiled,
            source_path=str(EXAMPLE.path),
            source_text=EXAMPLE.text,
            now=NOW,
        )
    yield engine


@dataclass(frozen=True)
class Progress:
    """What departments reported before the evaluation: values, duties done, an extension."""

    values: tuple[tuple[date, float], ...] = ()
    done: tuple[tuple[str, date], ...] = ()
    extend: tuple[str, date] | None = None

    def record(self, conn: Connection) -> None:
        for day, value in self.values:
            records.record_progress(
                conn,
                plan_key=None,
                task_ref="1",
                metric_key="central-disbursement",
                value=value,
                as_of=day,
                department=CO,
                note=None,
                now=NOW,
                force=True,  # any facts the store can hold, even those its checks refuse
            )
        for key, day in self.done:
            records.mark_done(conn, plan_key=None, ref=f"1/{key}", department=CO, on=day, note=None)
        if self.extend is not None:
            key, to = self.extend
            records.extend(
                conn, plan_key=None, ref=f"1/{key}", to=to, by=OFFICE, reason="延期", now=NOW
            )


@st.composite
def progress(draw: st.DrawFn, *, before: date | None = None) -> Progress:
    """Random reports (dated before ``before``, if given), duties done, maybe an extension."""
    last = before - timedelta(days=1) if before else date(2023, 12, 31)
    dates = draw(st.lists(st.dates(date(2023, 1, 1), last), max_size=5, unique=True))
    values = [draw(st.integers(0, 200)) / 2 for _ in dates]
    keys = draw(
        st.lists(
            st.sampled_from(["project-library-2024", *(f"dispatch@{m}" for m in MONTHS)]),
            max_size=4,
            unique=True,
        )
    )
    done = [(k, draw(days_2023)) for k in keys]
    extend = None
    if draw(st.booleans()):
        month = draw(st.sampled_from([m for m in MONTHS if f"dispatch@{m}" not in keys]))
        extend = (
            f"dispatch@{month}",
            date.fromisoformat(f"{month}-25") + timedelta(days=draw(st.integers(1, 40))),
        )
    return Progress(tuple(sorted(zip(dates, values, strict=True))), tuple(done), extend)


def waiting(conn: Connection) -> set[str]:
    """The keys of the notices still waiting to go out."""
    query = select(T_NOTICE.c.key).where(T_NOTICE.c.status == "pending")
    return set(conn.execute(query).scalars())


def statuses(conn: Connection) -> dict[str, str]:
    return {r.key: r.status for r in conn.execute(select(T_NOTICE.c.key, T_NOTICE.c.status))}


def owed_keys(conn: Connection, day: date, *, everything: bool = False) -> set[str]:
    """The keys the evaluator owes on ``day``, on the facts the store holds."""
    facts, calendars = read_facts(conn, day, everything=everything)
    return {i.key for pid, f in facts.items() for i in evaluate(f, day, calendars[pid])}


# (a) the same day twice ---------------------------------------------------------------------


@STORE
@given(state=progress(), day=days_2023)
@example(state=Progress(), day=date(2023, 5, 4))
@example(state=Progress(values=((date(2023, 4, 20), 25.0),)), day=date(2023, 5, 9))
def test_ticking_a_day_twice_adds_nothing(engine: Engine, state: Progress, day: date) -> None:
    with example_store(engine):
        with engine.begin() as conn:
            state.record(conn)
        with engine.begin() as conn:
            first = outbox.tick(conn, day, NOW)
            after_first = statuses(conn)
        with engine.begin() as conn:
            second = outbox.tick(conn, day, NOW + timedelta(hours=1))
            assert second.added == []
            assert second.owed == first.owed
            assert statuses(conn) == after_first


@STORE
@given(state=progress(), day=days_2023)
@example(state=Progress(), day=date(2023, 5, 4))
def test_after_a_tick_the_notices_waiting_are_those_owed(
    engine: Engine, state: Progress, day: date
) -> None:
    with example_store(engine):
        with engine.begin() as conn:
            state.record(conn)
        with engine.begin() as conn:
            result = outbox.tick(conn, day, NOW)
            owed = owed_keys(conn, day)
            assert {i.key for i in result.added} == owed
            assert waiting(conn) == owed


@STORE
@given(state=progress(), day=days_2023)
@example(state=Progress(), day=date(2023, 4, 26))  # 30% by 30 April, nothing reported: warn
@example(state=Progress(), day=date(2023, 5, 4))  # and 催办 after it
def test_the_filtered_read_owes_what_the_full_read_owes(
    engine: Engine, state: Progress, day: date
) -> None:
    """The tick's read skips what cannot owe a notice (met checkpoints, distant deadlines,
    metrics reported this period); it must never skip what can.  A checkpoint with nothing
    reported once fell out of it: SQL's NOT (... OR NULL) is NULL, not TRUE."""
    with example_store(engine):
        with engine.begin() as conn:
            state.record(conn)
        with engine.connect() as conn:
            assert owed_keys(conn, day) == owed_keys(conn, day, everything=True)


# random worlds for the pure properties: obligations, checkpoints, metrics and their reports


def _rules(draw: st.DrawFn) -> Rules:
    remind = tuple(sorted(draw(st.sets(st.integers(1, 6), max_size=3)), reverse=True))
    afters = sorted(draw(st.sets(st.integers(1, 15), min_size=1, max_size=3)))
    names = ["催办", "督办", "通报"]
    to = [("owners",), ("lead", "heads", "office"), ("office",)]
    steps = tuple(Step(n + 1, names[n], a, to[n]) for n, a in enumerate(afters))
    return Rules(remind, draw(st.sampled_from([("owners",), ("lead",), ("office",)])), steps)


DEPTS = ("区乡村振兴局", "区财政局", "区农业农村委")


@dataclass(frozen=True)
class Series:
    """A metric's reports: (date, value), dates distinct."""

    reports: tuple[tuple[date, float], ...]

    def latest(self, upto: date) -> tuple[date, float] | None:
        found = [r for r in self.reports if r[0] <= upto]
        return max(found) if found else None

    def improved(self, deltas: list[float], direction: str) -> Series:
        sign = 1 if direction == "at_least" else -1
        return Series(
            tuple((d, v + sign * x) for (d, v), x in zip(self.reports, deltas, strict=True))
        )


@dataclass(frozen=True)
class CheckpointSpec:
    id: int
    deadline: date
    target: float
    direction: str
    cumulative: bool
    baseline: float
    owners: tuple[str, ...]
    rules: Rules
    series: Series

    def facts(self, as_of: date) -> ObligationFacts:
        """As facts.read_facts builds them from the store."""
        at = self.series.latest(min(self.deadline, as_of))
        at_value = at[1] if at else None

        def reaches(v: float) -> bool:
            return v >= self.target if self.direction == "at_least" else v <= self.target

        met_late = (
            self.deadline < as_of
            and not (at_value is not None and reaches(at_value))
            and any(self.deadline < d <= as_of and reaches(v) for d, v in self.series.reports)
        )
        before = self.deadline >= as_of
        return ObligationFacts(
            id=self.id,
            plan_id=1,
            task_id=1,
            task=1,
            key=f"cp-{self.id}",
            kind="checkpoint",
            title="指标",
            due=self.deadline,
            deadline=self.deadline,
            owners=self.owners,
            lead=self.owners[:1],
            rules=self.rules,
            metric_id=self.id,
            metric=f"metric-{self.id}",
            target=self.target,
            direction=self.direction,
            cumulative=self.cumulative,
            baseline=self.baseline,
            trend_from=date(2023, 1, 1),
            at_deadline=at_value,
            latest=at_value if before else None,
            latest_on=at[0] if at and before else None,
            met_late=met_late,
        )


@dataclass(frozen=True)
class MetricSpec:
    id: int
    direction: str
    cumulative: bool
    baseline: float
    target: float
    pace: tuple[date, date] | None
    tolerance: float | None
    report: str | None
    owners: tuple[str, ...]
    rules: Rules
    series: Series

    def facts(self, as_of: date) -> MetricFacts:
        latest = self.series.latest(as_of)
        return MetricFacts(
            id=self.id,
            plan_id=1,
            task_id=1,
            task=1,
            key=f"metric-{self.id}",
            title="指标",
            unit="%",
            direction=self.direction,
            cumulative=self.cumulative,
            baseline=self.baseline,
            target=self.target,
            target_by=date(2023, 12, 31),
            pace_start=self.pace[0] if self.pace else None,
            pace_until=self.pace[1] if self.pace else None,
            pace_tolerance=self.tolerance,
            report=self.report,
            owners=self.owners,
            lead=self.owners[:1],
            rules=self.rules,
            latest=latest[1] if latest else None,
            latest_on=latest[0] if latest else None,
        )


@dataclass(frozen=True)
class World:
    """Random obligations and metrics, and the same world with more progress."""

    as_of: date
    deliverables: tuple[ObligationFacts, ...]
    checkpoints: tuple[CheckpointSpec, ...]
    metrics: tuple[MetricSpec, ...]
    better_done: tuple[date | None, ...]
    better_checkpoints: tuple[CheckpointSpec, ...]
    better_metrics: tuple[MetricSpec, ...]

    def plan(self, *, better: bool = False) -> PlanFacts:
        deliverables = self.deliverables
        if better:
            deliverables = tuple(
                replace(o, done_on=d)
                for o, d in zip(self.deliverables, self.better_done, strict=True)
            )
        checkpoints = self.better_checkpoints if better else self.checkpoints
        metrics = self.better_metrics if better else self.metrics
        return PlanFacts(
            plan_id=1,
            office="区委农办",
            year=2023,
            obligations=deliverables + tuple(c.facts(self.as_of) for c in checkpoints),
            metrics=tuple(m.facts(self.as_of) for m in metrics),
        )


@st.composite
def worlds(draw: st.DrawFn) -> World:
    as_of = draw(days_2023)
    ids = iter(range(1, 1000))
    owners = st.lists(st.sampled_from(DEPTS), min_size=1, max_size=3, unique=True).map(tuple)
    deliverables = []
    better_done: list[date | None] = []
    for _ in range(draw(st.integers(0, 4))):
        deadline = draw(days_2023)
        done = draw(st.none() | days_2023)
        who = draw(owners)
        deliverables.append(
            ObligationFacts(
                id=next(ids),
                plan_id=1,
                task_id=1,
                task=1,
                key="d",
                kind=draw(st.sampled_from(["deliverable", "occurrence"])),
                title="任务",
                due=deadline,
                deadline=deadline,
                owners=who,
                lead=who[:1],
                rules=_rules(draw),
                done_on=done,
            )
        )
        # more progress: done on an earlier day, or done where it was not
        earlier = draw(st.none() | days_2023)
        candidates = [d for d in (done, earlier) if d is not None]
        better_done.append(min(candidates) if candidates else None)

    def series(direction: str) -> tuple[Series, Series]:
        dates = draw(st.lists(days_2023, max_size=4, unique=True))
        values = [draw(st.integers(0, 120)) / 2 for _ in dates]
        deltas = [draw(st.integers(0, 40)) / 2 for _ in dates]
        worse = Series(tuple(sorted(zip(dates, values, strict=True))))
        better = Series(tuple(zip(dates, values, strict=True))).improved(deltas, direction)
        return worse, Series(tuple(sorted(better.reports)))

    checkpoints: list[CheckpointSpec] = []
    better_checkpoints: list[CheckpointSpec] = []
    for _ in range(draw(st.integers(0, 3))):
        direction = draw(st.sampled_from(["at_least", "at_most"]))
        worse, better = series(direction)
        spec = CheckpointSpec(
            id=next(ids),
            deadline=draw(days_2023),
            target=draw(st.integers(0, 60)),
            direction=direction,
            cumulative=draw(st.booleans()),
            baseline=draw(st.integers(0, 60)),
            owners=draw(owners),
            rules=_rules(draw),
            series=worse,
        )
        checkpoints.append(spec)
        better_checkpoints.append(replace(spec, series=better))

    metrics: list[MetricSpec] = []
    better_metrics: list[MetricSpec] = []
    for _ in range(draw(st.integers(0, 2))):
        direction = draw(st.sampled_from(["at_least", "at_most"]))
        worse, better = series(direction)
        start = draw(days_2023)
        mspec = MetricSpec(
            id=next(ids),
            direction=direction,
            cumulative=draw(st.booleans()),
            baseline=draw(st.integers(0, 60)),
            target=draw(st.integers(0, 60)),
            pace=draw(
                st.none() | st.just((start, start + timedelta(days=draw(st.integers(1, 200)))))
            ),
            tolerance=draw(st.none() | st.integers(0, 10).map(float)),
            report=draw(
                st.none() | st.sampled_from(["week", "month", "quarter", "half-year", "year"])
            ),
            owners=draw(owners),
            rules=_rules(draw),
            series=worse,
        )
        metrics.append(mspec)
        better_metrics.append(replace(mspec, series=better))
    return World(
        as_of,
        tuple(deliverables),
        tuple(checkpoints),
        tuple(metrics),
        tuple(better_done),
        tuple(better_checkpoints),
        tuple(better_metrics),
    )


@PURE
@given(world=worlds())
def test_evaluating_twice_gives_identical_intents(world: World) -> None:
    facts = world.plan()
    first = evaluate(facts, world.as_of, CAL)
    assert evaluate(facts, world.as_of, CAL) == first
    assert len({i.key for i in first}) == len(first)


# (b) more progress never yields more escalations ----------------------------------------------


def escalations(intents: list[Intent]) -> dict[tuple[str, str], int]:
    """(subject, department) -> level of each escalation (stage > 100) owed; a recurring duty's
    missed occurrences are one series (its oldest open occurrence's notice), keyed by the duty."""
    out: dict[tuple[str, str], int] = {}
    for intent in intents:
        if intent.stage > 100:
            assert intent.rule in ("overdue", "report-overdue", "shortfall")
            series = intent.fact("kind") == "occurrence"
            subject = f"{intent.task}/{intent.fact('key')}" if series else intent.subject
            where = (subject.partition("@")[0], intent.department)
            assert where not in out  # one level per subject and recipient
            out[where] = intent.level
    return out


@PURE
@given(world=worlds())
def test_more_progress_never_yields_more_escalations(world: World) -> None:
    worse = escalations(evaluate(world.plan(), world.as_of, CAL))
    better = escalations(evaluate(world.plan(better=True), world.as_of, CAL))
    assert set(better) <= set(worse)
    for where, level in better.items():
        assert level <= worse[where]


# (c) catching up after days off -------------------------------------------------------------


def _tick_days(engine: Engine, first: date, last: date) -> tuple[set[str], set[str]]:
    """Tick every day from ``first`` to ``last`` (no delivery in between, as after an outage);
    return the keys waiting and the keys owed on the last day."""
    day = first
    while day <= last:
        with engine.begin() as conn:
            outbox.tick(conn, day, NOW)
        day += timedelta(days=1)
    with engine.connect() as conn:
        return waiting(conn), owed_keys(conn, last)


def _forget_ticks(engine: Engine) -> None:
    """Empty the outbox: the store as it was before any evaluation (same facts, same ids)."""
    with engine.begin() as conn:
        conn.execute(delete(T_EVAL))
        conn.execute(delete(T_NOTICE))


def _catch_up(
    engine: Engine, state: Progress, first: date, last: date
) -> tuple[set[str], set[str]]:
    with example_store(engine):
        with engine.begin() as conn:
            state.record(conn)
        return _tick_days(engine, first, last)


@st.composite
def spans(draw: st.DrawFn) -> tuple[date, date, Progress]:
    first = draw(st.dates(date(2023, 1, 2), date(2023, 12, 20)))
    last = first + timedelta(days=draw(st.integers(0, 7)))
    # reports dated inside the span arrive during the days off: the facts read on a day see
    # only those dated on or before it; some examples keep them all before the span
    before = draw(st.sampled_from([first, None]))
    return first, last, draw(progress(before=before))


@CATCH_UP
@given(span=spans())
# reminders, the May Day holiday, then 催办 for 30 April
@example(span=(date(2023, 4, 26), date(2023, 5, 4), Progress(values=((date(2023, 4, 20), 25.0),))))
# 督办 (9 May) then 通报 (16 May): the lower levels are superseded on the way
@example(span=(date(2023, 5, 8), date(2023, 5, 16), Progress(values=((date(2023, 4, 20), 25.0),))))
# National Day: 30 September's reminders, then 催办 on the swapped Saturday, 7 October
@example(span=(date(2023, 9, 28), date(2023, 10, 7), Progress(values=((date(2023, 7, 1), 60.0),))))
def test_catching_up_equals_evaluating_the_last_day(
    engine: Engine, span: tuple[date, date, Progress]
) -> None:
    first, last, state = span
    with example_store(engine):
        with engine.begin() as conn:
            state.record(conn)
        day_by_day, owed = _tick_days(engine, first, last)
        _forget_ticks(engine)
        only_last, _ = _tick_days(engine, last, last)
    assert day_by_day == only_last == owed


def test_catching_up_revives_a_notice_owed_again(engine: Engine) -> None:
    """The pace notice for 2023-06 is owed on 1 June (35% vs 41.64% expected), not on 2 June
    (40% reported: within the tolerance of 5), and again from 14 June (45.21% expected).
    Superseded on 2 June while it waited, it must go out again after the catch-up, as it
    would after a single evaluation of 14 June."""
    state = Progress(values=((date(2023, 5, 20), 35.0), (date(2023, 6, 2), 40.0)))
    day_by_day, owed = _catch_up(engine, state, date(2023, 6, 1), date(2023, 6, 14))
    pace = {k for k in owed if "|pace|" in k}
    assert {k.split("|", 1)[1] for k in pace} == {f"pace|0|2023-06|{d}" for d in (OFFICE, CO)}
    assert pace <= day_by_day
