"""What departments report is recorded as they meant it (issue 10): the six cases seen, each
through the command line on real plan files, real workbooks and a real database."""

from __future__ import annotations

import json
import sqlite3
from datetime import date, datetime, timedelta
from pathlib import Path

from click.testing import Result
from openpyxl import Workbook
from sqlalchemy import create_engine, select

from tests.helpers import PLANS, banan_live_from, run
from workplan.store.tables import T_EVENT, T_PROGRESS

BANAN = str(PLANS / "banan-2023.yaml")
EXAMPLE = str(PLANS / "example.yaml")
LEDGER = str(PLANS / "banan-2023-ledger.csv")


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


# 1 -------------------------------------------------------------------------------------------


def test_case1_an_excel_35_percent_is_35_not_0_35(db_url: str, tmp_path: Path) -> None:
    run("--lang", "en", "load", EXAMPLE, "--db", db_url)
    header = ["事项", "指标", "数值", "日期", "报送单位"]
    shown = workbook(
        tmp_path / "shown.xlsx",
        [header, [1, "central-disbursement", 0.35, datetime(2023, 4, 28), "区财政局"]],
        {"C2": "0%"},
    )
    run("--lang", "en", "progress", "import", str(shown), "--db", db_url)
    assert metrics(db_url, "2023-05-04") == {"central-disbursement": 35}

    fraction = workbook(
        tmp_path / "fraction.xlsx",
        [header, [1, "central-disbursement", 0.2, datetime(2023, 3, 31), "区财政局"]],
    )
    err = run("--lang", "en", "progress", "import", str(fraction), "--db", db_url, code=2).stderr
    assert err == (
        f"{fraction}:2:3: 数值: 中央衔接资金支出进度 is a percentage and 0.2 looks like a "
        "fraction: write 20 for 20%, or 0.2% if less than one per cent is meant; to record it "
        "anyway, use --force\n1 problem found\n"
    )
    unreadable = tmp_path / "unreadable.csv"
    unreadable.write_text(
        "事项,指标,数值,日期,报送单位\n"
        "1,central-disbursement,约40%,2023-05-20,区财政局\n"
        "1,central-disbursement,40,5月20日,区财政局\n",
        encoding="utf-8",
    )
    err = run("--lang", "en", "progress", "import", str(unreadable), "--db", db_url, code=2).stderr
    assert err.splitlines() == [
        f"{unreadable}:2:3: 数值: '约40%' says '约': write the figure alone (40%) and put '约' in the note",
        f"{unreadable}:3:4: 日期: '5月20日' is not a date: write it like 2023-05-04, 2023/5/4 "
        "or 2023年5月4日",
        "2 problems found",
    ]
    assert metrics(db_url, "2023-06-01") == {"central-disbursement": 35}


def test_numbers_and_dates_as_offices_write_them(db_url: str, tmp_path: Path) -> None:
    run("--lang", "en", "load", BANAN, "--db", db_url)
    ledger = tmp_path / "台账.csv"
    ledger.write_text(
        "事项,指标,数值,日期,报送单位\n"
        "16,central-disbursement,２５％,2023/4/20,区财政局\n"
        "16,municipal-disbursement,31,2023-4-20,区财政局\n"
        '7,consumption-support,"4,400万元",2023年4月20日,区商务委\n'
        '8,employment-scale,"4,935人",20230420,区人力社保局\n'
        "8,employment-scale,0.4936万,2023.4.27,区人力社保局\n",
        encoding="utf-8",
    )
    out = run("--lang", "en", "progress", "import", str(ledger), "--db", db_url).stdout
    assert out == f"imported {ledger}: 5 values, 0 obligations done, 0 notes\n"
    got = metrics(db_url, "2023-04-28")
    assert (got["central-disbursement"], got["municipal-disbursement"]) == (25, 31)
    assert (got["consumption-support"], got["employment-scale"]) == (0.44, 4936)
    wrong_unit = tmp_path / "unit.csv"
    wrong_unit.write_text(
        "item,metric,value,as_of,department\n7,consumption-support,35%,2023-05-20,区商务委\n",
        encoding="utf-8",
    )
    err = run("--lang", "en", "progress", "import", str(wrong_unit), "--db", db_url, code=2).stderr
    assert err.splitlines()[0] == (
        f"{wrong_unit}:2:3: value: '35%' is a percentage, but 全年消费帮扶金额 is counted in 亿元"
    )


