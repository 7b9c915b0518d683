"""Store what the evaluator owes: the notices table is the outbox that delivery reads.

``tick`` evaluates a day and inserts its intents; the unique key makes it idempotent, and
concurrent ticks harmless.  Notices still waiting to go out that are no longer owed (the
obligation was done, or it moved to a higher level) are closed as superseded, so a catch-up
after days off delivers today's notices, not a flood of stale ones.
"""

from __future__ import annotations

import gc
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, String, bindparam, cast, func, literal_column, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import JSONB

from workplan.notices.forming import form_letters, letter_groups, letters_of, owns, plan_letters
from workplan.rules.cycle import cycle_intents
from workplan.rules.evaluate import Intent, evaluate
from workplan.rules.kinds import LADDER
from workplan.store.changes import Marker, markers
from workplan.store.cycle_read import cycle_facts
from workplan.store.db import binder, bulk_insert, dumps, read_only, take_ids
from workplan.store.facts_query import read_facts
from workplan.store.tables import T_EVAL, T_NOTICE

WAITING = ("pending", "retrying")


@dataclass
class TickResult:
    """What one evaluation stored."""

    as_of: date
    owed: int = 0
    added: list[Intent] = field(default_factory=list)
    superseded: int = 0
    plans: int = 0
    """the plans evaluated"""
    unchanged: int = 0
    """the plans skipped: evaluated for the day already, and nothing changed since"""


_ROLES: dict[tuple[str, ...], str] = {}


def _roles(roles: tuple[str, ...]) -> str:
    found = _ROLES.get(roles)
    if found is None:
        found = _ROLES[roles] = dumps(list(roles))
    return found


NOTICE_COLUMNS = [
    "as_of",
    "plan_id",
    "key",
    "task_id",
    "obligation_id",
    "metric_id",
    "subject",
    "department",
    "rule",
    "level",
    "level_name",
    "period",
    "due",
    "stage",
    "roles",
    "facts",
    "evaluated_on",
    "created_at",
    "status",
    "attempts",
    "possible_duplicate",
    "batch",
]


def _rows(
    conn: Connection,
    new: list[Intent],
    letters: list[tuple[int, str, str, str | None]],
    as_of: date,
    now: datetime,
) -> list[tuple[Any, ...]]:
    """The new notices' rows, each with its id and letter (``letters``, in the same order:
    id, Message-ID, document, number), then ``NOTICE_COLUMNS``; already bound for the driver
    (the day, the moment and the flag once; each distinct due day once)."""
    day, moment = binder(conn, T_NOTICE.c.as_of), binder(conn, T_NOTICE.c.created_at)
    bound_day, bound_now = day(as_of), moment(now)
    false = binder(conn, T_NOTICE.c.possible_duplicate)(False)
    batch = uuid.uuid4().hex
    dues: dict[date, Any] = {}
    facts_json: dict[int, str] = {}  # the departments of one notice share its facts
    rows = []
    for i, letter in zip(new, letters, strict=True):
        facts = facts_json.get(id(i.facts))
        if facts is None:
            facts = facts_json[id(i.facts)] = dumps(i.facts)
        due = dues.get(i.due)
        if due is None:
            due = dues[i.due] = day(i.due)
        rows.append(
            (
                *letter,
                bound_day,
                i.plan_id,
                i.key,
                i.task_id,
                i.obligation_id,
                i.metric_id,
                i.subject,
                i.department,
                i.rule,
                i.level,
                i.level_name,
                i.period,
                due,
                i.stage,
                _roles(i.roles),
                facts,
                bound_day,
                bound_now,
                "pending",
                0,
                false,
                batch,
            )
        )
    return rows


