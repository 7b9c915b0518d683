"""Drift (偏离): how far a plan's deadlines have moved from the plan as issued, per item and
per department."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection

from workplan.i18n import N_
from workplan.plan.compiled import item_label
from workplan.store.drift import Moved, moved_deadlines
from workplan.store.refs import PlanRef

HOW = {"extension": "延期", "amendment": "修订", "pause": "挂起"}
HEADER = (
    "事项",
    "应办事项",
    "牵头单位",
    "方式",
    "原期限",
    "新期限",
    "推迟天数",
    "决定日期",
    "依据",
)
SUMMARY_HEADER = ("单位", "延期", "修订", "挂起", "推迟天数合计")
# the headers as a table shows them, in the language spoken (the keys above stay a script's)
LABELS = {
    "事项": N_("Item"),
    "应办事项": N_("Due"),
    "牵头单位": N_("Lead"),
    "方式": N_("How moved"),
    "原期限": N_("Deadline before"),
    "新期限": N_("Deadline after"),
    "推迟天数": N_("Days moved"),
    "决定日期": N_("Decided on"),
    "依据": N_("Grounds"),
    "单位": N_("Department"),
    "延期": N_("Extended"),
    "修订": N_("Amended"),
    "挂起": N_("Paused"),
    "推迟天数合计": N_("Days moved in all"),
}


def leads(m: Moved) -> tuple[str, ...]:
    """The departments a moved deadline is counted against: its owners that lead the item,
    else its first owner."""
    mine = tuple(d for d in m.owners if d in m.lead)
    return mine or m.owners[:1]


def days(m: Moved) -> int | None:
    """Calendar days a deadline moved (None: paused, the deadline stays)."""
    return (m.after - m.before).days if m.after is not None else None


@dataclass(frozen=True)
class Drift:
    plan: PlanRef
    moved: list[Moved]

    def rows(self) -> list[list[object]]:
        return [
            [
                item_label(m.task),
                m.title,
                "、".join(leads(m)),
                HOW[m.how],
                m.before,
                m.after,
                days(m),
                m.on,
                m.why,
            ]
            for m in self.moved
        ]

    def summary(self) -> list[list[object]]:
        """Per department: how many deadlines moved each way, and the days they moved."""
        tally: dict[str, list[int]] = {}
        for m in self.moved:
            for d in leads(m):
                row = tally.setdefault(d, [0, 0, 0, 0])
                row[list(HOW).index(m.how)] += 1
                row[3] += days(m) or 0
        return [[d, *counts] for d, counts in sorted(tally.items(), key=lambda x: (-x[1][3], x[0]))]


def build_drift(conn: Connection, plan: PlanRef, department: str | None = None) -> Drift:
    """Every deadline of a plan moved since it was issued (a department's, when given)."""
    moved = moved_deadlines(conn, plan.id, plan.timezone)
    if department is not None:
        moved = [m for m in moved if department in m.owners]
    return Drift(plan, moved)
