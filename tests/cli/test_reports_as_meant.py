"""What departments report is recorded as they meant it (issue 10): the six cases seen, each
through the command line on real plan files, real workbooks and a real database."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from click.testing import CliRunner, Result
from openpyxl import Workbook

from tests.conftest import PLANS, banan_live_from
from workplan.cli.commands import cli

BANAN = str(PLANS / "banan-2023.yaml")
EXAMPLE = str(PLANS / "example.yaml")
LEDGER = str(PLANS / "banan-2023-ledger.csv")
NO_SMTP = {"WORKPLAN_SMTP_HOST": None, "WORKPLAN_CONFIG": None, "WORKPLAN_OUTBOX": None}


def run(*args: str, code: int = 0) -> Result:
    result = CliRunner().invoke(cli, list(args), env={"COLUMNS": "160", **NO_SMTP})
    assert "Traceback" not in result.output, result.output
    assert result.exit_code == code, (result.output, result.exception)
    return result


def metrics(db_url: str, day: str) -> dict[str, float | None]:
    """Each metric's latest value on a day, as `status` shows it."""
    data = json.loads(run("status", "--as-of", day, "--format", "json", "--db", db_url).stdout)
    return {m["key"]: m["value"] for item in data["items"] for m in item["metrics"]}


def workbook(path: Path, rows: list[list[object]], formats: dict[str, str] | None = None) -> Path:
    """Save rows as an .xlsx file, with number formats by cell (e.g. {"C2": "0%"})."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    for cell, number_format in (formats or {}).items():
        sheet[cell].number_format = number_format
    book.save(path)
    return path


# 4 -------------------------------------------------------------------------------------------


def with_aliases(folder: Path, duty: str, metric: str) -> Path:
    """The example plan with a line of aliases under its monthly duty and under its metric."""
    plan = folder / "example.yaml"
    text = Path(EXAMPLE).read_text(encoding="utf-8")
    for title, line in (("专班调度", duty), ("中央衔接资金支出进度", metric)):
        text = text.replace(f"title: {title}\n", f"title: {title}\n            {line}\n")
    plan.write_text(text, encoding="utf-8")
    return plan


def test_aliases_are_checked_like_the_rest_of_the_plan(tmp_path: Path) -> None:
    plan = with_aliases(tmp_path, "alias: [月调度]", "aliases: [完成2024年项目库建设]")
    err = run("validate", str(plan), code=2).stderr.splitlines()
    t = "chapters[0].tasks[0]"
    assert err == [
        f"{plan}:41:13: {t}.recurring[0].alias: unknown key 'alias'; did you mean 'aliases'?",
        f"{plan}:47:23: {t}.metrics[0].aliases[0]: alias '完成2024年项目库建设' already names "
        "'project-library-2024' of item 1 (line 35); an alias must name one thing",
        "2 problems found",
    ]


# 5 -------------------------------------------------------------------------------------------


def test_plans_refuse_negative_counts(tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        Path(BANAN).read_text(encoding="utf-8").replace("target: 1                # 力争", "target: -5  # 力争"),
        encoding="utf-8",
    )  # fmt: skip
    (tmp_path / "banan-departments.yaml").write_text(
        (PLANS / "banan-departments.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    err = run("validate", str(plan), code=2).stderr.splitlines()
    assert len(err) == 2 and err[1] == "1 problem found"
    assert err[0].endswith(
        ".metrics[1].target: 新增帮扶车间 is a count (家) and cannot be negative: -5"
    )


# 6 -------------------------------------------------------------------------------------------


def test_case6_clear_errors_at_the_edges(tmp_path: Path) -> None:
    plan_bytes = Path(BANAN).read_bytes()
    for args in (("status",), ("load", EXAMPLE), ("upgrade",)):
        err = run(*args, "--db", BANAN, code=1).stderr
        assert err == (
            f"error: {BANAN} is not a database (SQLite cannot read it: file is not a database)\n"
        )
    assert Path(BANAN).read_bytes() == plan_bytes

    other = tmp_path / "crm.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
    for args in (("status",), ("load", EXAMPLE)):
        err = run(*args, "--db", str(other), code=1).stderr
        assert err == (
            f"error: {other} is another program's database (tables: customers), not workplan's: "
            "give workplan a database of its own with --db\n"
        )
    with sqlite3.connect(other) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    assert tables == ["customers"]

    err = run("status", "--db", "postgresql+psycopg://workplan:secret@127.0.0.1:1/x", code=1)
    assert err.stderr.startswith(
        "error: cannot reach the database postgresql+psycopg://workplan:***@127.0.0.1:1/x: "
    )
    assert err.stderr.count("\n") == 1 and "secret" not in err.stderr


def test_without_smtp_every_sender_says_where_messages_went(tmp_path: Path) -> None:
    db = ("--db", str(tmp_path / "w.db"))
    outbox = tmp_path / "outbox"
    run("load", str(banan_live_from(tmp_path)), *db)
    run("tick", "--as-of", "2023-05-04", *db)
    out = run(
        "dispatch", "--now", "2023-05-04T09:00", "--outbox", str(outbox), *db
    ).stdout.splitlines()
    assert out[-1] == (
        f"written to {outbox}, no SMTP configured (set WORKPLAN_SMTP_HOST, or [smtp] host in "
        "--config, to send by e-mail)"
    )
    run("tick", "--as-of", "2023-05-09", *db)
    out = run("run", "--once", "--now", "2023-05-09T09:00", "--outbox", str(outbox), *db).stdout
    assert out.splitlines()[-1].startswith(f"written to {outbox}, no SMTP configured")
