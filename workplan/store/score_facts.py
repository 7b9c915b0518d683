"""Read what 考核 scores besides the facts: the letters sent, and the cycle's 退回 and 挂起 steps.

Only letters whose status is ``sent`` count: a notice superseded, waiting or failed told nobody.
The cycle's steps are read from the ``cycle_step`` table (the office's review and pauses,
store/cycle.py).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, select

from workplan.store.facts import CycleStep, Letter
from workplan.store.tables import T_CYCLE, T_NOTICE

STEP_WORDS = {"return": "returned", "pause": "paused"}
"""the cycle's steps scored, by their name in ``cycle_step``: a 退回, and a 挂起"""
"""The names a cycle step is recorded under, as the scoring rules read them."""


def letters_sent(conn: Connection, plan_id: int) -> list[Letter]:
    """Return every letter about an obligation sent to a department, oldest first (the rules
    keep those of a ladder)."""
    n = T_NOTICE
    query = (
        select(
            n.c.id,
            n.c.obligation_id,
            n.c.department,
            n.c.rule,
            n.c.level,
            n.c.level_name,
            n.c.as_of,
            n.c.evaluated_on,
            n.c.doc_number,
        )
        .where(
            n.c.plan_id == plan_id,
            n.c.status == "sent",
            n.c.obligation_id.is_not(None),
        )
        .order_by(n.c.id)
    )
    return [
        Letter(
            notice_id=row.id,
            obligation_id=row.obligation_id,
            department=row.department,
            rule=row.rule,
            level=row.level,
            level_name=row.level_name,
            dated=_day(row.as_of or row.evaluated_on),
            number=row.doc_number,
        )
        for row in conn.execute(query)
        if not row.department.startswith("@")
    ]


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def cycle_steps(conn: Connection, obligation_ids: set[int]) -> list[CycleStep]:
    """Return the 退回 and 挂起 steps the office's cycle recorded against these obligations
    (``cycle_step``, store/cycle.py): each one's obligation, step and day."""
    c = T_CYCLE.c
    query = (
        select(c.obligation_id, c.step, c.day, c.department)
        .where(c.obligation_id.in_(sorted(obligation_ids)), c.step.in_(tuple(STEP_WORDS)))
        .order_by(c.id)
    )
    return [
        CycleStep(obligation_id=row[0], step=STEP_WORDS[row[1]], on=_day(row[2]), department=row[3])
        for row in conn.execute(query)
    ]
