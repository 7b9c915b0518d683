"""The posting channels' limits, kept together by every process that sends through one
database.

Each robot (or webhook) has hard limits.  :func:`admit` counts every send to it in the
database, in a transaction that holds its ``robot_gate`` row, so every process sending through
the same database (two services on PostgreSQL) stays under one limit together.  Time is a
parameter: ``admit`` is told what time it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from workplan.channels.robot import Robot
from workplan.store.tables import T_ROBOT_GATE, T_ROBOT_SEND


def limits_of(robot: Robot) -> tuple[tuple[int, float], ...]:
    """The robot's limits, lowered to its configured per_minute."""
    per_minute = robot.settings.per_minute
    if per_minute is None:
        return robot.limits
    return tuple((min(n, per_minute), s) if s == 60 else (n, s) for n, s in robot.limits) + (
        ((per_minute, 60.0),) if all(s != 60 for _, s in robot.limits) else ()
    )


def admit(
    engine: Engine, robot: str, limits: Sequence[tuple[int, float]], now: datetime
) -> datetime | None:
    """Count a send to ``robot`` at ``now`` if every limit allows it and return None; else
    count nothing and return the earliest time one may.  Shared by every process."""
    longest = max(seconds for _, seconds in limits)
    with engine.begin() as conn:
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        conn.execute(
            dialect.insert(T_ROBOT_GATE).values(robot=robot).on_conflict_do_nothing(),
        )
        # hold the robot's gate: a second process waits here until this one has counted
        gate = select(T_ROBOT_GATE.c.robot).where(T_ROBOT_GATE.c.robot == robot)
        if conn.dialect.name == "postgresql":
            gate = gate.with_for_update()
        conn.execute(gate)
        later = None
        for count, seconds in limits:
            since = now - timedelta(seconds=seconds)
            recent = select(T_ROBOT_SEND.c.at).where(
                T_ROBOT_SEND.c.robot == robot, T_ROBOT_SEND.c.at > since
            )
            if (
                conn.execute(select(func.count()).select_from(recent.subquery())).scalar_one()
                < count
            ):
                continue
            # the count-th most recent send must leave the window first
            nth: datetime = conn.execute(
                recent.order_by(T_ROBOT_SEND.c.at.desc()).offset(count - 1).limit(1)
            ).scalar_one()
            free = nth + timedelta(seconds=seconds)
            later = free if later is None or free > later else later
        if later is not None:
            return later
        conn.execute(insert(T_ROBOT_SEND).values(robot=robot, at=now))
        conn.execute(
            delete(T_ROBOT_SEND).where(
                T_ROBOT_SEND.c.robot == robot,
                T_ROBOT_SEND.c.at < now - timedelta(seconds=longest * 2),
            )
        )
    return None
