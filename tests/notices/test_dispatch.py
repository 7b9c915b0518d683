"""Dispatch end to end with a real SMTP server: what arrives, threading, retries, failures."""

from __future__ import annotations

import email.utils
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, func, select

from tests.helpers import PLANS, banan_live_from
from tests.smtp import SmtpServer
from workplan.channels.folder import FolderChannel
from workplan.channels.smtp import SmtpChannel, SmtpSettings
from workplan.cli.commands import cli
from workplan.notices.compose import plans
from workplan.notices.dispatch import DispatchSettings, dispatch
from workplan.notices.lease import claim
from workplan.notices.outbox import tick
from workplan.notices.record import pauses as channel_pauses
from workplan.notices.templates import Templates
from workplan.plan.validate import read_plan
from workplan.store import records
from workplan.store.db import open_store
from workplan.store.load import load
from workplan.store.tables import T_NOTICE

BANAN = PLANS / "banan-2023.yaml"
SHANGHAI = timedelta(hours=8)
LEASE = timedelta(minutes=5)


def local(day: str, hour: int = 9) -> datetime:
    """09:00 in Shanghai on a day, as an aware UTC instant."""
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00+08:00").astimezone(UTC)


@dataclass
class World:
    engine: Engine
    url: str
    clock: datetime

    def tick(self, day: str) -> int:
        with self.engine.begin() as conn:
            return len(tick(conn, date.fromisoformat(day), local(day)).added)

    def statuses(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(T_NOTICE.c.status)).scalars().all()
        return {s: rows.count(s) for s in sorted(set(rows))}


@pytest.fixture
def world(db_url: str, tmp_path: Path) -> Iterator[World]:
    engine = open_store(db_url, create=True)
    loaded = read_plan(banan_live_from(tmp_path))
    with engine.begin() as conn:
        load(
            conn,
            loaded.compiled,
            source_path=str(BANAN),
            source_text=loaded.text,
            now=local("2023-04-01"),
        )
        records.record_progress(
            conn,
            plan_key=None,
            task_ref="16",
            metric_key="central-disbursement",
            value=25.0,
            as_of=date(2023, 4, 20),
            department="区财政局",
            note=None,
            now=local("2023-04-20"),
        )
    yield World(engine, db_url, local("2023-04-26"))
    engine.dispose()


def send(world: World, channel: object, at: datetime, **settings: object) -> object:
    return dispatch(
        world.engine,
        [channel],  # type: ignore[list-item]
        Templates(None),
        now=lambda: at,
        owner="test",
        settings=DispatchSettings(**settings),  # type: ignore[arg-type]
    )


def smtp(server: SmtpServer) -> SmtpChannel:
    return SmtpChannel(SmtpSettings("127.0.0.1", server.port, "none", timeout=5))


def test_messages_arrive_whole_and_encoded(world: World, smtp_server: SmtpServer) -> None:
    world.tick("2023-04-26")
    result = send(world, smtp(smtp_server), local("2023-04-26"))
    assert result.sent == result.messages > 0  # type: ignore[attr-defined]
    assert set(world.statuses()) == {"sent"}
    by_to = {}
    for received in smtp_server.received:
        m = received.message
        by_to[m["To"].addresses[0].display_name] = m
        # headers: RFC 2047 encoded on the wire, decoded by any reader
        assert b"=?utf-8?" in received.data.split(b"\r\n\r\n", 1)[0]
        assert m["From"].addresses[0].display_name == "区委农办"
        assert m["Date"] and m["Message-ID"].startswith("<wp.")
        # the leadership's month report carries its full list (.xlsx): mixed
        attached = any(True for _ in m.iter_attachments())
        assert m.get_content_type() == ("multipart/mixed" if attached else "multipart/alternative")
        text, html = m.get_body(("plain",)), m.get_body(("html",))
        assert text is not None and html is not None
        assert text.get_content_charset() == html.get_content_charset() == "utf-8"
    # 区财政局's 提示函 (its digest and its 通报 of the day are letters of their own)
    [finance] = [
        r.message
        for r in smtp_server.received
        if r.message["To"].addresses[0].display_name == "区财政局"
        and "【提示函】" in str(r.message["Subject"])
    ]
    assert finance["Subject"].startswith("【")
    body = finance.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    # the digest explains itself: the item, the checkpoint, the values, the working days
    for expected in ("（十六）", "中央衔接资金支出进度", "30%", "25%", "2023年4月30日"):
        assert expected in body, expected
    assert finance["To"].addresses[0].addr_spec == "czj@example.org"


