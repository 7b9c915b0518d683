"""Dispatch: turn pending notices into messages and send them, losing nothing.

Each notice goes pending -> claimed -> sent, or -> retrying (a temporary failure: backoff,
then again) -> failed (a permanent refusal, or too many attempts).  The steps:

1. *Reap*: claims whose lease expired (a dispatcher that died) go back to retrying, flagged as
   possible duplicates, since the message may have left before the crash.
2. *Claim*: in one short transaction, pick due notices (``FOR UPDATE SKIP LOCKED`` on
   PostgreSQL, so several services share the work; SQLite runs one service per file), group
   them into messages (a department's daily digest of reminders, each escalation on its own),
   give each message its Message-ID, and mark them claimed with an owner and a lease.
3. *Send* outside any transaction, over the channel's reused connection.
4. *Record*: an update fenced on the claim (``status = 'claimed' AND claimed_by = owner``),
   so a dispatcher whose lease was reaped cannot overwrite what another recorded.

A message that was accepted by the server but not yet recorded when the process died is sent
again after the reaper frees it, with the same Message-ID: that is the only way a second copy
can happen.
"""

from __future__ import annotations

import json
import logging
import queue
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Connection,
    Engine,
    and_,
    bindparam,
    case,
    delete,
    func,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from workplan.channels.base import Channel, Outcome, Outgoing, Party
from workplan.channels.mail import HeaderInjection, compose, domain_of, message_id
from workplan.notices.letters import Earlier, Letter, Message, letter
from workplan.notices.outbox import DIGEST
from workplan.plan.calendar import Calendars, WorkCalendar
from workplan.plan.settings import PlanSettings
from workplan.rules.evaluate import LEADERSHIP
from workplan.rules.kinds import STAGE_OVERDUE, STAGE_WARN
from workplan.store import db as store
from workplan.store.changes import facts_changed
from workplan.store.db import dumps
from workplan.store.links import LinkSettings
from workplan.store.snapshot import rules_from_json
from workplan.store.tables import (
    T_CHANNEL,
    T_DEPT,
    T_DISPATCHER,
    T_MESSAGE,
    T_METRIC,
    T_NOTICE,
    T_OBL,
    T_PLAN,
    T_RULES,
    T_TASK,
)

log = logging.getLogger("workplan.dispatch")

WAITING = ("pending", "retrying")
DATE_FACTS = ("deadline", "planned", "reported_on", "remind_from")


class Renderer(Protocol):
    """What dispatch needs from the templates."""

    def render(self, message: Message) -> Any:
        """Return an object with subject, text and html."""


@dataclass(frozen=True)
class DispatchSettings:
    """How hard to try, and how long a claim holds."""

    lease: timedelta = timedelta(minutes=5)
    batch: int = 200
    max_attempts: int = 8
    backoff: timedelta = timedelta(minutes=1)
    backoff_max: timedelta = timedelta(hours=2)
    record_every: int = 20
    """outcomes are committed at least this often (messages): the window for a second copy"""
    ignore_hours: bool = False
    """send outside the plans' sending hours (by hand, not by the service)"""
    sender: str | None = None
    links: LinkSettings | None = None
    """when set, each letter carries the department's signed link to its report page"""


@dataclass
class DispatchResult:
    """What one dispatch run did."""

    messages: int = 0
    notices: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    unknown: int = 0
    reaped: int = 0
    refused_recipients: int = 0
    lost_claims: int = 0
    released: int = 0
    """claims given back unsent when the run stopped"""
    waiting: int = 0
    """messages that wait for the channel (not counted as attempts)"""
    channel_error: str | None = None
    """why the channel paused this run, if it did"""
    outside_hours: list[str] = field(default_factory=list)


@dataclass
class _Plan:
    id: int
    key: str
    title: str
    year: int
    timezone: str
    locale: str
    office: str
    issuer: str | None
    leadership: tuple[Party, ...]
    digest: bool
    hours: tuple[int, int]
    calendar: WorkCalendar
    office_email: str | None = None
    return_form: bool = False
    """attach the department's return form to its first digest of each month"""


@dataclass(frozen=True)
class Composed:
    """A message ready to send, with what the office keeps of it."""

    outgoing: Outgoing
    kind: str
    subject: str
    text: str
    department: str
    plan_id: int


@dataclass
class _Group:
    message_id: str
    plan_id: int
    department: str
    digest: bool
    rows: list[dict[str, Any]]


