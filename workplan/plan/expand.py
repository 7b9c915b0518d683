"""Compile a validated plan: resolve departments and policies, expand every dated obligation.

Pure: from pydantic models to plain frozen dataclasses.  Every semantic check that needs the
whole plan (department names, checkpoints that go down, dates outside the plan's period,
recurrences that never end) happens here and is reported with the path it came from.  This
module walks the plan; :mod:`directory`, :mod:`duties` and :mod:`metrics` compile its parts,
sharing a :class:`~workplan.plan.compiling.Context`.
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from workplan import __version__
from workplan.errors import Problem
from workplan.plan import duties
from workplan.plan.compiled import CompiledPlan, MetricInfo, ObligationInfo, TaskInfo
from workplan.plan.compiling import BASE_RULES, Context, Item, merge
from workplan.plan.directory import Directory
from workplan.plan.events import TriggerInfo
from workplan.plan.metrics import metrics as compile_metrics
from workplan.plan.model import CalendarFile, Deliverable, Metric, Plan, Recurring, Task
from workplan.plan.policy import Rules
from workplan.plan.proportion import unknown_rung
from workplan.plan.settings import (
    DEFAULT_REPORT,
    BriefStyle,
    CycleSettings,
    NoticeSettings,
    NumberFormats,
    PlanSettings,
    ProportionSettings,
    ScoringRules,
)
from workplan.plan.yamlsource import PathKey, Source

COMPILED_FORMAT = "3"
"""Raised when the same plan file compiles to other rows, so that loading it again rewrites
them (2: a standing duty's reviews are obligations of kind standing, not occurrences; 3: each
policy carries its strength, key and shortfall ladder)."""


class _Compiler:
    def __init__(
        self,
        plan: Plan,
        source: Source,
        directories: list[tuple[Source, Any]],
        calendars: list[tuple[Source, CalendarFile]] | None = None,
    ) -> None:
        self.plan = plan
        self.ctx = Context(plan, source, calendars or [])
        self.directories = directories
        self.directory = Directory(self.ctx)
        self.triggers: list[TriggerInfo] = []

    def compile(self) -> CompiledPlan | None:
        plan, ctx = self.plan, self.ctx
        self.directory.collect(self.directories)
        office = self.directory.department(plan.office, ("office",))
        rules = merge(BASE_RULES, plan.policy)
        ctx.check_rules(rules, ("policy",))
        tasks: list[TaskInfo] = []
        metrics: list[MetricInfo] = []
        obligations: list[ObligationInfo] = []
        seen_tasks: dict[int, PathKey] = {}
        for c, chapter in enumerate(plan.chapters):
            for t, task in enumerate(chapter.tasks):
                path: PathKey = ("chapters", c, "tasks", t)
                if task.number in seen_tasks:
                    line = ctx.source.position((*seen_tasks[task.number], "number"))[0]
                    ctx.add(
                        (*path, "number"), f"item {task.number} is repeated (first at line {line})"
                    )
                seen_tasks[task.number] = path
                info = TaskInfo(
                    task.number,
                    chapter.number,
                    chapter.title,
                    task.title,
                    task.text,
                    self.directory.departments_at(task.lead, (*path, "lead")),
                    self.directory.departments_at(task.co, (*path, "co")),
                )
                tasks.append(info)
                task_rules = merge(rules, task.policy)
                if task.policy is not None and task.policy.escalate is not None:
                    ctx.check_rules(task_rules, (*path, "policy"))
                self.compile_task(task, info, task_rules, path, metrics, obligations)
        for i, day in enumerate(plan.calendar.extra_holidays):
            if day in plan.calendar.extra_working_days:
                ctx.add(
                    ("calendar", "extra_holidays", i),
                    f"{day} is both an extra holiday and an extra working day",
                )
        schedules = ctx.schedules()
        closes_on = ctx.closes_on(schedules)
        self.check_numbering(rules)
        self.check_scoring(rules)
        for name in ("shortfall", "standing"):
            problem = unknown_rung(rules.escalate, getattr(plan.proportion, name))
            if problem:
                ctx.add(("proportion", name), problem)
        if ctx.out.problems:
            return None
        obligations = moved_off_days_off(obligations, plan.due_on_day_off, ctx.work_calendar())
        settings = PlanSettings(
            calendar=ctx.calendar_spec(schedules),
            leadership=tuple((p.name, p.email) for p in plan.leadership),
            notices=NoticeSettings(**plan.notices.model_dump()),
            issuer=plan.issuer,
            chase_from=plan.chase_from or plan.issued,
            closes_on=closes_on,
            period=(ctx.start, ctx.end),
            numbering=NumberFormats(
                dict(plan.numbering.documents), plan.numbering.bulletin, plan.numbering.report
            ),
            brief=BriefStyle(**plan.brief.model_dump()),
            scoring=ScoringRules.from_json(plan.scoring.model_dump()),
            proportion=ProportionSettings(**plan.proportion.model_dump()),
            events=dict(plan.events),
            triggers=tuple(self.triggers),
            cycle=CycleSettings(**plan.cycle.model_dump()),
            ladder=rules,
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
            departments=tuple(self.directory.departments),
            tasks=tuple(sorted(tasks, key=lambda t: t.number)),
            metrics=tuple(metrics),
            obligations=tuple(obligations),
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
        """Compile an item's obligations, kind by kind."""
        item = Item(
            self.ctx,
            info,
            rules,
            self.directory.departments_at,
            strength=task.strength,
            key=task.key,
            needs_review=(
                self.ctx.plan.cycle.needs_review if task.needs_review is None else task.needs_review
            ),
        )
        self.check_aliases(task, path)
        obligations += duties.deliverables(self.ctx, item, task, path)
        obligations += duties.duties(self.ctx, item, task, path)
        found, checkpoints = compile_metrics(self.ctx, item, task, path)
        metrics += found
        obligations += checkpoints
        self.triggers += duties.triggered(self.ctx, item, task, path)

    def check_numbering(self, rules: Rules) -> None:
        """Every numbered document must be a kind the plan sends."""
        known = {"提示函", *(step.name for step in rules.escalate)}
        known.add(self.plan.numbering.report or DEFAULT_REPORT)  # the leadership's report
        known |= {step.name for step in self.ctx.ladders}
        for name in self.plan.numbering.documents:
            if name not in known:
                hint = _did_you_mean(name, known)
                self.ctx.add(
                    ("numbering", "documents", name),
                    f"the plan sends no document called '{name}'{hint} "
                    f"(it sends: {'、'.join(sorted(known))})",
                    key=True,
                )

    def check_scoring(self, rules: Rules) -> None:
        """Every rung the scoring rules name must be a step of one of the plan's ladders."""
        if "late" not in self.plan.scoring.model_fields_set:
            return
        known = {step.name for step in rules.escalate} | {s.name for s in self.ctx.ladders}
        for name in self.plan.scoring.late:
            if name not in known:
                hint = _did_you_mean(name, known)
                self.ctx.add(
                    ("scoring", "late", name),
                    f"no step of the plan's ladders is called '{name}'{hint} "
                    f"(its steps: {'、'.join(sorted(known))})",
                    key=True,
                )

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
                    line = self.ctx.source.position(at)[0]
                    self.ctx.add(
                        (*where, "aliases", j),
                        f"alias '{alias}' already names '{owner}' of item {task.number} "
                        f"(line {line}); an alias must name one thing",
                    )
                else:
                    names[alias] = (entry.id, where)


def moved_off_days_off(
    obligations: list[ObligationInfo], way: str, is_working: Callable[[date], bool]
) -> list[ObligationInfo]:
    """Move each deadline that falls on a day off as the plan's ``due_on_day_off`` says: keep
    it (the letters name the last working day before it), or move it to the next or the
    previous working day."""
    if way == "keep":
        return obligations
    step = timedelta(days=1 if way == "next" else -1)
    out = []
    for ob in obligations:
        due = ob.due
        while not is_working(due):
            due += step
        out.append(ob if due == ob.due else replace(ob, due=due))
    return out


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
                COMPILED_FORMAT,
                plan.model_dump_json(),
                *(d.model_dump_json() for _, d in directories),
                *(c.model_dump_json() for _, c in calendars or []),
            ]
        )
        compiled = replace(compiled, fingerprint=hashlib.sha256(blob.encode()).hexdigest())
    return compiled, compiler.ctx.out.problems


__all__ = ["compile_plan"]


def _did_you_mean(name: str, known: set[str]) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.3)
    return f"; did you mean '{close[0]}'?" if close else ""
