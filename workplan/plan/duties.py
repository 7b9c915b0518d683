"""Compile an item's dated duties, one compiler per kind of obligation: deliverables (and
yes/no outcomes), the occurrences of recurring duties, standing duties' reviews, and the
duties an event starts (checked here, made when the event is recorded)."""

from __future__ import annotations

import difflib
from datetime import date

from workplan.plan.compiled import Kind, ObligationInfo
from workplan.plan.compiling import Context, Item, units
from workplan.plan.events import TriggerInfo, parse_within
from workplan.plan.model import Recurring, Standing, Task, Triggered
from workplan.plan.periods import (
    Occurrence,
    RecurrenceError,
    expand_rrule,
    resolve_due,
    shortcut,
    working_days,
)
from workplan.plan.policy import Rules
from workplan.plan.yamlsource import PathKey

STANDING_MARK = {"zh": "（常态化工作）", "en": "(standing duty)"}
"""how a standing duty's review is marked in its title, for the people who read it"""


def deliverables(ctx: Context, item: Item, task: Task, path: PathKey) -> list[ObligationInfo]:
    """A result due once (an outcome: a yes/no result), one per owner with ``each``."""
    out: list[ObligationInfo] = []
    for i, d in enumerate(task.deliverables):
        where = (*path, "deliverables", i)
        rules = item.begin(d, where)
        due_text, title = d.due, d.title
        if due_text is None:
            if ctx.plan.default_due is None:
                ctx.add(
                    where,
                    "the deliverable has no 'due': give one, or set the plan's "
                    "'default_due' (the office's default, marked as such)",
                )
                continue
            due_text, title = ctx.plan.default_due, default_title(ctx, d.title)
        window = resolve_due(due_text, ctx.plan.year)
        ctx.in_period(window.due, (*where, "due"), "due date")
        for key, unit_title, who in units(d.id, title, d.each, item.owners(d.owners, where)):
            out.append(
                ObligationInfo(
                    item.number,
                    key,
                    "outcome" if d.outcome else "deliverable",
                    key,
                    unit_title,
                    window.opens,
                    window.due,
                    None,
                    None,
                    who,
                    rules,
                    tuple(d.aliases),
                )
            )
    return out


def duties(ctx: Context, item: Item, task: Task, path: PathKey) -> list[ObligationInfo]:
    """A recurring duty's occurrences, and a standing duty's reviews at its cadence (each is
    done only with an account of the period's work)."""
    found: list[tuple[Recurring | Standing, str, PathKey]] = [
        (r, r.title, (*path, "recurring", i)) for i, r in enumerate(task.recurring)
    ]
    found += [
        (s, standing_title(ctx, s), (*path, "standing", i)) for i, s in enumerate(task.standing)
    ]
    out: list[ObligationInfo] = []
    for r, title, where in found:
        rules = item.begin(r, where, standing=isinstance(r, Standing))
        items = (
            occurrences(ctx, r, where)
            if isinstance(r, Recurring)
            else shortcut(r.review, r.start or ctx.year_start, r.until or ctx.year_end, None)
        )
        kind: Kind = "occurrence" if isinstance(r, Recurring) else "standing"
        for source, unit_title, who in units(r.id, title, r.each, item.owners(r.owners, where)):
            for occ in items:
                out.append(
                    ObligationInfo(
                        item.number,
                        f"{source}@{occ.label}",
                        kind,
                        source,
                        unit_title,
                        occ.opens,
                        occ.due,
                        None,
                        None,
                        who,
                        rules,
                        tuple(r.aliases),
                    )
                )
    return out


def triggered(ctx: Context, item: Item, task: Task, path: PathKey) -> list[TriggerInfo]:
    """The duties an event starts: checked here, instantiated when the event is recorded."""
    out: list[TriggerInfo] = []
    for i, e in enumerate(task.triggered):
        where = (*path, "triggered", i)
        rules = item.begin(e, where)
        out += _trigger(ctx, e, item.number, rules, where, item.owners(e.owners, where))
    return out


