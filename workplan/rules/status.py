"""Where every item stands on a given day: pure functions over the facts and the notices owed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from workplan.plan.calendar import WorkCalendar
from workplan.plan.compiled import item_label
from workplan.rules.evaluate import (
    Intent,
    checkpoint_met,
    meets,
    met_by,
    pace_of,
)
from workplan.rules.kinds import STAGE_OVERDUE
from workplan.store.facts import MetricFacts, ObligationFacts, PlanFacts, Task
from workplan.store.parts import Parts


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
    level: int | None = None
    level_name: str | None = None
    """The escalation reached (催办, 督办, 通报 …) for an overdue obligation."""
    reported_on: date | None = None
    """where reports are reviewed: the day its report came, waiting for the office (待复核)"""


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
    expected: float | None = None
    """序时进度: the value expected today if work were spread evenly."""
    pace_gap: float | None = None
    parts: Parts | None = None
    """a ratio: the numerator and denominator the value is derived from (x / y = z%)"""
    any_of: tuple[AnyOfStatus, ...] = ()
    """its any_of checkpoints: both alternatives, and which one met it"""


@dataclass(frozen=True)
class AnyOfStatus:
    """An any_of checkpoint: the plan's figure (the pace) or a benchmark, whichever is met."""

    by: date
    planned: float
    benchmark_title: str
    benchmark: float | None
    """None: the benchmark is not recorded yet (judged on the plan's figure alone)"""
    value: float | None
    met_by: str | None
    """planned, benchmark, both, or None (not met)"""


@dataclass(frozen=True)
class OutcomeStatus:
    """A yes/no result (创建1个省级示范县): achieved or not, never "1 of 1"."""

    key: str
    title: str
    due: date
    achieved: bool
    achieved_on: date | None = None


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
    before_plan: list[ObligationStatus] = field(default_factory=list)
    """open obligations due before the plan took effect: shown, never chased"""
    outcomes: list[OutcomeStatus] = field(default_factory=list)
    """its yes/no results, which ``done`` and ``total`` do not count"""
    awaiting: list[ObligationStatus] = field(default_factory=list)
    """reported, waiting for the office's review (待复核): not done yet, not late either"""


def awaiting_review(fact: ObligationFacts | MetricFacts, as_of: date) -> bool:
    """Whether a report of it came by ``as_of`` and waits for the office's review (复核):
    the department did its part; it is neither done (it does not count yet) nor late."""
    return fact.reported_on is not None and fact.reported_on <= as_of


def is_done(ob: ObligationFacts, as_of: date) -> bool:
    """Return True when an obligation was done (or a checkpoint met) by ``as_of``.

    A checkpoint still ahead is not met, whatever the figure today: August's in-village
    average is not met on July's value (it is 未到期 until its day comes)."""
    if ob.kind == "checkpoint":
        return ob.deadline <= as_of and checkpoint_met(ob)
    return ob.done_on is not None and ob.done_on <= as_of


def metric_state(
    m: MetricFacts, points: list[ObligationFacts], owed: list[Intent], as_of: date
) -> str:
    """Return a metric's state from the notices the evaluator owes for it today.

    One state, one rule: "missed" when a checkpoint's ladder is running, "behind" when a
    warning or a pace notice is owed, "no report" when a report is overdue; otherwise what the
    values say: "met", "on track", or "no report" while nothing has been reported yet.
    """
    kinds = {i.kind for i in owed}
    if awaiting_review(m, as_of) or any(awaiting_review(o, as_of) for o in points):
        return "awaiting review"
    if any(k.ladder and k.topic in ("deadline", "shortfall") for k in kinds):
        return "missed"
    if any(k.letter == "warning" for k in kinds):
        return "behind"
    if any(k.ladder and k.topic == "report" for k in kinds):
        return "no report"
    upcoming = [o for o in points if o.deadline >= as_of]
    reached = (
        m.target is not None and m.latest is not None and meets(m.direction, m.latest, m.target)
    )
    if reached or (points and not upcoming and all(checkpoint_met(o) for o in points)):
        return "met"
    if m.latest is None:
        return "no report"
    return "on track"


def _metric_status(
    m: MetricFacts, points: list[ObligationFacts], owed: list[Intent], as_of: date
) -> MetricStatus:
    points = sorted(points, key=lambda o: o.deadline)
    upcoming = [o for o in points if o.deadline >= as_of]
    nxt = upcoming[0] if upcoming else None
    pace = pace_of(m, as_of)
    expected, gap = (pace[0], pace[1]) if pace else (None, None)
    return MetricStatus(
        m.key,
        m.title,
        m.unit,
        m.direction,
        m.latest,
        m.latest_on,
        nxt.deadline if nxt else None,
        (nxt.alternative.planned if nxt.alternative else nxt.target) if nxt else None,
        m.target,
        metric_state(m, points, owed, as_of),
        expected,
        gap,
        m.parts,
        tuple(_any_of(o, as_of) for o in points if o.alternative is not None),
    )


