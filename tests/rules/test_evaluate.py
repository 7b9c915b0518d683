"""The rule engine (workplan.rules.evaluate), pinned on China's real 2023 calendar.

Every expected date below was worked out by hand from the 2023 calendar (the State Council's
holiday notice) and is checked against WorkCalendar separately (``test_hand_computed_dates``),
so a wrong calendar and a wrong rule cannot cancel out.  The days that matter:

    Spring Festival  01-21 .. 01-27 off; Sat 01-28 and Sun 01-29 working
    May Day          04-29 .. 05-03 off; Sun 04-23 and Sat 05-06 working
    Dragon Boat      06-22 .. 06-24 off; Sun 06-25 working
    National Day     09-29 .. 10-06 off; Sat 10-07 and Sun 10-08 working

The default policy: reminders 3 and 1 working days before; 催办 (level 1) after 1 working
day, 督办 (level 2) after 5, 通报 (level 3) after 10, where ``after`` counts the working days
in (deadline, as_of].
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest

from workplan.plan.calendar import WorkCalendar
from workplan.plan.periods import period_of
from workplan.plan.policy import Rules, Step
from workplan.rules.evaluate import (
    LEADERSHIP,
    Intent,
    checkpoint_met,
    evaluate,
    pace_of,
    projected,
)
from workplan.rules.kinds import STAGE_OVERDUE, STAGE_PACE, STAGE_REMIND, STAGE_WARN
from workplan.store.facts import MetricFacts, ObligationFacts, PlanFacts, Sent

# the reporting period containing a day: (label, first day, last day)
_period = period_of

CAL = WorkCalendar("CN", years=[2023])
D = date.fromisoformat

LEAD = "区乡村振兴局"
CO = "区财政局"
OFFICE = "区委农办"

CUIBAN = Step(1, "催办", 1, ("owners",))
DUBAN = Step(2, "督办", 5, ("lead", "heads", "office"))
TONGBAO = Step(3, "通报", 10, ("owners", "heads", "leadership"))
RULES = Rules(remind=(3, 1), remind_to=("owners",), escalate=(CUIBAN, DUBAN, TONGBAO))
NAMES = {1: "催办", 2: "督办", 3: "通报"}
# who receives each level with owners (LEAD, CO) and lead (LEAD,): 督办 goes to the lead with a
# line in the office's own letter; 通报 to the owners, with a line in the leadership's summary
LEVEL_TO = {1: [LEAD, CO], 2: [LEAD, OFFICE], 3: [LEAD, LEADERSHIP]}


def owed_at(rule: str, level: int) -> list[tuple[str, int, str]]:
    """What is owed (rule, level, department) when the lead is at ``level`` with owners (LEAD,
    CO): the ladder climbs by letters sent, and the co-owner, never sent the 督办 (the lead's
    alone), stays at its 催办 (already sent: stored once, no new letter)."""
    out = [(rule, level, d) for d in LEVEL_TO[level]]
    if level > 1:
        out.append((rule, 1, CO))
    return sorted(out, key=lambda t: (t[2], t[1]))


# builders ------------------------------------------------------------------------------------


def _day(value: str | date | None) -> date | None:
    return D(value) if isinstance(value, str) else value


def ob(
    deadline: str | date,
    *,
    id: int = 1,
    kind: str = "deliverable",
    due: str | date | None = None,
    owners: tuple[str, ...] = (LEAD,),
    lead: tuple[str, ...] = (LEAD,),
    rules: Rules = RULES,
    done_on: str | date | None = None,
    task: int = 1,
    **more: Any,
) -> ObligationFacts:
    """An open deliverable (or occurrence) due on ``deadline``."""
    end = _day(deadline)
    assert end is not None
    return ObligationFacts(
        id=id,
        plan_id=1,
        task_id=100 + task,
        task=task,
        key=f"ob-{id}",
        kind=kind,
        title=f"任务{id}",
        due=_day(due) or end,
        deadline=end,
        owners=owners,
        lead=lead,
        rules=rules,
        done_on=_day(done_on),
        **more,
    )


def cp(
    deadline: str | date,
    target: float,
    *,
    value: float | None = None,
    on: str | date | None = None,
    direction: str = "at_least",
    cumulative: bool = True,
    baseline: float = 0.0,
    trend_from: str | date | None = "2023-01-01",
    met_late: bool = False,
    **more: Any,
) -> ObligationFacts:
    """A metric checkpoint whose latest value reported by the deadline is ``value`` (on ``on``).

    As facts.read_facts gives it: before the deadline the value so far is both ``at_deadline``
    and ``latest``; after it, the evaluator reads ``at_deadline`` only.
    """
    more.setdefault("owners", (LEAD, CO))
    return ob(
        deadline,
        kind="checkpoint",
        metric_id=7,
        metric="central-disbursement",
        target=target,
        direction=direction,
        cumulative=cumulative,
        unit="%",
        baseline=baseline,
        trend_from=_day(trend_from),
        at_deadline=value,
        latest=value,
        latest_on=_day(on) if value is not None else None,
        met_late=met_late,
        **more,
    )


def metric(
    *,
    id: int = 7,
    target: float | None = 100.0,
    target_by: str | date | None = "2023-12-31",
    baseline: float = 0.0,
    direction: str = "at_least",
    cumulative: bool = True,
    pace: tuple[str, str] | None = None,
    tolerance: float | None = 5.0,
    report: str | None = None,
    latest: float | None = None,
    on: str | date | None = None,
    owners: tuple[str, ...] = (LEAD, CO),
    lead: tuple[str, ...] = (LEAD,),
    rules: Rules = RULES,
) -> MetricFacts:
    """A metric with an optional pace (序时进度) period and reporting cadence."""
    return MetricFacts(
        id=id,
        plan_id=1,
        task_id=101,
        task=1,
        key=f"metric-{id}",
        title=f"指标{id}",
        unit="%",
        direction=direction,
        cumulative=cumulative,
        baseline=baseline,
        target=target,
        target_by=_day(target_by) if target is not None else None,
        pace_start=_day(pace[0]) if pace else None,
        pace_until=_day(pace[1]) if pace else None,
        pace_tolerance=tolerance if pace else None,
        report=report,
        owners=owners,
        lead=lead,
        rules=rules,
        latest=latest,
        latest_on=_day(on),
    )


def plan(*items: ObligationFacts | MetricFacts, office: str = OFFICE) -> PlanFacts:
    return PlanFacts(
        plan_id=1,
        office=office,
        year=2023,
        obligations=tuple(i for i in items if isinstance(i, ObligationFacts)),
        metrics=tuple(i for i in items if isinstance(i, MetricFacts)),
    )


def kept_up(facts: PlanFacts, as_of: date, since: date) -> PlanFacts:
    """The plan's facts on ``as_of`` as a service that ran every working day from ``since``
    and sent every letter would have them: the rungs it sent, each on its day."""
    sent: dict[tuple[str, str, str], Sent] = {}
    day = since
    while day < as_of:
        if CAL.is_working_day(day):
            for i in evaluate(replace(facts, sent=dict(sent)), day, CAL):
                key = (i.subject, i.period, i.department)
                if i.kind.ladder and (key not in sent or sent[key].level < i.level):
                    sent[key] = Sent(i.level, day)
        day += timedelta(days=1)
    return replace(facts, sent=sent)


def evaluate_on(
    as_of: str | date,
    *items: ObligationFacts | MetricFacts,
    office: str = OFFICE,
    every_day: bool = True,
) -> list[Intent]:
    """Evaluate ``as_of``; ``every_day``: as a service that ran and sent its letters every
    working day since the year began would (the ladder climbs by letters sent), else as one
    started on ``as_of`` (nothing sent before)."""
    day = _day(as_of)
    assert day is not None
    facts = plan(*items, office=office)
    if every_day:
        facts = kept_up(facts, day, date(day.year, 1, 1) - timedelta(days=40))
    return evaluate(facts, day, CAL)


def brief(intents: list[Intent]) -> list[tuple[str, int, str]]:
    """(rule, level, department) of each intent, in the evaluator's order."""
    return [(i.rule, i.level, i.department) for i in intents]


