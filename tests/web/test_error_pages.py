"""Every refusal is a page in the plan's language with a way back (issue 21, item 3): the
security refusals keep their status and get a page a clerk can read; a bug or a broken
database too (an upload over the limit: test_web.py).  Through the real app on a real database, as the other web tests."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from starlette.testclient import TestClient

from tests.conftest import PLANS
from tests.helpers import SECRET, TODAY, Site, error_page, make_site, report
from workplan.store import links
from workplan.store.db import open_store


def no_english(*said: str) -> None:
    for words in said:
        assert not re.search(r"[A-Za-z]{2,}", words.replace("CSRF", "")), words


def test_a_link_or_a_session_refused_is_a_page_with_a_way_back(site: Site) -> None:
    forged = site.client.get("/r/not.a-token", follow_redirects=False)
    assert forged.status_code == 403 and "set-cookie" not in forged.headers
    assert error_page(forged.text) == (
        "未能打开链接",
        "这个链接无效（被改动过或不完整）：请向办公室索取新的链接",
        ["/"],
    )
    none = site.client.get("/d")
    assert none.status_code == 401
    assert error_page(none.text) == ("无法打开本页", "请通过函件中的链接打开本页。", ["/"])
    assert '<html lang="zh-CN">' in none.text
    # the office: a page to log in to, a wrong password, a forged login form
    posted = site.client.post("/office/item/16/signoff", data={"note": "x"})
    assert posted.status_code == 401
    assert error_page(posted.text) == ("需要登录", "请先登录。", ["/office/login"])
    token = site.form("/office/login")
    wrong = site.client.post("/office/login", data={"form": token, "password": "guess"})
    assert wrong.status_code == 401
    assert error_page(wrong.text) == ("需要登录", "密码不对。", ["/office/login"])
    forged_login = site.client.post("/office/login", data={"form": "x.y", "password": "guess"})
    assert forged_login.status_code == 403
    assert error_page(forged_login.text) == (
        "未能登录",
        "表单已失效：请刷新页面后再登录。",
        ["/office/login"],
    )


def test_a_forged_or_replayed_form_is_a_page_with_a_way_back(site: Site) -> None:
    site.enter("区乡村振兴局")
    theirs = site.form()
    site.enter("区财政局")
    data = {"task": "16", "metric": "central-industry-share", "value": "35"}
    forged = site.client.post("/d/report", data={**data, "form": theirs})
    assert forged.status_code == 403
    title, message, back = error_page(forged.text)
    assert (title, back) == ("未能报送", ["/d"])
    assert message == "表单已失效：请刷新页面后再提交。"
    mine = {**data, "form": site.form()}
    assert site.client.post("/d/report", data=mine, follow_redirects=False).status_code == 303
    again = site.client.post("/d/report", data=mine)
    assert again.status_code == 409
    assert error_page(again.text) == (
        "已经提交过",
        "这张表单已经提交过，不会重复记录。请刷新页面后再填。",
        ["/d"],
    )


def test_what_is_not_there_is_a_page_in_chinese(site: Site) -> None:
    nowhere = site.client.get("/nowhere")
    assert nowhere.status_code == 404
    assert error_page(nowhere.text) == ("没有找到", "没有这个页面。", ["/"])
    site.enter("区财政局")
    action = site.client.post("/d/undo", data={"form": site.form()})
    assert action.status_code == 404
    assert error_page(action.text) == ("没有找到", "没有这个操作。", ["/d"])
    site.client.cookies.clear()
    site.login()
    item = site.client.get("/office/item/99")
    assert item.status_code == 404
    assert error_page(item.text) == ("没有找到", "计划中没有事项（九十九）", ["/office"])
    extend = site.client.post(
        "/office/item/16/extend",
        data={"form": site.form("/office/item/16", 1), "obligation": "nothing", "to": "2024-01-20"},
    )
    assert extend.status_code == 404
    title, message, back = error_page(extend.text)
    assert (title, back) == ("没有找到", ["/office/item/16"])
    assert message.startswith("事项（十六）没有任务“nothing”")


def test_a_broken_database_is_a_page_in_chinese(db_url: str, tmp_path: Path) -> None:
    site = make_site(db_url, tmp_path, PLANS / "banan-2023.yaml", TODAY)
    engine = open_store(db_url)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE web_report"))
    engine.dispose()
    client = TestClient(site.client.app, raise_server_exceptions=False)
    with client:
        site.client = client
        site.enter("区财政局")
        response = report(site, "central-industry-share", "35")
    assert response.status_code == 500
    title, message, back = error_page(response.text)
    assert (title, back) == ("系统出错", ["/d"])
    assert message == "系统出了错，这次没有办成。请稍后再试；如果仍然不行，请告诉办公室。"
    no_english(title, message)


@pytest.fixture
def english(db_url: str, tmp_path: Path) -> Site:
    source = (PLANS / "example.yaml").read_text(encoding="utf-8")
    plan = tmp_path / "example-en.yaml"
    plan.write_text(source.replace("locale: zh-CN", "locale: en", 1), encoding="utf-8")
    return make_site(db_url, tmp_path, plan, TODAY)


def test_a_plan_in_english_says_its_refusals_in_english(english: Site) -> None:
    token = links.issue(SECRET, "example-2023", "区财政局", datetime.now(UTC), timedelta(days=3))
    with english.client as client:
        assert client.get(f"/r/{token}", follow_redirects=False).status_code == 303
        page = client.get("/d").text
        form = re.search(r'name="form" value="([^"]+)"', page)
        assert form is not None
        response = client.post(
            "/d/report",
            data={"form": form[1], "task": "1", "metric": "central-disbursement", "value": "约40%"},
        )
    assert response.status_code == 403
    assert '<html lang="en">' in response.text
    refused = "'约40%' says '约': write the figure alone (40%) and put '约' in the note"
    assert error_page(response.text) == ("Not done", refused, ["/d"])
