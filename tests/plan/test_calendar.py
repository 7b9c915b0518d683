"""Working days on China's 2023 calendar: holidays, swapped working days, plan overrides."""

from __future__ import annotations

from datetime import date

import pytest

from workplan.plan.calendar import WorkCalendar

CN = WorkCalendar("CN", years=[2023])
D = date.fromisoformat


@pytest.mark.parametrize(
    ("day", "working", "why"),
    [
        ("2023-04-23", True, "Sunday swapped to a working day for May Day"),
        ("2023-04-28", True, "Friday"),
        ("2023-04-29", False, "Saturday"),
        ("2023-05-01", False, "Labour Day"),
        ("2023-05-02", False, "May Day holiday (swapped from 23 April)"),
        ("2023-05-03", False, "May Day holiday (swapped from 6 May)"),
        ("2023-05-04", True, "first working day after May Day"),
        ("2023-05-06", True, "Saturday swapped to a working day"),
        ("2023-06-22", False, "Dragon Boat Festival"),
        ("2023-06-23", False, "Dragon Boat holiday"),
        ("2023-06-25", True, "Sunday swapped to a working day"),
        ("2023-09-29", False, "Mid-Autumn Festival"),
        ("2023-10-02", False, "National Day holiday"),
        ("2023-10-06", False, "National Day holiday"),
        ("2023-10-07", True, "Saturday swapped to a working day"),
        ("2023-10-08", True, "Sunday swapped to a working day"),
        ("2023-12-30", False, "Saturday"),
    ],
)
def test_working_days_2023(day: str, working: bool, why: str) -> None:
    assert CN.is_working_day(D(day)) is working, why


@pytest.mark.parametrize(
    ("day", "n", "expected"),
    [
        ("2023-04-30", 1, "2023-05-04"),  # May Day: 1-3 May off
        ("2023-04-28", 1, "2023-05-04"),
        ("2023-09-28", 1, "2023-10-07"),  # National Day + Mid-Autumn: 29 Sep - 6 Oct off
        ("2023-06-21", 1, "2023-06-25"),  # Dragon Boat: the Sunday after is a working day
        ("2023-06-30", 5, "2023-07-07"),
        ("2023-12-29", 1, "2024-01-02"),  # across the year: 1 January 2024 is New Year's Day
    ],
)
def test_after(day: str, n: int, expected: str) -> None:
    assert CN.after(D(day), n) == D(expected)


@pytest.mark.parametrize(
    ("day", "n", "expected"),
    [
        ("2023-04-30", 1, "2023-04-28"),
        ("2023-04-30", 3, "2023-04-26"),
        ("2023-05-04", 1, "2023-04-28"),
        ("2023-10-09", 1, "2023-10-08"),  # a Sunday that is a working day
        ("2023-10-09", 3, "2023-09-28"),
        ("2023-06-26", 2, "2023-06-21"),
    ],
)
def test_before(day: str, n: int, expected: str) -> None:
    assert CN.before(D(day), n) == D(expected)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("2023-04-28", "2023-05-04", 1),
        ("2023-09-28", "2023-10-09", 3),
        ("2023-05-04", "2023-05-04", 0),
        ("2023-05-04", "2023-04-28", -1),
        ("2023-01-01", "2023-12-31", 249),  # 260 weekdays - 18 holidays + 7 swapped weekend days
    ],
)
def test_count(start: str, end: str, expected: int) -> None:
    assert CN.count(D(start), D(end)) == expected


def test_plan_overrides() -> None:
    cal = WorkCalendar(
        "CN", years=[2023], extra_holidays=[D("2023-05-05")], extra_working_days=[D("2023-05-07")]
    )
    assert not cal.is_working_day(D("2023-05-05"))
    assert cal.is_working_day(D("2023-05-07"))
    assert cal.after(D("2023-05-04")) == D("2023-05-06")
    assert cal.holiday_name(D("2023-05-05")) == "plan holiday"


def test_names_of_holidays() -> None:
    assert CN.holiday_name(D("2023-10-01")) is not None
    assert CN.holiday_name(D("2023-05-04")) is None
    assert CN.days_off(D("2023-04-29"), D("2023-05-04")) == [
        D("2023-04-29"),
        D("2023-04-30"),
        D("2023-05-01"),
        D("2023-05-02"),
        D("2023-05-03"),
    ]


def test_dates_beyond_the_span_extend_it() -> None:
    cal = WorkCalendar("CN", years=[2023])
    assert cal.is_working_day(D("2026-02-14"))  # a swapped Saturday in 2026
    assert not cal.is_working_day(D("2021-10-01"))
