"""A paused channel alerts the office once a day through another channel that works: a real
aiosmtpd refusing the login (535) or down, the robots' contract servers, the outbox folder."""

from __future__ import annotations

import email
import email.policy
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import func, select

from tests.helpers import run
from tests.robots import RobotServer, write_plan
from tests.smtp import SmtpServer
from workplan.channels.config import load_settings
from workplan.notices.alert import Office, alert_paused, render
from workplan.notices.pauses import Pause
from workplan.store.db import open_store
from workplan.store.tables import T_ALERT, T_NOTICE

OFFICE_ROBOT = "农办群"


@pytest.fixture
def robot() -> Iterator[RobotServer]:
    server = RobotServer("wecom").start()
    yield server
    server.stop()


@pytest.fixture
def db(db_url: str, tmp_path: Path) -> str:
    """The Banan plan with the office (区委农办) and every department in one group robot."""
    run("load", str(write_plan(tmp_path, [OFFICE_ROBOT])), "--db", db_url)
    run("tick", "--as-of", "2023-11-01", "--db", db_url)
    return db_url


def config(path: Path, smtp_port: int, robot: RobotServer | None, *lines: str) -> Path:
    text = [
        "[smtp]",
        'host = "127.0.0.1"',
        f"port = {smtp_port}",
        'security = "none"',
        'user = "office"',
        'password = "wrong"',
        "allow_plaintext_auth = true",
        *lines,
    ]
    if robot is not None:
        text += [f'[robots."{OFFICE_ROBOT}"]', 'kind = "wecom"', f'url = "{robot.url}"']
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    path.chmod(0o600)
    return path


def dispatch(db: str, settings: Path, day: str = "2023-11-01", *more: str, code: int = 1) -> Result:
    return run(
        "--lang",
        "en",
        "dispatch",
        "--now",
        f"{day}T10:00",
        "--config",
        str(settings),
        "--db",
        db,
        *more,
        code=code,
    )


def owed(db: str) -> int:
    engine = open_store(db)
    with engine.connect() as conn:
        count = conn.execute(
            select(func.count()).where(T_NOTICE.c.status.in_(("pending", "retrying")))
        ).scalar_one()
    engine.dispose()
    return int(count)


def test_a_refused_login_alerts_the_office_robot_once_a_day(
    db: str, tmp_path: Path, robot: RobotServer
) -> None:
    server = SmtpServer(password="right")
    server.start()
    try:
        settings = config(tmp_path / "delivery.toml", server.port, robot)
        first = dispatch(db, settings)
        assert f"told 区委农办 that the smtp channel is paused, via robot {OFFICE_ROBOT}" in (
            first.output
        )
        (alert,) = robot.accepted
        assert "【通知暂停】邮件（SMTP）通道不可用" in alert.text
        assert "535" in alert.text and "起暂停" in alert.text
        assert f"有 {owed(db)} 条通知等待发送" in alert.text
        assert "`workplan notices resend`" in alert.text and "`workplan status`" in alert.text
        for _ in range(2):  # the same day: the log line, no second alert
            again = dispatch(db, settings)
            assert "told" not in again.output and "login refused: 535" in again.output
        assert len(robot.accepted) == 1
        dispatch(db, settings, "2023-11-02")  # the next day: one more
        assert len(robot.accepted) == 2
    finally:
        server.stop()


def test_with_no_office_robot_the_alert_goes_to_the_outbox_folder(db: str, tmp_path: Path) -> None:
    server = SmtpServer()  # not started: the connection is refused
    folder = tmp_path / "alerts"
    settings = config(
        tmp_path / "delivery.toml", server.port, None, "[outbox]", f'dir = "{folder}"'
    )
    first = dispatch(db, settings)
    assert "via outbox folder" in first.output
    (file,) = folder.glob("*.eml")
    message = email.message_from_bytes(file.read_bytes(), policy=email.policy.default)
    assert message["To"] == "区委农办 <qwnb@example.org>"
    assert message["Subject"].startswith("【通知暂停】邮件（SMTP）通道不可用")
    body = message.get_body(("plain",))
    assert body is not None and "Connection refused" in body.get_content()
    file.unlink()
    assert "told" not in dispatch(db, settings).output
    assert list(folder.glob("*.eml")) == []


def test_when_no_other_channel_works_the_log_says_no_alert_was_sent(
    db: str, tmp_path: Path, robot: RobotServer
) -> None:
    server = SmtpServer()  # not started
    robot.stop()  # the office's robot is unreachable too
    settings = config(tmp_path / "delivery.toml", server.port, robot)
    out = dispatch(db, settings).output
    assert "no alert could be sent to 区委农办 that the smtp channel is paused" in out
    assert f"robot {OFFICE_ROBOT}: cannot reach the robot" in out
    engine = open_store(db)
    with engine.connect() as conn:  # not recorded: the next run tries again
        assert conn.execute(select(func.count()).select_from(T_ALERT)).scalar_one() == 0
    engine.dispose()
    plain = config(tmp_path / "plain.toml", server.port, None)
    assert "no other channel reaches the office" in dispatch(db, plain).output


