"""Importing the monthly ledger (台账), and the office's extensions and sign-offs."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook

from tests.helpers import PLANS, run

EXAMPLE = str(PLANS / "example.yaml")


def _status(db_url: str, day: str) -> dict[str, object]:
    items = json.loads(run("status", "--as-of", day, "--format", "json", "--db", db_url).stdout)[
        "items"
    ]
    return dict(items[0])


def test_csv_ledger_with_chinese_headers(db_url: str, tmp_path: Path) -> None:
    run("--lang", "en", "load", EXAMPLE, "--db", db_url)
    ledger = tmp_path / "台账.csv"
    ledger.write_text(
        "事项,指标,任务,数值,日期,报送单位,备注\n"
        "1,central-disbursement,,25,2023-04-20,区财政局,\n"
        "（一）,,dispatch@2023-01,,2023/01/20,区乡村振兴局,已调度\n"
        "1,,,,2023-04-21,财政局,资金拨付进度说明\n"
        ",,,,,,\n",
        encoding="utf-8",
    )
    out = run("--lang", "en", "progress", "import", str(ledger), "--db", db_url).stdout
    assert out == f"imported {ledger}: 1 values, 1 obligations done, 1 notes\n"
    item = _status(db_url, "2023-05-04")
    assert item["done"] == 1
    assert [m["value"] for m in item["metrics"]] == [25]  # type: ignore[index]


def test_xlsx_ledger(db_url: str, tmp_path: Path) -> None:
    run("load", EXAMPLE, "--db", db_url)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["item", "metric", "value", "as_of", "department"])
    sheet.append([1, "central-disbursement", 0.31 * 100, datetime(2023, 4, 28), "区财政局"])
    path = tmp_path / "ledger.xlsx"
    book.save(path)
    run("progress", "import", str(path), "--db", db_url)
    item = _status(db_url, "2023-05-04")
    assert [m["value"] for m in item["metrics"]] == [31]  # type: ignore[index]
    assert item["state"] == "overdue"  # the monthly dispatch, not the checkpoint (met: 31 ≥ 30)
    assert all(not o["key"].startswith("central") for o in item["overdue"])  # type: ignore[union-attr]


def test_a_bad_row_refuses_the_whole_file(db_url: str, tmp_path: Path) -> None:
    run("--lang", "en", "load", EXAMPLE, "--db", db_url)
    ledger = tmp_path / "ledger.csv"
    ledger.write_text(
        "item,metric,obligation,value,as_of,department\n"
        "1,central-disbursement,,25,2023-04-20,区财政局\n"
        "1,central-disbursement,,二十五,2023-04-21,区财政局\n"
        "1,central-disbursement,,26,2023-04-31,区财政局\n"
        "1,central-disbursment,,26,2023-04-22,区财政局\n"
        "1,central-disbursement,,27,2023-04-23,区财政委\n"
        "1,,dispatch@2023-13,,2023-04-23,区财政局\n"
        "9,,,3,2023-04-23,区财政局\n",
        encoding="utf-8",
    )
    err = run(
        "--lang", "en", "progress", "import", str(ledger), "--db", db_url, code=2
    ).stderr.splitlines()
    assert err == [
        f"{ledger}:3:4: value: '二十五' is not a number: write digits; an amount may be written "
        "1.2亿 or 4,400万, a percentage 35 or 35%",
        f"{ledger}:4:5: as_of: '2023-04-31' is not a real date (day is out of range for month)",
        f"{ledger}:5:2: metric: item （一） has no metric 'central-disbursment'; did you mean 'central-disbursement'?",
        f"{ledger}:6:6: department: plan example-2023 has no department '区财政委'; did you mean '区财政局'?",
        f"{ledger}:7:3: obligation: item （一）: 专班调度 has no occurrence 2023-13 (they run from "
        "2023-01 to 2023-12)",
        f"{ledger}:8:1: item: plan example-2023 has no item （九） (9)",
        "6 problems found",
    ]
    # the good first row was not recorded either
    assert [m["value"] for m in _status(db_url, "2023-05-04")["metrics"]] == [None]  # type: ignore[index]


def test_ledger_header_problems(db_url: str, tmp_path: Path) -> None:
    run("--lang", "en", "load", EXAMPLE, "--db", db_url)
    ledger = tmp_path / "ledger.csv"
    ledger.write_text("item,value,amount,deparment\n1,3\n", encoding="utf-8")
    err = run(
        "--lang", "en", "progress", "import", str(ledger), "--db", db_url, code=2
    ).stderr.splitlines()
    # a column the import does not use is no problem; a misspelt one is suggested
    assert err == [
        f"{ledger}:1:1: as_of: missing column 'as_of' (or '日期')",
        f"{ledger}:1:1: department: missing column 'department' (or '报送单位'); "
        "is 'deparment' meant?",
        "2 problems found",
    ]
    chinese = tmp_path / "台账.csv"
    chinese.write_text("填报说明\n事项,数值\n1,3\n", encoding="utf-8")
    err = run(
        "--lang", "en", "progress", "import", str(chinese), "--db", db_url, code=2
    ).stderr.splitlines()
    assert sorted(err[:2]) == [
        f"{chinese}:2:1: 报送单位: missing column '报送单位' (or 'department')",
        f"{chinese}:2:1: 日期: missing column '日期' (or 'as_of')",
    ]
    nothing = tmp_path / "nothing.csv"
    nothing.write_text("巴南区台账\n,,\n", encoding="utf-8")
    err = run(
        "--lang", "en", "progress", "import", str(nothing), "--db", db_url, code=2
    ).stderr.splitlines()
    assert err[0].startswith(f"{nothing}:1:1: no header row in the first 20 rows: write one")


def test_extension_restarts_the_ladder_and_only_the_office_grants_it(db_url: str) -> None:
    db = ("--db", db_url)
    run("--lang", "en", "load", EXAMPLE, *db)
    out = run(
        "--lang",
        "en",
        "extend",
        "1/project-library-2024",
        "--to",
        "2024-01-15",
        "--by",
        "区财政局",
        "--reason",
        "x",
        *db,
        code=2,
    )
    assert (
        out.stderr
        == "error: only the coordination office (区乡村振兴局) may grant an extension; 区财政局 may not\n"
    )
    out = run(
        "--lang",
        "en",
        "extend",
        "1/project-library-2024",
        "--to",
        "2023-12-01",
        "--by",
        "区乡村振兴局",
        "--reason",
        "x",
        *db,
        code=2,
    )
    assert "an extension moves it later, not to 2023-12-01" in out.stderr
    out = run(
        "--lang",
        "en",
        "extend",
        "1/project-library-2024",
        "--to",
        "2024-01-15",
        "--by",
        "区乡村振兴局",
        "--reason",
        "市级审核延期",
        *db,
    )
    assert (
        out.stdout
        == "extended: example-2023 item 1 project-library-2024 now due 2024-01-15 (区乡村振兴局)\n"
    )
    notices = json.loads(
        run("--lang", "en", "tick", "--as-of", "2024-01-03", "--format", "json", *db).stdout
    )
    about = [(n["about"], n["rule"]) for n in notices if n["about"] == "project-library-2024"]
    assert about == []  # was overdue after 31 December; now due 15 January: nothing yet
    notices = json.loads(
        run("--lang", "en", "tick", "--as-of", "2024-01-11", "--format", "json", *db).stdout
    )
    assert {
        (n["about"], n["rule"], n["due"]) for n in notices if n["about"] == "project-library-2024"
    } == {("project-library-2024", "remind", "2024-01-15")}


def test_signoff_is_for_the_office_and_silences_the_item(db_url: str) -> None:
    db = ("--db", db_url)
    run("--lang", "en", "load", EXAMPLE, *db)
    err = run("--lang", "en", "signoff", "1", "--by", "区财政局", *db, code=2).stderr
    assert (
        err
        == "error: only the coordination office (区乡村振兴局) may sign an item off (销号); 区财政局 may not\n"
    )
    err = run("--lang", "en", "signoff", "1", "--by", "区乡村振兴局", *db, code=2).stderr
    assert "still has 13 open obligation(s) (dispatch@2023-01, dispatch@2023-02" in err
    run(
        "--lang", "en", "signoff", "1", "--by", "区乡村振兴局", "--force", "--note", "全部完成", *db
    )
    assert (
        json.loads(
            run("--lang", "en", "tick", "--as-of", "2023-05-04", "--format", "json", *db).stdout
        )
        == []
    )
    assert _status(db_url, "2023-05-04")["state"] == "signed off"
    err = run("--lang", "en", "signoff", "1", "--by", "区乡村振兴局", *db, code=2).stderr
    assert f"was signed off on {date.today():%Y}" in err or "was signed off on" in err
