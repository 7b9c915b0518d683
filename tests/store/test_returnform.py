"""The return form (报送表): made for a department and a month, filled in by its clerk with a
spreadsheet program's means (openpyxl here), sent back and imported as it is."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from openpyxl import load_workbook

from tests.helpers import PLANS, run
from workplan.store.returnform import HEADER

BANAN = str(PLANS / "banan-2023.yaml")
LEDGER = PLANS / "banan-2023-ledger.csv"


def first_half(tmp_path: Path) -> Path:
    """The Banan ledger as it stood on 30 June: the rows dated before July."""
    lines = LEDGER.read_text(encoding="utf-8").splitlines()
    kept = [lines[0], *(line for line in lines[1:] if line.split(",")[4] < "2023-07-01")]
    path = tmp_path / "ledger-h1.csv"
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")
    return path


def test_the_return_form_round_trips(db_url: str, tmp_path: Path) -> None:
    db = ("--db", db_url)
    run("--lang", "en", "load", BANAN, *db)
    run("--lang", "en", "progress", "import", str(first_half(tmp_path)), *db)
    form = tmp_path / "区财政局-2023-07.xlsx"
    out = run(
        "--lang",
        "en",
        "ledger",
        "template",
        "--department",
        "区财政局",
        "--month",
        "2023-07",
        "-o",
        str(form),
        *db,
    ).stdout
    assert out == (
        f"wrote {form}: 区财政局, 2023-07: 4 metric(s) to report, 3 deliverable(s) or duty "
        "occurrence(s) to close\n"
    )

    book = load_workbook(form)
    assert book.sheetnames == ["报送表", "填报说明"]
    sheet = book["报送表"]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[1][0] == "区财政局 2023年7月进度报送表"
    assert tuple(rows[3]) == HEADER
    lines = {(r[0], r[1] or r[2], r[3]): r for r in rows[4:]}
    assert set(lines) == {
        ("（七）", "全年消费帮扶金额", None),
        ("（七）", "调度产业发展项目联农带农机制落实情况", "2023-07"),
        ("（八）", "调度以工代赈项目脱贫人口务工人员及收入情况", "2023-07"),
        ("（十六）", "中央衔接资金支出进度", None),
        ("（十六）", "市级衔接资金支出进度", None),
        ("（十六）", "区级衔接资金支出进度", None),
        ("（二十五）", "通报项目建设进展情况", "2023-07"),
    }
    central = lines[("（十六）", "中央衔接资金支出进度", None)]
    # its unit, what July asks, its last value and date; the department filled in
    assert central[4:8] == ["%", "7月20日前达到55.07%；每月报送", 52, datetime(2023, 6, 26)]
    assert central[10] == "区财政局"
    # identifying cells locked, the sheet protected; value, date and note open and checked
    assert sheet.protection.sheet
    row = 4 + list(lines).index(("（十六）", "中央衔接资金支出进度", None)) + 1
    value, day = (
        sheet.cell(row, HEADER.index("数值") + 1),
        sheet.cell(row, HEADER.index("日期") + 1),
    )
    assert sheet.cell(row, 1).protection.locked and sheet.cell(row, 2).protection.locked
    assert not value.protection.locked and not day.protection.locked
    checked = {
        str(cell): v.type
        for v in sheet.data_validations.dataValidation
        for cell in str(v.sqref).split()
    }
    assert checked[value.coordinate] == "decimal" and checked[day.coordinate] == "date"
    guide = [r[0] for r in book["填报说明"].iter_rows(values_only=True) if r[0]]
    assert any("百分比填 35 即 35%" in line for line in guide)

    # the clerk fills in two values (one typed as 56% in Excel: 0.56 shown as a percentage),
    # closes one duty and leaves the rest blank
    def cell(key: tuple[str, str, str | None], column: str) -> str:
        number = 4 + list(lines).index(key) + 1
        return f"{chr(ord('A') + HEADER.index(column))}{number}"

    sheet[cell(("（十六）", "中央衔接资金支出进度", None), "数值")] = 58
    sheet[cell(("（十六）", "中央衔接资金支出进度", None), "日期")] = datetime(2023, 7, 18)
    municipal = cell(("（十六）", "市级衔接资金支出进度", None), "数值")
    sheet[municipal] = 0.56
    sheet[municipal].number_format = "0%"
    sheet[cell(("（十六）", "市级衔接资金支出进度", None), "日期")] = "2023/7/18"
    duty = ("（七）", "调度产业发展项目联农带农机制落实情况", "2023-07")
    sheet[cell(duty, "日期")] = datetime(2023, 7, 20)
    sheet[cell(duty, "备注")] = "已调度"
    book.save(form)

    out = run("--lang", "en", "progress", "import", str(form), *db).stdout
    assert out == (f"imported {form}: 2 values, 1 obligations done, 0 notes; 4 rows left blank\n")
    status = json.loads(
        run(
            "--lang",
            "en",
            "status",
            "--as-of",
            "2023-07-21",
            "--department",
            "区财政局",
            "--format",
            "json",
            *db,
        ).stdout
    )
    items = {i["number"]: i for i in status["items"]}
    values = {m["key"]: (m["value"], m["reported_on"]) for m in items[16]["metrics"]}
    assert values["central-disbursement"] == (58, "2023-07-18")
    assert values["municipal-disbursement"] == (56, "2023-07-18")
    assert items[7]["next_due"]["key"] != "farmer-linkage-dispatch@2023-07"
    assert items[7]["done"] == 7
    # sent twice, it changes nothing
    assert run("--lang", "en", "progress", "import", str(form), *db).stdout.endswith(
        "3 already recorded; 4 rows left blank\n"
    )
    # next month's form shows the values just reported
    run("--lang", "en", "ledger", "template", "--department", "区财政局", "--month", "2023-08", "-o",
        str(tmp_path / "august.xlsx"), *db)  # fmt: skip
    august = list(load_workbook(tmp_path / "august.xlsx")["报送表"].iter_rows(values_only=True))
    central_august = next(r for r in august if r[1] == "中央衔接资金支出进度")
    assert central_august[6:8] == (58, datetime(2023, 7, 18))


def test_a_form_for_a_month_outside_the_plan_is_refused(db_url: str, tmp_path: Path) -> None:
    run("--lang", "en", "load", BANAN, "--db", db_url)
    err = run(
        "--lang",
        "en",
        "ledger", "template", "--department", "区财政局", "--month", "2025-01", "-o",
        str(tmp_path / "f.xlsx"), "--db", db_url, code=2,
    ).stderr  # fmt: skip
    assert err == "error: 2025-01 is outside the plan's period (2023-01-01 – 2024-03-04)\n"
    err = run("--lang", "en", "ledger", "template", "--department", "区财政局", "--month", "July", "--db", db_url,
              code=2).stderr  # fmt: skip
    assert "'July' is not a month like 2023-07" in err
