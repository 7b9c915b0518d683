"""Tell the office when a channel pauses, through another channel that works.

A paused channel already shows in ``status`` and in the log of every run; this adds one
message to the plan's coordination office (the plan's ``office`` department: its mailbox and
its group robots), at most one a day per paused channel and plan, whatever the number of
runs or services: the ``channel_alert`` row is taken before the alert goes, so a second
service, or the next run, finds it and sends nothing.  When no other channel can carry the
alert the row is given back and the log says that no alert could be sent; the next run tries
again.

Where the alert goes, in order, never through the paused channel itself:

* the e-mail (SMTP) channel paused: the office's group robots, then the outbox folder when
  the operator configured one (``[outbox] dir``, ``WORKPLAN_OUTBOX`` or ``--outbox``);
* the outbox folder paused (no SMTP configured): the office's group robots;
* a group robot paused (its settings refused): the e-mail channel to the office's mailbox,
  then the office's other robots.

The text is the shipped ``alert.subject.j2`` and ``alert.txt.j2`` in the plan's language (an
office's own templates may be what broke, so they are not used here).
"""

from __future__ import annotations

import html
import json
import logging
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from sqlalchemy import Engine, and_, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from workplan.channels.base import Channel, Outcome, Outgoing, Party
from workplan.channels.config import DeliverySettings, open_channels
from workplan.channels.folder import FolderChannel
from workplan.channels.limits import admit, limits_of
from workplan.channels.mail import HeaderInjection, compose, domain_of, message_id
from workplan.channels.registry import MAIL, POSTING, entry, open_robot
from workplan.channels.robot import RobotSettings
from workplan.notices.pauses import ROBOT, Pause, pauses, robot_channel
from workplan.notices.templates import Templates, render_bounded
from workplan.store.tables import T_ALERT, T_DELIVERY, T_DEPT, T_NOTICE, T_PLAN

log = logging.getLogger("workplan.alert")


@dataclass(frozen=True)
class Office:
    """A plan and the way to its coordination office."""

    plan_id: int
    title: str
    locale: str
    timezone: str
    name: str
    emails: tuple[str, ...]
    robots: tuple[str, ...]


@dataclass(frozen=True)
class Alert:
    """The words of one alert."""

    subject: str
    text: str


FAULT = "workplan"
"""what an alert of messages the server refused as workplan built them is named (in the
``channel_alert`` rows, once a day per plan): no channel is paused, workplan is at fault"""

HINT = (
    "name a group robot for the office in the plan's directory and the config, give the office"
    " a mailbox, or set an outbox folder"
)

Route = tuple[str, Callable[[Alert], Outcome]]
"""a channel's name (as the alert names it) and how to send the alert through it"""


def label(channel: str, locale: str, robots: Mapping[str, RobotSettings] | None = None) -> str:
    """Name a channel in the plan's language, as the registry words it (a configured robot
    by its kind's words and its name)."""
    if channel.startswith(ROBOT):
        name = channel.removeprefix(ROBOT)
        settings = (robots or {}).get(name)
        return entry(settings.kind if settings else POSTING[0]).label(locale, name)
    return entry(channel).label(locale) if channel in MAIL else channel


def _offices(engine: Engine) -> list[Office]:
    query = select(
        T_PLAN.c.id,
        T_PLAN.c.title,
        T_PLAN.c.locale,
        T_PLAN.c.timezone,
        T_PLAN.c.office,
        T_DEPT.c.emails,
        T_DEPT.c.robots,
    ).outerjoin(T_DEPT, and_(T_DEPT.c.plan_id == T_PLAN.c.id, T_DEPT.c.name == T_PLAN.c.office))
    with engine.connect() as conn:
        return [
            Office(
                r.id,
                r.title,
                r.locale,
                r.timezone,
                r.office,
                tuple(json.loads(r.emails or "[]")),
                tuple(json.loads(r.robots or "[]")),
            )
            for r in conn.execute(query.order_by(T_PLAN.c.id))
        ]


def _waiting(engine: Engine, channel: str) -> dict[int, int]:
    """Count per plan what waits on the channel: notices owed, or a robot's unsent posts."""
    if channel.startswith(ROBOT):
        query = (
            select(T_DELIVERY.c.plan_id, func.count())
            .where(
                T_DELIVERY.c.robot == channel.removeprefix(ROBOT),
                T_DELIVERY.c.status.in_(("failed", "retrying", "pending")),
            )
            .group_by(T_DELIVERY.c.plan_id)
        )
    else:
        query = (
            select(T_NOTICE.c.plan_id, func.count())
            .where(T_NOTICE.c.status.in_(("pending", "retrying")))
            .group_by(T_NOTICE.c.plan_id)
        )
    with engine.connect() as conn:
        return {int(plan): int(n) for plan, n in conn.execute(query)}


