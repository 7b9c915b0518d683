"""The change marker of each plan's facts: what lets a repeated tick skip a plan.

Every write of something the evaluation reads or acts on — a report, a done mark, an
extension, a sign-off, an event, a plan reloaded, and a notice's state changed outside the
tick (sent, failed, retried, reaped, released, resent) — calls :func:`facts_changed` with the
plans it touched, in the same transaction.  The tick records the marker it read *before*
reading the facts (``evaluation.facts_version``); the next tick of the same business day
evaluates again only the plans whose marker has moved since.  A writer that forgets the call
makes the next tick of the day miss its change, so a new kind of fact write must call it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, and_, bindparam, select, update

from workplan.store.tables import T_EVAL, T_PLAN, Day


def facts_changed(conn: Connection, plan_ids: Iterable[int]) -> None:
    """Move the change marker of each plan in ``plan_ids`` (in the caller's transaction).

    One statement, the plans in the order of their id: two transactions that both touch
    several plans lock their rows in the same order (PostgreSQL).
    """
    ids = sorted({int(p) for p in plan_ids})
    if not ids:
        return
    conn.execute(
        update(T_PLAN).where(T_PLAN.c.id.in_(ids)).values(facts_version=T_PLAN.c.facts_version + 1)
    )


@dataclass(frozen=True, slots=True)
class Marker:
    """A plan's change marker, and what the last evaluation of the day recorded."""

    version: int
    evaluated: int | None
    """the marker the day's last evaluation read (None: not evaluated yet today)"""
    owed: int | None
    """how many notices that evaluation found owed"""

    @property
    def unchanged(self) -> bool:
        """Evaluated today already, and nothing has changed since."""
        return self.evaluated == self.version and self.owed is not None


def markers(conn: Connection, as_of: date, plan_ids: list[int] | None) -> dict[int, Marker]:
    """Return each plan's change marker with what the evaluation of ``as_of`` recorded: one
    row per plan, read by primary key and the (plan, day) unique index."""
    query = select(
        T_PLAN.c.id, T_PLAN.c.facts_version, T_EVAL.c.facts_version, T_EVAL.c.owed
    ).select_from(
        T_PLAN.outerjoin(
            T_EVAL,
            and_(
                T_EVAL.c.plan_id == T_PLAN.c.id,
                T_EVAL.c.as_of == bindparam("as_of", as_of, type_=Day()),
            ),
        )
    )
    if plan_ids is not None:
        query = query.where(T_PLAN.c.id.in_(plan_ids))
    # all rows at once: iterating a result fetches row by row, a driver call per plan
    rows = conn.execute(query).all()
    return {pid: Marker(now, then, owed) for pid, now, then, owed in rows}
