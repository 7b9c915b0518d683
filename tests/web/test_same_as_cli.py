"""The pages are a shell over the library the CLI calls (issue 21, item 3): a value is read as
`workplan progress record --value` reads it, refused with the same error (in the plan's
language, with a way back), dated no later than today, and corrected as `--correct` corrects.

Each case goes through the real app on a real database, and through the CLI beside it.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from tests.helpers import Site, error_page, report, run
from workplan.cli.commands import cli
from workplan.errors import WorkplanError
from workplan.store import records
from workplan.store.db import open_store
from workplan.store.tables import T_EVENT, T_METRIC, T_PROGRESS, T_WEB_REPORT

DEPARTMENT = "区财政局"
ALLOCATED = "central-disbursement.allocated"  # 已下达, in 万元
CENTRAL = "central-disbursement"  # 中央衔接资金支出进度, in %, derived from its two parts
SHARE = "central-industry-share"  # 中央衔接资金用于产业发展的比重, in %
SUPPORT = "consumption-support"  # item 7's 全年消费帮扶金额, in 亿元
ITEMS = {ALLOCATED: "16", CENTRAL: "16", SHARE: "16", SUPPORT: "7"}


def recorded(db: str, metric: str) -> list[tuple[date, float, bool]]:
    """The metric's reports: day, value, and whether a correction replaced it."""
    engine = open_store(db)
    with engine.connect() as conn:
        rows = conn.execute(
            select(T_PROGRESS.c.as_of, T_PROGRESS.c.value, T_PROGRESS.c.replaced_by)
            .join(T_METRIC, T_METRIC.c.id == T_PROGRESS.c.metric_id)
            .where(T_METRIC.c.key == metric)
            .order_by(T_PROGRESS.c.id)
        ).all()
    engine.dispose()
    return [(r.as_of, r.value, r.replaced_by is not None) for r in rows]


def cli_error(*args: str) -> str:
    """Run a command that must be refused; return what it says."""
    result = CliRunner().invoke(cli, list(args), env={"COLUMNS": "160"})
    assert result.exit_code == 2, (result.output, result.exception)
    return result.stderr


def library_error(db: str, value: str, metric: str, as_of: date, today: date) -> WorkplanError:
    """The error the library raises for this report: what both shells must say."""
    engine = open_store(db)
    try:
        with engine.begin() as conn, pytest.raises(WorkplanError) as raised:
            records.record_progress(
                conn,
                plan_key=None,
                task_ref=ITEMS[metric],
                metric_key=metric,
                value=value,
                as_of=as_of,
                department=DEPARTMENT,
                note=None,
                now=datetime.now(UTC),
                today=today,
            )
    finally:
        engine.dispose()
    return raised.value


VALUE_FORMS = [
    # as a clerk writes it, the metric, what is recorded (in the metric's unit)
    ("10000", ALLOCATED, 10000.0),
    ("1亿", ALLOCATED, 10000.0),
    ("0.8亿元", ALLOCATED, 8000.0),
    ("7700万元", ALLOCATED, 7700.0),
    ("１２，０００", ALLOCATED, 12000.0),
    ("1.2亿", SUPPORT, 1.2),
    ("7700万元", SUPPORT, 0.77),
    ("4,400万", SUPPORT, 0.44),
    ("35%", SHARE, 35.0),
    ("３５％", SHARE, 35.0),
    ("35", SHARE, 35.0),
]


@pytest.mark.parametrize(("written", "metric", "value"), VALUE_FORMS)
def test_the_page_takes_every_value_form_the_cli_takes(
    site: Site, written: str, metric: str, value: float
) -> None:
    run(
        *("progress", "record", ITEMS[metric], metric, "--value", written),
        *("--as-of", "2023-05-31", "--by", DEPARTMENT, "--db", site.db),
    )
    site.enter(DEPARTMENT)
    response = report(site, metric, written)
    assert response.status_code == 303, response.text
    assert recorded(site.db, metric) == [
        (date(2023, 5, 31), value, False),
        (date(2023, 6, 1), value, False),
    ]