def owed(intents: list[Intent]) -> set[tuple[str, int]]:
    """The highest level owed of each rule, whoever receives it (a co-owner held at a lower
    rung, since the rung above is the lead's alone, is left out)."""
    top: dict[str, int] = {}
    for i in intents:
        top[i.rule] = max(i.level, top.get(i.rule, i.level))
    return set(top.items())


# the calendar the expectations rest on ---------------------------------------------------------


@pytest.mark.parametrize(
    ("op", "day", "n", "expected"),
    [
        # reminder days: the Nth working day before the deadline
        ("before", "2023-04-30", 3, "2023-04-26"),
        ("before", "2023-04-30", 1, "2023-04-28"),
        ("before", "2023-05-04", 3, "2023-04-26"),  # 04-29 .. 05-03 are all off
        ("before", "2023-05-04", 1, "2023-04-28"),
        ("before", "2023-09-30", 3, "2023-09-26"),
        ("before", "2023-09-30", 1, "2023-09-28"),  # 09-29 is Mid-Autumn
        ("before", "2023-10-01", 3, "2023-09-26"),
        ("before", "2023-10-01", 1, "2023-09-28"),
        ("before", "2023-10-08", 3, "2023-09-27"),
        ("before", "2023-10-08", 2, "2023-09-28"),
        ("before", "2023-10-08", 1, "2023-10-07"),  # the swapped Saturday
        ("before", "2023-01-31", 3, "2023-01-28"),  # 01-28 (Sat) and 01-29 (Sun) working
        ("before", "2023-01-31", 1, "2023-01-30"),
        ("before", "2023-05-31", 3, "2023-05-26"),
        ("before", "2023-06-30", 3, "2023-06-27"),
        ("before", "2023-06-30", 1, "2023-06-29"),
        ("before", "2023-05-07", 3, "2023-05-04"),  # 05-06 (Sat) working
        # ladder days: the Nth working day after the deadline (N = after: 1, 5, 10)
        ("after", "2023-04-30", 1, "2023-05-04"),
        ("after", "2023-04-30", 5, "2023-05-09"),  # 05-04, 05, 06 (Sat), 08, 09
        ("after", "2023-04-30", 10, "2023-05-16"),
        ("after", "2023-05-04", 1, "2023-05-05"),
        ("after", "2023-05-04", 5, "2023-05-10"),  # 05-05, 06 (Sat), 08, 09, 10
        ("after", "2023-05-04", 10, "2023-05-17"),
        ("after", "2023-09-30", 1, "2023-10-07"),
        ("after", "2023-09-30", 5, "2023-10-11"),  # 10-07 (Sat), 08 (Sun), 09, 10, 11
        ("after", "2023-09-30", 10, "2023-10-18"),
        ("after", "2023-10-01", 1, "2023-10-07"),
        ("after", "2023-10-08", 1, "2023-10-09"),
        ("after", "2023-10-08", 5, "2023-10-13"),
        ("after", "2023-10-08", 10, "2023-10-20"),
        ("after", "2023-06-21", 1, "2023-06-25"),  # Dragon Boat; the Sunday after is working
        ("after", "2023-06-21", 5, "2023-06-29"),
        ("after", "2023-06-21", 10, "2023-07-06"),
        ("after", "2023-01-20", 1, "2023-01-28"),  # Spring Festival; a Saturday is working
        ("after", "2023-01-20", 5, "2023-02-01"),
        ("after", "2023-01-20", 10, "2023-02-08"),
        ("after", "2023-05-31", 1, "2023-06-01"),
        ("after", "2023-05-31", 5, "2023-06-07"),
        ("after", "2023-05-31", 10, "2023-06-14"),
        ("after", "2023-06-30", 1, "2023-07-03"),
        ("after", "2023-06-30", 5, "2023-07-07"),
        ("after", "2023-06-30", 10, "2023-07-14"),
        ("after", "2023-05-07", 5, "2023-05-12"),
    ],
)
def test_hand_computed_dates(op: str, day: str, n: int, expected: str) -> None:
    assert getattr(CAL, op)(D(day), n) == D(expected)


# rule 1: reminders before a due date -----------------------------------------------------------

REMINDERS = [
    # deadline, as_of, (rule, level) owed or None
    # Sunday 30 April, the eve of May Day: stage 3 from Wed 04-26, stage 1 from Fri 04-28
    ("2023-04-30", "2023-04-24", None),
    ("2023-04-30", "2023-04-25", None),
    ("2023-04-30", "2023-04-26", ("remind", 3)),
    ("2023-04-30", "2023-04-27", ("remind", 3)),
    ("2023-04-30", "2023-04-28", ("remind", 1)),
    ("2023-04-30", "2023-04-29", ("remind", 1)),  # a weekend day: still owed (current state)
    ("2023-04-30", "2023-04-30", ("remind", 1)),
    ("2023-04-30", "2023-05-01", None),  # past due, but no working day has passed
    ("2023-04-30", "2023-05-03", None),
    ("2023-04-30", "2023-05-04", ("overdue", 1)),
    # Thursday 4 May, the first working day after May Day: both stages land before the holiday
    ("2023-05-04", "2023-04-25", None),
    ("2023-05-04", "2023-04-26", ("remind", 3)),
    ("2023-05-04", "2023-04-27", ("remind", 3)),
    ("2023-05-04", "2023-04-28", ("remind", 1)),
    ("2023-05-04", "2023-05-02", ("remind", 1)),
    ("2023-05-04", "2023-05-04", ("remind", 1)),
    ("2023-05-04", "2023-05-05", ("overdue", 1)),
    # Saturday 30 September, inside the National Day holiday
    ("2023-09-30", "2023-09-25", None),
    ("2023-09-30", "2023-09-26", ("remind", 3)),
    ("2023-09-30", "2023-09-27", ("remind", 3)),
    ("2023-09-30", "2023-09-28", ("remind", 1)),
    ("2023-09-30", "2023-09-29", ("remind", 1)),
    ("2023-09-30", "2023-09-30", ("remind", 1)),
    ("2023-09-30", "2023-10-01", None),
    ("2023-09-30", "2023-10-06", None),
    ("2023-09-30", "2023-10-07", ("overdue", 1)),  # Saturday, a swapped working day
    # Sunday 8 October, a swapped working day: stage 1 is Saturday 10-07, stage 3 is 09-27
    ("2023-10-08", "2023-09-26", None),
    ("2023-10-08", "2023-09-27", ("remind", 3)),
    ("2023-10-08", "2023-09-28", ("remind", 3)),  # the 2nd working day before: not a stage
    ("2023-10-08", "2023-10-03", ("remind", 3)),
    ("2023-10-08", "2023-10-06", ("remind", 3)),
    ("2023-10-08", "2023-10-07", ("remind", 1)),
    ("2023-10-08", "2023-10-08", ("remind", 1)),
    ("2023-10-08", "2023-10-09", ("overdue", 1)),
    # Tuesday 31 January: stage 3 falls on Saturday 01-28, a swapped working day
    ("2023-01-31", "2023-01-27", None),
    ("2023-01-31", "2023-01-28", ("remind", 3)),
    ("2023-01-31", "2023-01-29", ("remind", 3)),
    ("2023-01-31", "2023-01-30", ("remind", 1)),
]