def backoff(attempts: int, settings: DispatchSettings) -> timedelta:
    """Return the wait after the ``attempts``-th failure: doubling, capped."""
    wait: timedelta = settings.backoff * (2 ** max(attempts - 1, 0))
    return min(wait, settings.backoff_max)


def _plans(conn: Connection) -> dict[int, _Plan]:
    office_rows = select(T_DEPT.c.plan_id, T_DEPT.c.name, T_DEPT.c.emails).join(
        T_PLAN, and_(T_PLAN.c.id == T_DEPT.c.plan_id, T_PLAN.c.office == T_DEPT.c.name)
    )
    offices = {(r.plan_id, r.name): json.loads(r.emails) for r in conn.execute(office_rows)}
    out = {}
    for r in conn.execute(select(T_PLAN)).mappings():
        settings = PlanSettings.from_json(r["settings"])
        notices = settings.notices
        out[r["id"]] = _Plan(
            r["id"],
            r["key"],
            r["title"],
            r["year"],
            r["timezone"],
            r["locale"],
            r["office"],
            settings.issuer,
            tuple(Party(name or email, (email,)) for name, email in settings.leadership),
            notices.digest,
            notices.hours,
            Calendars().get(settings.calendar, r["year"]),
            (offices.get((r["id"], r["office"])) or [None])[0],
            notices.return_form,
        )
    return out


def sending_now(plan: _Plan, now: datetime) -> bool:
    """Return True inside the plan's sending hours on one of its working days."""
    local = now.astimezone(ZoneInfo(plan.timezone))
    start, end = plan.hours
    return plan.calendar.is_working_day(local.date()) and start <= local.hour < end


def reap(conn: Connection, now: datetime, settings: DispatchSettings) -> int:
    """Free claims whose lease expired (a dispatcher that died).

    A message that had started to go to the server may have been delivered: it is flagged as
    a possible duplicate.  One that never started goes back unflagged, the attempt undone.
    """
    alive = select(T_DISPATCHER.c.owner).where(T_DISPATCHER.c.expires >= now)
    expired = and_(
        T_NOTICE.c.status == "claimed",
        T_NOTICE.c.claim_expires < now,
        T_NOTICE.c.claimed_by.not_in(alive),
    )
    freed = {"status": "retrying", "next_attempt_at": now, "claimed_by": None}
    handed = conn.execute(
        update(T_NOTICE)
        .where(expired, T_NOTICE.c.handed_at.is_not(None))
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
        .where(expired, T_NOTICE.c.handed_at.is_(None))
        .values(**freed, claim_expires=None, attempts=_undo_attempt())
        .returning(T_NOTICE.c.plan_id)
    ).all()
    # waiting again: the next tick supersedes them if they are no longer owed
    facts_changed(conn, [r.plan_id for r in (*handed, *unsent)])
    return len(handed) + len(unsent)


def _undo_attempt() -> Any:
    return case((T_NOTICE.c.attempts > 0, T_NOTICE.c.attempts - 1), else_=0)


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
        update(T_NOTICE)
        .where(
            T_NOTICE.c.status == "claimed",
            T_NOTICE.c.claimed_by == owner,
            T_NOTICE.c.message_id == message_id,
        )
        .values(handed_at=now)
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


class _Heartbeat:
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

    def __enter__(self) -> _Heartbeat:
        self.beat()
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.done.set()
        self.thread.join()
        with self.engine.begin() as conn:
            conn.execute(delete(T_DISPATCHER).where(T_DISPATCHER.c.owner == self.owner))


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


def _notices() -> Any:
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
        query = _notices().where(T_NOTICE.c.id.in_(loose), T_NOTICE.c.status.in_(WAITING))
        picked += [dict(r) for r in conn.execute(_lock(query, conn)).mappings()]
    for mid in sorted({r["message_id"] for r in rows if r["message_id"]}):
        if not conn.execute(select(func.pg_try_advisory_xact_lock(func.hashtext(mid)))).scalar():
            continue  # another dispatcher is claiming it
        lines = and_(T_NOTICE.c.message_id == mid, T_NOTICE.c.status.in_(WAITING))
        held = [dict(r) for r in conn.execute(_lock(_notices().where(lines), conn)).mappings()]
        waiting = conn.execute(select(func.count()).select_from(T_NOTICE).where(lines)).scalar()
        if held and len(held) == waiting:
            picked += held
    return picked


