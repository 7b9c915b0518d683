"""`workplan load` of several files: one transaction, all or nothing, each plan once."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select

from tests.helpers import PLANS, run
from workplan.store.db import open_store
from workplan.store.tables import T_OBL, T_PLAN, T_TASK, T_VERSION

EXAMPLE = (PLANS / "example.yaml").read_text(encoding="utf-8")
BANAN = str(PLANS / "banan-2023.yaml")


def county(tmp_path: Path, n: int, *, text: str = EXAMPLE) -> Path:
    """The example plan as county n's: its own id, title and office mailbox domain."""
    path = tmp_path / f"county-{n}.yaml"
    path.write_text(
        text.replace("id: example-2023", f"id: county-{n}-2023", 1).replace(
            "title: ", f"title: 第{n}县", 1
        ),
        encoding="utf-8",
    )
    return path


def counts(db_url: str) -> dict[str, int]:
    engine = open_store(db_url, create=True)
    with engine.connect() as conn:
        found = {
            t.name: int(conn.execute(select(func.count()).select_from(t)).scalar_one())
            for t in (T_PLAN, T_VERSION, T_TASK, T_OBL)
        }
    engine.dispose()
    return found


def test_several_plans_load_in_one_command(db_url: str, tmp_path: Path) -> None:
    db = ("--db", db_url)
    files = [str(county(tmp_path, n)) for n in (1, 2, 3)]
    out = run("--lang", "en", "load", *files, BANAN, *db).stdout.splitlines()
    assert [line for line in out if line.startswith("loaded")] == [
        "loaded county-1-2023 new plan: 1 items, 17 dated obligations, 2 departments",
        "loaded county-2-2023 new plan: 1 items, 17 dated obligations, 2 departments",
        "loaded county-3-2023 new plan: 1 items, 17 dated obligations, 2 departments",
        "loaded banan-2023 new plan: 25 items, 210 dated obligations, 35 departments",
    ]
    assert counts(db_url) == {"plan": 4, "plan_version": 4, "task": 28, "obligation": 261}
    # each plan is whole and its own: its status reads as if it had been loaded alone
    status = json.loads(
        run(
            "--lang",
            "en",
            "status",
            "--plan",
            "county-2-2023",
            "--as-of",
            "2023-07-03",
            "--format",
            "json",
            *db,
        ).stdout
    )
    assert [item["number"] for item in status["items"]] == [1]

    # again: the known plans are left alone, an amended one gets a version, a new one is added
    amended = county(tmp_path, 2, text=EXAMPLE.replace("2023-06-30", "2023-07-14"))
    out = run("--lang", "en", "load", files[0], str(amended), str(county(tmp_path, 4)), *db).stdout
    assert "county-1-2023: unchanged (version 1); nothing written" in out
    assert "loaded county-2-2023 version 2:" in out
    assert "loaded county-4-2023 new plan:" in out
    assert counts(db_url)["plan"] == 5


def test_a_problem_in_one_file_loads_none_of_them(db_url: str, tmp_path: Path) -> None:
    good = county(tmp_path, 1)
    bad = county(tmp_path, 2, text=EXAMPLE.replace("lead: 区乡村振兴局", "lead: 区乡村振兴", 1))
    result = run("load", str(good), str(bad), "--db", db_url, code=2)
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"{bad}:32:15: chapters[0].tasks[0].lead[0]: unknown department '区乡村振兴'; did you "
        "mean '区乡村振兴局'?",
        "1 problem found",
    ]
    assert counts(db_url) == {"plan": 0, "plan_version": 0, "task": 0, "obligation": 0}


def test_a_plan_given_twice_is_refused(db_url: str, tmp_path: Path) -> None:
    first = county(tmp_path, 1)
    second = tmp_path / "copy.yaml"
    second.write_text(first.read_text(encoding="utf-8"), encoding="utf-8")
    result = run("load", str(first), str(second), "--db", db_url, code=2)
    line_of_id = next(n for n, text in enumerate(EXAMPLE.splitlines(), 1) if text.startswith("id:"))
    assert result.stderr == (
        f"{second}:{line_of_id}:1: id: plan 'county-1-2023' is also in {first}: give each "
        "plan once\n1 problem found\n"
    )
    assert counts(db_url) == {"plan": 0, "plan_version": 0, "task": 0, "obligation": 0}
