"""考核: score departments over a period from the facts and the letters sent; pure.

Every point is a :class:`Point`: one department, one obligation, one day, one rule, and where a
letter is the evidence, that letter.  A department's score is the plan's base plus its points,
each item's loss capped; nothing else enters it, so scoring again after a rule changes gives
what scoring afresh gives.  Nothing is scored for a leader's 批示 or for media articles (2024
《整治形式主义为基层减负若干规定》): only deadlines, reports, 退回 and the letters sent count.

Which obligations count: those whose deadline falls in the period and has passed (or that are
done already), firm ones only (an aim, whose ladder is empty, is never escalated and never
scored), not paused, and not due before the plan took effect.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from workplan.plan.calendar import WorkCalendar
from workplan.plan.compiled import item_label
from workplan.plan.settings import ScoringRules
from workplan.rules.evaluate import checkpoint_met, meets
from workplan.rules.kinds import rule_kind
from workplan.store.facts import CycleStep, Letter, MetricFacts, ObligationFacts

ON_TIME, EARLY, LATE, UNREPORTED, RETURNED, CAP = (
    "on time",
    "early",
    "late",
    "unreported",
    "returned",
    "cap",
)
"""The rules a point is given by (words for people: cli.render)."""


@dataclass(frozen=True, slots=True)
class Point:
    """One line of a department's score: the obligation, the day, the rule and the points."""

    department: str
    item: str
    """the item's label, （十六）"""
    title: str
    """the obligation's title"""
    obligation_id: int
    key: str
    day: date
    basis: str
    """the scoring rule the points are given by (on time, late, unreported …)"""
    points: float
    """weighted by the department's role, as added to its score"""
    role: str
    """lead or co"""
    rung: str | None = None
    """for a late obligation: the highest rung sent (催办, 督办, 通报 …)"""
    letter: int | None = None
    """the notice that is the evidence"""
    number: str | None = None
    """the letter's document number (文号)"""


@dataclass(slots=True)
class Score:
    """A department's score and rates over a period."""

    department: str
    base: float
    points: list[Point] = field(default_factory=list)
    due: int = 0
    on_time: int = 0
    """done by the deadline (按期办结)"""
    reported: int = 0
    """something reported by the deadline (报送及时)"""
    targets: int = 0
    targets_met: int = 0

    @property
    def total(self) -> float:
        return round(self.base + sum(p.points for p in self.points), 2)

    @property
    def on_time_rate(self) -> float | None:
        """按期办结率: done by the deadline ÷ due in the period."""
        return self.on_time / self.due if self.due else None

    @property
    def report_rate(self) -> float | None:
        """报送及时率: reported by the deadline ÷ due in the period."""
        return self.reported / self.due if self.due else None

    @property
    def target_rate(self) -> float | None:
        """目标完成率: checkpoints whose target was reached ÷ checkpoints due."""
        return self.targets_met / self.targets if self.targets else None


@dataclass(frozen=True, slots=True)
class Period:
    """The span scored, and the day the facts are known on."""

    start: date
    end: date
    as_of: date


def _aim(ob: ObligationFacts) -> bool:
    return not ob.rules.escalate


def counted(ob: ObligationFacts, period: Period, chase_from: date | None, paused: set[int]) -> bool:
    """Whether an obligation enters the period's score."""
    if not period.start <= ob.deadline <= period.end or _aim(ob) or ob.id in paused:
        return False
    if chase_from is not None and ob.deadline < chase_from:
        return False
    return ob.deadline < period.as_of or _done_at_all(ob, period.as_of)


def _leads(ob: ObligationFacts, department: str) -> bool:
    """Whether a department leads an obligation: the item's lead, else its first owner."""
    if any(owner in ob.lead for owner in ob.owners):
        return department in ob.lead
    return department == ob.owners[0]


def _done_by_deadline(ob: ObligationFacts) -> bool:
    if ob.kind == "checkpoint":
        reached = ob.at_deadline
        return (
            ob.target is not None
            and reached is not None
            and meets(ob.direction, reached, ob.target)
        )
    return ob.done_on is not None and ob.done_on <= ob.deadline


def _done_at_all(ob: ObligationFacts, as_of: date) -> bool:
    if ob.kind == "checkpoint":
        return checkpoint_met(ob)
    return ob.done_on is not None and ob.done_on <= as_of


def _reported_by_deadline(ob: ObligationFacts) -> bool:
    if ob.kind == "checkpoint":
        return ob.at_deadline is not None
    return _done_by_deadline(ob)


