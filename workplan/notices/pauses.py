"""Paused channels: a channel whose configuration failed (no connection, a refused login, a
robot refusing its secret) waits, still owing its messages, until one goes through.

A pause is a row of ``channel_pause`` named after the channel: ``smtp``, ``outbox folder``,
or ``robot NAME`` for a configured robot or webhook.  ``status`` shows it, every run tries
again, and the office is alerted (``alert.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from workplan.store.tables import T_CHANNEL

ROBOT = "robot "
"""a robot (or webhook) as a paused channel is named ``robot NAME``"""


@dataclass(frozen=True)
class Pause:
    """A paused channel, as ``channel_pause`` keeps it."""

    channel: str
    since: datetime
    reason: str


def robot_channel(name: str) -> str:
    """The paused channel's name of a configured robot."""
    return f"{ROBOT}{name}"


def pause_channel(conn: Connection, name: str, reason: str, at: datetime) -> None:
    """Record that a channel failed (its first failure stays its ``since``)."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    conn.execute(
        dialect.insert(T_CHANNEL)
        .values(channel=name, since=at, last_seen=at, reason=reason[:1000])
        .on_conflict_do_update(
            index_elements=["channel"], set_={"last_seen": at, "reason": reason[:1000]}
        )
    )


def resume_channel(conn: Connection, name: str) -> None:
    """A message went through the channel: its pause is over."""
    conn.execute(delete(T_CHANNEL).where(T_CHANNEL.c.channel == name))


def pauses(engine: Engine, channels: Sequence[str] | None = None) -> list[Pause]:
    """Return the paused channels (those named, or all)."""
    query = select(T_CHANNEL).order_by(T_CHANNEL.c.channel)
    if channels is not None:
        query = query.where(T_CHANNEL.c.channel.in_(channels))
    with engine.connect() as conn:
        return [Pause(r.channel, r.since, r.reason) for r in conn.execute(query)]
