"""A compiled plan: plain frozen data, resolved and checked, that the store writes and reads.

No pydantic here: the commands that only read the database never load the plan models.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from workplan.plan.policy import Rules
from workplan.plan.settings import PlanSettings

Kind = Literal["deliverable", "occurrence", "standing", "checkpoint", "outcome"]
"""what an obligation is: a result due once (deliverable; outcome: a yes/no result), one
period's share of a recurring duty (occurrence), the review of a standing duty (常态化: done
only with an account of the period's work), a metric's value due by a day (checkpoint)"""

PERIODIC: frozenset[str] = frozenset({"occurrence", "standing"})
"""the kinds made one per period of a duty: their key ends in @period (2023-Q2)"""

CHINESE_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """Return 16 as 十六, 25 as 二十五 (1 to 99)."""
    if n < 10:
        return CHINESE_DIGITS[n]
    tens, ones = divmod(n, 10)
    head = "" if tens == 1 else CHINESE_DIGITS[tens]
    return head + "十" + (CHINESE_DIGITS[ones] if ones else "")


ASSIGNED = 1000
"""where the numbers of 交办件 start: item ASSIGNED + n is 交办件 n, created outside the plan
file (a plan's own items are numbered 1 to 999)"""


def is_assigned(n: int) -> bool:
    """Whether item ``n`` is a 交办件 (an item created outside the plan file)."""
    return n > ASSIGNED


def item_label(n: int) -> str:
    """Return the item label as the plan writes it: （十六）; a 交办件's as （交办3）."""
    if is_assigned(n):
        return f"（交办{n - ASSIGNED}）"
    return f"（{chinese_number(n)}）" if n < 100 else f"（{n}）"


@dataclass(frozen=True)
class DeptInfo:
    name: str
    emails: tuple[str, ...]
    head_name: str | None
    head_email: str | None
    aliases: tuple[str, ...]
    robots: tuple[str, ...] = ()


@dataclass(frozen=True)
class TaskInfo:
    number: int
    chapter: int
    chapter_title: str
    title: str
    text: str
    lead: tuple[str, ...]
    co: tuple[str, ...]

    @property
    def owners(self) -> tuple[str, ...]:
        return self.lead + self.co


@dataclass(frozen=True)
class MetricInfo:
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
    rules: Rules
    aliases: tuple[str, ...] = ()
    part: str | None = None
    """'ratio' for a metric derived as numerator ÷ denominator; 'numerator', 'denominator'
    or 'benchmark' for a part reported on its own"""
    part_of: str | None = None
    """a part's metric (its key)"""


@dataclass(frozen=True)
class ObligationInfo:
    task: int
    key: str
    kind: Kind
    source: str
    title: str
    opens: date | None
    due: date
    metric: str | None
    target: float | None
    owners: tuple[str, ...]
    rules: Rules
    aliases: tuple[str, ...] = ()
    benchmark: str | None = None
    """an any_of checkpoint: the benchmark metric (its key) that also meets it"""


@dataclass(frozen=True)
class CompiledPlan:
    """Everything the store needs, resolved and checked."""

    id: str
    title: str
    year: int
    issued: date | None
    timezone: str
    locale: str
    office: str
    settings: PlanSettings
    """what the store keeps with the plan row: calendar, sending, numbering, events …"""
    departments: tuple[DeptInfo, ...]
    tasks: tuple[TaskInfo, ...]
    metrics: tuple[MetricInfo, ...]
    obligations: tuple[ObligationInfo, ...] = field(repr=False)
    fingerprint: str = ""
    """A digest of what was written (not how): equal for plans that load identically."""


def _canonical(value: Any, memo: dict[int, Any]) -> Any:
    """Return plain JSON-ready data for a tree of frozen dataclasses, sharing repeated parts.

    ``dataclasses.asdict`` deep-copies every leaf; a plan shares one policy object among
    hundreds of obligations, so this walks each shared object once.
    """
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, date):
        return value.isoformat()
    found = memo.get(id(value))
    if found is not None:
        return found
    if isinstance(value, tuple | list):
        out: Any = [_canonical(v, memo) for v in value]
    elif isinstance(value, dict):
        out = {str(k): _canonical(v, memo) for k, v in sorted(value.items())}
    else:
        names = value.__dataclass_fields__
        out = {name: _canonical(getattr(value, name), memo) for name in names}
    memo[id(value)] = out
    return out


def digest(value: Any) -> str:
    """Return a SHA-256 digest of a tree of frozen dataclasses, independent of object identity."""
    blob = json.dumps(_canonical(value, {}), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()


def expected_on(baseline: float, target: float, start: date, until: date, day: date) -> float:
    """Return 序时进度 on ``day``: the value expected if work were spread evenly over
    [start, until] (both days counted), from ``baseline`` to ``target``."""
    span = (until - start).days + 1
    elapsed = min(max((day - start).days + 1, 0), span)
    return round(baseline + (target - baseline) * elapsed / span, 2)


def pace_value(metric: MetricInfo, day: date) -> float:
    """Return the value a metric is expected to have on ``day`` (序时进度)."""
    if metric.target is None or metric.pace_start is None or metric.pace_until is None:
        raise ValueError("metric has no pace")
    return expected_on(metric.baseline, metric.target, metric.pace_start, metric.pace_until, day)
