"""复核 in the rules (issue 24, item 4), over the real 2023 calendar: a report waiting for the
office's review is neither done nor late (nothing is chased while it waits); the office is
reminded once it has waited the plan's ``cycle.review_days`` working days; a report sent back
(退回) is told to its department until it reports again; status says 待复核.

Days that matter: Friday 30 June 2023 is a working day; the Dragon Boat holiday is 22-24 June
with Sunday 25 June a working day.  With the default ladder, 催办 is owed from the first
working day after the deadline: Monday 3 July.
"""

from __future__ import annotations

from datetime import date

import pytest

from tests.rules.test_evaluate import CAL, LEAD, OFFICE, cp, metric, ob, plan
from workplan.rules.cycle import cycle_intents
from workplan.rules.evaluate import evaluate
from workplan.rules.status import task_statuses
from workplan.store.cycle_read import CycleFacts
from workplan.store.facts import Task
from workplan.store.pending import Review

D = date.fromisoformat


def _owed(*items: object, as_of: str) -> list[tuple[str, int, str]]:
    return [(i.rule, i.level, i.department) for i in evaluate(plan(*items), D(as_of), CAL)]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("reported_on", "as_of", "owed"),
    [
        # reported before the day before the deadline: no reminder, nothing
        ("2023-06-27", "2023-06-29", []),
        # reported, then the deadline passed while the office had not reviewed it: no 催办
        ("2023-06-28", "2023-07-03", []),
        ("2023-06-28", "2023-07-31", []),
        # reported late (催办 was owed on 3 July): once reported, nothing more is chased
        ("2023-07-04", "2023-07-05", []),
        # a report dated after the day evaluated does not count on that day: the ladder runs
        ("2023-07-05", "2023-07-03", [("overdue", 1, LEAD)]),
        # no report: the ladder as ever (the control)
        (None, "2023-07-03", [("overdue", 1, LEAD)]),
        (None, "2023-06-29", [("remind", 1, LEAD)]),
    ],
)
def test_a_report_waiting_for_review_is_neither_done_nor_late(
    reported_on: str | None, as_of: str, owed: list[tuple[str, int, str]]
) -> None:
    waiting = ob("2023-06-30", reported_on=D(reported_on) if reported_on else None)
    assert _owed(waiting, as_of=as_of) == owed


def test_a_value_waiting_for_review_holds_its_checkpoint_and_its_report() -> None:
    # 52% reported on 29 June, pending: the 50% checkpoint of 30 June is neither met nor missed
    held = cp("2023-06-30", 50.0, reported_on=D("2023-06-29"))
    assert _owed(held, as_of="2023-07-03") == []
    missed = cp("2023-06-30", 50.0)  # the control: nothing that counts was reported
    assert [r for r, _, _ in _owed(missed, as_of="2023-07-03")] == ["overdue", "overdue"]
    # a monthly report: a June value waiting for review is the June report made
    monthly = metric(report="month", target=None)
    assert _owed(monthly, as_of="2023-07-05")  # the control: June's report is chased
    monthly.reported_on = D("2023-06-29")
    assert _owed(monthly, as_of="2023-07-05") == []


def _cycle(*, awaiting: tuple[Review, ...] = (), returned: tuple[Review, ...] = ()) -> CycleFacts:
    return CycleFacts(2, 3, review_days=3, awaiting=awaiting, returned=returned)


def _review(since: str, *, reason: str | None = None, obligation: int | None = 1) -> Review:
    return Review(
        1,
        101,
        1,
        "完成项目库建设",
        LEAD,
        D(since),
        obligation,
        None if obligation else 7,
        D("2023-06-30"),
        reason,
    )


@pytest.mark.parametrize(
    ("since", "first_reminded"),
    [
        # Wednesday 28 June + 3 working days: Thursday 29, Friday 30, Monday 3 July
        ("2023-06-28", "2023-07-03"),
        # Tuesday 20 June: Wednesday 21, Sunday 25 (a working day), Monday 26 June
        ("2023-06-20", "2023-06-26"),
        # reported on the holiday's Friday 23 June: Sunday 25, Monday 26, Tuesday 27
        ("2023-06-23", "2023-06-27"),
    ],
)
def test_the_office_is_reminded_after_the_review_days(since: str, first_reminded: str) -> None:
    first = D(first_reminded)
    assert CAL.after(D(since), 3) == first  # the calendar agrees with the hand count
    waiting = _cycle(awaiting=(_review(since),))
    before = CAL.before(first, 1)
    assert cycle_intents(1, OFFICE, waiting, before, CAL) == []
    for day in (first, D("2023-07-20")):
        (owed,) = cycle_intents(1, OFFICE, waiting, day, CAL)
        assert (owed.rule, owed.department, owed.period) == ("review", OFFICE, since)
        assert owed.facts["reported_by"] == LEAD
    metric_waiting = _cycle(awaiting=(_review(since, obligation=None),))
    (owed,) = cycle_intents(1, OFFICE, metric_waiting, first, CAL)
    assert (owed.subject, owed.metric_id, owed.obligation_id) == ("vm7", 7, None)


def test_a_report_sent_back_is_told_to_its_department_under_one_key() -> None:
    back = _cycle(returned=(_review("2023-07-03", reason="缺少项目清单"),))
    first = cycle_intents(1, OFFICE, back, D("2023-07-03"), CAL)
    later = cycle_intents(1, OFFICE, back, D("2023-07-06"), CAL)
    assert [(i.rule, i.department, i.facts["reason"]) for i in first] == [
        ("returned", LEAD, "缺少项目清单")
    ]
    assert [i.key for i in first] == [i.key for i in later]  # stored once, sent once


def test_status_says_awaiting_review_and_does_not_count_it_done() -> None:
    tasks = {101: Task(101, 1, 1, "一", "事项", (LEAD,), (), None, None)}
    waiting = ob("2023-06-30", reported_on=D("2023-06-28"))
    other = ob("2023-06-30", id=2, done_on="2023-06-28")
    facts = plan(waiting, other)
    day = D("2023-07-10")
    (row,) = task_statuses(tasks, facts, evaluate(facts, day, CAL), CAL, day)
    assert (row.state, row.done, row.total, row.overdue) == ("awaiting review", 1, 2, [])
    assert [(o.key, o.reported_on) for o in row.awaiting] == [("ob-1", D("2023-06-28"))]
    late = plan(ob("2023-06-30"), other)
    (row,) = task_statuses(tasks, late, evaluate(late, day, CAL), CAL, day)
    assert row.state == "overdue"  # the control: not reported, it is late