@pytest.mark.parametrize(("deadline", "as_of", "expected"), REMINDERS)
def test_reminder_stages_around_holidays(
    deadline: str, as_of: str, expected: tuple[str, int] | None
) -> None:
    out = evaluate_on(as_of, ob(deadline))
    assert [(i.rule, i.level) for i in out] == ([expected] if expected else [])
    for intent in out:
        assert intent.department == LEAD
        assert intent.period == deadline
        assert intent.due == D(deadline)
        if intent.rule == "remind":
            assert (intent.level_name, intent.stage) == ("提醒", STAGE_REMIND)
            assert intent.roles == ("owners",)
            # the notice says how many working days are left and when the stage began
            assert intent.fact("working_days") == CAL.count(D(as_of), D(deadline))
            assert intent.fact("remind_from") == CAL.before(D(deadline), intent.level)


def test_reminder_counts_working_days_left() -> None:
    # on Wed 26 April, 30 April (Sunday) is 2 working days away: 27 and 28 April
    [intent] = evaluate_on("2023-04-26", ob("2023-04-30"))
    assert intent.fact("working_days") == 2
    # on Wed 27 September, 8 October is 3 working days away: 28 Sep, 7 Oct and 8 Oct
    [intent] = evaluate_on("2023-09-27", ob("2023-10-08"))
    assert intent.fact("working_days") == 3


@pytest.mark.parametrize(
    ("remind", "as_of", "expected"),
    [
        ((), "2023-04-28", None),  # no reminders configured
        ((5,), "2023-04-24", ("remind", 5)),  # 04-24, 25, 26, 27, 28: 5th before is 04-24
        ((5,), "2023-04-23", None),  # Sunday 04-23 is a working day, but the 6th before
        ((5, 3, 1), "2023-04-25", ("remind", 5)),
        ((5, 3, 1), "2023-04-26", ("remind", 3)),
        ((1, 3), "2023-04-28", ("remind", 1)),  # the order written does not matter
        ((1, 3), "2023-04-27", ("remind", 3)),
    ],
)
def test_reminder_stages_follow_the_policy(
    remind: tuple[int, ...], as_of: str, expected: tuple[str, int] | None
) -> None:
    rules = replace(RULES, remind=remind)
    out = evaluate_on(as_of, ob("2023-04-30", rules=rules))
    assert [(i.rule, i.level) for i in out] == ([expected] if expected else [])


# rule 2: the overdue ladder -------------------------------------------------------------------

LADDER = [
    # deadline, as_of, level owed or None
    ("2023-04-30", "2023-05-03", None),
    ("2023-04-30", "2023-05-04", 1),  # 催办 on the first working day after May Day
    ("2023-04-30", "2023-05-07", 1),  # a Sunday: 3 working days late (04, 05, 06)
    ("2023-04-30", "2023-05-08", 1),
    ("2023-04-30", "2023-05-09", 2),  # 督办: 5 working days late (04, 05, 06, 08, 09)
    ("2023-04-30", "2023-05-15", 2),
    ("2023-04-30", "2023-05-16", 3),  # 通报: 10 working days late
    ("2023-04-30", "2023-06-30", 3),  # and it stays there
    ("2023-05-04", "2023-05-05", 1),
    ("2023-05-04", "2023-05-09", 1),
    ("2023-05-04", "2023-05-10", 2),  # 05, 06 (Sat), 08, 09, 10
    ("2023-05-04", "2023-05-16", 2),
    ("2023-05-04", "2023-05-17", 3),
    ("2023-09-30", "2023-10-06", None),
    ("2023-09-30", "2023-10-07", 1),
    ("2023-09-30", "2023-10-10", 1),
    ("2023-09-30", "2023-10-11", 2),
    ("2023-09-30", "2023-10-17", 2),
    ("2023-09-30", "2023-10-18", 3),
    ("2023-10-08", "2023-10-09", 1),
    ("2023-10-08", "2023-10-12", 1),
    ("2023-10-08", "2023-10-13", 2),
    ("2023-10-08", "2023-10-19", 2),
    ("2023-10-08", "2023-10-20", 3),
    ("2023-06-21", "2023-06-24", None),  # Dragon Boat holiday
    ("2023-06-21", "2023-06-25", 1),  # Sunday, a swapped working day
    ("2023-06-21", "2023-06-28", 1),
    ("2023-06-21", "2023-06-29", 2),
    ("2023-06-21", "2023-07-05", 2),
    ("2023-06-21", "2023-07-06", 3),
    ("2023-01-20", "2023-01-27", None),  # Spring Festival
    ("2023-01-20", "2023-01-28", 1),  # Saturday, a swapped working day
    ("2023-01-20", "2023-01-31", 1),
    ("2023-01-20", "2023-02-01", 2),
    ("2023-01-20", "2023-02-07", 2),
    ("2023-01-20", "2023-02-08", 3),
]


@pytest.mark.parametrize(("deadline", "as_of", "level"), LADDER)
def test_ladder_levels_and_their_first_days(deadline: str, as_of: str, level: int | None) -> None:
    out = evaluate_on(as_of, ob(deadline, owners=(LEAD, CO)))
    if level is None:
        assert out == []
        return
    # only the highest level reached is owed, to that level's recipients
    assert brief(out) == owed_at("overdue", level)
    for intent in out:
        assert intent.level_name == NAMES[intent.level]
        assert intent.stage == STAGE_OVERDUE + intent.level
        assert intent.period == deadline
        assert intent.fact("working_days_late") == CAL.count(D(deadline), D(as_of))


@pytest.mark.parametrize(
    ("deadline", "firsts"),
    [
        ("2023-04-30", ("2023-05-04", "2023-05-09", "2023-05-16")),
        ("2023-05-04", ("2023-05-05", "2023-05-10", "2023-05-17")),
        ("2023-09-30", ("2023-10-07", "2023-10-11", "2023-10-18")),
        ("2023-10-01", ("2023-10-07", "2023-10-11", "2023-10-18")),
        ("2023-10-08", ("2023-10-09", "2023-10-13", "2023-10-20")),
        ("2023-06-21", ("2023-06-25", "2023-06-29", "2023-07-06")),
        ("2023-01-20", ("2023-01-28", "2023-02-01", "2023-02-08")),
    ],
)
def test_each_level_starts_on_its_day_not_the_day_before(
    deadline: str, firsts: tuple[str, str, str]
) -> None:
    def level(day: date) -> int | None:
        levels = {i.level for i in evaluate_on(day, ob(deadline)) if i.rule == "overdue"}
        assert len(levels) <= 1
        return levels.pop() if levels else None

    previous: int | None = None
    for step, first in zip(RULES.escalate, firsts, strict=True):
        day = D(first)
        assert CAL.after(D(deadline), step.after) == day  # the hand count, by the calendar
        assert level(day - timedelta(days=1)) == previous
        assert level(day) == step.level
        previous = step.level