def test_a_clerks_workbook_imports_as_it_reads(db_url: str, tmp_path: Path) -> None:
    """Made the way an office clerk makes one: a title row, Chinese headers, percent cells,
    date cells, columns of its own."""
    run("--lang", "en", "load", BANAN, "--db", db_url)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["巴南区2023年衔接资金支出进度台账（4月）"])
    sheet.merge_cells("A1:G1")
    sheet.append(["填报单位：区财政局", None, None, "填报日期：2023年4月21日"])
    sheet.append(["事项", "指标名称", "完成值(%)", "截至日期", "报送单位", "责任单位", "填报日期"])
    for title, value in (("中央衔接资金支出进度", 0.25), ("市级衔接资金支出进度", 0.31)):
        sheet.append(
            ["（十六）", title, value, datetime(2023, 4, 20), "区财政局", "区乡村振兴局", None]
        )
        sheet.cell(sheet.max_row, 3).number_format = "0.00%"
        sheet.cell(sheet.max_row, 4).number_format = "yyyy/m/d"
        sheet.cell(sheet.max_row, 7).value = datetime(2023, 4, 21)
    sheet.append([])
    path = tmp_path / "区财政局4月台账.xlsx"
    book.save(path)
    out = run("--lang", "en", "progress", "import", str(path), "--db", db_url).stdout
    assert out == (
        f"imported {path}: 2 values, 0 obligations done, 0 notes; "
        "columns ignored: 责任单位, 填报日期\n"
    )
    got = metrics(db_url, "2023-04-21")
    assert (got["central-disbursement"], got["municipal-disbursement"]) == (25, 31)


# 2 -------------------------------------------------------------------------------------------


def test_case2_done_closes_the_occurrence_of_its_day_never_a_guess(
    db_url: str, tmp_path: Path
) -> None:
    db = ("--db", db_url)
    run("--lang", "en", "load", BANAN, *db)
    out = run(
        "--lang", "en", "done", "2/monthly-inspection", "--by", "区教委", "--on", "2023-04-20", *db
    ).stdout
    assert out == "done: banan-2023 item 2 monthly-inspection@2023-04 on 2023-04-20 by 区教委\n"
    again = run(
        "--lang", "en", "done", "2/monthly-inspection", "--by", "区教委", "--on", "2023-04-20", *db
    )
    assert again.stdout.startswith("already recorded: banan-2023 item 2 monthly-inspection@2023-04")
    err = run(
        "--lang",
        "en",
        "done",
        "2/monthly-inspection",
        "--by",
        "区教委",
        "--on",
        "2023-04-25",
        *db,
        code=2,
    ).stderr
    assert err == (
        "error: item （二）: the occurrence 2023-04, which 2023-04-25 falls in, was already "
        "marked done on 2023-04-20 by 区教委; open: 2023-01, 2023-02, 2023-03, 2023-05, "
        "2023-06, 2023-07 …; name one: 2/monthly-inspection@2023-01 or --period 2023-01\n"
    )
    out = run(
        "--lang",
        "en",
        "done", "2/monthly-inspection", "--period", "2023-3", "--by", "区教委", "--on",
        "2023-04-25", *db,
    ).stdout  # fmt: skip
    assert out == "done: banan-2023 item 2 monthly-inspection@2023-03 on 2023-04-25 by 区教委\n"
    out = run(
        "--lang",
        "en",
        "done",
        "2/monthly-inspection@2023-02",
        "--by",
        "区教委",
        "--on",
        "2023-04-25",
        *db,
    ).stdout
    assert "monthly-inspection@2023-02 on 2023-04-25" in out

    run("--lang", "en", "load", EXAMPLE, *db)
    example = ("--plan", "example-2023", *db)
    err = run(
        "--lang",
        "en",
        "done",
        "1/dispatch",
        "--by",
        "区乡村振兴局",
        "--on",
        "2022-12-20",
        *example,
        code=2,
    )
    assert err.stderr == (
        "error: 2022-12-20 is outside the plan's period (2023-01-01 – 2024-01-29): "
        "is the year right?\n"
    )
    # without --on the day is today, long after this plan closed
    err = run("--lang", "en", "done", "1/dispatch", "--by", "区乡村振兴局", *example, code=2)
    assert "is outside the plan's period (2023-01-01 – 2024-01-29)" in err.stderr


