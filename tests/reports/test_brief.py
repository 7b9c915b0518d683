"""The monthly brief, read as a reader would: in a real headless Chromium, and as a workbook."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest

from tests.helpers import PLANS, needs, run
from workplan.reports.brief import CATEGORIES
from workplan.reports.output import CHROMIUM_ARGS, chromium

A4_TEXT_WIDTH_PX = round((210 - 24) / 25.4 * 96)  # A4 less the page's 12 mm margins


@pytest.fixture(scope="module")
def banan(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, list[dict[str, str]]]]:
    """The Banan plan with its ledger, ticked through July; the items as status lists them."""
    folder = tmp_path_factory.mktemp("brief")
    db = ("--db", str(folder / "w.db"))
    run("load", str(PLANS / "banan-2023.yaml"), *db)
    run("progress", "import", str(PLANS / "banan-2023-ledger.csv"), *db)
    for day in ("2023-07-10", "2023-07-20", "2023-07-21", "2023-07-27"):
        run("tick", "--as-of", day, *db)
    items = json.loads(run("status", "--as-of", "2023-07-31", "--format", "json", *db).stdout)[
        "items"
    ]
    yield folder, items


def brief(folder: Path, name: str, *extra: str) -> Path:
    target = folder / name
    run("brief", "--month", "2023-07", "-o", str(target), "--db", str(folder / "w.db"), *extra)
    return target


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    needs("chromium", "fonts-noto-cjk")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=chromium(), args=list(CHROMIUM_ARGS))
        yield launched
        launched.close()


def test_the_html_brief_reads_whole_on_a4(
    banan: tuple[Path, list[dict[str, str]]], browser: object
) -> None:
    from playwright.sync_api import Browser

    assert isinstance(browser, Browser)
    folder, items = banan
    page_file = brief(folder, "brief.html")
    html = page_file.read_text(encoding="utf-8")
    # self-contained: nothing fetched, nothing run
    assert "<script" not in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    page = browser.new_page(viewport={"width": A4_TEXT_WIDTH_PX, "height": 1100})
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.emulate_media(media="print")
    page.goto(page_file.as_uri())
    assert requests == [page_file.as_uri()]
    text = page.inner_text("body")
    for item in items:
        assert item["label"] in text and item["title"] in text, item["label"]
        for lead in item["lead"]:
            assert lead in text
    for word in CATEGORIES:
        assert word in text
    assert "第1章" in text and "逾期事项按已发函件的最高级别" in text
    # every metric has its chart, drawn (not empty) and holding its own text
    assert page.locator(".chart svg").count() == sum(len(i["metrics"]) for i in items) == 19
    boxes = page.eval_on_selector_all(
        ".chart svg",
        "els => els.map(e => [e.getBoundingClientRect().width, e.querySelectorAll('path').length])",
    )
    assert all(w > 200 and paths > 5 for w, paths in boxes)
    # nothing sticks out of the page box, and no cell hides text
    wide = page.evaluate(
        """w => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > w + 0.5
                      || (['TD', 'TH', 'H1', 'H2', 'H3', 'P'].includes(e.tagName)
                          && e.scrollWidth > e.clientWidth + 1))
            .map(e => e.tagName + ': ' + e.textContent.slice(0, 40))""",
        A4_TEXT_WIDTH_PX,
    )
    assert wide == []
    # a new page for each section
    breaks = page.eval_on_selector_all(
        "section", "els => els.map(e => getComputedStyle(e).breakBefore)"
    )
    assert breaks == ["auto", "page", "page", "page", "page"]
    page.close()


def test_the_pdf_is_printed_from_the_html(banan: tuple[Path, list[dict[str, str]]]) -> None:
    needs("chromium", "fonts-noto-cjk")
    folder, items = banan
    pdf = brief(folder, "brief.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert 5 <= pages <= 12, pages
    needs("poppler-utils")  # to read the printed text back
    text = subprocess.run(
        ["pdftotext", "-layout", str(folder / "brief.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    squeezed = re.sub(r"\s+", "", text)
    for item in items:
        assert item["label"] in squeezed, item["label"]
    assert text.count("\f") == pages


def test_the_brief_says_nothing_of_fonts_on_the_terminal(
    banan: tuple[Path, list[dict[str, str]]], tmp_path: Path
) -> None:
    """The brief once printed 2,745 lines of "findfont: Font family 'Noto Sans CJK SC' not
    found" when matplotlib's font list was older than the CJK font.  Its charts are now SVG
    written directly, their text set in the page's own font: no font is looked for, nothing is
    printed, and the same month gives the same bytes."""
    folder, _ = banan
    brief = [sys.executable, "-m", "workplan", "brief", "--month", "2023-07"]
    written = []
    for name in ("one.html", "two.html"):
        done = subprocess.run(
            [*brief, "-o", str(tmp_path / name), "--db", str(folder / "w.db")],
            capture_output=True,
            text=True,
            check=True,
        )
        assert done.stderr == "", done.stderr[:2000]
        written.append((tmp_path / name).read_bytes())
    assert written[0] == written[1]
    assert b"<svg" in written[0]


def test_the_workbook_has_a_sheet_per_section_with_real_cells(
    banan: tuple[Path, list[dict[str, str]]],
) -> None:
    from openpyxl import load_workbook

    folder, items = banan
    book = load_workbook(brief(folder, "brief.xlsx"))
    assert book.sheetnames == [
        "总体情况",
        "按牵头单位",
        "逐项进展",
        "指标进度",
        "本月通知",
        "下月期限",
    ]
    overall = list(book["总体情况"].iter_rows(values_only=True))
    assert overall[0][: len(CATEGORIES) + 1] == ("范围", *CATEGORIES)
    total = overall[0].index("合计")
    assert overall[1][0] == "全部" and overall[1][total] == len(items) == 25
    rows = list(book["逐项进展"].iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in rows] == [i["number"] for i in items]
    assert any(isinstance(r[6], datetime) for r in rows)
    points = list(book["指标进度"].iter_rows(min_row=2, values_only=True))
    assert all(isinstance(p[3], datetime) and isinstance(p[5], int | float) for p in points)
    assert {p[4] for p in points} == {"报告值", "节点目标", "序时进度"}
    agenda = list(book["下月期限"].iter_rows(min_row=2, values_only=True))
    assert agenda and all(a[0].date() >= date(2023, 8, 1) for a in agenda)


def test_a_departments_brief_holds_only_its_items(banan: tuple[Path, list[dict[str, str]]]) -> None:
    from openpyxl import load_workbook

    folder, items = banan
    book = load_workbook(brief(folder, "mine.xlsx", "--department", "区财政局"))
    rows = list(book["逐项进展"].iter_rows(min_row=2, values_only=True))
    assert 0 < len(rows) < len(items)
    assert all("区财政局" in f"{r[2]}、{r[3]}" for r in rows)


def test_the_plan_chooses_the_colours_and_the_league_table(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    for name in ("banan-2023.yaml", "banan-departments.yaml"):
        shutil.copy(PLANS / name, tmp_path / name)
    plan = tmp_path / "banan-2023.yaml"
    plain = tmp_path / "plain.xlsx"
    db = ("--db", str(tmp_path / "w.db"))
    run("load", str(plan), *db)
    run("progress", "import", str(PLANS / "banan-2023-ledger.csv"), *db)
    run("brief", "--month", "2023-06", "-o", str(plain), *db)
    book = load_workbook(plain)
    assert "单位排名" not in book.sheetnames  # ranking is opt-in
    rows = list(book["逐项进展"].iter_rows(min_row=2, values_only=True))
    # pace, the default: yellow for an item behind 序时进度 at the end of June
    assert [(r[4], r[5]) for r in rows if r[4] == "黄"] == [("黄", "欠进度")]

    text = plan.read_text(encoding="utf-8")
    plan.write_text(
        text.replace(
            "\nchapters:", "\nbrief: {colours: deadline, near: 3, ranking: true}\nchapters:", 1
        ),
        encoding="utf-8",
    )
    run("load", str(plan), *db)
    ranked = tmp_path / "ranked.xlsx"
    run("brief", "--month", "2023-06", "-o", str(ranked), *db)
    colours = [
        r[4] for r in load_workbook(ranked)["逐项进展"].iter_rows(min_row=2, values_only=True)
    ]
    assert "黄" not in colours  # the deadline preset has no yellow
    run("brief", "--month", "2023-07", "-o", str(ranked), *db)
    book = load_workbook(ranked)
    league = list(book["单位排名"].iter_rows(min_row=2, values_only=True))
    assert league[0][0] == 1 and league[0][2] >= 1
    assert [row[2] for row in league] == sorted((row[2] for row in league), reverse=True)


def test_a_brief_of_the_running_month_stops_at_today(tmp_path: Path) -> None:
    from workplan.reports.brief import build_brief
    from workplan.store import db as store
    from workplan.store import refs

    db = str(tmp_path / "w.db")
    run("load", str(PLANS / "banan-2023.yaml"), "--db", db)
    with store.connected(db) as engine, store.reading(engine) as conn:
        plan = refs.find_plan(conn, None)
        mid = build_brief(conn, plan, date(2023, 7, 1), today=date(2023, 7, 10))
        whole = build_brief(conn, plan, date(2023, 7, 1), today=date(2023, 9, 1))
    assert (mid.as_of, whole.as_of) == (date(2023, 7, 10), date(2023, 7, 31))
    # what falls due between the 10th and the 31st is not yet overdue on the 10th
    late_mid = {o.key for line in mid.items for o in line.row.overdue}
    late_whole = {o.key for line in whole.items for o in line.row.overdue}
    assert late_mid < late_whole
    assert not any(k.endswith("@2023-07") for k in late_mid)
    assert mid.agenda == whole.agenda  # next month's deadlines either way
