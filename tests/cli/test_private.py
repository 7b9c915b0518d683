"""What workplan writes holds names, addresses and letters: owner-only unless the operator
says otherwise (by making the file or folder first, with the mode wanted)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.helpers import PLANS
from workplan.cli.commands import cli


@pytest.fixture
def loose_umask() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_database_outbox_and_messages_are_owner_only(tmp_path: Path, loose_umask: None) -> None:
    db, outbox = tmp_path / "workplan.db", tmp_path / "outbox"
    runner = CliRunner()
    env = {"WORKPLAN_SMTP_HOST": "", "WORKPLAN_CONFIG": ""}
    assert (
        runner.invoke(
            cli, ["load", str(PLANS / "banan-2023.yaml"), "--db", str(db)], env=env
        ).exit_code
        == 0
    )
    assert (
        runner.invoke(cli, ["tick", "--as-of", "2023-11-01", "--db", str(db)], env=env).exit_code
        == 0
    )
    sent = runner.invoke(
        cli, ["dispatch", "--ignore-hours", "--outbox", str(outbox), "--db", str(db)], env=env
    )
    assert sent.exit_code == 0, sent.output
    assert _mode(db) == 0o600
    for extra in (tmp_path / "workplan.db-wal", tmp_path / "workplan.db-shm"):
        if extra.exists():
            assert _mode(extra) & 0o077 == 0
    assert _mode(outbox) == 0o700
    letters = list(outbox.glob("*.eml"))
    assert letters and {_mode(p) for p in letters} == {0o600}


def test_a_folder_the_operator_made_keeps_its_mode(tmp_path: Path, loose_umask: None) -> None:
    db, outbox = tmp_path / "workplan.db", tmp_path / "outbox"
    outbox.mkdir(mode=0o750)
    outbox.chmod(0o750)
    runner = CliRunner()
    env = {"WORKPLAN_SMTP_HOST": "", "WORKPLAN_CONFIG": ""}
    runner.invoke(cli, ["load", str(PLANS / "banan-2023.yaml"), "--db", str(db)], env=env)
    runner.invoke(cli, ["tick", "--as-of", "2023-11-01", "--db", str(db)], env=env)
    runner.invoke(
        cli, ["dispatch", "--ignore-hours", "--outbox", str(outbox), "--db", str(db)], env=env
    )
    assert _mode(outbox) == 0o750