def test_several_services_at_once_send_one_alert(
    db: str, tmp_path: Path, robot: RobotServer
) -> None:
    server = SmtpServer()  # not started
    settings = config(tmp_path / "delivery.toml", server.port, robot)
    dispatch(db, settings, "2023-11-01")  # pauses the channel and alerts once
    robot.accepted.clear()
    engine = open_store(db)
    with engine.begin() as conn:
        conn.execute(T_ALERT.delete())  # a new day, as far as the alerts know
    engine.dispose()
    delivery = load_settings(settings, env={})
    at = datetime(2023, 11, 1, 2, tzinfo=UTC)
    start = threading.Barrier(4)
    lines: list[list[str]] = []

    def service() -> None:
        mine = open_store(db)
        start.wait()
        lines.append(alert_paused(mine, ["smtp"], delivery, now=lambda: at, wall=lambda: at))
        mine.dispose()

    threads = [threading.Thread(target=service) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(robot.accepted) == 1
    assert sorted(len(found) for found in lines) == [0, 0, 0, 1]


def test_the_alert_speaks_the_plan_language() -> None:
    office = Office(1, "Annual plan", "en", "Europe/London", "Office", ("o@example.org",), ())
    since = datetime(2024, 3, 1, 8, 5, tzinfo=UTC)
    alert = render(Pause("smtp", since, "login refused: 535 bad"), office, 7, "robot Team")
    assert alert.subject == "[Notices paused] the e-mail (SMTP) channel is down: 7 notices wait"
    assert "paused since 2024-03-01 08:05 (Europe/London)" in alert.text
    assert "Why: login refused: 535 bad" in alert.text and "sent via robot Team" in alert.text
    assert "`workplan notices resend`" in alert.text


def test_a_robot_refusing_its_settings_alerts_the_office_by_email(
    db: str, tmp_path: Path, smtp_server: SmtpServer
) -> None:
    robot = RobotServer("dingtalk", secret="SECright0123456789").start()
    try:
        settings = tmp_path / "delivery.toml"
        settings.write_text(
            "\n".join(
                [
                    "[smtp]",
                    'host = "127.0.0.1"',
                    f"port = {smtp_server.port}",
                    'security = "none"',
                    f'[robots."{OFFICE_ROBOT}"]',
                    'kind = "dingtalk"',
                    f'url = "{robot.url}"',
                    'secret = "SECwrong"',
                ]
            ),
            encoding="utf-8",
        )
        settings.chmod(0o600)
        out = run(
            "--lang",
            "en",
            "dispatch",
            "--now",
            "2023-11-01T10:00",
            "--config",
            str(settings),
            "--db",
            db,
        ).output
        assert f"told 区委农办 that the robot {OFFICE_ROBOT} channel is paused, via smtp" in out
        assert len(robot.refused) == 1 and not robot.accepted
        alerts = [r.message for r in smtp_server.received if "通知暂停" in r.message["Subject"]]
        (alert,) = alerts
        assert alert["To"] == "区委农办 <qwnb@example.org>"
        assert alert["Subject"].startswith(f"【通知暂停】群机器人“{OFFICE_ROBOT}”不可用")
        body = alert.get_body(("plain",))
        assert body is not None
        text = body.get_content()
        assert "310000" in text and f"[robots.{OFFICE_ROBOT}]" in text and "邮件照常发送" in text
        status = run("--lang", "en", "status", "--as-of", "2023-11-01", "--db", db).output
        assert f"the robot {OFFICE_ROBOT} channel is paused since" in status
        assert "the e-mail still goes" in status
    finally:
        robot.stop()


def test_a_letter_refused_as_workplan_built_it_alerts_the_office_not_the_department(
    db: str, tmp_path: Path, robot: RobotServer
) -> None:
    """Issue 27.1: a permanent refusal of a message's own bytes (`500 Line too long` to its
    data) is workplan's fault: the office is told by e-mail, once a day; the failed notices
    say so rather than blaming the department."""
    server = SmtpServer()
    server.handler.replies = ["500 Line too long"]
    server.start()
    try:
        path = tmp_path / "delivery.toml"
        text = f'[smtp]\nhost = "127.0.0.1"\nport = {server.port}\nsecurity = "none"\n'
        path.write_text(text, encoding="utf-8")
        first = dispatch(db, path, "2023-11-01", code=0)
        assert "told 区委农办 that the mail server refused letters as workplan built them" in (
            first.output
        )
        [alert] = [r.message for r in server.received if "函件被拒收" in str(r.message["Subject"])]
        assert alert["Subject"] == "【函件被拒收】邮件服务器拒收了 workplan 生成的 1 封函件"
        words = alert.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert "500 Line too long" in words and "不是各部门的责任" in words
        assert [a.addr_spec for a in alert["To"].addresses] == ["qwnb@example.org"]
        server.handler.replies = ["500 Line too long"]
        assert "queued again" in run("--lang", "en", "notices", "resend", "--db", db).output
        again = dispatch(db, path, "2023-11-01", "--ignore-hours", code=0)
        assert "1 failed" in again.output and "told" not in again.output
        assert sum("函件被拒收" in str(r.message["Subject"]) for r in server.received) == 1
    finally:
        server.stop()
    engine = open_store(db)
    with engine.connect() as conn:
        errors = conn.execute(
            select(T_NOTICE.c.error).where(T_NOTICE.c.status == "failed")
        ).scalars().all()  # fmt: skip
    engine.dispose()
    assert errors and all(e.startswith("workplan's fault, not ") for e in errors)