def test_the_brief_example_counts_after_from_the_deadline() -> None:
    """督办 (after: 5) for 30 April is 9 May: 5 working days after the deadline (04, 05, 06,
    08, 09 May).  10 May would be 5 working days after the 催办 day (4 May)."""
    assert CAL.count(D("2023-04-30"), D("2023-05-09")) == 5
    assert CAL.after(D("2023-05-04"), 5) == D("2023-05-10")
    assert owed(evaluate_on("2023-05-09", ob("2023-04-30"))) == {("overdue", 2)}


def test_a_catch_up_owes_only_the_next_rung() -> None:
    """A service started (or back after days off) on 16 May, 11 working days after 30 April,
    with nothing sent before: the first word is the lowest rung, 催办, not 通报 (issue 22)."""
    out = evaluate_on("2023-05-16", ob("2023-04-30", owners=(LEAD, CO)), every_day=False)
    assert brief(out) == [("overdue", 1, d) for d in sorted([LEAD, CO])]


def test_custom_ladder() -> None:
    rules = Rules(
        remind=(2,),
        remind_to=("owners",),
        escalate=(Step(1, "催办", 3, ("owners",)), Step(2, "通报", 7, ("office",))),
    )
    item = ob("2023-04-30", rules=rules)
    assert owed(evaluate_on("2023-05-05", item)) == set()  # 2 working days late
    assert brief(evaluate_on("2023-05-06", item)) == [("overdue", 1, LEAD)]
    assert brief(evaluate_on("2023-05-10", item)) == [("overdue", 1, LEAD)]  # 6 late
    # 7 late: the rung for the office alone; the lead's 催办, already sent, stays owed
    assert brief(evaluate_on("2023-05-11", item)) == [("overdue", 1, LEAD), ("overdue", 2, OFFICE)]


def test_no_ladder_configured_owes_nothing_after_the_deadline() -> None:
    rules = replace(RULES, escalate=())
    assert evaluate_on("2023-06-30", ob("2023-04-30", rules=rules)) == []


def test_intent_key() -> None:
    [intent] = [
        i for i in evaluate_on("2023-05-09", ob("2023-04-30", id=42)) if i.department == LEAD
    ]
    assert intent.key == f"o42|overdue|2|2023-04-30|{LEAD}"
    assert intent.subject == "o42"
    assert (intent.obligation_id, intent.metric_id) == (42, None)
    assert intent.facts["title"] == "任务42"
    assert intent.facts["deadline"] == D("2023-04-30")


# done obligations ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("done_on", "as_of", "expected"),
    [
        ("2023-04-20", "2023-04-28", None),  # done early: no reminder
        ("2023-04-28", "2023-04-28", None),  # done today
        ("2023-04-29", "2023-04-28", ("remind", 1)),  # done tomorrow: still open today
        ("2023-04-20", "2023-05-16", None),  # no ladder either
        ("2023-05-08", "2023-05-09", None),  # done late: the ladder stops
        ("2023-05-09", "2023-05-09", None),
        ("2023-05-10", "2023-05-09", ("overdue", 2)),
        (None, "2023-05-09", ("overdue", 2)),
    ],
)
def test_done_obligations_owe_nothing(
    done_on: str | None, as_of: str, expected: tuple[str, int] | None
) -> None:
    out = evaluate_on(as_of, ob("2023-04-30", done_on=done_on))
    assert {(i.rule, i.level) for i in out} == ({expected} if expected else set())


@pytest.mark.parametrize("kind", ["deliverable", "occurrence"])
def test_kinds_of_obligation_follow_the_same_rules(kind: str) -> None:
    assert brief(evaluate_on("2023-05-04", ob("2023-04-30", kind=kind))) == [("overdue", 1, LEAD)]
    assert evaluate_on("2023-05-04", ob("2023-04-30", kind=kind, done_on="2023-05-04")) == []


# extensions ------------------------------------------------------------------------------------


def test_extension_before_the_deadline_moves_the_reminders() -> None:
    moved = ob("2023-05-31", due="2023-04-30")  # granted: 30 April -> 31 May
    assert evaluate_on("2023-04-28", moved) == []
    assert evaluate_on("2023-05-09", moved) == []
    [intent] = evaluate_on("2023-05-26", moved)
    assert (intent.rule, intent.level) == ("remind", 3)
    assert intent.period == "2023-05-31"
    assert intent.fact("planned") == D("2023-04-30")
    assert intent.fact("deadline") == D("2023-05-31")
    assert brief(evaluate_on("2023-06-01", moved)) == [("overdue", 1, LEAD)]


def test_extension_restarts_the_ladder_with_a_new_key() -> None:
    original = ob("2023-04-30", id=5)
    [before] = [i for i in evaluate_on("2023-05-11", original) if i.department == LEAD]
    assert (before.rule, before.level) == ("overdue", 2)
    assert before.key == f"o5|overdue|2|2023-04-30|{LEAD}"
    # an extension to Wednesday 10 May (granted on 9 May, at 督办): the clock restarts there
    moved = ob("2023-05-10", id=5, due="2023-04-30")
    assert brief(evaluate_on("2023-05-10", moved)) == [("remind", 1, LEAD)]
    [after] = evaluate_on("2023-05-11", moved)
    assert (after.rule, after.level, after.level_name) == ("overdue", 1, "催办")
    assert after.key == f"o5|overdue|1|2023-05-10|{LEAD}"
    assert after.key != before.key
    assert after.fact("planned") == D("2023-04-30")
    # and climbs again from the new deadline: 11, 12, 15, 16, 17 May -> 督办 on 17 May
    assert CAL.after(D("2023-05-10"), 5) == D("2023-05-17")
    assert owed(evaluate_on("2023-05-16", moved)) == {("overdue", 1)}
    assert owed(evaluate_on("2023-05-17", moved)) == {("overdue", 2)}


def test_not_extended_has_no_planned_fact() -> None:
    [intent] = evaluate_on("2023-05-04", ob("2023-04-30"))
    assert "planned" not in intent.facts


# rule 3: checkpoint missed ----------------------------------------------------------------------


def test_missed_checkpoint_carries_the_shortfall() -> None:
    # 25% reported on 20 April against 30% by 30 April
    item = cp("2023-04-30", 30, value=25, on="2023-04-20", id=3)
    out = evaluate_on("2023-05-04", item)
    assert brief(out) == [("overdue", 1, d) for d in sorted([LEAD, CO])]
    for intent in out:
        assert intent.level_name == "催办"
        assert intent.metric_id == 7 and intent.obligation_id == 3
        assert intent.fact("value") == 25
        assert intent.fact("target") == 30
        assert intent.fact("shortfall") == 5
        assert intent.fact("metric") == "central-disbursement"
        assert intent.fact("direction") == "at_least"
        assert intent.fact("unit") == "%"
        assert intent.fact("kind") == "checkpoint"
    # 督办 to the lead, with the same shortfall
    [duban] = [
        i for i in evaluate_on("2023-05-09", item) if i.level == 2 and i.department != OFFICE
    ]
    assert (duban.rule, duban.level, duban.department) == ("overdue", 2, LEAD)
    assert duban.fact("shortfall") == 5
    assert duban.key == f"o3|overdue|2|2023-04-30|{LEAD}"


