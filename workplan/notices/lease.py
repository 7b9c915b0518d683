"""Claims, leases and retries: how every channel takes its work without sending it twice.

The e-mail's notices (``notice``) and the robots' posts (``delivery``) go the same way:
pending -> claimed (an owner and a lease) -> sent; or -> retrying (after a backoff) -> failed.

* *Claim* in one short transaction (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several
  services share the work; SQLite serialises writers and runs one service per file).
* *Heartbeat*: while a run sends, its owner is renewed every third of the lease, so a slow
  server never lets another service take over work still being sent.
* *Reap*: a claim whose lease ran out and whose owner is gone (a service that died) goes back
  to retrying.  A message that had started to go may have been delivered: it is flagged.
* *Record* each outcome with an update fenced on the claim (``status = 'claimed' AND
  claimed_by = owner``), so a run whose claim was reaped cannot overwrite another's record.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Connection,
    Engine,
    Table,
    and_,
    bindparam,
    case,
    delete,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from workplan.channels.base import Outcome
from workplan.notices.compose import (
    Group,
    Plan,
    digest_of,
    message_id_for,
    sending_now,
    shared_act,
)
from workplan.notices.numbers import number_format, take
from workplan.rules.kinds import STAGE_OVERDUE
from workplan.store.changes import facts_changed
from workplan.store.tables import T_DELIVERY, T_DISPATCHER, T_NOTICE, T_PLAN, T_TASK

log = logging.getLogger("workplan.dispatch")

WAITING = ("pending", "retrying")


@dataclass(frozen=True)
class Fate:
    """What becomes of a message after one try: its status, when to try again, and whether
    the try counts (a failure of the channel, not of the message, does not)."""

    status: str
    next_at: datetime | None = None
    counted: bool = True


@dataclass(frozen=True)
class Retries:
    """How hard to try a message on one channel."""

    max_attempts: int
    backoff: timedelta
    backoff_max: timedelta

    def wait(self, attempts: int) -> timedelta:
        """The wait after the ``attempts``-th failure: doubling, capped."""
        wait: timedelta = self.backoff * (2 ** max(attempts - 1, 0))
        return min(wait, self.backoff_max)

    def fate(self, outcome: Outcome, attempts: int, now: datetime) -> Fate:
        """Decide a message's fate from the outcome of its ``attempts``-th try at ``now``."""
        if outcome.status == "channel":  # the channel's fault: the next run tries it again
            return Fate("retrying", now, counted=False)
        if outcome.status == "sent":
            return Fate("sent")
        if outcome.status == "permanent" or attempts >= self.max_attempts:
            return Fate("failed")
        return Fate("retrying", now + self.wait(attempts))


def due(table: Table, wall: datetime) -> Any:
    """The rows waiting whose time to try has come."""
    return and_(
        table.c.status.in_(WAITING),
        or_(table.c.next_attempt_at.is_(None), table.c.next_attempt_at <= wall),
    )


def fenced(table: Table) -> Any:
    """An update of rows the ``owner`` parameter still holds the claim of."""
    return update(table).where(
        table.c.status == "claimed", table.c.claimed_by == bindparam("owner")
    )


def expired(table: Table, wall: datetime) -> Any:
    """Claims whose lease ran out and whose owner is no longer alive."""
    alive = select(T_DISPATCHER.c.owner).where(T_DISPATCHER.c.expires >= wall)
    return and_(
        table.c.status == "claimed",
        table.c.claim_expires < wall,
        table.c.claimed_by.not_in(alive),
    )


def _undo_attempt() -> Any:
    return case((T_NOTICE.c.attempts > 0, T_NOTICE.c.attempts - 1), else_=0)


