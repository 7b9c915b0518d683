"""What every part of the plan compiler shares: the plan, where its problems go, its period,
its working days and its policies, and the item being compiled.

The compiler is split by what it resolves: the directory (:mod:`directory`), the duties with a
date (:mod:`duties`: deliverables, recurring and standing duties, duties an event starts), the
metrics and their checkpoints (:mod:`metrics`); :mod:`expand` walks the plan through them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date

from workplan.errors import Problem
from workplan.plan.compiled import TaskInfo
from workplan.plan.model import DEFAULT_POLICY, CalendarFile, Plan, Policy
from workplan.plan.model import _Obligation as Obligation
from workplan.plan.policy import Rules, Step
from workplan.plan.proportion import proportioned
from workplan.plan.settings import CalendarSpec, Schedule
from workplan.plan.yamlsource import PathKey, Source


class Collector:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, source: Source, path: PathKey, message: str, *, key: bool = False) -> None:
        self.problems.append(source.problem(path, message, key=key))


def merge(base: Rules, override: Policy | None) -> Rules:
    """Return a policy with what ``override`` sets, the rest inherited from ``base``."""
    if override is None:
        return base
    return Rules(
        remind=tuple(override.remind) if override.remind is not None else base.remind,
        remind_to=tuple(override.remind_to) if override.remind_to is not None else base.remind_to,
        escalate=(
            tuple(Step(s.level, s.name, s.after, tuple(s.to)) for s in override.escalate)
            if override.escalate is not None
            else base.escalate
        ),
    )


BASE_RULES = merge(Rules((), (), ()), DEFAULT_POLICY)


def units(
    key: str, title: str, each: bool, who: tuple[str, ...]
) -> list[tuple[str, str, tuple[str, ...]]]:
    """Split an obligation with ``each: true`` into one per owner: key, title, owners."""
    if not each:
        return [(key, title, who)]
    return [(f"{key}:{dept}", f"{title}（{dept}）", (dept,)) for dept in who]


class Context:
    """The plan being compiled: its source, its problems, its period and its calendar."""

    def __init__(
        self, plan: Plan, source: Source, calendars: list[tuple[Source, CalendarFile]]
    ) -> None:
        self.plan = plan
        self.source = source
        self.calendars = calendars
        self.out = Collector()
        self.ladders: set[Step] = set()
        self.is_working: Callable[[date], bool] | None = None
        year = plan.year
        self.start = plan.period.start if plan.period else date(year, 1, 1)
        self.end = plan.period.end if plan.period else date(year, 12, 31)
        self.year_start = date(year, 1, 1)
        self.year_end = date(year, 12, 31)

    def add(self, path: PathKey, message: str, *, key: bool = False) -> None:
        """Report a problem at ``path`` of the plan file."""
        self.out.add(self.source, path, message, key=key)

    # dates -------------------------------------------------------------------------------
    def in_period(self, day: date, path: PathKey, what: str = "date") -> bool:
        if not self.start <= day <= self.end:
            self.add(
                path,
                f"{what} {day.isoformat()} is outside the plan's period "
                f"{self.start.isoformat()} – {self.end.isoformat()}; "
                "widen 'period:' if this is intended",
            )
            return False
        return True

    def schedules(self) -> tuple[Schedule, ...]:
        """The official schedules of the plan's calendar files, by year (checked)."""
        out: dict[int, Schedule] = {}
        for source, spec in self.calendars:
            if spec.country.upper() != self.plan.calendar.country.upper():
                self.out.add(
                    source,
                    ("country",),
                    f"the file is {spec.country}'s schedule; the plan's calendar is "
                    f"{self.plan.calendar.country}'s",
                )
                continue
            if spec.year in out:
                self.out.add(source, ("year",), f"{spec.year} is given by two calendar files")
            for key in ("holidays", "working_days"):
                for i, day in enumerate(getattr(spec, key)):
                    if day.year != spec.year:
                        self.out.add(
                            source, (key, i), f"{day} is not in {spec.year}, the file's year"
                        )
            for i, day in enumerate(spec.working_days):
                if day in spec.holidays:
                    self.out.add(
                        source, ("working_days", i), f"{day} is both a holiday and a working day"
                    )
            out[spec.year] = Schedule(
                spec.year, tuple(sorted(spec.holidays)), tuple(sorted(spec.working_days))
            )
        return tuple(out.values())

    def work_calendar(self) -> Callable[[date], bool]:
        """Which days are working days on the plan's calendar (for every: working-day)."""
        from workplan.plan.calendar import calendar_for

        if self.is_working is not None:
            return self.is_working
        seen = len(self.out.problems)
        schedules = self.schedules()
        del self.out.problems[seen:]  # compile() checks the calendar files and reports once

        calendar = calendar_for(self.calendar_spec(schedules), self.start.year)
        self.is_working = calendar.is_working_day
        return calendar.is_working_day

    def calendar_spec(self, schedules: tuple[Schedule, ...]) -> CalendarSpec:
        """The plan's calendar as what a WorkCalendar is built from."""
        return CalendarSpec(
            self.plan.calendar.country,
            tuple(self.plan.calendar.extra_holidays),
            tuple(self.plan.calendar.extra_working_days),
            schedules,
        )

    def closes_on(self, schedules: tuple[Schedule, ...]) -> date:
        """The last day the plan is chased: its period's end plus the grace, in working days."""
        from workplan.plan.calendar import calendar_for

        calendar = calendar_for(self.calendar_spec(schedules), self.end.year)
        if self.plan.grace == 0:
            return self.end
        return calendar.after(self.end, self.plan.grace)

    # policies ----------------------------------------------------------------------------
    def check_rules(self, rules: Rules, path: PathKey) -> None:
        self.ladders.update(rules.escalate)
        levels = [s.level for s in rules.escalate]
        if levels != sorted(set(levels)):
            written = ", ".join(str(n) for n in levels)
            self.add(
                (*path, "escalate"),
                f"escalation levels must be distinct and ascending (1, 2, 3 …), not {written}",
            )
        afters = [s.after for s in rules.escalate]
        if afters != sorted(set(afters)):
            written = ", ".join(str(n) for n in afters)
            self.add(
                (*path, "escalate"),
                "each level must come more working days after the due date than the one before,"
                f" not after: {written}",
            )


