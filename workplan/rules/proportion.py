"""Proportion by design: what each miss deserves, applied to the notices a day owes.  Pure.

The evaluator asks :func:`ladder_of` which ladder an overdue obligation climbs (a lapse's, or a
shortfall's when its figure came on time but short: 未达到), and hands its day's notices to
:func:`settle`, which

- makes the missed occurrences of a recurring duty one series per recipient, with one ladder
  (its oldest open occurrence's), saying how many periods are missing ("已连续3期未报送");
- replaces the leadership's daily copies by at most one report a month (情况报告): the counts
  of the day, then only the key items and the lapses at the top rung, with their departments;
  the full list goes with it (as an .xlsx attachment, made when it is composed).

What an aim or a standing duty's review deserves is resolved when the plan compiles
(:mod:`workplan.plan.proportion`): their policies carry the capped ladder.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from workplan.plan.compiled import PERIODIC
from workplan.plan.policy import Rules
from workplan.plan.proportion import shortfall_ladder
from workplan.rules.kinds import (
    OVERDUE,
    REPORT_OVERDUE,
    REPORT_UP,
    REPORT_UP_NAME,
    SHORTFALL,
    RuleKind,
)
from workplan.store.facts import ObligationFacts, PlanFacts

LEADERSHIP = "@leadership"
"""the recipient that stands for the plan's leadership (as the evaluator names it)"""

REPORT_LINES = 5
"""the most items the month's report to the leadership names: with its counts, its opening and
its signature, a 公文 page (22 rows of 28 characters); the full list goes as an attachment"""

LAPSES = (OVERDUE.name, REPORT_OVERDUE.name)


def is_shortfall(ob: ObligationFacts) -> bool:
    """A checkpoint missed by a figure reported by its deadline (未达到, not 逾期未办)."""
    return ob.kind == "checkpoint" and ob.target is not None and ob.at_deadline is not None


def ladder_of(ob: ObligationFacts) -> tuple[Rules, RuleKind]:
    """The policy whose ladder an overdue obligation climbs, and the kind of its notices: a
    shortfall climbs the shortfall ladder (a 提示函 first, then up to the plan's cap; all of it
    for a key metric), anything else the lapse ladder."""
    if not is_shortfall(ob):
        return ob.rules, OVERDUE
    steps = ob.rules.shortfall
    if steps is None:  # a policy stored by an earlier version: the default shortfall ladder
        steps = shortfall_ladder(ob.rules.escalate, None, ob.rules.key)
    return replace(ob.rules, escalate=steps), SHORTFALL


def series(intents: list[Any]) -> list[Any]:
    """One notice per recipient for the overdue occurrences of one recurring duty (or the
    missed checkpoints of a metric held every period, nothing reported): the oldest open
    one's (its ladder is the series'), saying which periods are missing."""
    groups: dict[tuple[int, str, str, str], list[Any]] = {}
    rest: list[Any] = []
    overdue = OVERDUE.name
    for i in intents:
        if i.rule != overdue:
            rest.append(i)
            continue
        facts = i.facts
        source, _, period = str(facts.get("key") or "").partition("@")
        # an occurrence of a duty, or a metric's checkpoint held every period (every: month)
        periodic = facts.get("kind") in PERIODIC or (facts.get("kind") == "checkpoint" and period)
        if not periodic:
            rest.append(i)
            continue
        groups.setdefault((i.task, source, i.department, i.rule), []).append(i)
    for members in groups.values():
        if len(members) == 1:
            rest.append(members[0])
            continue
        members.sort(key=lambda i: (i.due, i.key))
        first = members[0]
        periods = [str(m.facts.get("key") or "").partition("@")[2] for m in members]
        facts = dict(first.facts)
        facts["series"] = {"count": len(members), "periods": periods}
        rest.append(replace(first, facts=facts))
    return rest


def _line(i: Any, office: str) -> dict[str, Any]:
    owners = [str(o) for o in i.facts.get("owners") or []]
    return {
        "task": i.task,
        "subject": i.subject,
        "title": str(i.facts.get("title") or ""),
        "owners": owners,
        "rung": i.level_name,
        "level": i.level,
        "due": i.due.isoformat(),
        "late": i.facts.get("working_days_late"),
        "shortfall": i.rule == SHORTFALL.name,
        "office_only": owners == [office],
        "top": "leadership" in i.roles,
    }


def _named(i: Any, office: str, key_subjects: set[str]) -> bool:
    """Whether the month's report names an item (as its line says: :func:`_line`)."""
    if [str(o) for o in i.facts.get("owners") or []] == [office]:
        return False
    return i.subject in key_subjects or ("leadership" in i.roles and i.rule != SHORTFALL.name)


def report_up(plan: PlanFacts, intents: list[Any], as_of: date, key_subjects: set[str]) -> Any:
    """The month's report to the leadership, or None when it has nothing to name.

    Counts every item on a ladder today (its highest rung); names the key items and the
    lapses at the top rung (the rung addressed to the leadership), never an aim, a shortfall
    of a metric not key, or the office's own item; the full list is kept for the attachment.
    """
    best: dict[str, Any] = {}
    for i in intents:
        if i.department == LEADERSHIP or not i.kind.ladder:
            continue
        held = best.get(i.subject)
        if held is None or i.stage > held.stage:
            best[i.subject] = i
    if not any(_named(i, plan.office, key_subjects) for i in best.values()):
        return None  # (decided before a line is made for every item on a ladder)
    everything = [_line(i, plan.office) for i in best.values()]
    everything.sort(key=lambda r: (-r["level"], r["task"], r["due"], r["title"]))
    for row in everything:
        row["key"] = row["subject"] in key_subjects
    named = [
        r
        for r in everything
        if (r["key"] or (r["top"] and not r["shortfall"])) and not r["office_only"]
    ]
    if not named:
        return None
    counts: dict[str, int] = {}
    for r in everything:
        name = f"{r['rung']}（未达到）" if r["shortfall"] else r["rung"]
        counts[name] = counts.get(name, 0) + 1
    first = best[named[0]["subject"]]  # the report is filed under the first item it names
    month = f"{as_of:%Y-%m}"
    return replace(
        first,
        subject=f"p{plan.plan_id}",
        obligation_id=None,
        metric_id=None,
        department=LEADERSHIP,
        rule=REPORT_UP.name,
        level=0,
        level_name=REPORT_UP_NAME,
        period=month,
        due=as_of,
        stage=REPORT_UP.stage,
        roles=("leadership",),
        facts={
            "month": month,
            "counts": counts,
            "items": len(everything),
            "lines": named[:REPORT_LINES],
            "named": len(named),
            "all": everything,
        },
        key=f"p{plan.plan_id}|{REPORT_UP.name}|0|{month}|{LEADERSHIP}",
    )


def key_subjects(plan: PlanFacts) -> set[str]:
    """The subjects (o12, m3) of what the plan marks key."""
    return {f"o{o.id}" for o in plan.obligations if o.rules.key} | {
        f"m{m.id}" for m in plan.metrics if m.rules.key
    }


def settle(plan: PlanFacts, intents: list[Any], as_of: date, *, monthly: bool = True) -> list[Any]:
    """The day's notices in proportion: one series per recurring duty and recipient, and the
    leadership's daily copies replaced by the month's report (``monthly``; else none)."""
    out = [i for i in series(intents) if i.department != LEADERSHIP]
    if monthly:
        report = report_up(plan, out, as_of, key_subjects(plan))
        if report is not None:
            out.append(report)
    return out