def _reported_at_all(ob: ObligationFacts, metrics: dict[int, MetricFacts], as_of: date) -> bool:
    if ob.kind != "checkpoint":
        return _done_at_all(ob, as_of)
    metric = metrics.get(ob.metric_id) if ob.metric_id is not None else None
    later = metric is not None and metric.latest_on is not None and metric.latest_on <= as_of
    return ob.at_deadline is not None or ob.met_late or later


def score(
    obligations: list[ObligationFacts] | tuple[ObligationFacts, ...],
    metrics: list[MetricFacts] | tuple[MetricFacts, ...],
    letters: list[Letter],
    steps: list[CycleStep],
    rules: ScoringRules,
    period: Period,
    calendar: WorkCalendar,
    chase_from: date | None = None,
) -> list[Score]:
    """Return every department's score over ``period``, best first (then by name)."""
    paused = {s.obligation_id for s in steps if s.step == "paused" and s.on <= period.as_of}
    returned: dict[int, list[CycleStep]] = {}
    for s in steps:
        if s.step == "returned" and s.on <= period.as_of:
            returned.setdefault(s.obligation_id, []).append(s)
    sent: dict[tuple[int, str], Letter] = {}
    for one in letters:
        if one.dated > period.as_of or not rule_kind(one.rule).ladder:
            continue
        held = sent.get((one.obligation_id, one.department))
        if held is None or (one.level, -one.notice_id) > (held.level, -held.notice_id):
            sent[(one.obligation_id, one.department)] = one
    by_metric = {m.id: m for m in metrics}
    late_points = dict(rules.late)
    scores: dict[str, Score] = {}
    for ob in sorted(obligations, key=lambda o: (o.deadline, o.task, o.key)):
        if not counted(ob, period, chase_from, paused):
            continue
        on_time, reported = _done_by_deadline(ob), _reported_by_deadline(ob)
        for department in ob.owners:
            mine = scores.setdefault(department, Score(department, rules.base))
            lead = _leads(ob, department)

            mine.due += 1
            mine.on_time += on_time
            mine.reported += reported
            if ob.kind == "checkpoint":
                mine.targets += 1
                mine.targets_met += _done_at_all(ob, period.as_of)
            owed = _Owed(ob, department, "lead" if lead else "co", rules.lead if lead else rules.co)
            letter = sent.get((ob.id, department))
            if on_time:
                done = ob.done_on
                early = done is not None and calendar.count(done, ob.deadline) >= rules.early_days
                if early and rules.early:
                    mine.points.append(owed.point(EARLY, rules.early, done or ob.deadline))
                else:
                    mine.points.append(owed.point(ON_TIME, rules.on_time, done or ob.deadline))
            elif not _reported_at_all(ob, by_metric, period.as_of):
                mine.points.append(owed.point(UNREPORTED, rules.unreported, ob.deadline, letter))
            elif letter is not None:
                raw = late_points.get(letter.level_name, 0.0)
                mine.points.append(owed.point(LATE, raw, letter.dated, letter))
            else:
                mine.points.append(owed.point(LATE, 0.0, ob.done_on or ob.deadline))
            for step in returned.get(ob.id, []):
                if step.department in (None, department):
                    mine.points.append(owed.point(RETURNED, rules.returned, step.on))
    for mine in scores.values():
        _cap(mine, rules.cap)
    return sorted(scores.values(), key=lambda s: (-s.total, s.department))


@dataclass(frozen=True, slots=True)
class _Owed:
    """An obligation as one department owes it: the points it gives are weighted by the role."""

    ob: ObligationFacts
    department: str
    role: str
    weight: float

    def point(self, basis: str, raw: float, day: date, letter: Letter | None = None) -> Point:
        return Point(
            self.department,
            item_label(self.ob.task),
            self.ob.title,
            self.ob.id,
            self.ob.key,
            day,
            basis,
            round(raw * self.weight, 2),
            self.role,
            letter.level_name if letter else None,
            letter.notice_id if letter else None,
            letter.number if letter else None,
        )


def _cap(mine: Score, cap: float) -> None:
    """Give back what an item costs a department beyond the cap, as one line of its own."""
    lost: dict[str, list[Point]] = {}
    for p in mine.points:
        lost.setdefault(p.item, []).append(p)
    for item, points in lost.items():
        losses = [p for p in points if p.points < 0]
        total = sum(p.points for p in losses)
        if total < -cap:
            last = max(losses, key=lambda p: p.day)
            mine.points.append(
                Point(
                    mine.department,
                    item,
                    "",
                    last.obligation_id,
                    last.key,
                    last.day,
                    CAP,
                    round(-cap - total, 2),
                    last.role,
                )
            )
