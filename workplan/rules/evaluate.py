"""The evaluator: which notices are owed on a day.  Pure: no clock, no I/O.

``evaluate(facts, as_of, calendar)`` looks at each open obligation and metric as it stands on
``as_of`` and returns the notices a careful clerk would send *today*.  It describes the current
state, not a history: after a week without a run it returns today's notices (the highest level
reached), never the reminders that were due while no one looked.  Each intent has a stable key
(subject, rule, level, period, department), so storing the same day twice adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, NamedTuple

from workplan.plan.calendar import WorkCalendar
from workplan.plan.compiled import expected_on
from workplan.plan.periods import period_of
from workplan.plan.policy import Rules, Step
from workplan.rules.kinds import (
    BACKLOG,
    BACKLOG_NAME,
    PACE,
    REMIND,
    REPORT,
    REPORT_OVERDUE,
    WARN,
    RuleKind,
    rule_kind,
)
from workplan.rules.ladder import addressed, held, interval, rung
from workplan.rules.proportion import ladder_of, settle
from workplan.store.facts import Alternative, MetricFacts, ObligationFacts, PlanFacts, Sent
from workplan.store.parts import Parts

LEADERSHIP = "@leadership"
"""The recipient that stands for the plan's leadership: one summary a day, never a copy each."""


@dataclass(slots=True)
class Intent:
    """A notice owed to one department today, with everything its text needs.

    Never changed once made (``dataclasses.replace`` makes another), but not frozen: a tick
    makes one per notice, a hundred thousand at national scale, and a frozen dataclass's
    ``__init__`` sets each field through ``object.__setattr__``, three times the cost."""

    plan_id: int
    task_id: int
    task: int
    subject: str
    obligation_id: int | None
    metric_id: int | None
    department: str
    rule: str
    level: int
    level_name: str
    period: str
    due: date
    stage: int
    roles: tuple[str, ...]
    facts: dict[str, Any] = field(default_factory=dict)
    key: str = ""
    """The stable identity of this notice: the same day evaluated twice gives the same key."""

    def __post_init__(self) -> None:
        if not self.key:
            self.key = f"{self.subject}|{self.rule}|{self.level}|{self.period}|{self.department}"

    def fact(self, name: str) -> Any:
        return self.facts.get(name)

    @property
    def kind(self) -> RuleKind:
        """The kind of rule the notice is owed by."""
        return rule_kind(self.rule)


def meets(direction: str, value: float, target: float) -> bool:
    """Return True when ``value`` satisfies ``target`` in the metric's direction."""
    return value >= target if direction == "at_least" else value <= target


def shortfall(direction: str, value: float, target: float) -> float:
    """Return how far ``value`` is from ``target`` (positive = short)."""
    return round(target - value if direction == "at_least" else value - target, 4)


def checkpoint_met(ob: ObligationFacts) -> bool:
    """A checkpoint is met when the value at its deadline reaches the target, or a later one does."""
    if ob.target is None:
        return False
    if ob.at_deadline is not None and meets(ob.direction, ob.at_deadline, ob.target):
        return True
    return ob.met_late


def ratio_facts(parts: Parts | None, alternative: Alternative | None) -> dict[str, Any]:
    """What a letter says of a ratio (x / y = z%) and of an any_of checkpoint: its figure
    (the pace), the benchmark, and whether the benchmark is known yet."""
    facts: dict[str, Any] = {}
    if parts is not None:
        facts["parts"] = {"numerator": parts[0], "denominator": parts[1], "unit": parts[2]}
    if alternative is not None:
        facts["any_of"] = {
            "planned": alternative.planned,
            "benchmark_title": alternative.benchmark_title,
            "benchmark": alternative.benchmark,
        }
    return facts


def met_by(ob: ObligationFacts) -> str | None:
    """Which alternative met an any_of checkpoint: 'planned', 'benchmark', 'both' (None: not
    met, or not an any_of checkpoint)."""
    alt, value = ob.alternative, ob.at_deadline
    if alt is None or value is None or not checkpoint_met(ob):
        return None
    planned = meets(ob.direction, value, alt.planned)
    bench = alt.benchmark is not None and meets(ob.direction, value, alt.benchmark)
    if planned and bench:
        return "both"
    return "planned" if planned else "benchmark" if bench else None