def test_a_day_after_today_is_refused(db_url: str, tmp_path: Path) -> None:
    year = date.today().year
    plan = tmp_path / "this-year.yaml"
    plan.write_text(
        (PLANS.parent / "tests" / "plans" / "valid" / "minimal.yaml")
        .read_text(encoding="utf-8")
        .replace("year: 2023\n", f"year: {year}\nperiod: {{start: {year}-01-01, end: {year + 1}-12-31}}\n")
        .replace("due: year-end", f"due: {year + 1}-06-30")
        .replace("{by: 2023-06-30, value: 50}", f"{{by: {year}-06-30, value: 50}}"),
        encoding="utf-8",
    )  # fmt: skip
    run("--lang", "en", "load", str(plan), "--db", db_url)
    tomorrow = date.today() + timedelta(days=2)  # after today in every zone
    err = run(
        "--lang",
        "en",
        "done", "1/project-library", "--by", "区财政局", "--on", str(tomorrow), "--db", db_url,
        code=2,
    ).stderr  # fmt: skip
    assert err.startswith(f"error: {tomorrow} is after today (")
    err = run(
        "--lang",
        "en",
        "progress", "record", "1", "--value", "10", "--as-of", str(tomorrow), "--by", "区财政局",
        "--db", db_url, code=2,
    ).stderr  # fmt: skip
    assert err.startswith(f"error: {tomorrow} is after today (")


# 3 -------------------------------------------------------------------------------------------


def test_case3_a_running_ledger_imports_again_and_changes_nothing(
    db_url: str, tmp_path: Path
) -> None:
    db = ("--db", db_url)
    run("--lang", "en", "load", BANAN, *db)
    first = run("--lang", "en", "progress", "import", LEDGER, *db).stdout
    assert first == f"imported {LEDGER}: 83 values, 139 obligations done, 0 notes\n"
    before = run("--lang", "en", "status", "--as-of", "2023-07-03", "--format", "json", *db).stdout
    again = run("--lang", "en", "progress", "import", LEDGER, *db).stdout
    assert again == (
        f"imported {LEDGER}: 0 values, 0 obligations done, 0 notes; 222 already recorded\n"
    )
    assert (
        run("--lang", "en", "status", "--as-of", "2023-07-03", "--format", "json", *db).stdout
        == before
    )

    # the same ledger sent again in July with April's central-fund figure changed
    text = Path(LEDGER).read_text(encoding="utf-8")
    changed = tmp_path / "ledger-july.csv"
    changed.write_text(
        text.replace("16,central-disbursement,,25,2023-04-20", "16,central-disbursement,,26,2023-04-20"),
        encoding="utf-8",
    )  # fmt: skip
    line = text.splitlines().index("16,central-disbursement,,25,2023-04-20,区财政局,") + 1
    err = run("--lang", "en", "progress", "import", str(changed), *db, code=2).stderr
    assert err == (
        f"{changed}:{line}:4: 数值: 中央衔接资金支出进度 was reported as 25 for 2023-04-20 "
        "(by 区财政局); this says 26: to replace the earlier value, record the correction "
        "with --correct\n1 problem found\n"
    )
    out = run("--lang", "en", "progress", "import", str(changed), "--correct", *db).stdout
    assert out == (
        f"imported {changed}: 1 values, 0 obligations done, 0 notes; 221 already recorded; "
        "1 corrected\n"
    )
    assert metrics(db_url, "2023-04-21")["central-disbursement"] == 26
    # the earlier value stays in the history, with who corrected it and when
    engine = create_engine(db_url)
    with engine.connect() as conn:
        reports = conn.execute(
            select(T_PROGRESS.c.value, T_PROGRESS.c.replaced_by)
            .where(T_PROGRESS.c.as_of == date(2023, 4, 20), T_PROGRESS.c.value.in_([25, 26]))
            .order_by(T_PROGRESS.c.id)
        ).all()
        event = conn.execute(select(T_EVENT.c.kind, T_EVENT.c.by, T_EVENT.c.at)).one()
    engine.dispose()
    assert [r.value for r in reports] == [25, 26]
    assert reports[0].replaced_by is not None and reports[1].replaced_by is None
    assert (event.kind, event.by) == ("correct", "区财政局") and event.at is not None
    assert run("--lang", "en", "progress", "import", str(changed), *db).stdout.endswith(
        "222 already recorded\n"
    )


# 4 -------------------------------------------------------------------------------------------


