"""One input grammar on every command and on the web (issue 26, item 2): each way an office
writes a date, a month or an item is taken as written by the CLI and by the pages, in one
table; the choices take their Chinese words; a ledger whose header spans two merged rows is
read; a figure with a qualifier (60%左右) is refused saying what to write.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.helpers import Site, download, report, run
from workplan.store.db import open_store
from workplan.store.tables import T_METRIC, T_PROGRESS

SHARE = "central-industry-share"  # item 16's 中央衔接资金用于产业发展的比重, in %
DAY = date(2023, 5, 28)  # before the site's today (1 June 2023)

# (what is given, as written; the shell; what it must be read as)
DAYS = ["2023-05-28", "2023/5/28", "2023.5.28", "2023年5月28日", "２０２３年５月２８日"]
MONTHS = ["2023-07", "2023/7", "2023年7月"]
ITEMS = ["16", "十六", "（十六）", "(16)", "十六、", "第十六项"]
MOMENTS = ["2023-05-28T09:00", "2023/5/28 09:00", "2023年5月28日 09:00"]  # --now: the CLI's
TABLE = (
    [("day", text, shell) for text in DAYS for shell in ("cli", "web")]
    + [("month", text, shell) for text in MONTHS for shell in ("cli", "web")]
    + [("item", text, shell) for text in ITEMS for shell in ("cli", "web")]
    + [("moment", text, "cli") for text in MOMENTS]
)


def reports(db: str) -> list[tuple[date, float]]:
    engine = open_store(db)
    with engine.connect() as conn:
        rows = conn.execute(
            select(T_PROGRESS.c.as_of, T_PROGRESS.c.value)
            .join(T_METRIC, T_METRIC.c.id == T_PROGRESS.c.metric_id)
            .where(T_METRIC.c.key == SHARE)
        ).all()
    engine.dispose()
    return [(r.as_of, r.value) for r in rows]


def _given(site: Site, shell: str, item: str = "16", as_of: str = "2023-05-28") -> None:
    """Report 30% for item 16's share, from the CLI or from 区财政局's page."""
    if shell == "cli":
        run("progress", "record", item, SHARE, "--value", "30%", "--as-of", as_of,
            "--by", "区财政局", "--db", site.db)  # fmt: skip
        return
    site.enter("区财政局")
    response = report(site, SHARE, "30%", task=item, as_of=as_of)
    assert response.status_code == 303, response.text


@pytest.mark.parametrize(("what", "text", "shell"), TABLE)
def test_every_form_is_taken_as_written(
    site: Site, tmp_path: Path, what: str, text: str, shell: str
) -> None:
    if what == "day":
        _given(site, shell, as_of=text)
        assert reports(site.db) == [(DAY, 30.0)]
    elif what == "item":
        _given(site, shell, item=text)
        assert reports(site.db) == [(DAY, 30.0)]
    elif what == "moment":
        said = run("--lang", "en", "dispatch", "--dry-run", "--now", text, "--db", site.db).output
        assert "0 message(s) would be written to ./outbox now: 没有待发送的通知" in said, said
    elif shell == "cli":
        out = tmp_path / "brief.html"
        said = run("--lang", "en", "brief", "--month", text, "-o", str(out), "--db", site.db).output
        assert "2023年7月" in said
        form = tmp_path / "form.xlsx"
        run("--lang", "en", "ledger", "template", "--department", "区财政局", "--month", text, "-o", str(form),
            "--db", site.db)  # fmt: skip
        assert "2023年7月" in str(_title(form))
    else:
        site.enter("区财政局")
        assert "2023年7月" in str(download(site, text).worksheets[0]["A2"].value)


def _title(path: Path) -> object:
    from openpyxl import load_workbook

    return load_workbook(path).worksheets[0]["A2"].value


CHOICES = [
    ("notices", "--kind", "督办"),
    ("notices", "--kind", "催办"),
    ("notices", "--status", "已发送"),
    ("notices", "--status", "发送失败"),
    ("notices", "--channel", "钉钉"),
    ("notices", "--format", "表格"),
    ("notices", "--lang", "中文"),
    ("status", "--lang", "中文"),
]


@pytest.mark.parametrize(("command", "option", "word"), CHOICES)
def test_choices_take_their_chinese_words(site: Site, command: str, option: str, word: str) -> None:
    run(command, option, word, "--db", site.db)


def test_a_ledger_header_over_two_merged_rows_is_read(site: Site, tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["区财政局 2023年5月 台账"])
    sheet.append(["事项", "指标", "本月完成情况", None, "报送单位"])
    sheet.append([None, None, "完成值", "截至日期", None])
    for first, last in (("A2", "A3"), ("B2", "B3"), ("C2", "D2"), ("E2", "E3")):
        sheet.merge_cells(f"{first}:{last}")
    sheet.append(["十六、", SHARE, "30%", "2023/5/28", "区财政局"])
    path = tmp_path / "台账.xlsx"
    book.save(path)
    said = run("progress", "import", str(path), "--db", site.db).output
    assert "1" in said
    assert reports(site.db) == [(DAY, 30.0)]


def test_a_figure_with_a_qualifier_says_what_to_write(site: Site) -> None:
    said = run("--lang", "en", "progress", "record", "16", SHARE, "--value", "60%左右", "--as-of", "2023-05-28",
               "--by", "区财政局", "--db", site.db, code=2).output  # fmt: skip
    assert "60%" in said and "左右" in said and "note" in said
    assert "not a number" not in said
    site.enter("区财政局")
    page = report(site, SHARE, "约60%")
    assert "数值请只写数字（如 60%）" in page.text, page.text
    assert reports(site.db) == []
