"""Read the facts the rules need from the store in a few bulk queries, for one plan or all.

A checkpoint's values (the latest report on or before its deadline, the latest today, whether a
later report reached the target) come from index lookups inside one query, so a tick over a
million obligations stays one statement, never one query per task.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import (
    Connection,
    and_,
    bindparam,
    case,
    exists,
    func,
    literal,
    null,
    or_,
    select,
)

from workplan.plan.calendar import Calendars, WorkCalendar
from workplan.plan.periods import period_of
from workplan.plan.policy import Rules
from workplan.plan.settings import PlanSettings
from workplan.store.cycle_read import with_pauses
from workplan.store.facts import (
    Alternative,
    MetricFacts,
    ObligationFacts,
    PlanFacts,
)
from workplan.store.parts import parts_of
from workplan.store.pending import with_pending
from workplan.store.rungs import sent_rungs
from workplan.store.snapshot import rules_from_json
from workplan.store.tables import (
    T_METRIC,
    T_OBL,
    T_PLAN,
    T_PROGRESS,
    T_RULES,
    T_TASK,
    Day,
    counted,
    parse_day,
)


def _json_tuple(value: str, cache: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    found = cache.get(value)
    if found is None:
        found = cache[value] = tuple(json.loads(value))
    return found


OBLIGATION_COLUMNS = (
    "id",
    "plan_id",
    "task_id",
    "key",
    "kind",
    "title",
    "due",
    "deadline",
    "owners",
    "rules_id",
    "metric_id",
    "target",
    "done_on",
    "benchmark_id",
    "reported_on",
)


_day = cast(Callable[[Any], date], parse_day)
"""a day never NULL"""


def _fetched(conn: Connection, statement: Any, values: dict[str, Any]) -> list[Any]:
    """All the rows of ``statement`` as the driver gives them, fetched at once: a
    SQLAlchemy row, and its processing of each value, cost more than the facts made of it.
    The caller makes days of the days (SQLite gives their text; nothing else needs
    processing: SQLite's flags are read with bool(), PostgreSQL's floats are floats)."""
    result = conn.execute(statement, values)
    try:
        return list(result.cursor.fetchall())
    finally:
        result.close()


def _plan_ids(plan_ids: list[int]) -> Any:
    """The plans asked for, as one parameter (a statement built once serves any list)."""
    return bindparam("plan_ids", plan_ids, expanding=True)


@lru_cache(maxsize=8)
def _statements(few: bool, everything: bool) -> tuple[Any, Any]:
    """Build the obligations' and the metrics' statements once per shape (a few plans or
    all, everything or what can owe a notice): building one costs more than running it on a
    plan of a few hundred obligations.  The day, the horizon, the periods' starts and the
    plans are parameters of each execution (see ``_parameters``)."""
    day, plans = date(2000, 1, 1), [0] if few else None
    return (
        _obligation_query(day, day, plans, everything),
        _metric_query(day, plans, everything),
    )


def _parameters(
    as_of: date, horizon: date | None, plan_ids: list[int] | None, everything: bool
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The values of one execution of the statements ``_statements`` built."""
    shared: dict[str, Any] = {"as_of": as_of}
    if plan_ids is not None:
        shared["plan_ids"] = plan_ids
    obligations = dict(shared)
    metrics = dict(shared)
    if not everything:
        obligations["horizon"] = horizon
        metrics |= {f"start_{cadence}": first for cadence, first in _period_starts(as_of, horizon)}
    return obligations, metrics


