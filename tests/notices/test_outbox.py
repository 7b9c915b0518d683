"""The outbox: what a tick stores, and what happens to notices no longer owed."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, select

from workplan.notices.outbox import tick
from workplan.store import records
from workplan.store.tables import T_NOTICE

NOW = datetime(2023, 4, 26, 0, 30, tzinfo=UTC)


@pytest.fixture
def engine(example_engine: Engine) -> Engine:
    with example_engine.begin() as conn:
        # everything before April reported, and the metric on pace and at its April
        # checkpoint, so that only the April dispatch is owed notices
        for month in (1, 2, 3):
            records.mark_done(
                conn,
                plan_key=None,
                ref=f"1/dispatch@2023-0{month}",
                department="区财政局",
                on=date(2023, month, 20),
                note=None,
            )
        records.record_progress(
            conn,
            plan_key=None,
            task_ref="1",
            metric_key=None,
            value=30.0,
            as_of=date(2023, 4, 20),
            department="区财政局",
            note=None,
            now=NOW,
        )
    return example_engine


def notices(engine: Engine) -> list[tuple[str, str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(T_NOTICE.c.key, T_NOTICE.c.status, T_NOTICE.c.level_name).order_by(T_NOTICE.c.id)
        )
        return [(r.key.split("|", 1)[1], r.status, r.level_name) for r in rows]


def tick_on(engine: Engine, day: str) -> int:
    with engine.begin() as conn:
        return len(tick(conn, date.fromisoformat(day), NOW).added)


def test_a_tick_stores_what_is_owed_as_pending(engine: Engine) -> None:
    # the dispatch is due Tuesday 25 April; three working days before it is Friday 21 April,
    # because Sunday 23 April 2023 was a working day (swapped for May Day)
    assert tick_on(engine, "2023-04-20") == 0
    assert tick_on(engine, "2023-04-21") == 2
    assert notices(engine) == [
        ("remind|3|2023-04-25|区乡村振兴局", "pending", "提醒"),
        ("remind|3|2023-04-25|区财政局", "pending", "提醒"),
    ]
    assert tick_on(engine, "2023-04-21") == 0  # idempotent


def test_a_higher_stage_supersedes_what_was_not_sent(engine: Engine) -> None:
    tick_on(engine, "2023-04-21")
    # on the last working day before, the 1-day reminder is owed; the 3-day one never went out
    assert tick_on(engine, "2023-04-24") == 2
    assert [(k, s) for k, s, _ in notices(engine)] == [
        ("remind|3|2023-04-25|区乡村振兴局", "superseded"),
        ("remind|3|2023-04-25|区财政局", "superseded"),
        ("remind|1|2023-04-25|区乡村振兴局", "pending"),
        ("remind|1|2023-04-25|区财政局", "pending"),
    ]


def test_work_done_closes_what_waits(engine: Engine) -> None:
    tick_on(engine, "2023-04-24")
    with engine.begin() as conn:
        records.mark_done(
            conn,
            plan_key=None,
            ref="1/dispatch@2023-04",
            department="区财政局",
            on=date(2023, 4, 24),
            note=None,
        )
    assert tick_on(engine, "2023-04-24") == 0
    assert {s for _, s, _ in notices(engine)} == {"superseded"}


def test_sent_notices_stay_sent(engine: Engine) -> None:
    tick_on(engine, "2023-04-21")
    with engine.begin() as conn:
        conn.execute(T_NOTICE.update().values(status="sent"))
    tick_on(engine, "2023-04-24")
    statuses = [s for _, s, _ in notices(engine)]
    assert statuses == ["sent", "sent", "pending", "pending"]