def projected(ob: ObligationFacts) -> float | None:
    """Project the value at the deadline at the rate seen since the start of the year.

    A cumulative metric starts at its baseline when its period begins (``trend_from``); the
    latest report then gives a rate per day.  A level metric (not cumulative) projects flat.
    """
    if ob.latest is None or ob.latest_on is None:
        return None
    if not ob.cumulative or ob.trend_from is None:
        return ob.latest
    days = (ob.latest_on - ob.trend_from).days + 1
    if days <= 0:
        return ob.latest
    slope = (ob.latest - ob.baseline) / days
    return round(ob.latest + slope * (ob.deadline - ob.latest_on).days, 2)


def pace_of(m: MetricFacts, as_of: date) -> tuple[float, float, int, int] | None:
    """Return 序时进度 on ``as_of``: (expected value, gap behind it, days elapsed, days in all).

    None when the metric has no pace or ``as_of`` is outside its pace period.  A metric with
    nothing reported counts as at its baseline.
    """
    if m.pace_start is None or m.pace_until is None or m.target is None:
        return None
    if not m.pace_start <= as_of <= m.pace_until:
        return None
    span = (m.pace_until - m.pace_start).days + 1
    elapsed = (as_of - m.pace_start).days + 1
    expected = expected_on(m.baseline, m.target, m.pace_start, m.pace_until, as_of)
    actual = m.latest if m.latest is not None else m.baseline
    return expected, shortfall(m.direction, actual, expected), elapsed, span


def _recipients(
    step_to: tuple[str, ...], owners: tuple[str, ...], lead: tuple[str, ...], office: str
) -> list[str]:
    """Return who a notice is addressed to, for a set of roles.

    Each recipient gets the notice as a line of its own letter: the departments that answer
    for it, the office (a copy, for supervision) and the leadership (one summary a day).
    """
    out: list[str] = []
    if "owners" in step_to:
        out = list(owners)
    elif "lead" in step_to:
        out = [d for d in lead if d in owners] or list(owners[:1])
    if "office" in step_to and office not in out:
        out.append(office)
    if "leadership" in step_to:
        out.append(LEADERSHIP)
    return out or [office]


def _stage_for_reminder(
    deadline: date, remind: tuple[int, ...], as_of: date, cal: WorkCalendar
) -> int | None:
    """Return the reminder stage owed on ``as_of`` (the nearest N reached), if any."""
    if as_of > deadline:
        return None
    reached = [n for n in remind if cal.before(deadline, n) <= as_of]
    return min(reached) if reached else None


class _About(NamedTuple):
    """What a notice is about: an obligation, or a metric in a period."""

    task_id: int
    task: int
    subject: str
    obligation_id: int | None
    metric_id: int | None
    period: str
    due: date
    owners: tuple[str, ...]
    lead: tuple[str, ...]


