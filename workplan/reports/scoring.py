"""考核 over a period: every department's score, its rates and every point, read from the store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection

from workplan.i18n import N_
from workplan.plan.periods import month_end
from workplan.rules.score import Period, Point, Score, score
from workplan.store.facts_query import read_facts
from workplan.store.refs import PlanRef
from workplan.store.score_facts import cycle_steps, letters_sent

RULE_WORDS = {
    "on time": "按期",
    "early": "提前完成",
    "late": "逾期",
    "unreported": "逾期未报送",
    "returned": "退回",
    "cap": "单项封顶",
}
"""The rules a point is given by, as a clerk reads them."""

HEADER = ("单位", "基础分", "加减分", "得分", "应办", "按期办结率", "报送及时率", "目标完成率")
POINT_HEADER = ("单位", "事项", "应办事项", "日期", "规则", "分值", "角色", "依据")
# the headers as a table shows them, in the language spoken (the keys above stay a script's)
LABELS = {
    "单位": N_("Department"),
    "基础分": N_("Base score"),
    "加减分": N_("Added or deducted"),
    "得分": N_("Score"),
    "应办": N_("Owed"),
    "按期办结率": N_("Done on time"),
    "报送及时率": N_("Reported on time"),
    "目标完成率": N_("Targets met"),
    "事项": N_("Item"),
    "日期": N_("Date"),
    "规则": N_("Rule"),
    "分值": N_("Points"),
    "角色": N_("Role"),
    "依据": N_("Grounds"),
}


@dataclass(frozen=True)
class ScoreReport:
    """The scores of one plan over one period, as known on ``period.as_of``."""

    plan: PlanRef
    label: str
    period: Period
    scores: list[Score]

    def rows(self) -> list[list[Any]]:
        """One row per department: the score and its three rates (None: nothing due)."""
        return [
            [
                s.department,
                s.base,
                round(s.total - s.base, 2),
                s.total,
                s.due,
                s.on_time_rate,
                s.report_rate,
                s.target_rate,
            ]
            for s in self.scores
        ]

    def point_rows(self, department: str | None = None) -> list[list[Any]]:
        """Every point, one row each, for one department or all."""
        return [
            [
                p.department,
                p.item,
                p.title,
                p.day,
                rule_text(p),
                p.points,
                "牵头" if p.role == "lead" else "配合",
                evidence(p),
            ]
            for s in self.scores
            if department is None or s.department == department
            for p in s.points
        ]


def rule_text(p: Point) -> str:
    """The rule in words: 按期, or for a late obligation the highest rung sent (催办)."""
    if p.basis == "late":
        return p.rung or "逾期（未发函）"
    return RULE_WORDS[p.basis]


def evidence(p: Point) -> str:
    """The letter a point rests on (its number, else its notice id), or nothing."""
    if p.letter is None:
        return ""
    return p.number or f"通知{p.letter}"


def period_of(
    year: int, month: int | None = None, quarter: int | None = None
) -> tuple[date, date, str]:
    """The first and last day of a month, a quarter or the year, and its label."""
    if month is not None:
        return date(year, month, 1), month_end(year, month), f"{year}年{month}月"
    if quarter is not None:
        first = 3 * quarter - 2
        return date(year, first, 1), month_end(year, first + 2), f"{year}年第{quarter}季度"
    return date(year, 1, 1), date(year, 12, 31), f"{year}年"


def build_scores(
    conn: Connection, plan: PlanRef, start: date, end: date, label: str, as_of: date
) -> ScoreReport:
    """Score every department of a plan over ``start``..``end`` on the facts known on ``as_of``."""
    everything, calendars = read_facts(conn, as_of, plan_ids=[plan.id], everything=True)
    facts = everything[plan.id]
    period = Period(start, end, as_of)
    steps = cycle_steps(conn, {o.id for o in facts.obligations})
    scores = score(
        facts.obligations,
        facts.metrics,
        letters_sent(conn, plan.id),
        steps,
        plan.settings.scoring,
        period,
        calendars[plan.id],
        facts.chase_from,
    )
    return ScoreReport(plan, label, period, scores)