def claim(
    conn: Connection,
    now: datetime,
    owner: str,
    plans: dict[int, _Plan],
    settings: DispatchSettings,
    wall: datetime | None = None,
) -> list[_Group]:
    """Pick due notices, group them into messages and claim them (in the caller's transaction)."""
    allowed = [p.id for p in plans.values() if settings.ignore_hours or sending_now(p, now)]
    if not allowed:
        return []
    real = wall or now
    due = and_(
        T_NOTICE.c.status.in_(WAITING),
        or_(T_NOTICE.c.next_attempt_at.is_(None), T_NOTICE.c.next_attempt_at <= real),
        T_NOTICE.c.plan_id.in_(allowed),
    )
    first = _notices().where(due).order_by(T_NOTICE.c.id).limit(settings.batch)
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
                _notices().where(
                    T_NOTICE.c.message_id.in_(earlier), T_NOTICE.c.status.in_(WAITING)
                ),
                conn,
            )
        ).mappings()
        picked += [dict(r) for r in more if r["id"] not in have]
    groups: dict[str, _Group] = {}
    fresh: dict[tuple[int, str], list[dict[str, Any]]] = {}
    for row in picked:
        if row["message_id"]:
            groups.setdefault(
                row["message_id"],
                _Group(row["message_id"], row["plan_id"], row["department"], _digest(row), []),
            ).rows.append(row)
        elif row["stage"] < STAGE_OVERDUE and plans[row["plan_id"]].digest:
            fresh.setdefault((row["plan_id"], row["department"]), []).append(row)
        else:
            mid = _message_id([row], plans[row["plan_id"]], settings)
            groups[mid] = _Group(mid, row["plan_id"], row["department"], False, [row])
    for (plan_id, department), rows in fresh.items():
        mid = _message_id(rows, plans[plan_id], settings)
        groups[mid] = _Group(mid, plan_id, department, True, rows)
    expires = real + settings.lease
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
                claim_expires=expires,
                attempts=T_NOTICE.c.attempts + 1,
                message_id=bindparam("mid"),
            ),
            params,
        )
    for group in groups.values():
        for r in group.rows:
            r["attempts"] += 1
    return list(groups.values())


def _digest(row: dict[str, Any]) -> bool:
    """Whether a notice composed before went in a digest: a letter made by tick (its document
    says which), or one composed by dispatch (reminders and warnings go in digests)."""
    return bool(row["document"] == DIGEST if row["document"] else row["stage"] < STAGE_OVERDUE)


def _ordered(group: _Group) -> list[dict[str, Any]]:
    """A message's notices in the order its letter lists them: the gravest first."""
    return sorted(group.rows, key=lambda r: (-r["stage"], r["due"], r["id"]))


def _message_id(rows: list[dict[str, Any]], plan: _Plan, settings: DispatchSettings) -> str:
    domain = domain_of(settings.sender or plan.office_email or "workplan@workplan.invalid")
    return message_id([plan.key, *(r["key"] for r in rows)], domain)


