"""Realistic messages of every kind, for `templates check` (:mod:`workplan.notices.templates`)
and the tests: every letter kind, the digest, a shortfall's 催办 and the month's report."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from workplan.channels.base import Party
from workplan.notices.letters import Earlier, Letter, Message, letter
from workplan.plan.calendar import WorkCalendar
from workplan.rules.kinds import (
    OVERDUE,
    PACE,
    REMIND,
    REPORT,
    REPORT_OVERDUE,
    REPORT_UP,
    SHORTFALL,
    WARN,
    RuleKind,
)


def sample_messages(locale: str) -> list[Message]:
    """Realistic messages of every kind, for `templates check` and the tests."""
    calendar = WorkCalendar("CN", years=[2023])
    today, late, due = date(2023, 4, 26), date(2023, 5, 10), date(2023, 4, 30)
    funds, farming = (16, "强化衔接资金和项目管理"), (7, "大力发展“双高”农业")

    ladder = ((1, "催办", 1), (2, "督办", 5), (3, "通报", 10))
    steps = {step: name for step, name, _ in ladder}

    def make(
        kind: RuleKind, level: int, item: tuple[int, str], on: date, facts: dict[str, Any]
    ) -> Letter:
        return letter(
            rule=kind.name,
            level=level,
            level_name=kind.level_name or steps[level],
            item=item[0],
            item_title=item[1],
            due=due,
            today=on,
            facts=facts,
            calendar=calendar,
            remind_days=(3, 1),
            ladder=ladder,
            locale=locale,
        )

    checkpoint = {
        "title": "中央衔接资金支出进度",
        "key": "central-disbursement#1",
        "kind": "checkpoint",
        "metric": "central-disbursement",
        "target": 30.0,
        "unit": "%",
        "direction": "at_least",
        "value": 25.0,
        "shortfall": 5.0,
        "deadline": due,
    }
    report = {
        "title": "全年消费帮扶金额",
        "metric": "consumption-support",
        "unit": "亿元",
        "cadence": "month",
        "period": "2023-04",
        "deadline": due,
    }
    deliverable = {
        "title": "完成2024年项目库建设",
        "key": "project-library-2024",
        "kind": "deliverable",
        "deadline": due,
        "working_days": 2,
        "planned": date(2023, 3, 31),
    }
    pace = {
        "title": "区级衔接资金支出进度",
        "metric": "district-disbursement",
        "unit": "%",
        "expected": 31.78,
        "value": 28.0,
        "reported_on": date(2023, 4, 20),
        "gap": 3.78,
        "tolerance": 0.0,
        "elapsed_days": 116,
        "span_days": 365,
        "target": 100.0,
    }
    reminder = make(REMIND, 3, funds, today, deliverable)
    report_due = make(
        REPORT,
        1,
        farming,
        today,
        {**report, "working_days": 2, "reported_on": date(2023, 3, 20), "value": 0.33},
    )
    warning = make(WARN, 3, funds, today, {**checkpoint, "working_days": 2, "projected": 27.27})
    behind = make(PACE, 0, funds, today, pace)
    overdue_facts = {**checkpoint, "working_days_late": 5}
    office = Party("区委农办", ("qwnb@example.org",))
    head = Party("局长", ("czj-head@example.org",))
    base: dict[str, Any] = {
        "locale": locale,
        "plan_title": "巴南区2023年巩固拓展脱贫攻坚成果同乡村振兴有效衔接工作要点",
        "plan_year": 2023,
        "issuer": "中共重庆市巴南区委农村工作暨实施乡村振兴战略领导小组办公室",
        "office": office,
        "department": Party("区财政局", ("czj@example.org",)),
    }
    return [
        Message(kind="reminder", today=today, letters=(reminder,), **base),
        Message(kind="reminder", today=today, letters=(report_due,), **base),
        Message(kind="warning", today=today, letters=(warning,), **base),
        Message(kind="warning", today=today, letters=(behind,), **base),
        Message(
            kind="overdue",
            today=late,
            letters=(make(OVERDUE, 1, funds, late, overdue_facts),),
            **base,
        ),
        Message(
            kind="overdue",
            today=late,
            letters=(
                make(
                    REPORT_OVERDUE,
                    1,
                    farming,
                    late,
                    {**report, "working_days_late": 5, "reported_on": None, "value": None},
                ),
            ),
            **base,
        ),
        Message(
            kind="escalation",
            today=late,
            letters=(
                replace(
                    make(OVERDUE, 2, funds, late, overdue_facts),
                    history=(Earlier("催办", date(2023, 5, 4), "巴南乡振督〔2023〕3号"),),
                ),
            ),
            head=head,
            number="巴南乡振督〔2023〕7号",
            **base,
        ),
        Message(
            kind="bulletin",
            today=late,
            letters=(make(OVERDUE, 3, funds, late, overdue_facts),),
            head=head,
            number="巴南乡振通〔2023〕2号",
            **base,
        ),
        Message(  # the leadership's one summary of the day's 通报
            kind="bulletin",
            today=late,
            letters=(
                replace(
                    make(OVERDUE, 3, funds, late, overdue_facts),
                    owners=("区乡村振兴局", "区财政局"),
                    copy=True,
                    history=(
                        Earlier("催办", date(2023, 5, 4), "巴南乡振督〔2023〕3号"),
                        Earlier("督办", date(2023, 5, 10), "巴南乡振督〔2023〕7号"),
                    ),
                ),
            ),
            summary=True,
            **{**base, "department": Party("领导小组", ("leaders@example.org",))},
        ),
        Message(
            kind="digest", today=today, letters=(warning, behind, reminder, report_due), **base
        ),
        Message(  # a figure reported on time, short of its checkpoint: 未达到, not 逾期
            kind="overdue",
            today=late,
            letters=(
                replace(
                    make(SHORTFALL, 2, funds, late, overdue_facts),
                    level_name="催办",
                    ladder=((1, "提示函", 1), (2, "催办", 5)),
                ),
            ),
            **base,
        ),
        Message(  # the month's report to the leadership
            kind="report",
            today=late,
            letters=(make(REPORT_UP, 0, funds, late, _report_facts()),),
            summary=True,
            **{**base, "department": Party("领导小组", ("leaders@example.org",))},
        ),
    ]


def _report_facts() -> dict[str, Any]:
    """A sample month's report to the leadership (rules.proportion.report_up's facts)."""
    line: dict[str, Any] = {"task": 16, "subject": "o1", "title": "中央衔接资金支出进度"}
    line |= {"owners": ["区乡村振兴局", "区财政局"], "rung": "督办", "level": 3, "late": 5}
    line |= {"due": "2023-04-30", "shortfall": True, "key": True, "top": False}
    counts = {"催办": 3, "督办（未达到）": 1}
    return {"month": "2023-05", "counts": counts, "items": 4, "named": 1} | {
        "lines": [line],
        "all": [line],
    }