def render(
    pause: Pause,
    office: Office,
    waiting: int,
    via: str,
    robots: Mapping[str, RobotSettings] | None = None,
) -> Alert:
    """Write the alert in the plan's language with the shipped templates."""
    locale = office.locale if office.locale in ("zh-CN", "en") else "en"
    since = pause.since.astimezone(ZoneInfo(office.timezone))
    context = {
        "a": {
            "office": office.name,
            "plan_title": office.title,
            "label": label(pause.channel, locale, robots),
            "name": pause.channel.removeprefix(ROBOT),
            "robot": pause.channel.startswith(ROBOT),
            "since": f"{since:%Y-%m-%d %H:%M} ({office.timezone})",
            "reason": pause.reason,
            "waiting": waiting,
            "via": label(via, locale, robots),
            "fault": pause.channel == FAULT,
        }
    }
    env = Templates().env
    subject, text = (
        render_bounded(env.get_template(f"{locale}/alert.{part}.j2"), context)
        for part in ("subject", "txt")
    )
    return Alert(" ".join(subject.split()), text)


def _robot_route(engine: Engine, settings: RobotSettings, wall: Callable[[], datetime]) -> Route:
    def send(alert: Alert) -> Outcome:
        robot = open_robot(settings)
        at = wall()
        later = admit(engine, settings.name, limits_of(robot), at)
        if later is not None:
            return Outcome("temporary", None, f"at its limit until {later:%H:%M:%S} UTC")
        return robot.send(robot.plain(alert.subject, alert.text), at)

    return robot_channel(settings.name), send


def _mail_route(
    channel: Channel[Outgoing], office: Office, sender: str | None, now: Callable[[], datetime]
) -> Route:
    def send(alert: Alert) -> Outcome:
        at = now().astimezone(ZoneInfo(office.timezone))
        address = sender or office.emails[0]
        mid = message_id(["alert", alert.subject, at.date().isoformat()], domain_of(address))
        try:
            mail = compose(
                subject=alert.subject,
                text=alert.text,
                html=f"<pre style='white-space:pre-wrap'>{html.escape(alert.text)}</pre>",
                sender=Party(office.name, (address,)),
                to=[Party(office.name, office.emails)],
                message_id_=mid,
                date=at,
            )
        except HeaderInjection as exc:
            return Outcome("permanent", None, str(exc))
        try:
            return channel.send(mail, at)
        finally:
            channel.close()

    return channel.name, send


def routes(
    engine: Engine,
    paused: str,
    office: Office,
    delivery: DeliverySettings,
    *,
    now: Callable[[], datetime],
    wall: Callable[[], datetime],
) -> list[Route]:
    """The channels that may carry an alert about ``paused`` to the office, in order."""
    robots = delivery.robots
    by_robot = [
        _robot_route(engine, robots[name], wall)
        for name in office.robots
        if name in robots and robot_channel(name) != paused
    ]
    if not paused.startswith(ROBOT) and paused != FAULT:
        folder = delivery.outbox if delivery.outbox_set and paused == "smtp" else None
        if folder is None or not office.emails:
            return by_robot
        return [*by_robot, _mail_route(FolderChannel(folder), office, delivery.sender, now)]
    return [*_mailbox(office, delivery, now), *by_robot]


def _mailbox(
    office: Office, delivery: DeliverySettings, now: Callable[[], datetime]
) -> list[Route]:
    """The office's mailbox by the configured e-mail channel (none without a mailbox)."""
    if not office.emails:
        return []
    (mail, *more) = open_channels(delivery, connections=1)
    for extra in more:
        extra.close()
    return [_mail_route(mail, office, delivery.sender, now)]


def _take(engine: Engine, channel: str, plan_id: int, day: Any, at: datetime) -> bool:
    """Take the day's alert for a channel and plan; False when it was taken already."""
    with engine.begin() as conn:
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        taken = conn.execute(
            dialect.insert(T_ALERT)
            .values(channel=channel, plan_id=plan_id, day=day, at=at)
            .on_conflict_do_nothing(index_elements=["channel", "plan_id", "day"])
            .returning(T_ALERT.c.channel)
        ).first()
    return taken is not None