class _Composer:
    """Build messages from claimed notices, caching what many messages share."""

    def __init__(
        self,
        conn: Connection,
        plans: dict[int, _Plan],
        renderer: Renderer,
        settings: DispatchSettings,
    ):
        self.conn = conn
        self.plans = plans
        self.renderer = renderer
        self.settings = settings
        self.departments: dict[tuple[int, str], dict[str, Any]] = {}
        self.tasks: dict[int, str] = {}
        self.rules: dict[int, tuple[tuple[int, ...], tuple[tuple[int, str, int], ...]]] = {}
        self.earlier: dict[tuple[str, str], list[tuple[int, Earlier]]] = {}
        self.forms: dict[str, list[tuple[str, str, bytes]]] = {}

    def prepare(self, groups: list[_Group], *, forms: bool = True) -> None:
        plan_ids = sorted({g.plan_id for g in groups})
        for r in self.conn.execute(select(T_DEPT).where(T_DEPT.c.plan_id.in_(plan_ids))).mappings():
            self.departments[(r["plan_id"], r["name"])] = dict(r)
        task_ids = sorted({r["task_id"] for g in groups for r in g.rows} - set(self.tasks))
        for start in range(0, len(task_ids), 900):
            query = select(T_TASK.c.id, T_TASK.c.title).where(
                T_TASK.c.id.in_(task_ids[start : start + 900])
            )
            self.tasks.update({r.id: r.title for r in self.conn.execute(query)})
        rules_of = select(T_RULES.c.id, T_RULES.c.body).where(T_RULES.c.plan_id.in_(plan_ids))
        for rule_id, body in self.conn.execute(rules_of):
            rules = rules_from_json(body)
            self.rules[rule_id] = (
                rules.remind,
                tuple((s.level, s.name, s.after) for s in rules.escalate),
            )
        self.notice_rules: dict[int, int] = {}
        ids = [r["id"] for g in groups for r in g.rows]
        for start in range(0, len(ids), 900):
            chunk = ids[start : start + 900]
            query = (
                select(
                    T_NOTICE.c.id,
                    func.coalesce(T_OBL.c.rules_id, T_METRIC.c.rules_id).label("rules_id"),
                )
                .select_from(
                    T_NOTICE.outerjoin(T_OBL, T_OBL.c.id == T_NOTICE.c.obligation_id).outerjoin(
                        T_METRIC, T_METRIC.c.id == T_NOTICE.c.metric_id
                    )
                )
                .where(T_NOTICE.c.id.in_(chunk))
            )
            self.notice_rules.update({r.id: r.rules_id for r in self.conn.execute(query)})
        self.history(groups)
        if forms:
            self.return_forms(groups)

    def party(self, plan_id: int, name: str) -> Party:
        row = self.departments.get((plan_id, name))
        emails = tuple(json.loads(row["emails"])) if row else ()
        return Party(name, emails)

    def roots(self, groups: list[_Group]) -> dict[str, str | None]:
        """For each letter, the Message-ID of the first message to the same recipient about one
        of its items (the oldest such conversation): its escalations thread under it.  One
        query a few hundred items."""
        singles = [g for g in groups if not g.digest]
        out: dict[str, str | None] = {g.message_id: None for g in groups}
        pairs = sorted({(r["subject"], r["department"]) for g in singles for r in g.rows})
        earliest: dict[tuple[str, str], list[tuple[int, str]]] = {}
        for start in range(0, len(pairs), 300):
            query = (
                select(
                    T_NOTICE.c.subject, T_NOTICE.c.department, T_NOTICE.c.id, T_NOTICE.c.message_id
                )
                .where(
                    tuple_(T_NOTICE.c.subject, T_NOTICE.c.department).in_(
                        pairs[start : start + 300]
                    ),
                    T_NOTICE.c.message_id.is_not(None),
                )
                .order_by(T_NOTICE.c.id)
            )
            for subject, department, notice_id, mid in self.conn.execute(query):
                earliest.setdefault((subject, department), []).append((notice_id, mid))
        for g in singles:
            first = min(g.rows, key=lambda r: r["id"])
            candidates = [
                (notice_id, mid)
                for r in g.rows
                for notice_id, mid in earliest.get((r["subject"], r["department"]), [])[:1]
                if notice_id < first["id"] and mid != g.message_id
            ]
            if candidates:
                out[g.message_id] = min(candidates)[1]
        return out

    def history(self, groups: list[_Group]) -> None:
        """Read, for every line of these letters, the documents about it sent before."""
        self.earlier = {}
        pairs = sorted({(r["subject"], r["period"]) for g in groups for r in g.rows})
        for start in range(0, len(pairs), 300):
            query = (
                select(
                    T_NOTICE.c.subject,
                    T_NOTICE.c.period,
                    T_NOTICE.c.stage,
                    T_NOTICE.c.level_name,
                    func.coalesce(T_NOTICE.c.as_of, T_NOTICE.c.evaluated_on),
                    T_NOTICE.c.doc_number,
                )
                .where(
                    tuple_(T_NOTICE.c.subject, T_NOTICE.c.period).in_(pairs[start : start + 300]),
                    T_NOTICE.c.status == "sent",
                    T_NOTICE.c.stage >= STAGE_WARN,
                    T_NOTICE.c.department != LEADERSHIP,
                )
                .distinct()
            )
            for subject, period, stage, name, day, number in self.conn.execute(query):
                self.earlier.setdefault((subject, period), []).append(
                    (stage, Earlier(name, day, number))
                )

    def earlier_than(self, row: dict[str, Any]) -> tuple[Earlier, ...]:
        """The documents about a line's item sent before it, at lower levels, oldest first."""
        found = self.earlier.get((row["subject"], row["period"]), [])
        seen: dict[tuple[str, str | None], Earlier] = {}
        for stage, doc in sorted(found, key=lambda p: (p[1].day, p[0])):
            if stage < row["stage"]:
                seen.setdefault((doc.level_name, doc.number), doc)
        return tuple(seen.values())

    def letter(self, row: dict[str, Any], plan: _Plan, today: date) -> Letter:
        facts = json.loads(row["facts"])
        for name in DATE_FACTS:
            if isinstance(facts.get(name), str):
                facts[name] = date.fromisoformat(facts[name])
        remind, ladder = self.rules.get(self.notice_rules.get(row["id"], -1), ((), ()))
        return letter(
            rule=row["rule"],
            level=row["level"],
            level_name=row["level_name"],
            item=row["task_number"],
            item_title=self.tasks.get(row["task_id"], ""),
            due=row["due"],
            facts=facts,
            today=today,
            calendar=plan.calendar,
            remind_days=remind,
            ladder=ladder,
            locale=plan.locale,
            recipient=row["department"],
            history=self.earlier_than(row),
        )

    def return_forms(self, groups: list[_Group]) -> None:
        """Make the return forms the plans ask for: a department's first digest of a month
        carries its form for that month (read now, while the connection is open)."""
        self.forms = {}
        for group in groups:
            plan = self.plans[group.plan_id]
            if not (plan.return_form and group.digest) or group.department == LEADERSHIP:
                continue
            days = [r["as_of"] for r in group.rows if r["as_of"] is not None]
            if days:
                self.forms[group.message_id] = self.return_form(plan, group, max(days))

    def return_form(self, plan: _Plan, group: _Group, today: date) -> list[tuple[str, str, bytes]]:
        """The department's return form for the month, when this is its first digest of it."""
        first = today.replace(day=1)
        earlier = self.conn.execute(
            select(T_NOTICE.c.id)
            .where(
                T_NOTICE.c.plan_id == plan.id,
                T_NOTICE.c.department == group.department,
                T_NOTICE.c.document == DIGEST,
                T_NOTICE.c.status == "sent",
                T_NOTICE.c.as_of >= first,
                T_NOTICE.c.message_id != group.message_id,
            )
            .limit(1)
        ).first()
        if earlier is not None:
            return []
        from workplan.store import refs, returnform

        form = returnform.owed(
            self.conn, refs.find_plan(self.conn, plan.key), group.department, first
        )
        with tempfile.TemporaryDirectory(prefix="workplan-form-") as scratch:
            path = Path(scratch) / "form.xlsx"
            returnform.write(form, path)
            data = path.read_bytes()
        name = f"{group.department}-{first:%Y-%m}.xlsx"
        kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return [(name, kind, data)]

    def message(self, group: _Group, now: datetime) -> Message:
        """The letter data of a group's message: what every channel renders (the e-mail, and
        the group robots' digests)."""
        plan = self.plans[group.plan_id]
        # the letter is dated the day its facts are for (tick brings a waiting letter up to
        # each new day); a letter of an earlier run without that day takes the business clock
        days = [r["as_of"] for r in group.rows if r["as_of"] is not None]
        today = max(days) if days else now.astimezone(ZoneInfo(plan.timezone)).date()
        rows = _ordered(group)
        letters = tuple(self.letter(r, plan, today) for r in rows)
        roles = {role for r in rows for role in json.loads(r["roles"])}
        leaders = group.department == LEADERSHIP
        if leaders:
            department = Party("领导小组" if plan.locale == "zh-CN" else "Leadership group", ())
        else:
            department = self.party(plan.id, group.department)
        head_row = self.departments.get((plan.id, group.department))
        head = None
        if "heads" in roles and head_row and head_row["head_email"] and not leaders:
            head = Party(
                head_row["head_name"] or f"{group.department}负责同志", (head_row["head_email"],)
            )
        summary = leaders or all(letter.copy for letter in letters)
        return Message(
            kind="digest" if group.digest else letters[0].kind,
            locale=plan.locale,
            today=today,
            plan_title=plan.title,
            plan_year=plan.year,
            issuer=plan.issuer or plan.office,
            office=self.party(plan.id, plan.office),
            department=department,
            letters=letters,
            head=head,
            number=next((r["doc_number"] for r in rows if r["doc_number"]), None),
            summary=summary,
            # the department's own page, never another's: the link names the department
            report_url=self.settings.links.url_for(plan.key, group.department, now)
            if self.settings.links and not summary
            else None,
        )

    def compose(self, group: _Group, now: datetime, root: str | None) -> Composed:
        plan = self.plans[group.plan_id]
        local = now.astimezone(ZoneInfo(plan.timezone))
        message = self.message(group, now)
        office, head = message.office, message.head
        if group.department == LEADERSHIP:
            to = list(plan.leadership) or [office]  # a plan without leadership: the office
        else:
            to = [message.department]
        rendered = self.renderer.render(message)
        sender_address = self.settings.sender or (
            office.emails[0] if office.emails else "workplan@workplan.invalid"
        )
        attachments = self.forms.get(group.message_id, [])
        email = compose(
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            sender=Party(plan.office, (sender_address,)),
            to=[*to, *([head] if head else [])],
            cc=[],
            message_id_=group.message_id,
            in_reply_to=root,
            references=[root] if root else [],
            date=local,
            notices=[str(r["id"]) for r in _ordered(group)],
            attachments=attachments,
        )
        return Composed(
            Outgoing(group.message_id, email.sender, email.recipients, email.data),
            message.kind,
            rendered.subject,
            rendered.text,
            group.department,
            plan.id,
        )


