"""Document numbers (文号) belong to the issuing office and the year (issue 22, item 3).

Tables of numbers taken over real dates, on each backend: a series per office, format and
year; two plans of one office continue one series; a series an earlier version numbered per
plan continues where its plans stopped.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine, insert, select

from workplan.notices.numbers import assign, take
from workplan.store.tables import T_PLAN, T_SEQUENCE

DU = "巴南乡振督〔{year}〕{n}号"
TONG = "巴南乡振通〔{year}〕{n}号"


@pytest.mark.parametrize(
    ("takes", "expected"),
    [
        # one office, one format: 1, 2, 3 in the order taken
        (
            [
                ("区委农办", DU, "2023-07-03"),
                ("区委农办", DU, "2023-07-03"),
                ("区委农办", DU, "2023-07-07"),
            ],
            ["巴南乡振督〔2023〕1号", "巴南乡振督〔2023〕2号", "巴南乡振督〔2023〕3号"],
        ),
        # two formats, two series; the 通报 series counts only its own acts
        (
            [
                ("区委农办", DU, "2023-07-03"),
                ("区委农办", TONG, "2023-07-14"),
                ("区委农办", DU, "2023-07-14"),
            ],
            ["巴南乡振督〔2023〕1号", "巴南乡振通〔2023〕1号", "巴南乡振督〔2023〕2号"],
        ),
        # a new year starts the series again: Friday 29 Dec 2023, then Tuesday 2 Jan 2024
        (
            [
                ("区委农办", DU, "2023-12-29"),
                ("区委农办", DU, "2024-01-02"),
                ("区委农办", DU, "2023-12-29"),
            ],
            ["巴南乡振督〔2023〕1号", "巴南乡振督〔2024〕1号", "巴南乡振督〔2023〕2号"],
        ),
        # another office with the same format (a copied plan file) has a series of its own
        (
            [
                ("区委农办", DU, "2023-07-03"),
                ("区乡村振兴局", DU, "2023-07-03"),
                ("区委农办", DU, "2023-07-03"),
            ],
            ["巴南乡振督〔2023〕1号", "巴南乡振督〔2023〕1号", "巴南乡振督〔2023〕2号"],
        ),
    ],
)
def test_a_series_is_the_offices_and_the_years(
    example_engine: Engine, takes: list[tuple[str, str, str]], expected: list[str]
) -> None:
    with example_engine.begin() as conn:
        got = [take(conn, office, fmt, date.fromisoformat(day)) for office, fmt, day in takes]
    assert got == expected


def test_a_number_rolled_back_with_its_transaction_is_taken_again(example_engine: Engine) -> None:
    with example_engine.begin() as conn:
        assert take(conn, "区委农办", DU, date(2023, 7, 3)) == "巴南乡振督〔2023〕1号"
    with example_engine.connect() as conn:
        conn.begin()
        assert take(conn, "区委农办", DU, date(2023, 7, 7)) == "巴南乡振督〔2023〕2号"
        conn.rollback()  # the letter was not sent after all
    with example_engine.begin() as conn:
        assert take(conn, "区委农办", DU, date(2023, 7, 7)) == "巴南乡振督〔2023〕2号"


def test_an_earlier_versions_per_plan_series_continues_for_its_office(
    example_engine: Engine,
) -> None:
    with example_engine.begin() as conn:
        plan_id, office = conn.execute(select(T_PLAN.c.id, T_PLAN.c.office)).one()
        conn.execute(
            insert(T_SEQUENCE).values(plan_id=plan_id, series="巴南乡振督〔2023〕{n}号", last=7)
        )
        assert take(conn, office, DU, date(2023, 7, 3)) == "巴南乡振督〔2023〕8号"
        assert take(conn, office, DU, date(2024, 1, 2)) == "巴南乡振督〔2024〕1号"
        assert take(conn, "区委农办", DU, date(2023, 7, 3)) == "巴南乡振督〔2023〕1号"


def test_the_bulletin_takes_its_plans_office_series(example_engine: Engine) -> None:
    with example_engine.begin() as conn:
        plan_id = conn.execute(select(T_PLAN.c.id)).scalar_one()
        first = assign(conn, plan_id=plan_id, series="bulletin", day=date(2023, 7, 31))
        second = assign(conn, plan_id=plan_id, series="bulletin", day=date(2023, 8, 31))
        assert (first, second) == ("2023年第1期", "2023年第2期")
        assert assign(conn, plan_id=plan_id, series="催办", day=date(2023, 7, 3)) is None
