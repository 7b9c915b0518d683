"""workplan.periods over real 2023 dates: due periods, shortcuts and RFC 5545 rules."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

import pytest

from workplan.plan.periods import (
    MAX_OCCURRENCES,
    Occurrence,
    RecurrenceError,
    Window,
    expand_rrule,
    is_due_text,
    month_end,
    resolve_due,
    shortcut,
    weekday_index,
)

D = date
YEAR_END = D(2023, 12, 31)


# --------------------------------------------------------------------------------------------
# resolve_due


@pytest.mark.parametrize(
    ("written", "window"),
    [
        ("Q1", Window(D(2023, 1, 1), D(2023, 3, 31))),
        ("Q2", Window(D(2023, 4, 1), D(2023, 6, 30))),
        ("Q3", Window(D(2023, 7, 1), D(2023, 9, 30))),
        ("Q4", Window(D(2023, 10, 1), D(2023, 12, 31))),
        ("H1", Window(D(2023, 1, 1), D(2023, 6, 30))),
        ("H2", Window(D(2023, 7, 1), D(2023, 12, 31))),
        ("2023-06", Window(D(2023, 6, 1), D(2023, 6, 30))),
        ("2023-02", Window(D(2023, 2, 1), D(2023, 2, 28))),
        ("2024-02", Window(D(2024, 2, 1), D(2024, 2, 29))),
        ("year-end", Window(None, D(2023, 12, 31))),
        ("2024-Q1", Window(D(2024, 1, 1), D(2024, 3, 31))),
        ("2022-H2", Window(D(2022, 7, 1), D(2022, 12, 31))),
        (D(2023, 6, 30), Window(None, D(2023, 6, 30))),
    ],
)
def test_resolve_due(written: str | date, window: Window) -> None:
    assert resolve_due(written, 2023) == window


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("Q1", True),
        ("H2", True),
        ("2024-Q1", True),
        ("2023-06", True),
        ("2023-12", True),
        ("year-end", True),
        ("Q5", False),
        ("H3", False),
        ("2023-13", False),
        ("2023-6", False),
        ("6", False),
        ("year", False),
        ("q1", False),
        ("2023-06-30", False),
    ],
)
def test_is_due_text(text: str, ok: bool) -> None:
    assert is_due_text(text) is ok


@pytest.mark.parametrize(
    ("year", "month", "last"),
    [(2023, 1, 31), (2023, 2, 28), (2024, 2, 29), (2023, 4, 30), (2023, 12, 31)],
)
def test_month_end(year: int, month: int, last: int) -> None:
    assert month_end(year, month) == D(year, month, last)


@pytest.mark.parametrize(
    ("day", "index"),
    [(None, 4), ("mon", 0), ("fri", 4), ("Friday", 4), ("SUN", 6), (1, 0), (5, 4), (7, 6)],
)
def test_weekday_index(day: int | str | None, index: int) -> None:
    assert weekday_index(day) == index


# --------------------------------------------------------------------------------------------
# shortcut: every week / month / quarter / half-year / year


def dues(items: list[Occurrence]) -> list[date]:
    return [o.due for o in items]


def test_month_day_25() -> None:
    items = shortcut("month", D(2023, 1, 1), YEAR_END, 25)
    assert [o.label for o in items] == [f"2023-{m:02d}" for m in range(1, 13)]
    assert dues(items) == [D(2023, m, 25) for m in range(1, 13)]
    assert [o.opens for o in items] == [D(2023, m, 1) for m in range(1, 13)]


def test_month_day_31_is_clamped() -> None:
    items = shortcut("month", D(2023, 1, 1), YEAR_END, 31)
    assert dues(items) == [month_end(2023, m) for m in range(1, 13)]
    assert items[1] == Occurrence("2023-02", D(2023, 2, 1), D(2023, 2, 28))
    assert items[3].due == D(2023, 4, 30)


@pytest.mark.parametrize("day", [None, -1])
def test_month_default_is_the_last_day(day: int | None) -> None:
    assert dues(shortcut("month", D(2023, 1, 1), YEAR_END, day)) == [
        month_end(2023, m) for m in range(1, 13)
    ]


@pytest.mark.parametrize(
    ("every", "day", "expected"),
    [
        (
            "quarter",
            None,
            [
                Occurrence("2023-Q1", D(2023, 1, 1), D(2023, 3, 31)),
                Occurrence("2023-Q2", D(2023, 4, 1), D(2023, 6, 30)),
                Occurrence("2023-Q3", D(2023, 7, 1), D(2023, 9, 30)),
                Occurrence("2023-Q4", D(2023, 10, 1), D(2023, 12, 31)),
            ],
        ),
        (
            "quarter",
            15,
            [
                Occurrence("2023-Q1", D(2023, 1, 1), D(2023, 3, 15)),
                Occurrence("2023-Q2", D(2023, 4, 1), D(2023, 6, 15)),
                Occurrence("2023-Q3", D(2023, 7, 1), D(2023, 9, 15)),
                Occurrence("2023-Q4", D(2023, 10, 1), D(2023, 12, 15)),
            ],
        ),
        (
            "half-year",
            None,
            [
                Occurrence("2023-H1", D(2023, 1, 1), D(2023, 6, 30)),
                Occurrence("2023-H2", D(2023, 7, 1), D(2023, 12, 31)),
            ],
        ),
        ("year", None, [Occurrence("2023", D(2023, 1, 1), D(2023, 12, 31))]),
        ("year", 20, [Occurrence("2023", D(2023, 1, 1), D(2023, 12, 20))]),
    ],
)
def test_periods_longer_than_a_month(
    every: str, day: int | None, expected: list[Occurrence]
) -> None:
    assert shortcut(every, D(2023, 1, 1), YEAR_END, day) == expected


@pytest.mark.parametrize(
    ("day", "first", "last", "count"),
    [
        ("fri", Occurrence("2023-W01", D(2023, 1, 2), D(2023, 1, 6)), D(2023, 12, 29), 52),
        (None, Occurrence("2023-W01", D(2023, 1, 2), D(2023, 1, 6)), D(2023, 12, 29), 52),
        (5, Occurrence("2023-W01", D(2023, 1, 2), D(2023, 1, 6)), D(2023, 12, 29), 52),
        ("mon", Occurrence("2023-W01", D(2023, 1, 2), D(2023, 1, 2)), D(2023, 12, 25), 52),
        # 1 January 2023 is a Sunday: the last day of ISO week 2022-W52
        ("sun", Occurrence("2022-W52", D(2022, 12, 26), D(2023, 1, 1)), D(2023, 12, 31), 53),
    ],
)
def test_week(day: int | str | None, first: Occurrence, last: date, count: int) -> None:
    items = shortcut("week", D(2023, 1, 1), YEAR_END, day)
    assert items[0] == first
    assert items[-1].due == last
    assert len(items) == count
    assert all(b.due - a.due == timedelta(days=7) for a, b in pairwise(items))
    assert all(o.opens.weekday() == 0 for o in items)


@pytest.mark.parametrize(
    ("every", "start", "until", "day", "expected"),
    [
        # a month whose due day falls before 'from' is left out; one that opens by 'until' is in
        ("month", D(2023, 3, 15), D(2023, 8, 10), 25, [D(2023, m, 25) for m in range(3, 9)]),
        ("month", D(2023, 3, 28), D(2023, 7, 31), 25, [D(2023, m, 25) for m in range(4, 8)]),
        ("month", D(2023, 3, 28), D(2023, 7, 31), None, [month_end(2023, m) for m in range(3, 8)]),
        ("quarter", D(2023, 5, 10), D(2023, 8, 10), None, [D(2023, 6, 30), D(2023, 9, 30)]),
        ("half-year", D(2023, 7, 1), YEAR_END, None, [D(2023, 12, 31)]),
        ("year", D(2023, 6, 1), D(2023, 6, 30), None, [D(2023, 12, 31)]),
        # weeks: the due day itself must lie between 'from' and 'until'
        ("week", D(2023, 3, 15), D(2023, 4, 5), "fri", [D(2023, 3, d) for d in (17, 24, 31)]),
        ("week", D(2023, 3, 18), D(2023, 3, 23), "fri", []),
        # spanning the turn of the year, month by month
        (
            "month",
            D(2023, 11, 1),
            D(2024, 2, 29),
            10,
            [D(2023, 11, 10), D(2023, 12, 10), D(2024, 1, 10), D(2024, 2, 10)],
        ),
    ],
)
def test_bounds_cut_mid_period(
    every: str, start: date, until: date, day: int | str | None, expected: list[date]
) -> None:
    assert dues(shortcut(every, start, until, day)) == expected


def test_month_labels_across_the_year() -> None:
    items = shortcut("month", D(2023, 12, 1), D(2024, 1, 31), None)
    assert [o.label for o in items] == ["2023-12", "2024-01"]


def test_shortcut_too_many() -> None:
    with pytest.raises(RecurrenceError, match=f"more than {MAX_OCCURRENCES} occurrences"):
        shortcut("week", D(2023, 1, 1), D(2031, 12, 31), "fri")


# --------------------------------------------------------------------------------------------
# expand_rrule(rule, start, until, horizon)


def rrule(rule: str, until: date | None = None, start: date | None = None) -> list[date]:
    items = expand_rrule(rule, start or D(2023, 1, 1), until, YEAR_END)
    assert all(o.opens == o.due and o.label == o.due.isoformat() for o in items)
    return dues(items)


FRIDAYS_H1 = [D(2023, 1, 6) + timedelta(weeks=n) for n in range(26)]


@pytest.mark.parametrize(
    ("rule", "until", "expected"),
    [
        ("FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=12", None, [month_end(2023, m) for m in range(1, 13)]),
        ("FREQ=MONTHLY;BYMONTHDAY=-1", YEAR_END, [month_end(2023, m) for m in range(1, 13)]),
        ("FREQ=WEEKLY;BYDAY=FR;UNTIL=20230630", None, FRIDAYS_H1),
        ("RRULE:FREQ=WEEKLY;BYDAY=FR;UNTIL=20230630", None, FRIDAYS_H1),
        ("freq=weekly;byday=fr;until=20230630", None, FRIDAYS_H1),
        ("FREQ=WEEKLY;BYDAY=FR;COUNT=3", None, [D(2023, 1, 6), D(2023, 1, 13), D(2023, 1, 20)]),
        ("COUNT=3;FREQ=WEEKLY;BYDAY=FR", None, [D(2023, 1, 6), D(2023, 1, 13), D(2023, 1, 20)]),
        # 'until:' cuts a rule that would go on
        ("FREQ=WEEKLY;BYDAY=FR;UNTIL=20231229", D(2023, 1, 31), FRIDAYS_H1[:4]),
        ("FREQ=MONTHLY;BYDAY=-1FR;COUNT=3", None, [D(2023, 1, 27), D(2023, 2, 24), D(2023, 3, 31)]),
        (
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO;UNTIL=20230220",
            None,
            [D(2023, 1, 9), D(2023, 1, 23), D(2023, 2, 6), D(2023, 2, 20)],
        ),
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=28;COUNT=1", None, [D(2023, 2, 28)]),
        (
            "FREQ=DAILY;UNTIL=20231231",
            None,
            [D(2023, 1, 1) + timedelta(days=n) for n in range(365)],
        ),
    ],
)
def test_expand_rrule(rule: str, until: date | None, expected: list[date]) -> None:
    assert rrule(rule, until) == expected


def test_rrule_starts_at_from() -> None:
    assert rrule("FREQ=MONTHLY;BYMONTHDAY=25;COUNT=2", start=D(2023, 3, 26)) == [
        D(2023, 4, 25),
        D(2023, 5, 25),
    ]


def test_rrule_within_a_wider_horizon() -> None:
    items = expand_rrule("FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=15", D(2023, 1, 1), None, D(2024, 3, 31))
    assert dues(items)[-1] == D(2024, 3, 31)
    assert len(items) == 15


@pytest.mark.parametrize(
    ("rule", "until", "message"),
    [
        (
            "FREQ=HOURLY;COUNT=5",
            None,
            "FREQ=HOURLY is finer than a day: use DAILY, WEEKLY, MONTHLY or YEARLY",
        ),
        ("FREQ=MINUTELY;COUNT=5", None, "FREQ=MINUTELY is finer than a day"),
        ("FREQ=SECONDLY;COUNT=5", None, "FREQ=SECONDLY is finer than a day"),
        ("BYDAY=FR;COUNT=5", None, "not a valid RRULE: FREQ= is missing"),
        ("FREQ=WEEKLY;\nCOUNT=5", None, "an RRULE is one line"),
        ("FREQ=WEEKLY;BYDAY=FR", None, "the rule never ends: add UNTIL=, COUNT= or 'until:'"),
        ("FREQ=WEEKLY;BYDAY=XX;COUNT=2", None, "not a valid RRULE (invalid 'BYDAY': XX)"),
        (
            "FREQ=FORTNIGHTLY;COUNT=2",
            None,
            "FREQ=FORTNIGHTLY is not a frequency: use DAILY, WEEKLY, MONTHLY or YEARLY",
        ),
        (
            "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30;COUNT=2",
            None,
            "the rule has no occurrence between 2023-01-01 and 2023-12-31"
            " (are its filters possible?)",
        ),
        (
            "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30;UNTIL=20231231",
            None,
            "the rule has no occurrence between 2023-01-01 and 2023-12-31",
        ),
        (
            "FREQ=DAILY;UNTIL=20241231",
            None,
            f"the rule gives more than {MAX_OCCURRENCES} occurrences, the limit for one duty;"
            " end it sooner with UNTIL=, COUNT= or 'until:'",
        ),
        ("FREQ=DAILY;COUNT=500", None, f"the rule gives more than {MAX_OCCURRENCES} occurrences"),
        (
            "FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=24",
            None,
            "the rule runs past 2023-12-31 (to 2024-12-31), the end of the plan's period;"
            " end it earlier with UNTIL= or COUNT=, or widen 'period:'",
        ),
        (
            "FREQ=DAILY;UNTIL=20240131",
            None,
            "the rule runs past 2023-12-31 (to 2024-01-31)",
        ),
        (
            "FREQ=DAILY;COUNT=0",
            None,
            "the rule has no occurrence between 2023-01-01 and 2023-12-31",
        ),
    ],
    ids=lambda v: v if isinstance(v, str) and v.startswith(("FREQ", "BYDAY")) else None,
)
def test_rrule_errors(rule: str, until: date | None, message: str) -> None:
    with pytest.raises(RecurrenceError) as info:
        expand_rrule(rule, D(2023, 1, 1), until, YEAR_END)
    assert str(info.value).startswith(message)
    assert "\n" not in str(info.value)


def test_rrule_past_the_horizon_but_cut_by_until_is_fine() -> None:
    # 'until:' is the writer's own cut: the rule's UNTIL beyond it is not an error
    assert rrule("FREQ=MONTHLY;BYMONTHDAY=1;UNTIL=20241231", until=D(2023, 3, 31)) == [
        D(2023, 1, 1),
        D(2023, 2, 1),
        D(2023, 3, 1),
    ]
