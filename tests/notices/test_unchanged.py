"""A repeated tick skips the plans whose facts did not change since their last evaluation of
the day, and every way of writing a fact makes the next tick evaluate the plan again."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, select, update

from tests.helpers import PLANS
from tests.smtp import SmtpServer
from workplan.channels.smtp import SmtpChannel, SmtpSettings
from workplan.notices import record
from workplan.notices.dispatch import DispatchSettings, dispatch
from workplan.notices.lease import reap, release
from workplan.notices.outbox import TickResult, already_evaluated, tick
from workplan.notices.templates import Templates
from workplan.plan.validate import read_plan
from workplan.store import ledger, records, refs
from workplan.store.db import open_store, read_only
from workplan.store.load import load
from workplan.store.tables import T_NOTICE

DAY = date(2023, 4, 21)  # the example's April dispatch (due the 25th) owes two reminders
MORNING = datetime(2023, 4, 21, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
CO = "区财政局"
OFFICE = "区乡村振兴局"


@dataclass
class World:
    engine: Engine
    tmp: Path

    def tick(self, day: date = DAY, *, plan_ids: list[int] | None = None) -> TickResult:
        with self.engine.begin() as conn:
            return tick(conn, day, MORNING, plan_ids=plan_ids)

    def write(self, action: Callable[[Connection], object]) -> None:
        with self.engine.begin() as conn:
            action(conn)

    def statuses(self) -> list[str]:
        with self.engine.connect() as conn:
            return list(conn.execute(select(T_NOTICE.c.status).order_by(T_NOTICE.c.id)).scalars())


def _load(conn: Connection, path: Path) -> None:
    loaded = read_plan(path)
    load(conn, loaded.compiled, source_path=str(path), source_text=loaded.text, now=MORNING)


@pytest.fixture
def world(db_url: str, tmp_path: Path) -> Iterator[World]:
    engine = open_store(db_url, create=True)
    with engine.begin() as conn:
        _load(conn, PLANS / "example.yaml")
        # January to March done, the metric on pace: only April's dispatch owes notices
        for month in (1, 2, 3):
            records.mark_done(
                conn,
                plan_key=None,
                ref=f"1/dispatch@2023-0{month}",
                department=CO,
                on=date(2023, month, 20),
                note=None,
            )
        _report(conn, 30.0, date(2023, 4, 20))
    yield World(engine, tmp_path)
    engine.dispose()


def test_a_repeated_tick_skips_a_plan_that_did_not_change(world: World) -> None:
    first = world.tick()
    assert (first.plans, first.unchanged, len(first.added), first.owed) == (1, 0, 2, 2)
    again = world.tick()
    # nothing evaluated, and the same notices reported owed (as the CLI prints them)
    assert (again.plans, again.unchanged, again.added, again.owed) == (1 - 1, 1, [], 2)
    # another day is evaluated afresh
    assert world.tick(DAY + timedelta(days=3)).plans == 1


def _answered(
    world: World, day: date = DAY, plan_ids: list[int] | None = None
) -> TickResult | None:
    with world.engine.connect() as conn, read_only(conn):
        return already_evaluated(conn, day, plan_ids)


def test_a_day_evaluated_already_is_answered_by_one_read(world: World) -> None:
    assert _answered(world) is None  # never evaluated: the tick must run
    first = world.tick()
    # the answer `workplan tick` gives a repeated tick, without a transaction: what the
    # tick itself would say
    answer = _answered(world)
    assert answer == world.tick() == TickResult(DAY, owed=first.owed, unchanged=1)
    with world.engine.connect() as conn:
        plan_id = refs.all_plans(conn, None)[0].id
    assert _answered(world, plan_ids=[plan_id]) == answer
    assert _answered(world, DAY + timedelta(days=3)) is None  # another day: not evaluated
    world.write(_progress)
    assert _answered(world) is None  # a fact changed: the tick must run again
    world.tick()
    assert _answered(world) == TickResult(DAY, owed=first.owed, unchanged=1)


def _report(conn: Connection, value: float, day: date, *, correct: bool = False) -> None:
    records.record_progress(
        conn,
        plan_key=None,
        task_ref="1",
        metric_key=None,
        value=value,
        as_of=day,
        department=CO,
        note=None,
        now=MORNING,
        correct=correct,
    )


def _progress(conn: Connection) -> None:
    _report(conn, 32.0, DAY)


def _correction(conn: Connection) -> None:
    _report(conn, 31.0, date(2023, 4, 20), correct=True)


def _note(conn: Connection) -> None:
    records.record_progress(
        conn,
        plan_key=None,
        task_ref="1",
        metric_key=None,
        value=None,
        as_of=date(2023, 4, 20),
        department=CO,
        note="资金拨付进度说明",
        now=MORNING,
    )


def _done(conn: Connection) -> None:
    records.mark_done(
        conn, plan_key=None, ref="1/dispatch@2023-04", department=CO, on=DAY, note=None
    )


def _extend(conn: Connection) -> None:
    records.extend(
        conn,
        plan_key=None,
        ref="1/dispatch@2023-04",
        to=date(2023, 5, 12),
        by=OFFICE,
        reason="延期",
        now=MORNING,
    )


def _signoff(conn: Connection) -> None:
    records.signoff(
        conn,
        plan_key=None,
        task_ref="1",
        by=OFFICE,
        note=None,
        force=True,
        as_of=DAY,
        now=MORNING,
    )


WRITERS = {
    "a value reported": _progress,
    "a note": _note,
    "a duty done": _done,
    "an extension": _extend,
    "a sign-off": _signoff,
}


@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_each_record_makes_the_next_tick_evaluate_again(world: World, writer: str) -> None:
    world.tick()
    assert world.tick().unchanged == 1
    world.write(WRITERS[writer])
    again = world.tick()
    assert (again.plans, again.unchanged) == (1, 0)
    assert world.tick().unchanged == 1  # and then it rests again


def test_a_correction_makes_the_next_tick_evaluate_again(world: World) -> None:
    world.tick()
    assert world.tick().unchanged == 1
    world.write(_correction)
    assert world.tick().plans == 1


def test_a_duty_done_between_ticks_supersedes_its_reminders_the_same_day(world: World) -> None:
    world.tick()
    assert world.statuses() == ["pending", "pending"]
    world.write(_done)
    again = world.tick()
    assert (again.owed, again.superseded) == (0, 2)
    assert world.statuses() == ["superseded", "superseded"]


def test_a_ledger_import_makes_the_next_tick_evaluate_again(world: World) -> None:
    world.tick()
    sheet = world.tmp / "台账.csv"
    sheet.write_text(
        "事项,任务,日期,报送单位\n1,dispatch@2023-04,2023-04-21,区财政局\n", encoding="utf-8"
    )
    world.write(lambda conn: ledger.import_ledger(conn, sheet, plan_key=None, now=MORNING))
    again = world.tick()
    assert (again.plans, again.owed, again.superseded) == (1, 0, 2)


def test_a_plan_loaded_again_with_changes_is_evaluated_again(world: World) -> None:
    world.tick()
    text = (PLANS / "example.yaml").read_text(encoding="utf-8")
    changed = world.tmp / "example.yaml"
    changed.write_text(text.replace("day: 25 ", "day: 24 "), encoding="utf-8")
    assert changed.read_text(encoding="utf-8") != text
    world.write(lambda conn: _load(conn, changed))
    assert world.tick().plans == 1


def test_only_the_plans_that_changed_are_evaluated_and_the_others_keep_their_notices(
    world: World,
) -> None:
    second = world.tmp / "other.yaml"
    text = (PLANS / "example.yaml").read_text(encoding="utf-8")
    second.write_text(text.replace("id: example-2023", "id: other-2023"), encoding="utf-8")
    world.write(lambda conn: _load(conn, second))
    first = world.tick()
    # the other plan starts late with nothing sent: its two overdue items open with 催办 to
    # their two owners, not 通报 to them and the leadership (the ladder climbs by letters
    # sent): 4 + 2 reminders + the list of what fell due before it (was 6 + 2 + 1)
    assert (first.plans, len(first.added), first.owed) == (2, 2 + 7, 2 + 7)
    # the first plan's duty is done: its reminders go; the other plan is not evaluated, and
    # its waiting notices are not taken for unowed
    world.write(
        lambda conn: records.mark_done(
            conn,
            plan_key="example-2023",
            ref="1/dispatch@2023-04",
            department=CO,
            on=DAY,
            note=None,
        )
    )
    again = world.tick()
    assert (again.plans, again.unchanged, again.owed, again.superseded) == (1, 1, 7, 2)
    assert world.statuses().count("pending") == 7


def smtp(server: SmtpServer) -> SmtpChannel:
    return SmtpChannel(SmtpSettings("127.0.0.1", server.port, "none", timeout=5))


def _send(world: World, server: SmtpServer) -> None:
    result = dispatch(
        world.engine,
        [smtp(server)],
        Templates(None),
        now=lambda: MORNING,
        owner="test",
        settings=DispatchSettings(),
    )
    assert result.sent == 2, result


def test_notices_sent_make_the_next_tick_evaluate_again(
    world: World, smtp_server: SmtpServer
) -> None:
    world.tick()
    _send(world, smtp_server)
    assert len(smtp_server.received) == 2  # a letter to each department
    assert world.tick().plans == 1
    assert world.statuses() == ["sent", "sent"]


def test_notices_failed_and_resent_make_the_next_tick_evaluate_again(
    world: World, smtp_server: SmtpServer
) -> None:
    world.tick()
    smtp_server.handler.replies = 2 * ["550 no such mailbox"]
    dispatch(
        world.engine,
        [smtp(smtp_server)],
        Templates(None),
        now=lambda: MORNING,
        owner="test",
        settings=DispatchSettings(),
    )
    assert world.statuses() == ["failed", "failed"]
    assert world.tick().plans == 1
    assert world.tick().unchanged == 1
    with world.engine.begin() as conn:
        assert record.resend(conn, refs.find_plan(conn, None)) == 2
    assert world.tick().plans == 1


def _claim_for(conn: Connection, owner: str, expires: datetime, handed: datetime | None) -> None:
    conn.execute(
        update(T_NOTICE).values(
            status="claimed", claimed_by=owner, claim_expires=expires, handed_at=handed
        )
    )


@pytest.mark.parametrize("how", ["reaped", "released"])
def test_claims_given_back_make_the_next_tick_evaluate_again(world: World, how: str) -> None:
    world.tick()
    # a dispatcher holds the notices (written as a claim would: claiming is no fact change)
    world.write(lambda conn: _claim_for(conn, "gone", MORNING - timedelta(hours=1), None))
    assert world.tick().unchanged == 1
    with world.engine.begin() as conn:
        freed = reap(conn, MORNING) if how == "reaped" else release(conn, "gone", MORNING)
    assert freed == 2
    assert world.statuses() == ["retrying", "retrying"]
    assert world.tick().plans == 1
