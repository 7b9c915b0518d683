"""The facts the rules read: each plan's open obligations and tracked metrics on a day.

Plain records, no queries: the evaluator imports them without the database.  They are read from
the store in a few bulk queries by :mod:`workplan.store.facts_query`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from workplan.plan.policy import Rules
from workplan.store.parts import Parts


@dataclass(slots=True, kw_only=True)
class ObligationFacts:
    """An open obligation and, for a checkpoint, what has been reported against it."""

    id: int
    plan_id: int
    task_id: int
    task: int
    key: str
    kind: str
    title: str
    due: date
    deadline: date
    owners: tuple[str, ...]
    lead: tuple[str, ...]
    rules: Rules
    metric_id: int | None = None
    metric: str | None = None
    target: float | None = None
    direction: str = "at_least"
    cumulative: bool = True
    unit: str = ""
    baseline: float = 0.0
    trend_from: date | None = None
    """Where a cumulative metric's trend starts from its baseline (the pace start, or 1 January)."""
    at_deadline: float | None = None
    """The latest value reported on or before the deadline (or today, if earlier)."""
    latest: float | None = None
    latest_on: date | None = None
    met_late: bool = False
    """A report after the deadline reached the target."""
    done_on: date | None = None
    reported_on: date | None = None
    """where reports are reviewed (复核): the day a report came that waits for the office's
    review (a report of it done, or a value of its metric); the office has not accepted it"""
    parts: Parts | None = None
    """a ratio metric: the numerator and denominator the value is derived from"""
    alternative: Alternative | None = None
    """an any_of checkpoint: its own target and the benchmark; ``target`` is the easier"""


@dataclass(frozen=True, slots=True, kw_only=True)
class Alternative:
    """The two ways an any_of checkpoint is met: the plan's figure (the pace) or a benchmark."""

    planned: float
    benchmark_title: str
    benchmark: float | None
    """the benchmark as of the deadline (or today); None: not recorded yet"""


@dataclass(slots=True, kw_only=True)
class MetricFacts:
    """A metric with a pace (序时进度) or a reporting cadence, and its latest report."""

    id: int
    plan_id: int
    task_id: int
    task: int
    key: str
    title: str
    unit: str
    direction: str
    cumulative: bool
    baseline: float
    target: float | None
    target_by: date | None
    pace_start: date | None
    pace_until: date | None
    pace_tolerance: float | None
    report: str | None
    owners: tuple[str, ...]
    lead: tuple[str, ...]
    rules: Rules
    latest: float | None = None
    latest_on: date | None = None
    parts: Parts | None = None
    """a ratio metric: the numerator and denominator the latest value is derived from"""
    reported_on: date | None = None
    """where values are reviewed (复核): the day of the latest value waiting for the office"""


@dataclass(frozen=True, slots=True)
class Sent:
    """The highest rung of the ladder sent to one recipient about one thing, and its day."""

    level: int
    on: date


SentRungs = dict[tuple[str, str, str], Sent]
"""(subject, period, department) -> the highest rung sent to that department about it"""


@dataclass(frozen=True, kw_only=True)
class PlanFacts:
    """What the evaluator needs to know about one plan on one day."""

    plan_id: int
    office: str
    year: int
    obligations: tuple[ObligationFacts, ...] = ()
    metrics: tuple[MetricFacts, ...] = ()
    chase_from: date | None = None
    """the first day the plan is chased: earlier occurrences are shown, never chased"""
    closes_on: date | None = None
    """the last day anything is owed (the plan's period end plus its grace)"""
    sent: SentRungs = field(default_factory=dict)
    """the rungs of the ladder already sent, each department's highest (the ladder climbs
    by letters sent: ``rules.ladder``)"""
    report_up: bool = True
    """the leadership gets the month's report (``proportion.leadership: monthly``)"""


@dataclass(frozen=True)
class Task:
    """An active task: its item number, chapter, title, departments and sign-off."""

    id: int
    number: int
    chapter: int
    chapter_title: str
    title: str
    lead: tuple[str, ...]
    co: tuple[str, ...]
    signed_off_at: datetime | None
    signed_off_by: str | None

    @property
    def owners(self) -> tuple[str, ...]:
        return self.lead + self.co


@dataclass(frozen=True, slots=True, kw_only=True)
class Letter:
    """A letter of the ladder actually sent to a department about an obligation (考核 evidence)."""

    notice_id: int
    obligation_id: int
    department: str
    rule: str
    """the kind of rule it was owed by (the rules keep the ladder's)"""
    level: int
    level_name: str
    dated: date
    """the letter's date (成文日期)"""
    number: str | None = None
    """its document number (文号), when it has one"""


@dataclass(frozen=True, slots=True, kw_only=True)
class CycleStep:
    """A step of the office's cycle recorded against an obligation: 退回 or 挂起 (where kept)."""

    obligation_id: int
    step: str
    """'returned' (退回) or 'paused' (挂起); other steps score nothing"""
    on: date
    department: str | None = None
