"""The record of each month (issue 25): once closed, a month is never rewritten by later
reports; an item whose lapse was made up turns yellow in the months after, never green."""

from __future__ import annotations

import shutil
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from tests.helpers import PLANS, run
from workplan.reports.months import close_month, month_rows
from workplan.store import refs
from workplan.store.db import open_store
from workplan.store.snapshot import read_tasks
from workplan.store.tables import T_MONTH

FIVE = "（五）"  # 驻村干部在村时间占比: a checkpoint of 66.67% at each month's end


def _colour(db: str, month: str, item: str = FIVE) -> str:
    out = run("status", "--month", month, "--db", db).output
    return next(line.split()[2] for line in out.splitlines() if line.startswith(item))


def test_a_later_report_never_rewrites_a_closed_month(db_url: str, tmp_path: Path) -> None:
    run("load", str(PLANS / "banan-2023.yaml"), "--db", db_url)
    # July 3rd: June is closed with nothing reported for （五）: red
    assert run("month", "close", "2023-06", "--today", "2023-07-03", "--db", db_url).output == (
        "已封存 2023-06：截至2023-06-30，共44行\n"
    )
    assert _colour(db_url, "2023-06") == "红"
    engine = open_store(db_url)
    with engine.connect() as conn:
        kept = conn.execute(select(T_MONTH).order_by(T_MONTH.c.task_id, T_MONTH.c.subject)).all()
    # in August the department reports June's figure, dated back to 28 June
    run(
        "progress",
        "record",
        "5",
        "in-village-time",
        "--value",
        "70",
        "--as-of",
        "2023-06-28",
        "--by",
        "区委组织部",
        "--db",
        db_url,
    )
    # today's facts would no longer colour June red (May's checkpoint made up on 28 June: yellow);
    # the record is what keeps it red
    with engine.connect() as conn:
        plan = refs.find_plan(conn, None)
        fresh = month_rows(conn, plan, date(2023, 6, 1))[1]
        task_five = next(t.id for t in read_tasks(conn, plan).values() if t.number == 5)
    assert next(r for r in kept if r.task_id == task_five and r.subject == "").colour == "red"
    assert next(r for r in fresh if r.task_id == task_five and r.subject == "").colour == "yellow"
    out = run("month", "close", "2023-06", "--today", "2023-08-10", "--db", db_url).output
    assert out == "2023-06此前已封存：未重写\n"
    with engine.connect() as conn:
        again = conn.execute(select(T_MONTH).order_by(T_MONTH.c.task_id, T_MONTH.c.subject)).all()
        assert conn.execute(select(func.count()).select_from(T_MONTH)).scalar_one() == len(kept)
    engine.dispose()
    assert again == kept
    assert _colour(db_url, "2023-06") == "红"
    # the months after: made up, so yellow, never green
    for month in ("2023-07", "2023-08"):
        run("month", "close", month, "--today", "2023-09-01", "--db", db_url)
        assert _colour(db_url, month) == "黄"


def test_a_month_not_closed_is_computed_and_said_so(tmp_path: Path) -> None:
    db = str(tmp_path / "w.db")
    shutil.copy(PLANS / "banan-departments.yaml", tmp_path)
    run("--lang", "en", "load", str(PLANS / "banan-2023.yaml"), "--db", db)
    out = run("--lang", "en", "status", "--month", "2023年6月", "--db", db).output
    assert "2023年6月末（未存档：按现有数据计算）" in out.splitlines()[0]
    refused = run(
        "--lang", "en", "month", "close", "2023-07", "--today", "2023-07-31", "--db", db, code=2
    )
    assert "2023-07 has not ended yet" in refused.output


def test_the_service_closes_a_month_on_the_first_working_day_after(
    db_url: str, tmp_path: Path
) -> None:
    from zoneinfo import ZoneInfo

    from workplan.channels.config import DeliverySettings
    from workplan.notices.templates import Templates
    from workplan.service import Service

    run("load", str(PLANS / "banan-2023.yaml"), "--db", db_url)
    engine = open_store(db_url)

    def morning(day: date) -> None:
        now = datetime(day.year, day.month, day.day, 9, tzinfo=ZoneInfo("Asia/Shanghai"))
        service = Service(
            engine, DeliverySettings(None, tmp_path), Templates(None), owner="t", now=lambda: now
        )
        service.evaluate(day, service.plans())

    def months() -> list[str]:
        with engine.connect() as conn:
            return [
                m
                for (m,) in conn.execute(
                    select(T_MONTH.c.month).distinct().order_by(T_MONTH.c.month)
                )
            ]

    morning(date(2023, 6, 30))  # the first evaluation after May: May is kept
    assert months() == ["2023-05"]
    morning(date(2023, 7, 1))  # a Saturday: no evaluation, June not closed yet
    assert months() == ["2023-05"]
    morning(date(2023, 7, 3))  # Monday, the first working day of July
    assert months() == ["2023-05", "2023-06"]
    morning(date(2023, 7, 4))
    assert months() == ["2023-05", "2023-06"]
    engine.dispose()


def test_two_processes_closing_a_month_at_once_write_it_once(db_url: str) -> None:
    """Two services' mornings (or the service and `workplan month close`) close June together:
    the second waits for the first's rows and gives way to them, never failing its run (the
    soak's first working day of January failed so, two processes on one PostgreSQL database)."""
    if db_url.startswith("sqlite"):
        pytest.skip("two writers at once need PostgreSQL: SQLite lets one write at a time")
    run("load", str(PLANS / "banan-2023.yaml"), "--db", db_url)
    engine = open_store(db_url)
    now = datetime(2023, 7, 3, 1, 0, tzinfo=UTC)
    with engine.connect() as conn:
        plan = refs.find_plan(conn, None)
    june = date(2023, 6, 1)
    with engine.connect() as first:
        assert close_month(first, plan, june, date(2023, 7, 3), now).written == 44
        second: list[int | BaseException] = []
        pids: list[int] = []

        def close_too() -> None:
            try:
                with engine.begin() as conn:
                    pids.append(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())
                    second.append(close_month(conn, plan, june, date(2023, 7, 3), now).written)
            except Exception as error:  # the failure this test is about
                second.append(error)

        racer = threading.Thread(target=close_too)
        racer.start()
        # the second has counted no rows (the first's are not committed) and waits on the index
        waiting = text("SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = :pid")
        deadline = (
            time.monotonic() + 300
        )  # the second first reads the month: slow on a busy machine
        with engine.connect() as watch:
            while not (pids and watch.execute(waiting, {"pid": pids[0]}).scalar()):
                if second or time.monotonic() > deadline:
                    pytest.fail(f"the second close never waited for the first: {second}")
                time.sleep(0.01)
        first.commit()
        racer.join(60)
    assert second == [0]
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(T_MONTH)).scalar_one() == 44
    engine.dispose()
