"""Compile a validated plan: resolve departments and policies, expand every dated obligation.

Pure: from pydantic models to plain frozen dataclasses.  Every semantic check that needs the
whole plan (department names, checkpoints that go down, dates outside the plan's period,
recurrences that never end) happens here and is reported with the path it came from.
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import date
from itertools import pairwise
from typing import Any

from workplan import __version__
from workplan.errors import Problem
from workplan.plan.compiled import (
    CompiledPlan,
    DeptInfo,
    Kind,
    MetricInfo,
    ObligationInfo,
    TaskInfo,
    pace_value,
)
from workplan.plan.events import TriggerInfo, parse_within
from workplan.plan.model import (
    DEFAULT_POLICY,
    AnyOf,
    CalendarFile,
    Deliverable,
    Department,
    Metric,
    Plan,
    Policy,
    Recurring,
    Standing,
    Task,
    Triggered,
)
from workplan.plan.periods import (
    Occurrence,
    RecurrenceError,
    expand_rrule,
    resolve_due,
    shortcut,
    working_days,
)
from workplan.plan.policy import Rules, Step
from workplan.plan.settings import (
    BriefStyle,
    CalendarSpec,
    NoticeSettings,
    NumberFormats,
    PlanSettings,
    Schedule,
)
from workplan.plan.units import is_count
from workplan.plan.yamlsource import PathKey, Source

STANDING_MARK = {"zh": "（常态化工作）", "en": "(standing duty)"}
"""how a standing duty's review is marked in its title, for the people who read it"""


class _Collector:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, source: Source, path: PathKey, message: str, *, key: bool = False) -> None:
        self.problems.append(source.problem(path, message, key=key))


def _merge(base: Rules, override: Policy | None) -> Rules:
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


BASE_RULES = _merge(Rules((), (), ()), DEFAULT_POLICY)


