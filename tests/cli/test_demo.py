"""`workplan demo` walks through every step it prints, through the workplan command itself."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from tests.conftest import PLANS
from workplan.cli.commands import cli
from workplan.cli.demo import steps


def test_the_demo_runs_each_step_it_prints(tmp_path: Path) -> None:
    plan, ledger = str(PLANS / "banan-2023.yaml"), str(PLANS / "banan-2023-ledger.csv")
    args = ["demo", "--plan-file", plan, "--ledger", ledger, "--dir", str(tmp_path)]
    result = CliRunner().invoke(cli, args, env={"COLUMNS": "120"})
    assert result.exit_code == 0, (result.output, result.exception)
    shown = [line for line in result.output.splitlines() if line.startswith("$ workplan ")]
    db, outbox = str(tmp_path / "workplan.db"), str(tmp_path / "outbox")
    assert [line.split()[2] for line in shown] == [
        s.args[0] for s in steps(plan, ledger, db, outbox)
    ]
    assert "已载入 banan-2023（新计划）" in result.output  # the load step ran, not only its line
    assert list((tmp_path / "outbox").glob("*.eml")), "the morning's letters were written"
    assert result.output.rstrip().endswith(f"workplan status --db {db} --as-of 2023-10-23")