@pytest.mark.parametrize(
    ("direction", "target", "value", "shortfall"),
    [
        ("at_least", 30, 25, 5),
        ("at_least", 30, 29.99, 0.01),
        ("at_least", 30, 30, None),  # exactly at the target: met
        ("at_least", 30, 31.5, None),
        ("at_most", 50, 55, 5),  # e.g. a share to bring down to at most 50
        ("at_most", 50, 50.5, 0.5),
        ("at_most", 50, 50, None),
        ("at_most", 50, 42, None),
    ],
)
def test_checkpoint_direction(
    direction: str, target: float, value: float, shortfall: float | None
) -> None:
    item = cp(
        "2023-04-30",
        target,
        value=value,
        on="2023-04-20",
        direction=direction,
        baseline=100.0 if direction == "at_most" else 0.0,
    )
    out = evaluate_on("2023-05-04", item)
    if shortfall is None:
        assert checkpoint_met(item)
        assert out == []
        return
    assert not checkpoint_met(item)
    assert owed(out) == {("overdue", 1)}
    assert {i.fact("shortfall") for i in out} == {shortfall}
    assert {i.fact("value") for i in out} == {value}


def test_checkpoint_with_nothing_reported_is_missed() -> None:
    out = evaluate_on("2023-05-04", cp("2023-04-30", 30))
    assert owed(out) == {("overdue", 1)}
    for intent in out:
        assert intent.fact("target") == 30
        assert "value" not in intent.facts and "shortfall" not in intent.facts


@pytest.mark.parametrize("as_of", ["2023-05-04", "2023-05-09", "2023-05-16", "2023-06-30"])
def test_met_late_stops_the_ladder(as_of: str) -> None:
    missed = cp("2023-04-30", 30, value=25, on="2023-04-20")
    assert evaluate_on(as_of, missed) != []
    # a report after 30 April reached 30%: nothing more is owed, at whatever level it was
    caught_up = replace(missed, met_late=True)
    assert checkpoint_met(caught_up)
    assert evaluate_on(as_of, caught_up) == []


CHECKPOINT_ON_A_HOLIDAY = [
    # Sunday 1 October (National Day), 70% reported against 75%
    ("2023-09-25", None),
    ("2023-09-26", ("warn", 3)),
    ("2023-09-28", ("warn", 1)),
    ("2023-09-30", ("warn", 1)),
    ("2023-10-01", ("warn", 1)),
    ("2023-10-02", None),
    ("2023-10-06", None),
    ("2023-10-07", ("overdue", 1)),  # Saturday, a swapped working day
    ("2023-10-10", ("overdue", 1)),  # 07, 08, 09, 10: 4 working days late
    ("2023-10-11", ("overdue", 2)),
    ("2023-10-17", ("overdue", 2)),
    ("2023-10-18", ("overdue", 3)),
]


@pytest.mark.parametrize(("as_of", "expected"), CHECKPOINT_ON_A_HOLIDAY)
def test_checkpoint_on_a_holiday(as_of: str, expected: tuple[str, int] | None) -> None:
    # a level metric (projects flat), so it stays short of 75% until the deadline
    item = cp("2023-10-01", 75, value=70, on="2023-09-20", cumulative=False)
    out = evaluate_on(as_of, item)
    assert owed(out) == ({expected} if expected else set())
    if expected and expected[0] == "overdue":
        assert {i.fact("shortfall") for i in out} == {5}
        assert {i.period for i in out} == {"2023-10-01"}


# rule 4: at risk before a checkpoint ------------------------------------------------------------

AT_MOST = {"direction": "at_most", "baseline": 100.0, "target": 50.0}
WARNINGS = [
    # value, reported on, extra checkpoint fields, rule owed on Wed 26 April, projection
    # (deadline 30 April, target 30): 25 on 20 April is 110 days from 1 January (both counted):
    # 25 + 25/110 * 10 = 27.27 < 30
    (25, "2023-04-20", {}, "warn", 27.27),
    (28, "2023-04-20", {}, "remind", 30.55),  # 28 + 28/110 * 10
    (None, None, {}, "warn", None),  # nothing reported: at risk
    (30, "2023-04-20", {}, None, 32.73),  # already met: nothing
    (31, "2023-04-25", {}, None, 32.35),  # 31 + 31/115 * 5
    # the trend starts at trend_from: 20 from 1 April is 1 a day -> 30 on 30 April
    (20, "2023-04-20", {"trend_from": "2023-04-01"}, "remind", 30.0),
    (20, "2023-04-20", {}, "warn", 21.82),  # the same value from 1 January
    (27, "2023-04-20", {"baseline": 20.0}, "warn", 27.64),  # 27 + 7/110 * 10
    (28, "2023-04-20", {"cumulative": False}, "warn", 28),  # a level metric projects flat
    # at most: from 100 down to 50
    # at most 50, down from 100: 60 - 40/110 * 10 = 56.36 > 50; 52 - 48/110 * 10 = 47.64
    (60, "2023-04-20", AT_MOST, "warn", 56.36),
    (52, "2023-04-20", AT_MOST, "remind", 47.64),
    (50, "2023-04-20", AT_MOST, None, 45.45),  # met: nothing
]


@pytest.mark.parametrize(("value", "on", "extra", "rule", "forecast"), WARNINGS)
def test_warn_or_remind_from_the_projection(
    value: float | None,
    on: str | None,
    extra: dict[str, Any],
    rule: str | None,
    forecast: float | None,
) -> None:
    fields = {"target": 30.0, **extra}
    item = cp("2023-04-30", fields.pop("target"), value=value, on=on, **fields)
    assert projected(item) == forecast
    out = evaluate_on("2023-04-26", item)
    if rule is None:
        assert out == []
        return
    assert brief(out) == [(rule, 3, d) for d in sorted([LEAD, CO])]
    for intent in out:
        if rule == "warn":
            assert (intent.level_name, intent.stage) == ("提示函", STAGE_WARN)
        else:
            assert (intent.level_name, intent.stage) == ("提醒", STAGE_REMIND)
        if forecast is None:
            assert "projected" not in intent.facts
        else:
            assert intent.fact("projected") == forecast
        if value is not None:
            assert intent.fact("value") == value
    # two days on, the same verdict at stage 1
    assert owed(evaluate_on("2023-04-28", item)) == {(rule, 1)}


def test_warning_then_overdue_for_the_same_checkpoint() -> None:
    item = cp("2023-04-30", 30, value=25, on="2023-04-20", id=9)
    keys = {
        day: [i.key for i in evaluate_on(day, item)]
        for day in ("2023-04-26", "2023-04-28", "2023-05-04")
    }
    assert keys == {
        "2023-04-26": [f"o9|warn|3|2023-04-30|{d}" for d in sorted([LEAD, CO])],
        "2023-04-28": [f"o9|warn|1|2023-04-30|{d}" for d in sorted([LEAD, CO])],
        "2023-05-04": [f"o9|overdue|1|2023-04-30|{d}" for d in sorted([LEAD, CO])],
    }


