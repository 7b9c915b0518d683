"""Dispatch: turn pending notices into e-mail and send them, losing nothing.

Each notice goes pending -> claimed -> sent, or -> retrying (a temporary failure: backoff,
then again) -> failed (a permanent refusal, or too many attempts).  The steps (the claims,
leases and fenced records are ``lease.py``'s, the letters ``compose.py``'s):

1. *Reap*: claims whose lease expired (a dispatcher that died) go back to retrying, flagged as
   possible duplicates, since the message may have left before the crash.
2. *Claim*: in one short transaction, pick due notices, group them into messages, give each
   its Message-ID, and mark them claimed with an owner and a lease.
3. *Compose* each message once, *render* it as e-mail and *send* it outside any transaction,
   over the channel's reused connection (one thread a connection), the next few composed
   meanwhile in a thread of their own; just before a message goes, its claim is checked and
   it is marked as handed over (a commit that does not wait for the disk: a crash of the
   process never loses it).
4. *Record*: an update fenced on the claim, so a dispatcher whose lease was reaped cannot
   overwrite what another recorded; the message is kept with its letter data, which the
   channels that post after the e-mail render.

A message that was accepted by the server but not yet recorded when the process died is sent
again after the reaper frees it, with the same Message-ID: that is the only way a second copy
can happen.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import time as dt_time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, bindparam, func, select

from workplan.channels import mail
from workplan.channels.base import Channel, Outcome, Outgoing, RenderError
from workplan.channels.folder import FolderChannel
from workplan.notices.compose import Composer, Group, Issued, Plan, Renderer, plans
from workplan.notices.lease import (
    WAITING,
    Heartbeat,
    Retries,
    claim,
    fenced,
    hand,
    reap,
    release,
)
from workplan.notices.pauses import pause_channel, resume_channel
from workplan.notices.record import pauses as channel_pauses
from workplan.notices.stored import keep
from workplan.store import db as store
from workplan.store.changes import facts_changed
from workplan.store.links import LinkSettings
from workplan.store.tables import T_NOTICE

log = logging.getLogger("workplan.dispatch")

Mailer = Channel[Outgoing]
"""an e-mail channel: SMTP, or the outbox folder"""


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

    @property
    def retries(self) -> Retries:
        """The e-mail's retries: attempts and backoff."""
        return Retries(self.max_attempts, self.backoff, self.backoff_max)


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
    refused_bytes: list[tuple[int, str]] = field(default_factory=list)
    """(plan, why) of each message the server refused as workplan built it: workplan's fault,
    not the department's; the office is alerted"""
    outside_hours: list[str] = field(default_factory=list)


Done = tuple[Group, Outcome, tuple[Issued, Outgoing] | None]
"""a message's group, its outcome, and what was sent (when it could be composed)"""

_FENCED = (
    fenced(T_NOTICE)
    .where(T_NOTICE.c.message_id == bindparam("mid"))
    .values(
        status=bindparam("status"),
        error=bindparam("error"),
        sent_at=bindparam("sent_at"),
        next_attempt_at=bindparam("next_at"),
        possible_duplicate=T_NOTICE.c.possible_duplicate | bindparam("duplicate"),
        delivered_by=bindparam("via"),
        attempts=T_NOTICE.c.attempts - bindparam("undo"),
        claimed_by=None,
        claim_expires=None,
        handed_at=None,
    )
)


def _outcome_row(
    group: Group,
    outcome: Outcome,
    owner: str,
    now: datetime,
    settings: DispatchSettings,
    result: DispatchResult,
    via: str | None = None,
) -> dict[str, Any]:
    """Decide a message's fate from its outcome: the parameters of the fenced update."""
    attempts = max(r["attempts"] for r in group.rows)
    fate = settings.retries.fate(outcome, attempts, now)
    row: dict[str, Any] = {
        "mid": group.message_id,
        "owner": owner,
        "status": fate.status,
        "sent_at": now if fate.status == "sent" else None,
        "next_at": fate.next_at,
        "duplicate": outcome.status == "unknown",
        # a letter written to the outbox folder is 已写入: nobody's inbox yet
        "via": via if fate.status == "sent" else None,
        "undo": 0 if fate.counted else 1,
        "error": _why(outcome, attempts),
    }
    if not fate.counted:  # not the message's fault: it waits, the try not counted
        row["error"] = f"waiting for the channel: {outcome.detail}"[:1000]
        result.waiting += 1
        result.channel_error = outcome.detail
    elif fate.status == "sent":
        row["error"] = _refusals(outcome)
        result.sent += 1
        result.refused_recipients += len(outcome.refused)
    elif fate.status == "failed":
        result.failed += 1
        if outcome.ours:
            row["error"] = ours(outcome, group.department)
            result.refused_bytes.append((group.plan_id, row["error"]))
    else:
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