class _NoRenderer:
    """For messages rendered elsewhere (the robots'): the e-mail renderer is never called."""

    def render(self, message: Message) -> Any:
        raise NotImplementedError


def messages_of(
    conn: Connection,
    message_ids: Sequence[str],
    now: datetime,
    links: LinkSettings | None = None,
) -> dict[str, Message]:
    """Rebuild the letter data of messages composed before, from their notices in the store,
    as the e-mail had it (for another channel, the group robots); ``links`` gives each
    department's message its own report link."""
    rows: dict[str, list[dict[str, Any]]] = {}
    for start in range(0, len(message_ids), 900):
        query = _notices().where(T_NOTICE.c.message_id.in_(message_ids[start : start + 900]))
        for r in conn.execute(query).mappings():
            rows.setdefault(r["message_id"], []).append(dict(r))
    groups = [
        _Group(mid, g[0]["plan_id"], g[0]["department"], _digest(g[0]), g)
        for mid, g in rows.items()
    ]
    composer = _Composer(conn, _plans(conn), _NoRenderer(), DispatchSettings(links=links))
    composer.prepare(groups, forms=False)
    return {group.message_id: composer.message(group, now) for group in groups}


def _keep(conn: Connection, kept: list[Composed], at: datetime) -> None:
    """Keep the text of each message once, the first time it is sent or tried."""
    if not kept:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    conn.execute(
        dialect.insert(T_MESSAGE).on_conflict_do_nothing(index_elements=["message_id"]),
        [
            {
                "message_id": c.outgoing.message_id,
                "plan_id": c.plan_id,
                "department": c.department,
                "kind": c.kind,
                "subject": c.subject,
                "sender": c.outgoing.sender,
                "recipients": dumps(list(c.outgoing.recipients)),
                "text": c.text,
                "composed_at": at,
            }
            for c in kept
        ],
    )