@pytest.mark.parametrize(
    ("value", "on", "trend_from", "expected"),
    [
        (None, None, "2023-01-01", None),
        (25.0, "2023-04-20", None, 25.0),  # no trend start: flat
        (25.0, "2023-04-20", "2023-05-01", 25.0),  # reported before the trend starts: flat
        (25.0, "2023-04-20", "2023-01-01", 27.27),
        (10.0, "2023-01-01", "2023-01-01", 1200.0),  # 10 in one day, 119 days to go
        (30.0, "2023-04-30", "2023-01-01", 30.0),  # reported on the deadline
    ],
)
def test_projected(
    value: float | None, on: str | None, trend_from: str | None, expected: float | None
) -> None:
    item = cp("2023-04-30", 30, value=value, on=on, trend_from=trend_from)
    assert projected(item) == expected


# rule 5: behind pace (序时进度) -----------------------------------------------------------------

YEAR = ("2023-01-01", "2023-12-31")


@pytest.mark.parametrize(
    ("as_of", "fields", "period", "expected", "gap"),
    [
        # 30 June: 181 of 365 days, expected 49.59
        (
            "2023-06-30",
            {"latest": 40.0, "on": "2023-06-20", "report": "month"},
            "2023-06",
            49.59,
            9.59,
        ),
        ("2023-06-30", {"latest": 45.0, "on": "2023-06-20", "report": "month"}, None, 49.59, 4.59),
        ("2023-06-30", {"latest": 44.59, "on": "2023-06-20", "report": "month"}, None, 49.59, 5.0),
        (
            "2023-06-30",
            {"latest": 44.58, "on": "2023-06-20", "report": "month"},
            "2023-06",
            49.59,
            5.01,
        ),
        (
            "2023-06-30",
            {"latest": 40.0, "on": "2023-06-20", "report": "quarter"},
            "2023-Q2",
            49.59,
            9.59,
        ),
        (
            "2023-06-30",
            {"latest": 40.0, "on": "2023-06-20", "report": "week"},
            "2023-W26",
            49.59,
            9.59,
        ),
        (
            "2023-06-30",
            {"latest": 40.0, "on": "2023-06-20"},
            "2023-06",
            49.59,
            9.59,
        ),  # no cadence: by month
        (
            "2023-06-30",
            {"latest": 49.0, "on": "2023-06-20", "tolerance": 0.0},
            "2023-06",
            49.59,
            0.59,
        ),
        # no tolerance: a pace that only sets checkpoint values (track: false), no notices
        ("2023-06-30", {"latest": 40.0, "on": "2023-06-20", "tolerance": None}, None, 49.59, 9.59),
        # nothing reported and no cadence: counted at the baseline
        ("2023-03-31", {}, "2023-03", 24.66, 24.66),
        # down from 100 to 50: on 1 July (182 days) expected 75.07; 85 is 9.93 behind
        (
            "2023-07-01",
            {
                "latest": 85.0,
                "on": "2023-06-30",
                "baseline": 100.0,
                "target": 50.0,
                "direction": "at_most",
            },
            "2023-07",
            75.07,
            9.93,
        ),
        (
            "2023-07-01",
            {
                "latest": 78.0,
                "on": "2023-06-30",
                "baseline": 100.0,
                "target": 50.0,
                "direction": "at_most",
            },
            None,
            75.07,
            2.93,
        ),
    ],
)
def test_pace(
    as_of: str, fields: dict[str, Any], period: str | None, expected: float, gap: float
) -> None:
    m = metric(pace=YEAR, **fields)
    found = pace_of(m, D(as_of))
    assert found is not None
    assert found[:2] == pytest.approx((expected, gap))
    out = [i for i in evaluate_on(as_of, m) if i.rule == "pace"]
    if period is None:
        assert out == []
        return
    assert [(i.department, i.period) for i in out] == [(d, period) for d in sorted([LEAD, CO])]
    for intent in out:
        assert (intent.level, intent.level_name, intent.stage) == (0, "序时进度提示", STAGE_PACE)
        assert intent.subject == "m7" and intent.metric_id == 7 and intent.obligation_id is None
        assert intent.fact("expected") == expected
        assert intent.fact("gap") == pytest.approx(gap)
        assert intent.fact("value") == fields.get("latest")
        assert intent.key == f"m7|pace|0|{period}|{intent.department}"


def test_pace_elapsed_share() -> None:
    m = metric(pace=("2023-04-01", "2023-04-30"), latest=10.0, on="2023-04-10")
    # 10 April: 10 of 30 days -> 33.33 expected, 23.33 behind
    assert pace_of(m, D("2023-04-10")) == (33.33, 23.33, 10, 30)
    assert pace_of(m, D("2023-03-31")) is None  # before the pace period
    assert pace_of(m, D("2023-05-01")) is None  # after it
    assert pace_of(metric(latest=10.0), D("2023-04-10")) is None  # no pace


def test_pace_notice_is_once_per_period() -> None:
    m = metric(pace=YEAR, report="month", latest=30.0, on="2023-05-31")
    keys = {
        day: {i.key for i in evaluate_on(day, m) if i.rule == "pace"}
        for day in ("2023-06-01", "2023-06-15", "2023-06-30", "2023-07-03")
    }
    june = {f"m7|pace|0|2023-06|{LEAD}", f"m7|pace|0|2023-06|{CO}"}
    assert keys["2023-06-01"] == keys["2023-06-15"] == keys["2023-06-30"] == june
    assert keys["2023-07-03"] == {f"m7|pace|0|2023-07|{LEAD}", f"m7|pace|0|2023-07|{CO}"}


def test_pace_with_a_cadence_and_nothing_reported_is_left_to_the_report_rule() -> None:
    out = evaluate_on("2023-03-31", metric(pace=YEAR, report="month"))
    assert "pace" not in {i.rule for i in out}
    # the report rule chases it instead: nothing was ever reported, January was the first
    # period without a report, and its lateness has reached the top of the ladder
    assert owed(out) == {("report-overdue", 3)}
    assert {i.period for i in out} == {"2023-01"}


def test_pace_outside_its_period_and_when_complete() -> None:
    later = metric(pace=("2023-03-01", "2023-12-31"), latest=0.0, on="2023-02-01")
    assert evaluate_on("2023-02-15", later) == []
    done = metric(pace=YEAR, report="month", latest=100.0, on="2023-03-01")
    assert (
        evaluate_on("2023-06-30", done) == []
    )  # reached its (cumulative) target: no pace, no report


# rule 6: report missing -----------------------------------------------------------------------

