"""The brief shows the plan's record (issue 25): a colour strip per item over the months kept,
the deadlines moved, and, opt-in as the league table, the month's 考核 with its rates."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from openpyxl import load_workbook

from tests.helpers import PLANS, demo_database, run


def test_the_brief_carries_the_strip_and_the_drift_and_scores_only_when_asked(
    tmp_path: Path,
) -> None:
    db = demo_database(tmp_path / "demo")
    for month in ("2023-06", "2023-07"):
        run("month", "close", month, "--db", db)
    run("brief", "--month", "2023-07", "-o", str(tmp_path / "b.xlsx"), "--db", db)
    book = load_workbook(tmp_path / "b.xlsx")
    assert "考核" not in book.sheetnames  # opt-in, as the league table
    strip = [list(r) for r in book["月度色带"].iter_rows(values_only=True)]
    assert strip[0] == ["事项", "2023-06", "2023-07"]
    kept = run("status", "--month", "2023-06", "--db", db).output.splitlines()
    five = next(line.split()[2] for line in kept if line.startswith("（五）"))
    assert strip[5][:2] == [5, five]
    drift = [list(r) for r in book["期限调整"].iter_rows(values_only=True)]
    assert [r[:4] for r in drift[1:]] == [
        ["（十六）", "完成2025年项目库建设", "区乡村振兴局", "延期"]
    ]
    html = tmp_path / "b.html"
    run("brief", "--month", "2023-07", "-o", str(html), "--db", db)
    page = html.read_text(encoding="utf-8")
    assert 'class="strip"' in page and 'id="drift"' in page and "考核（" not in page

    # the office asks for a ranking: the brief adds the month's scores, as `workplan score`
    # gives them on the month's last day
    plan = (PLANS / "banan-2023.yaml").read_text(encoding="utf-8")
    ranked = tmp_path / "banan-2023.yaml"
    ranked.write_text(plan + "brief:\n  ranking: true\n", encoding="utf-8")
    shutil.copy(PLANS / "banan-departments.yaml", tmp_path)
    run("load", str(ranked), "--db", db)
    run("brief", "--month", "2023-07", "-o", str(tmp_path / "r.xlsx"), "--db", db)
    sheet = load_workbook(tmp_path / "r.xlsx")["考核"]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    scored = json.loads(
        run(
            "score", "--month", "2023-07", "--as-of", "2023-07-31", "--format", "json", "--db", db
        ).output
    )
    assert rows[0] == list(scored[0])
    assert rows[1:] == [list(r.values()) for r in scored]
