"""The command line end to end, through click's CliRunner, on each database backend."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import click
import pytest
from rich.cells import cell_len

from tests.helpers import PLANS, run
from workplan.cli.commands import cli

EXAMPLE = str(PLANS / "example.yaml")


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = []
    for name, command in group.commands.items():
        out.append((*prefix, name))
        if isinstance(command, click.Group):
            out += _commands(command, (*prefix, name))
    return out


@pytest.mark.parametrize("path", _commands(cli), ids=" ".join)
def test_every_command_has_help(path: tuple[str, ...]) -> None:
    command: click.Command = cli
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]
    assert command.help and len(command.help.strip()) > 20, f"{' '.join(path)} needs help text"
    result = run(*path, "--help")
    assert "Usage: " in result.output


def test_schema_is_json_schema() -> None:
    schema = json.loads(run("schema").stdout)
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert "chapters" in schema["required"]


def test_load_status_and_reports(db_url: str) -> None:
    db = ("--db", db_url)
    out = run("--lang", "en", "load", EXAMPLE, *db).stdout
    assert out == (
        "loaded example-2023 new plan: 1 items, 17 dated obligations, 2 departments\n"
        "  2 obligation(s) fall due before the plan takes effect on 2023-03-01: shown in "
        "status, never chased\n"
    )
    assert (
        run("--lang", "en", "load", EXAMPLE, *db).stdout
        == "example-2023: unchanged (version 1); nothing written\n"
    )

    out = run(
        "--lang",
        "en",
        "progress",
        "record",
        "十",
        "--value",
        "25",
        "--as-of",
        "2023-04-20",
        "--by",
        "区财政局",
        *db,
        code=2,
    ).stderr
    assert out == "error: plan example-2023 has no item （十） (10)\n"
    out = run(
        "--lang",
        "en",
        "progress",
        "record",
        "1",
        "--value",
        "25",
        "--as-of",
        "2023-04-20",
        "--by",
        "区财政委",
        *db,
        code=2,
    ).stderr
    assert (
        out == "error: plan example-2023 has no department '区财政委'; did you mean '区财政局'?\n"
    )
    out = run(
        "--lang",
        "en",
        "progress",
        "record",
        "（一）",
        "--value",
        "25",
        "--as-of",
        "2023-04-20",
        "--by",
        "财政局",
        *db,
    ).stdout
    assert (
        out
        == "recorded example-2023 item 1 central-disbursement = 25% as of 2023-04-20 by 区财政局\n"
    )

    out = run(
        "--lang", "en", "done", "1/dispatch", "--by", "区乡村振兴局", "--on", "2023-01-20", *db
    ).stdout
    assert out == "done: example-2023 item 1 dispatch@2023-01 on 2023-01-20 by 区乡村振兴局\n"
    out = run(
        "--lang",
        "en",
        "done",
        "1/dispatch@2023-01",
        "--by",
        "区乡村振兴局",
        "--on",
        "2023-01-21",
        *db,
        code=2,
    ).stderr
    assert "already marked done on 2023-01-20 by 区乡村振兴局" in out
    out = run(
        "--lang", "en", "done", "1/central-disbursement#1", "--by", "区乡村振兴局", *db, code=2
    ).stderr
    assert "is a metric checkpoint" in out
    out = run("--lang", "en", "done", "1", "--by", "区乡村振兴局", *db, code=2).stderr
    assert "several open obligations (dispatch, project-library-2024)" in out

    data = json.loads(
        run("--lang", "en", "status", "--as-of", "2023-05-04", "--format", "json", *db).stdout
    )
    [item] = data["items"]
    assert item["state"] == "overdue"
    assert [o["key"] for o in item["overdue"]] == [
        "dispatch@2023-03",
        "dispatch@2023-04",
        "central-disbursement#1",
    ]
    # February's fell due before the plan took effect (issued 1 March): shown, not overdue
    assert [o["key"] for o in item["before_plan"]] == ["dispatch@2023-02"]
    assert data["chase_from"] == "2023-03-01"
    assert item["overdue"][-1]["value"] == 25
    assert item["next_due"]["key"] == "dispatch@2023-05"
    assert item["next_due"]["working_days"] == 16
    [metric] = item["metrics"]
    assert (metric["value"], metric["next_target"], metric["state"]) == (25, 50, "missed")

    rows = list(
        csv.DictReader(
            io.StringIO(
                run(
                    "--lang", "en", "status", "--as-of", "2023-05-04", "--format", "csv", *db
                ).stdout
            )
        )
    )
    assert rows[0]["next_due_key"] == "dispatch@2023-05"
    assert rows[0]["overdue_count"] == "3"


def test_status_table_aligns_wide_characters(db_url: str) -> None:
    run("load", EXAMPLE, "--db", db_url)
    table = run("status", "--as-of", "2023-05-04", "--lang", "en", "--db", db_url).stdout
    lines = table.splitlines()
    header = next(line for line in lines if line.lstrip().startswith("Item") and "State" in line)
    row = next(line for line in lines if "（一）" in line)
    assert "强化衔接资金和项目管理" in row

    def column(line: str, word: str) -> int:
        return cell_len(line[: line.index(word)])

    # the State column starts at the same terminal cell in the header and in a row that
    # holds Chinese text (two cells a character) before it
    assert column(header, "State") == column(row, "overdue")
    assert column(header, "Next due") == column(row, "05-25")
    assert cell_len(header.rstrip()) <= 160


def test_status_department_filter(db_url: str) -> None:
    run("load", EXAMPLE, "--db", db_url)
    out = run("status", "--department", "财政局", "--format", "json", "--db", db_url).stdout
    assert [i["number"] for i in json.loads(out)["items"]] == [1]


def test_errors_are_plain(tmp_path: Path) -> None:
    missing = tmp_path / "none.db"
    out = run("--lang", "en", "status", "--db", str(missing), code=1).stderr
    assert (
        out
        == f"error: no database at {missing}: load a plan first (workplan load PLAN.yaml --db {missing})\n"
    )
    out = run(
        "--lang", "en", "status", "--as-of", "30/06/2023", "--db", str(missing), code=2
    ).stderr
    assert "'30/06/2023' is not a date: write it like 2023-05-04" in out
    out = run(
        "--lang", "en", "load", str(tmp_path / "nope.yaml"), "--db", str(missing), code=2
    ).stderr
    assert "nope.yaml: cannot read: No such file or directory" in out
    assert not missing.exists()


def test_validate_takes_directory_files_too() -> None:
    out = run(
        "--lang",
        "en",
        "validate",
        str(PLANS / "banan-2023.yaml"),
        str(PLANS / "banan-departments.yaml"),
    ).stdout
    assert f"{PLANS / 'banan-departments.yaml'}: ok: a department directory, 35 departments" in out


def test_templates_check_through_the_command_line(tmp_path: Path) -> None:
    assert run("templates", "check").stdout == "templates ok: the shipped templates\n"
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "digest.txt.j2").write_text("{{ m.department.nmae }}\n", encoding="utf-8")
    err = run("templates", "check", "--templates", str(tmp_path), code=2).stderr.splitlines()
    assert err[0].startswith(
        f"{tmp_path / 'en' / 'digest.txt.j2'}:1:0: en/digest.txt.j2: UndefinedError"
    )
    assert "nmae" in err[0]
    assert err[-1] == "1 problem found"


def test_the_schema_copy_beside_the_plans_is_current() -> None:
    shipped = (PLANS / "workplan-plan.schema.json").read_text(encoding="utf-8")
    assert run("schema").stdout == shipped, (
        "regenerate: workplan schema -o plans/workplan-plan.schema.json"
    )


def test_a_repeated_tick_says_what_is_owed_and_adds_nothing(db_url: str) -> None:
    db = ("--db", db_url)
    run("load", EXAMPLE, *db)
    first = run("tick", "--as-of", "2023-04-21", "--lang", "en", *db).stdout
    # (7: nothing sent before, the overdue items open at 催办 to their owners, not 通报)
    assert "2023-04-21: 7 notices owed, 7 added, 0 already stored, 0 superseded" in first
    # answered by the change markers alone (no plan changed since): the same seven owed
    again = run("tick", "--as-of", "2023-04-21", "--lang", "en", *db).stdout
    assert again == "2023-04-21: 7 notices owed, 0 added, 7 already stored, 0 superseded\n"
    json_again = run("tick", "--as-of", "2023-04-21", "--format", "json", *db).stdout
    assert json.loads(json_again) == []