class _Evaluator:
    def __init__(self, plan: PlanFacts, as_of: date, cal: WorkCalendar) -> None:
        self.plan = plan
        self.as_of = as_of
        self.cal = cal
        self.out: list[Intent] = []
        self.before_plan: list[ObligationFacts] = []
        self._periods: dict[str, tuple[tuple[str, date, date], tuple[str, date, date]]] = {}
        # what the ladder gives, asked once per ladder, day and rung sent (most of a day's
        # overdue items share a few deadlines): each result kept with its ladder, whose
        # identity is its key (alive while kept, so never another's)
        self._rungs: dict[tuple[Any, ...], tuple[tuple[Step, ...], Step | None]] = {}
        self._intervals: dict[tuple[int, int], tuple[tuple[Step, ...], int]] = {}
        self._copies: dict[tuple[str, ...], list[str]] = {}
        self._period_of: dict[tuple[str, date], tuple[str, date, date]] = {}

    def rung(
        self, steps: tuple[Step, ...], due: date, sent: Sent | None, first: bool = False
    ) -> Step | None:
        """:func:`rung` on this day (of the ladder's first step alone, with ``first``)."""
        key = (id(steps), due, sent, first)
        found = self._rungs.get(key)
        if found is None:
            ladder = steps[:1] if first else steps
            found = self._rungs[key] = (steps, rung(ladder, due, self.as_of, self.cal, sent))
        return found[1]

    def interval(self, steps: tuple[Step, ...], level: int) -> int:
        found = self._intervals.get((id(steps), level))
        if found is None:
            found = self._intervals[(id(steps), level)] = (steps, interval(steps, level))
        return found[1]

    def copies(self, to: tuple[str, ...]) -> list[str]:
        """The recipients of a rung's copies (the leadership's …), the office aside."""
        found = self._copies.get(to)
        if found is None:
            office = self.plan.office
            found = self._copies[to] = [r for r in _recipients(to, (), (), office) if r != office]
        return found

    def emit(
        self,
        about: _About,
        kind: RuleKind,
        *,
        level: int,
        roles: tuple[str, ...],
        facts: dict[str, Any],
        level_name: str | None = None,
        to: list[str] | None = None,
    ) -> None:
        """Owe a notice of ``kind`` at ``level``, named as the kind names it (a ladder step:
        as the plan names the step), to ``to`` (by default, the recipients ``roles`` name)."""
        name = level_name or kind.level_name or kind.name
        rule, stage = kind.name, kind.stage_at(level)
        if to is None:
            to = _recipients(roles, about.owners, about.lead, self.plan.office)
        key = f"{about.subject}|{rule}|{level}|{about.period}|"  # and the department
        plan_id, out = self.plan.plan_id, self.out
        for department in to:
            # by position (the fields' order), as a notice is made for every line of a letter
            out.append(
                Intent(
                    plan_id,
                    about.task_id,
                    about.task,
                    about.subject,
                    about.obligation_id,
                    about.metric_id,
                    department,
                    rule,
                    level,
                    name,
                    about.period,
                    about.due,
                    stage,
                    roles,
                    facts,
                    key + department,
                )
            )

    def emit_ladder(
        self, about: _About, kind: RuleKind, rules: Rules, facts: dict[str, Any]
    ) -> bool:
        """Owe the notices of a ladder kind after a missed deadline: each owner department at
        the rung its letters so far have reached (``rules.ladder``); the copies of a rung (the
        office's, the leadership's) once an owner's letters reach it.  The office never climbs
        its own ladder: its own items stay at the lowest rung, in its daily list.  Return
        whether any notice is owed."""
        steps, office = rules.escalate, self.plan.office
        at: dict[Step, list[str]] = {}
        copied: set[Step] = set()
        addresses: Step | None = None  # a rung found to address an owner
        sent_rungs = self.plan.sent
        for department in about.owners:
            if department == office:
                holds = self.rung(steps, about.due, None, first=True)
            else:
                sent = sent_rungs.get((about.subject, about.period, department))
                reached = self.rung(steps, about.due, sent)
                if reached is not None and reached is not addresses and reached not in copied:
                    if any(addressed(reached, d, about.owners, about.lead) for d in about.owners):
                        addresses = reached  # (asked once: most owners reach the same rung)
                    else:
                        copied.add(reached)  # a rung for copies alone (to the office, say)
                holds = held(steps, reached, department, about)
            if holds is not None:
                at.setdefault(holds, []).append(department)
        for step in sorted(set(at) | copied, key=lambda s: s.level):
            copies: list[str] = []
            if step in copied or step in at:
                copies = self.copies(step.to)
                if "office" in step.to and office not in about.owners:
                    copies = [office, *copies]
            self.emit(
                about,
                kind,
                level=step.level,
                roles=step.to,
                facts={**facts, "rung_interval": self.interval(steps, step.level)},
                level_name=step.name,
                to=[*at.get(step, []), *copies],
            )
        return bool(at) or bool(copied)

    def obligation(self, ob: ObligationFacts) -> None:
        if ob.done_on is not None and ob.done_on <= self.as_of:
            return
        if ob.reported_on is not None and ob.reported_on <= self.as_of:
            return  # reported, waiting for the office's review (复核): not late, not done
        is_checkpoint = ob.kind == "checkpoint"
        if is_checkpoint and checkpoint_met(ob):
            return
        chase_from = self.plan.chase_from
        if chase_from is not None and ob.deadline < chase_from:
            self.before_plan.append(ob)  # due before the plan took effect: never chased
            return
        facts: dict[str, Any] = {
            "title": ob.title,
            "key": ob.key,
            "kind": ob.kind,
            "deadline": ob.deadline,
            "owners": list(ob.owners),
        }
        if ob.deadline != ob.due:
            facts["planned"] = ob.due
        if is_checkpoint and ob.target is not None:
            value = ob.at_deadline if self.as_of > ob.deadline else ob.latest
            facts.update(metric=ob.metric, target=ob.target, unit=ob.unit, direction=ob.direction)
            if value is not None:
                facts.update(value=value, shortfall=shortfall(ob.direction, value, ob.target))
            facts.update(ratio_facts(ob.parts if value is not None else None, ob.alternative))
        about = _About(
            ob.task_id,
            ob.task,
            f"o{ob.id}",
            ob.id,
            ob.metric_id,
            ob.deadline.isoformat(),
            ob.deadline,
            ob.owners,
            ob.lead,
        )
        stage = _stage_for_reminder(ob.deadline, ob.rules.remind, self.as_of, self.cal)
        if stage is not None:
            facts["working_days"] = self.cal.count(self.as_of, ob.deadline)
            facts["remind_from"] = self.cal.before(ob.deadline, stage)
            warn = False
            if is_checkpoint and ob.target is not None:
                forecast = projected(ob)
                warn = forecast is None or not meets(ob.direction, forecast, ob.target)
                if forecast is not None:
                    facts["projected"] = forecast
            self.emit(
                about, WARN if warn else REMIND, level=stage, roles=ob.rules.remind_to, facts=facts
            )
            return
        if self.as_of > ob.deadline:
            facts["working_days_late"] = self.cal.count(ob.deadline, self.as_of)
            rules, kind = ladder_of(ob)  # a lapse's ladder, or a shortfall's (未达到)
            self.emit_ladder(about, kind, rules, facts)

    def metric(self, m: MetricFacts) -> None:
        if m.reported_on is not None and m.reported_on <= self.as_of:
            return  # a value waits for the office's review (复核): nothing to chase
        complete = (
            m.cumulative
            and m.target is not None
            and m.latest is not None
            and meets(m.direction, m.latest, m.target)
        )
        if complete:
            return
        # with nothing reported yet, the report rule chases the report; pace needs a value
        has_value = m.latest is not None or m.report is None
        # a pace without tolerance only sets checkpoint values (track: false): no notices
        tracked = m.pace_tolerance is not None and m.target is not None
        if tracked and m.pace_start is not None and m.pace_until is not None and has_value:
            self.pace(m)
        if m.report is not None:
            self.report(m)

    def _about(self, m: MetricFacts, period: str, due: date) -> _About:
        return _About(m.task_id, m.task, f"m{m.id}", None, m.id, period, due, m.owners, m.lead)

    def pace(self, m: MetricFacts) -> None:
        if self.plan.chase_from is not None and self.as_of < self.plan.chase_from:
            return
        pace = pace_of(m, self.as_of)
        if pace is None:
            return
        expected, gap, elapsed, span = pace
        tolerance = m.pace_tolerance if m.pace_tolerance is not None else 0.0
        if gap <= tolerance:
            return
        label, _, end = self.periods(m.report or "month")[0]
        self.emit(
            self._about(m, label, end),
            PACE,
            level=0,
            roles=m.rules.remind_to,
            facts={
                "metric": m.key,
                "title": m.title,
                "unit": m.unit,
                "expected": expected,
                "value": m.latest,
                **ratio_facts(m.parts, None),
                "reported_on": m.latest_on,
                "gap": gap,
                "tolerance": tolerance,
                "elapsed_days": elapsed,
                "span_days": span,
                "target": m.target,
                "owners": list(m.owners),
            },
        )

    def backlog(self, obligations: list[ObligationFacts]) -> None:
        """One summary to the office of what fell due before the plan took effect."""
        assert self.plan.chase_from is not None
        first = min(obligations, key=lambda o: (o.task, o.deadline))
        rows = [
            {
                "task": o.task,
                "key": o.key,
                "title": o.title,
                "deadline": o.deadline,
                "owners": list(o.owners),
                "value": o.latest if o.kind == "checkpoint" else None,
                "target": o.target,
                "unit": o.unit,
            }
            for o in sorted(obligations, key=lambda o: (o.task, o.deadline, o.key))
        ]
        self.out.append(
            Intent(
                plan_id=self.plan.plan_id,
                task_id=first.task_id,
                task=first.task,
                subject=f"p{self.plan.plan_id}",
                obligation_id=None,
                metric_id=None,
                department=self.plan.office,
                rule=BACKLOG.name,
                level=0,
                level_name=BACKLOG_NAME,
                period=self.plan.chase_from.isoformat(),
                due=self.plan.chase_from,
                stage=BACKLOG.stage,
                roles=("office",),
                facts={"chase_from": self.plan.chase_from, "items": rows, "count": len(rows)},
            )
        )

    def periods(self, cadence: str) -> tuple[tuple[str, date, date], tuple[str, date, date]]:
        """Return today's reporting period and the one before, for a cadence (computed once)."""
        found = self._periods.get(cadence)
        if found is None:
            current = period_of(cadence, self.as_of)
            found = self._periods[cadence] = (
                current,
                period_of(cadence, current[1] - timedelta(days=1)),
            )
        return found

    def period(self, cadence: str, day: date) -> tuple[str, date, date]:
        """:func:`period_of`, once per cadence and day (most metrics report on a few days)."""
        found = self._period_of.get((cadence, day))
        if found is None:
            found = self._period_of[(cadence, day)] = period_of(cadence, day)
        return found

    def report(self, m: MetricFacts) -> None:
        assert m.report is not None
        (label, start, end), _previous = self.periods(m.report)
        reported = m.latest_on
        if reported is not None and reported >= start:
            return  # reported in this period: nothing to chase
        first = date(self.plan.year, 1, 1)
        last = m.target_by or date(self.plan.year, 12, 31)
        facts: dict[str, Any] | None = None  # made once something may be owed
        chase_from = self.plan.chase_from
        # the first period the plan chases: the one its first chased day falls in
        chased = self.period(m.report, chase_from) if chase_from and chase_from > first else None
        # the first period left without a report: the one after the last report's, or the
        # plan's first; its lateness grows until a report comes, through the whole ladder
        if reported is None or reported < first:
            missing = self.period(m.report, first)
        else:
            after = self.period(m.report, reported)[2] + timedelta(days=1)
            missing = self.period(m.report, after)
        if chased is not None and missing[1] < chased[1]:
            missing = chased
        missing_label, missing_start, missing_end = missing
        if missing_end < start and missing_start >= first and missing_end <= last:
            late = self.cal.count(missing_end, self.as_of)  # the period ended before today
            facts = _report_facts(m)
            facts.update(period=missing_label, deadline=missing_end, working_days_late=late)
            about = self._about(m, missing_label, missing_end)
            if self.emit_ladder(about, REPORT_OVERDUE, m.rules, facts):
                return
        if end > last or start < first or (chased is not None and start < chased[1]):
            return  # the period is not the plan's to ask for
        stage = _stage_for_reminder(end, m.rules.remind, self.as_of, self.cal)
        if stage is not None:
            facts = facts if facts is not None else _report_facts(m)
            facts.update(period=label, deadline=end, working_days=self.cal.count(self.as_of, end))
            self.emit(
                self._about(m, label, end),
                REPORT,
                level=stage,
                roles=m.rules.remind_to,
                facts=facts,
            )