def _latest_report(p: Any, metric_id: Any, upto: Any) -> Any:
    """The id of a metric's latest value reported on or before ``upto`` (one index lookup);
    a report a correction replaced does not count."""
    return (
        select(p.c.id)
        .where(
            p.c.metric_id == metric_id,
            p.c.value.is_not(None),
            p.c.replaced_by.is_(None),
            counted(p),
            p.c.as_of <= upto,
        )
        .order_by(p.c.as_of.desc(), p.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def _obligation_query(
    as_of: date, horizon: date | None, plan_ids: list[int] | None, everything: bool
) -> Any:
    """Select obligations with the value reported against each checkpoint.

    A checkpoint needs one index lookup: the latest report on or before its deadline (or
    today, if that comes first) — before the deadline that is also the latest value.  Open
    obligations of every plan come from two index range scans (not done; done only after
    ``as_of``), those of a few plans from their tasks.  The lookup runs once per row inside a
    materialised CTE of the obligation's columns; checkpoints already met are dropped in SQL,
    the probe for a report that met the target late runs only for those missed at their
    deadline, and the task and metric are joined in at the end by primary key.
    """
    o, t, m = T_OBL, T_TASK, T_METRIC
    p = T_PROGRESS.alias("p")
    today = bindparam("as_of", as_of, type_=Day())
    cutoff = case((o.c.deadline < today, o.c.deadline), else_=today)
    report = _latest_report(p, o.c.metric_id, cutoff)
    # the obligation's own columns travel in the CTE: joining the table back would read
    # all of it (a hash join over every obligation) where only the open ones are wanted
    bench_report = _latest_report(p, o.c.benchmark_id, cutoff)
    narrow = [
        *(o.c[name] for name in OBLIGATION_COLUMNS),
        case((o.c.metric_id.is_(None), null()), else_=report).label("report_id"),
        case((o.c.benchmark_id.is_(None), null()), else_=bench_report).label("bench_id"),
    ]
    if plan_ids is not None:
        # a few plans (the service evaluates one at a time): their tasks through the plan
        # index, then each task's obligations through (task_id, key).  The open and done
        # conditions are written as one COALESCE so that no planner, with or without table
        # statistics, intersects every open obligation with each task (quadratic)
        tasks = select(t.c.id).where(t.c.plan_id.in_(_plan_ids(plan_ids)), t.c.active)
        if not everything:
            tasks = tasks.where(t.c.signed_off_at.is_(None))
        ids = tasks.cte("plan_task").prefix_with("MATERIALIZED")
        conditions: list[Any] = [o.c.active]
        if not everything:
            conditions += [
                o.c.deadline <= bindparam("horizon", horizon, type_=Day()),
                func.coalesce(o.c.done_on, bindparam("never", date.max, type_=Day())) > today,
            ]
        picked: Any = (
            select(*narrow).select_from(ids.join(o, o.c.task_id == ids.c.id)).where(*conditions)
        )
    elif everything:
        picked = select(*narrow).where(o.c.active)
    else:
        # every plan: two range scans of the partial indexes (not done; done only after
        # today), once each; the tasks are joined afterwards, never driving the scan
        until = o.c.deadline <= bindparam("horizon", horizon, type_=Day())
        not_done = select(*narrow).where(o.c.active, until, o.c.done_on.is_(None))
        done_later = select(*narrow).where(o.c.active, until, o.c.done_on > today)
        picked = not_done.union_all(done_later)
    rows = picked.cte("candidate").prefix_with("MATERIALIZED")
    c = rows.c
    at = T_PROGRESS.alias("at")
    later = T_PROGRESS.alias("later")
    bench = T_PROGRESS.alias("bench")
    bench_metric = T_METRIC.alias("bench_metric")
    # an any_of checkpoint is met by the easier of its target and its benchmark (as of the
    # deadline, or today); with no benchmark recorded, by its target alone
    easier = or_(
        and_(m.c.direction == "at_least", bench.c.value < c.target),
        and_(m.c.direction == "at_most", bench.c.value > c.target),
    )
    target = case((and_(bench.c.value.is_not(None), easier), bench.c.value), else_=c.target)

    def reaches(value: Any) -> Any:
        # never NULL: with no report the checkpoint is simply not reached (NOT NULL would
        # drop the row from the filter below)
        return and_(
            value.is_not(None),
            c.target.is_not(None),
            or_(
                and_(m.c.direction == "at_least", value >= target),
                and_(m.c.direction == "at_most", value <= target),
            ),
        )

    late = exists().where(
        later.c.metric_id == c.metric_id,
        later.c.as_of > c.deadline,
        later.c.as_of <= today,
        later.c.replaced_by.is_(None),
        counted(later),
        reaches(later.c.value),
    )
    missed_then_met = and_(c.metric_id.is_not(None), c.deadline < today, ~reaches(at.c.value), late)
    query = select(
        c.id,
        c.plan_id,
        c.task_id,
        t.c.number,
        c.key,
        c.kind,
        c.title,
        c.due,
        c.deadline,
        c.owners,
        t.c.lead,
        t.c.co,
        c.rules_id,
        c.metric_id,
        m.c.key.label("metric_key"),
        target.label("target"),
        m.c.direction,
        m.c.cumulative,
        m.c.unit,
        m.c.baseline,
        m.c.pace_start,
        c.done_on,
        at.c.value.label("at_deadline"),
        at.c.as_of.label("at_deadline_on"),
        (missed_then_met if everything else literal(False)).label("met_late"),
        at.c.note.label("at_deadline_note"),
        m.c.part,
        c.target.label("planned"),
        bench_metric.c.title.label("benchmark_title"),
        bench.c.value.label("benchmark"),
        c.reported_on,
    ).select_from(
        rows.join(t, t.c.id == c.task_id)
        .outerjoin(m, m.c.id == c.metric_id)
        .outerjoin(at, at.c.id == rows.c.report_id)
        .outerjoin(bench, bench.c.id == rows.c.bench_id)
        .outerjoin(bench_metric, bench_metric.c.id == c.benchmark_id)
    )
    if plan_ids is None and not everything:
        query = query.where(t.c.active, t.c.signed_off_at.is_(None))
    elif plan_ids is None:
        query = query.where(t.c.active)
    if not everything:
        met = and_(
            c.metric_id.is_not(None), or_(reaches(at.c.value), and_(c.deadline < today, late))
        )
        query = query.where(~met)
    return query.order_by(c.plan_id, c.deadline, c.id)


def _metric_query(as_of: date, plan_ids: list[int] | None, everything: bool) -> Any:
    """Select metrics with their latest report on or before ``as_of`` (one index lookup each)."""
    m, t = T_METRIC, T_TASK
    p = T_PROGRESS.alias("p")
    today = bindparam("as_of", as_of, type_=Day())
    report = _latest_report(p, m.c.id, today)
    # a ratio's parts and benchmarks are read through the ratio and its checkpoints
    conditions: list[Any] = [m.c.active, t.c.active, m.c.part_of.is_(None)]
    if not everything:
        conditions += [
            t.c.signed_off_at.is_(None),
            or_(m.c.pace_start.is_not(None), m.c.report.is_not(None)),
        ]
    if plan_ids is not None:
        conditions.append(m.c.plan_id.in_(_plan_ids(plan_ids)))
    rows = (
        select(m.c.id.label("metric_id"), report.label("report_id"))
        .select_from(m.join(t, t.c.id == m.c.task_id))
        .where(*conditions)
        .cte("metrics")
        .prefix_with("MATERIALIZED")
    )
    latest = T_PROGRESS.alias("latest")
    query = select(
        m.c.id,
        m.c.plan_id,
        m.c.task_id,
        m.c.key,
        m.c.title,
        m.c.unit,
        m.c.direction,
        m.c.cumulative,
        m.c.baseline,
        m.c.target,
        m.c.target_by,
        m.c.pace_start,
        m.c.pace_until,
        m.c.pace_tolerance,
        m.c.report,
        m.c.owners,
        m.c.rules_id,
        t.c.number,
        t.c.lead,
        t.c.co,
        latest.c.value.label("latest"),
        latest.c.as_of.label("latest_on"),
        m.c.part,
        latest.c.note,
    ).select_from(
        rows.join(m, m.c.id == rows.c.metric_id)
        .join(t, t.c.id == m.c.task_id)
        .outerjoin(latest, latest.c.id == rows.c.report_id)
    )
    if not everything:
        # a metric without a pace, reported in its current period, owes nothing today; nor
        # one reported in the period before, while its current period ends past the horizon
        # (no report of it is late, none is reminded of yet): ``_period_starts``
        starts = [
            (m.c.report == cadence, bindparam(f"start_{cadence}", first, type_=Day()))
            for cadence, first in _period_starts(as_of, as_of)
        ]
        # (NOT on a NULL drops the row: a metric never reported must stay, it owes the most)
        reported = and_(
            m.c.pace_start.is_(None),
            latest.c.as_of.is_not(None),
            latest.c.as_of >= case(*starts, else_=null()),
        )
        query = query.where(~reported)
    return query.order_by(m.c.plan_id, m.c.id)


def _period_starts(as_of: date, horizon: date | None) -> list[tuple[str, date]]:
    """Return, for each cadence, the first day from which a report leaves a metric without a
    pace owing nothing on ``as_of``: the start of the period containing ``as_of``; or, when
    that period ends after ``horizon`` (no reminder of its report is owed yet), the start of
    the period before (reported then, no period is missing a report)."""
    out = []
    for cadence in ("week", "month", "quarter", "half-year", "year"):
        _, start, end = period_of(cadence, as_of)
        if horizon is not None and end > horizon:
            start = period_of(cadence, start - timedelta(days=1))[1]
        out.append((cadence, start))
    return out


def _alternative(
    title: str, planned: float, benchmark_title: str | None, benchmark: float | None
) -> Alternative | None:
    """An any_of checkpoint's alternatives; the benchmark named as the plan names it (its
    metric's title is 'metric（benchmark）')."""
    if benchmark_title is None:
        return None
    short = benchmark_title.removeprefix(title).removeprefix("（").removesuffix("）")
    return Alternative(
        planned=planned, benchmark_title=short or benchmark_title, benchmark=benchmark
    )


def read_facts(
    conn: Connection,
    as_of: date,
    *,
    plan_ids: list[int] | None = None,
    everything: bool = False,
    ladder: tuple[str, ...] = (),
) -> tuple[dict[int, PlanFacts], dict[int, WorkCalendar]]:
    """Return each plan's facts on ``as_of`` and its calendar.

    By default only what can owe a notice: open obligations due up to the reminder horizon,
    metrics with a pace or a reporting cadence.  ``everything`` adds done and distant
    obligations and every metric, for status reports.  ``ladder``: the rules whose notices
    climb the escalation ladder, whose rungs already sent the facts then carry.
    """
    plan_query = select(T_PLAN.c.id, T_PLAN.c.office, T_PLAN.c.year, T_PLAN.c.settings)
    if plan_ids is not None:
        plan_query = plan_query.where(T_PLAN.c.id.in_(plan_ids))
    calendars = Calendars()
    plans: dict[int, tuple[str, int, WorkCalendar]] = {}
    spans: dict[int, tuple[date | None, date | None]] = {}
    report_up: dict[int, bool] = {}
    for row in conn.execute(plan_query):
        settings = PlanSettings.from_json(row.settings)
        plans[row.id] = (row.office, row.year, calendars.get(settings.calendar, row.year))
        spans[row.id] = (settings.chase_from, settings.closes_on)
        report_up[row.id] = settings.proportion.leadership == "monthly"
    rules_query = select(T_RULES.c.id, T_RULES.c.body)
    if plan_ids is not None:
        rules_query = rules_query.where(T_RULES.c.plan_id.in_(plan_ids))
    rules: dict[int, Rules] = {r.id: rules_from_json(r.body) for r in conn.execute(rules_query)}
    longest = max((n for r in rules.values() for n in r.remind), default=0)
    # an obligation can owe a reminder only once the Nth working day before it is reached:
    # its deadline is at most the Nth working day after today, on the plan's calendar
    horizon = None
    if not everything:
        horizon = max(
            (cal.after(as_of, longest) if longest else as_of for _, _, cal in plans.values()),
            default=as_of,
        )
    names: dict[str, tuple[str, ...]] = {}
    obligations: dict[int, list[ObligationFacts]] = {pid: [] for pid in plans}
    year_starts = {pid: date(year, 1, 1) for pid, (_, year, _) in plans.items()}
    # all rows at once (fetchall: row by row, psycopg costs a call per row), as plain tuples:
    # a SQLAlchemy Row's attribute access costs more than the object built
    obligation_query, metric_query = _statements(plan_ids is not None, everything)
    values, metric_values = _parameters(as_of, horizon, plan_ids, everything)
    for (
        id_,
        plan_id,
        task_id,
        number,
        key,
        kind,
        title,
        due,
        deadline,
        owners_json,
        lead_json,
        co_json,
        rules_id,
        metric_id,
        metric_key,
        target,
        direction,
        cumulative,
        unit,
        baseline,
        pace_start,
        done_on,
        at_deadline,
        at_deadline_on,
        met_late,
        at_deadline_note,
        part,
        planned,
        benchmark_title,
        benchmark,
        reported_on,
    ) in _fetched(conn, obligation_query, values):
        due, deadline, done_on = _day(due), _day(deadline), parse_day(done_on)
        pace_start, at_deadline_on = parse_day(pace_start), parse_day(at_deadline_on)
        reported_on = parse_day(reported_on)
        lead = _json_tuple(lead_json, names)
        owners = (
            _json_tuple(owners_json, names) if owners_json else lead + _json_tuple(co_json, names)
        )
        upcoming = deadline >= as_of
        obligations[plan_id].append(
            ObligationFacts(
                id=id_,
                plan_id=plan_id,
                task_id=task_id,
                task=number,
                key=key,
                kind=kind,
                title=title,
                due=due,
                deadline=deadline,
                owners=owners,
                lead=lead,
                rules=rules[rules_id],
                metric_id=metric_id,
                metric=metric_key,
                target=target,
                direction=direction or "at_least",
                cumulative=bool(cumulative) if cumulative is not None else True,
                unit=unit or "",
                baseline=baseline or 0.0,
                trend_from=(pace_start or year_starts[plan_id]) if metric_id is not None else None,
                at_deadline=at_deadline,
                latest=at_deadline if upcoming else None,
                latest_on=at_deadline_on if upcoming else None,
                met_late=bool(met_late),
                done_on=done_on,
                reported_on=reported_on if done_on is None else None,
                parts=parts_of(at_deadline_note) if part == "ratio" else None,
                alternative=_alternative(title, planned, benchmark_title, benchmark),
            )
        )
    metrics: dict[int, list[MetricFacts]] = {pid: [] for pid in plans}
    for (
        id_,
        plan_id,
        task_id,
        key,
        title,
        unit,
        direction,
        cumulative,
        baseline,
        target,
        target_by,
        pace_start,
        pace_until,
        pace_tolerance,
        report,
        owners_json,
        rules_id,
        number,
        lead_json,
        co_json,
        latest,
        latest_on,
        part,
        note,
    ) in _fetched(conn, metric_query, metric_values):
        target_by, pace_start, pace_until = (
            parse_day(target_by),
            parse_day(pace_start),
            parse_day(pace_until),
        )
        latest_on = parse_day(latest_on)
        lead = _json_tuple(lead_json, names)
        metrics[plan_id].append(
            MetricFacts(
                id=id_,
                plan_id=plan_id,
                task_id=task_id,
                task=number,
                key=key,
                title=title,
                unit=unit,
                direction=direction,
                cumulative=bool(cumulative),
                baseline=baseline,
                target=target,
                target_by=target_by,
                pace_start=pace_start,
                pace_until=pace_until,
                pace_tolerance=pace_tolerance,
                report=report,
                owners=_json_tuple(owners_json, names)
                if owners_json
                else lead + _json_tuple(co_json, names),
                lead=lead,
                rules=rules[rules_id],
                latest=latest,
                latest_on=latest_on,
                parts=parts_of(note) if part == "ratio" else None,
            )
        )
    sent = sent_rungs(conn, sorted(plans), ladder, as_of)
    facts = {
        pid: PlanFacts(
            plan_id=pid,
            office=office,
            year=year,
            obligations=tuple(obligations[pid]),
            metrics=tuple(metrics[pid]),
            chase_from=spans[pid][0],
            closes_on=spans[pid][1],
            sent=sent[pid],
            report_up=report_up[pid],
        )
        for pid, (office, year, _) in plans.items()
    }
    facts = with_pending(conn, facts, as_of)
    if not everything:  # a paused item owes nothing (workplan.store.cycle)
        facts = with_pauses(conn, facts, as_of)
    return facts, {pid: cal for pid, (_, _, cal) in plans.items()}