def ours(outcome: Outcome, department: str) -> str:
    """Say that the server refused the message as workplan built it (its own bytes)."""
    code = f"{outcome.code} " if outcome.code else ""
    return (
        f"workplan's fault, not {department}'s: the server refused the message as workplan"
        f" built it: {code}{outcome.detail}; the office is alerted"
    )[:1000]


_REPORTED: set[str] = set()


_LOST = Outcome("temporary", None, "the claim was lost before sending: not sent")


Ready = tuple[datetime, "tuple[Issued, Outgoing] | Outcome"]
"""a message made ready to send at a moment: composed and rendered, or why it cannot be"""


def _prepare(
    group: Group, composer: Composer, root: str | None, channel: Mailer, at: datetime
) -> tuple[Issued, Outgoing] | Outcome:
    """Compose and render one message, once; a message that cannot be rendered fails alone."""
    try:
        issued = composer.compose(group, at, root)
    except Exception as exc:  # a broken office template: the configuration's fault
        reason = f"cannot compose the message: {type(exc).__name__}: {exc}"
        if reason not in _REPORTED:  # say it once, not once a message
            _REPORTED.add(reason)
            log.error("%s (first seen on %s)", reason, group.message_id, exc_info=exc)
        return Outcome("channel", None, reason)
    try:
        (email,) = channel.render(issued.composed, composer.renderer.env)
    except (RenderError, UnicodeError, ValueError) as exc:  # a value no header takes: this
        return Outcome("permanent", None, str(exc))  # message's fault alone
    return issued, email


_END = object()
AHEAD = 4
"""messages composed and rendered ahead of the one being sent, per connection"""


def _ahead(
    groups: list[Group], make: Callable[[Group], Ready], stop: Callable[[], bool]
) -> Generator[tuple[Group, Ready], None, None]:
    """Yield each group with ``make(group)``, in order, made in a thread of its own at most
    AHEAD messages ahead: the next letters render while the connection waits for the
    server's replies (the thread waiting on a socket leaves the interpreter to the other)."""
    ready: queue.Queue[Any] = queue.Queue()
    slots = threading.Semaphore(AHEAD)
    done = threading.Event()

    def produce() -> None:
        try:
            for group in groups:
                while not slots.acquire(timeout=0.1):
                    if done.is_set():
                        return
                if done.is_set() or stop():
                    return
                ready.put((group, make(group)))
        except BaseException as exc:  # raised again where the messages are sent
            ready.put(exc)
        finally:
            ready.put(_END)

    maker = threading.Thread(target=produce, name="compose", daemon=True)
    maker.start()
    try:
        while (item := ready.get()) is not _END:
            if isinstance(item, BaseException):
                raise item
            slots.release()
            yield item
    finally:
        done.set()
        maker.join()


def _send_all(
    groups: list[Group],
    composer: Composer,
    roots: dict[str, str | None],
    channel: Mailer,
    now: Callable[[], datetime],
    stop: Callable[[], bool],
    handing: Callable[[Group], bool],
) -> Iterator[Done]:
    """Send the groups over one connection, each composed and rendered once, a few ahead;
    one whose claim was lost is not sent."""

    def make(group: Group) -> Ready:
        at = now()
        return at, _prepare(group, composer, roots[group.message_id], channel, at)

    with contextlib.closing(_ahead(groups, make, stop)) as prepared:
        for group, (at, ready) in prepared:
            if stop():
                return
            if isinstance(ready, Outcome):
                yield group, ready, None
            elif not handing(group):
                yield group, _LOST, None
            else:
                yield group, channel.send(ready[1], at), ready