def _insert_new(conn: Connection, intents: list[Intent], as_of: date, now: datetime) -> set[str]:
    """Insert the intents not stored yet, already in their letters; return the keys this call
    inserted.

    A notice still waiting from an earlier day is brought up to today: its facts (the value,
    the working days late …) are today's, and so is the date of the letter that carries it.

    Most of what is owed on a day was owed yesterday too: the keys are looked up first, in one
    statement, and rows are built only for the new ones.
    """
    existing: set[str] = set()
    revived: list[str] = []
    stale_facts: list[str] = []
    query = select(T_NOTICE.c.key, T_NOTICE.c.status, T_NOTICE.c.as_of)
    for key, status, day in _lookup(conn, query, [i.key for i in intents]):
        existing.add(key)
        if status == "superseded":
            revived.append(key)
        elif status == "pending" and day != as_of:
            stale_facts.append(key)
    if stale_facts:
        by_key = {i.key: i for i in intents}
        conn.execute(
            update(T_NOTICE)
            .where(
                T_NOTICE.c.key == bindparam("k"),
                T_NOTICE.c.status == "pending",
                T_NOTICE.c.claimed_by.is_(None),
            )
            .values(facts=bindparam("f"), as_of=bindparam("d")),
            [{"k": k, "f": dumps(by_key[k].facts), "d": as_of} for k in stale_facts],
        )
    # superseded while it waited, and owed again (a pace gap that reopened): it goes out
    if revived:
        conn.execute(
            update(T_NOTICE)
            .where(_among(conn, T_NOTICE.c.key), T_NOTICE.c.status == "superseded")
            .values(status="pending", closed_on=None, message_id=None, doc_number=None),
            {"keys": dumps(revived)},
        )
    new: list[Intent] = []
    for intent in intents:
        if intent.key not in existing:
            existing.add(intent.key)
            new.append(intent)
    if not new:
        return set()
    return _insert_in_letters(conn, new, as_of, now)


def _insert_in_letters(conn: Connection, new: list[Intent], day: date, now: datetime) -> set[str]:
    """Insert new notices already in their letters; return the keys inserted.

    Their ids are taken first, so each row goes in with its Message-ID and document: putting
    them in letters afterwards wrote every row (and every index entry) a second time.

    PostgreSQL: ids from the table's sequence; ``ON CONFLICT DO NOTHING`` keeps a concurrent
    evaluation harmless, and what was ours comes back by ``RETURNING``.  A document number is
    taken only once the insert says the letter has a notice of this call in it, so one that
    stored the same notices first never makes a number be skipped.  SQLite: the transaction
    has held the database's write lock since it began (``BEGIN IMMEDIATE``), so no other
    evaluation can have stored a key looked up as new: the ids follow the largest, the numbers
    are taken at once, and every row is ours.
    """
    ids = take_ids(conn, T_NOTICE, len(new))
    plans = plan_letters(conn, sorted({i.plan_id for i in new}))
    groups = letter_groups(
        (
            (nid, i.plan_id, i.department, i.rule, i.stage, i.level_name, owns(i))
            for nid, i in zip(ids, new, strict=True)
        ),
        plans,
    )
    server = conn.dialect.name == "postgresql"
    letter_of: dict[int, tuple[int, str, str, str | None]] = {}
    for found in letters_of(conn, groups, plans, day):
        letter = (found.mid, found.kind, found.number)
        for nid in found.ids:
            letter_of[nid] = (nid, *letter)
    full = _rows(conn, new, [letter_of[nid] for nid in ids], day, now)
    columns = ["id", "message_id", "document", "doc_number", *NOTICE_COLUMNS]
    if not server:
        bulk_insert(conn, T_NOTICE, columns, full, bound=True)
        return {i.key for i in new}
    inserted = bulk_insert(
        conn, T_NOTICE, columns, full, skip_conflicts_on="key", returning="id", bound=True
    )
    ours = set(inserted)
    return {i.key for nid, i in zip(ids, new, strict=True) if nid in ours}


def _among(conn: Connection, column: Any) -> Any:
    """``column`` is one of the ``keys`` parameter, given as one JSON text: one statement
    whatever the number of keys (an array parameter is quoted key by key in Python on
    PostgreSQL; SQLite takes at most 32,766 parameters a statement)."""
    keys_text = bindparam("keys", type_=String())
    if conn.dialect.name == "postgresql":
        keys = select(func.jsonb_array_elements_text(cast(keys_text, JSONB)))
    else:
        keys = select(literal_column("value")).select_from(func.json_each(keys_text))
    return column.in_(keys.scalar_subquery())


def _lookup(conn: Connection, query: Any, keys: list[str]) -> list[Any]:
    """Run ``query`` for the notices whose key is in ``keys`` (one statement)."""
    if not keys:
        return []
    found = conn.execute(query.where(_among(conn, T_NOTICE.c.key)), {"keys": dumps(keys)})
    return list(found.all())  # all at once: psycopg fetches a row at a time otherwise