def _report_facts(m: MetricFacts) -> dict[str, Any]:
    """What a notice about a metric's report says of it (the period is added)."""
    return {
        "metric": m.key,
        "title": m.title,
        "unit": m.unit,
        "cadence": m.report,
        "reported_on": m.latest_on,
        "value": m.latest,
        **ratio_facts(m.parts, None),
        "owners": list(m.owners),
    }


def evaluate(plan: PlanFacts, as_of: date, calendar: WorkCalendar) -> list[Intent]:
    """Return the notices owed on ``as_of`` for one plan, in a stable order.

    Nothing is owed before the plan takes effect (``chase_from``) or once it has closed (its
    period's end plus the grace).  Occurrences
    due before the plan took effect (``chase_from``) are never chased; while any of them is
    open, the office is owed one summary of them, once (its key does not change).
    """
    if plan.closes_on is not None and as_of > plan.closes_on:
        return []
    if plan.chase_from is not None and as_of < plan.chase_from:
        return []  # the departments have not received the plan yet
    evaluator = _Evaluator(plan, as_of, calendar)
    for ob in plan.obligations:
        evaluator.obligation(ob)
    for m in plan.metrics:
        evaluator.metric(m)
    if evaluator.before_plan and plan.chase_from is not None and as_of >= plan.chase_from:
        evaluator.backlog(evaluator.before_plan)
    owed = settle(plan, evaluator.out, as_of, monthly=plan.report_up)
    return sorted(owed, key=lambda i: (i.task, i.subject, i.department, i.rule, i.level))
