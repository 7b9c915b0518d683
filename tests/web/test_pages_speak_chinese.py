"""Every page of the office and of the departments, after a month of reports, letters and the
office's cycle, reads as Chinese: no English word in what the page shows (its text, the
placeholders and titles of its forms) but names, numbers, units, file names and 文号; and none
of the words issue 26 found there (状态 sent, slugs in 关于, @leadership, UTC, 6000.0)."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from tests.english import english_words
from tests.helpers import PLANS, Site, run

LEDGER = str(PLANS / "banan-2023-ledger.csv")
OFFICE, FINANCE = "区委农办", "区财政局"
SHOWN_IN_ATTRIBUTES = ("placeholder", "title", "aria-label", "alt")
# what issue 26 saw on the pages: a status's word, a slug of the plan, the leadership's
# address, a time zone, a float (a key of the plan in a link's address is not shown)
SEEN = re.compile(
    r"\b(?:sent|superseded|written|failed|pending)\b|[a-z]+-[a-z0-9-]+[#@]|@leadership|UTC|\d\.0\b"
)


def visible(page: str) -> str:
    """Return what a browser shows of a page: its text, and the words of its attributes."""
    page = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", page, flags=re.S)
    shown = [m[2] for m in re.finditer(rf'\b({"|".join(SHOWN_IN_ATTRIBUTES)})="([^"]*)"', page)]
    return html.unescape(re.sub(r"<[^>]+>", " ", page) + " " + " ".join(shown))


def _written_by_the_office() -> set[str]:
    """The words in Latin letters of the plan's own prose (“渝防贫APP”): shown as written."""
    import yaml

    def strings(node: object) -> list[str]:
        if isinstance(node, dict):
            return [s for v in node.values() for s in strings(v)]
        if isinstance(node, list):
            return [s for v in node for s in strings(v)]
        return [node] if isinstance(node, str) and re.search(r"[\u4e00-\u9fff]", node) else []

    plan = yaml.safe_load((PLANS / "banan-2023.yaml").read_text(encoding="utf-8"))
    return {w for text in strings(plan) for w in re.findall(r"[A-Za-z]+", text)}


def _a_month_of_work(site: Site, tmp_path: Path) -> None:
    """Reports, two mornings of letters, and the office's cycle on one 交办件 and one item."""
    db = ("--db", site.db)
    run("progress", "import", LEDGER, *db)
    for day in ("2023-05-09", "2023-05-31"):
        run("tick", "--as-of", day, *db)
        run("dispatch", "--now", f"{day}T09:00", "--outbox", str(tmp_path / "out"), *db)
    run(
        "assign", "排查农村危房", "--source", "领导批示", "--leader", "张三",
        "--lead", "区住房城乡建委", "--due", "2023-08-31", "--by", OFFICE, "--on", "2023-05-20", *db,
    )  # fmt: skip
    run("receipt", "交办1", "--by", "区住房城乡建委", "--on", "2023-05-22", *db)
    run("problem", "raise", "二", "鉴定机构不足", "--by", "区教委", "--on", "2023-05-23", *db)
    run("pause", "十六", "--by", OFFICE, "--reason", "等待市级审核", "--on", "2023-05-24", *db)


def _pages(site: Site) -> list[str]:
    """Every page the office opens: the dashboard, the record of notices by each filter, and
    every item's page (the plan's 25 and the 交办件)."""
    statuses = ["sent", "written", "failed", "superseded", "pending", "retrying"]
    return [
        "/office",
        "/office/notices",
        *(f"/office/notices?status={s}" for s in statuses),
        f"/office/notices?department={FINANCE}",
        "/office/notices?item=16",
        *(f"/office/item/{n}" for n in [*range(1, 26), 1001]),
    ]


def _read(site: Site, page: str, status: int = 200) -> str:
    response = site.client.get(page, follow_redirects=False)
    assert response.status_code == status, (page, response.text[-2000:])
    return visible(response.text)


@pytest.mark.db
def test_every_office_and_department_page_speaks_chinese(site: Site, tmp_path: Path) -> None:
    _a_month_of_work(site, tmp_path)
    said = {"/office/login": _read(site, "/office/login")}
    site.login()
    said |= {page: _read(site, page) for page in _pages(site)}
    said["/office/item/99"] = _read(site, "/office/item/99", 404)
    for department in (FINANCE, "区住房城乡建委", "区乡村振兴局", "区教委"):
        site.enter(department)
        said[f"/d {department}"] = _read(site, "/d")
    said["/r/not-a-link"] = _read(site, "/r/not-a-link", 403)
    written = _written_by_the_office()
    found = {
        page: words[:8]
        for page, text in said.items()
        if (words := [w for w in english_words(text) if w not in written])
    }
    assert found == {}
    seen = {page: SEEN.findall(text)[:8] for page, text in said.items() if SEEN.search(text)}
    assert seen == {}
