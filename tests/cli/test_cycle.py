"""The office's cycle by command (issue 24): 交办 without YAML, 签收, 延期申请 and its answer,
复核 and 退回, problems that need coordination, 挂起 and resume; every step a kept record."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.helpers import PLANS, run

OFFICE = "区委农办"
LEAD = "区住房城乡建委"
CO = "区农业农村委"


@pytest.fixture
def db(db_url: str) -> tuple[str, str]:
    run("load", str(PLANS / "banan-2023.yaml"), "--db", db_url)
    return ("--db", db_url)


def _assign(db: tuple[str, str], *more: str, on: str = "2023-07-03") -> str:
    return run(
        "assign",
        "排查农村危房并建立台账",
        "--source",
        "领导批示",
        "--leader",
        "张三",
        "--document",
        "区领导批示〔2023〕12号",
        "--lead",
        LEAD,
        "--co",
        CO,
        "--due",
        "2023-08-31",
        "--by",
        OFFICE,
        "--on",
        on,
        *more,
        *db,
    ).output


def _history(db: tuple[str, str], item: str = "交办1") -> list[dict[str, object]]:
    steps: list[dict[str, object]] = json.loads(
        run("history", item, "--format", "json", *db).output
    )
    return steps


def test_assign_numbers_its_own_series_and_behaves_like_an_item(db: tuple[str, str]) -> None:
    assert "（交办1） 排查农村危房并建立台账 — 牵头 区住房城乡建委，配合 区农业农村委" in _assign(
        db
    )
    second = run(
        "assign",
        "落实区委常委会议定事项",
        "--source",
        "会议议定事项",
        "--document",
        "区委常委会纪要〔2023〕5号",
        "--lead",
        "区财政局",
        "--every",
        "month",
        "--due",
        "2023-10-31",
        "--by",
        OFFICE,
        "--on",
        "2023-07-03",
        *db,
    ).output
    assert "（交办2）" in second and "report@2023-07" in second
    status = run("status", "--as-of", "2023-07-05", *db).output
    assert "（交办1）" in status and "（交办2）" in status
    # its ladder is the plan's: overdue the day after, told to the lead like any item
    mine = [n for n in _tick(db, "2023-09-01") if n["item"] == 1001]
    assert mine and {n["department"] for n in mine} >= {LEAD}
    # reloading the plan file neither diffs nor drops it
    reload = run("load", str(PLANS / "banan-2023.yaml"), "--dry-run", *db).output
    assert "交办" not in reload
    assert "（交办1）" in run("status", "--as-of", "2023-07-05", *db).output
    step = _history(db)[0]
    assert step["step"] == "assign" and step["department"] == OFFICE
    assert step["detail"]["leader"] == "张三" and step["detail"]["source"] == "领导批示"  # type: ignore[index]


def test_assign_refuses_what_is_incomplete(db: tuple[str, str]) -> None:
    base = ("assign", "x", "--lead", LEAD, "--by", OFFICE, "--on", "2023-07-03", *db)
    out = run(*base, "--source", "领导批示", "--due", "2023-08-31", code=2).output
    assert "须写明批示领导" in out
    out = run(*base, "--source", "上级交办", code=2).output
    assert "请填写办理时限或报送周期" in out
    out = run(*base, "--source", "上级交办", "--due", "2023-06-30", code=2).output
    assert "早于今天" in out
    out = run(
        *base[:-4],
        "--by",
        LEAD,
        "--on",
        "2023-07-03",
        *db,
        "--source",
        "上级交办",
        "--due",
        "2023-08-31",
        code=2,
    ).output
    assert "只有区委农办可以交办" in out


def test_receipt_is_by_the_departments_of_the_item_only(db: tuple[str, str]) -> None:
    _assign(db)
    assert (
        "签收 （交办1） — 区住房城乡建委 2023-07-04"
        in run("receipt", "交办1", "--by", LEAD, "--on", "2023-07-04", *db).output
    )
    assert "此前已签收" in run("receipt", "交办1", "--by", LEAD, "--on", "2023-07-05", *db).output
    out = run("receipt", "交办1", "--by", "区财政局", "--on", "2023-07-04", *db, code=2).output
    assert "区财政局不是事项（交办1）的责任单位" in out
    assert [s["step"] for s in _history(db)] == ["assign", "receipt"]


def test_a_request_is_answered_and_an_approval_moves_the_deadline(db: tuple[str, str]) -> None:
    _assign(db)
    ask = ("request", "交办1", "--by", LEAD, "--to", "2023-09-30", "--reason", "需等待市级数据")
    run(*ask, "--on", "2023-08-20", *db)
    again = run(*ask, "--on", "2023-08-21", *db, code=2).output
    assert "尚待批复" in again
    out = run(
        "answer", "交办1", "--refuse", "--by", OFFICE, "--on", "2023-08-21", *db, code=2
    ).output
    assert "不同意的理由" in out or "reason" in out
    run(
        "answer",
        "交办1",
        "--refuse",
        "--by",
        OFFICE,
        "--reason",
        "时限不变",
        "--on",
        "2023-08-21",
        *db,
    )
    # refused: the ladder goes on from the deadline that stays
    assert [n for n in _tick(db, "2023-09-01") if n["item"] == 1001]
    run(*ask, "--on", "2023-08-22", *db)
    run("answer", "交办1", "--approve", "--by", OFFICE, "--on", "2023-08-23", *db)
    assert not [
        n for n in _tick(db, "2023-09-04") if n["item"] == 1001 and int(str(n["level"])) > 0
    ]
    steps = [s["step"] for s in _history(db)]
    assert steps == ["assign", "request", "refuse", "request", "approve"]


def test_a_request_after_the_deadline_is_refused_with_the_reason(db: tuple[str, str]) -> None:
    _assign(db)
    out = run(
        "request",
        "交办1",
        "--by",
        LEAD,
        "--to",
        "2023-09-30",
        "--reason",
        "来不及",
        "--on",
        "2023-09-01",
        *db,
        code=2,
    ).output
    assert "延期须在时限前申请" in out
    out = run(
        "request",
        "交办1",
        "--by",
        "区财政局",
        "--to",
        "2023-09-30",
        "--reason",
        "x",
        "--on",
        "2023-08-01",
        *db,
        code=2,
    ).output
    assert "的责任单位" in out


def _tick(db: tuple[str, str], day: str) -> list[dict[str, object]]:
    owed: list[dict[str, object]] = json.loads(
        run("tick", "--as-of", day, "--format", "json", *db).output
    )
    return owed


def test_review_sends_back_then_accepts_and_the_item_closes(db: tuple[str, str]) -> None:
    _assign(db)
    out = run(
        "review", "交办1", "--accept", "--by", OFFICE, "--on", "2023-08-24", *db, code=2
    ).output
    assert "没有待复核的报告" in out
    run("done", "交办1", "--by", LEAD, "--on", "2023-08-25", *db)
    out = run(
        "review", "交办1", "--return", "--by", OFFICE, "--on", "2023-08-28", *db, code=2
    ).output
    assert "退回理由" in out or "reason" in out
    run(
        "review",
        "交办1",
        "--return",
        "--by",
        OFFICE,
        "--reason",
        "台账不全",
        "--on",
        "2023-09-04",
        *db,
    )
    # sent back after the deadline: open again, counted from that day
    status = json.loads(run("status", "--as-of", "2023-09-04", "--format", "json", *db).output)
    item = next(i for i in status["items"] if i["number"] == 1001)
    assert item["done"] == 0
    run("done", "交办1", "--by", LEAD, "--on", "2023-09-05", *db)
    out = run("review", "交办1", "--accept", "--by", OFFICE, "--on", "2023-09-06", *db).output
    assert "事项已办结（销号）" in out
    out = run(
        "review", "交办1", "--accept", "--by", OFFICE, "--on", "2023-09-06", *db, code=2
    ).output
    assert "复核通过" in out
    out = run("review", "交办1", "--accept", "--by", LEAD, "--on", "2023-09-06", *db, code=2).output
    assert "只有区委农办可以复核" in out
    assert not [n for n in _tick(db, "2023-09-07") if n["item"] == 1001]
    steps = _history(db)
    assert [s["step"] for s in steps] == ["assign", "return", "accept"]
    assert steps[1]["reason"] == "台账不全"


def test_problems_are_raised_decided_and_listed(db: tuple[str, str]) -> None:
    _assign(db)
    run(
        "problem",
        "raise",
        "交办1",
        "危房鉴定机构不足，需区级统筹",
        "--by",
        LEAD,
        "--on",
        "2023-07-10",
        *db,
    )
    out = run(
        "problem", "raise", "交办1", "x", "--by", "区财政局", "--on", "2023-07-10", *db, code=2
    )
    assert "的责任单位" in out.output
    listed = json.loads(run("problem", "list", "--format", "json", *db).output)
    assert listed[0]["决定"] == "待协调"
    number = listed[0]["编号"]
    run(
        "problem",
        "decide",
        number,
        "由区财政局统筹鉴定经费",
        "--by",
        OFFICE,
        "--on",
        "2023-07-20",
        *db,
    )
    listed = json.loads(run("problem", "list", "--format", "json", *db).output)
    assert "由区财政局统筹鉴定经费" in listed[0]["决定"]
    again = run("problem", "decide", number, "y", "--by", OFFICE, *db, code=2).output
    assert "已于2023年7月20日作出决定" in again


def test_a_pause_stops_the_ladder_and_keeps_the_deadline(db: tuple[str, str]) -> None:
    _assign(db)
    run("pause", "交办1", "--by", OFFICE, "--reason", "等待市级审核", "--on", "2023-08-30", *db)
    assert not [n for n in _tick(db, "2023-09-05") if n["item"] == 1001]
    shown = run("status", "--as-of", "2023-09-05", *db).output
    assert "（交办1） 挂起 since 2023-08-30 (6 days): 等待市级审核" in shown
    exported = json.loads(run("status", "--as-of", "2023-09-05", "--format", "json", *db).output)
    assert [s["step"] for s in exported["cycle_steps"]] == ["assign", "pause"]
    out = run("pause", "交办1", "--by", OFFICE, "--reason", "x", "--on", "2023-09-05", *db, code=2)
    assert "已于2023年8月30日挂起" in out.output
    out = run("resume", "交办1", "--by", OFFICE, "--on", "2023-09-11", *db).output
    assert "已挂起12天" in out
    # resumed after its deadline: its clock restarts that day (due today: a reminder, not
    # the ladder), and it is overdue the next working day
    assert {n["rule"] for n in _tick(db, "2023-09-11") if n["item"] == 1001} <= {"remind"}
    assert {n["rule"] for n in _tick(db, "2023-09-12") if n["item"] == 1001} == {"overdue"}
    with create_engine(db[1]).connect() as conn:
        deadline = conn.execute(
            text(
                "SELECT deadline FROM obligation o JOIN task t ON t.id = o.task_id WHERE t.number = 1001"
            )
        ).scalar_one()
    assert str(deadline) == "2023-08-31"


def test_a_list_is_imported_as_entries_of_its_item(db: tuple[str, str]) -> None:
    out = run(
        "list",
        "import",
        str(PLANS / "banan-2023-lists.xlsx"),
        "--item",
        "二",
        "--by",
        OFFICE,
        "--on",
        "2023-06-01",
        *db,
    ).output
    assert "事项二的交办件4项" in out
    steps = json.loads(run("history", "--format", "json", *db).output)
    assert steps and all(s["detail"]["list_of"] == 2 for s in steps)
    assert {s["detail"]["source"] for s in steps} == {"清单条目"}


def test_a_list_with_a_bad_row_is_refused_whole(db: tuple[str, str], tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["序号", "事项", "牵头单位", "完成时限"])
    sheet.append([1, "整改甲", LEAD, "2023-09-30"])
    sheet.append([2, "整改乙", "", "九月底"])
    path = tmp_path / "list.xlsx"
    book.save(path)
    out = run(
        "list",
        "import",
        str(path),
        "--item",
        "二十",
        "--by",
        OFFICE,
        "--on",
        "2023-06-01",
        *db,
        code=2,
    ).output
    assert "list.xlsx:3:1: 牵头单位:" in out and "list.xlsx:3:1: 完成时限:" in out
    assert json.loads(run("history", "--format", "json", *db).output) == []


def test_a_department_that_has_not_signed_for_it_is_followed_up_sooner(db: tuple[str, str]) -> None:
    _assign(db)  # Monday 3 July; the plan's cycle.receipt_days: 2 working days
    # the 交办单 goes to each of its departments the day it is assigned
    owed = [n for n in _tick(db, "2023-07-03") if n["item"] == 1001]
    assert {(n["department"], n["notice"]) for n in owed} == {(CO, "交办单"), (LEAD, "交办单")}
    run("receipt", "交办1", "--by", CO, "--on", "2023-07-04", *db)
    # (the tick lists what it adds: the 交办单 is owed once, whatever the days it waits)
    assert not [n for n in _tick(db, "2023-07-04") if n["item"] == 1001]
    owed = [n for n in _tick(db, "2023-07-05") if n["item"] == 1001]
    assert [(n["department"], n["notice"]) for n in owed] == [(LEAD, "签收提醒")]
    run("receipt", "交办1", "--by", LEAD, "--on", "2023-07-06", *db)
    assert not [n for n in _tick(db, "2023-07-06") if n["item"] == 1001]


def test_a_request_left_unanswered_reminds_the_office(db: tuple[str, str]) -> None:
    _assign(db)
    for department in (LEAD, CO):
        run("receipt", "交办1", "--by", department, "--on", "2023-07-04", *db)
    run(
        "request",
        "交办1",
        "--by",
        LEAD,
        "--to",
        "2023-09-30",
        "--reason",
        "需等待市级数据",
        "--on",
        "2023-07-06",
        *db,
    )
    assert not [n for n in _tick(db, "2023-07-10") if n["item"] == 1001]
    owed = [n for n in _tick(db, "2023-07-11") if n["item"] == 1001]
    assert [(n["department"], n["notice"]) for n in owed] == [(OFFICE, "延期申请待批复")]
    run("answer", "交办1", "--approve", "--by", OFFICE, "--on", "2023-07-12", *db)
    assert not [n for n in _tick(db, "2023-07-12") if n["item"] == 1001]


def test_the_agenda_and_the_brief_show_problems_pauses_and_the_assigned_items(
    db: tuple[str, str], tmp_path: Path
) -> None:
    _assign(db)
    run("problem", "raise", "交办1", "危房鉴定机构不足", "--by", LEAD, "--on", "2023-07-10", *db)
    run("problem", "raise", "二", "参保数据口径不一", "--by", "区医保局", "--on", "2023-07-11", *db)
    number = json.loads(run("problem", "list", "--format", "json", *db).output)[1]["编号"]
    run(
        "problem", "decide", number, "由区医保局统一口径", "--by", OFFICE, "--on", "2023-07-20", *db
    )
    run("pause", "十六", "--by", OFFICE, "--reason", "等待市级审核", "--on", "2023-07-03", *db)
    agenda = run("agenda", "--from", "2023-08-01", "--to", "2023-08-31", *db).output
    assert (
        "需协调解决的问题" in agenda
        and "（交办1） 区住房城乡建委 2023-07-10：危房鉴定机构不足" in agenda
    )
    assert "参保数据口径不一" not in agenda  # decided already
    assert "（交办1）" in agenda.split("需协调")[0]  # its deadline beside the plan's
    out = tmp_path / "brief.html"
    run("brief", "--month", "2023-07", "-o", str(out), *db)
    page = out.read_text(encoding="utf-8")
    assert "本月提出问题2个，已作出决定1个，尚待协调1个；挂起事项1项。" in page
    assert "由区医保局统一口径" in page and "等待市级审核" in page
    assert "<td>交办件</td>" in page  # the 交办件 counted beside the plan's chapters


def test_a_decision_becomes_a_tracked_item_with_its_own_ladder(db: tuple[str, str]) -> None:
    run("problem", "raise", "二", "危房鉴定机构不足", "--by", LEAD, "--on", "2023-07-10", *db)
    number = json.loads(run("problem", "list", "--format", "json", *db).output)[0]["编号"]
    out = run(
        "problem",
        "decide",
        number,
        "由区财政局安排鉴定经费",
        "--by",
        OFFICE,
        "--lead",
        "区财政局",
        "--due",
        "2023-08-15",
        "--on",
        "2023-07-20",
        *db,
    ).output
    assert "已作为（交办1）交办" in out
    steps = _history(db)
    assert steps[0]["detail"]["source"] == "会议议定事项"  # type: ignore[index]
    assert steps[0]["reason"] == f"问题{number}的决定"
    assert [n for n in _tick(db, "2023-08-16") if n["item"] == 1001 and n["rule"] == "overdue"]