_FENCED = (
    update(T_NOTICE)
    .where(
        T_NOTICE.c.message_id == bindparam("mid"),
        T_NOTICE.c.status == "claimed",
        T_NOTICE.c.claimed_by == bindparam("owner"),
    )
    .values(
        status=bindparam("status"),
        error=bindparam("error"),
        sent_at=bindparam("sent_at"),
        next_attempt_at=bindparam("next_at"),
        possible_duplicate=T_NOTICE.c.possible_duplicate | bindparam("duplicate"),
        attempts=T_NOTICE.c.attempts - bindparam("undo"),
        claimed_by=None,
        claim_expires=None,
        handed_at=None,
    )
)


def _outcome_row(
    group: _Group,
    outcome: Outcome,
    owner: str,
    now: datetime,
    settings: DispatchSettings,
    result: DispatchResult,
) -> dict[str, Any]:
    """Decide a message's fate from its outcome: the parameters of the fenced update."""
    attempts = max(r["attempts"] for r in group.rows)
    row: dict[str, Any] = {
        "mid": group.message_id,
        "owner": owner,
        "sent_at": None,
        "next_at": None,
        "duplicate": outcome.status == "unknown",
        "undo": 0,
    }
    if outcome.status == "channel":  # not the message's fault: it waits, the try not counted
        row |= {
            "status": "retrying",
            "next_at": now,  # the next run tries the channel again
            "error": f"waiting for the channel: {outcome.detail}"[:1000],
            "undo": 1,
        }
        result.waiting += 1
        result.channel_error = outcome.detail
    elif outcome.status == "sent":
        row |= {"status": "sent", "sent_at": now, "error": _refusals(outcome)}
        result.sent += 1
        result.refused_recipients += len(outcome.refused)
    elif outcome.status == "permanent" or attempts >= settings.max_attempts:
        row |= {"status": "failed", "error": _why(outcome, attempts)}
        result.failed += 1
    else:
        row |= {
            "status": "retrying",
            "next_at": now + backoff(attempts, settings),
            "error": _why(outcome, attempts),
        }
        result.retrying += 1
    if outcome.status == "unknown":
        result.unknown += 1
    return row