def _trigger(
    ctx: Context, e: Triggered, task: int, rules: Rules, where: PathKey, who: tuple[str, ...]
) -> list[TriggerInfo]:
    if e.on_event not in ctx.plan.events:
        known = sorted(ctx.plan.events)
        close = difflib.get_close_matches(e.on_event, known, n=1, cutoff=0.5)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        declared = f" (declared: {', '.join(known)})" if known else " (declare it under 'events:')"
        ctx.add((*where, "on_event"), f"unknown event '{e.on_event}'{hint}{declared}")
        return []
    within = parse_within(e.within)
    return [
        TriggerInfo(task, key, e.on_event, title, within, unit, rules, tuple(e.aliases))
        for key, title, unit in units(e.id, e.title, e.each, who)
    ]


def default_title(ctx: Context, title: str) -> str:
    """Mark a deliverable whose date is the plan's default, not the plan text's."""
    if ctx.plan.locale == "en":
        return f"{title} [default date set by the office]"
    return f"{title}（办公室默认时限）"


def standing_title(ctx: Context, s: Standing) -> str:
    """Name a standing duty's review: the account of the period's work it asks for."""
    if ctx.plan.locale == "en":
        return f"{s.title}: account for the {s.review} {STANDING_MARK['en']}"
    word = {"week": "本周", "month": "本月", "quarter": "本季度", "half-year": "本期"}
    return f"{s.title}：报送{word.get(s.review, '本年度')}开展情况{STANDING_MARK['zh']}"


def occurrences(ctx: Context, r: Recurring, where: PathKey) -> list[Occurrence]:
    """A recurring duty's occurrences in the plan's period (every, or an RRULE)."""
    start = r.start or ctx.year_start
    until = r.until or (None if r.rrule else ctx.year_end)
    if (r.every is None) == (r.rrule is None):
        ctx.add(where, "give exactly one of 'every' and 'rrule'")
        return []
    bounds_ok = True  # else the occurrences outside would only repeat the problem
    if r.start:
        bounds_ok = ctx.in_period(r.start, (*where, "from"))
    if r.until:
        bounds_ok = ctx.in_period(r.until, (*where, "until")) and bounds_ok
    if r.day is not None and not _day_ok(ctx, r, (*where, "day")):
        return []
    try:
        if r.rrule is not None:
            items = expand_rrule(r.rrule, start, until, ctx.end)
        elif r.every == "term":
            items = _terms(ctx, start, until or ctx.year_end)
        elif r.every == "working-day":
            items = working_days(start, until or ctx.year_end, ctx.work_calendar())
        else:
            assert r.every is not None  # for mypy: checked above
            items = shortcut(r.every, start, until or ctx.year_end, r.day)
    except RecurrenceError as exc:
        ctx.add((*where, "rrule" if r.rrule else "every"), str(exc))
        return []
    for occ in items if bounds_ok else []:
        ctx.in_period(occ.due, (*where, "rrule" if r.rrule else "every"), "occurrence")
    if not items:
        ctx.add(where, "the duty has no occurrence between 'from' and 'until'")
    return items


def _day_ok(ctx: Context, r: Recurring, path: PathKey) -> bool:
    day = r.day
    if r.rrule is not None or r.every in ("term", "working-day"):
        ctx.add(path, "'day' goes with every: week/month/2 months/quarter/half-year/year")
        return False
    if r.every == "week":
        ok = (isinstance(day, int) and 1 <= day <= 7) or (
            isinstance(day, str)
            and day.lower()[:3] in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        )
        if not ok:
            ctx.add(path, "for a weekly duty, day is mon … sun (or 1 … 7)")
        return ok
    if not (isinstance(day, int) and (1 <= day <= 31 or day == -1)):
        ctx.add(path, "day is a day of the month: 1 … 31, or -1 for the last")
        return False
    return True


def _terms(ctx: Context, start: date, until: date) -> list[Occurrence]:
    terms = ctx.plan.calendar.terms
    if not terms:
        raise RecurrenceError("every: term needs the school terms under calendar.terms")
    out = []
    for i, term in enumerate(terms):
        if term.end < term.start:
            ctx.add(("calendar", "terms", i, "end"), "a term ends before it starts")
        if term.end >= start and term.start <= until:
            out.append(Occurrence(term.name, term.start, term.end))
    return out