def reap(conn: Connection, now: datetime) -> int:
    """Free the notices whose claim expired (a dispatcher that died).

    A message that had started to go to the server may have been delivered: it is flagged as
    a possible duplicate.  One that never started goes back unflagged, the attempt undone.
    """
    stale = expired(T_NOTICE, now)
    freed = {"status": "retrying", "next_attempt_at": now, "claimed_by": None}
    handed = conn.execute(
        update(T_NOTICE)
        .where(stale, T_NOTICE.c.handed_at.is_not(None))
        .values(
            **freed,
            claim_expires=None,
            handed_at=None,
            possible_duplicate=True,
            error="the claim expired after the message started to go to the server and"
            " before its outcome was recorded (the dispatcher stopped?)",
        )
        .returning(T_NOTICE.c.plan_id)
    ).all()
    unsent = conn.execute(
        update(T_NOTICE)
        .where(stale, T_NOTICE.c.handed_at.is_(None))
        .values(**freed, claim_expires=None, attempts=_undo_attempt())
        .returning(T_NOTICE.c.plan_id)
    ).all()
    # waiting again: the next tick supersedes them if they are no longer owed
    facts_changed(conn, [r.plan_id for r in (*handed, *unsent)])
    return len(handed) + len(unsent)


def release(conn: Connection, owner: str, now: datetime, why: str | None = None) -> int:
    """Give back this dispatcher's claims on messages it never started to send (a stop, or
    a channel that failed: ``why``)."""
    result = conn.execute(
        update(T_NOTICE)
        .where(
            T_NOTICE.c.status == "claimed",
            T_NOTICE.c.claimed_by == owner,
            T_NOTICE.c.handed_at.is_(None),
        )
        .values(
            status="retrying",
            next_attempt_at=now,
            claimed_by=None,
            claim_expires=None,
            attempts=_undo_attempt(),
            **({"error": f"waiting for the channel: {why}"[:1000]} if why else {}),
        )
        .returning(T_NOTICE.c.plan_id)
    ).all()
    facts_changed(conn, [r.plan_id for r in result])
    return len(result)


def hand(conn: Connection, message_id: str, owner: str, now: datetime) -> bool:
    """Before a message goes to the server: check this dispatcher still holds its claim and
    mark it as handed over.  Returns False when the claim was lost (reaped and taken by
    another): do not send."""
    marked = conn.execute(
        fenced(T_NOTICE).where(T_NOTICE.c.message_id == message_id).values(handed_at=now),
        {"owner": owner},
    )
    return bool(marked.rowcount)


def heartbeat(conn: Connection, owner: str, expires: datetime) -> None:
    """Say this dispatcher is alive until ``expires``: its claims are not reaped meanwhile."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    conn.execute(
        dialect.insert(T_DISPATCHER)
        .values(owner=owner, expires=expires)
        .on_conflict_do_update(index_elements=["owner"], set_={"expires": expires})
    )


class Heartbeat:
    """Renew this dispatcher's lease every third of it, in a thread, while a run lasts."""

    def __init__(self, engine: Engine, owner: str, lease: timedelta, real: Callable[[], datetime]):
        self.engine, self.owner, self.lease, self.real = engine, owner, lease, real
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)

    def beat(self) -> None:
        with self.engine.begin() as conn:
            heartbeat(conn, self.owner, self.real() + self.lease)

    def _run(self) -> None:
        while not self.done.wait(self.lease.total_seconds() / 3):
            try:
                self.beat()
            except SQLAlchemyError as exc:  # the next beat tries again; sends stay fenced
                log.warning("cannot renew the dispatcher's lease: %s", exc)

    def __enter__(self) -> Heartbeat:
        self.beat()
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.done.set()
        self.thread.join()
        with self.engine.begin() as conn:
            conn.execute(delete(T_DISPATCHER).where(T_DISPATCHER.c.owner == self.owner))


# the e-mail's claims: notices, grouped into letters ------------------------------------------
_COLUMNS = [
    T_NOTICE.c.id,
    T_NOTICE.c.plan_id,
    T_NOTICE.c.key,
    T_NOTICE.c.task_id,
    T_NOTICE.c.subject,
    T_NOTICE.c.department,
    T_NOTICE.c.rule,
    T_NOTICE.c.level,
    T_NOTICE.c.level_name,
    T_NOTICE.c.due,
    T_NOTICE.c.stage,
    T_NOTICE.c.roles,
    T_NOTICE.c.facts,
    T_NOTICE.c.attempts,
    T_NOTICE.c.message_id,
    T_NOTICE.c.possible_duplicate,
    T_NOTICE.c.obligation_id,
    T_NOTICE.c.metric_id,
    T_NOTICE.c.period,
    T_NOTICE.c.evaluated_on,
    T_NOTICE.c.as_of,
    T_NOTICE.c.document,
    T_NOTICE.c.doc_number,
]