def _refusals(outcome: Outcome) -> str | None:
    if not outcome.refused:
        return None
    return "refused: " + "; ".join(f"{a} ({r})" for a, r in sorted(outcome.refused.items()))


def _why(outcome: Outcome, attempts: int) -> str:
    code = f"{outcome.code} " if outcome.code else ""
    return f"attempt {attempts}: {outcome.status}: {code}{outcome.detail}".strip()[:1000]


_REPORTED: set[str] = set()


_LOST = Outcome("temporary", None, "the claim was lost before sending: not sent")


def _one(
    group: _Group,
    composer: _Composer,
    root: str | None,
    channel: Channel,
    at: datetime,
    handing: Callable[[_Group], bool],
) -> tuple[_Group, Outcome, Composed | None]:
    """Compose and send one message; a message that cannot be composed fails alone, and one
    whose claim was lost is not sent."""
    try:
        composed = composer.compose(group, at, root)
    except HeaderInjection as exc:
        return group, Outcome("permanent", None, str(exc)), None
    except Exception as exc:  # a broken office template: the configuration's fault
        reason = f"cannot compose the message: {type(exc).__name__}: {exc}"
        if reason not in _REPORTED:  # say it once, not once a message
            _REPORTED.add(reason)
            log.error("%s (first seen on %s)", reason, group.message_id, exc_info=exc)
        return group, Outcome("channel", None, reason), None
    if not handing(group):
        return group, _LOST, None
    return group, channel.send(composed.outgoing), composed


def _deliver(
    groups: list[_Group],
    composer: _Composer,
    roots: dict[str, str | None],
    channels: Sequence[Channel],
    now: Callable[[], datetime],
    stop: Callable[[], bool],
    handing: Callable[[_Group], bool],
) -> Iterator[tuple[_Group, Outcome, Composed | None]]:
    """Send the groups over the channels, one thread a connection; yield each outcome."""
    if len(channels) == 1 or len(groups) < 2:
        for group in groups:
            if stop():
                return
            yield _one(group, composer, roots[group.message_id], channels[0], now(), handing)
        return
    done: queue.Queue[tuple[_Group, Outcome, Composed | None] | None] = queue.Queue()

    def work(share: list[_Group], channel: Channel) -> None:
        try:
            for group in share:
                if stop():
                    break
                done.put(_one(group, composer, roots[group.message_id], channel, now(), handing))
        finally:
            done.put(None)

    workers = [
        threading.Thread(target=work, args=(groups[i :: len(channels)], ch), daemon=True)
        for i, ch in enumerate(channels)
    ]
    for worker in workers:
        worker.start()
    running = len(workers)
    while running:
        item = done.get()
        if item is None:
            running -= 1
        else:
            yield item
    for worker in workers:
        worker.join()


