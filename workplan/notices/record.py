"""Read the outbox back: the office's record of which notice went to whom, and when."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    case,
    exists,
    func,
    not_,
    or_,
    select,
    update,
)

from workplan.errors import NotFound
from workplan.i18n import L_
from workplan.plan.compiled import item_label
from workplan.rules.kinds import rule_kind
from workplan.store.changes import facts_changed
from workplan.store.refs import PlanRef
from workplan.store.tables import T_CHANNEL, T_DELIVERY, T_MESSAGE, T_NOTICE, T_TASK

COLUMNS = (
    "id",
    "evaluated_on",
    "item",
    "department",
    "notice",
    "kind",
    "about",
    "title",
    "due",
    "status",
    "attempts",
    "number",
    "dated",
    "sent_at",
    "possible_duplicate",
    "message_id",
    "error",
)


def status_column() -> ColumnElement[str]:
    """A notice's status as the record shows it: a letter written to the outbox folder is
    written (已写入), not sent: it is in nobody's inbox yet."""
    return case(
        (and_(T_NOTICE.c.status == "sent", T_NOTICE.c.delivered_by == "folder"), "written"),
        else_=T_NOTICE.c.status,
    )


def shown_status(status: str, delivered_by: str | None) -> str:
    """A notice's status as the record shows it (see status_column)."""
    return "written" if status == "sent" and delivered_by == "folder" else status


def listing(
    conn: Connection,
    plan: PlanRef,
    *,
    status: str | None = None,
    department: str | None = None,
    kind: str | None = None,
    day: date | None = None,
    notice_id: int | None = None,
    limit: int = 200,
) -> list[dict[str, Any]]:
    """Return notices of a plan, newest first, filtered."""
    query = (
        select(T_NOTICE, T_TASK.c.number)
        .select_from(T_NOTICE.join(T_TASK, T_TASK.c.id == T_NOTICE.c.task_id))
        .where(T_NOTICE.c.plan_id == plan.id)
        .order_by(T_NOTICE.c.id.desc())
    )
    if status:
        query = query.where(status_column() == status)
    if department:
        query = query.where(T_NOTICE.c.department == department)
    if day:
        query = query.where(T_NOTICE.c.evaluated_on == day)
    if notice_id is not None:
        query = query.where(T_NOTICE.c.id == notice_id)
    out = []
    for r in conn.execute(query).mappings():
        notice_kind = rule_kind(r["rule"]).letter_at(r["level"])
        if kind and notice_kind != kind:
            continue
        facts = json.loads(r["facts"])
        out.append(
            {
                "id": r["id"],
                "evaluated_on": r["evaluated_on"],
                "item": r["number"],
                "department": r["department"],
                "notice": r["level_name"],
                "kind": notice_kind,
                "about": facts.get("key") or facts.get("metric") or "",
                "title": facts.get("title") or "",
                "due": r["due"],
                "status": shown_status(r["status"], r["delivered_by"]),
                "attempts": r["attempts"],
                "number": r["doc_number"],
                "dated": r["as_of"] or r["evaluated_on"],
                "sent_at": r["sent_at"],
                "possible_duplicate": bool(r["possible_duplicate"]),
                "message_id": r["message_id"],
                "error": r["error"],
            }
        )
        if len(out) >= limit:
            break
    return out


@dataclass(frozen=True)
class NoticeRecord:
    """One notice and the message that carried it, as it was sent."""

    notice: dict[str, Any]
    subject: str | None
    sender: str | None
    recipients: tuple[str, ...]
    text: str | None
    composed_at: datetime | None


def show(conn: Connection, plan: PlanRef, notice_id: int) -> NoticeRecord:
    """Return a notice with its message's text."""
    rows = listing(conn, plan, notice_id=notice_id, limit=1)
    if not rows:
        raise NotFound(
            L_(
                "plan {plan} has no notice {number} (see `workplan notices`)",
                plan=plan.key,
                number=notice_id,
            )
        )
    notice = rows[0]
    message = None
    if notice["message_id"]:
        message = (
            conn.execute(select(T_MESSAGE).where(T_MESSAGE.c.message_id == notice["message_id"]))
            .mappings()
            .first()
        )
    notice["item"] = item_label(notice["item"])
    if message is None:
        return NoticeRecord(notice, None, None, (), None, None)
    return NoticeRecord(
        notice,
        message["subject"],
        message["sender"],
        tuple(json.loads(message["recipients"])),
        message["text"],
        message["composed_at"],
    )


def counts(conn: Connection, plan: PlanRef) -> dict[str, int]:
    """Return how many of a plan's notices are in each state."""
    query = (
        select(T_NOTICE.c.status, T_NOTICE.c.delivered_by, func.count())
        .where(T_NOTICE.c.plan_id == plan.id)
        .group_by(T_NOTICE.c.status, T_NOTICE.c.delivered_by)
    )
    out: dict[str, int] = {}
    for status, delivered_by, n in conn.execute(query):
        shown = shown_status(status, delivered_by)
        out[shown] = out.get(shown, 0) + int(n)
    return out


def pauses(conn: Connection) -> list[dict[str, Any]]:
    """Return the paused channels: channel, since, last_seen, reason (read without the
    delivery modules, for `workplan status`)."""
    return [
        dict(r) for r in conn.execute(select(T_CHANNEL).order_by(T_CHANNEL.c.channel)).mappings()
    ]


CHANNEL_WAIT = "waiting for the channel:"


