"""复核 and 退回 where the plan says reports are reviewed (issue 24, item 4), by command, on
SQLite and PostgreSQL: a report counts only once the office accepts it; 退回 re-opens it from
that day and its department is told; the values that count are the accepted ones; the
refusals (a review of a report already accepted, a review where none is pending); plans
without review behave as before.  The plan: ``tests/plans/valid/review.yaml``."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import VALID, run

PLAN = VALID / "review.yaml"
OFFICE = "区乡村振兴局"
FIN = "区财政局"
AGRI = "区农业农村委"


@pytest.fixture
def db(db_url: str) -> tuple[str, str]:
    run("load", str(PLAN), "--db", db_url)
    return ("--db", db_url)


def _status(db: tuple[str, str], day: str) -> dict[int, Any]:
    out = json.loads(run("status", "--as-of", day, "--format", "json", *db).output)
    return {i["number"]: i for i in out["items"]}


def _tick(db: tuple[str, str], day: str) -> list[tuple[str, str, str]]:
    """The notices a tick adds that day (rule, department, about)."""
    owed = json.loads(run("tick", "--as-of", day, "--format", "json", *db).output)
    return sorted((n["rule"], n["department"], n["about"]) for n in owed)


def _library(db: tuple[str, str], day: str) -> list[tuple[str, str, str]]:
    return [n for n in _tick(db, day) if n[2] == "library"]


def _review(db: tuple[str, str], ref: str, *more: str, on: str, code: int = 0) -> str:
    return run("review", ref, *more, "--by", OFFICE, "--on", on, *db, code=code).output


def test_a_report_counts_only_once_the_office_accepts_it(db: tuple[str, str]) -> None:
    out = run("done", "1/library", "--by", FIN, "--on", "2023-06-28", *db).output
    assert "待办公室复核" in out
    # item 1's duty 'ledger' says needs_review: false, item 2 says nothing: they count at once
    assert "已完成" in run("done", "1/ledger", "--by", FIN, "--on", "2023-06-28", *db).output
    run("done", "2", "--by", AGRI, "--on", "2023-06-28", *db)
    items = _status(db, "2023-07-03")
    # library waits, not late; the metric's checkpoint has no value: that one is late
    assert [o["key"] for o in items[1]["overdue"]] == ["spending#1"]
    assert (items[1]["done"], [a["key"] for a in items[1]["awaiting"]]) == (1, ["library"])
    assert _status(db, "2023-06-29")[1]["state"] == "awaiting review"
    assert items[2]["state"] == "done"
    # waiting, it is not chased; past cycle.review_days (2) the office is reminded
    assert [n for n in _tick(db, "2023-06-29") if n[2] == "library"] == []
    assert ("review", OFFICE, "library") in _tick(db, "2023-07-03")
    assert not [n for n in _tick(db, "2023-07-03") if n[2] == "library" and n[0] != "review"]
    out = _review(db, "1/library", "--accept", on="2023-07-04")
    assert "复核通过 （一） library" in out
    items = _status(db, "2023-07-04")
    assert (items[1]["done"], items[1]["awaiting"]) == (2, [])
    assert ("review", OFFICE, "library") not in _tick(db, "2023-07-05")
    # a second review of the report accepted is refused, and changes nothing
    out = _review(db, "1/library", "--return", "--reason", "再看看", on="2023-07-05", code=2)
    assert "已于2023年7月4日由区乡村振兴局复核通过" in out
    steps = json.loads(run("history", "1", "--format", "json", *db).output)
    assert [(s["step"], s["obligation"], s["detail"]["reported_on"]) for s in steps] == [
        ("accept", "library", "2023-06-28")
    ]


def test_review_where_none_is_pending_is_refused(db: tuple[str, str]) -> None:
    out = _review(db, "1/library", "--accept", on="2023-06-20", code=2)
    assert "完成项目库建设没有待复核的报告" in out
    out = _review(db, "1/spending", "--accept", on="2023-06-20", code=2)
    assert "衔接资金支出进度没有待复核的数值" in out
    assert json.loads(run("history", "1", "--format", "json", *db).output) == []


def test_sent_back_it_reopens_from_that_day_and_its_department_is_told(
    db: tuple[str, str],
) -> None:
    run("done", "1/library", "--by", FIN, "--on", "2023-06-28", *db)
    out = _review(db, "1/library", "--return", on="2023-07-05", code=2)
    assert "退回理由" in out
    out = _review(db, "1/library", "--return", "--reason", "缺少项目清单", on="2023-07-05")
    assert "退回 （一） library" in out and "缺少项目清单" in out
    items = _status(db, "2023-07-05")
    assert items[1]["state"] != "awaiting review"
    # open again, with 3 working days to do it again (the 退回重办 is the first word, never a
    # 催办 the next morning)
    assert items[1]["next_due"]["deadline"] == "2023-07-10"
    # the department is told, under one key until it reports again (with the plan's reminder
    # of the new time limit, in the same day's letter); nothing the next morning; the ladder
    # starts again only once the new time limit has passed
    assert _library(db, "2023-07-05") == [("remind", FIN, "library"), ("returned", FIN, "library")]
    assert _library(db, "2023-07-06") == []
    assert _library(db, "2023-07-11") == [("overdue", FIN, "library")]
    run("done", "1/library", "--by", FIN, "--on", "2023-07-07", *db)
    assert _library(db, "2023-07-07") == []
    _review(db, "1/library", "--accept", on="2023-07-10")
    steps = json.loads(run("history", "1", "--format", "json", *db).output)
    assert [(s["step"], s["reason"], s["detail"].get("reported_on")) for s in steps] == [
        ("return", "缺少项目清单", "2023-06-28"),
        ("accept", None, "2023-07-07"),
    ]
    assert steps[0]["detail"]["reopened_until"] == "2023-07-10"
    items = _status(db, "2023-07-10")
    assert items[1]["done"] == 1  # library, as of its second report; ledger is still open


def test_the_values_that_count_are_the_accepted_ones(db: tuple[str, str]) -> None:
    run("progress", "record", "1", "spending", "--value", "40%", "--as-of", "2023-06-20",
        "--by", FIN, *db)  # fmt: skip
    run("progress", "record", "1", "spending", "--value", "52%", "--as-of", "2023-06-29",
        "--by", FIN, *db)  # fmt: skip
    (spending,) = _status(db, "2023-07-03")[1]["metrics"]
    assert (spending["value"], spending["state"]) == (None, "awaiting review")
    owed = _tick(db, "2023-07-03")
    assert [n for n in owed if n[2].startswith("spending")] == [("review", OFFICE, "spending")]
    out = _review(db, "1/spending", "--accept", on="2023-07-03")
    assert "复核通过 （一） spending" in out
    (spending,) = _status(db, "2023-07-03")[1]["metrics"]
    assert (spending["value"], spending["reported_on"], spending["state"]) == (
        52.0,
        "2023-06-29",
        "met",
    )
    out = _review(db, "1/spending", "--accept", on="2023-07-04", code=2)
    assert "已于2023年7月3日由区乡村振兴局复核通过" in out
    # a correction, sent back: it never counts, and the 52% accepted stands
    run("progress", "record", "1", "spending", "--value", "55%", "--as-of", "2023-06-30",
        "--by", FIN, *db)  # fmt: skip
    _review(db, "1/spending", "--return", "--reason", "与台账不符", on="2023-07-05")
    (spending,) = _status(db, "2023-07-05")[1]["metrics"]
    assert (spending["value"], spending["reported_on"]) == (52.0, "2023-06-29")
    assert ("returned", FIN, "spending") in _tick(db, "2023-07-05")
    steps = json.loads(run("history", "1", "--format", "json", *db).output)
    assert [(s["step"], [v["value"] for v in s["detail"]["values"]]) for s in steps] == [
        ("accept", [40.0, 52.0]),
        ("return", [55.0]),
    ]


def test_status_exports_every_step_as_csv_and_json(db: tuple[str, str]) -> None:
    run("done", "1/library", "--by", FIN, "--on", "2023-06-28", *db)
    run("receipt", "1", "--by", FIN, "--on", "2023-06-28", *db)
    _review(db, "1/library", "--return", "--reason", "缺少项目清单", on="2023-07-03")
    rows = list(
        csv.DictReader(
            io.StringIO(
                run("status", "--as-of", "2023-07-03", "--format", "csv", *db).output.lstrip(
                    "\ufeff"
                )
            )
        )
    )
    steps = [r for r in rows if r["kind"] == "step"]
    assert [(r["item"], r["state"], r["step_department"], r["step_by"]) for r in steps] == [
        ("1", "receipt", FIN, FIN),
        ("1", "return", OFFICE, OFFICE),
    ]
    back = steps[1]
    assert (back["key"], back["step_day"], back["step_via"], back["step_reason"]) == (
        "library",
        "2023-07-03",
        "cli",
        "缺少项目清单",
    )
    assert back["step_at"] and json.loads(back["step_detail"])["reported_on"] == "2023-06-28"
    exported = json.loads(run("status", "--as-of", "2023-07-03", "--format", "json", *db).output)
    assert [
        (s["step"], s["department"], s["by"], s["via"], s["address"], s["day"], s["reason"])
        for s in exported["cycle_steps"]
    ] == [
        ("receipt", FIN, FIN, "cli", "cli", "2023-06-28", None),
        ("return", OFFICE, OFFICE, "cli", "cli", "2023-07-03", "缺少项目清单"),
    ]
    assert all(s["at"] for s in exported["cycle_steps"])


def test_review_true_is_refused_with_the_key_to_write(tmp_path: Path) -> None:
    text = PLAN.read_text(encoding="utf-8").replace(
        "        needs_review: true\n", "        review: true\n", 1
    )
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(text, encoding="utf-8")
    out = run("validate", str(wrong), code=2).output
    (line,) = [x for x in out.splitlines() if "review" in x]
    assert line.startswith(f"{wrong}:23:")
    assert "chapters[0].tasks[0].review:" in line and "needs_review: true" in line