class _Compiler:
    def __init__(
        self,
        plan: Plan,
        source: Source,
        directories: list[tuple[Source, Any]],
        calendars: list[tuple[Source, CalendarFile]] | None = None,
    ) -> None:
        self.plan = plan
        self.source = source
        self.directories = directories
        self.calendars = calendars or []
        self.ladders: set[Step] = set()
        self.out = _Collector()
        self.names: dict[str, str] = {}
        self.groups: dict[str, tuple[str, ...]] = {}
        self.is_working: Callable[[date], bool] | None = None
        self.departments: list[DeptInfo] = []
        self.triggers: list[TriggerInfo] = []
        year = plan.year
        self.start = plan.period.start if plan.period else date(year, 1, 1)
        self.end = plan.period.end if plan.period else date(year, 12, 31)
        self.year_start = date(year, 1, 1)
        self.year_end = date(year, 12, 31)

    # departments -------------------------------------------------------------------------
    def collect_departments(self) -> None:
        places: list[tuple[Source, PathKey, Department]] = []
        for source, directory in self.directories:
            for i, dept in enumerate(directory.departments):
                places.append((source, ("departments", i), dept))
            for g, group in enumerate(getattr(directory, "groups", ())):
                for i, dept in enumerate(group.members):
                    places.append((source, ("groups", g, "members", i), dept))
        for i, dept in enumerate(self.plan.departments):
            places.append((self.source, ("departments", i), dept))
        first: dict[str, tuple[Source, PathKey]] = {}
        for source, path, dept in places:
            for j, name in enumerate((dept.name, *dept.aliases)):
                where = (*path, "name") if j == 0 else (*path, "aliases", j - 1)
                if name in self.names:
                    there, at = first[name]
                    line = there.position(at)[0]
                    place = f"line {line}" if there is source else f"{there.file}:{line}"
                    self.out.add(
                        source, where, f"department '{name}' is named twice (first at {place})"
                    )
                else:
                    self.names[name] = dept.name
                    first[name] = (source, where)
            self.departments.append(
                DeptInfo(
                    dept.name,
                    tuple(dept.email),
                    dept.head.name if dept.head else None,
                    dept.head.email if dept.head else None,
                    tuple(dept.aliases),
                    tuple(dept.robots),
                )
            )
        self.collect_groups()

    def collect_groups(self) -> None:
        """Named unit groups of the directories (镇街): a plan cites one like a department."""
        for source, directory in self.directories:
            for g, group in enumerate(getattr(directory, "groups", ())):
                if group.name in self.names or group.name in self.groups:
                    self.out.add(
                        source,
                        ("groups", g, "name"),
                        f"'{group.name}' names both a group and a department, or two groups",
                    )
                    continue
                self.groups[group.name] = tuple(m.name for m in group.members)

    def department(self, name: str, path: PathKey) -> str:
        if name in self.names:
            return self.names[name]
        candidates = {**self.names, **{group: group for group in self.groups}}
        close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.5)
        hint = f"; did you mean '{candidates[close[0]]}'?" if close else ""
        known = "" if self.names else " (the directory is empty: add departments or a directory)"
        self.out.add(self.source, path, f"unknown department '{name}'{hint}{known}")
        return name

    def departments_at(self, names: Iterable[str], path: PathKey) -> tuple[str, ...]:
        resolved: list[str] = []
        for i, n in enumerate(names):
            if n in self.groups:
                resolved.extend(self.groups[n])
            else:
                resolved.append(self.department(n, (*path, i)))
        return tuple(dict.fromkeys(resolved))

    # dates -------------------------------------------------------------------------------
    def in_period(self, day: date, path: PathKey, what: str = "date") -> bool:
        if not self.start <= day <= self.end:
            self.out.add(
                self.source,
                path,
                f"{what} {day.isoformat()} is outside the plan's period "
                f"{self.start.isoformat()} – {self.end.isoformat()}; "
                "widen 'period:' if this is intended",
            )
            return False
        return True

    # tasks -------------------------------------------------------------------------------
    def compile(self) -> CompiledPlan | None:
        plan = self.plan
        self.collect_departments()
        office = self.department(plan.office, ("office",))
        rules = _merge(BASE_RULES, plan.policy)
        self.check_rules(rules, ("policy",))
        tasks: list[TaskInfo] = []
        metrics: list[MetricInfo] = []
        obligations: list[ObligationInfo] = []
        seen_tasks: dict[int, PathKey] = {}
        for c, chapter in enumerate(plan.chapters):
            for t, task in enumerate(chapter.tasks):
                path: PathKey = ("chapters", c, "tasks", t)
                if task.number in seen_tasks:
                    line = self.source.position((*seen_tasks[task.number], "number"))[0]
                    self.out.add(
                        self.source,
                        (*path, "number"),
                        f"item {task.number} is repeated (first at line {line})",
                    )
                seen_tasks[task.number] = path
                info = TaskInfo(
                    task.number,
                    chapter.number,
                    chapter.title,
                    task.title,
                    task.text,
                    self.departments_at(task.lead, (*path, "lead")),
                    self.departments_at(task.co, (*path, "co")),
                )
                tasks.append(info)
                task_rules = _merge(rules, task.policy)
                if task.policy is not None and task.policy.escalate is not None:
                    self.check_rules(task_rules, (*path, "policy"))
                self.compile_task(task, info, task_rules, path, metrics, obligations)
        for i, day in enumerate(plan.calendar.extra_holidays):
            if day in plan.calendar.extra_working_days:
                self.out.add(
                    self.source,
                    ("calendar", "extra_holidays", i),
                    f"{day} is both an extra holiday and an extra working day",
                )
        schedules = self.schedules()
        closes_on = self.closes_on(schedules)
        self.check_numbering(rules, tasks)
        if self.out.problems:
            return None
        settings = PlanSettings(
            calendar=self.calendar_spec(schedules),
            leadership=tuple((p.name, p.email) for p in plan.leadership),
            notices=NoticeSettings(**plan.notices.model_dump()),
            issuer=plan.issuer,
            chase_from=plan.chase_from or plan.issued,
            closes_on=closes_on,
            period=(self.start, self.end),
            numbering=NumberFormats(dict(plan.numbering.documents), plan.numbering.bulletin),
            brief=BriefStyle(**plan.brief.model_dump()),
            events=dict(plan.events),
            triggers=tuple(self.triggers),
        )
        return CompiledPlan(
            id=plan.id,
            title=plan.title,
            year=plan.year,
            issued=plan.issued,
            timezone=plan.timezone,
            locale=plan.locale,
            office=office,
            settings=settings,
            departments=tuple(self.departments),
            tasks=tuple(sorted(tasks, key=lambda t: t.number)),
            metrics=tuple(metrics),
            obligations=tuple(obligations),
        )

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

    def check_numbering(self, rules: Rules, tasks: list[TaskInfo]) -> None:
        """Every numbered document must be a kind the plan sends."""
        known = {"提示函", *(step.name for step in rules.escalate)}
        known |= {step.name for step in self.ladders}
        for name in self.plan.numbering.documents:
            if name not in known:
                close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.3)
                hint = f"; did you mean '{close[0]}'?" if close else ""
                self.out.add(
                    self.source,
                    ("numbering", "documents", name),
                    f"the plan sends no document called '{name}'{hint} "
                    f"(it sends: {'、'.join(sorted(known))})",
                    key=True,
                )

    def check_rules(self, rules: Rules, path: PathKey) -> None:
        self.ladders.update(rules.escalate)
        levels = [s.level for s in rules.escalate]
        if levels != sorted(set(levels)):
            written = ", ".join(str(n) for n in levels)
            self.out.add(
                self.source,
                (*path, "escalate"),
                f"escalation levels must be distinct and ascending (1, 2, 3 …), not {written}",
            )
        afters = [s.after for s in rules.escalate]
        if afters != sorted(set(afters)):
            written = ", ".join(str(n) for n in afters)
            self.out.add(
                self.source,
                (*path, "escalate"),
                "each level must come more working days after the due date than the one before,"
                f" not after: {written}",
            )

    def compile_task(
        self,
        task: Task,
        info: TaskInfo,
        rules: Rules,
        path: PathKey,
        metrics: list[MetricInfo],
        obligations: list[ObligationInfo],
    ) -> None:
        ids: set[str] = set()

        def unique(obligation_id: str, where: PathKey) -> None:
            if obligation_id in ids:
                self.out.add(
                    self.source,
                    (*where, "id"),
                    f"id '{obligation_id}' is used twice in item {task.number}",
                )
            ids.add(obligation_id)

        self.check_aliases(task, path)

        def ladder(policy: Policy | None, where: PathKey) -> None:
            if policy is not None and policy.escalate is not None:
                self.check_rules(_merge(rules, policy), (*where, "policy"))

        def owners(names: list[str] | None, where: PathKey) -> tuple[str, ...]:
            if names is None:
                return info.owners
            return self.departments_at(names, (*where, "owners"))

        for i, d in enumerate(task.deliverables):
            where = (*path, "deliverables", i)
            unique(d.id, where)
            ladder(d.policy, where)
            due_text, title = d.due, d.title
            if due_text is None:
                if self.plan.default_due is None:
                    self.out.add(
                        self.source,
                        where,
                        "the deliverable has no 'due': give one, or set the plan's "
                        "'default_due' (the office's default, marked as such)",
                    )
                    continue
                due_text, title = self.plan.default_due, self.default_title(d.title)
            window = resolve_due(due_text, self.plan.year)
            self.in_period(window.due, (*where, "due"), "due date")
            for key, unit_title, who in self.units(d.id, title, d.each, owners(d.owners, where)):
                obligations.append(
                    ObligationInfo(
                        task.number,
                        key,
                        "outcome" if d.outcome else "deliverable",
                        key,
                        unit_title,
                        window.opens,
                        window.due,
                        None,
                        None,
                        who,
                        _merge(rules, d.policy),
                        tuple(d.aliases),
                    )
                )
        duties: list[tuple[Recurring | Standing, str, PathKey]] = [
            (r, r.title, (*path, "recurring", i)) for i, r in enumerate(task.recurring)
        ]
        duties += [
            (s, self.standing_title(s), (*path, "standing", i)) for i, s in enumerate(task.standing)
        ]
        for r, title, where in duties:
            unique(r.id, where)
            ladder(r.policy, where)
            merged = _merge(rules, r.policy)
            items = (
                self.occurrences(r, where)
                if isinstance(r, Recurring)
                else shortcut(r.review, r.start or self.year_start, r.until or self.year_end, None)
            )
            kind: Kind = "occurrence" if isinstance(r, Recurring) else "standing"
            for source, unit_title, who in self.units(r.id, title, r.each, owners(r.owners, where)):
                for occ in items:
                    obligations.append(
                        ObligationInfo(
                            task.number,
                            f"{source}@{occ.label}",
                            kind,
                            source,
                            unit_title,
                            occ.opens,
                            occ.due,
                            None,
                            None,
                            who,
                            merged,
                            tuple(r.aliases),
                        )
                    )
        for i, m in enumerate(task.metrics):
            where = (*path, "metrics", i)
            unique(m.id, where)
            ladder(m.policy, where)
            who = owners(m.owners, where)
            seen = len(self.out.problems)
            for n, (key, unit_title, unit) in enumerate(self.units(m.id, m.title, m.each, who)):
                one = m if key == m.id else m.model_copy(update={"id": key, "title": unit_title})
                self.compile_metric(one, task.number, rules, where, unit, metrics, obligations)
                if n == 0:
                    seen = len(self.out.problems)
                else:  # the same problem again for every owner says nothing new
                    del self.out.problems[seen:]
        for i, e in enumerate(task.triggered):
            where = (*path, "triggered", i)
            unique(e.id, where)
            ladder(e.policy, where)
            self.compile_trigger(
                e, task.number, _merge(rules, e.policy), where, owners(e.owners, where)
            )

    def compile_trigger(
        self, e: Triggered, task: int, rules: Rules, where: PathKey, who: tuple[str, ...]
    ) -> None:
        """A duty started by an event: checked here, instantiated when the event is recorded."""
        if e.on_event not in self.plan.events:
            known = sorted(self.plan.events)
            close = difflib.get_close_matches(e.on_event, known, n=1, cutoff=0.5)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            declared = (
                f" (declared: {', '.join(known)})" if known else " (declare it under 'events:')"
            )
            self.out.add(
                self.source, (*where, "on_event"), f"unknown event '{e.on_event}'{hint}{declared}"
            )
            return
        within = parse_within(e.within)
        for key, title, unit in self.units(e.id, e.title, e.each, who):
            self.triggers.append(
                TriggerInfo(task, key, e.on_event, title, within, unit, rules, tuple(e.aliases))
            )

    def units(
        self, key: str, title: str, each: bool, who: tuple[str, ...]
    ) -> list[tuple[str, str, tuple[str, ...]]]:
        """Split an obligation with ``each: true`` into one per owner: key, title, owners."""
        if not each:
            return [(key, title, who)]
        return [(f"{key}:{dept}", f"{title}（{dept}）", (dept,)) for dept in who]

    def default_title(self, title: str) -> str:
        """Mark a deliverable whose date is the plan's default, not the plan text's."""
        if self.plan.locale == "en":
            return f"{title} [default date set by the office]"
        return f"{title}（办公室默认时限）"

    def standing_title(self, s: Standing) -> str:
        """Name a standing duty's review: the account of the period's work it asks for."""
        if self.plan.locale == "en":
            return f"{s.title}: account for the {s.review} {STANDING_MARK['en']}"
        word = {"week": "本周", "month": "本月", "quarter": "本季度", "half-year": "本期"}
        return f"{s.title}：报送{word.get(s.review, '本年度')}开展情况{STANDING_MARK['zh']}"

    def check_aliases(self, task: Task, path: PathKey) -> None:
        """An alias names one thing of its item: no other id, title or alias of the item."""
        entries: list[tuple[PathKey, Deliverable | Recurring | Metric]] = [
            *(((*path, "deliverables", i), d) for i, d in enumerate(task.deliverables)),
            *(((*path, "recurring", i), r) for i, r in enumerate(task.recurring)),
            *(((*path, "metrics", i), m) for i, m in enumerate(task.metrics)),
        ]
        names: dict[str, tuple[str, PathKey]] = {}
        for where, entry in entries:
            for name in (entry.id, entry.title):
                names.setdefault(name, (entry.id, where))
        for where, entry in entries:
            for j, alias in enumerate(entry.aliases):
                owner, at = names.get(alias, (entry.id, where))
                if owner != entry.id:
                    line = self.source.position(at)[0]
                    self.out.add(
                        self.source,
                        (*where, "aliases", j),
                        f"alias '{alias}' already names '{owner}' of item {task.number} "
                        f"(line {line}); an alias must name one thing",
                    )
                else:
                    names[alias] = (entry.id, where)

    def check_count(self, m: Metric, where: PathKey) -> None:
        """A count (人, 个, 家 …) is never negative: not its baseline, target or checkpoints."""
        if not is_count(m.unit):
            return
        values: list[tuple[PathKey, float | str | AnyOf]] = [
            ((*where, "baseline"), m.baseline),
            *([((*where, "target"), m.target)] if m.target is not None else []),
            *(((*where, "checkpoints", i, "value"), c.value) for i, c in enumerate(m.checkpoints)),
        ]
        for at, value in values:
            if isinstance(value, float | int) and value < 0:
                self.out.add(
                    self.source,
                    at,
                    f"{m.title} is a count ({m.unit}) and cannot be negative: {value:g}",
                )

    def occurrences(self, r: Recurring, where: PathKey) -> list[Occurrence]:
        start = r.start or self.year_start
        until = r.until or (None if r.rrule else self.year_end)
        if (r.every is None) == (r.rrule is None):
            self.out.add(self.source, where, "give exactly one of 'every' and 'rrule'")
            return []
        bounds_ok = True  # else the occurrences outside would only repeat the problem
        if r.start:
            bounds_ok = self.in_period(r.start, (*where, "from"))
        if r.until:
            bounds_ok = self.in_period(r.until, (*where, "until")) and bounds_ok
        if r.day is not None and not self.day_ok(r, (*where, "day")):
            return []
        try:
            if r.rrule is not None:
                items = expand_rrule(r.rrule, start, until, self.end)
            elif r.every == "term":
                items = self.terms(start, until or self.year_end, where)
            elif r.every == "working-day":
                items = working_days(start, until or self.year_end, self.work_calendar())
            else:
                assert r.every is not None  # for mypy: checked above
                items = shortcut(r.every, start, until or self.year_end, r.day)
        except RecurrenceError as exc:
            self.out.add(self.source, (*where, "rrule" if r.rrule else "every"), str(exc))
            return []
        for occ in items if bounds_ok else []:
            self.in_period(occ.due, (*where, "rrule" if r.rrule else "every"), "occurrence")
        if not items:
            self.out.add(
                self.source, where, "the duty has no occurrence between 'from' and 'until'"
            )
        return items

    def day_ok(self, r: Recurring, path: PathKey) -> bool:
        day = r.day
        if r.rrule is not None or r.every in ("term", "working-day"):
            self.out.add(
                self.source,
                path,
                "'day' goes with every: week/month/2 months/quarter/half-year/year",
            )
            return False
        if r.every == "week":
            ok = (isinstance(day, int) and 1 <= day <= 7) or (
                isinstance(day, str)
                and day.lower()[:3] in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
            )
            if not ok:
                self.out.add(self.source, path, "for a weekly duty, day is mon … sun (or 1 … 7)")
            return ok
        if not (isinstance(day, int) and (1 <= day <= 31 or day == -1)):
            self.out.add(self.source, path, "day is a day of the month: 1 … 31, or -1 for the last")
            return False
        return True

    def terms(self, start: date, until: date, where: PathKey) -> list[Occurrence]:
        terms = self.plan.calendar.terms
        if not terms:
            raise RecurrenceError("every: term needs the school terms under calendar.terms")
        out = []
        for i, term in enumerate(terms):
            if term.end < term.start:
                self.out.add(
                    self.source, ("calendar", "terms", i, "end"), "a term ends before it starts"
                )
            if term.end >= start and term.start <= until:
                out.append(Occurrence(term.name, term.start, term.end))
        return out

    def compile_metric(
        self,
        m: Metric,
        task: int,
        rules: Rules,
        where: PathKey,
        who: tuple[str, ...],
        metrics: list[MetricInfo],
        obligations: list[ObligationInfo],
    ) -> None:
        merged = _merge(rules, m.policy)
        by = resolve_due(m.by, self.plan.year).due if m.by is not None else self.year_end
        if m.target is None and not m.checkpoints:
            self.out.add(self.source, where, "a metric needs a target, checkpoints or both")
        if m.every and m.target is None:
            self.out.add(self.source, (*where, "every"), "'every' holds the target: give 'target'")
        if m.every and m.checkpoints:
            self.out.add(self.source, (*where, "every"), "give either 'every' or 'checkpoints'")
        if m.pace and m.target is None:
            self.out.add(
                self.source, (*where, "pace"), "pace (序时进度) needs the metric's 'target:'"
            )
        if m.by is not None:
            self.in_period(by, (*where, "by"), "target date")
        pace_start = pace_until = None
        if m.pace is not None:
            pace_start = m.pace.start or self.year_start
            pace_until = m.pace.until or by
            if pace_until <= pace_start:
                self.out.add(self.source, (*where, "pace"), "the pace period ends before it starts")
        info = MetricInfo(
            task,
            m.id,
            m.title,
            m.unit,
            m.direction,
            m.cumulative,
            m.baseline,
            m.target,
            by if m.target is not None else None,
            pace_start,
            pace_until,
            m.pace.tolerance if m.pace and m.pace.track else None,
            m.report,
            who,
            merged,
            tuple(m.aliases),
            "ratio" if m.numerator or m.denominator else None,
        )
        metrics.append(info)
        metrics.extend(self.metric_parts(m, info, where))
        self.check_count(m, where)

        def checkpoint(
            key: str, due: date, value: float, opens: date | None = None, bench: str | None = None
        ) -> None:
            obligations.append(
                ObligationInfo(
                    task,
                    key,
                    "checkpoint",
                    m.id,
                    m.title,
                    opens,
                    due,
                    m.id,
                    value,
                    who,
                    merged,
                    benchmark=bench,
                )
            )

        if m.every and m.target is not None:
            for occ in shortcut(m.every, self.year_start, by, None):
                checkpoint(f"{m.id}@{occ.label}", occ.due, m.target, occ.opens)
            return
        points: list[tuple[date, float, PathKey]] = []
        benches: dict[PathKey, str] = {}
        for i, cp in enumerate(m.checkpoints):
            cp_where = (*where, "checkpoints", i)
            day = resolve_due(cp.by, self.plan.year).due
            self.in_period(day, (*cp_where, "by"), "checkpoint")
            plain = cp.value
            if isinstance(plain, AnyOf):
                benches[cp_where] = self.benchmark(m, plain.benchmarks[0], cp_where)
                plain = plain.values[0]
            if plain == "pace":
                if info.target is None or pace_start is None or pace_until is None:
                    lacking = " and ".join(
                        f"'{k}:'"
                        for k, v in (("target", info.target), ("pace", m.pace))
                        if v is None
                    )
                    self.out.add(
                        self.source,
                        (*cp_where, "value"),
                        f"value 'pace' (序时进度) needs the metric's {lacking}",
                    )
                    continue
                value = pace_value(info, day)
            else:
                value = float(plain)
            points.append((day, value, cp_where))
        for (d1, _, _), (d2, _, w2) in pairwise(points):
            if d2 <= d1:
                self.out.add(self.source, (*w2, "by"), "checkpoints must be in date order")
        if m.target is not None:
            same_day = [p for p in points if p[0] == by]
            if same_day and same_day[0][1] != m.target:
                self.out.add(
                    self.source,
                    (*same_day[0][2], "value"),
                    f"the checkpoint on the target date says {same_day[0][1]:g}, the target {m.target:g}",
                )
            if any(p[0] > by for p in points):
                self.out.add(
                    self.source, (*where, "by"), "a checkpoint falls after the target date"
                )
        series = [(v, w) for _, v, w in points]
        if m.target is not None and not any(p[0] == by for p in points):
            series.append((m.target, (*where, "target")))
        if m.cumulative:
            sign = 1 if m.direction == "at_least" else -1
            for (v1, _), (v2, w2) in pairwise(series):
                if sign * (v2 - v1) < 0:
                    word = "goes down" if sign == 1 else "goes up"
                    self.out.add(
                        self.source,
                        w2 if w2[-1] == "target" else (*w2, "value"),
                        f"a cumulative value {word}: {v2:g} after {v1:g}; "
                        "correct it, or write 'cumulative: false'",
                    )
        for n, (day, value, at) in enumerate(points, start=1):
            checkpoint(f"{m.id}#{n}", day, value, bench=benches.get(at))
        if m.target is not None and not any(p[0] == by for p in points):
            checkpoint(f"{m.id}#target", by, m.target)

    def metric_parts(self, m: Metric, info: MetricInfo, where: PathKey) -> list[MetricInfo]:
        """A ratio's numerator and denominator and a metric's benchmarks: metrics reported on
        their own (key 'metric.part'), from which the ratio is derived and any_of judged."""
        parts: list[tuple[str, str, str, str, PathKey]] = []
        if m.numerator is not None or m.denominator is not None:
            if m.numerator is None or m.denominator is None:
                lacking = "numerator" if m.numerator is None else "denominator"
                self.out.add(self.source, where, f"a ratio needs both parts: add '{lacking}:'")
            elif m.numerator.unit != m.denominator.unit:
                self.out.add(
                    self.source,
                    (*where, "denominator", "unit"),
                    f"both parts of a ratio share a unit: the numerator is in {m.numerator.unit}",
                )
            if m.unit != "%":
                self.out.add(
                    self.source, (*where, "unit"), "a ratio (numerator ÷ denominator) is in '%'"
                )
            for name, part in (("numerator", m.numerator), ("denominator", m.denominator)):
                if part is not None:
                    parts.append((part.id or name, part.title, part.unit, name, (*where, name)))
        for i, b in enumerate(m.benchmarks):
            parts.append((b.id, b.title, m.unit, "benchmark", (*where, "benchmarks", i, "id")))
        seen: set[str] = set()
        out = []
        for key, title, unit, kind, at in parts:
            if key in seen:
                self.out.add(self.source, at, f"'{key}' names two parts of {m.title}")
            seen.add(key)
            level = kind == "benchmark"
            out.append(
                replace(
                    info,
                    key=f"{m.id}.{key}",
                    title=f"{m.title}（{title}）",
                    unit=unit,
                    direction=m.direction if level else "at_least",
                    cumulative=not level,
                    baseline=0.0,
                    target=None,
                    target_by=None,
                    pace_start=None,
                    pace_until=None,
                    pace_tolerance=None,
                    report=None,
                    aliases=(),
                    part=kind,
                    part_of=m.id,
                )
            )
        return out

    def benchmark(self, m: Metric, name: str, where: PathKey) -> str:
        """Return the key of a benchmark an any_of checkpoint cites, or say it is unknown."""
        known = [b.id for b in m.benchmarks]
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.5)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            declared = f" (declared: {', '.join(known)})" if known else " (add 'benchmarks:')"
            self.out.add(
                self.source,
                (*where, "value"),
                f"unknown benchmark '{name}' for {m.title}{hint}{declared}",
            )
        return f"{m.id}.{name}"


def compile_plan(
    plan: Plan,
    source: Source,
    directories: list[tuple[Source, Any]],
    calendars: list[tuple[Source, CalendarFile]] | None = None,
) -> tuple[CompiledPlan | None, list[Problem]]:
    """Resolve and expand a plan; return it, or None and the problems found."""
    compiler = _Compiler(plan, source, directories, calendars)
    compiled = compiler.compile()
    if compiled is not None:
        # the compiled plan is a function of the validated models and of this code's version
        blob = "\n".join(
            [
                __version__,
                plan.model_dump_json(),
                *(d.model_dump_json() for _, d in directories),
                *(c.model_dump_json() for _, c in calendars or []),
            ]
        )
        compiled = replace(compiled, fingerprint=hashlib.sha256(blob.encode()).hexdigest())
    return compiled, compiler.out.problems


__all__ = ["compile_plan"]
