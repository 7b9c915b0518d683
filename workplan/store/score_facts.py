"""Read what 考核 scores besides the facts: the letters sent, and the cycle's 退回 and 挂起 steps.

Only letters whose status is ``sent`` count: a notice superseded, waiting or failed told nobody.
The cycle's steps are read from the ``cycle_step`` table where a database has one (the office's
review and pauses); without it nothing is returned back, and nothing is paused.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, MetaData, Table, inspect, select

from workplan.store.facts import CycleStep, Letter
from workplan.store.tables import T_NOTICE

STEP_WORDS = {"returned": "returned", "退回": "returned", "paused": "paused", "挂起": "paused"}
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
    """Return the 退回 and 挂起 steps recorded against these obligations (none without a
    ``cycle_step`` table): each row's obligation, step (or kind) and day."""
    if not inspect(conn).has_table("cycle_step"):
        return []
    table = Table("cycle_step", MetaData(), autoload_with=conn)
    cols = table.c
    step = cols.get("step") if "step" in cols else cols.get("kind")
    when = next((cols[c] for c in ("on", "day", "as_of", "at", "created_at") if c in cols), None)
    if "obligation_id" not in cols or step is None or when is None:
        return []
    who = cols.get("department")
    query = select(cols.obligation_id, step, when, *([who] if who is not None else []))
    out = []
    for row in conn.execute(query.where(cols.obligation_id.in_(sorted(obligation_ids)))):
        name = STEP_WORDS.get(str(row[1]))
        if name is not None:
            out.append(
                CycleStep(
                    obligation_id=row[0],
                    step=name,
                    on=_day(row[2]),
                    department=row[3] if who is not None else None,
                )
            )
    return out