def notices() -> Any:
    """The notices as composition reads them, with their item's number."""
    return select(*_COLUMNS, T_TASK.c.number.label("task_number")).select_from(
        T_NOTICE.join(T_TASK, T_TASK.c.id == T_NOTICE.c.task_id)
    )


def _lock(query: Any, conn: Connection) -> Any:
    if conn.dialect.name == "postgresql":
        return query.with_for_update(skip_locked=True, of=T_NOTICE)
    return query


def _whole_letters(conn: Connection, first: Any) -> list[dict[str, Any]]:
    """Lock the due notices to claim on PostgreSQL, each letter whole or not at all.

    With ``SKIP LOCKED`` alone, two dispatchers could each lock part of one letter and send
    two messages under its Message-ID.  A letter is taken only by the dispatcher that gets its
    advisory lock (for the transaction), and only if every line still waiting is locked by it;
    otherwise it is left for the next round.  Notices not in a letter yet are locked as found.
    """
    rows = [dict(r) for r in conn.execute(first).mappings()]
    loose = [r["id"] for r in rows if not r["message_id"]]
    picked: list[dict[str, Any]] = []
    if loose:
        query = notices().where(T_NOTICE.c.id.in_(loose), T_NOTICE.c.status.in_(WAITING))
        picked += [dict(r) for r in conn.execute(_lock(query, conn)).mappings()]
    for mid in sorted({r["message_id"] for r in rows if r["message_id"]}):
        if not conn.execute(select(func.pg_try_advisory_xact_lock(func.hashtext(mid)))).scalar():
            continue  # another dispatcher is claiming it
        lines = and_(T_NOTICE.c.message_id == mid, T_NOTICE.c.status.in_(WAITING))
        held = [dict(r) for r in conn.execute(_lock(notices().where(lines), conn)).mappings()]
        waiting = conn.execute(select(func.count()).select_from(T_NOTICE).where(lines)).scalar()
        if held and len(held) == waiting:
            picked += held
    return picked


def claim(
    conn: Connection,
    now: datetime,
    owner: str,
    plans: dict[int, Plan],
    *,
    lease: timedelta,
    batch: int = 200,
    ignore_hours: bool = False,
    sender: str | None = None,
    wall: datetime | None = None,
) -> list[Group]:
    """Pick due notices, group them into messages and claim them (in the caller's
    transaction): a department's daily digest of reminders, each escalation on its own, each
    message with its Message-ID."""
    allowed = [p.id for p in plans.values() if ignore_hours or sending_now(p, now)]
    if not allowed:
        return []
    real = wall or now
    ready = and_(due(T_NOTICE, real), T_NOTICE.c.plan_id.in_(allowed))
    first = notices().where(ready).order_by(T_NOTICE.c.id).limit(batch)
    if conn.dialect.name == "postgresql":
        picked = _whole_letters(conn, first)
        earlier = []
    else:
        picked = [dict(r) for r in conn.execute(first).mappings()]
        # a message composed before (a retry) goes out whole, with the same Message-ID
        earlier = sorted({r["message_id"] for r in picked if r["message_id"]})
    if earlier:
        have = {r["id"] for r in picked}
        more = conn.execute(
            _lock(
                notices().where(T_NOTICE.c.message_id.in_(earlier), T_NOTICE.c.status.in_(WAITING)),
                conn,
            )
        ).mappings()
        picked += [dict(r) for r in more if r["id"] not in have]
    groups: dict[str, Group] = {}
    fresh: dict[tuple[int, str], list[dict[str, Any]]] = {}
    for row in picked:
        if row["message_id"]:
            groups.setdefault(
                row["message_id"],
                Group(row["message_id"], row["plan_id"], row["department"], digest_of(row), []),
            ).rows.append(row)
        elif row["stage"] < STAGE_OVERDUE and plans[row["plan_id"]].digest:
            fresh.setdefault((row["plan_id"], row["department"]), []).append(row)
        else:
            mid = message_id_for([row], plans[row["plan_id"]], sender)
            groups[mid] = Group(mid, row["plan_id"], row["department"], False, [row])
    for (plan_id, department), rows in fresh.items():
        mid = message_id_for(rows, plans[plan_id], sender)
        groups[mid] = Group(mid, plan_id, department, True, rows)
    params = [{"nid": r["id"], "mid": g.message_id} for g in groups.values() for r in g.rows]
    if params:
        conn.execute(
            update(T_NOTICE)
            .where(
                T_NOTICE.c.id == bindparam("nid"),
                or_(T_NOTICE.c.status == "pending", T_NOTICE.c.status == "retrying"),
            )
            .values(
                status="claimed",
                claimed_by=owner,
                claim_expires=real + lease,
                attempts=T_NOTICE.c.attempts + 1,
                message_id=bindparam("mid"),
            ),
            params,
        )
    for group in groups.values():
        for r in group.rows:
            r["attempts"] += 1
    number_letters(conn, list(groups.values()), plans, now)
    return list(groups.values())


