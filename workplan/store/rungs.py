"""The rungs of the escalation ladder already sent: what the facts of a tick carry, so that
the ladder climbs by letters sent (:mod:`workplan.rules.ladder`)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection, func, select

from workplan.store.facts import Sent, SentRungs
from workplan.store.tables import T_NOTICE


def sent_rungs(
    conn: Connection, plan_ids: list[int], rules: tuple[str, ...], as_of: date
) -> dict[int, SentRungs]:
    """Return, per plan, the highest rung of the ladder sent to each department about each
    subject and period (of the notices of ``rules``, sent on or before ``as_of``), with the
    day it went (the letter's day).  One grouped query."""
    out: dict[int, SentRungs] = {pid: {} for pid in plan_ids}
    if not rules or not plan_ids:
        return out
    day = func.coalesce(T_NOTICE.c.as_of, T_NOTICE.c.evaluated_on)
    query = (
        select(
            T_NOTICE.c.plan_id,
            T_NOTICE.c.subject,
            T_NOTICE.c.period,
            T_NOTICE.c.department,
            T_NOTICE.c.level,
            func.min(day),
        )
        .where(
            T_NOTICE.c.plan_id.in_(plan_ids),
            T_NOTICE.c.rule.in_(rules),
            T_NOTICE.c.status == "sent",
            day <= as_of,
        )
        .group_by(
            T_NOTICE.c.plan_id,
            T_NOTICE.c.subject,
            T_NOTICE.c.period,
            T_NOTICE.c.department,
            T_NOTICE.c.level,
        )
    )
    for plan_id, subject, period, department, level, on in conn.execute(query).all():
        if isinstance(on, str):
            on = date.fromisoformat(on)
        key = (subject, period, department)
        found = out[plan_id].get(key)
        if found is None or level > found.level:
            out[plan_id][key] = Sent(level, on)
    return out