NOT_A_NUMBER = "不是数值：请写数字，金额可写 1.2亿、4,400万，百分比可写 35 或 35%"
REFUSED = [
    # as written, the metric, what the page says (the library's words, in Chinese)
    ("约40%", SHARE, "“约40%”带有“约”：数值请只写数字（如 40%），“约”等说明写在备注里"),
    ("四十", SHARE, f"“四十”{NOT_A_NUMBER}"),
    ("inf", SHARE, f"“inf”{NOT_A_NUMBER}"),
    ("35%", ALLOCATED, "“35%”是百分比，但中央衔接资金支出进度（已下达）的单位是万元"),
    ("1亿人", ALLOCATED, "“1亿人”的单位是亿人，但中央衔接资金支出进度（已下达）的单位是万元"),
    (
        "0.35",
        SHARE,
        "中央衔接资金用于产业发展的比重是百分比，0.35 像是小数：35% 请填 35；"
        "如确实不到百分之一，请填 0.35%。请核对后重新填写",
    ),
    ("700", SHARE, "中央衔接资金用于产业发展的比重是百分比：700 超过了 100。请核对后重新填写"),
]


@pytest.mark.parametrize(("written", "metric", "said"), REFUSED)
def test_a_refused_value_is_refused_as_the_cli_refuses_it_in_chinese_with_a_way_back(
    site: Site, written: str, metric: str, said: str
) -> None:
    site.enter(DEPARTMENT)
    response = report(site, metric, written)
    assert response.status_code == 403
    title, message, links = error_page(response.text)
    assert (title, message) == ("未能报送", said)
    assert "/d" in links  # back to the page the clerk came from
    assert not re.search(r"[A-Za-z]{3,}", message.replace("inf", ""))  # no English
    assert recorded(site.db, metric) == []
    # the same error, from the same library function, in the CLI's words: the plan is in
    # Chinese, so the CLI says it in Chinese too (and in English when asked)
    error = library_error(site.db, written, metric, date(2023, 6, 1), date(2023, 6, 1))
    assert error.message_for("zh-CN") == said
    command = (
        *("progress", "record", ITEMS[metric], metric, "--value", written),
        *("--as-of", "2023-06-01", "--by", DEPARTMENT, "--db", site.db),
    )
    assert cli_error(*command) == f"错误：{said}\n"
    assert cli_error("--lang", "en", *command) == f"error: {error}\n"


def test_a_report_dated_after_today_is_refused_on_the_office_page(site: Site) -> None:
    site.login()
    page = "/office/item/16"
    data = {"metric": CENTRAL, "value": "35", "department": DEPARTMENT, "note": ""}
    response = site.client.post(
        f"{page}/progress",
        data={**data, "form": site.form(page, 0), "as_of": "2023-06-02"},
        follow_redirects=False,
    )
    assert response.status_code == 403
    title, message, links = error_page(response.text)
    said = "2023年6月2日晚于今天（2023年6月1日）：报送的是已经发生的情况，不能填以后的日期"
    assert (title, message) == ("未能记录", said)
    assert page in links
    assert recorded(site.db, CENTRAL) == []
    # the CLI refuses a day after its today with the same error; the page's own date forms
    # are read as the ledger reads them
    error = library_error(site.db, "35", CENTRAL, date(2023, 6, 2), date(2023, 6, 1))
    assert error.message_for("zh-CN") == said
    ok = site.client.post(
        f"{page}/progress",
        data={**data, "form": site.form(page, 0), "as_of": "2023年5月31日"},
        follow_redirects=False,
    )
    assert ok.status_code == 303, ok.text
    assert recorded(site.db, CENTRAL) == [(date(2023, 5, 31), 35.0, False)]


def test_a_report_dated_after_today_is_refused_on_the_department_page(site: Site) -> None:
    site.enter(DEPARTMENT)
    response = report(site, SHARE, "35", as_of="2023-06-02")
    assert response.status_code == 403
    assert error_page(response.text)[1].startswith("2023年6月2日晚于今天（2023年6月1日）")
    assert recorded(site.db, SHARE) == []


