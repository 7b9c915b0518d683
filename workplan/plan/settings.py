"""A plan's settings: what the store keeps with the plan row, as one typed record.

The compiler makes it from the plan file; the store writes it as JSON (:meth:`PlanSettings.to_json`)
and every reader parses it back once (:meth:`PlanSettings.from_json`).  A database written by an
earlier version may lack a key: each is read with the default the plan file would give it.
Pure: no pydantic, no SQLAlchemy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from datetime import date
from functools import lru_cache
from typing import Any

from workplan.plan.events import TriggerInfo, trigger_from_json, trigger_to_json
from workplan.plan.policy import Rules, rules_from_dict


def _days(values: list[str] | None) -> tuple[date, ...]:
    return tuple(date.fromisoformat(d) for d in values or [])


def _iso(days: tuple[date, ...]) -> list[str]:
    return [d.isoformat() for d in days]


@dataclass(frozen=True, slots=True)
class Schedule:
    """One year's official schedule from a calendar file: its holidays and swapped working days."""

    year: int
    holidays: tuple[date, ...]
    working_days: tuple[date, ...]


@dataclass(frozen=True, slots=True)
class CalendarSpec:
    """What a plan's working-day calendar is built from (hashable: calendars are cached on it)."""

    country: str = "CN"
    extra_holidays: tuple[date, ...] = ()
    extra_working_days: tuple[date, ...] = ()
    schedules: tuple[Schedule, ...] = ()
    """official schedules from the plan's calendar files, by year"""


@dataclass(frozen=True, slots=True)
class NoticeSettings:
    """How notices are sent: digests, sending hours, the morning run, the return form."""

    digest: bool = True
    hours: tuple[int, int] = (8, 18)
    run_at: str = "08:30"
    return_form: bool = False


DEFAULT_REPORT = "督查专报"
"""what the leadership receives unless the plan names its report otherwise (情况报告 …)"""


@dataclass(frozen=True, slots=True)
class NumberFormats:
    """How formal documents are numbered (文号): a format per kind, and the bulletin's issue."""

    documents: dict[str, str] = field(default_factory=dict)
    bulletin: str | None = None
    report: str | None = None
    """the name of the report the leadership receives (督查专报, 情况报告 …); its number format,
    if any, is ``documents[report]``"""


@dataclass(frozen=True, slots=True)
class BriefStyle:
    """How the monthly brief colours items (三色) and whether it ranks departments."""

    colours: str = "pace"
    near: int = 5
    ranking: bool = False


@dataclass(frozen=True, slots=True)
class ScoringRules:
    """考核: the points an office gives per obligation (see the plan file's ``scoring:``)."""

    base: float = 100
    lead: float = 1
    co: float = 0.5
    on_time: float = 0
    early: float = 0
    early_days: int = 5
    late: tuple[tuple[str, float], ...] = (("催办", -1.0), ("督办", -2.0), ("通报", -3.0))
    """points by the name of the highest rung sent"""
    unreported: float = -5
    returned: float = -2
    cap: float = 10

    def to_json(self) -> dict[str, Any]:
        """Return the rules as the plan row keeps them."""
        out: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(ScoringRules)}
        out["late"] = dict(self.late)
        return out

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> ScoringRules:
        """Parse the rules a plan row keeps; a key missing takes its default."""
        known = {f.name: raw[f.name] for f in fields(ScoringRules) if f.name in raw}
        if "late" in known:
            known["late"] = tuple((str(k), float(v)) for k, v in known["late"].items())
        return cls(**known)


@dataclass(frozen=True, slots=True)
class ProportionSettings:
    """How far each kind of miss climbs, and how often the leadership hears of it (the
    rungs' caps are resolved into each obligation's policy when the plan compiles)."""

    shortfall: str | None = None
    """the highest rung a shortfall reaches after its 提示函 (None: the ladder's first)"""
    standing: str | None = None
    """the highest rung a standing duty's review reaches (None: the ladder's first)"""
    leadership: str = "monthly"
    """monthly: at most one one-page report a month to the leadership; off: none"""


@dataclass(frozen=True, slots=True)
class CycleSettings:
    """The office's cycle: days to sign for a 交办单, days a request waits for an answer,
    whether reports wait for the office's review (复核) and how long before it is reminded."""

    receipt_days: int = 2
    answer_days: int = 3
    needs_review: bool = False
    review_days: int = 3