def waiting(conn: Connection, plan: PlanRef) -> dict[str, int]:
    """Count what is still owed and not yet sent, by why it waits."""
    why = case(
        (T_NOTICE.c.status == "pending", "new"),
        (T_NOTICE.c.status == "claimed", "being sent"),
        (T_NOTICE.c.error.startswith(CHANNEL_WAIT), "for the channel"),
        else_="to retry",
    )
    query = (
        select(why, func.count())
        .where(
            T_NOTICE.c.plan_id == plan.id,
            T_NOTICE.c.status.in_(("pending", "retrying", "claimed")),
        )
        .group_by(why)
    )
    return {reason: int(n) for reason, n in conn.execute(query)}


def resend(
    conn: Connection,
    plan: PlanRef,
    *,
    status: str = "failed",
    since: date | None = None,
    ids: Sequence[int] = (),
) -> int:
    """Queue notices again, each keeping its Message-ID; return how many."""
    query = (
        update(T_NOTICE)
        .where(T_NOTICE.c.plan_id == plan.id, status_column() == status)
        .values(
            status="retrying",
            attempts=0,
            next_attempt_at=None,
            delivered_by=None,
            error=func.coalesce("resent by hand after: " + T_NOTICE.c.error, "resent by hand"),
        )
    )
    if since is not None:
        query = query.where(T_NOTICE.c.evaluated_on >= since)
    if ids:
        query = query.where(T_NOTICE.c.id.in_(list(ids)))
    resent = int(conn.execute(query).rowcount or 0)
    if resent:
        facts_changed(conn, [plan.id])
    return resent


ROBOTS = ("dingtalk", "wecom", "feishu")
"""the group robots' channels, beside e-mail"""

DELIVERY_COLUMNS = (
    "id",
    "department",
    "channel",
    "robot",
    "status",
    "attempts",
    "parts",
    "parts_sent",
    "created_at",
    "sent_at",
    "subject",
    "message_id",
    "error",
)


def _robots(channel: str | None) -> tuple[str, ...]:
    return (channel,) if channel in ROBOTS else ROBOTS


def deliveries(
    conn: Connection,
    plan: PlanRef,
    *,
    channel: str | None = None,
    status: str | None = None,
    department: str | None = None,
    limit: int = 200,
) -> list[dict[str, Any]]:
    """Return a plan's robot deliveries (one a message and robot), newest first, filtered by
    channel (dingtalk, wecom, feishu; any robot else), status and department."""
    query = (
        select(T_DELIVERY, T_MESSAGE.c.subject)
        .select_from(
            T_DELIVERY.outerjoin(T_MESSAGE, T_MESSAGE.c.message_id == T_DELIVERY.c.message_id)
        )
        .where(T_DELIVERY.c.plan_id == plan.id, T_DELIVERY.c.channel.in_(_robots(channel)))
        .order_by(T_DELIVERY.c.id.desc())
        .limit(limit)
    )
    if status:
        query = query.where(T_DELIVERY.c.status == status)
    if department:
        query = query.where(T_DELIVERY.c.department == department)
    return [{name: r[name] for name in DELIVERY_COLUMNS} for r in conn.execute(query).mappings()]


def robot_counts(conn: Connection, plan: PlanRef) -> dict[str, dict[str, int]]:
    """Return how many of a plan's robot deliveries are in each state, channel by channel."""
    query = (
        select(T_DELIVERY.c.channel, T_DELIVERY.c.status, func.count())
        .where(T_DELIVERY.c.plan_id == plan.id)
        .group_by(T_DELIVERY.c.channel, T_DELIVERY.c.status)
        .order_by(T_DELIVERY.c.channel, T_DELIVERY.c.status)
    )
    out: dict[str, dict[str, int]] = {}
    for channel, state, n in conn.execute(query):
        out.setdefault(channel, {})[state] = int(n)
    return out


def resend_deliveries(
    conn: Connection,
    plan: PlanRef,
    *,
    channel: str | None = None,
    since: date | None = None,
    ids: Sequence[int] = (),
    force: bool = False,
) -> tuple[int, int]:
    """Queue failed robot deliveries again, each for the same message and robot (the parts a
    robot accepted are not posted twice); ``since`` and ``ids`` select them by the notices
    their message carried.  One that may have been delivered (flagged, or ``unconfirmed``)
    is queued only with ``force``.  Return how many were queued, and how many left alone."""
    picked = and_(
        T_DELIVERY.c.plan_id == plan.id,
        T_DELIVERY.c.status.in_(("failed", "unconfirmed")),
        T_DELIVERY.c.channel.in_(_robots(channel)),
    )
    carried = T_NOTICE.c.message_id == T_DELIVERY.c.message_id
    if since is not None:
        picked = and_(
            picked, exists(select(T_NOTICE.c.id).where(carried, T_NOTICE.c.evaluated_on >= since))
        )
    if ids:
        picked = and_(
            picked, exists(select(T_NOTICE.c.id).where(carried, T_NOTICE.c.id.in_(list(ids))))
        )
    unsure = or_(T_DELIVERY.c.possible_duplicate, T_DELIVERY.c.status == "unconfirmed")
    left = 0
    if not force:
        left = int(conn.execute(select(func.count()).where(picked, unsure)).scalar_one())
        picked = and_(picked, not_(unsure))
    # an unconfirmed delivery whose every part the robot answered is posted whole again
    taken = and_(
        T_DELIVERY.c.status == "unconfirmed", T_DELIVERY.c.parts_sent >= T_DELIVERY.c.parts
    )
    query = (
        update(T_DELIVERY)
        .where(picked)
        .values(
            status="retrying",
            parts_sent=case((taken, 0), else_=T_DELIVERY.c.parts_sent),
            attempts=0,
            next_attempt_at=None,
            error=func.coalesce("resent by hand after: " + T_DELIVERY.c.error, "resent by hand"),
        )
    )
    return int(conn.execute(query).rowcount or 0), left
