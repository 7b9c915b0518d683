"""Group robots and webhooks: after the e-mail, the same message to each department's group
chat (DingTalk, WeCom, Feishu) or another endpoint (a webhook).

The e-mail stays the record; a robot delivery is an extra delivery of a message, one row per
message and robot in the ``delivery`` table, with its own claim, retries and outcome (the
claims, leases and backoff are ``lease.py``'s, as the e-mail's):

1. *Queue*: a message whose e-mail went out (one of its notices is ``sent``) to a department
   whose directory entry names robots gets one delivery per robot.  Only messages composed
   within ``fresh`` are queued, so turning a robot on does not post last month's letters.
2. *Claim*: due deliveries are claimed with an owner and a lease (``FOR UPDATE SKIP LOCKED``
   on PostgreSQL; SQLite serialises writers), and claims whose owner died are freed.
3. *Send*: the robot renders the message as its e-mail was composed (the letter data kept
   with it: the same items, count, levels and 文号), with its own template, split into parts
   that fit its size limit (never inside an item); each part is sent when the robot's shared
   limiter admits it.  A part that was accepted is recorded at once (``parts_sent``), so a
   retry resumes after it.
4. *Record*: sent; retrying with backoff (a "retry later" code, or the robot unreachable);
   failed at once (a code that says the request is wrong: a bad signature, a missing keyword)
   or after ``max_attempts``.  A delivery held back by the limiter is not a failure: it waits.
   An answer that may mean the robot took the post is never a failure: no answer once it was
   sent (a timeout, a reset) is posted once more, flagged as a possible duplicate, and a
   second one is recorded ``unconfirmed`` (possibly delivered); an HTTP 200 whose body is not
   the robot's JSON is taken as possibly delivered at once (``unconfirmed``, its next parts
   posted).  ``notices resend`` posts an unconfirmed or flagged delivery only with ``--force``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from jinja2 import Environment
from sqlalchemy import Connection, Engine, and_, bindparam, exists, select
from sqlalchemy.dialects import postgresql, sqlite

from workplan.channels.base import Composed, Outcome, RenderError
from workplan.channels.limits import admit, limits_of
from workplan.channels.registry import open_robot
from workplan.channels.robot import Robot, RobotSettings
from workplan.notices.lease import Heartbeat, Retries, claim_posts, fenced
from workplan.notices.pauses import pause_channel, resume_channel, robot_channel
from workplan.notices.stored import kept_messages
from workplan.store import db as store
from workplan.store.tables import T_DELIVERY, T_DEPT, T_MESSAGE, T_NOTICE, T_PLAN

UNCONFIRMED = "unconfirmed"
"""a robot delivery possibly delivered: answered twice in a way that may mean it was taken"""


@dataclass(frozen=True)
class RobotDeliverySettings:
    """How hard to try, how long a claim holds, and how old a message may be to be posted."""

    lease: timedelta = timedelta(minutes=5)
    batch: int = 100
    max_attempts: int = 6
    backoff: timedelta = timedelta(minutes=1)
    backoff_max: timedelta = timedelta(hours=1)
    fresh: timedelta = timedelta(days=1)
    max_wait: float = 2.0
    """seconds worth waiting for a robot's limit within a run (Feishu's 5 a second); a longer
    wait leaves the delivery for a later run"""

    @property
    def retries(self) -> Retries:
        """The posts' retries: attempts and backoff."""
        return Retries(self.max_attempts, self.backoff, self.backoff_max)


@dataclass
class RobotResult:
    """What one robot delivery run did."""

    queued: int = 0
    parts: int = 0
    """message parts accepted by the robots"""
    sent: int = 0
    """deliveries completed (every part accepted)"""
    retrying: int = 0
    failed: int = 0
    unsure: int = 0
    """answers that may mean the post was taken (retried once, flagged; then unconfirmed)"""
    held: int = 0
    """times a delivery was held back by a robot's limit (it goes on its next turn)"""
    errors: list[str] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)
    """the robots whose settings were refused this run: paused as channels ``robot NAME``"""


def _dialect(conn: Connection) -> Any:
    return postgresql if conn.dialect.name == "postgresql" else sqlite


def queue(
    conn: Connection,
    robots: Mapping[str, RobotSettings],
    wall: datetime,
    settings: RobotDeliverySettings = RobotDeliverySettings(),
) -> int:
    """Add a delivery per robot for every recent message whose e-mail went out to a department
    that names robots; a robot missing from the config is a delivery failed at once."""
    sent = exists(
        select(T_NOTICE.c.id).where(
            T_NOTICE.c.message_id == T_MESSAGE.c.message_id, T_NOTICE.c.status == "sent"
        )
    )
    query = (
        select(T_MESSAGE.c.message_id, T_MESSAGE.c.plan_id, T_MESSAGE.c.department, T_DEPT.c.robots)
        .join(
            T_DEPT,
            and_(T_DEPT.c.plan_id == T_MESSAGE.c.plan_id, T_DEPT.c.name == T_MESSAGE.c.department),
        )
        .where(T_DEPT.c.robots != "[]", T_MESSAGE.c.composed_at >= wall - settings.fresh, sent)
    )
    rows = []
    for r in conn.execute(query):
        for name in json.loads(r.robots):
            robot = robots.get(name)
            rows.append(
                {
                    "message_id": r.message_id,
                    "plan_id": r.plan_id,
                    "department": r.department,
                    "channel": robot.kind if robot else "?",
                    "robot": name,
                    "status": "pending" if robot else "failed",
                    "error": None if robot else f"robot {name} is not in the delivery config",
                    "created_at": wall,
                }
            )
    if not rows:
        return 0
    result = conn.execute(
        _dialect(conn)
        .insert(T_DELIVERY)
        .on_conflict_do_nothing(index_elements=["message_id", "robot"]),
        rows,
    )
    return max(int(result.rowcount or 0), 0)


