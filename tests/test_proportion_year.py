"""Issue 22, item 4 (proportion by design), over the Banan year run through the service.

Each morning from the issue day to the end of January 2024 (`workplan run --once --now
DAYT09:00`, as tests/test_protocol.py runs it), once with the illustrative ledger imported and
once with nothing reported; the letters are read back as sent and judged with the checks of
benchmarks/letters_checks.py.  The cases are the issue's: 区委组织部's 督办 and 通报 for June's
in-village average reported on time (62.5% of 66.67%), 区教委's 主任 with 10 督办单 in 8 months
for monthly duties, the leadership's 24 lines of which 17 were aims, the office's own items and
standing reviews, the 15 January letter of 53 lines and 28,642 characters, and items at 通报
dropping out of later summaries while still open.
"""

from __future__ import annotations

import email
import email.policy
import io
from collections import Counter
from email.message import EmailMessage
from itertools import pairwise
from pathlib import Path

import pytest
from openpyxl import load_workbook

from benchmarks.letters_checks import LEADERSHIP, PAGE_LINES, head_orders, page_of
from tests.test_protocol import PLAN, Year, service

LAST = "2024-01-31"
AIMS = ("庭院经济项目覆盖率", "新增帮扶车间", "增收措施", "纳入市级乡村振兴重点项目")


@pytest.fixture(scope="module")
def ledger_year(tmp_path_factory: pytest.TempPathFactory) -> Year:
    return service(tmp_path_factory.mktemp("ledger"), "2023-05-09", LAST, ledger=True)


@pytest.fixture(scope="module")
def empty_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("empty")


@pytest.fixture(scope="module")
def empty_year(empty_folder: Path) -> Year:
    return service(empty_folder, "2023-05-09", LAST, ledger=False)


def test_a_figure_reported_on_time_but_short_climbs_no_higher_than_催办(ledger_year: Year) -> None:
    """区委组织部 reported June's in-village average on time, 62.5% of 66.67%: it was sent a 督办
    and a 通报 saying 逾期未办; now a 提示函 and a 催办 saying 未达到 with the gap."""
    letters = [x for x in ledger_year.letters if x.recipient == "区委组织部"]
    assert Counter(x.kind for x in letters) == {"提示函": 3, "催办": 1}
    [cuiban] = [x for x in letters if x.kind == "催办"]
    assert "到期未达到目标，特此催办" in cuiban.body
    assert "到期时为62.5%，差4.17个百分点" in cuiban.body
    assert "请分析未达到目标的原因，明确下一期的改进措施" in cuiban.body
    for lapse in ("逾期未办", "立即办理", "已逾期"):
        assert lapse not in cuiban.body


def test_a_heads_督办单_are_a_handful_a_year(empty_year: Year) -> None:
    """With nothing reported all year, 区教委's 主任 was sent 10 督办单 in 8 months for monthly
    duties shared by six departments: each duty is now one series per department."""
    heads = head_orders(empty_year.letters)
    assert heads["区教委"] <= 3
    assert max(n for d, n in heads.items() if d != PLAN.office) <= 8


def test_the_leadership_hears_once_a_month_on_one_page(ledger_year: Year, empty_year: Year) -> None:
    for year in (ledger_year, empty_year):
        up = [x for x in year.letters if x.recipient == LEADERSHIP]
        assert up
        months = Counter(f"{x.day:%Y-%m}" for x in up)
        assert max(months.values()) == 1
        assert max(page_of(x.body).rows for x in up) <= PAGE_LINES
        assert {x.kind for x in up} == {"情况报告"}


def test_the_leadership_reads_no_aim_no_standing_review_and_not_the_offices_own_item(
    ledger_year: Year,
) -> None:
    """Of the 24 lines the leadership read in the ledger year, 17 were the office's own items,
    standing reviews, aims or a past month's average 4 points short."""
    lines = [line for x in ledger_year.letters if x.recipient == LEADERSHIP for line in x.lines]
    assert lines
    for line in lines:
        assert "常态化" not in line.text
        assert not any(aim in line.text for aim in AIMS)
        assert f"（{PLAN.office}，" not in line.text
        assert "驻村干部" not in line.text  # June's in-village average: a shortfall, not key


def test_the_15_january_letter_is_a_page_not_28642_characters(empty_year: Year) -> None:
    [january] = [x for x in empty_year.letters if x.recipient == LEADERSHIP and x.day.month == 1]
    page = page_of(january.body)
    assert page.rows <= PAGE_LINES and page.chars < 600
    assert len(january.lines) <= 5


def _attachments(folder: Path) -> dict[str, set[tuple[str, str, str]]]:
    """Each month's report's attached list: (item, matter, departments) at the top rung."""
    out: dict[str, set[tuple[str, str, str]]] = {}
    for path in sorted((folder / "outbox").glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        for part in message.iter_attachments():
            name = part.get_filename() or ""
            if not name.startswith("督办事项清单-"):
                continue
            sheet = load_workbook(io.BytesIO(part.get_content())).worksheets[0]
            rows = list(sheet.iter_rows(min_row=2, values_only=True))
            out[name] = {(str(r[1]), str(r[2]), str(r[3])) for r in rows if r[5] == "通报"}
    return out


def test_items_at_通报_stay_in_every_later_report_until_closed(
    empty_year: Year, empty_folder: Path
) -> None:
    """With nothing reported nothing closes: what stood at 通报 in one month's report stands in
    every later month's (it used to drop out of later summaries once its 通报 had gone)."""
    lists = _attachments(empty_folder)
    months = sorted(lists)
    assert len(months) >= 6
    for earlier, later in pairwise(months):
        assert lists[earlier] <= lists[later], (earlier, later)