def alert_office(
    engine: Engine,
    pause: Pause,
    delivery: DeliverySettings,
    *,
    now: Callable[[], datetime],
    wall: Callable[[], datetime],
    waiting: Mapping[int, int] | None = None,
) -> list[str]:
    """Alert each plan's office that has something waiting on the paused channel (or, given,
    ``waiting``: so many per plan), once a day; return what was done, one line each (also
    logged)."""
    done: list[str] = []
    waiting = _waiting(engine, pause.channel) if waiting is None else waiting
    for office in _offices(engine):
        if not waiting.get(office.plan_id):
            continue
        day = now().astimezone(ZoneInfo(office.timezone)).date()
        key = (pause.channel, office.plan_id, day)
        if not _take(engine, *key, wall()):
            continue  # alerted today already, by this service or another
        via, tried = first_sent(
            routes(engine, pause.channel, office, delivery, now=now, wall=wall),
            partial(render, pause, office, waiting[office.plan_id], robots=delivery.robots),
        )
        if via is not None:
            with engine.begin() as conn:
                conn.execute(update(T_ALERT).where(*_match(*key)).values(via=via[:120]))
            line = f"told {office.name} that {_what(pause)}, via {via}"
            log.warning("%s", line)
            done.append(line)
        else:
            with engine.begin() as conn:
                conn.execute(delete(T_ALERT).where(*_match(*key)))
            why = "; ".join(tried) if tried else f"no other channel reaches the office ({HINT})"
            line = f"no alert could be sent to {office.name} that {_what(pause)}: {why}"
            log.error("%s", line)
            done.append(line)
    return done


def first_sent(ways: list[Route], write: Callable[[str], Alert]) -> tuple[str | None, list[str]]:
    """Send the alert ``write`` words for each way to the office, in order, until one takes
    it; return the way that did (None when none did) and what the others answered."""
    tried: list[str] = []
    for name, send in ways:
        try:
            outcome = send(write(name))
        except (jinja2.TemplateError, OSError) as exc:
            outcome = Outcome("channel", None, f"{type(exc).__name__}: {exc}")
        if outcome.status == "sent":
            return name, tried
        tried.append(f"{name}: {outcome.detail}")
    return None, tried


def _what(pause: Pause) -> str:
    if pause.channel == FAULT:
        return "the mail server refused letters as workplan built them"
    return f"the {pause.channel} channel is paused"


def _match(channel: str, plan_id: int, day: Any) -> tuple[Any, ...]:
    return (T_ALERT.c.channel == channel, T_ALERT.c.plan_id == plan_id, T_ALERT.c.day == day)


def alert_paused(
    engine: Engine,
    channels: list[str],
    delivery: DeliverySettings,
    *,
    now: Callable[[], datetime],
    wall: Callable[[], datetime],
) -> list[str]:
    """Alert the offices about each of these channels that is paused (see alert_office)."""
    return [
        line
        for pause in pauses(engine, channels)
        for line in alert_office(engine, pause, delivery, now=now, wall=wall)
    ]


def office_routes(
    engine: Engine,
    office: Office,
    delivery: DeliverySettings,
    *,
    now: Callable[[], datetime],
    wall: Callable[[], datetime],
) -> list[Route]:
    """Every channel that reaches the office, for an alert that is not about a pause: its
    mailbox by the e-mail channel (or the outbox folder), then its group robots."""
    robots = delivery.robots
    by_robot = [_robot_route(engine, robots[n], wall) for n in office.robots if n in robots]
    return [*_mailbox(office, delivery, now), *by_robot]


def offices(engine: Engine) -> list[Office]:
    """Every plan's coordination office and the way to it."""
    return _offices(engine)


def alert_refused(
    engine: Engine,
    refused: Sequence[tuple[int, str]],
    delivery: DeliverySettings,
    *,
    now: Callable[[], datetime],
    wall: Callable[[], datetime],
) -> list[str]:
    """Tell each plan's office, once a day, that the server refused letters as workplan built
    them (``refused``: each letter's plan and why): a fault of workplan's, which the departments
    are not blamed for; the e-mail channel carries it first (it works), then the robots."""
    if not refused:
        return []
    counts = Counter(plan for plan, _ in refused)
    fault = Pause(FAULT, now(), refused[0][1])
    return alert_office(engine, fault, delivery, now=now, wall=wall, waiting=counts)
