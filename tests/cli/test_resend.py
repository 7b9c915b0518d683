"""A failure of the channel keeps the notices owed; failed notices can be sent again."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.helpers import PLANS, notice_rows, run
from tests.smtp import SmtpServer
from workplan.cli.commands import cli

BANAN = str(PLANS / "banan-2023.yaml")


@pytest.fixture
def loaded(tmp_path: Path, smtp_server: SmtpServer) -> tuple[str, dict[str, str]]:
    db = str(tmp_path / "workplan.db")
    env = smtp_server.env()
    run("load", BANAN, "--db", db, env=env)
    run("tick", "--as-of", "2023-11-01", "--db", db, env=env)
    return db, env


def test_a_channel_failure_waits_and_status_says_so(
    loaded: tuple[str, dict[str, str]], smtp_server: SmtpServer
) -> None:
    db, env = loaded
    smtp_server.stop()
    failed = CliRunner().invoke(cli, ["dispatch", "--ignore-hours", "--db", db], env=env)
    assert failed.exit_code == 1
    assert "the smtp channel failed: cannot connect: ConnectionRefusedError" in failed.output
    assert "Traceback" not in failed.output
    statuses = Counter(status for _, status, _, _ in notice_rows(db))
    # owed still: none failed, none left claimed
    assert set(statuses) <= {"pending", "retrying"} and statuses["retrying"] >= 1
    status = run("--lang", "en", "status", "--as-of", "2023-11-01", "--db", db, env=env).output
    assert "the smtp channel is paused since" in status and "Connection refused" in status
    assert f"notices: {sum(statuses.values())} wait (" in status and " for the channel" in status
    smtp_server.start()
    back = run("--lang", "en", "dispatch", "--ignore-hours", "--db", db, env=env)
    assert "0 failed" in back.output
    assert {status for _, status, _, _ in notice_rows(db)} == {"sent"}
    assert (
        "paused"
        not in run("--lang", "en", "status", "--as-of", "2023-11-01", "--db", db, env=env).output
    )


def test_failed_notices_are_resent_with_the_same_message_id(
    loaded: tuple[str, dict[str, str]], smtp_server: SmtpServer
) -> None:
    db, env = loaded
    smtp_server.handler.replies = ["554 5.6.0 content rejected"] * 3
    run("--lang", "en", "dispatch", "--ignore-hours", "--db", db, env=env)
    failed = {(nid, mid) for nid, status, mid, _ in notice_rows(db) if status == "failed"}
    assert len({mid for _, mid in failed}) == 3
    first = min(nid for nid, _ in failed)
    one = run("--lang", "en", "notices", "resend", "--id", str(first), "--db", db, env=env)
    assert one.output.startswith("1 failed notice(s) queued again")
    assert run(
        "--lang", "en", "notices", "resend", "--id", "999999", "--db", db, env=env
    ).output.startswith("no failed notice matches")
    run("--lang", "en", "notices", "resend", "--since", "2023-11-01", "--db", db, env=env)
    assert "failed" not in {status for _, status, _, _ in notice_rows(db)}
    run("--lang", "en", "dispatch", "--ignore-hours", "--db", db, env=env)
    rows = notice_rows(db)
    assert {status for _, status, _, _ in rows} == {"sent"}
    arrived = {r.message["Message-ID"] for r in smtp_server.received}
    assert {mid for _, mid in failed} <= arrived  # the same Message-IDs, now delivered