def _record_days(
    conn: Connection,
    as_of: date,
    now: datetime,
    added: dict[int, int],
    owed: dict[int, int],
    versions: dict[int, int],
) -> None:
    """Remember that ``as_of`` was evaluated for each plan, for the service's catch-up, with
    the change marker read before the facts and the number of notices owed (what the next
    tick of the day reports when nothing has changed)."""
    if not added:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    insert = dialect.insert(T_EVAL)
    statement = insert.on_conflict_do_update(
        index_elements=["plan_id", "as_of"],
        set_={
            "at": insert.excluded.at,
            "added": T_EVAL.c.added + insert.excluded.added,
            "facts_version": insert.excluded.facts_version,
            "owed": insert.excluded.owed,
        },
    )
    conn.execute(
        statement,
        [
            {
                "plan_id": pid,
                "as_of": as_of,
                "at": now,
                "added": n,
                "facts_version": versions.get(pid),
                "owed": owed[pid],
            }
            for pid, n in added.items()
        ],
    )


def _supersede(
    conn: Connection, owed: set[str], plans: set[int], as_of: date, plan_ids: list[int] | None
) -> int:
    """Close the waiting notices of the evaluated plans that are no longer owed; return how
    many.  One UPDATE on PostgreSQL (the owed keys as an array parameter)."""
    waiting = [T_NOTICE.c.status.in_(WAITING)]
    if plan_ids is not None:
        waiting.append(T_NOTICE.c.plan_id.in_(plan_ids))
    close = update(T_NOTICE).values(status="superseded", closed_on=as_of)
    if conn.dialect.name == "postgresql":
        # the owed keys as one JSON text (an array parameter is quoted key by key in Python),
        # and NOT IN a subquery: hashed once, where "<> ALL(array)" compares every pair
        owed_keys = select(
            func.jsonb_array_elements_text(
                cast(bindparam("owed", dumps(sorted(owed)), String()), JSONB)
            )
        )
        stale = close.where(*waiting, T_NOTICE.c.key.not_in(owed_keys))
        return int(conn.execute(stale).rowcount)
    query = select(T_NOTICE.c.id, T_NOTICE.c.plan_id, T_NOTICE.c.key).where(*waiting)
    ids = [r.id for r in conn.execute(query) if r.key not in owed and r.plan_id in plans]
    for start in range(0, len(ids), 5000):
        conn.execute(close.where(T_NOTICE.c.id.in_(ids[start : start + 5000]), *waiting))
    return len(ids)


def already_evaluated(
    conn: Connection, as_of: date, plan_ids: list[int] | None = None
) -> TickResult | None:
    """Return what :func:`tick` would, if every plan (all by default) has been evaluated for
    ``as_of`` already and nothing has changed since; None if some plan needs evaluating.

    One read of the change markers, and no write: run first, outside a transaction
    (:func:`tick_if_changed`), it repeats a tick without a transaction's round trips or its
    write lock.  What it finds can change as soon as it is read; a caller
    given None runs :func:`tick`, which reads the markers again in its own transaction.
    """
    marks = markers(conn, as_of, plan_ids)
    if not marks or not all(mark.unchanged for mark in marks.values()):
        return None
    return _skipped(as_of, marks)


def tick_if_changed(
    conn: Connection, as_of: date, now: datetime, *, plan_ids: list[int] | None = None
) -> TickResult:
    """Evaluate ``as_of`` as `workplan tick` does, on ``conn`` (not in a transaction): a day
    evaluated already, with nothing changed since, is answered by :func:`already_evaluated`
    outside a transaction; otherwise :func:`tick` runs in a transaction of its own."""
    with read_only(conn):
        found = already_evaluated(conn, as_of, plan_ids)
    if found is not None:
        return found
    with conn.begin():
        return tick(conn, as_of, now, plan_ids=plan_ids)


def _skipped(as_of: date, marks: dict[int, Marker]) -> TickResult:
    """A tick's result when every plan is unchanged: the notices their evaluations found."""
    return TickResult(as_of, owed=sum(m.owed or 0 for m in marks.values()), unchanged=len(marks))


