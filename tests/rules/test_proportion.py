"""Proportion by design (issue 22, item 4): what each miss deserves, case by case over real dates.

An aim is reminded, never escalated; a figure reported on time but short is a shortfall (its
own ladder: 提示函, then 催办; 督办 and 通报 only for a key metric); a standing duty's review
stops at 催办; a recurring duty's missed occurrences are one series per recipient; the
leadership hears at most once a month, in one report naming only key items and lapses at the
top rung.  The evaluator's cases use the builders of test_evaluate; the plan's, the real
Banan file.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from tests.conftest import PLANS
from tests.rules.test_evaluate import CO, LEAD, OFFICE, RULES, brief, cp, evaluate_on, ob
from workplan.plan.policy import Rules, Step
from workplan.plan.proportion import proportioned, shortfall_ladder
from workplan.plan.validate import read_plan
from workplan.rules.evaluate import LEADERSHIP, Intent
from workplan.rules.proportion import REPORT_LINES
from workplan.store.facts import ObligationFacts

D = date.fromisoformat
AIM = proportioned(RULES, strength="aim", key=False)
FIRM = proportioned(RULES, strength="firm", key=False)
KEY = proportioned(RULES, strength="firm", key=True)
STANDING = proportioned(RULES, strength="firm", key=False, standing=True)


def ladder(out: list[Intent]) -> set[tuple[str, int, str]]:
    """(rule, level, rung's name) of the notices owed to departments."""
    return {(i.rule, i.level, i.level_name) for i in out if i.department != LEADERSHIP}


# the ladders each policy carries ---------------------------------------------------------------


def test_the_shortfall_ladder_starts_with_a_提示函_and_stops_at_催办_unless_key() -> None:
    steps = RULES.escalate
    assert [(s.name, s.after) for s in shortfall_ladder(steps, None, False)] == [
        ("提示函", 1),
        ("催办", 5),
    ]
    assert [(s.name, s.after) for s in shortfall_ladder(steps, None, True)] == [
        ("提示函", 1),
        ("催办", 5),
        ("督办", 10),
        ("通报", 15),
    ]
    assert [s.name for s in shortfall_ladder(steps, "督办", False)] == ["提示函", "催办", "督办"]
    assert shortfall_ladder((), None, True) == ()
    assert AIM.escalate == () and AIM.shortfall == () and AIM.aim
    assert [s.name for s in STANDING.escalate] == ["催办"]
    own = proportioned(RULES, strength="firm", key=False, standing=True, own_ladder=True)
    assert own.escalate == RULES.escalate  # a standing duty with its own ladder keeps it
    capped = proportioned(RULES, strength="firm", key=False, standing=True, standing_to="督办")
    assert [s.name for s in capped.escalate] == ["催办", "督办"]


def test_the_banan_plan_marks_its_aims_and_its_key_metrics() -> None:
    compiled = read_plan(PLANS / "banan-2023.yaml").compiled
    assert compiled is not None
    rules = {(o.task, o.key.split("@")[0].split("#")[0]): o.rules for o in compiled.obligations}
    aims = sorted(k for k, r in rules.items() if r.aim)
    assert aims == [
        (7, "courtyard-economy"),
        (8, "new-workshops"),
        (11, "income-measures"),
        (16, "key-project-courtyard"),
        (16, "key-project-seedling"),
        (16, "key-project-shihei"),
        (16, "key-project-yunjian"),
    ]
    assert all(r.escalate == () for k, r in rules.items() if k in aims)
    keys = sorted({k for k, r in rules.items() if r.key})
    assert keys == [
        (16, "central-disbursement"),
        (16, "district-disbursement"),
        (16, "municipal-disbursement"),
    ]
    assert [s.name for s in rules[(16, "central-disbursement")].shortfall or ()] == [
        "提示函",
        "催办",
        "督办",
        "通报",
    ]
    standing = [o.rules for o in compiled.obligations if o.kind == "standing"]
    assert standing and all([s.name for s in r.escalate] == ["催办"] for r in standing)


# aims, shortfalls, standing reviews over real dates ---------------------------------------------

# deadline Sunday 30 April 2023 (May Day off 29 April - 3 May): what each is owed on a day
PROPORTION = [
    # day, rules, what (deliverable / checkpoint reported on time / nothing reported), owed
    ("2023-04-26", AIM, "deliverable", {("remind", 3, "提醒")}),  # an aim is reminded
    ("2023-05-04", AIM, "deliverable", set()),  # and never escalated
    ("2023-06-30", AIM, "deliverable", set()),
    ("2023-05-04", AIM, "short", set()),
    ("2023-05-04", FIRM, "deliverable", {("overdue", 1, "催办")}),
    ("2023-05-04", FIRM, "short", {("shortfall", 1, "提示函")}),
    ("2023-05-08", FIRM, "short", {("shortfall", 1, "提示函")}),
    ("2023-05-09", FIRM, "short", {("shortfall", 2, "催办")}),
    ("2023-05-16", FIRM, "short", {("shortfall", 2, "催办")}),  # no 督办 for a shortfall
    ("2023-12-29", FIRM, "short", {("shortfall", 2, "催办")}),
    # a key metric climbs on (the co-owner, never sent the lead's 督办, stays at its 催办)
    ("2023-05-16", KEY, "short", {("shortfall", 3, "督办"), ("shortfall", 2, "催办")}),
    ("2023-05-23", KEY, "short", {("shortfall", 4, "通报"), ("shortfall", 2, "催办")}),
    # nothing reported: a lapse (the co-owner held at its 催办 likewise)
    ("2023-05-09", FIRM, "unreported", {("overdue", 2, "督办"), ("overdue", 1, "催办")}),
    ("2023-05-16", FIRM, "unreported", {("overdue", 3, "通报"), ("overdue", 1, "催办")}),
    ("2023-05-04", STANDING, "standing", {("overdue", 1, "催办")}),
    ("2023-05-16", STANDING, "standing", {("overdue", 1, "催办")}),  # 常态化: no higher
    ("2023-12-29", STANDING, "standing", {("overdue", 1, "催办")}),
]


@pytest.mark.parametrize(("day", "rules", "what", "expected"), PROPORTION)
def test_what_each_miss_deserves(
    day: str, rules: Rules, what: str, expected: set[tuple[str, int, str]]
) -> None:
    if what == "deliverable":
        item = ob("2023-04-30", owners=(LEAD, CO), rules=rules)
    elif what == "standing":
        item = ob("2023-04-30", owners=(LEAD, CO), rules=rules, kind="standing")
    else:
        value = 25.0 if what == "short" else None
        item = cp("2023-04-30", 30, value=value, on="2023-04-20", rules=rules)
    assert ladder(evaluate_on(day, item)) == expected


def test_a_shortfalls_notice_carries_the_gap_and_goes_to_the_owners() -> None:
    out = evaluate_on("2023-05-09", cp("2023-04-30", 30, value=25, on="2023-04-20", rules=FIRM))
    assert brief(out) == [("shortfall", 2, LEAD), ("shortfall", 2, CO)]
    assert {(i.fact("value"), i.fact("target"), i.fact("shortfall")) for i in out} == {(25, 30, 5)}


# a recurring duty's missed occurrences: one series per recipient --------------------------------


def monthly(months: list[int], done: tuple[int, ...] = ()) -> list[ObligationFacts]:
    """The occurrences of a monthly duty of two owners, due at each month's end."""
    ends = {3: "2023-03-31", 4: "2023-04-30", 5: "2023-05-31", 6: "2023-06-30"}
    return [
        replace(
            ob(
                ends[m],
                id=m,
                kind="occurrence",
                owners=(LEAD, CO),
                done_on="2023-06-01" if m in done else None,
            ),
            key=f"dispatch@2023-{m:02d}",
        )
        for m in months
    ]


SERIES = [
    # day, months open, the series' level (its oldest occurrence's), periods named
    ("2023-04-04", [3], 1, None),
    ("2023-05-04", [3, 4], 3, ["2023-03", "2023-04"]),  # April's 催办 joins March's 通报
    ("2023-06-01", [3, 4, 5], 3, ["2023-03", "2023-04", "2023-05"]),
]


@pytest.mark.parametrize(("day", "months", "level", "periods"), SERIES)
def test_missed_occurrences_are_one_series_per_recipient(
    day: str, months: list[int], level: int, periods: list[str] | None
) -> None:
    out = [i for i in evaluate_on(day, *monthly(months)) if i.rule == "overdue"]
    to_owners = [i for i in out if i.department in (LEAD, CO)]
    assert sorted(i.department for i in to_owners) == sorted([LEAD, CO])  # one line each
    assert {i.level for i in to_owners if i.department == LEAD} == {level}
    # the co-owner, never sent the lead's 督办, stays at its 催办 (the ladder climbs by letters)
    assert {i.level for i in to_owners if i.department == CO} == {1}
    assert {i.subject for i in to_owners} == {"o3"}  # the oldest open occurrence's ladder
    series = {str(i.fact("series")) for i in to_owners}
    expected = None if periods is None else {"count": len(periods), "periods": periods}
    assert series == {str(expected)}


def test_a_series_continues_from_its_oldest_open_occurrence() -> None:
    # March reported late (done on 1 June): April's occurrence carries the series from then
    items = monthly([3, 4, 5], done=(3,))
    out = [i for i in evaluate_on("2023-06-02", *items) if i.department == LEAD]
    assert [(i.subject, i.fact("series")) for i in out] == [
        ("o4", {"count": 2, "periods": ["2023-04", "2023-05"]})
    ]


# the leadership: one report a month ---------------------------------------------------------------


def test_the_leadership_gets_one_report_a_month_naming_only_what_deserves_it() -> None:
    office_own = ob("2023-04-30", id=1, owners=(OFFICE,), lead=(OFFICE,))
    lapse = ob("2023-04-30", id=2, owners=(LEAD, CO))
    aim = ob("2023-04-30", id=3, owners=(LEAD,), rules=AIM)
    short = cp("2023-04-30", 30, value=25, on="2023-04-20", id=4, rules=FIRM)
    key_short = cp("2023-04-30", 30, value=25, on="2023-04-20", id=5, rules=KEY)
    out = evaluate_on("2023-05-23", office_own, lapse, aim, short, key_short)
    [report] = [i for i in out if i.department == LEADERSHIP]
    assert (report.rule, report.level_name, report.period) == ("report-up", "情况报告", "2023-05")
    assert report.key == f"p1|report-up|0|2023-05|{LEADERSHIP}"
    named = [(r["subject"], r["rung"], r["shortfall"]) for r in report.fact("lines")]
    # the lapse at 通报 and the key metric's shortfall (at 通报 too); never the office's own
    # item, the aim (not on the ladder at all) or a shortfall of a metric not key
    assert named == [("o5", "通报", True), ("o2", "通报", False)]
    # counted at their highest rung: the office's own item stays at the lowest rung (the office
    # never climbs its own ladder), so one 通报 and one 催办
    assert report.fact("counts") == {"通报（未达到）": 1, "通报": 1, "催办": 1, "催办（未达到）": 1}
    assert report.fact("items") == 4 and len(report.fact("all")) == 4
    # a new month, a new report (the key changes); the same month, the same one
    june = [i for i in evaluate_on("2023-06-01", lapse) if i.department == LEADERSHIP]
    assert [i.key for i in june] == [f"p1|report-up|0|2023-06|{LEADERSHIP}"]
    # nothing at the top rung and nothing key: no report at all
    assert [i for i in evaluate_on("2023-05-09", lapse) if i.department == LEADERSHIP] == []


def test_the_report_names_at_most_a_page_of_items() -> None:
    many = [ob("2023-04-30", id=n, owners=(LEAD,), task=n) for n in range(1, 12)]
    [report] = [i for i in evaluate_on("2023-05-23", *many) if i.department == LEADERSHIP]
    assert len(report.fact("lines")) == REPORT_LINES < report.fact("named") == 11


def test_a_plan_may_turn_the_report_off() -> None:
    from tests.rules.test_evaluate import CAL, plan
    from workplan.rules.evaluate import evaluate

    facts = replace(plan(ob("2023-04-30", owners=(LEAD, CO))), report_up=False)
    out = evaluate(facts, D("2023-05-23"), CAL)
    assert out and all(i.department != LEADERSHIP for i in out)


def test_no_copy_of_any_notice_goes_to_the_leadership_daily() -> None:
    rules = Rules((3, 1), ("owners",), (Step(1, "通报", 1, ("owners", "leadership")),))
    out = evaluate_on("2023-05-04", ob("2023-04-30", owners=(LEAD, CO), rules=rules))
    assert [(i.rule, i.department) for i in out if i.department == LEADERSHIP] == [
        ("report-up", LEADERSHIP)
    ]