def _deliver(
    groups: list[Group],
    composer: Composer,
    roots: dict[str, str | None],
    channels: Sequence[Mailer],
    now: Callable[[], datetime],
    stop: Callable[[], bool],
    handing: Callable[[Group], bool],
) -> Iterator[Done]:
    """Send the groups over the channels, one thread a connection; yield each outcome."""
    if len(channels) == 1 or len(groups) < 2:
        yield from _send_all(groups, composer, roots, channels[0], now, stop, handing)
        return
    done: queue.Queue[Done | None] = queue.Queue()

    def work(share: list[Group], channel: Mailer) -> None:
        try:
            for one in _send_all(share, composer, roots, channel, now, stop, handing):
                done.put(one)
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
    channels: Sequence[Mailer],
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
    via = "folder" if name == FolderChannel.name else None
    with engine.begin() as conn:
        result.reaped = reap(conn, real())
        paused = [p for p in channel_pauses(conn) if p["channel"] == name]
    if paused:
        log.error(
            "the %s channel is paused since %s: %s; notices wait, trying again",
            name,
            paused[0]["since"],
            paused[0]["reason"],
        )
    halted = threading.Event()

    def stopping() -> bool:
        return stop() or halted.is_set()

    with Heartbeat(engine, owner, settings.lease, real):
        while not stopping():
            with engine.begin() as conn:
                known = plans(conn)
                groups = claim(
                    conn,
                    now(),
                    owner,
                    known,
                    lease=settings.lease,
                    batch=settings.batch,
                    ignore_hours=settings.ignore_hours,
                    sender=settings.sender,
                    wall=real(),
                )
            if not groups:
                break
            with store.reading(engine) as conn:
                composer = Composer(
                    conn, known, renderer, sender=settings.sender, links=settings.links
                )
                composer.prepare(groups)
                roots = composer.roots(groups)

            def handing(group: Group) -> bool:
                with store.marking(engine) as conn:
                    return hand(conn, group.message_id, owner, real())

            pending: list[Done] = []
            last_flush = time.monotonic()
            for done in _deliver(groups, composer, roots, channels, now, stopping, handing):
                result.messages += 1
                result.notices += len(done[0].rows)
                pending.append(done)
                if done[1].status == "channel":
                    halted.set()
                if len(pending) >= settings.record_every or time.monotonic() - last_flush > 0.25:
                    _flush(engine, pending, owner, real(), settings, result, via)
                    pending = []
                    last_flush = time.monotonic()
            _flush(engine, pending, owner, real(), settings, result, via)
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


def _flush(
    engine: Engine,
    outcomes: list[Done],
    owner: str,
    at: datetime,
    settings: DispatchSettings,
    result: DispatchResult,
    via: str | None = None,
) -> None:
    """Record a batch of outcomes in one transaction, each fenced on its claim."""
    if not outcomes:
        return
    rows = [_outcome_row(g, o, owner, at, settings, result, via) for g, o, _ in outcomes]
    expected = sum(len(g.rows) for g, _, _ in outcomes)
    with engine.begin() as conn:
        keep(conn, [sent for _, _, sent in outcomes if sent is not None], at)
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
) -> list[tuple[Issued, Outgoing]]:
    """Compose the e-mail a dispatch would send now, changing nothing (for --dry-run)."""
    with engine.connect() as conn:
        known = plans(conn)
        groups = claim(
            conn,
            now,
            "preview",
            known,
            lease=settings.lease,
            batch=settings.batch,
            ignore_hours=settings.ignore_hours,
            sender=settings.sender,
        )
        composer = Composer(conn, known, renderer, sender=settings.sender, links=settings.links)
        composer.prepare(groups)
        roots = composer.roots(groups)
        issued = [composer.compose(g, now, roots[g.message_id]) for g in groups]
        conn.rollback()
    return [(i, mail.render(i.composed)) for i in issued]


def next_window(plan: Plan, now: datetime) -> datetime:
    """The next moment the plan's sending hours open (now, when they are open)."""
    zone = ZoneInfo(plan.timezone)
    local = now.astimezone(zone)
    start, end = plan.hours
    day = local.date()
    if not (plan.calendar.is_working_day(day) and local.hour < end):
        day += timedelta(days=1)
    for _ in range(400):  # a year of holidays at most
        if plan.calendar.is_working_day(day):
            opens = datetime.combine(day, dt_time(start), zone)
            return max(opens, local)
        day += timedelta(days=1)
    return local


def why_quiet(engine: Engine, *, now: datetime, ignore_hours: bool = False) -> str:
    """Say why nothing would be sent now, in the plan's language: the queue is empty, the
    sending hours are closed (and when they open), or the retries wait (and until when)."""
    with engine.connect() as conn:
        known = plans(conn)
        waiting = conn.execute(
            select(T_NOTICE.c.plan_id, func.min(T_NOTICE.c.next_attempt_at), func.count())
            .where(T_NOTICE.c.status.in_(WAITING))
            .group_by(T_NOTICE.c.plan_id)
        ).all()
    zh = all(p.locale == "zh-CN" for p in known.values())
    if not waiting:
        return "没有待发送的通知" if zh else "no notice waits to be sent"
    said = []
    for plan_id, retry_at, _ in waiting:
        plan = known[plan_id]
        opens = next_window(plan, now)
        local = now.astimezone(ZoneInfo(plan.timezone))
        if not ignore_hours and opens > local:
            shown = f"{opens:%H:%M}" if opens.date() == local.date() else f"{opens:%Y-%m-%d %H:%M}"
            said.append(
                f"非发送时段：下一次 {shown}" if zh else f"outside sending hours: next {shown}"
            )
        elif retry_at is not None:
            at = retry_at.astimezone(ZoneInfo(plan.timezone))
            said.append(f"待重试：下一次 {at:%H:%M}" if zh else f"retries wait: next at {at:%H:%M}")
    return "；".join(dict.fromkeys(said)) if zh else "; ".join(dict.fromkeys(said))
