"""Tell the office of failed sign-ins to its pages, through its own channels.

The web pages record every attempt to sign in (``store/signins.py``) and log each failure;
they send nothing.  Each delivery run (``workplan run``, ``workplan dispatch``) reads the
failures the office has not been told of and, once there are ``AT_LEAST`` of them (a mistyped
password or two is not news), sends one alert to each plan's office: how many, from which
addresses, when, and whether the account was locked; then marks them told.  A failure to
send leaves them untold for the next run.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from functools import partial
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from workplan.channels.config import DeliverySettings
from workplan.notices.alert import Alert, Office, first_sent, office_routes, offices
from workplan.notices.templates import Templates, render_bounded
from workplan.store import signins

log = logging.getLogger("workplan.alert")

AT_LEAST = 5


def render(failed: list[signins.Failed], office: Office, via: str) -> Alert:
    """Write the alert in the plan's language."""
    locale = office.locale if office.locale in ("zh-CN", "en") else "en"
    zone = ZoneInfo(office.timezone)
    context = {
        "s": {
            "office": office.name,
            "plan_title": office.title,
            "count": len(failed),
            "first": f"{failed[0].at.astimezone(zone):%Y-%m-%d %H:%M}",
            "last": f"{failed[-1].at.astimezone(zone):%Y-%m-%d %H:%M}",
            "addresses": Counter(f.address for f in failed).most_common(10),
            "via": via,
        }
    }
    env = Templates().env
    subject, text = (
        render_bounded(env.get_template(f"{locale}/signin.{part}.j2"), context)
        for part in ("subject", "txt")
    )
    return Alert(" ".join(subject.split()), text)


def alert_sign_ins(
    engine: Engine,
    delivery: DeliverySettings,
    *,
    now: Callable[[], datetime],
    wall: Callable[[], datetime],
) -> list[str]:
    """Tell each office of the failed sign-ins not told yet; return what was done."""
    with engine.connect() as conn:
        failed = signins.untold(conn)
    if len(failed) < AT_LEAST:
        return []
    done: list[str] = []
    told = False
    for office in offices(engine):
        via, tried = first_sent(
            office_routes(engine, office, delivery, now=now, wall=wall),
            partial(render, failed, office),
        )
        if via is not None:
            line = f"told {office.name} of {len(failed)} failed sign-in(s), via {via}"
            log.warning("%s", line)
            done.append(line)
            told = True
        else:
            line = (
                f"no alert could be sent to {office.name} of {len(failed)} failed sign-in(s): "
                + ("; ".join(tried) or "no channel reaches the office")
            )
            log.error("%s", line)
            done.append(line)
    if told:
        with engine.begin() as conn:
            signins.told(conn, [f.id for f in failed])
    return done
