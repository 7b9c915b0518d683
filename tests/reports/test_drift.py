"""Drift (issue 25): the table of deadlines moved equals the extensions granted and the
amendments loaded, as the office recorded them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.helpers import PLANS, demo_database, run

# What the office decided, by hand: the demo's extension, and one amendment loaded after it
EXTENSION = {
    "事项": "（十六）",
    "应办事项": "完成2025年项目库建设",
    "牵头单位": "区乡村振兴局",
    "方式": "延期",
    "原期限": "2023-12-31",
    "新期限": "2024-01-20",
    "推迟天数": 20,
    "依据": "市级审核时间调整",
}
AMENDMENT = {
    "事项": "（十六）",
    "应办事项": "完成2024年项目库建设",
    "牵头单位": "区乡村振兴局",
    "方式": "修订",
    "原期限": "2023-12-31",
    "新期限": "2024-01-31",
    "推迟天数": 31,
    "依据": "v2",
}


def _drift(db: str, *args: str) -> list[dict[str, object]]:
    rows = json.loads(run("drift", *args, "--format", "json", "--db", db).output)
    for row in rows:
        row.pop("决定日期")  # the day it was decided: the real day the test runs
    return list(rows)


def _amended(folder: Path) -> Path:
    """The Banan plan with the 2024 project library due a month later (an amendment)."""
    text = (PLANS / "banan-2023.yaml").read_text(encoding="utf-8")
    before = (
        "          - id: project-library-2024\n            title: 完成2024年项目库建设\n"
        "            due: year-end\n"
    )
    assert before in text
    amended = folder / "banan-2023.yaml"
    amended.write_text(text.replace(before, before.replace("year-end", "2024-01-31")), "utf-8")
    shutil.copy(PLANS / "banan-departments.yaml", folder)
    return amended


def test_the_drift_table_is_the_extensions_and_amendments(tmp_path: Path) -> None:
    db = demo_database(tmp_path)
    assert _drift(db) == [EXTENSION]
    amended = _amended(tmp_path)
    out = run("load", str(amended), "--db", db).output
    assert "期限已改 （十六） project-library-2024：2023-12-31 → 2024-01-31" in out
    assert _drift(db) == [EXTENSION, AMENDMENT]
    assert _drift(db, "--department", "区财政局") == [EXTENSION, AMENDMENT]
    assert _drift(db, "--department", "区教委") == []
    table = run("drift", "--db", db).output.splitlines()
    assert table[-1].split() == ["区乡村振兴局", "1", "1", "0", "51"]


def test_drift_is_read_on_every_backend(db_url: str, tmp_path: Path) -> None:
    run("load", str(PLANS / "banan-2023.yaml"), "--db", db_url)
    assert run("drift", "--db", db_url).output.endswith("自印发以来没有期限调整\n")
    run(
        "extend",
        "16/project-library-2025",
        "--to",
        "2024-01-20",
        "--by",
        "区委农办",
        "--reason",
        "市级审核时间调整",
        "--db",
        db_url,
    )
    run("load", str(_amended(tmp_path)), "--db", db_url)
    assert _drift(db_url) == [EXTENSION, AMENDMENT]