@dataclass(frozen=True, slots=True)
class PlanSettings:
    """The plan-level settings kept with the plan row."""

    calendar: CalendarSpec = CalendarSpec()
    leadership: tuple[tuple[str | None, str], ...] = ()
    """(name, address) of each leader"""
    notices: NoticeSettings = NoticeSettings()
    issuer: str | None = None
    chase_from: date | None = None
    """the first day the plan is chased: earlier occurrences are shown, never chased"""
    closes_on: date | None = None
    """the last day anything is owed (the plan's period end plus its grace)"""
    period: tuple[date, date] | None = None
    """the span the plan's dates fall in, when the plan widens it beyond its year"""
    numbering: NumberFormats = NumberFormats()
    brief: BriefStyle = BriefStyle()
    scoring: ScoringRules = ScoringRules()
    proportion: ProportionSettings = ProportionSettings()
    events: dict[str, str] = field(default_factory=dict)
    """the events the office records (id -> what happened)"""
    triggers: tuple[TriggerInfo, ...] = ()
    """the duties each recorded event starts"""
    cycle: CycleSettings = CycleSettings()
    ladder: Rules | None = None
    """the plan-wide policy (its reminders and ladder): what a 交办件 follows"""

    def period_or_year(self, year: int) -> tuple[date, date]:
        """The plan's period: the one it gives, else its year."""
        return self.period or (date(year, 1, 1), date(year, 12, 31))

    def to_json(self) -> dict[str, Any]:
        """Return the settings as the plan row keeps them (read back by :meth:`from_json`)."""
        cal = self.calendar
        brief = {
            f.name: getattr(self.brief, f.name)
            for f in fields(BriefStyle)
            if getattr(self.brief, f.name) != f.default
        }
        proportion = {
            f.name: getattr(self.proportion, f.name)
            for f in fields(ProportionSettings)
            if getattr(self.proportion, f.name) != f.default
        }
        numbering: dict[str, Any] = {"documents": dict(self.numbering.documents)}
        if self.numbering.bulletin is not None:
            numbering["bulletin"] = self.numbering.bulletin
        if self.numbering.report is not None:
            numbering["report"] = self.numbering.report
        events: dict[str, Any] = {}
        if self.events:
            events = {
                "events": dict(self.events),
                "triggers": [trigger_to_json(t) for t in self.triggers],
            }
        return (
            {
                "country": cal.country,
                "extra_holidays": _iso(cal.extra_holidays),
                "extra_working_days": _iso(cal.extra_working_days),
                "leadership": [list(p) for p in self.leadership],
                "notices": {
                    "digest": self.notices.digest,
                    "hours": list(self.notices.hours),
                    "run_at": self.notices.run_at,
                    "return_form": self.notices.return_form,
                },
                "issuer": self.issuer,
                "chase_from": self.chase_from.isoformat() if self.chase_from else None,
                "closes_on": self.closes_on.isoformat() if self.closes_on else None,
                "period": _iso(self.period) if self.period else None,
                "numbering": numbering,
                "calendar_schedules": {
                    str(s.year): {
                        "holidays": _iso(s.holidays),
                        "working_days": _iso(s.working_days),
                    }
                    for s in cal.schedules
                },
                **events,
            }
            | ({"brief": brief} if brief else {})
            | {"scoring": self.scoring.to_json()}
            | ({"proportion": proportion} if proportion else {})
            | self._cycle_json()
        )

    def _cycle_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        cycle = {
            f.name: getattr(self.cycle, f.name)
            for f in fields(CycleSettings)
            if getattr(self.cycle, f.name) != f.default
        }
        if cycle:
            out["cycle"] = cycle
        if self.ladder is not None:
            out["policy"] = {
                "remind": list(self.ladder.remind),
                "remind_to": list(self.ladder.remind_to),
                "escalate": [
                    {"level": s.level, "name": s.name, "after": s.after, "to": list(s.to)}
                    for s in self.ladder.escalate
                ],
            }
        return out

    @classmethod
    def from_json(cls, text: str | dict[str, Any]) -> PlanSettings:
        """Parse the settings a plan row keeps (its JSON text, or that text already loaded).

        A text is parsed once per process while it stays the same (the record is frozen):
        one tick reads every plan's settings three times, 40 µs each."""
        if isinstance(text, str):
            return _parsed(text)
        return cls._from_raw(text)

    @classmethod
    def _from_raw(cls, raw: dict[str, Any]) -> PlanSettings:
        notices = raw.get("notices") or {}
        numbering = raw.get("numbering") or {}
        brief = raw.get("brief") or {}
        proportion = raw.get("proportion") or {}
        period = raw.get("period")
        cycle = raw.get("cycle") or {}
        chase_from, closes_on = raw.get("chase_from"), raw.get("closes_on")
        defaults = NoticeSettings()
        return cls(
            calendar=CalendarSpec(
                country=raw.get("country", "CN"),
                extra_holidays=_days(raw.get("extra_holidays")),
                extra_working_days=_days(raw.get("extra_working_days")),
                schedules=tuple(
                    Schedule(int(year), _days(days["holidays"]), _days(days["working_days"]))
                    for year, days in (raw.get("calendar_schedules") or {}).items()
                ),
            ),
            leadership=tuple((name, email) for name, email in raw.get("leadership") or []),
            notices=NoticeSettings(
                digest=bool(notices.get("digest", defaults.digest)),
                hours=(
                    int(notices.get("hours", defaults.hours)[0]),
                    int(notices.get("hours", defaults.hours)[1]),
                ),
                run_at=notices.get("run_at", defaults.run_at),
                return_form=bool(notices.get("return_form", defaults.return_form)),
            ),
            issuer=raw.get("issuer"),
            chase_from=date.fromisoformat(chase_from) if chase_from else None,
            closes_on=date.fromisoformat(closes_on) if closes_on else None,
            period=(date.fromisoformat(period[0]), date.fromisoformat(period[1]))
            if period
            else None,
            numbering=NumberFormats(
                dict(numbering.get("documents") or {}),
                numbering.get("bulletin"),
                numbering.get("report"),
            ),
            brief=BriefStyle(
                **{f.name: brief[f.name] for f in fields(BriefStyle) if f.name in brief}
            ),
            scoring=ScoringRules.from_json(raw.get("scoring") or {}),
            proportion=ProportionSettings(
                **{
                    f.name: proportion[f.name]
                    for f in fields(ProportionSettings)
                    if f.name in proportion
                }
            ),
            events=dict(raw.get("events") or {}),
            triggers=tuple(trigger_from_json(t) for t in raw.get("triggers") or []),
            cycle=CycleSettings(
                **{f.name: cycle[f.name] for f in fields(CycleSettings) if f.name in cycle}
            ),
            ladder=rules_from_dict(raw["policy"]) if raw.get("policy") else None,
        )


@lru_cache(maxsize=8192)  # more than a province's county plans, each read in turn by a tick
def _parsed(text: str) -> PlanSettings:
    return PlanSettings._from_raw(json.loads(text))
