"""Honest delivery words (issue 26, item 5): a letter written to the outbox folder is 已写入,
not 已发送, in the record and in the summaries; a dry run names the channel and says why
nothing would go now ("非发送时段：下一次 08:00")."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import PLANS, run
from tests.smtp import SmtpServer

AS_OF = "2023-11-01"  # a Wednesday


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "workplan.db")
    run("load", str(PLANS / "banan-2023.yaml"), "--db", path)
    run("tick", "--as-of", AS_OF, "--db", path)
    return path


def test_a_folder_delivery_is_written_not_sent(db: str, tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    said = run(
        "--lang", "en", "dispatch", "--ignore-hours", "--outbox", str(outbox), "--db", db
    ).output
    assert " written, 0 to retry, 0 failed" in said and " sent," not in said, said
    listed = run("notices", "--limit", "3", "--db", db).output
    assert "已写入" in listed and "已发送" not in listed, listed
    assert (
        run("--lang", "en", "notices", "--status", "已发送", "--db", db).output.count("\n") == 3
    )  # none
    written = run(
        "--lang", "en", "notices", "--status", "written", "--format", "json", "--db", db
    ).output
    assert {row["status"] for row in json.loads(written)} == {"written"}
    counts = json.loads(
        run("--lang", "en", "status", "--as-of", AS_OF, "--format", "json", "--db", db).output
    )
    assert set(counts["notices"]) == {"written"}
    # once a mail server is set up, what was only written can go to the inboxes
    assert (
        "queued again"
        in run("--lang", "en", "notices", "resend", "--status", "已写入", "--db", db).output
    )
    server = SmtpServer()
    server.start()
    try:
        sent = run(
            "--lang", "en", "dispatch", "--ignore-hours", "--db", db, env=server.env()
        ).output
    finally:
        server.stop()
    assert " sent, 0 to retry, 0 failed" in sent, sent
    assert server.received
    assert "已发送" in run("notices", "--limit", "3", "--db", db).output


def test_run_once_says_written(db: str, tmp_path: Path) -> None:
    said = run("--lang", "en", "run", "--once", "--now", f"{AS_OF}T09:00", "--outbox", str(tmp_path / "o"),
               "--db", db).output  # fmt: skip
    assert " written, 0 to retry" in said and " sent," not in said, said


@pytest.mark.parametrize(
    ("now", "why"),
    [
        ("2023-11-01T07:00", "非发送时段：下一次 08:00"),
        ("2023-11-01T19:00", "非发送时段：下一次 2023-11-02 08:00"),
        ("2023-11-04T10:00", "非发送时段：下一次 2023-11-06 08:00"),  # a Saturday
    ],
)
def test_a_dry_run_names_the_channel_and_why_nothing_goes(
    db: str, tmp_path: Path, now: str, why: str
) -> None:
    said = run("--lang", "en", "dispatch", "--dry-run", "--now", now, "--outbox", str(tmp_path / "o"),
               "--db", db).output  # fmt: skip
    assert f"0 message(s) would be written to {tmp_path / 'o'} now: {why}" in said, said


def test_a_dry_run_names_the_mail_server_and_an_empty_queue(tmp_path: Path) -> None:
    db = str(tmp_path / "empty.db")
    run("load", str(PLANS / "banan-2023.yaml"), "--db", db)
    env = {"WORKPLAN_SMTP_HOST": "127.0.0.1", "WORKPLAN_SMTP_PORT": "2525",
           "WORKPLAN_SMTP_SECURITY": "none"}  # fmt: skip
    said = run("dispatch", "--dry-run", "--db", db, env=env).output
    assert "0 message(s) would be sent by SMTP 127.0.0.1:2525 now: 没有待发送的通知" in said, said