def deliver_robots(
    engine: Engine,
    robots: Mapping[str, RobotSettings],
    templates: Environment,
    *,
    wall: Callable[[], datetime],
    owner: str,
    settings: RobotDeliverySettings = RobotDeliverySettings(),
    stop: Callable[[], bool] = lambda: False,
    sleep: Callable[[float], None] = time.sleep,
) -> RobotResult:
    """Queue and send every robot delivery that is due; return what happened.

    Each post renders the message as its e-mail was composed (the kept letter data), with the
    robot's own template from ``templates``.  ``wall`` is real time: it signs requests, times
    claims and counts the robots' limits.  A wait for a robot's limit longer than
    ``settings.max_wait`` holds the delivery for a later run rather than waiting here.
    """
    run = _Run(engine, robots, templates, owner, wall, settings, sleep)
    with engine.begin() as conn:
        run.result.queued = queue(conn, robots, wall(), settings)
    with Heartbeat(engine, owner, settings.lease, wall):
        while not stop():
            with engine.begin() as conn:
                picked = claim_posts(
                    conn, wall(), owner, lease=settings.lease, batch=settings.batch
                )
            if not picked:
                break
            with store.reading(engine) as conn:
                messages = kept_messages(conn, sorted({d["message_id"] for d in picked}))
            for delivery in picked:
                if stop():
                    run.record(delivery["id"], status="retrying", claimed_by=None)
                else:
                    run.deliver(delivery, messages.get(delivery["message_id"]))
            run.release()
    return run.result


