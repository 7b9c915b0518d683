"""The web pages against the real app on a real database, through httpx (Starlette's client).

Each attack the issue names is tried: a tampered, expired or revoked link, another
department's item, a replayed or forged form, script in a note and in plan text, an oversized
or disguised upload.
"""

from __future__ import annotations

import email
import email.policy
import logging
import os
import re
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text

from tests.helpers import (
    AFTER,
    MORNINGS,
    PASSWORD,
    PDF,
    PLANS,
    SECRET,
    TODAY,
    Site,
    delivered_link,
    escalations,
    make_site,
    mornings,
    run,
)
from workplan.cli.commands import cli
from workplan.notices.outbox import tick
from workplan.store import links
from workplan.store.db import make_engine, open_store
from workplan.store.tables import T_META, T_METRIC, T_NOTICE, T_PROGRESS, T_WEB_REPORT
from workplan.web.auth import check_password, hash_password


def report_35(site: Site) -> None:
    """区财政局 reports the central funds' two parts on its page: 3,500 of 10,000万元 = 35%."""
    site.enter("区财政局")
    for part, value in (("allocated", "10000"), ("spent", "3500")):
        page = site.client.get("/d").text
        forms = re.findall(r'<form method="post" action="/d/report">(.*?)</form>', page, re.S)
        key = f"central-disbursement.{part}"
        central = next(f for f in forms if f'value="{key}"' in f)
        token = re.search(r'name="form" value="([^"]+)"', central)
        assert token is not None
        response = site.client.post(
            "/d/report",
            data={"form": token[1], "task": "16", "metric": key, "value": value},
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text


def test_the_link_opens_the_department_page_and_leaves_no_token_in_the_address(
    site: Site,
) -> None:
    token = site.link("区财政局")
    response = site.client.get(f"/r/{token}", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/d"
    page = site.client.get("/d")
    assert page.status_code == 200
    assert "区财政局：报送" in page.text
    assert "中央衔接资金支出进度" in page.text
    assert token not in page.text
    # the 序时进度 the metric is measured against on 1 June: 100% over the year, pro rata
    assert "<th>序时进度</th>" in page.text and "41.64%" in page.text
    # each item's state in the page's language, as `status` words it: 逾期, never "overdue"
    states = re.findall(r"<small[^>]*>([^<]*)</small>", page.text)
    assert "逾期" in states and set(states) <= {
        "正常推进",
        "临近期限",
        "逾期",
        "已完成",
        "已销号",
        "无期限",
    }
    for name in ("content-security-policy", "x-frame-options", "referrer-policy"):
        assert name in page.headers
    assert page.headers["referrer-policy"] == "no-referrer"


def test_a_report_on_the_page_stops_the_ladder_as_a_cli_report_would(site: Site) -> None:
    mornings(site.db, MORNINGS)
    assert escalations(site.db) == [("催办", 1)]
    report_35(site)
    mornings(site.db, AFTER)
    assert escalations(site.db) == [("催办", 1)]
    engine = open_store(site.db)
    with engine.connect() as conn:
        rows = conn.execute(select(T_WEB_REPORT)).mappings().all()
    engine.dispose()
    assert len(rows) == 2  # the two parts
    for row in rows:
        assert row["department"] == "区财政局" and row["via"].startswith("link ")
        assert row["address"] == "testclient" and row["progress_id"] is not None


def test_the_page_takes_a_ratios_two_parts_and_shows_x_of_y(site: Site) -> None:
    report_35(site)
    page = site.client.get("/d").text
    assert "3,500 / 10,000万元 = 35%" in page
    central = page[page.index("中央衔接资金支出进度") :]
    assert "已支出 <input" in central and "已下达 <input" in central


def test_a_report_on_the_page_makes_the_days_next_tick_evaluate_the_plan_again(
    site: Site,
) -> None:
    mornings(site.db, MORNINGS)
    engine = open_store(site.db)

    def again() -> tuple[int, int]:
        with engine.begin() as conn:
            result = tick(conn, TODAY, datetime.now(UTC))
        return result.plans, result.unchanged

    assert again() == (0, 1)  # nothing changed since the morning's evaluation
    report_35(site)
    assert again() == (1, 0)
    engine.dispose()


def test_without_the_report_the_ladder_goes_on(site: Site) -> None:
    mornings(site.db, MORNINGS + AFTER)
    # 督办 goes to the lead (区乡村振兴局); 区财政局, never sent a 督办, gets no 通报 without it
    # (the ladder climbs by letters sent, issue 22): it stays at its 催办
    assert escalations(site.db) == [("催办", 1)]


def test_a_tampered_token_is_refused(site: Site) -> None:
    token = site.link("区财政局")
    payload, _, signature = token.partition(".")
    other = links.issue(SECRET, "banan-2023", "区乡村振兴局", datetime.now(UTC), timedelta(days=3))
    for forged in (
        f"{other.partition('.')[0]}.{signature}",  # another department's payload, this signature
        f"{payload}.{signature[:-2]}AA",
        payload,
        links.issue(
            "another-secret-0123456789",
            "banan-2023",
            "区财政局",
            datetime.now(UTC),
            timedelta(days=3),
        ),
    ):
        response = site.client.get(f"/r/{forged}", follow_redirects=False)
        assert response.status_code == 403, forged
        assert "set-cookie" not in response.headers
    site.client.cookies.set("wp_link", f"{other.partition('.')[0]}.{signature}")
    assert site.client.get("/d").status_code == 403


def test_an_expired_token_is_refused(site: Site) -> None:
    old = site.link("区财政局", days=1, now=datetime.now(UTC) - timedelta(days=2))
    response = site.client.get(f"/r/{old}")
    assert response.status_code == 403
    assert "这个链接已于" in response.text and "过期：下一封函件会附上新的链接" in response.text


def test_a_revoked_token_is_refused_even_after_it_was_used(site: Site) -> None:
    site.enter("区财政局")
    assert site.client.get("/d").status_code == 200
    output = run("links", "revoke", "--department", "区财政局", "--db", site.db).output
    assert output.startswith("已收回：区财政局的全部链接")
    assert site.client.get("/d").status_code == 403
    site.client.cookies.clear()
    response = site.client.get(
        f"/r/{site.link('区财政局', now=datetime.now(UTC) - timedelta(seconds=5))}"
    )
    assert response.status_code == 403 and "办公室已收回这个链接" in response.text
    # another department's links still work; a new link issued after the revocation too
    site.enter("区乡村振兴局")
    assert site.client.get("/d").status_code == 200


def test_one_link_is_revoked_by_its_token(site: Site) -> None:
    first, second = site.link("区财政局"), site.link("区财政局")
    run("links", "revoke", "--token", first, "--secret", SECRET, "--db", site.db)
    assert site.client.get(f"/r/{first}", follow_redirects=False).status_code == 403
    assert site.client.get(f"/r/{second}", follow_redirects=False).status_code == 303


def test_links_new_prints_a_link_that_opens_the_page(site: Site) -> None:
    output = run(
        "links",
        "new",
        "--department",
        "区财政局",
        "--base-url",
        "https://wp.example.org",
        "--db",
        site.db,
        env={"WORKPLAN_LINK_SECRET": SECRET},
    ).output
    assert output.startswith("https://wp.example.org/r/")
    token = output.strip().rsplit("/", 1)[1]
    assert site.client.get(f"/r/{token}", follow_redirects=False).status_code == 303


def test_another_departments_item_is_refused(site: Site) -> None:
    site.enter("区财政局")
    # item （一） belongs to 区乡村振兴局 and others, not to 区财政局
    assert 'id="item-1"' not in site.client.get("/d").text
    response = site.client.post(
        "/d/done", data={"form": site.form(), "ref": "1/look-back-review", "note": "x"}
    )
    assert response.status_code == 403
    assert "区财政局不是事项（一）的责任单位" in response.text
    response = site.client.post(
        "/d/report", data={"form": site.form(), "task": "1", "metric": "", "value": "", "note": "x"}
    )
    assert response.status_code == 403
    assert site.count(T_PROGRESS) == 0 and site.count(T_WEB_REPORT) == 0


def test_a_replayed_form_records_once(site: Site) -> None:
    site.enter("区财政局")
    data = {"form": site.form(), "task": "16", "metric": "central-disbursement", "value": "35"}
    first = site.client.post("/d/report", data=data, follow_redirects=False)
    second = site.client.post("/d/report", data=data, follow_redirects=False)
    assert first.status_code == 303
    assert second.status_code == 409
    assert site.count(T_PROGRESS) == 1


def test_a_form_without_its_token_or_with_another_sessions_is_refused(site: Site) -> None:
    site.enter("区乡村振兴局")
    theirs = site.form()
    site.enter("区财政局")
    data = {"task": "16", "metric": "central-disbursement", "value": "35"}
    assert site.client.post("/d/report", data=data).status_code == 403
    assert site.client.post("/d/report", data={**data, "form": theirs}).status_code == 403
    assert site.count(T_PROGRESS) == 0


def test_a_refused_value_uses_the_clis_checks_and_leaves_the_form_usable(site: Site) -> None:
    site.enter("区财政局")
    data = {"form": site.form(), "task": "16", "metric": "central-disbursement", "value": "inf"}
    response = site.client.post("/d/report", data=data)
    assert response.status_code == 403 and "“inf”不是数值" in response.text
    ok = site.client.post("/d/report", data={**data, "value": "35%"}, follow_redirects=False)
    assert ok.status_code == 303  # the refused try used nothing up
    assert site.count(T_PROGRESS) == 1


def test_no_change_this_month_repeats_the_last_value(site: Site) -> None:
    site.enter("区财政局")
    data = {"form": site.form(), "task": "16", "metric": "central-disbursement"}
    refused = site.client.post("/d/nochange", data=data)
    assert refused.status_code == 404 and "还没有报送过数值" in refused.text
    report_35(site)
    response = site.client.post(
        "/d/nochange", data={**data, "form": site.form()}, follow_redirects=False
    )
    assert response.status_code == 303
    engine = open_store(site.db)
    with engine.connect() as conn:
        rows = conn.execute(
            select(T_PROGRESS.c.value)
            .join(T_METRIC, T_METRIC.c.id == T_PROGRESS.c.metric_id)
            .where(T_METRIC.c.key == "central-disbursement")
            .order_by(T_PROGRESS.c.id)
        ).all()
    engine.dispose()
    # reported today already (the % derived from its two parts): "no change" the same day adds
    # nothing (the CLI's rule: the same value on the same day is already recorded), and the
    # page still answers
    assert [r[0] for r in rows] == [35.0]


def _done_with_evidence(site: Site) -> Any:
    """区财政局 marks its June bulletin done with a PDF as evidence."""
    site.enter("区财政局")
    page = site.client.get("/d").text
    ref = re.search(r'name="ref" value="(25/progress-bulletin@2023-06)"', page)
    assert ref is not None
    return site.client.post(
        "/d/done",
        data={"form": site.form(), "ref": ref[1], "note": "已通报"},
        files={"evidence": ("通报.pdf", PDF, "application/pdf")},
        follow_redirects=False,
    )


def test_done_with_evidence_is_stored_outside_the_web_root_and_shown_to_the_office(
    site: Site,
) -> None:
    response = _done_with_evidence(site)
    assert response.status_code == 303, response.text
    stored = list(site.files.rglob("*.pdf"))
    assert len(stored) == 1 and stored[0].read_bytes() == PDF
    assert "通报" not in stored[0].name  # the stored name is random, not the user's
    assert site.client.get(f"/evidence/{stored[0].name}").status_code == 404
    site.client.cookies.clear()
    site.login()
    item = site.client.get("/office/item/25").text
    assert "已通报" in item and "网页 link " in item and "通报.pdf" in item
    href = re.search(r'href="(/office/evidence/\d+)"', item)
    assert href is not None
    download = site.client.get(href[1])
    assert download.content == PDF and "attachment" in download.headers["content-disposition"]


def test_an_oversized_upload_is_refused_and_nothing_is_kept(db_url: str, tmp_path: Path) -> None:
    site = make_site(db_url, tmp_path, PLANS / "banan-2023.yaml", TODAY, max_upload=64 * 1024)
    with site.client:
        site.enter("区财政局")
        data = {"form": site.form(), "ref": "25/progress-bulletin@2023-06", "note": "x"}
        big = PDF + b"0" * (512 * 1024)
        response = site.client.post(
            "/d/done", data=data, files={"evidence": ("big.pdf", big, "application/pdf")}
        )
        assert response.status_code == 413
        # a page in Chinese with the guard's headers, and the way back
        assert (
            "<h1>文件过大</h1>" in response.text and '<a href="/d">返回报送页</a>' in response.text
        )
        assert "请求过大：附件不能超过规定大小。" in response.text
        assert response.headers["x-frame-options"] == "DENY"
        just_over = PDF + b"0" * (70 * 1024)  # over the file limit, under the body limit
        response = site.client.post(
            "/d/done", data=data, files={"evidence": ("big.pdf", just_over, "application/pdf")}
        )
        assert response.status_code == 403 and "附件过大" in response.text
        disguised = site.client.post(
            "/d/done",
            data=data,
            files={"evidence": ("a.pdf", b"<html><script>x</script>", "application/pdf")},
        )
        assert disguised.status_code == 403 and "不符" in disguised.text
        exe = site.client.post(
            "/d/done", data=data, files={"evidence": ("a.exe", b"MZ..", "application/x-msdownload")}
        )
        assert exe.status_code == 403
        assert not site.files.exists() or not any(site.files.rglob("*.*"))
        assert site.count(T_WEB_REPORT) == 0


def test_script_in_a_note_is_shown_as_text(site: Site) -> None:
    site.enter("区财政局")
    note = '<script>alert("note")</script><img src=x onerror=alert(1)>'
    response = site.client.post(
        "/d/report",
        data={
            "form": site.form(),
            "task": "16",
            "metric": "central-disbursement",
            "value": "35",
            "note": note,
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    for page in (site.client.get("/d").text, _office(site, "/office/item/16")):
        assert "<script>alert" not in page and "<img src=x" not in page
        assert "&lt;script&gt;alert(&#34;note&#34;)&lt;/script&gt;" in page


def _office(site: Site, path: str) -> str:
    saved = dict(site.client.cookies)
    site.client.cookies.clear()
    site.login()
    text = site.client.get(path).text
    site.client.cookies.clear()
    for name, value in saved.items():
        site.client.cookies.set(name, value)
    return text


def test_script_in_plan_text_is_shown_as_text(db_url: str, tmp_path: Path) -> None:
    source = (PLANS / "banan-2023.yaml").read_text(encoding="utf-8")
    evil = "<script>alert('plan')</script>"
    source = source.replace(
        "title: 强化衔接资金和项目管理\n", f"title: 强化衔接资金和项目管理{evil}\n"
    ).replace("title: 中央衔接资金支出进度\n", f"title: 中央衔接资金支出进度{evil}\n")
    assert source.count(evil) >= 2
    plan = tmp_path / "banan-2023.yaml"
    plan.write_text(source, encoding="utf-8")
    (tmp_path / "banan-departments.yaml").write_text(
        (PLANS / "banan-departments.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    site = make_site(db_url, tmp_path, plan, TODAY)
    with site.client:
        site.enter("区财政局")
        pages = [
            site.client.get("/d").text,
            _office(site, "/office"),
            _office(site, "/office/item/16"),
        ]
    for page in pages:
        assert "<script>alert" not in page
        assert "&lt;script&gt;alert(&#39;plan&#39;)&lt;/script&gt;" in page


def test_office_pages_need_a_login(site: Site) -> None:
    for path in ("/office", "/office/item/16", "/office/notices"):
        response = site.client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/office/login"
    # a department's link is not an office login
    site.enter("区乡村振兴局")
    assert site.client.get("/office", follow_redirects=False).status_code == 303
    token = site.form("/office/login")
    wrong = site.client.post("/office/login", data={"form": token, "password": "guess"})
    assert wrong.status_code == 401
    forged = site.client.post("/office/login", data={"form": "x.y", "password": PASSWORD})
    assert forged.status_code == 403
    site.client.cookies.set("wp_office", "office|99999999999~forged")
    assert site.client.get("/office", follow_redirects=False).status_code == 303
    site.client.cookies.clear()
    site.login()
    assert "巴南区2023年" in site.client.get("/office").text


def test_the_office_signs_off_extends_and_records_with_the_clis_functions(site: Site) -> None:
    site.login()
    page = "/office/item/16"
    response = site.client.post(
        f"{page}/extend",
        data={
            "form": site.form(page, 1),
            "obligation": "project-library-2024",
            "to": "2024-01-20",
            "reason": "市级审核时间调整",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    response = site.client.post(
        f"{page}/progress",
        data={
            "form": site.form(page, 0),
            "metric": "central-disbursement",
            "value": "35",
            "as_of": "2023-06-01",
            "department": "区财政局",
            "note": "",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    refused = site.client.post(f"{page}/signoff", data={"form": site.form(page, 2), "note": "核验"})
    assert refused.status_code == 403 and "仍有未办结事项也销号" in refused.text
    response = site.client.post(
        f"{page}/signoff",
        data={"form": site.form(page, 2), "note": "核验", "force": "on"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    history = site.client.get(page).text
    assert (
        'id="signed-off"' in history and "市级审核时间调整" in history and "2024-01-20" in history
    )
    assert "网页 office office" in history
    status = run("status", "--as-of", "2023-06-01", "--format", "csv", "--db", site.db).output
    assert "\n16,item,,强化衔接资金和项目管理,区乡村振兴局,区财政局,signed off," in status


def test_the_notices_record_filters(site: Site) -> None:
    mornings(site.db, MORNINGS)
    site.login()
    every = site.client.get("/office/notices").text
    mine = site.client.get(
        "/office/notices", params={"department": "区财政局", "item": "十六"}
    ).text
    assert every.count("<tr>") > mine.count("<tr>") > 1
    assert "<td>中央衔接资金支出进度</td>" in mine and "区乡村振兴局</td>" not in mine


def test_an_items_history_lists_each_notice_with_its_document_number(
    site: Site, tmp_path: Path
) -> None:
    mornings(site.db, MORNINGS)
    run(
        "run",
        "--once",
        "--now",
        "2023-06-01T09:00",
        "--outbox",
        str(tmp_path / "out"),
        "--db",
        site.db,
    )
    engine = open_store(site.db)
    with engine.connect() as conn:
        sent = conn.execute(
            select(T_NOTICE.c.id, T_NOTICE.c.doc_number)
            .select_from(T_NOTICE.join(T_METRIC, T_METRIC.c.id == T_NOTICE.c.metric_id))
            .where(
                T_METRIC.c.key == "central-disbursement",
                T_NOTICE.c.department == "区财政局",
                T_NOTICE.c.level_name == "催办",
            )
        ).one()
    engine.dispose()
    assert sent.doc_number.startswith("巴南乡振督〔2023〕")
    site.login()
    history = site.client.get("/office/item/16").text
    table = history.split('<table id="notices">', 1)[1].split("</table>", 1)[0]
    row = next(tr for tr in table.split("<tr>") if tr.startswith(f"<td>{sent.id}</td>"))
    cells = re.findall(r"<td>(.*?)</td>", row)
    # number, document number, date, level, recipient, …, delivery status, sent at
    assert cells[1:5] == [sent.doc_number, "2023-06-01", "催办", "区财政局"]
    # the site has no SMTP server: its letters were written to the outbox folder (已写入)
    assert cells[7] == "已写入" and re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", cells[8])
    # a notice superseded before it went out has no number
    unsent = [re.findall(r"<td>(.*?)</td>", tr) for tr in table.split("<tr>")[2:]]
    assert any(c[1] == "" and c[7] == "已撤销" for c in unsent)
    record = site.client.get("/office/notices", params={"item": "十六"}).text
    assert f"<td>{sent.id}</td><td>{sent.doc_number}</td>" in record


def test_a_proxy_identity_header_logs_the_office_in(db_url: str, tmp_path: Path) -> None:
    site = make_site(
        db_url,
        tmp_path,
        PLANS / "banan-2023.yaml",
        TODAY,
        office_header="X-Remote-User",
        office_password_hash=None,
    )
    with site.client:
        assert site.client.get("/office", follow_redirects=False).status_code == 303
        page = site.client.get("/office", headers={"X-Remote-User": "zhang"})
        assert page.status_code == 200 and "巴南区2023年" in page.text


def test_no_token_reaches_the_access_log(site: Site, caplog: pytest.LogCaptureFixture) -> None:
    token = site.link("区财政局")
    with caplog.at_level(logging.INFO, logger="workplan.web"):
        site.client.get(f"/r/{token}")
    assert '"GET /r/…" 303' in caplog.text
    assert token not in caplog.text and token[:20] not in caplog.text


def test_the_password_hash_round_trips() -> None:
    hashed = hash_password("秘密")
    assert hashed.startswith("pbkdf2_sha256$") and check_password("秘密", hashed)
    assert not check_password("secret", hashed) and not check_password("秘密", "garbage")
    output = run("password-hash", "--password", "秘密").output
    assert check_password("秘密", output.strip())


def test_serve_refuses_to_start_without_a_secret(tmp_path: Path) -> None:
    output = CliRunner().invoke(
        cli, ["serve", "--db", str(tmp_path / "x.db")], env={"WORKPLAN_LINK_SECRET": ""}
    )
    assert output.exit_code == 2 and "WORKPLAN_LINK_SECRET" in output.output


def test_the_letter_carries_the_departments_link(site: Site, tmp_path: Path) -> None:
    link = delivered_link(site.db, tmp_path / "outbox", "czj@example.org")
    path = link.removeprefix("http://127.0.0.1:8000")
    assert site.client.get(path, follow_redirects=False).status_code == 303
    page = site.client.get("/d").text
    assert "区财政局：报送" in page and "中央衔接资金支出进度" in page


def test_without_link_settings_letters_carry_no_link(site: Site, tmp_path: Path) -> None:
    mornings(site.db, MORNINGS)
    outbox = tmp_path / "outbox"
    run("run", "--once", "--now", "2023-06-01T09:00", "--outbox", str(outbox), "--db", site.db)
    texts = []
    for eml in outbox.glob("*.eml"):
        message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
        texts += [
            part.get_content() for part in message.walk() if part.get_content_maintype() == "text"
        ]
    assert any("联系：" in t for t in texts)
    assert not any("在线报送" in t or "/r/" in t for t in texts)


def test_revoke_all_withdraws_every_departments_links(site: Site) -> None:
    before = [site.link("区财政局"), site.link("区乡村振兴局")]
    output = run("links", "revoke", "--all", "--db", site.db).output
    assert output.startswith("已收回：所有单位的全部链接（banan-2023）")
    for token in before:
        assert site.client.get(f"/r/{token}", follow_redirects=False).status_code == 403
    run("links", "revoke", "--db", site.db, code=2)  # one of --department, --token, --all


def test_upgrade_adds_the_web_tables_to_an_earlier_database(db_url: str) -> None:
    run("load", str(PLANS / "example.yaml"), "--db", db_url)
    engine = make_engine(db_url)
    with engine.begin() as conn:
        for table in ("web_report", "form_used", "link_revocation"):
            conn.execute(text(f"DROP TABLE {table}"))
        conn.execute(T_META.update().where(T_META.c.key == "schema").values(value="1"))
    engine.dispose()
    output = run("upgrade", "--db", db_url).output
    for table in ("web_report", "form_used", "link_revocation"):
        assert f"table {table} added" in output
    run("links", "revoke", "--department", "区财政局", "--db", db_url)


def test_an_oversized_upload_without_a_declared_length_is_refused(
    db_url: str, tmp_path: Path
) -> None:
    site = make_site(db_url, tmp_path, PLANS / "banan-2023.yaml", TODAY, max_upload=64 * 1024)
    with site.client:
        site.enter("区财政局")

        def chunks() -> Iterator[bytes]:
            for _ in range(64):
                yield b"0" * 16 * 1024

        response = site.client.post(
            "/d/done",
            content=chunks(),
            headers={"content-type": "multipart/form-data; boundary=x"},
        )
        assert "content-length" not in {k.lower() for k in response.request.headers}
        assert response.status_code == 413
        assert site.count(T_WEB_REPORT) == 0


def test_evidence_is_saved_owner_only_as_the_database_and_letters_are(site: Site) -> None:
    """Issue 27.7: under umask 022 evidence was saved 0644 in a 0755 folder; the database and
    the letters are owner-only.  A folder an earlier version made open is closed too."""
    site.files.mkdir(mode=0o755)
    before = os.umask(0o022)
    try:
        response = _done_with_evidence(site)
    finally:
        os.umask(before)
    assert response.status_code == 303, response.text
    [stored] = site.files.rglob("*.pdf")
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    for folder in (stored.parent, site.files):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
