"""Where every item stands on a given day: pure functions over a snapshot."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from workplan.expand import item_label
from workplan.snapshot import Metric, Obligation, Series, Snapshot


@dataclass(frozen=True)
class ObligationStatus:
    key: str
    title: str
    kind: str
    due: date
    deadline: date
    working_days: int
    """Working days left until the deadline; negative when overdue."""
    target: float | None = None
    value: float | None = None


@dataclass(frozen=True)
class MetricStatus:
    key: str
    title: str
    unit: str
    direction: str
    value: float | None
    reported_on: date | None
    next_by: date | None
    next_target: float | None
    final_target: float | None
    state: str
    """met, on track, behind, missed, no report"""


@dataclass
class TaskStatus:
    number: int
    label: str
    title: str
    chapter: int
    lead: tuple[str, ...]
    co: tuple[str, ...]
    state: str
    signed_off_by: str | None
    next_due: ObligationStatus | None
    overdue: list[ObligationStatus] = field(default_factory=list)
    metrics: list[MetricStatus] = field(default_factory=list)
    done: int = 0
    total: int = 0


def met_on(ob: Obligation, metric: Metric, series: Series) -> date | None:
    """Return when a checkpoint was met: on time if the value at its date reaches the target,
    else the first later report that does; None while it is not met."""
    target = ob.target
    if target is None:
        return None
    latest = series.at(ob.deadline)
    if latest is not None and metric.meets(latest[1], target):
        return latest[0]
    for day, value in zip(series.days, series.values, strict=True):
        if day > ob.deadline and metric.meets(value, target):
            return day
    return None


def done_on(ob: Obligation, snap: Snapshot, as_of: date) -> date | None:
    """Return the day an obligation was done or met, if on or before ``as_of``."""
    if ob.kind == "checkpoint":
        if ob.metric_id is None or ob.metric_id not in snap.metrics:
            return None
        series = snap.series.get(ob.metric_id, Series()).upto(as_of)
        return met_on(ob, snap.metrics[ob.metric_id], series)
    if ob.done_on is not None and ob.done_on <= as_of:
        return ob.done_on
    return None


def _working_days(snap: Snapshot, as_of: date, deadline: date) -> int:
    return snap.calendar.count(as_of, deadline)


def _metric_status(snap: Snapshot, metric: Metric, obligations: list[Obligation], as_of: date) -> MetricStatus:
    series = snap.series.get(metric.id, Series()).upto(as_of)
    latest = series.at(as_of)
    value, reported = (latest[1], latest[0]) if latest else (None, None)
    points = sorted((o for o in obligations if o.metric_id == metric.id), key=lambda o: o.deadline)
    upcoming = [o for o in points if o.deadline >= as_of]
    missed = [o for o in points if o.deadline < as_of and met_on(o, metric, series) is None]
    nxt = upcoming[0] if upcoming else None
    if missed:
        state = "missed"
    elif nxt is None:
        state = "met" if points else "no checkpoint"
    elif value is None:
        state = "no report"
    elif nxt.target is not None and metric.meets(value, nxt.target):
        state = "met" if len(upcoming) == 1 else "on track"
    else:
        state = "behind"
    return MetricStatus(
        metric.key,
        metric.title,
        metric.unit,
        metric.direction,
        value,
        reported,
        nxt.deadline if nxt else None,
        nxt.target if nxt else None,
        metric.target,
        state,
    )


def task_statuses(snap: Snapshot, as_of: date, department: str | None = None) -> list[TaskStatus]:
    """Return every task's standing on ``as_of``, optionally only a department's."""
    by_task: dict[int, list[Obligation]] = {}
    for ob in snap.obligations:
        by_task.setdefault(ob.task_id, []).append(ob)
    metrics_by_task: dict[int, list[Metric]] = {}
    for m in snap.metrics.values():
        metrics_by_task.setdefault(m.task_id, []).append(m)
    out = []
    for task in sorted(snap.tasks.values(), key=lambda t: t.number):
        obligations = by_task.get(task.id, [])
        if department is not None and department not in task.owners and not any(
            department in o.owners for o in obligations
        ):
            continue
        open_obs: list[Obligation] = []
        done = 0
        for ob in obligations:
            if done_on(ob, snap, as_of) is None:
                open_obs.append(ob)
            else:
                done += 1
        overdue = [
            _ob_status(snap, ob, as_of) for ob in open_obs if ob.deadline < as_of
        ]
        upcoming = [ob for ob in open_obs if ob.deadline >= as_of]
        next_due = _ob_status(snap, upcoming[0], as_of) if upcoming else None
        metrics = [
            _metric_status(snap, m, obligations, as_of)
            for m in sorted(metrics_by_task.get(task.id, []), key=lambda m: m.id)
        ]
        if task.signed_off_at is not None:
            state = "signed off"
        elif overdue:
            state = "overdue"
        elif not obligations:
            state = "no deadline"
        elif not open_obs:
            state = "done"
        elif next_due is not None and next_due.working_days <= 5:
            state = "due soon"
        else:
            state = "on track"
        out.append(
            TaskStatus(
                task.number,
                item_label(task.number),
                task.title,
                task.chapter,
                task.lead,
                task.co,
                state,
                task.signed_off_by,
                next_due,
                overdue,
                metrics,
                done,
                len(obligations),
            )
        )
    return out


def _ob_status(snap: Snapshot, ob: Obligation, as_of: date) -> ObligationStatus:
    value = None
    if ob.metric_id is not None:
        latest = snap.series.get(ob.metric_id, Series()).at(min(as_of, ob.deadline) if ob.deadline < as_of else as_of)
        value = latest[1] if latest else None
    return ObligationStatus(
        ob.key,
        ob.title,
        ob.kind,
        ob.due,
        ob.deadline,
        _working_days(snap, as_of, ob.deadline),
        ob.target,
        value,
    )