def with_aliases(folder: Path, duty: str, metric: str) -> Path:
    """The example plan with a line of aliases under its monthly duty and under its metric."""
    plan = folder / "example.yaml"
    text = Path(EXAMPLE).read_text(encoding="utf-8")
    for title, line in (("专班调度", duty), ("中央衔接资金支出进度", metric)):
        text = text.replace(f"title: {title}\n", f"title: {title}\n            {line}\n")
    plan.write_text(text, encoding="utf-8")
    return plan


def test_case4_departments_use_their_own_words(db_url: str, tmp_path: Path) -> None:
    plan = with_aliases(tmp_path, "aliases: [月调度]", "aliases: [中央资金支出]")
    db = ("--db", db_url)
    run("--lang", "en", "load", str(plan), *db)
    out = run(
        "--lang",
        "en",
        "progress", "record", "1", "中央衔接资金支出进度", "--value", "25", "--as-of",
        "2023-04-20", "--by", "财政局", *db,
    ).stdout  # fmt: skip
    assert out == (
        "recorded example-2023 item 1 central-disbursement = 25% as of 2023-04-20 by 区财政局\n"
    )
    out = run(
        "--lang",
        "en",
        "progress", "record", "（一）", "中央资金支出", "--value", "26%", "--as-of", "2023-04-27",
        "--by", "区财政局", *db,
    ).stdout  # fmt: skip
    assert "central-disbursement = 26% as of 2023-04-27" in out
    out = run(
        "--lang",
        "en",
        "done",
        "十/专班调度",
        "--by",
        "区乡村振兴局",
        "--on",
        "2023-01-20",
        *db,
        code=2,
    )
    assert out.stderr == "error: plan example-2023 has no item （十） (10)\n"
    out = run(
        "--lang", "en", "done", "一/专班调度", "--by", "区乡村振兴局", "--on", "2023-01-20", *db
    ).stdout
    assert out == "done: example-2023 item 1 dispatch@2023-01 on 2023-01-20 by 区乡村振兴局\n"
    out = run(
        "--lang", "en", "done", "1/月调度", "--by", "区乡村振兴局", "--on", "2023-02-24", *db
    ).stdout
    assert "dispatch@2023-02 on 2023-02-24" in out

    ledger = tmp_path / "台账.csv"
    ledger.write_text(
        "示例区衔接资金台账\n"
        "\n"
        "事项,指标名称,任务,数值,截至日期,报送单位,责任单位\n"
        "（一）,中央资金支出,,30,2023-04-28,区财政局,区乡村振兴局\n"
        "1,,月调度,,2023-03-24,区乡村振兴局,\n"
        "1,中央资金,,31,2023-04-29,区财政局,\n",
        encoding="utf-8",
    )
    err = run("--lang", "en", "progress", "import", str(ledger), *db, code=2).stderr
    assert err == (
        f"{ledger}:6:2: 指标名称: item （一） has no metric '中央资金'; did you mean "
        "'中央资金支出'?\n1 problem found\n"
    )
    ledger.write_text(ledger.read_text(encoding="utf-8").replace("中央资金,", "中央资金支出,"))
    out = run("--lang", "en", "progress", "import", str(ledger), *db).stdout
    assert out == (
        f"imported {ledger}: 2 values, 1 obligations done, 0 notes; columns ignored: 责任单位\n"
    )


def test_aliases_are_checked_like_the_rest_of_the_plan(tmp_path: Path) -> None:
    plan = with_aliases(tmp_path, "alias: [月调度]", "aliases: [完成2024年项目库建设]")
    err = run("validate", str(plan), code=2).stderr.splitlines()
    t = "chapters[0].tasks[0]"
    assert err == [
        f"{plan}:44:13: {t}.recurring[0].alias: unknown key 'alias'; did you mean 'aliases'?",
        f"{plan}:50:23: {t}.metrics[0].aliases[0]: alias '完成2024年项目库建设' already names "
        "'project-library-2024' of item 1 (line 36); an alias must name one thing",
        "2 problems found",
    ]


# 5 -------------------------------------------------------------------------------------------


