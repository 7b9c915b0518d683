"""The ladder climbs by letters sent (issue 22): the rung owed to one recipient, over real dates.

Banan's ladder: 催办 1 working day after the deadline (to the owners), 督办 after 5 (to the
lead), 通报 after 10 (to the owners).  The first letter about an overdue obligation is 催办
whatever the days elapsed; each higher rung goes once the rung below went to that recipient
and the interval between the two (4 working days to 督办, 5 to 通报) has passed since.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from workplan.plan.calendar import WorkCalendar
from workplan.plan.policy import Step
from workplan.rules.ladder import climb, interval, rung
from workplan.store.facts import Sent

CAL = WorkCalendar("CN")
STEPS = (
    Step(1, "催办", 1, ("owners",)),
    Step(2, "督办", 5, ("lead", "heads", "office")),
    Step(3, "通报", 10, ("owners", "heads", "leadership")),
)
LEAD, CO = "区乡村振兴局", "区财政局"


def D(text: str) -> date:
    return date.fromisoformat(text)


@dataclass(frozen=True)
class Item:
    owners: tuple[str, ...]
    lead: tuple[str, ...]
    due: date


def test_the_intervals_between_rungs() -> None:
    assert [interval(STEPS, s.level) for s in STEPS] == [4, 5, 0]


@pytest.mark.parametrize(
    ("deadline", "as_of", "sent", "expected"),
    [
        # nothing sent: the first letter is 催办, however late (a first start mid-year)
        ("2023-06-30", "2023-06-30", None, None),  # on the day: not late
        ("2023-06-30", "2023-07-02", None, None),  # Sunday: 0 working days late
        ("2023-06-30", "2023-07-03", None, "催办"),
        ("2023-06-30", "2023-07-14", None, "催办"),  # 10 late: 通报 by days, 催办 by letters
        ("2023-07-31", "2023-09-25", None, "催办"),  # 39 working days late
        ("2023-09-28", "2023-10-07", None, "催办"),  # after 中秋/国庆: 7 Oct, a swapped day
        ("2023-09-28", "2023-10-06", None, None),  # the holiday: not a working day late
        # 催办 sent on 3 July: 督办 4 working days later (7 July), not before
        ("2023-06-30", "2023-07-06", ("催办", "2023-07-03"), "催办"),
        ("2023-06-30", "2023-07-07", ("催办", "2023-07-03"), "督办"),
        # 催办 sent late (17 July, the service down till then): 督办 from 21 July
        ("2023-06-30", "2023-07-20", ("催办", "2023-07-17"), "催办"),
        ("2023-06-30", "2023-07-21", ("催办", "2023-07-17"), "督办"),
        # 督办 sent on 7 July: 通报 5 working days later (14 July)
        ("2023-06-30", "2023-07-13", ("督办", "2023-07-07"), "督办"),
        ("2023-06-30", "2023-07-14", ("督办", "2023-07-07"), "通报"),
        # 催办 on 27 Sep; 中秋/国庆 (29 Sep - 6 Oct) not counted: 28 Sep, 7 and 8 Oct (swapped
        # Saturday and Sunday), 9 Oct: 督办 on Monday 9 October
        ("2023-09-26", "2023-10-08", ("催办", "2023-09-27"), "催办"),
        ("2023-09-26", "2023-10-09", ("催办", "2023-09-27"), "督办"),
        # the top rung stays
        ("2023-06-30", "2023-12-29", ("通报", "2023-07-14"), "通报"),
    ],
)
def test_the_rung_owed_given_the_letters_sent(
    deadline: str, as_of: str, sent: tuple[str, str] | None, expected: str | None
) -> None:
    names = {s.name: s.level for s in STEPS}
    last = Sent(names[sent[0]], D(sent[1])) if sent else None
    found = rung(STEPS, D(deadline), D(as_of), CAL, last)
    assert (found.name if found else None) == expected


@pytest.mark.parametrize(
    ("department", "sent", "as_of", "expected"),
    [
        (LEAD, ("催办", "2023-07-03"), "2023-07-07", "督办"),
        (CO, ("催办", "2023-07-03"), "2023-07-07", "催办"),  # 督办 is the lead's alone
        (CO, ("催办", "2023-07-03"), "2023-07-14", "催办"),  # so no 通报 without it
        (LEAD, ("督办", "2023-07-07"), "2023-07-14", "通报"),
        (CO, None, "2023-07-14", "催办"),
    ],
)
def test_a_recipient_climbs_only_the_rungs_addressed_to_it(
    department: str, sent: tuple[str, str] | None, as_of: str, expected: str
) -> None:
    names = {s.name: s.level for s in STEPS}
    last = Sent(names[sent[0]], D(sent[1])) if sent else None
    item = Item((LEAD, CO), (LEAD,), D("2023-06-30"))
    found = climb(STEPS, department, item, D(as_of), CAL, last)
    assert found is not None and found.name == expected