def dispatch(
    engine: Engine,
    channels: Sequence[Channel],
    renderer: Renderer,
    *,
    now: Callable[[], datetime],
    owner: str,
    settings: DispatchSettings = DispatchSettings(),
    stop: Callable[[], bool] = lambda: False,
    wall: Callable[[], datetime] | None = None,
) -> DispatchResult:
    """Send every notice that is due now over the channels (one connection each, in parallel);
    return what happened.  Loops until nothing is due.

    ``now`` is the business clock (sending hours, retry times, dates in letters); ``wall``,
    real time, times the claims' leases — they differ only when a replay pins ``now``.
    """
    real = wall or now
    result = DispatchResult()
    name = channels[0].name if channels else "none"
    with engine.begin() as conn:
        result.reaped = reap(conn, real(), settings)
        paused = conn.execute(select(T_CHANNEL).where(T_CHANNEL.c.channel == name)).first()
    if paused is not None:
        log.error(
            "the %s channel is paused since %s: %s; notices wait, trying again",
            name,
            paused.since,
            paused.reason,
        )
    halted = threading.Event()

    def stopping() -> bool:
        return stop() or halted.is_set()

    with _Heartbeat(engine, owner, settings.lease, real):
        while not stopping():
            with engine.begin() as conn:
                plans = _plans(conn)
                groups = claim(conn, now(), owner, plans, settings, real())
            if not groups:
                break
            with store.reading(engine) as conn:
                composer = _Composer(conn, plans, renderer, settings)
                composer.prepare(groups)
                roots = composer.roots(groups)

            def handing(group: _Group) -> bool:
                with engine.begin() as conn:
                    return hand(conn, group.message_id, owner, real())

            pending: list[tuple[_Group, Outcome, Composed | None]] = []
            last_flush = time.monotonic()
            for done in _deliver(groups, composer, roots, channels, now, stopping, handing):
                result.messages += 1
                result.notices += len(done[0].rows)
                pending.append(done)
                if done[1].status == "channel":
                    halted.set()
                if len(pending) >= settings.record_every or time.monotonic() - last_flush > 0.25:
                    _flush(engine, pending, owner, real(), settings, result)
                    pending = []
                    last_flush = time.monotonic()
            _flush(engine, pending, owner, real(), settings, result)
            if stopping():
                break
    with engine.begin() as conn:
        result.released = release(conn, owner, real(), result.channel_error)
        _pause(conn, name, result, real())
    if result.released:
        log.info("released %d claimed notice(s) not yet sent", result.released)
    if result.channel_error:
        log.error(
            "the %s channel is paused: %s; the notices wait, still owed, and are tried again",
            name,
            result.channel_error,
        )
    return result


def _pause(conn: Connection, name: str, result: DispatchResult, at: datetime) -> None:
    """Record that the channel failed this run, or clear its pause once a message went."""
    if result.channel_error:
        pause_channel(conn, name, result.channel_error, at)
    elif result.sent:
        resume_channel(conn, name)


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


def channel_pauses(conn: Connection) -> list[dict[str, Any]]:
    """Return the paused channels: channel, since, last_seen, reason."""
    return [
        dict(r) for r in conn.execute(select(T_CHANNEL).order_by(T_CHANNEL.c.channel)).mappings()
    ]


def _flush(
    engine: Engine,
    outcomes: list[tuple[_Group, Outcome, Composed | None]],
    owner: str,
    at: datetime,
    settings: DispatchSettings,
    result: DispatchResult,
) -> None:
    """Record a batch of outcomes in one transaction, each fenced on its claim."""
    if not outcomes:
        return
    rows = [_outcome_row(g, o, owner, at, settings, result) for g, o, _ in outcomes]
    expected = sum(len(g.rows) for g, _, _ in outcomes)
    with engine.begin() as conn:
        _keep(conn, [c for _, _, c in outcomes if c is not None], at)
        updated = conn.execute(_FENCED, rows).rowcount
        # sent, failed or waiting to retry: the next tick looks at the plan again
        facts_changed(conn, [g.plan_id for g, _, _ in outcomes])
    if updated is not None and 0 <= updated < expected:
        result.lost_claims += expected - updated
        log.warning(
            "%d notice(s) had lost their claim before the outcome was recorded", expected - updated
        )


def preview(
    engine: Engine,
    renderer: Renderer,
    *,
    now: datetime,
    settings: DispatchSettings = DispatchSettings(),
) -> list[Composed]:
    """Compose what a dispatch would send now, changing nothing (for --dry-run)."""
    with engine.connect() as conn:
        plans = _plans(conn)
        groups = claim(conn, now, "preview", plans, settings)
        composer = _Composer(conn, plans, renderer, settings)
        composer.prepare(groups)
        roots = composer.roots(groups)
        composed = [composer.compose(g, now, roots[g.message_id]) for g in groups]
        conn.rollback()
    return composed