def test_a_same_day_correction_is_offered_and_recorded_as_the_cli_records_it(
    site: Site,
) -> None:
    site.enter(DEPARTMENT)
    assert report(site, SHARE, "35").status_code == 303
    response = report(site, SHARE, "40", note="核对后更正")
    assert response.status_code == 409
    title, message, links = error_page(response.text)
    assert title == "需要更正"
    assert message == (
        "中央衔接资金用于产业发展的比重截至2023年6月1日的数值已报送为 35（区财政局）；本次为 40。"
        "如要以本次数值替换，请作更正（原数值保留在记录中）"
    )
    assert "/d" in links
    assert recorded(site.db, SHARE) == [(date(2023, 6, 1), 35.0, False)]
    form = re.search(
        r'<form method="post" action="/d/report"[^>]*>(.*?)</form>', response.text, re.S
    )
    assert form is not None, response.text
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form[1]))
    assert fields["correct"] == "1" and fields["value"] == "40" and fields["note"] == "核对后更正"
    assert re.search(r"<button[^>]*>更正</button>", form[1])
    corrected = site.client.post("/d/report", data=fields, follow_redirects=False)
    assert corrected.status_code == 303, corrected.text
    # the earlier value is kept, replaced; who corrected it, when, and through which link
    assert recorded(site.db, SHARE) == [
        (date(2023, 6, 1), 35.0, True),
        (date(2023, 6, 1), 40.0, False),
    ]
    engine = open_store(site.db)
    with engine.connect() as conn:
        event = conn.execute(select(T_EVENT.c.kind, T_EVENT.c.by, T_EVENT.c.at)).one()
        audit = conn.execute(
            select(T_WEB_REPORT.c.action, T_WEB_REPORT.c.via).order_by(T_WEB_REPORT.c.id)
        ).all()
    engine.dispose()
    assert (event.kind, event.by) == ("correct", DEPARTMENT) and event.at is not None
    assert [a.action for a in audit] == ["progress", "correct"]
    assert all(a.via.startswith("link ") for a in audit)
    # the form is used up: sent again, it records nothing more
    again = site.client.post("/d/report", data=fields, follow_redirects=False)
    assert again.status_code == 409 and len(recorded(site.db, SHARE)) == 2
    # the department's page and the office's history say what was corrected
    recent = site.client.get("/d").text.split('id="recent"', 1)[1]
    assert "已更正" in recent
    site.client.cookies.clear()
    site.login()
    history = site.client.get("/office/item/16").text
    assert re.search(
        r"<td>更正</td><td>[^<]*</td><td>区财政局</td>\s*<td>2023-06-01：35 → 40</td>", history
    )


def test_the_office_corrects_a_figure_as_a_department_does(site: Site) -> None:
    site.login()
    page = "/office/item/16"
    data = {"metric": SHARE, "as_of": "2023-05-31", "department": DEPARTMENT, "note": ""}
    for value in ("35", "40"):
        response = site.client.post(
            f"{page}/progress",
            data={**data, "value": value, "form": site.form(page, 0)},
            follow_redirects=False,
        )
    assert response.status_code == 409
    title, message, links = error_page(response.text)
    assert title == "需要更正" and message.startswith(
        "中央衔接资金用于产业发展的比重截至2023年5月31日的数值已报送为 35（区财政局）；本次为 40。"
    )
    assert page in links
    form = re.search(r'<form method="post" action="([^"]+)"[^>]*>(.*?)</form>', response.text, re.S)
    assert form is not None and form[1] == f"{page}/progress"
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form[2]))
    corrected = site.client.post(form[1], data=fields, follow_redirects=False)
    assert corrected.status_code == 303, corrected.text
    assert recorded(site.db, SHARE) == [
        (date(2023, 5, 31), 35.0, True),
        (date(2023, 5, 31), 40.0, False),
    ]
