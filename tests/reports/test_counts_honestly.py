"""Status, brief, agenda and bulletin count honestly (issue 22, item 6), on the Banan plan and
its ledger: a checkpoint still ahead is not met, an item with nothing due and nothing reported
is not on pace, page 1 names the late items and counts the letters sent, a table that counts an
item twice says so, and the bulletin reports the letters as they were dated, the office's own
items included."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from tests.helpers import PLANS, run
from workplan.reports.brief import CATEGORIES, build_brief
from workplan.store import db as store
from workplan.store import refs

BANAN, LEDGER = PLANS / "banan-2023.yaml", PLANS / "banan-2023-ledger.csv"


@pytest.fixture(scope="module")
def july(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The demo's July: the ledger imported, 17 July evaluated, 21 July run and sent."""
    folder = tmp_path_factory.mktemp("july")
    db = ("--db", str(folder / "w.db"))
    run("load", str(BANAN), *db)
    run("progress", "import", str(LEDGER), *db)
    # the service every morning of July, its letters sent: the ladder climbs by letters sent
    for n in range(3, 28):
        day = f"2023-07-{n:02d}"
        run("run", "--once", "--now", f"{day}T09:00", "--outbox", str(folder / "outbox"), *db)
    yield folder


def status_on(folder: Path, day: str) -> dict[int, dict[str, object]]:
    out = run("status", "--as-of", day, "--format", "json", "--db", str(folder / "w.db")).stdout
    return {int(i["number"]): i for i in json.loads(out)["items"]}


@pytest.mark.parametrize(
    ("day", "done", "total"),
    [
        # （五）: a monthly in-village average; on 31 July August..December are still ahead
        ("2023-07-31", lambda n: n <= 7, 12),
        ("2023-05-31", lambda n: n <= 5, 12),
    ],
)
def test_a_checkpoint_still_ahead_is_not_met(
    july: Path, day: str, done: object, total: int
) -> None:
    five = status_on(july, day)[5]
    assert five["state"] != "done" and five["total"] == total
    assert callable(done) and done(five["done"])


def brief_of(folder: Path, month: date, today: date | None = None):  # type: ignore[no-untyped-def]
    with store.connected(str(folder / "w.db")) as engine, store.reading(engine) as conn:
        return build_brief(conn, refs.find_plan(conn, None), month, today=today)


def test_an_item_with_nothing_due_and_nothing_reported_is_not_on_pace(july: Path) -> None:
    b = brief_of(july, date(2023, 7, 1))
    idle = [line for line in b.items if line.category == "未到期"]
    assert idle and "未到期" in CATEGORIES
    for line in idle:
        assert line.last_report is None and not line.row.overdue and line.row.done == 0
    on_pace = [line for line in b.items if line.category == "达进度"]
    assert all(line.last_report is not None or line.row.done for line in on_pace)
    assert sum(b.overall.counts.values()) == b.overall.total == 25


def test_page_one_names_the_late_items_and_counts_letters_sent(july: Path) -> None:
    b = brief_of(july, date(2023, 7, 1))
    assert b.late and all(line.level for line in b.late)
    # the levels are those of letters sent by the end of July (the mornings' runs), never owed ones
    sent = {line.level for line in b.late}
    assert sent <= {"催办", "督办", "通报", "未发函"}
    early = brief_of(july, date(2023, 7, 1), today=date(2023, 7, 2))
    assert {line.level for line in early.late} == {"未发函"}  # nothing was sent by the 2nd
    out = july / "brief.html"
    run("brief", "--month", "2023-07", "-o", str(out), "--db", str(july / "w.db"))
    html = out.read_text(encoding="utf-8")
    page_one = html.split('<section id="items">')[0]
    for line in b.late:
        named = (
            f"{line.row.label}{line.row.title}（牵头：{'、'.join(line.row.lead)}；{line.level}）"
        )
        assert named in page_one
    assert "逾期事项按已发函件的最高级别" in page_one


def test_a_table_that_counts_an_item_twice_says_so(july: Path) -> None:
    b = brief_of(july, date(2023, 7, 1))
    shared = b.shared_leads
    assert b.lead_total == b.overall.total + sum(len(x.row.lead) - 1 for x in shared)
    out = july / "brief.html"
    run("brief", "--month", "2023-07", "-o", str(out), "--db", str(july / "w.db"))
    html = out.read_text(encoding="utf-8")
    if b.lead_total != b.overall.total:
        assert f"故本表合计{b.lead_total}项（共{b.overall.total}项）" in html
    else:
        assert 'id="shared"' not in html


def test_the_agenda_marks_no_checkpoint_ahead_done(july: Path) -> None:
    out = run(
        "agenda", "--from", "2023-07-31", "--to", "2023-09-30", "--format", "json",
        "--db", str(july / "w.db"),
    ).stdout  # fmt: skip
    items = json.loads(out)["items"]
    assert items
    ahead = [r for r in items if r["kind"] == "checkpoint" and r["deadline"] > "2023-07-31"]
    assert ahead and [r["key"] for r in ahead if r["done"]] == []


def test_the_bulletin_reports_the_letters_as_dated_with_the_offices_own_items(
    july: Path, tmp_path: Path
) -> None:
    book = tmp_path / "july.xlsx"
    run("bulletin", "--month", "2023-07", "-o", str(book), "--db", str(july / "w.db"))
    from openpyxl import load_workbook

    rows = list(load_workbook(book)["通报"].iter_rows(values_only=True))[3:]
    assert rows
    # each row carries the day its 通报 went out (a July morning), not the evaluation's
    notices = json.loads(
        run("notices", "--kind", "通报", "--format", "json", "--db", str(july / "w.db")).stdout
    )
    sent = {str(n["dated"]) for n in notices if n.get("dated")}
    assert {r[5].date().isoformat() for r in rows} <= sent
    # and each row's working days late are its letter's: counted to that day
    from workplan.plan.calendar import WorkCalendar

    cal = WorkCalendar("CN", years=[2023])
    assert all(r[4] == cal.count(r[3].date(), r[5].date()) for r in rows)