class Item:
    """The item (task) being compiled: its number, owners and policy, and the ids it uses."""

    def __init__(
        self,
        ctx: Context,
        info: TaskInfo,
        rules: Rules,
        resolve: Callable[[list[str], PathKey], tuple[str, ...]],
        *,
        strength: str = "firm",
        key: bool = False,
        needs_review: bool = False,
    ) -> None:
        self.ctx = ctx
        self.info = info
        self.number = info.number
        self.rules = rules
        self.resolve = resolve
        self.strength = strength
        self.key = key
        self.needs_review = needs_review
        self.ids: set[str] = set()

    def unique(self, obligation_id: str, where: PathKey) -> None:
        """Refuse an id used twice in the item."""
        if obligation_id in self.ids:
            self.ctx.add(
                (*where, "id"), f"id '{obligation_id}' is used twice in item {self.number}"
            )
        self.ids.add(obligation_id)

    def ladder(self, policy: Policy | None, where: PathKey) -> None:
        """Check an obligation's own escalation ladder."""
        if policy is not None and policy.escalate is not None:
            self.ctx.check_rules(merge(self.rules, policy), (*where, "policy"))

    def owners(self, names: list[str] | None, where: PathKey) -> tuple[str, ...]:
        """An obligation's owners: its own, else its item's."""
        if names is None:
            return self.info.owners
        return self.resolve(names, (*where, "owners"))

    def begin(self, ob: Obligation, where: PathKey, *, standing: bool = False) -> Rules:
        """Start an obligation: its id checked, its ladder checked; return its policy, its
        ladders in proportion to its strength and kind (:mod:`workplan.plan.proportion`)."""
        self.unique(ob.id, where)
        self.ladder(ob.policy, where)
        caps = self.ctx.plan.proportion
        review = self.needs_review if ob.needs_review is None else ob.needs_review
        rules = proportioned(
            merge(self.rules, ob.policy),
            strength=ob.strength or self.strength,
            key=self.key if ob.key is None else ob.key,
            standing=standing,
            own_ladder=ob.policy is not None and ob.policy.escalate is not None,
            shortfall_to=caps.shortfall,
            standing_to=caps.standing,
        )
        return replace(rules, needs_review=review) if review else rules