class _Run:
    """One robot delivery run: the robots, what is held back, and the tally."""

    def __init__(
        self,
        engine: Engine,
        robots: Mapping[str, RobotSettings],
        templates: Environment,
        owner: str,
        real: Callable[[], datetime],
        settings: RobotDeliverySettings,
        sleep: Callable[[float], None],
    ) -> None:
        self.engine = engine
        self.opened: dict[str, Robot] = {name: open_robot(s) for name, s in robots.items()}
        self.templates = templates
        self.owner = owner
        self.real = real
        self.settings = settings
        self.sleep = sleep
        self.result = RobotResult()
        self.blocked: dict[str, datetime] = {}
        self.broken: dict[str, str] = {}
        self.held: list[dict[str, Any]] = []

    def record(self, delivery_id: int, **values: Any) -> None:
        """Update a delivery this run holds the claim of (fenced on the claim)."""
        update = fenced(T_DELIVERY).where(T_DELIVERY.c.id == delivery_id).values(**values)
        with self.engine.begin() as conn:
            conn.execute(update, {"owner": self.owner})

    def hold(self, delivery_id: int, until: datetime) -> None:
        self.held.append({"did": delivery_id, "until": until})
        self.result.held += 1

    def release(self) -> None:
        """Give back, in one transaction, the deliveries a robot's limit held back."""
        if self.held:
            with self.engine.begin() as conn:
                conn.execute(
                    fenced(T_DELIVERY)
                    .where(T_DELIVERY.c.id == bindparam("did"))
                    .values(status="pending", next_attempt_at=bindparam("until"), claimed_by=None),
                    [held | {"owner": self.owner} for held in self.held],
                )
            self.held = []

    def wait_for(self, name: str, robot: Robot) -> datetime | None:
        """Take a send from the robot's limit now (pausing briefly if that is enough);
        return None when taken, else when to try again."""
        while True:
            at = self.real()
            wait = robot.not_before(at)
            if wait <= at:
                wait = admit(self.engine, name, limits_of(robot), at) or at
            pause = (wait - at).total_seconds()
            if pause <= 0:
                return None
            if pause > self.settings.max_wait:
                return wait
            self.sleep(pause)

    def deliver(self, delivery: dict[str, Any], found: Composed | str | None) -> None:
        """Send what is left of one delivery, part by part, as the robot's limit admits."""
        did, name = delivery["id"], delivery["robot"]
        robot = self.opened.get(name)
        if robot is None or not isinstance(found, Composed):
            why = "the robot is no longer configured" if robot is None else found
            self.record(did, status="failed", error=why or "the message is gone", claimed_by=None)
            self.result.failed += 1
            return
        if name in self.broken:
            error = f"not sent: the robot refused this run's first message: {self.broken[name]}"
            self.record(did, status="failed", error=error[:1000], claimed_by=None)
            self.result.failed += 1
            return
        if name in self.blocked:
            self.hold(did, self.blocked[name])
            return
        try:
            posts = robot.render(found, self.templates)
        except RenderError as exc:
            self.record(did, status="failed", error=str(exc)[:1000], claimed_by=None)
            self.result.failed += 1
            self.result.errors.append(str(exc))
            return
        parts = len(posts)
        if delivery["parts_sent"] >= parts:  # nothing left to post (it never stays claimed)
            self.record(did, status="sent", parts=parts, claimed_by=None)
            return
        notes: list[str] = []
        # the parts an HTTP 200 that says nothing answered: possibly delivered
        for index in range(delivery["parts_sent"], parts):
            later = self.wait_for(name, robot)
            if later is not None:
                self.blocked[name] = later
                self.hold(did, later)
                return
            at = self.real()
            outcome = robot.send(posts[index], at)
            if outcome.status == "unknown" and outcome.code is None:
                self.unsure(delivery, outcome, at, parts)
                return
            if outcome.status not in ("sent", "unknown"):
                self.failed(delivery, robot, outcome, at, parts)
                return
            self.result.parts += 1
            values: dict[str, Any] = {"parts": parts, "parts_sent": index + 1}
            if outcome.status == "unknown":  # an HTTP 200 that says nothing: taken, most likely
                self.result.unsure += 1
                note = f"part {index + 1} of {parts}: {outcome.detail}; not posted again"
                notes.append(note)
                values["error"] = "; ".join(notes)[:1000]
            if index + 1 == parts:
                status = UNCONFIRMED if notes else "sent"
                values |= {"status": status, "sent_at": at, "claimed_by": None}
                if not (notes or delivery["possible_duplicate"]):  # else the error says why
                    values["error"] = None
                self.result.sent += 1
            self.record(did, **values)
            if index == 0:
                with self.engine.begin() as conn:
                    resume_channel(conn, robot_channel(name))

    def unsure(self, delivery: dict[str, Any], outcome: Outcome, at: datetime, parts: int) -> None:
        """No answer once the post was sent (a timeout, a reset): the robot may have taken it.
        It is posted once more after the backoff, flagged as a possible duplicate, as the
        e-mail's are; a second such answer is recorded as possibly delivered (``unconfirmed``),
        not posted again but by ``notices resend --force``."""
        tries = delivery["attempts"] + 1
        values: dict[str, Any] = {
            "attempts": tries,
            "parts": parts,
            "claimed_by": None,
            "possible_duplicate": True,
        }
        self.result.unsure += 1
        if delivery["possible_duplicate"]:
            error = f"attempt {tries}: {outcome.detail}; not posted again (resend --force would)"
            values |= {"status": UNCONFIRMED, "error": error[:1000]}
        else:
            error = f"attempt {tries}: {outcome.detail}; posted once more, flagged"
            wait = self.settings.retries.wait(tries)
            values |= {"status": "retrying", "next_attempt_at": at + wait, "error": error[:1000]}
            self.result.retrying += 1
        self.record(delivery["id"], **values)

    def failed(
        self, delivery: dict[str, Any], robot: Robot, outcome: Outcome, at: datetime, parts: int
    ) -> None:
        """Retry later with backoff, or fail for good (a wrong request, or too many tries)."""
        tries = delivery["attempts"] + 1
        fate = self.settings.retries.fate(outcome, tries, at)
        attempts = tries if fate.counted else delivery["attempts"]
        error = f"attempt {tries}: {outcome.status}: {outcome.detail}"[:1000]
        if outcome.code in robot.broken:
            self.broken[robot.name] = error
            self.result.broken.append(robot.name)
            with self.engine.begin() as conn:  # the robot's settings: a channel paused
                pause_channel(conn, robot_channel(robot.name), outcome.detail, at)
        values: dict[str, Any] = {"status": fate.status}
        if fate.next_at is not None:
            values["next_attempt_at"] = fate.next_at
        if fate.status == "failed":
            self.result.failed += 1
            self.result.errors.append(f"{robot.name}: {error}")
        else:
            self.result.retrying += 1
        self.record(
            delivery["id"], attempts=attempts, error=error, parts=parts, claimed_by=None, **values
        )


@dataclass(frozen=True)
class Route:
    """Where a department's notices go: its mailboxes and its group robots."""

    plan: str
    department: str
    emails: tuple[str, ...]
    robots: tuple[str, ...]


def routes(conn: Connection, plan_key: str | None = None) -> list[Route]:
    """Return every department's channels, plan by plan, as loaded."""
    query = select(T_PLAN.c.key, T_DEPT.c.name, T_DEPT.c.emails, T_DEPT.c.robots).join(
        T_PLAN, T_PLAN.c.id == T_DEPT.c.plan_id
    )
    if plan_key:
        query = query.where(T_PLAN.c.key == plan_key)
    return [
        Route(r.key, r.name, tuple(json.loads(r.emails)), tuple(json.loads(r.robots)))
        for r in conn.execute(query.order_by(T_PLAN.c.key, T_DEPT.c.id))
    ]
