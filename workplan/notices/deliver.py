"""One delivery run, the same for `workplan dispatch` and the service: the e-mail, then the
group robots and webhooks, then the office's alert for any channel that paused."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine

from workplan.channels.config import DeliverySettings, close_all, open_channels
from workplan.notices.alert import alert_paused, alert_refused
from workplan.notices.compose import Renderer
from workplan.notices.dispatch import DispatchResult, DispatchSettings, dispatch
from workplan.notices.pauses import robot_channel
from workplan.notices.robots import RobotDeliverySettings, RobotResult, deliver_robots
from workplan.notices.signins import alert_sign_ins


@dataclass
class Delivered:
    """What one delivery run did."""

    channel: str
    """the e-mail's channel: smtp, or the outbox folder"""
    mail: DispatchResult
    posts: RobotResult | None = None
    """the robots' and webhooks' deliveries (None when none is configured)"""
    alerts: list[str] = field(default_factory=list)
    """what the office was told of a paused channel or of failed sign-ins, or why it could
    not be"""


def deliver_all(
    engine: Engine,
    delivery: DeliverySettings,
    renderer: Renderer,
    *,
    now: Callable[[], datetime],
    wall: Callable[[], datetime],
    owner: str,
    settings: DispatchSettings | None = None,
    posts: RobotDeliverySettings | None = None,
    stop: Callable[[], bool] = lambda: False,
    lock: AbstractContextManager[object] | None = None,
) -> Delivered:
    """Send the e-mail that is due over the configured channel, post the messages whose
    e-mail went to the departments' robots and webhooks, and alert the office about each
    channel that paused; ``lock`` is held around each of the first two steps (the service's,
    shared with its evaluation)."""
    guard = lock or nullcontext()
    channels = open_channels(delivery)
    name = channels[0].name
    try:
        with guard:
            mail = dispatch(
                engine, channels, renderer, now=now, owner=owner,
                settings=settings or DispatchSettings(), stop=stop, wall=wall,
            )  # fmt: skip
    finally:
        close_all(channels)
    done = Delivered(name, mail)
    if delivery.robots:
        with guard:
            done.posts = deliver_robots(
                engine, delivery.robots, renderer.env, wall=wall, owner=owner,
                settings=posts or RobotDeliverySettings(), stop=stop,
            )  # fmt: skip
    paused = [name] if mail.channel_error else []
    paused += [robot_channel(robot) for robot in (done.posts.broken if done.posts else [])]
    if paused:
        done.alerts = alert_paused(engine, paused, delivery, now=now, wall=wall)
    done.alerts += alert_refused(engine, mail.refused_bytes, delivery, now=now, wall=wall)
    done.alerts += alert_sign_ins(engine, delivery, now=now, wall=wall)
    return done
