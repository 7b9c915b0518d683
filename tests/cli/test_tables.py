"""Tables for people: complete at any width, plain when piped, in the plan's language."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.cells import cell_len

from tests.helpers import PLANS, run
from workplan.cli import render as tables
from workplan.cli.commands import cli

BANAN = str(PLANS / "banan-2023.yaml")
LEDGER = str(PLANS / "banan-2023-ledger.csv")
EXAMPLE = str(PLANS / "example.yaml")


@pytest.fixture
def banan(db_url: str, tmp_path: Path) -> Iterator[tuple[str, ...]]:
    """The Banan plan with its ledger, its service run every July morning up to the 10th,
    the morning's notices of the 10th ticked but not sent (the ladder climbs by letters sent:
    the 催办 of 3 July and the 督办 of the 7th went before)."""
    db = ("--db", db_url)
    run("load", BANAN, *db)
    run("progress", "import", LEDGER, *db)
    for n in range(3, 10):
        morning = f"2023-07-{n:02d}T09:00"
        run("run", "--once", "--now", morning, "--outbox", str(tmp_path / "out"), *db)
    run("tick", "--as-of", "2023-07-10", *db)
    yield db


def cells(line: str) -> list[str]:
    """Return a line as terminal cells: a wide character, then an empty cell."""
    out: list[str] = []
    for char in line:
        out += [char] + [""] * (cell_len(char) - 1)
    return out


def read_grid(text: str, headers: list[str]) -> list[dict[str, str]]:
    """Read a table back: each column's text of a row, its wrapped lines joined.

    Spaces are dropped, so a value reads the same whichever way it was wrapped.
    """
    lines = text.splitlines()
    at = next(n for n, line in enumerate(lines) if all(h in line for h in headers))
    # the rule under the headers has one run of ─ per column
    rule = cells(lines[at + 1])
    starts = [i for i, c in enumerate(rule) if c == "─" and (i == 0 or rule[i - 1] == " ")]
    assert len(starts) == len(headers), lines[at + 1]
    bounds = list(zip(starts, [*starts[1:], None], strict=True))

    def split(line: str) -> list[str]:
        row = cells(line)
        return ["".join(row[a:b]).replace(" ", "") for a, b in bounds]

    assert split(lines[at]) == [h.replace(" ", "") for h in headers]
    rows: list[dict[str, str]] = []
    for line in lines[at + 2 :]:
        if not line.strip():
            break
        parts = split(line)
        # a new row starts where the first column is filled
        if parts[0] or not rows:
            rows.append(dict(zip(headers, parts, strict=True)))
        else:
            for h, part in zip(headers, parts, strict=True):
                rows[-1][h] += part
    return rows


def check_lines(text: str, width: int | None) -> None:
    for line in text.splitlines():
        assert line == line.rstrip(), f"trailing spaces: {line!r}"
        if width is not None:
            assert cell_len(line) <= width, f"wider than {width}: {line!r}"


def squeeze(text: str) -> str:
    return text.replace(" ", "")


STATUS_ZH = ["事项", "内容", "牵头单位", "状态", "完成", "下一期限", "逾期"]
METRICS_ZH = ["事项", "指标", "最新报告", "下一节点", "年度目标", "序时进度", "状态"]


@pytest.mark.parametrize("width", [80, 120, None], ids=["80", "120", "piped"])
def test_status_shows_every_column_and_value(banan: tuple[str, ...], width: int | None) -> None:
    # seen: piped, status had no Overdue column and no metric State; at 120 columns the
    # overdue cell was cut before the escalation level; states and headers were English
    out = run("status", "--as-of", "2023-07-10", *banan, columns=width).stdout
    check_lines(out, width)
    data = json.loads(run("status", "--as-of", "2023-07-10", "--format", "json", *banan).stdout)
    items = read_grid(out, STATUS_ZH)
    assert len(items) == len(data["items"]) == 25
    for row, item in zip(items, data["items"], strict=True):
        assert row["事项"] == item["label"]
        assert row["内容"] == squeeze(item["title"])
        assert row["牵头单位"] == squeeze("、".join(item["lead"]))
        assert row["状态"] == tables.ZH[item["state"]]
        # item 16's four yes/no results (纳入 or not) are counted apart, never as "1/1"
        outcomes = f"达成0/{len(item['outcomes'])}" if item["outcomes"] else ""
        assert row["完成"] == f"{item['done']}/{item['total']}{outcomes}"
        if item["next_due"]:
            assert squeeze(item["next_due"]["title"]) in row["下一期限"]
            assert "wd" not in row["下一期限"]
    overdue = {r["事项"]: r["逾期"] for r in items}
    # June's in-village average, reported on time but short: a shortfall, at most 催办
    assert overdue["（五）"] == "1项，最早06-30，催办"
    assert overdue["（十）"] == "1项，最早06-30，督办"
    metrics = read_grid(out.split("\n指标\n", 1)[1], METRICS_ZH)
    expected = [(i["label"], m) for i in data["items"] for m in i["metrics"]]
    assert len(metrics) == len(expected) == 19
    for row, (label, m) in zip(metrics, expected, strict=True):
        assert row["事项"] == label
        assert row["指标"] == squeeze(m["title"])
        assert row["状态"] == tables.ZH[m["state"]]
    if width is None:
        # piped: full values on one line each, whatever their width
        assert any(cell_len(line) > 120 for line in out.splitlines())


def test_status_speaks_english_when_asked(banan: tuple[str, ...]) -> None:
    out = run("status", "--as-of", "2023-07-10", "--lang", "en", *banan, columns=80).stdout
    check_lines(out, 80)
    headers = ["Item", "Title", "Lead", "State", "Done", "Next due", "Overdue"]
    rows = read_grid(out, headers)
    assert rows[4]["State"] == "overdue"
    assert rows[4]["Overdue"] == "1since06-30,催办"
    assert rows[1]["Next due"].endswith("(15wd)")


@pytest.mark.parametrize("width", [80, 120, None], ids=["80", "120", "piped"])
def test_notices_keep_the_ids_show_needs(banan: tuple[str, ...], width: int | None) -> None:
    # seen: at 80 columns the ID column was zero wide; About showed ids, not what was owed
    out = run("notices", *banan, columns=width).stdout
    check_lines(out, width)
    data = json.loads(run("notices", "--format", "json", *banan).stdout)
    headers = [
        "ID",
        "事项",
        "单位",
        "通知",
        "涉及",
        "文号",
        "成文日期",
        "发送状态",
        "实际发送时间",
    ]
    rows = read_grid(out, [*headers, "错误"])
    # 16 (23 before issue 22's item 4): a shortfall opens with a 提示函 and stops at 催办, a
    # standing duty's review climbs no higher than its 催办
    assert [r["ID"] for r in rows] == [str(n["id"]) for n in data] and len(rows) == 16
    for row, notice in zip(rows, data, strict=True):
        assert row["单位"] == notice["department"]
        assert row["涉及"] == squeeze(notice["title"]) != ""
        # a number is taken when the letter is sent: the 10th's, not yet sent, have none
        if notice["status"] in ("sent", "written"):  # (the office's 抄送 summary: no number)
            assert row["发送状态"] == {"sent": "已发送", "written": "已写入"}[notice["status"]]
            assert row["文号"] == (notice["number"] or "–")
        else:
            assert row["发送状态"] == "待发送"
            assert row["文号"] == "–" and notice["number"] is None
    # (a shortfall's 提示函 is numbered in the 提示函 series)
    assert {n["number"][:6] for n in data if n["number"]} == {"巴南乡振督〔", "巴南乡振提〔"}


@pytest.mark.parametrize("width", [80, 120, None], ids=["80", "120", "piped"])
def test_tick_details_are_whole(banan: tuple[str, ...], width: int | None) -> None:
    # seen: tick's Detail column was three characters wide at 80 columns
    out = run("tick", "--as-of", "2023-07-20", *banan, columns=width).stdout
    check_lines(out, width)
    rows = read_grid(out, ["日期", "事项", "通知", "涉及", "发往", "说明"])
    # （十二） and （二十）, the standing duties' reviews the plan added (issue 11), stay at the
    # 催办 they reached before: a review cadence the office chose climbs no higher, and the
    # office never writes to itself (issue 22)
    assert {r["事项"] for r in rows} == {"（十）", "（十六）"}
    rows = [r for r in rows if r["事项"] in ("（十）", "（十六）") and r["通知"] != "情况报告"]
    details = {r["事项"]: r["说明"] for r in rows}
    assert details["（十）"] == "2023-06-30到期，逾期14个工作日"
    assert details["（十六）"] == "2023-07-20到期（今天）：50%，目标55.07%，差5.07，趋势50.5%"
    # the leadership hears of the 通报 in the month's report, not as a copy of it
    assert {r["发往"] for r in rows} == {"区农业农村委", "区乡村振兴局、区财政局"}


def test_simulate_table_fits_and_summary_csv_is_a_summary() -> None:
    out = run("simulate", EXAMPLE, "--to", "2023-03-31", columns=80).stdout
    *tables_part, letters = out.splitlines()
    check_lines("\n".join(tables_part), 80)
    assert letters.endswith(")") and "messages on" in letters  # a sentence, not a table
    assert "按月份和级别" in out and "按单位" in out
    # seen: --summary was ignored by --format csv
    text = run("simulate", EXAMPLE, "--to", "2023-03-31", "--summary", "--format", "csv").stdout
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert list(rows[0]) == ["month", "department", "notice", "count"]
    full = run("simulate", EXAMPLE, "--to", "2023-03-31", "--format", "csv").stdout
    assert sum(int(r["count"]) for r in rows) == len(full.splitlines()) - 1
    assert {r["month"] for r in rows} <= {"2023-01", "2023-02", "2023-03"}


def test_csv_opens_in_excel_and_holds_the_metrics(banan: tuple[str, ...]) -> None:
    # seen: no BOM (mojibake in Excel), no metrics in status csv, booleans as False
    text = run("status", "--as-of", "2023-07-10", "--format", "csv", *banan).stdout
    assert text.startswith("\ufeffitem,kind,")
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    metrics = [r for r in rows if r["kind"] == "metric"]
    assert len([r for r in rows if r["kind"] == "item"]) == 25
    central = next(r for r in metrics if r["key"] == "central-disbursement")
    data = json.loads(run("status", "--as-of", "2023-07-10", "--format", "json", *banan).stdout)
    [sixteen] = [i for i in data["items"] if i["number"] == 16]
    [expected] = [m for m in sixteen["metrics"] if m["key"] == "central-disbursement"]
    assert (central["item"], float(central["value"])) == ("16", 52)
    assert central["state"] == expected["state"]
    assert float(central["expected"]) > 52 and float(central["final_target"]) == 100
    notices = run("notices", "--format", "csv", *banan).stdout
    assert notices.startswith("\ufeff")
    [first, *_] = csv.DictReader(io.StringIO(notices.removeprefix("\ufeff")))
    assert first["possible_duplicate"] == "false"


def test_wrap_breaks_chinese_anywhere_and_words_at_spaces() -> None:
    assert tables.wrap("07-31 核查比对低收入人群", 12) == ["07-31 核查比", "对低收入人群"]
    assert tables.wrap("due 2023-07-20 (3 wd)", 10) == ["due", "2023-07-20", "(3 wd)"]
    assert tables.wrap("abcdefghij", 4) == ["abcd", "efgh", "ij"]
    for width in (80, 120):
        text = tables.grid(
            "t",
            [tables.Column("ID", keep=True), tables.Column("说明")],
            [["123", "很长的说明" * 30]],
            width,
        )
        check_lines(text, width)


@pytest.mark.parametrize("width", [80, None], ids=["80", "piped"])
def test_agenda_lists_the_months_deadlines(banan: tuple[str, ...], width: int | None) -> None:
    args = ("agenda", "--from", "2023-07-01", "--to", "2023-07-31", *banan)
    out = run(*args, columns=width).stdout
    check_lines(out, width)
    data = json.loads(run(*args, "--format", "json").stdout)["items"]
    rows = read_grid(out, ["期限", "剩余", "事项", "应办事项", "目标值", "责任单位"])
    assert len(rows) == len(data) == 16
    assert all("2023-07-01" <= d["deadline"] <= "2023-07-31" for d in data)
    assert [d["deadline"] for d in data] == sorted(d["deadline"] for d in data)
    first = rows[0]
    assert (first["期限"], first["剩余"], first["事项"]) == ("07-07", "5个工作日", "（二）")
    central = next(r for r in rows if r["应办事项"] == "中央衔接资金支出进度")
    assert (central["目标值"], central["责任单位"]) == ("55.07%", "区乡村振兴局、区财政局")
    # a checkpoint still ahead is listed, never marked done on today's figure (issue 22)
    assert any(r["应办事项"] == "脱贫人口就业规模" for r in rows)
    assert not any(r["应办事项"].endswith("（已完成）") for r in rows if r["期限"] > "07-01")
    mine = json.loads(run(*args, "--department", "区财政局", "--format", "json").stdout)["items"]
    assert mine and all("区财政局" in d["departments"] for d in mine)
    assert len(mine) < len(data)


def test_agenda_refuses_a_period_backwards(banan: tuple[str, ...]) -> None:
    result = CliRunner().invoke(
        cli, ["agenda", "--from", "2023-07-31", "--to", "2023-07-01", *banan]
    )
    assert result.exit_code == 2
    assert result.stderr == "错误：时段的结束日（2023年7月1日）早于开始日（2023年7月31日）\n"
    result = CliRunner().invoke(
        cli, ["--lang", "en", "agenda", "--from", "2023-07-31", "--to", "2023-07-01", *banan]
    )
    assert result.stderr == "error: the period ends (2023-07-01) before it starts (2023-07-31)\n"
