"""Every kind of obligation the plan language has is answered on the department's page, with
nothing typed by the office: a deliverable (even one not yet due), a recurring duty, each
owner's own share of a duty, a standing duty's review (an account of the period's work, in one
line), each owner's own metric, and a report in words.

The plan is tests/plans/valid/forms.yaml, which has each of these forms once; the day is
Tuesday 2 May 2023.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.helpers import FORMS, SECRET, Site, download, fill, make_site, rows, run, saved, upload
from workplan.store import links
from workplan.store.db import open_store
from workplan.store.tables import T_METRIC, T_OBL, T_PROGRESS, T_WEB_REPORT

DAY = date(2023, 5, 2)


@pytest.fixture
def forms(db_url: str, tmp_path: Path) -> Iterator[Site]:
    made = make_site(db_url, tmp_path, FORMS, DAY)
    with made.client:
        yield made


def enter(site: Site, department: str) -> str:
    """Open the department's page through its link; return the page."""
    site.client.cookies.clear()
    token = links.issue(SECRET, "forms-2023", department, datetime.now(UTC), timedelta(days=3))
    assert site.client.get(f"/r/{token}", follow_redirects=False).status_code == 303
    page = site.client.get("/d")
    assert page.status_code == 200
    return page.text


def done_form(page: str, ref: str) -> str:
    """The "done" form the page shows for ``ref`` (item/key)."""
    forms = re.findall(r'<form method="post" action="/d/done".*?</form>', page, re.S)
    found = [f for f in forms if f'name="ref" value="{ref}"' in f]
    assert len(found) == 1, f"{ref} is not on the page"
    return found[0]


def submit(site: Site, form: str, action: str, **data: str) -> int:
    """Send ``form`` (as the page shows it, with its one-time token) with ``data``."""
    token = re.search(r'name="form" value="([^"]+)"', form)
    assert token is not None
    response = site.client.post(action, data={"form": token[1], **data}, follow_redirects=False)
    return response.status_code


def answer(site: Site, department: str, ref: str, note: str = "") -> int:
    form = done_form(enter(site, department), ref)
    return submit(site, form, "/d/done", ref=ref, note=note)


def test_every_kind_of_obligation_is_answered_on_the_page(forms: Site) -> None:
    # a deliverable due on 30 June, two months away, finished early
    assert answer(forms, "区乡村振兴局", "1/work-plan", "方案已印发") == 303
    # a recurring duty's occurrence (双月调度, April and May)
    assert answer(forms, "区乡村振兴局", "1/dispatch@2023-04~05") == 303
    # each owner's own share of a duty: 区卫生健康委's push for May
    page = enter(forms, "区卫生健康委")
    assert "push:区医保局@2023-05" not in page
    assert answer(forms, "区卫生健康委", "1/push:区卫生健康委@2023-05") == 303
    # each owner's own metric: 姜家镇's coverage
    page = enter(forms, "姜家镇")
    report = re.search(
        r'<form method="post" action="/d/report">(?:(?!</form>).)*'
        r'name="metric" value="coverage:姜家镇".*?</form>',
        page,
        re.S,
    )
    assert report is not None and "coverage:南泉街道" not in page
    assert (
        submit(forms, report[0], "/d/report", task="1", metric="coverage:姜家镇", value="80") == 303
    )
    # a standing duty's review, answered by an account of the quarter's work
    ref = "1/screening:姜家镇@2023-Q1"
    assert 'required placeholder="本期开展情况（一句话）"' in done_form(enter(forms, "姜家镇"), ref)
    assert answer(forms, "姜家镇", ref, "一季度排查3次，新识别监测对象2户") == 303
    # a report in words on an item, for what no form asks
    page = enter(forms, "区医保局")
    words = re.search(
        r'<form method="post" action="/d/report" class="words">.*?</form>', page, re.S
    )
    assert words is not None
    note = "预警信息推送系统已对接"
    assert submit(forms, words[0], "/d/report", task="1", metric="", note=note) == 303

    engine = open_store(forms.db)
    with engine.connect() as conn:
        done = {
            r.key: (r.done_on, r.done_by, r.done_note)
            for r in conn.execute(
                select(T_OBL.c.key, T_OBL.c.done_on, T_OBL.c.done_by, T_OBL.c.done_note).where(
                    T_OBL.c.done_on.is_not(None)
                )
            )
        }
        reported = conn.execute(
            select(T_METRIC.c.key, T_PROGRESS.c.value, T_PROGRESS.c.department, T_PROGRESS.c.note)
            .select_from(T_PROGRESS.outerjoin(T_METRIC, T_METRIC.c.id == T_PROGRESS.c.metric_id))
            .order_by(T_PROGRESS.c.id)
        ).all()
        pages = conn.execute(select(T_WEB_REPORT.c.department, T_WEB_REPORT.c.action)).all()
    engine.dispose()
    assert done == {
        "work-plan": (DAY, "区乡村振兴局", "方案已印发"),
        "dispatch@2023-04~05": (DAY, "区乡村振兴局", None),
        "push:区卫生健康委@2023-05": (DAY, "区卫生健康委", None),
        "screening:姜家镇@2023-Q1": (DAY, "姜家镇", "一季度排查3次，新识别监测对象2户"),
    }
    assert [tuple(r) for r in reported] == [
        ("coverage:姜家镇", 80.0, "姜家镇", None),
        (None, None, "区医保局", "预警信息推送系统已对接"),
    ]
    assert len(pages) == 6 and all(r.department for r in pages)
    # what the status says for each department, from the CLI
    status = run(
        "status", "--as-of", "2023-05-02", "--department", "姜家镇", "--db", forms.db
    ).output
    assert "80%" in status


def test_a_standing_duty_is_not_closed_without_its_account(forms: Site) -> None:
    assert answer(forms, "姜家镇", "1/screening:姜家镇@2023-Q1", "  ") == 403
    page = forms.client.get("/d").text
    assert 'name="ref" value="1/screening:姜家镇@2023-Q1"' in page
    assert forms.count(T_WEB_REPORT) == 0


def test_a_standing_duty_sent_back_on_the_return_form_needs_its_account(forms: Site) -> None:
    enter(forms, "姜家镇")
    book = download(forms)
    row = next(r["row"] for r in rows(book) if r["期次"] == "2023-Q1" and r["任务"])
    fill(book, row, 日期=DAY)
    refused = upload(forms, saved(book), name="五月.xlsx")
    assert refused.status_code == 400
    assert f"五月.xlsx:{row}:12: 备注: 常态化工作请用一句话写明本期开展情况" in refused.text
    assert forms.count(T_WEB_REPORT) == 0
    fill(book, row, 备注="一季度排查3次")
    recorded = upload(forms, saved(book), name="五月.xlsx")
    assert recorded.status_code == 200 and "1 项完成" in recorded.text
    # the office's own commands take the review without an account, as before
    output = run(
        "--lang",
        "en",
        "done",
        "1/screening:南泉街道@2023-Q1",
        "--by",
        "南泉街道",
        "--on",
        "2023-05-02",
        "--db",
        forms.db,
    ).output
    assert output.startswith("done:")