def test_escalations_thread_under_the_first_notice(world: World, smtp_server: SmtpServer) -> None:
    # 25% of 30% reported on time: a shortfall of a key metric (the funds' 序时进度): its 提示函,
    # 催办, then 督办 ten working days after the deadline
    for day in ("2023-04-26", "2023-05-04", "2023-05-09", "2023-05-16"):
        world.tick(day)
        send(world, smtp(smtp_server), local(day))
    messages = [r.message for r in smtp_server.received]
    lead = [m for m in messages if m["To"].addresses[0].display_name == "区乡村振兴局"]
    about = [m for m in lead if "中央衔接资金支出进度" in m.get_body(("plain",)).get_content()]  # type: ignore[union-attr]
    _first, *later = about
    assert later, "the 提示函, 催办 and 督办 follow the first warning"
    # each letter threads under the oldest conversation with the department about its items
    for m in later:
        earlier = [e["Message-ID"] for e in lead[: lead.index(m)]]
        assert m["In-Reply-To"] in earlier
        assert m["In-Reply-To"] in m["References"]
    # 督办 goes to the lead department and its head; the office gets a letter of its own (a
    # line for each 督办 of the day), not a copy of each department's
    escalation = later[-1]
    assert "督办" in escalation["Subject"]
    assert [a.addr_spec for a in escalation["To"].addresses] == [
        "xczxj@example.org",
        "xczxj-head@example.org",
    ]
    assert escalation["Cc"] is None
    office = [
        m
        for m in messages
        if m["To"].addresses[0].addr_spec == "qwnb@example.org"
        and "督办" in m["Subject"]
        and m["Date"] == escalation["Date"]
    ]
    assert len(office) == 1, "one 督办 letter to the office that day, whatever the number of items"
    office_text = office[0].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "责任单位：区乡村振兴局" in office_text


def test_421_then_250_is_delivered_exactly_once(world: World, smtp_server: SmtpServer) -> None:
    world.tick("2023-05-04")
    smtp_server.handler.replies = ["421 4.3.2 busy, try later"] * 1000
    first = send(world, smtp(smtp_server), local("2023-05-04"))
    assert first.retrying > 0 and first.sent == 0  # type: ignore[attr-defined]
    assert smtp_server.received == []
    smtp_server.handler.replies = []
    # before the backoff has passed nothing is retried
    assert send(world, smtp(smtp_server), local("2023-05-04")).messages == 0  # type: ignore[attr-defined]
    later = send(world, smtp(smtp_server), local("2023-05-04", 11))
    assert later.sent == first.retrying  # type: ignore[attr-defined]
    ids = [r.message["Message-ID"] for r in smtp_server.received]
    assert len(ids) == len(set(ids)) == first.messages  # type: ignore[attr-defined]
    assert set(world.statuses()) == {"sent"}


def test_550_fails_and_shows(world: World, smtp_server: SmtpServer) -> None:
    world.tick("2023-05-04")
    smtp_server.handler.replies = ["550 5.1.1 mailbox unavailable"] * 1000
    result = send(world, smtp(smtp_server), local("2023-05-04"))
    assert result.failed == result.messages > 0  # type: ignore[attr-defined]
    out = CliRunner().invoke(
        cli, ["notices", "--status", "failed", "--format", "json", "--db", world.url]
    )
    assert out.exit_code == 0, out.output
    assert '"status": "failed"' in out.stdout and "550 5.1.1 mailbox unavailable" in out.stdout
    status = CliRunner().invoke(cli, ["status", "--as-of", "2023-05-04", "--db", world.url])
    assert "发送失败" in status.stdout and "workplan notices --status 发送失败" in status.stdout


def _attempts_and_pause(world: World) -> tuple[set[int], list[dict[str, object]]]:
    with world.engine.connect() as conn:
        attempts = set(conn.execute(select(T_NOTICE.c.attempts)).scalars())
        return attempts, channel_pauses(conn)