def tick(
    conn: Connection, as_of: date, now: datetime, *, plan_ids: list[int] | None = None
) -> TickResult:
    """Evaluate ``as_of`` for the given plans (all by default) and store the notices owed.

    A plan already evaluated for ``as_of`` whose facts have not changed since (its change
    marker, :mod:`workplan.store.changes`) is not evaluated again: it would owe the same
    notices, already stored.  The marker is read before the facts, so a write that lands
    while the evaluation runs makes the next tick evaluate the plan again.
    """
    with _collector_paused():
        return _tick(conn, as_of, now, plan_ids)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Hold Python's cycle collector while a tick runs: the tick makes a few objects per
    fact and notice (hundreds of thousands, none in a cycle), and every 700 of them made the
    collector walk the young ones, every 7,000 more of them (a quarter of the tick's
    processor time at 700 counties).  What the tick leaves is collected afterwards, as ever."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def _tick(conn: Connection, as_of: date, now: datetime, plan_ids: list[int] | None) -> TickResult:
    marks = markers(conn, as_of, plan_ids)
    unchanged = {pid for pid, mark in marks.items() if mark.unchanged}
    if _one_tick_per_plan(conn, sorted(set(marks) - unchanged)):
        # another evaluation may have held a lock until it recorded the same plans: read
        # their markers again, now that this evaluation holds them
        marks.update(markers(conn, as_of, sorted(set(marks) - unchanged)))
        unchanged = {pid for pid, mark in marks.items() if mark.unchanged}
    if unchanged and len(unchanged) == len(marks):
        return _skipped(as_of, marks)
    owed_before = sum(marks[pid].owed or 0 for pid in unchanged)
    chosen = plan_ids if not unchanged else sorted(set(marks) - unchanged)
    facts, calendars = read_facts(conn, as_of, plan_ids=chosen, ladder=LADDER)
    intents: list[Intent] = []
    owed: dict[int, int] = {}
    cycles = cycle_facts(conn, list(facts), as_of)
    for plan_id, plan_facts in facts.items():
        found = evaluate(plan_facts, as_of, calendars[plan_id])
        office, calendar = plan_facts.office, calendars[plan_id]
        found += cycle_intents(plan_id, office, cycles.get(plan_id), as_of, calendar)
        owed[plan_id] = len(found)
        intents.extend(found)
    # what is no longer owed goes first: a new notice never joins a letter about to close
    superseded = _supersede(conn, {i.key for i in intents}, set(facts), as_of, chosen)
    added_keys = _insert_new(conn, intents, as_of, now)
    form_letters(conn, list(facts), as_of)
    added = [i for i in intents if i.key in added_keys]
    per_plan: dict[int, int] = {pid: 0 for pid in facts}
    for intent in added:
        per_plan[intent.plan_id] += 1
    versions = {pid: mark.version for pid, mark in marks.items()}
    _record_days(conn, as_of, now, per_plan, owed, versions)
    return TickResult(
        as_of,
        owed=len(intents) + owed_before,
        added=added,
        superseded=superseded,
        plans=len(facts),
        unchanged=len(unchanged),
    )


TICK_LOCKS = 7  # the advisory-lock class of the evaluation (two-key locks: a space of its own)
LOCK_BUCKETS = 1024


def _one_tick_per_plan(conn: Connection, plan_ids: list[int]) -> bool:
    """On PostgreSQL, evaluate a plan in one transaction at a time (until this one commits);
    return whether locks were taken.

    Two services evaluating the same plans at once updated the same waiting notices in
    different orders, and PostgreSQL broke the deadlock by failing one of them.  Each plan's
    lock (one of 1,024, for a bounded number of locks) is taken in order, for the plans whose
    markers say they need evaluating; the caller then reads those markers again, and a plan
    that another evaluation recorded meanwhile is skipped.  A plan found unchanged needs no
    lock: skipping it is what the evaluation that recorded it would have done.
    """
    if conn.dialect.name != "postgresql" or not plan_ids:
        return False
    buckets = sorted({pid % LOCK_BUCKETS for pid in plan_ids})
    conn.exec_driver_sql(
        "SELECT count(pg_advisory_xact_lock(%(class)s, b)) "
        "FROM (SELECT unnest(CAST(%(buckets)s AS integer[])) AS b ORDER BY 1) AS ordered",
        {"class": TICK_LOCKS, "buckets": buckets},
    )
    return True
