"""Words that are true on the day (issue 22, item 5), over China's real 2023 calendar.

Each table row is a letter's day and deadline on the real calendar (holidays and 调休 from the
``holidays`` package, as workplan/plan/calendar.py reads them) and what its lines must and must
not say: 今天到期 only on the deadline, the day to act on when the deadline is a day off, the
calendar date to answer by after it, and only holidays and 调休 in 依据.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tests.conftest import PLANS
from workplan.channels.base import Party
from workplan.notices.letters import Letter, Message, letter
from workplan.notices.templates import Templates, cn_period, en_period
from workplan.plan.calendar import WorkCalendar
from workplan.plan.validate import read_plan
from workplan.rules.kinds import OVERDUE, REMIND, WARN

CN = WorkCalendar("CN", years=[2023])
D = date.fromisoformat
LADDER = ((1, "催办", 1), (2, "督办", 5), (3, "通报", 10))
DELIVERABLE = {"title": "完成2024年项目库建设", "key": "library", "kind": "deliverable"}
CHECKPOINT = {
    "title": "中央衔接资金支出进度",
    "key": "central#3",
    "kind": "checkpoint",
    "metric": "central",
    "target": 75.0,
    "unit": "%",
}


def line(today: str, due: str, *, level: int = 3, kind: str = "remind", **facts: object) -> Letter:
    rule = {"remind": REMIND, "warn": WARN, "overdue": OVERDUE}[kind]
    return letter(
        rule=rule.name,
        level=level,
        level_name=rule.level_name or dict((n, name) for n, name, _ in LADDER)[level],
        item=16,
        item_title="强化衔接资金和项目管理",
        due=D(due),
        facts={**(CHECKPOINT if kind == "warn" else DELIVERABLE), **facts},
        today=D(today),
        calendar=CN,
        remind_days=(3, 1),
        ladder=LADDER,
    )


def text(*letters: Letter, kind: str | None = None) -> str:
    first = letters[0]
    message = Message(
        kind=kind or first.kind,
        locale="zh-CN",
        today=first.today or date.min,
        plan_title="示例区2023年乡村振兴工作要点",
        plan_year=2023,
        issuer="示例区乡村振兴局",
        office=Party("区乡村振兴局", ("xczxj@example.org",)),
        department=Party("区财政局", ("czj@example.org",)),
        letters=letters,
        number="示例督〔2023〕1号" if first.kind in ("escalation", "bulletin") else None,
    )
    return str(Templates(None).render(message).text)


@pytest.mark.parametrize(
    ("today", "due", "when", "act_on"),
    [
        # Friday 29 December; the deadline, Sunday 31 December, is a day off
        ("2023-12-29", "2023-12-31", "到期日为休息日，今天是到期前最后一个工作日", "2023-12-29"),
        # Tuesday 26 September; Saturday 30 September is in the 中秋/国庆 holiday
        (
            "2023-09-26",
            "2023-09-30",
            "到期日为休息日，请于9月28日（星期四）前办理，还有2个工作日",
            "2023-09-28",
        ),
        # Wednesday 26 April; Sunday 30 April opens the May Day holiday
        ("2023-04-26", "2023-04-30", "请于4月28日（星期五）前办理，还有2个工作日", "2023-04-28"),
        # the deadline itself, a Friday
        ("2023-06-30", "2023-06-30", "今天到期", "2023-06-30"),
        # Wednesday 21 June, before the Dragon Boat holiday; Sunday 25 June is a working day
        ("2023-06-21", "2023-06-25", "距到期还有1个工作日", "2023-06-25"),
        ("2023-06-26", "2023-06-30", "距到期还有4个工作日", "2023-06-30"),
    ],
)
def test_the_deadline_line_is_true_on_the_day(today: str, due: str, when: str, act_on: str) -> None:
    L = line(today, due)
    assert L.act_on == D(act_on) and L.act_by == D(act_on)
    written = text(L)
    time_line = next(t for t in written.splitlines() if "时限：" in t)
    assert when in time_line
    assert ("今天到期" in time_line) is (today == due)


@pytest.mark.parametrize(
    ("today", "due", "level", "answer_by"),
    [
        # 催办: 3 working days; Monday 3 July (30 June a Friday)
        ("2023-07-03", "2023-06-30", 1, "于2023年7月6日（星期四）前（3个工作日内）"),
        # 督办 over the May Day holiday: 5 working days from 28 April, Saturday 6 May counts
        ("2023-04-28", "2023-04-20", 2, "于2023年5月9日（星期二）前（5个工作日内）"),
        # 督办 on the eve of 中秋/国庆: Saturday 7 and Sunday 8 October are working days
        ("2023-09-28", "2023-09-20", 2, "于2023年10月11日（星期三）前（5个工作日内）"),
        # 通报: 10 working days, across New Year's Day 2024
        ("2023-12-25", "2023-12-08", 3, "于2024年1月9日（星期二）前（10个工作日内）"),
    ],
)
def test_a_letter_after_the_deadline_names_the_date_to_answer_by(
    today: str, due: str, level: int, answer_by: str
) -> None:
    L = line(today, due, level=level, kind="overdue", working_days_late=-CN.count(D(today), D(due)))
    written = text(L)
    body = written.split("\n\n1. ", 1)[1]
    closing = body.split("\n\n", 1)[1]  # the words after the numbered line: the frame
    assert answer_by in closing
    assert closing.splitlines()[1] == ""  # a blank line before the signature, as on paper
    assert "报送方式：" in written and "请勿直接回复" not in written


@pytest.mark.parametrize(
    ("today", "due", "says", "never"),
    [
        # over the May Day holiday: the holiday and Saturday 6 May (调休上班), no weekend
        (
            "2023-05-10",
            "2023-04-28",
            ["4月29日至5月3日为节假日（劳动节）", "5月6日（星期六）调休上班"],
            ["周末"],
        ),
        # an ordinary fortnight: nothing to explain
        ("2023-07-21", "2023-07-07", [], ["周末", "节假日", "调休"]),
        # 端午: 22-24 June off, Sunday 25 June a working day
        (
            "2023-06-28",
            "2023-06-20",
            ["6月22日至6月24日为节假日（端午节）", "6月25日（星期日）调休上班"],
            ["周末"],
        ),
    ],
)
def test_依据_names_holidays_and_调休_only(
    today: str, due: str, says: list[str], never: list[str]
) -> None:
    L = line(today, due, level=1, kind="overdue")
    grounds = next(t for t in text(L).splitlines() if "依据：" in t)
    assert all(s in grounds for s in says), grounds
    assert not any(n in grounds for n in never), grounds
    assert not grounds.endswith("；")


def test_no_figure_is_not_behind() -> None:
    """A checkpoint with nothing reported is 未报送, not 进度滞后 or 预计; with a figure, it is."""
    blank = line("2023-12-27", "2023-12-29", kind="warn")
    short = line("2023-12-27", "2023-12-29", kind="warn", value=60.0, shortfall=15.0, projected=70)
    assert not blank.reported and short.reported
    unreported = text(blank)
    assert not any(w in unreported for w in ("进度滞后", "预计", "落后序时进度"))
    assert (
        "尚未报送进度" in unreported and "请于2023年12月29日（星期五）前报送目前进度" in unreported
    )
    behind = text(short)
    assert "进度滞后" in behind and "预计到期时为70%" in behind
    mixed = text(short, blank)  # one line without a figure: the letter's own words claim no lag
    assert "进度滞后" not in mixed.split("1. ")[0] and "进度滞后" not in mixed.splitlines()[0]


def test_a_missing_benchmark_is_the_offices() -> None:
    L = line(
        "2023-06-27",
        "2023-06-30",
        kind="warn",
        value=40.0,
        any_of={"planned": 50.0, "benchmark_title": "全国平均水平", "benchmark": None},
    )
    written = text(L)
    assert "或全国平均水平（基准值待录入，暂按序时进度衡量）" in written
    assert "尚未报送，暂按" not in written


@pytest.mark.parametrize(
    ("label", "chinese", "english"),
    [
        ("2023-09-27", "2023年9月27日", "27 September 2023"),  # an event's occurrence
        ("2023-06", "2023年6月", "June 2023"),
        ("2023-Q2", "2023年第二季度", "Q2 2023"),
    ],
)
def test_periods_and_event_days_read_as_dates(label: str, chinese: str, english: str) -> None:
    assert cn_period(label) == chinese
    assert en_period(label) == english


EXAMPLE = PLANS / "example.yaml"


@pytest.mark.parametrize(
    ("rule", "april", "september", "year_end"),
    [
        # 30 April (Sunday), 30 September (Saturday, 国庆), 31 December (Sunday) as written
        ("keep", "2023-04-30", "2023-09-30", "2023-12-31"),
        # the first working day after: 4 May, Saturday 7 October (调休), 2 January 2024
        ("next", "2023-05-04", "2023-10-07", "2024-01-02"),
        # the last working day before: Friday 28 April, Thursday 28 September, Friday 29 December
        ("previous", "2023-04-28", "2023-09-28", "2023-12-29"),
    ],
)
def test_due_on_day_off_moves_the_deadlines_as_the_plan_says(
    tmp_path: Path, rule: str, april: str, september: str, year_end: str
) -> None:
    plan = tmp_path / "example.yaml"
    plan.write_text(
        EXAMPLE.read_text(encoding="utf-8").replace(
            "\ntimezone:", f"\ndue_on_day_off: {rule}\ntimezone:", 1
        ),
        encoding="utf-8",
    )
    dues = {o.key: o.due for o in read_plan(plan).compiled.obligations}
    assert dues["central-disbursement#1"] == D(april)
    assert dues["central-disbursement#3"] == D(september)
    assert dues["project-library-2024"] == D(year_end)
