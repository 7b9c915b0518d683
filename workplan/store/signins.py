"""The office's sign-ins: server-side sessions that can be ended, and the record of every
attempt that the throttle counts and the office is told of.

A session's cookie is a random token (``secrets.token_urlsafe``); only its SHA-256 is kept, so
a copy of the database opens no session.  A session ends when the office logs out, when it
runs out (``until``), or when the office's password changes: each row carries a short tag of
the password hash it was started under.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, and_, bindparam, insert, select, update

from workplan.store.tables import T_OFFICE_SESSION, T_SIGN_IN


def digest(token: str) -> str:
    """Return what the table keeps of a session's token."""
    return hashlib.sha256(token.encode()).hexdigest()


def password_tag(password_hash: str | None) -> str:
    """Return a short tag of the office's password hash (a session started under another
    password has another tag)."""
    return hashlib.sha256((password_hash or "").encode()).hexdigest()[:16]


@dataclass(frozen=True)
class OfficeSession:
    """A session as the table keeps it."""

    id: str
    user: str
    password: str
    started: datetime
    until: datetime
    ended: datetime | None


def start(
    conn: Connection, *, user: str, password: str, address: str, now: datetime, until: datetime
) -> str:
    """Start a session and return its token (for the cookie); one token per sign-in."""
    token = secrets.token_urlsafe(32)
    conn.execute(
        insert(T_OFFICE_SESSION).values(
            id=digest(token),
            user=user,
            password=password,
            address=address[:200],
            started=now,
            until=until,
        )
    )
    return token


FIND = select(
    T_OFFICE_SESSION.c.id,
    T_OFFICE_SESSION.c.user,
    T_OFFICE_SESSION.c.password,
    T_OFFICE_SESSION.c.started,
    T_OFFICE_SESSION.c.until,
    T_OFFICE_SESSION.c.ended,
).where(T_OFFICE_SESSION.c.id == bindparam("id"))
"""a session by its token's digest (built once: every office page asks)"""


def find(conn: Connection, token: str) -> OfficeSession | None:
    """Return the session of a cookie's token, ended or not; None for an unknown one."""
    row = conn.execute(FIND, {"id": digest(token)}).first()
    return OfficeSession(*row) if row is not None else None


def end(conn: Connection, token: str, now: datetime) -> bool:
    """End a session (logging out); return False when it was unknown or already ended."""
    t = T_OFFICE_SESSION
    done = conn.execute(
        update(t).where(t.c.id == digest(token), t.c.ended.is_(None)).values(ended=now)
    )
    return bool(done.rowcount)


def record(conn: Connection, *, address: str, ok: bool, now: datetime) -> None:
    """Keep one attempt to sign in."""
    conn.execute(insert(T_SIGN_IN).values(address=address[:200], at=now, ok=ok, told=False))


def failures(conn: Connection, since: datetime, address: str | None = None) -> list[datetime]:
    """Return when sign-ins failed since ``since`` (of one address: only those after its last
    success), oldest first."""
    t = T_SIGN_IN
    where = [t.c.at >= since, t.c.ok.is_(False)]
    if address is not None:
        where.append(t.c.address == address[:200])
        last_ok = conn.execute(
            select(t.c.at)
            .where(t.c.address == address[:200], t.c.ok.is_(True), t.c.at >= since)
            .order_by(t.c.at.desc())
            .limit(1)
        ).scalar()
        if last_ok is not None:
            where.append(t.c.at > last_ok)
    return list(conn.execute(select(t.c.at).where(and_(*where)).order_by(t.c.at)).scalars())


@dataclass(frozen=True)
class Failed:
    """A failed sign-in the office has not been told of."""

    id: int
    address: str
    at: datetime


def untold(conn: Connection) -> list[Failed]:
    """Return the failed sign-ins the office has not been told of, oldest first."""
    t = T_SIGN_IN
    rows = conn.execute(
        select(t.c.id, t.c.address, t.c.at)
        .where(t.c.ok.is_(False), t.c.told.is_(False))
        .order_by(t.c.at)
    )
    return [Failed(*row) for row in rows]


def told(conn: Connection, ids: list[int]) -> None:
    """Mark failed sign-ins as told to the office."""
    if ids:
        conn.execute(update(T_SIGN_IN).where(T_SIGN_IN.c.id.in_(ids)).values(told=True))
