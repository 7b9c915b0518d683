"""End to end in a real browser: Debian's Chromium, driven by Playwright, against
`workplan serve` running as a process of its own on a real SQLite file.

A delivered letter's link is followed, 35% (3,500 of 10,000万元) is reported for 中央衔接资金支出进度, and the next
days' evaluations owe no further escalation; the office logs in and signs an item off; a
department corrects (更正) a figure it reported the same day.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import (
    AFTER,
    MORNINGS,
    PLANS,
    SECRET,
    delivered_link,
    escalations,
    mornings,
    needs,
    run,
)
from tests.smtp import free_port
from workplan.reports.output import chromium
from workplan.store import links
from workplan.web.auth import hash_password

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "巴南-office-2023"


@dataclass
class Server:
    url: str
    db: str
    log: Path
    outbox: Path


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    db = f"sqlite:///{tmp_path / 'workplan.db'}"
    run("load", str(PLANS / "banan-2023.yaml"), "--db", db)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "WORKPLAN_LINK_SECRET": SECRET,
        "WORKPLAN_BASE_URL": url,
        "WORKPLAN_OFFICE_PASSWORD_HASH": hash_password(PASSWORD, iterations=1000),
    }
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "workplan", "serve", "--port", str(port), "--db", db),
                *("--as-of", "2023-06-01", "--files", str(tmp_path / "evidence")),
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(log.read_text(errors="replace")) from None
                time.sleep(0.2)
        yield Server(url, db, log, tmp_path / "outbox")
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def browser() -> Iterator[Any]:
    needs("chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium(), args=ARGS)
        try:
            yield launched
        finally:
            launched.close()


def test_a_department_answers_from_the_letter_and_the_ladder_stops(
    server: Server, browser: Any
) -> None:
    link = delivered_link(server.db, server.outbox, "czj@example.org", server.url)
    assert link.startswith(f"{server.url}/r/")
    page = browser.new_page()
    page.goto(link)
    assert page.url == f"{server.url}/d"  # the token is exchanged for a cookie at once
    assert page.locator("h1").inner_text() == "区财政局：报送"
    item = page.locator("#item-16")
    owed = item.locator("p.overdue", has_text="中央衔接资金支出进度")
    assert "2023-05 数据（应于2023-05-31前，逾期未报：催办）" in owed.inner_text()
    # the ratio's two parts, each in its own form: 3,500 of 10,000万元 allocated = 35%
    for part, value in (("已下达", "10000"), ("已支出", "3500")):
        row = page.locator("#item-16 tr", has_text="中央衔接资金支出进度").first
        form = row.locator("form", has=page.get_by_label(f"数值 中央衔接资金支出进度（{part}）"))
        form.get_by_label(f"数值 中央衔接资金支出进度（{part}）").fill(value)
        form.get_by_role("button", name="报送").click()
        page.wait_for_url(f"{server.url}/d#recent")
    recent = page.locator("#recent + table").inner_text()
    assert "中央衔接资金支出进度" in recent
    row = page.locator("#item-16 tr", has_text="中央衔接资金支出进度").first
    assert "3,500 / 10,000万元 = 35%" in row.inner_text()
    # the central funds' report is in; the city's and the district's are still owed
    assert page.locator("#item-16 p.overdue", has_text="中央衔接资金支出进度").count() == 0
    assert page.locator("#item-16 p.overdue", has_text="市级衔接资金支出进度").count() == 1
    # the next mornings: the central funds' report stops its ladder at the 催办 it had; the
    # city's, still owed, stays owed (it climbs as its letters go: issue 22)
    mornings(server.db, AFTER)
    assert escalations(server.db) == [("催办", 1)]
    assert ("催办", 1) in escalations(server.db, "municipal-disbursement")
    log = server.log.read_text(errors="replace")
    token = link.rsplit("/", 1)[1]
    assert '"GET /r/…" 303' in log and token[:16] not in log


def test_the_office_logs_in_and_signs_an_item_off(server: Server, browser: Any) -> None:
    mornings(server.db, MORNINGS)
    # the letters go out (a 文号 is taken when a letter is sent: issue 22)
    run(
        "run",
        "--once",
        "--now",
        "2023-06-01T09:00",
        "--outbox",
        str(server.outbox),
        "--db",
        server.db,
    )
    page = browser.new_page()
    page.goto(f"{server.url}/office")
    assert page.url == f"{server.url}/office/login"
    page.get_by_label("密码").fill("wrong")
    page.get_by_role("button", name="登录").click()
    assert "密码不对" in page.content()
    page.goto(f"{server.url}/office/login")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{server.url}/office")
    assert "巴南区2023年" in page.locator("h1").inner_text()
    page.get_by_role("link", name="（十六）").first.click()
    page.wait_for_url(f"{server.url}/office/item/16")
    notices = page.locator("#notices").inner_text()
    assert "催办" in notices and "巴南乡振督〔2023〕" in notices  # each letter with its 文号
    page.get_by_label("核验说明").fill("资金支出已核验")
    page.get_by_label("仍有未办结事项也销号").check()
    page.get_by_role("button", name="销号").click()
    page.wait_for_url(f"{server.url}/office/item/16")
    assert "已销号（区委农办" in page.locator("#signed-off").inner_text()
    assert "资金支出已核验" in page.content()
    status = run("status", "--as-of", "2023-06-01", "--format", "csv", "--db", server.db).output
    assert ",signed off," in next(line for line in status.splitlines() if line.startswith("16,"))


def test_a_department_corrects_a_figure_it_reported_today(server: Server, browser: Any) -> None:
    token = links.issue(SECRET, "banan-2023", "区财政局", datetime.now(UTC), timedelta(days=3))
    page = browser.new_page()
    page.goto(f"{server.url}/r/{token}")
    share = "中央衔接资金用于产业发展的比重"
    for value in ("35", "40"):
        row = page.locator("#item-16 tr", has_text=share)
        row.get_by_label(f"数值 {share}").fill(value)
        row.get_by_role("button", name="报送", exact=True).click()
    # the second figure for the same day: the page says what stands, and offers 更正
    assert page.locator("h1").inner_text() == "需要更正"
    said = page.locator("#message").inner_text()
    assert said == (
        f"{share}截至2023年6月1日的数值已报送为 35（区财政局）；本次为 40。"
        "如要以本次数值替换，请作更正（原数值保留在记录中）"
    )
    assert page.get_by_role("link", name="返回报送页").get_attribute("href") == "/d"
    page.get_by_role("button", name="更正").click()
    page.wait_for_url(f"{server.url}/d#recent")
    recent = page.locator("#recent + table").inner_text()
    assert "40%" in recent and "35%（已更正）" in recent
    row = page.locator("#item-16 tr", has_text=share)
    assert "40%（2023-06-01）" in row.inner_text()
    status = json.loads(
        run("status", "--as-of", "2023-06-01", "--format", "json", "--db", server.db).output
    )
    values = {m["key"]: m["value"] for i in status["items"] for m in i["metrics"]}
    assert values["central-industry-share"] == 40


def test_the_offices_cycle_runs_end_to_end(server: Server, browser: Any) -> None:
    """Issue 24: a 交办件 made on the dashboard whose report needs review (需复核), signed
    for by opening the link, an extension refused; its report waits for review (待复核: not
    done), is sent back (the department is told), reported again and accepted; the item
    closes, the history shows every step, and the next tick owes nothing for it."""
    lead = "区住房城乡建委"
    office = browser.new_page()
    office.goto(f"{server.url}/office/login")
    office.get_by_label("密码").fill(PASSWORD)
    office.get_by_role("button", name="登录").click()
    office.wait_for_url(f"{server.url}/office")
    office.get_by_label("交办事项").fill("排查农村危房并建立台账")
    office.get_by_label("来源").select_option("上级交办")
    office.get_by_label("牵头单位").select_option(lead)
    office.get_by_label("办理时限").fill("2023-06-30")
    office.get_by_label("需复核").check()
    office.get_by_role("button", name="交办", exact=True).click()
    office.wait_for_url(f"{server.url}/office/item/1001")
    token = links.issue(SECRET, "banan-2023", lead, datetime.now(UTC), timedelta(days=3))
    dept = browser.new_page()
    dept.goto(f"{server.url}/r/{token}")
    item = dept.locator("#item-1001")
    assert "（交办1）" in item.locator("h2").inner_text()
    item.get_by_label("申请延至 排查农村危房并建立台账").fill("2023-07-31")
    item.get_by_label("延期理由 排查农村危房并建立台账").fill("需等待市级数据")
    item.get_by_role("button", name="申请延期").click()
    dept.wait_for_url(f"{server.url}/d")
    office.reload()
    office.get_by_label("不同意的理由").fill("时限不变")
    office.get_by_role("button", name="不同意延期").click()
    office.wait_for_url(f"{server.url}/office/item/1001")
    for note in ("已排查", "已补全台账"):
        dept.goto(f"{server.url}/d")
        dept.locator("#item-1001").get_by_label("办理情况 排查农村危房并建立台账").fill(note)
        dept.locator("#item-1001").get_by_role("button", name="已完成").click()
        dept.wait_for_url(f"{server.url}/d#recent")
        # reported, it waits for the office: not done, and the department cannot report twice
        assert "2023-06-01报完成，待复核" in dept.locator("#item-1001").inner_text()
        assert _item_1001(server)["state"] == "awaiting review"
        office.reload()
        assert "待复核" in office.locator(".box.review").inner_text()
        if note == "已排查":
            office.get_by_label("退回理由").fill("台账不全")
            office.get_by_role("button", name="退回", exact=True).click()
        else:
            office.get_by_role("button", name="复核通过").click()
        office.wait_for_url(f"{server.url}/office/item/1001")
        if note == "已排查":  # sent back: open again, and its department is told
            assert _item_1001(server)["done"] == 0
            owed = run("tick", "--as-of", "2023-06-01", "--format", "json", "--db", server.db)
            told = [n for n in json.loads(owed.output) if n["item"] == 1001]
            assert [(n["rule"], n["department"]) for n in told] == [("returned", lead)]
    assert "已销号（区委农办" in office.locator("#signed-off").inner_text()
    steps = office.locator("#cycle").inner_text()
    for word in ("交办", "签收", "延期申请", "不同意延期", "退回", "复核通过"):
        assert word in steps
    owed = json.loads(
        run("tick", "--as-of", "2023-07-03", "--format", "json", "--db", server.db).output
    )
    assert not [n for n in owed if n["item"] == 1001]
    assert _item_1001(server)["done"] == 1


def _item_1001(server: Server) -> dict[str, Any]:
    status = json.loads(
        run("status", "--as-of", "2023-06-01", "--format", "json", "--db", server.db).output
    )
    found: dict[str, Any] = next(i for i in status["items"] if i["number"] == 1001)
    return found