REPORTS = [
    # cadence, last report, as_of, (rule, level, period) or None
    # monthly
    ("month", "2023-05-10", "2023-05-26", None),  # reported this month
    ("month", "2023-04-20", "2023-05-25", None),  # May's window opens 26 May
    ("month", "2023-04-20", "2023-05-26", ("report", 3, "2023-05")),
    ("month", "2023-04-20", "2023-05-30", ("report", 1, "2023-05")),
    ("month", "2023-04-20", "2023-05-31", ("report", 1, "2023-05")),
    ("month", "2023-04-20", "2023-06-01", ("report-overdue", 1, "2023-05")),
    ("month", "2023-04-20", "2023-06-06", ("report-overdue", 1, "2023-05")),
    ("month", "2023-04-20", "2023-06-07", ("report-overdue", 2, "2023-05")),
    ("month", "2023-04-20", "2023-06-14", ("report-overdue", 3, "2023-05")),
    ("month", "2023-06-02", "2023-06-14", None),  # May's report came late, in June: stops
    ("month", None, "2023-01-27", None),  # holiday; January's window opens Sat 28 January
    ("month", None, "2023-01-28", ("report", 3, "2023-01")),
    ("month", None, "2023-01-30", ("report", 1, "2023-01")),
    ("month", None, "2023-02-01", ("report-overdue", 1, "2023-01")),
    ("month", None, "2023-01-10", None),  # December 2022 is before the plan: not chased
    # weekly (ISO weeks, Monday to Sunday)
    ("week", "2023-04-20", "2023-04-25", None),
    ("week", "2023-04-20", "2023-04-26", ("report", 3, "2023-W17")),
    ("week", "2023-04-20", "2023-04-28", ("report", 1, "2023-W17")),
    ("week", "2023-04-20", "2023-04-30", ("report", 1, "2023-W17")),
    ("week", "2023-04-20", "2023-05-02", None),  # W17 ended, no working day since
    ("week", "2023-04-20", "2023-05-04", ("report-overdue", 1, "2023-W17")),
    ("week", "2023-04-20", "2023-05-06", ("report-overdue", 1, "2023-W17")),
    ("week", "2023-04-25", "2023-05-04", ("report", 3, "2023-W18")),  # W17 reported
    ("week", "2023-04-25", "2023-05-06", ("report", 1, "2023-W18")),  # Saturday, working
    ("week", "2023-05-04", "2023-05-06", None),
    # still nothing after W17: its lateness keeps growing (4, 5, 6, 8, 9 May = 5 working days)
    ("week", "2023-04-20", "2023-05-09", ("report-overdue", 2, "2023-W17")),
    ("week", "2023-04-20", "2023-05-12", ("report-overdue", 2, "2023-W17")),
    # quarterly
    ("quarter", "2023-02-15", "2023-06-26", None),
    ("quarter", "2023-02-15", "2023-06-27", ("report", 3, "2023-Q2")),
    ("quarter", "2023-02-15", "2023-06-29", ("report", 1, "2023-Q2")),
    ("quarter", "2023-02-15", "2023-07-03", ("report-overdue", 1, "2023-Q2")),
    ("quarter", "2023-02-15", "2023-07-07", ("report-overdue", 2, "2023-Q2")),
    ("quarter", "2023-02-15", "2023-07-14", ("report-overdue", 3, "2023-Q2")),
    ("quarter", "2023-05-15", "2023-09-26", ("report", 3, "2023-Q3")),
    ("quarter", "2023-05-15", "2023-09-30", ("report", 1, "2023-Q3")),
    ("quarter", "2023-05-15", "2023-10-06", None),  # National Day: no working day since
    ("quarter", "2023-05-15", "2023-10-07", ("report-overdue", 1, "2023-Q3")),
    ("quarter", "2023-07-01", "2023-10-07", None),
    # half-yearly and yearly
    ("half-year", "2023-03-01", "2023-06-27", None),  # reported this half-year
    ("half-year", None, "2023-06-27", ("report", 3, "2023-H1")),
    ("half-year", None, "2023-07-03", ("report-overdue", 1, "2023-H1")),
    ("half-year", "2023-03-01", "2023-07-03", None),
    ("year", None, "2023-12-27", ("report", 3, "2023")),
    ("year", None, "2023-06-30", None),
]


@pytest.mark.parametrize(("cadence", "last", "as_of", "expected"), REPORTS)
def test_report_reminders_and_overdue(
    cadence: str, last: str | None, as_of: str, expected: tuple[str, int, str] | None
) -> None:
    m = metric(report=cadence, latest=10.0 if last else None, on=last)
    out = evaluate_on(as_of, m)
    if expected is None:
        assert out == []
        return
    rule, level, period = expected
    if rule == "report-overdue":
        assert brief(out) == owed_at(rule, level)
    else:
        assert brief(out) == [(rule, level, d) for d in sorted([LEAD, CO])]
    for intent in out:
        assert intent.period == period
        assert intent.fact("period") == period
        assert intent.fact("cadence") == cadence
        assert intent.fact("reported_on") == _day(last)
        assert intent.key == f"m7|{rule}|{intent.level}|{period}|{intent.department}"
        assert (
            intent.due
            == intent.fact("deadline")
            == _period(cadence, D(as_of) if rule == "report" else intent.fact("deadline"))[2]
        )
        if rule == "report":
            assert (intent.level_name, intent.stage) == ("报送提醒", STAGE_REMIND)
        else:
            assert (intent.level_name, intent.stage) == (
                NAMES[intent.level],
                STAGE_OVERDUE + intent.level,
            )
            assert intent.fact("working_days_late") == CAL.count(intent.fact("deadline"), D(as_of))


def test_report_not_asked_for_periods_after_the_target_date() -> None:
    m = metric(report="month", target_by="2023-06-30", latest=10.0, on="2023-05-15")
    # June ended without a report: chased, up to 通报, until it comes
    assert owed(evaluate_on("2023-07-03", m)) == {("report-overdue", 1)}
    assert {i.period for i in evaluate_on("2023-07-03", m)} == {"2023-06"}
    assert owed(evaluate_on("2023-08-01", m)) == {("report-overdue", 3)}
    # but no report is asked for July or later
    assert (
        evaluate_on(
            "2023-07-27",
            metric(report="month", target_by="2023-06-30", latest=10.0, on="2023-06-15"),
        )
        == []
    )


@pytest.mark.parametrize(
    ("cadence", "day", "expected"),
    [
        ("week", "2023-01-01", ("2022-W52", "2022-12-26", "2023-01-01")),
        ("week", "2023-05-04", ("2023-W18", "2023-05-01", "2023-05-07")),
        ("week", "2023-10-08", ("2023-W40", "2023-10-02", "2023-10-08")),
        ("month", "2023-02-10", ("2023-02", "2023-02-01", "2023-02-28")),
        ("quarter", "2023-09-30", ("2023-Q3", "2023-07-01", "2023-09-30")),
        ("quarter", "2023-10-01", ("2023-Q4", "2023-10-01", "2023-12-31")),
        ("half-year", "2023-07-01", ("2023-H2", "2023-07-01", "2023-12-31")),
        ("year", "2023-05-04", ("2023", "2023-01-01", "2023-12-31")),
    ],
)
def test_period_labels(cadence: str, day: str, expected: tuple[str, str, str]) -> None:
    label, start, end = expected
    assert _period(cadence, D(day)) == (label, D(start), D(end))