def _any_of(ob: ObligationFacts, as_of: date) -> AnyOfStatus:
    alt = ob.alternative
    assert alt is not None  # for mypy: only any_of checkpoints are passed
    value = ob.at_deadline if ob.deadline < as_of else ob.latest
    return AnyOfStatus(
        ob.deadline, alt.planned, alt.benchmark_title, alt.benchmark, value, met_by(ob)
    )


def _anothers_share(fact: ObligationFacts | MetricFacts, department: str) -> bool:
    """Whether this is another department's own share of an 'each' obligation (key 'id:部门')."""
    split = ":" in fact.key.split("@")[0].split("#")[0]
    return split and department not in fact.owners


def _outcomes(obligations: list[ObligationFacts], as_of: date) -> list[OutcomeStatus]:
    return [
        OutcomeStatus(
            ob.key, ob.title, ob.due, is_done(ob, as_of), ob.done_on if is_done(ob, as_of) else None
        )
        for ob in obligations
        if ob.kind == "outcome"
    ]


def task_statuses(
    tasks: dict[int, Task],
    facts: PlanFacts,
    intents: list[Intent],
    calendar: WorkCalendar,
    as_of: date,
    department: str | None = None,
) -> list[TaskStatus]:
    """Return every task's standing on ``as_of``, optionally only a department's."""
    levels: dict[int, Intent] = {}
    for intent in intents:
        if intent.obligation_id is not None and intent.stage > STAGE_OVERDUE:
            held = levels.get(intent.obligation_id)
            if held is None or intent.stage > held.stage:
                levels[intent.obligation_id] = intent
    by_task: dict[int, list[ObligationFacts]] = {}
    for ob in facts.obligations:
        by_task.setdefault(ob.task_id, []).append(ob)
    metrics_by_task: dict[int, list[MetricFacts]] = {}
    for m in facts.metrics:
        metrics_by_task.setdefault(m.task_id, []).append(m)

    def status_of(ob: ObligationFacts) -> ObligationStatus:
        level = levels.get(ob.id)
        value = ob.at_deadline if ob.deadline < as_of else ob.latest
        return ObligationStatus(
            ob.key,
            ob.title,
            ob.kind,
            ob.due,
            ob.deadline,
            calendar.count(as_of, ob.deadline),
            ob.target,
            value,
            level.level if level else None,
            level.level_name if level else None,
            ob.reported_on if awaiting_review(ob, as_of) else None,
        )

    out = []
    for task in sorted(tasks.values(), key=lambda t: t.number):
        obligations = sorted(by_task.get(task.id, []), key=lambda o: (o.deadline, o.id))
        if department is not None:
            obligations = [o for o in obligations if not _anothers_share(o, department)]
            metrics_by_task[task.id] = [
                m for m in metrics_by_task.get(task.id, []) if not _anothers_share(m, department)
            ]
        if (
            department is not None
            and department not in task.owners
            and not any(department in o.owners for o in obligations)
        ):
            continue
        open_obs = [ob for ob in obligations if not is_done(ob, as_of)]
        waiting = [ob for ob in open_obs if awaiting_review(ob, as_of)]
        start = facts.chase_from
        early = [ob for ob in open_obs if start is not None and ob.deadline < start]
        pending = early + waiting
        overdue = [status_of(ob) for ob in open_obs if ob.deadline < as_of and ob not in pending]
        ahead = [ob for ob in waiting if ob.kind != "checkpoint"]  # a figure's is still ahead
        upcoming = [ob for ob in open_obs if ob.deadline >= as_of and ob not in ahead]
        next_due = status_of(upcoming[0]) if upcoming else None
        metrics = [
            _metric_status(
                m,
                [o for o in obligations if o.metric_id == m.id],
                [i for i in intents if i.metric_id == m.id],
                as_of,
            )
            for m in sorted(metrics_by_task.get(task.id, []), key=lambda m: m.id)
        ]
        outcomes = _outcomes(obligations, as_of)
        counted = [ob for ob in obligations if ob.kind != "outcome"]
        if task.signed_off_at is not None:
            state = "signed off"
        elif overdue:
            state = "overdue"
        elif waiting:
            state = "awaiting review"
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
                len(counted) - len([ob for ob in open_obs if ob.kind != "outcome"]),
                len(counted),
                [status_of(ob) for ob in early],
                outcomes,
                [status_of(ob) for ob in waiting],
            )
        )
    return out