def number_letters(
    conn: Connection, groups: list[Group], plans: dict[int, Plan], now: datetime
) -> None:
    """Give each claimed letter of a kind its plan numbers its 文号, as it goes out (a retry
    keeps the one it has): the next of its office's series, or, for a copy of the day's
    通报, the number that act already has.  A letter withdrawn before it went takes none."""
    shared: dict[tuple[str, str, date], str] = {}
    params = []
    for group in groups:
        first = group.rows[0]
        document = first["document"]
        if not document or any(r["doc_number"] for r in group.rows):
            continue
        plan = plans[group.plan_id]
        fmt = number_format(plan.numbering, document)
        if fmt is None:
            continue
        days = [r["as_of"] for r in group.rows if r["as_of"] is not None]
        day = max(days) if days else now.astimezone(ZoneInfo(plan.timezone)).date()
        act = (plan.office, document, day)
        number = shared.get(act) if shared_act(first) else None
        if number is None and shared_act(first):
            number = _issued(conn, plan, document, day)
        if number is None:
            number = take(conn, plan.office, fmt, day)
        if shared_act(first):
            shared[act] = number
        for r in group.rows:
            r["doc_number"] = number
        params.append({"mid": group.message_id, "num": number})
    if params:
        conn.execute(
            update(T_NOTICE)
            .where(T_NOTICE.c.message_id == bindparam("mid"))
            .values(doc_number=bindparam("num")),
            params,
        )


def _issued(conn: Connection, plan: Plan, document: str, day: date) -> str | None:
    """The number the office's act of ``document`` of ``day`` was given already, if any."""
    found = conn.execute(
        select(T_NOTICE.c.doc_number)
        .select_from(T_NOTICE.join(T_PLAN, T_PLAN.c.id == T_NOTICE.c.plan_id))
        .where(
            T_PLAN.c.office == plan.office,
            T_NOTICE.c.document == document,
            T_NOTICE.c.as_of == day,
            T_NOTICE.c.doc_number.is_not(None),
        )
        .limit(1)
    ).scalar()
    return str(found) if found else None


# the robots' claims: one delivery per message and robot ---------------------------------------
def claim_posts(
    conn: Connection, wall: datetime, owner: str, *, lease: timedelta, batch: int
) -> list[dict[str, Any]]:
    """Free the deliveries whose claim expired, then claim those due (in the caller's
    transaction)."""
    conn.execute(
        update(T_DELIVERY)
        .where(expired(T_DELIVERY, wall))
        .values(status="retrying", claimed_by=None, claim_expires=None, next_attempt_at=wall)
    )
    query = select(T_DELIVERY).where(due(T_DELIVERY, wall)).order_by(T_DELIVERY.c.id).limit(batch)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    picked = [dict(r) for r in conn.execute(query).mappings()]
    if picked:
        conn.execute(
            update(T_DELIVERY)
            .where(T_DELIVERY.c.id.in_([r["id"] for r in picked]))
            .values(status="claimed", claimed_by=owner, claim_expires=wall + lease)
        )
    return picked