def test_an_outage_longer_than_the_retries_loses_nothing(
    world: World, smtp_server: SmtpServer
) -> None:
    world.tick("2023-05-04")
    owed = sum(world.statuses().values())
    smtp_server.stop()
    for run in range(30):  # far past the 8 attempts of a message's own retries
        down = send(world, smtp(smtp_server), local("2023-05-04") + timedelta(minutes=2 * run))
        assert down.waiting == down.messages == 1 and down.failed == 0  # type: ignore[attr-defined]
        assert "Connection refused" in down.channel_error  # type: ignore[attr-defined]
    assert "failed" not in world.statuses() and "claimed" not in world.statuses()
    attempts, pauses = _attempts_and_pause(world)
    assert attempts == {0}  # waiting for the channel is no attempt of the message
    assert [p["channel"] for p in pauses] == ["smtp"] and "refused" in str(pauses[0]["reason"])
    smtp_server.start()
    back = send(world, smtp(smtp_server), local("2023-05-04", 11))
    assert back.sent == back.messages > 0  # type: ignore[attr-defined]
    assert world.statuses() == {"sent": owed}
    assert _attempts_and_pause(world)[1] == []  # the pause is over


def test_a_broken_template_pauses_and_loses_nothing(
    world: World, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    world.tick("2023-05-04")
    (tmp_path / "zh-CN").mkdir()
    # the 提示函 (the central funds' shortfall, 25% of 30%) goes out that morning
    (tmp_path / "zh-CN" / "warning.txt.j2").write_text("{{ m.no_such_field }}\n", encoding="utf-8")
    broken = dispatch(
        world.engine,
        [smtp(smtp_server)],
        Templates(tmp_path),
        now=lambda: local("2023-05-04"),
        owner="test",
    )
    assert broken.failed == 0 and broken.waiting >= 1
    assert "no_such_field" in str(broken.channel_error)
    assert "failed" not in world.statuses()
    fixed = send(world, smtp(smtp_server), local("2023-05-04", 10))
    assert fixed.failed == 0 and set(world.statuses()) == {"sent"}


class _Greeting554:
    """A server that answers every connection with a 554 greeting and hangs up."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            conn.sendall(b"554 5.7.1 no service for you\r\n")
            conn.close()


def test_a_554_greeting_and_a_refused_sender_are_the_channel(
    world: World, smtp_server: SmtpServer
) -> None:
    world.tick("2023-05-04")
    greeting = _Greeting554()
    result = send(
        world, SmtpChannel(SmtpSettings("127.0.0.1", greeting.port, "none")), local("2023-05-04")
    )
    greeting.sock.close()
    assert result.failed == 0 and "554" in str(result.channel_error)  # type: ignore[attr-defined]
    refused = send(world, smtp(smtp_server), local("2023-05-04", 10), sender="bad@@example.org")
    assert refused.failed == 0 and refused.waiting == 1  # type: ignore[attr-defined]
    assert "sender" in str(refused.channel_error)  # type: ignore[attr-defined]
    assert "failed" not in world.statuses() and not smtp_server.received


def test_no_mail_outside_sending_hours(world: World, smtp_server: SmtpServer) -> None:
    world.tick("2023-05-04")
    assert send(world, smtp(smtp_server), local("2023-05-04", 20)).messages == 0  # type: ignore[attr-defined]
    assert send(world, smtp(smtp_server), local("2023-05-06", 10)).messages > 0  # type: ignore[attr-defined]
    # 6 May 2023 was a Saturday made a working day: mail goes out


def test_the_outbox_folder_by_default(world: World, tmp_path: Path) -> None:
    world.tick("2023-05-04")
    result = send(world, FolderChannel(tmp_path / "outbox"), local("2023-05-04"))
    files = sorted((tmp_path / "outbox").glob("*.eml"))
    assert len(files) == result.sent > 0  # type: ignore[attr-defined]
    parsed = email.message_from_bytes(files[0].read_bytes())
    assert parsed["Message-ID"].strip("<>") + ".eml" == files[0].name


def test_dry_run_changes_nothing(world: World) -> None:
    world.tick("2023-05-04")
    before = world.statuses()
    out = CliRunner().invoke(cli, ["dispatch", "--dry-run", "--ignore-hours", "--db", world.url])
    assert out.exit_code == 0, out.output
    assert "would be written to ./outbox; nothing was sent or changed" in out.stdout
    assert "Subject: 【" in out.stdout
    assert world.statuses() == before


def test_a_letter_partly_locked_by_another_dispatcher_is_not_claimed_in_part(
    world: World,
) -> None:
    """Seen in the soak (two services, one PostgreSQL database): each dispatcher locked part
    of one letter (SKIP LOCKED) and both sent it, under the same Message-ID."""
    if not world.url.startswith("postgresql"):
        pytest.skip("row locks and SKIP LOCKED are PostgreSQL's")
    world.tick("2023-05-04")
    with world.engine.connect() as conn:
        letters = conn.execute(
            select(T_NOTICE.c.message_id, func.count(), func.min(T_NOTICE.c.id))
            .group_by(T_NOTICE.c.message_id)
            .having(func.count() > 1)
        ).all()
    assert letters
    mid, lines, first = letters[0]
    other = world.engine.connect()
    try:
        other.begin()
        # another dispatcher's claim, under way: it holds one line of the letter
        other.execute(select(T_NOTICE.c.id).where(T_NOTICE.c.id == first).with_for_update())
        with world.engine.begin() as conn:
            groups = claim(conn, local("2023-05-04"), "mine", plans(conn), lease=LEASE)
        assert mid not in {g.message_id for g in groups}
        assert groups  # the other letters are claimed
    finally:
        other.rollback()
        other.close()
    with world.engine.begin() as conn:
        again = claim(conn, local("2023-05-04"), "mine", plans(conn), lease=LEASE)
    [whole] = [g for g in again if g.message_id == mid]
    assert len(whole.rows) == lines


def _lengthen(world: World, lines: int) -> str:
    """Make the day's longest letter ``lines`` notices long (copies of its first line, as a
    leadership's 通报 of a 40-department plan carries hundreds); return its Message-ID."""
    with world.engine.begin() as conn:
        mid = conn.execute(
            select(T_NOTICE.c.message_id).group_by(T_NOTICE.c.message_id)
            .order_by(func.count().desc()).limit(1)
        ).scalar_one()  # fmt: skip
        rows = conn.execute(select(T_NOTICE).where(T_NOTICE.c.message_id == mid)).mappings().all()
        first, have = dict(rows[0]), len(rows)
        copies = [
            {**first, "id": None, "key": f"{first['key']}#copy{n}"} for n in range(lines - have)
        ]
        for row in copies:
            del row["id"]
        conn.execute(T_NOTICE.insert(), copies)
    return str(mid)


def test_a_1000_notice_letter_is_sent_whole(world: World, smtp_server: SmtpServer) -> None:
    """Issue 27.1: a letter's notice ids on one unfolded header passed RFC 5322's 998 octets at
    ~200 notices; the server answered `500 Line too long` and every notice failed for good."""
    world.tick("2023-05-04")
    mid = _lengthen(world, 1000)
    result = send(world, smtp(smtp_server), local("2023-05-04"))
    assert result.failed == 0 and result.sent == result.messages  # type: ignore[attr-defined]
    assert set(world.statuses()) == {"sent"}
    [letter] = [r for r in smtp_server.received if r.message["Message-ID"] == mid]
    head = letter.data.split(b"\r\n\r\n", 1)[0]
    assert max(len(line) for line in head.split(b"\r\n")) <= 78, head.decode()
    with world.engine.connect() as conn:
        ids = conn.execute(
            select(T_NOTICE.c.id).where(T_NOTICE.c.message_id == mid).order_by(T_NOTICE.c.id)
        ).scalars().all()  # fmt: skip
    assert len(ids) == 1000
    carried = letter.message["X-Workplan-Notices"].split()
    assert sorted(int(n) for n in carried) == ids
    body = letter.message.get_body(("plain",))
    assert body is not None and body.get_content().count("\n") > 1000


def test_a_refusal_of_the_letter_itself_alerts_the_office(
    world: World, smtp_server: SmtpServer
) -> None:
    """Issue 27.1: a permanent refusal of the bytes workplan built (a reply to the message's
    data) is workplan's fault: the office is told, the department is not blamed."""
    world.tick("2023-05-04")
    smtp_server.handler.replies = ["500 Line too long"]
    result = send(world, smtp(smtp_server), local("2023-05-04"))
    assert result.failed >= 1  # type: ignore[attr-defined]
    assert result.refused_bytes  # type: ignore[attr-defined]
    with world.engine.connect() as conn:
        errors = conn.execute(
            select(T_NOTICE.c.error).where(T_NOTICE.c.status == "failed")
        ).scalars().all()  # fmt: skip
    assert errors and all("workplan" in e and "500 Line too long" in e for e in errors)
