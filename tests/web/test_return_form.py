"""The return form (报送表) on the department's page: downloaded, filled in, sent back.

The file goes through the real app on a real database; it is filled in with openpyxl as a
clerk's spreadsheet program would, and the evaluation the next mornings is the CLI's.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select

from tests.helpers import (
    AFTER,
    MORNINGS,
    PDF,
    PLANS,
    TODAY,
    XLSX,
    Site,
    download,
    escalations,
    fill,
    make_site,
    mornings,
    rows,
    saved,
    upload,
)
from workplan.store.db import open_store
from workplan.store.tables import T_FORM_USED, T_OBL, T_PROGRESS, T_WEB_REPORT


def central(book: Any) -> int:
    return next(
        r["row"]
        for r in rows(book)
        if r["事项"] == "（十六）" and r["指标"] == "中央衔接资金支出进度"
    )


def written(site: Site) -> tuple[int, int, int, int]:
    """Reports, obligations done, page reports and forms used: what an upload may write."""
    engine = open_store(site.db)
    with engine.connect() as conn:
        done = conn.execute(select(T_OBL.c.id).where(T_OBL.c.done_on.is_not(None))).all()
    engine.dispose()
    return site.count(T_PROGRESS), len(done), site.count(T_WEB_REPORT), site.count(T_FORM_USED)


def test_the_form_is_downloaded_filled_in_and_sent_back_and_the_ladder_stops(
    site: Site,
) -> None:
    mornings(site.db, MORNINGS)
    assert escalations(site.db) == [("催办", 1)]
    site.enter("区财政局")
    page = site.client.get("/d").text
    assert 'href="/d/form.xlsx"' in page and 'action="/d/import"' in page
    book = download(site)
    lines = rows(book)
    # only the department's own rows: item （一） is 区乡村振兴局's and others', not 区财政局's
    assert lines and {r["报送单位"] for r in lines} == {"区财政局"}
    assert "（一）" not in {r["事项"] for r in lines}
    guide = [r[0] for r in book["填报说明"].iter_rows(values_only=True) if r[0]]
    assert any("在线报送页（函件中的链接）上传" in line for line in guide)
    bulletin = next(r["row"] for r in lines if r["事项"] == "（二十五）" and r["期次"] == "2023-06")
    fill(book, central(book), 数值=35, 日期=date(2023, 6, 1))
    fill(book, bulletin, 日期=date(2023, 6, 1), 备注="已通报")
    response = upload(site, saved(book))
    assert response.status_code == 200, response.text
    assert "已记录：1 个数值，1 项完成，0 条文字报告" in response.text
    engine = open_store(site.db)
    with engine.connect() as conn:
        reported = conn.execute(select(T_PROGRESS.c.value, T_PROGRESS.c.department)).all()
        audits = conn.execute(select(T_WEB_REPORT).order_by(T_WEB_REPORT.c.id)).mappings().all()
        done = conn.execute(
            select(T_OBL.c.done_on, T_OBL.c.done_by, T_OBL.c.done_note).where(
                T_OBL.c.done_on.is_not(None)
            )
        ).all()
    engine.dispose()
    assert [tuple(r) for r in reported] == [(35.0, "区财政局")]
    assert [tuple(r) for r in done] == [(date(2023, 6, 1), "区财政局", "已通报")]
    # each report is the department's, through its link, from where it was sent
    assert [a["action"] for a in audits] == ["import", "import"]
    assert all(a["via"].startswith("link ") and a["address"] == "testclient" for a in audits)
    assert sorted((a["progress_id"] is None, a["obligation_id"] is None) for a in audits) == [
        (False, True),
        (True, False),
    ]
    # sent again: nothing new, the page says so
    again = upload(site, saved(book))
    assert again.status_code == 200 and "2 条此前已报" in again.text
    assert site.count(T_WEB_REPORT) == 2
    mornings(site.db, AFTER)
    assert escalations(site.db) == [("催办", 1)]
    # the office sees where each came from in the item's history
    site.client.cookies.clear()
    site.login()
    for item, fact in ((16, "35"), (25, "已通报")):
        history = site.client.get(f"/office/item/{item}").text
        line = next(tr for tr in history.split("<tr>") if fact in tr)
        assert "网页 link " in line and "testclient" in line


def test_another_departments_form_is_refused_and_nothing_is_written(site: Site) -> None:
    site.enter("区乡村振兴局")
    theirs = download(site)
    metric = next(r for r in rows(theirs) if r["指标"])
    fill(theirs, metric["row"], 数值=1, 日期=date(2023, 6, 1))
    site.enter("区财政局")
    response = upload(site, saved(theirs), name="乡村振兴局.xlsx")
    assert response.status_code == 400
    assert (
        f"乡村振兴局.xlsx:{metric['row']}:11: 报送单位: 本表从区财政局的报送页上传，"
        "只能报送区财政局的事项，不能代区乡村振兴局报送" in response.text
    )
    assert written(site) == (0, 0, 0, 0)


def test_a_malformed_form_gives_positioned_problems_and_writes_nothing(site: Site) -> None:
    site.enter("区财政局")
    book = download(site)
    lines = rows(book)
    row = central(book)
    other = next(r["row"] for r in lines if r["任务"])
    fill(book, row, 数值="三十五", 日期=date(2023, 6, 1))
    fill(book, other, 日期="2023-13-45")
    response = upload(site, saved(book), name="六月.xlsx")
    assert response.status_code == 400
    assert "<title>未能上传报送表</title>" in response.text
    assert "有 2 处问题，全部未记录。请改正后重新提交" in response.text
    assert '<a href="/d">返回报送页</a>' in response.text
    assert f"<li>六月.xlsx:{row}:9: 数值: " in response.text
    assert f"<li>六月.xlsx:{other}:10: 日期: " in response.text
    assert "/tmp" not in response.text  # the file as the department named it
    assert written(site) == (0, 0, 0, 0)
    # corrected, the same page's form goes through: the refused upload used nothing up
    fill(book, row, 数值=35)
    fill(book, other, 日期=None)
    page_token = site.form()
    fixed = site.client.post(
        "/d/import",
        data={"form": page_token},
        files={"ledger": ("六月.xlsx", saved(book), XLSX)},
    )
    assert fixed.status_code == 200 and "已记录：1 个数值" in fixed.text
    assert written(site) == (1, 0, 1, 1)


def test_a_damaged_workbook_is_named_as_the_department_sent_it(site: Site) -> None:
    site.enter("区财政局")
    response = upload(site, b"PK\x03\x04" + b"not a zip at all", name="坏文件.xlsx")
    assert response.status_code == 400
    assert "坏文件.xlsx: 不是可以读取的 XLSX 工作簿" in response.text
    assert written(site) == (0, 0, 0, 0)


def test_an_oversized_or_non_xlsx_return_form_is_refused(db_url: str, tmp_path: Path) -> None:
    site = make_site(db_url, tmp_path, PLANS / "banan-2023.yaml", TODAY, max_upload=64 * 1024)
    with site.client:
        site.enter("区财政局")
        form = saved(download(site))
        assert len(form) < 64 * 1024
        csv = "事项,指标,数值,日期,报送单位\n16,中央衔接资金支出进度,35,2023-06-01,区财政局\n"
        refused = upload(site, csv.encode(), name="报送表.csv", kind="text/csv")
        assert refused.status_code == 403 and "报送表类型不允许：只收 .xlsx 文件" in refused.text
        disguised = upload(site, PDF, name="报送表.xlsx")
        assert disguised.status_code == 403 and "报送表内容与类型（.xlsx）不符" in disguised.text
        declared = upload(site, form, kind="application/pdf")
        assert declared.status_code == 403 and "不符" in declared.text
        just_over = form + b"\0" * (64 * 1024 - len(form) + 1)  # over the file limit only
        assert upload(site, just_over).status_code == 403
        assert upload(site, form + b"\0" * (512 * 1024)).status_code == 413
        missing = site.client.post("/d/import", data={"form": site.form()})
        assert missing.status_code == 403 and "请选择填好的报送表" in missing.text
        assert written(site) == (0, 0, 0, 0)


def test_the_form_for_another_month_and_a_wrong_month(site: Site) -> None:
    site.enter("区财政局")
    july = download(site, "2023-07")
    assert july.worksheets[0]["A2"].value == "区财政局 2023年7月进度报送表"
    wrong = site.client.get("/d/form.xlsx", params={"month": "2023-13"})
    assert (
        wrong.status_code == 403 and "“2023-13”不是月份：请写成 2023-07 或 2023年7月" in wrong.text
    )
    assert "<title>未能下载报送表</title>" in wrong.text
    site.client.cookies.clear()
    assert site.client.get("/d/form.xlsx").status_code == 401