# recipients by role ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("to", "owners", "lead", "expected"),
    [
        (("owners",), (LEAD, CO), (LEAD,), sorted([LEAD, CO])),  # one intent per owner department
        # and one line in the leadership's daily summary, never a copy of each letter
        (("owners", "heads", "leadership"), (LEAD, CO), (LEAD,), sorted([LEAD, CO, LEADERSHIP])),
        # the lead, and a line in the office's own letter (no copy of each department's)
        (("lead", "heads", "office"), (LEAD, CO), (LEAD,), sorted([LEAD, OFFICE])),
        (("lead",), (CO, LEAD), (LEAD,), [LEAD]),  # the lead, wherever it is among the owners
        # an obligation given to a co-department alone: its first owner answers as the lead
        (("lead",), (CO,), (LEAD,), [CO]),
        (("office",), (LEAD, CO), (LEAD,), [OFFICE]),  # office only: the office
        (("heads", "office"), (LEAD, CO), (LEAD,), [OFFICE]),
        (("owners", "office"), (OFFICE, CO), (OFFICE,), sorted([OFFICE, CO])),  # once each
    ],
)
def test_recipients_by_role(
    to: tuple[str, ...], owners: tuple[str, ...], lead: tuple[str, ...], expected: list[str]
) -> None:
    rules = Rules((3, 1), ("owners",), (Step(1, "催办", 1, to),))
    out = evaluate_on("2023-05-04", ob("2023-04-30", owners=owners, lead=lead, rules=rules))
    assert [i.department for i in out] == expected
    assert {i.roles for i in out} == {to}


@pytest.mark.parametrize(
    ("remind_to", "expected"),
    [(("owners",), sorted([LEAD, CO])), (("lead",), [LEAD]), (("office",), [OFFICE])],
)
def test_reminder_recipients(remind_to: tuple[str, ...], expected: list[str]) -> None:
    rules = replace(RULES, remind_to=remind_to)
    out = evaluate_on("2023-04-28", ob("2023-04-30", owners=(LEAD, CO), rules=rules))
    assert [i.department for i in out] == expected
    # the same roles address report reminders and pace notices
    m = metric(report="month", latest=10.0, on="2023-04-20", rules=rules, pace=YEAR)
    assert sorted({i.department for i in evaluate_on("2023-05-26", m)}) == sorted(expected)


# a plan issued after some of its deadlines ----------------------------------------------------


def test_plan_issued_after_some_deadlines() -> None:
    """Issued 9 May (as the Banan plan was): what fell due before then is evaluated like the
    rest.  On the issue day, with nothing sent before, each old, undone obligation owes its
    first letter, the lowest rung (催办), however late it is: the ladder climbs by letters
    sent (issue 22; it owed 通报 here before)."""
    items = [
        ob("2023-01-31", id=1, kind="occurrence", owners=(LEAD, CO)),
        ob("2023-02-28", id=2, kind="occurrence", owners=(LEAD, CO)),
        ob("2023-03-15", id=3, owners=(LEAD, CO)),
        ob("2023-03-31", id=4, kind="occurrence", owners=(LEAD, CO)),
        ob("2023-04-30", id=5, kind="occurrence", owners=(LEAD, CO)),
        ob("2023-03-31", id=6, kind="occurrence", owners=(LEAD, CO), done_on="2023-04-03"),
        ob("2023-05-10", id=7, owners=(LEAD, CO)),  # not yet due: its reminder
        ob("2023-05-31", id=8, owners=(LEAD, CO)),  # far off: nothing
        cp("2023-04-30", 30, value=25, on="2023-04-20", id=9),
    ]
    out = evaluate_on("2023-05-09", *items, every_day=False)
    by_subject: dict[str, set[tuple[str, int]]] = {}
    for intent in out:
        by_subject.setdefault(intent.subject, set()).add((intent.rule, intent.level))
    assert by_subject == {
        "o1": {("overdue", 1)},
        "o2": {("overdue", 1)},
        "o3": {("overdue", 1)},
        "o4": {("overdue", 1)},
        "o5": {("overdue", 1)},
        "o7": {("remind", 1)},
        "o9": {("overdue", 1)},
    }
    # 催办 to both owners of each (and of the checkpoint), the reminder to both owners
    assert len(out) == 6 * 2 + 2
    assert len({i.key for i in out}) == len(out)


def test_a_plan_chases_nothing_due_before_it_took_effect() -> None:
    """The same plan, as compiled (chase_from = the issue date): what fell due before 9 May is
    never reminded or escalated; the office is owed one summary of what is still open."""
    items = [
        ob("2023-01-31", id=1, kind="occurrence", owners=(LEAD, CO)),
        ob("2023-04-30", id=5, kind="occurrence", owners=(LEAD, CO)),
        ob("2023-03-31", id=6, kind="occurrence", owners=(LEAD, CO), done_on="2023-04-03"),
        ob("2023-05-10", id=7, owners=(LEAD, CO)),
        cp("2023-04-30", 30, value=25, on="2023-04-20", id=9),
    ]
    facts = replace(plan(*items), chase_from=D("2023-05-09"))
    out = evaluate(facts, D("2023-05-09"), CAL)
    assert brief(out) == [("remind", 1, LEAD), ("remind", 1, CO), ("backlog", 0, OFFICE)]
    [summary] = [i for i in out if i.rule == "backlog"]
    assert [(row["key"], row["deadline"]) for row in summary.fact("items")] == [
        ("ob-1", D("2023-01-31")),
        ("ob-5", D("2023-04-30")),
        ("ob-9", D("2023-04-30")),  # the checkpoint missed before the plan
    ]
    assert summary.fact("count") == 3
    # the next days: the same summary (the same key: stored once, sent once), nothing else
    later = evaluate(facts, D("2023-05-22"), CAL)
    # (evaluated with nothing sent: o7's first letter is its 催办, though 8 working days late)
    assert brief(later) == [("overdue", 1, LEAD), ("overdue", 1, CO), ("backlog", 0, OFFICE)]
    assert [i.key for i in later if i.rule == "backlog"] == [summary.key]
    assert {i.subject for i in later if i.rule == "overdue"} == {"o7"}
    # before the plan takes effect nothing at all is owed; after it closes, nothing either
    assert evaluate(facts, D("2023-05-08"), CAL) == []
    closed = replace(facts, closes_on=D("2024-01-31"))
    assert evaluate(closed, D("2024-01-31"), CAL) != []
    assert evaluate(closed, D("2024-02-01"), CAL) == []


# the evaluator is pure -------------------------------------------------------------------------


def test_evaluating_twice_gives_the_same_intents() -> None:
    items = (
        ob("2023-04-30", id=1, owners=(LEAD, CO)),
        cp("2023-04-30", 30, value=25, on="2023-04-20", id=2),
        metric(pace=YEAR, report="month", latest=20.0, on="2023-04-20"),
    )
    facts = plan(*items)
    for day in ("2023-04-26", "2023-05-04", "2023-05-09", "2023-06-01"):
        first = evaluate(facts, D(day), CAL)
        assert first and first == evaluate(facts, D(day), CAL)
        assert len({i.key for i in first}) == len(first)


@pytest.mark.parametrize(
    ("cadence", "as_of"),
    [("month", "2022-12-28"), ("quarter", "2022-12-30"), ("week", "2022-12-01")],
)
def test_no_report_reminder_for_a_period_before_the_plan(cadence: str, as_of: str) -> None:
    """A 2023 plan loaded in December 2022 is evaluated every working morning: it must not
    ask for reports for 2022-12, 2022-Q4 or 2022-W48 (the ladder was already bounded by the
    plan's first day; the reminder once was by the period's end only)."""
    assert evaluate_on(as_of, metric(report=cadence)) == []