def test_case5_impossible_values_are_refused_with_the_reason(db_url: str, tmp_path: Path) -> None:
    db = ("--db", db_url)
    run("--lang", "en", "load", EXAMPLE, *db)

    def record(value: str, day: str, *more: str, code: int = 0) -> Result:
        return run(
            "--lang",
            "en",
            "progress", "record", "1", "--value", value, "--as-of", day, "--by", "区财政局",
            *more, *db, code=code,
        )  # fmt: skip

    record("30", "2023-04-20")
    assert record("-5", "2023-05-20", code=2).stderr == (
        "error: 中央衔接资金支出进度 is cumulative and cannot go down: -5 after 30 reported for "
        "2023-04-20; to record it anyway, use --force\n"
    )
    assert "cannot go down: 20 after 30" in record("20", "2023-06-20", code=2).stderr
    assert "is a percentage: 150 is above 100" in record("150", "2023-06-20", code=2).stderr
    assert record("40", "2031-05-04", code=2).stderr == (
        "error: 2031-05-04 is outside the plan's period (2023-01-01 – 2024-01-29): "
        "is the year right?\n"
    )
    # a value reported before one that is already recorded may not exceed it either
    assert "cannot go down: 35 before 30 reported for 2023-04-20" in (
        record("35", "2023-03-20", code=2).stderr
    )
    forced = record("20", "2023-06-20", "--force").stdout
    assert forced == (
        "recorded example-2023 item 1 central-disbursement = 20% as of 2023-06-20 by 区财政局 "
        "(forced: 中央衔接资金支出进度 is cumulative and cannot go down: 20 after 30 reported "
        "for 2023-04-20)\n"
    )
    engine = create_engine(db_url)
    with engine.connect() as conn:
        note = conn.execute(
            select(T_PROGRESS.c.note).where(T_PROGRESS.c.as_of == date(2023, 6, 20))
        ).scalar_one()
    engine.dispose()
    assert note.startswith("recorded with --force: 中央衔接资金支出进度 is cumulative")

    run("--lang", "en", "load", BANAN, *db)
    banan = ("--plan", "banan-2023", *db)
    err = run(
        "--lang",
        "en",
        "progress", "record", "8", "new-workshops", "--value", "-1", "--as-of", "2023-06-30",
        "--by", "区人力社保局", *banan, code=2,
    ).stderr  # fmt: skip
    assert err.startswith("error: 新增帮扶车间 is a count (家) and cannot be negative: -1")
    err = run(
        "--lang",
        "en",
        "progress", "record", "12", "model-villages", "--value", "40", "--as-of", "2023-06-30",
        "--by", "区乡村振兴局", *banan, code=2,
    ).stderr  # fmt: skip
    assert "40 is more than 10 times the plan's figure (3个)" in err

    ledger = tmp_path / "ledger.csv"
    ledger.write_text(
        "item,metric,value,as_of,department\n"
        "16,central-disbursement,30,2023-04-20,区财政局\n"
        "16,central-disbursement,-5,2023-05-20,区财政局\n"
        "16,central-disbursement,20,2023-06-20,区财政局\n",
        encoding="utf-8",
    )
    err = run("--lang", "en", "progress", "import", str(ledger), *banan, code=2).stderr.splitlines()
    assert err[0].startswith(f"{ledger}:3:3: value: 中央衔接资金支出进度 is cumulative")
    assert err[1].startswith(f"{ledger}:4:3: value: 中央衔接资金支出进度 is cumulative")


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

    err = run(
        "--lang",
        "en",
        "status",
        "--db",
        "postgresql+psycopg://workplan:secret@127.0.0.1:1/x",
        code=1,
    )
    assert err.stderr.startswith(
        "error: cannot reach the database postgresql+psycopg://workplan:***@127.0.0.1:1/x: "
    )
    assert err.stderr.count("\n") == 1 and "secret" not in err.stderr


def test_without_smtp_every_sender_says_where_messages_went(tmp_path: Path) -> None:
    db = ("--db", str(tmp_path / "w.db"))
    outbox = tmp_path / "outbox"
    run("--lang", "en", "load", str(banan_live_from(tmp_path)), *db)
    run("--lang", "en", "tick", "--as-of", "2023-05-04", *db)
    out = run(
        "--lang", "en", "dispatch", "--now", "2023-05-04T09:00", "--outbox", str(outbox), *db
    ).stdout.splitlines()
    assert out[-1] == (
        f"written to {outbox}, no SMTP configured (set WORKPLAN_SMTP_HOST, or [smtp] host in "
        "--config, to send by e-mail)"
    )
    run("--lang", "en", "tick", "--as-of", "2023-05-09", *db)
    out = run(
        "--lang", "en", "run", "--once", "--now", "2023-05-09T09:00", "--outbox", str(outbox), *db
    ).stdout
    assert out.splitlines()[-1].startswith(f"written to {outbox}, no SMTP configured")
