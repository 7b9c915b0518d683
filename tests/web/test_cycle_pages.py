"""The office's cycle on the pages (issue 24): the office creates a 交办件 on its dashboard,
the department signs for it by opening its link, asks for more time and is refused, reports,
is sent back, reports again and is accepted; the item closes and the next tick owes nothing."""

from __future__ import annotations

import json
import re

from tests.helpers import Site, run

LEAD = "区住房城乡建委"


def token(site: Site, path: str, action: str) -> str:
    """The one-time token of the form on ``path`` that posts to ``action``."""
    page = site.client.get(path)
    assert page.status_code == 200, page.text
    found = re.search(
        rf'action="{re.escape(action)}"[^>]*>\s*<input type="hidden" name="form" value="([^"]+)"',
        page.text,
    )
    assert found, f"no form to {action} on {path}"
    return found.group(1)


def office(site: Site, kind: str, **fields: str) -> None:
    action = f"/office/item/1001/cycle/{kind}"
    form = token(site, "/office/item/1001", action)
    sent = site.client.post(action, data={"form": form, **fields}, follow_redirects=False)
    assert sent.status_code == 303, sent.text


def department(site: Site, kind: str, **fields: str) -> None:
    action = f"/d/cycle/{kind}" if kind != "done" else "/d/done"
    form = token(site, "/d", action)
    sent = site.client.post(action, data={"form": form, **fields}, follow_redirects=False)
    assert sent.status_code == 303, sent.text


def test_the_whole_cycle_on_the_pages(site: Site) -> None:
    site.login()
    form = token(site, "/office", "/office/assign")
    made = site.client.post(
        "/office/assign",
        data={
            "form": form,
            "title": "排查农村危房并建立台账",
            "source": "上级交办",
            "document": "渝乡振办〔2023〕9号",
            "lead": LEAD,
            "co": "区农业农村委",
            "due": "2023-06-30",
        },
        follow_redirects=False,
    )
    assert made.status_code == 303 and made.headers["location"] == "/office/item/1001"
    assert "（交办1）" in site.client.get("/office").text
    site.enter(LEAD)  # the letter's link opened: signed for
    page = site.client.get("/d").text
    assert "（交办1）" in page and ">签收<" not in page
    department(site, "request", ref="1001/done", to="2023-07-31", reason="需等待市级数据")
    office(site, "refuse", obligation="done", reason="时限不变")
    department(site, "done", ref="1001/done", note="已排查")
    office(site, "return", obligation="done", reason="台账不全")
    department(site, "done", ref="1001/done", note="已补全台账")
    office(site, "accept", obligation="done")
    item = site.client.get("/office/item/1001").text
    assert 'id="signed-off"' in item and ">复核通过</button>" not in item
    steps = json.loads(run("history", "交办1", "--format", "json", "--db", site.db).output)
    assert [s["step"] for s in steps] == [
        "assign",
        "receipt",
        "request",
        "refuse",
        "return",
        "accept",
    ]
    receipt = steps[1]
    assert receipt["via"] == "link" and receipt["department"] == LEAD and receipt["address"]
    for word in ("交办", "签收", "延期申请", "不同意延期", "退回", "复核通过", "台账不全"):
        assert word in item
    owed = json.loads(
        run("tick", "--as-of", "2023-07-03", "--format", "json", "--db", site.db).output
    )
    assert not [n for n in owed if n["item"] == 1001]


def test_a_department_cannot_sign_for_another_departments_item(site: Site) -> None:
    run("assign", "排查农村危房", "--source", "上级交办", "--lead", LEAD, "--due", "2023-06-30",
        "--by", "区委农办", "--on", "2023-06-01", "--db", site.db)  # fmt: skip
    site.enter("区财政局")
    form = token(site, "/d", "/d/cycle/problem")
    sent = site.client.post("/d/cycle/receipt", data={"form": form, "ref": "1001"})
    assert sent.status_code == 403
    assert "区财政局不是事项（交办1）的责任单位" in sent.text
    steps = json.loads(run("history", "交办1", "--format", "json", "--db", site.db).output)
    assert [s["step"] for s in steps] == ["assign"]


def test_a_problem_raised_on_the_page_is_decided_on_the_dashboard(site: Site) -> None:
    site.enter(LEAD)
    department(site, "problem", ref="2", text="危房鉴定机构不足")
    site.login()
    page = site.client.get("/office").text
    assert "危房鉴定机构不足" in page
    found = re.search(r'name="problem" value="(\d+)"', page)
    assert found
    form = token(site, "/office", "/office/item/2/cycle/decide")
    sent = site.client.post(
        "/office/item/2/cycle/decide",
        data={"form": form, "problem": found.group(1), "decision": "由区财政局统筹"},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    assert "由区财政局统筹" in site.client.get("/office").text


def test_a_value_waiting_for_review_is_accepted_on_the_items_page(site: Site) -> None:
    """A 交办件 with a metric whose values are reviewed (--review): the value reported waits
    on the item's page (待复核) and counts once the office accepts it there."""
    run(
        "assign", "完成危房改造", "--source", "上级交办", "--lead", LEAD, "--due", "2023-06-30",
        "--metric", "完成户数", "--unit", "户", "--target", "40", "--review",
        "--by", "区委农办", "--on", "2023-06-01", "--db", site.db,
    )  # fmt: skip
    run(
        "progress", "record", "交办1", "--value", "12", "--as-of", "2023-06-01",
        "--by", LEAD, "--db", site.db,
    )  # fmt: skip

    def counted() -> object:
        status = run("status", "--as-of", "2023-06-01", "--format", "json", "--db", site.db)
        item = next(i for i in json.loads(status.output)["items"] if i["number"] == 1001)
        return item["metrics"][0]["value"]

    assert counted() is None
    site.login()
    page = site.client.get("/office/item/1001").text
    assert "复核：完成户数 12户（区住房城乡建委，截至2023-06-01，待复核）" in page
    office(site, "accept", obligation="metric")
    assert counted() == 12
    assert "待复核" not in site.client.get("/office/item/1001").text
    steps = json.loads(run("history", "交办1", "--format", "json", "--db", site.db).output)
    assert [(s["step"], s["via"], s["detail"].get("metric")) for s in steps[-1:]] == [
        ("accept", "web", "metric")
    ]
