"""What the group robots share: their settings, the HTTP post, size splitting and the limiter.

A robot is a webhook into one group chat (DingTalk, WeCom or Feishu).  Its URL and secret come
from the delivery config file's ``[robots.NAME]`` section or from environment variables that
section names, never from the plan: the plan's department directory only names the robot.

Each robot has hard limits.  The limiter below counts every send to a robot in the database,
in a transaction that holds the robot's ``robot_gate`` row, so every process sending through
the same database (two services on PostgreSQL) stays under one limit together.  Time is a
parameter: ``admit`` is told what time it is.
"""

from __future__ import annotations

import json
import os
import tomllib
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal, Protocol
from urllib.parse import urlsplit

from sqlalchemy import Engine, delete, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from workplan.channels.base import ConfigError, Outcome
from workplan.store.tables import T_ROBOT_GATE, T_ROBOT_SEND

Kind = Literal["dingtalk", "wecom", "feishu"]
KINDS: tuple[Kind, ...] = ("dingtalk", "wecom", "feishu")


@dataclass(frozen=True)
class RobotSettings:
    """One robot as the config describes it."""

    name: str
    kind: Kind
    url: str
    secret: str | None = None
    """the signing secret (DingTalk 加签, Feishu 签名校验); WeCom has none: its URL is the key"""
    keyword: str | None = None
    """the robot's security keyword, when it has one: every message must contain it"""
    per_minute: int | None = None
    """send fewer than the robot's own limit (a robot shared with another system)"""
    msgtype: str = "markdown"
    """DingTalk only: ``actionCard`` posts a card whose button opens the report link"""


MSGTYPES = {"dingtalk": ("markdown", "actionCard")}
"""the message types a robot may be configured for (the first is the default)"""


@dataclass(frozen=True)
class Button:
    """A link a robot shows as a button (a DingTalk ActionCard's, a Feishu card's)."""

    label: str
    url: str


def load_robots(config: Path | None, env: dict[str, str] | None = None) -> dict[str, RobotSettings]:
    """Read the ``[robots.NAME]`` sections of the delivery config.

    Each has ``kind`` (dingtalk, wecom or feishu) and ``url``, optionally ``secret``,
    ``keyword``, ``per_minute`` and (DingTalk) ``msgtype``; ``url_env`` and ``secret_env`` name environment variables
    to read the URL and the secret from instead, so that neither need be in the file.
    """
    if config is None:
        return {}
    environ = dict(os.environ if env is None else env)
    try:
        raw = tomllib.loads(config.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{config}: cannot read: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{config}: not valid TOML: {exc}") from None
    sections = raw.get("robots", {})
    if not isinstance(sections, dict):
        raise ConfigError(f"{config}: [robots] must be a table of [robots.NAME] sections")
    out = {}
    for name, section in sections.items():
        where = f"{config}: [robots.{name}]"
        if not isinstance(section, dict):
            raise ConfigError(f"{where} must be a table")
        unknown = set(section) - {
            "kind",
            "url",
            "url_env",
            "secret",
            "secret_env",
            "keyword",
            "per_minute",
            "msgtype",
        }
        if unknown:
            raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
        kind = section.get("kind")
        if kind not in KINDS:
            raise ConfigError(f"{where}: kind {kind!r}: use dingtalk, wecom or feishu")
        values: dict[str, str | None] = {}
        for key in ("url", "secret"):
            value = section.get(key)
            variable = section.get(f"{key}_env")
            if variable:
                value = environ.get(str(variable))
                if not value:
                    raise ConfigError(f"{where}: the environment variable {variable} is not set")
            values[key] = str(value) if value else None
        if not values["url"]:
            raise ConfigError(f"{where}: no url (give url, or url_env naming a variable)")
        per_minute = section.get("per_minute")
        if per_minute is not None and (not isinstance(per_minute, int) or per_minute < 1):
            raise ConfigError(f"{where}: per_minute must be a whole number above 0")
        msgtype = section.get("msgtype", "markdown")
        allowed = MSGTYPES.get(kind, ("markdown",))
        if msgtype not in allowed:
            raise ConfigError(
                f"{where}: msgtype {msgtype!r}: a {kind} robot takes {' or '.join(allowed)}"
            )
        out[name] = RobotSettings(
            name,
            kind,
            str(values["url"]),
            values["secret"],
            str(section["keyword"]) if section.get("keyword") else None,
            per_minute,
            str(msgtype),
        )
    return out


def url_problems(url: str, host_suffixes: Sequence[str], path: str) -> list[str]:
    """Return what is wrong with a webhook URL's shape (any http(s) host is accepted for a
    local or proxied endpoint, but a public host must be the robot's own)."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return ["the URL must be an http(s) address"]
    local = parts.hostname in ("127.0.0.1", "localhost", "::1")
    problems = []
    if not local and parts.scheme != "https":
        problems.append("the URL must use https")
    if not local and not any(parts.hostname.endswith(s) for s in host_suffixes):
        problems.append(f"the host {parts.hostname} is not {' or '.join(host_suffixes)}")
    if not parts.path.startswith(path):
        problems.append(f"the path must start with {path}")
    return problems


def post_json(url: str, body: dict[str, Any], timeout: float = 10) -> tuple[int, dict[str, Any]]:
    """POST a JSON body; return the HTTP status and the JSON answer ({} when not JSON)."""
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(
        url, data=data, headers={"Content-Type": "application/json; charset=utf-8"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    try:
        answer = json.loads(raw.decode("utf-8") or "{}")
    except (UnicodeDecodeError, json.JSONDecodeError):
        answer = {}
    return status, answer if isinstance(answer, dict) else {}


def hide(url: str) -> str:
    """The URL without its query and token, for messages (the full URL is a secret)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path.rsplit('/', 1)[0]}/…"


def answer(
    status: int,
    code: int | None,
    detail: str,
    retry_later: dict[int, str],
    wrong: dict[int, str],
) -> Outcome:
    """Map a robot's answer to an outcome: 0 is sent; a retry-later code (or HTTP 429/5xx)
    is temporary; a code that says the request is wrong, or any other, is permanent."""
    if status == 200 and code == 0:
        return Outcome("sent", 0, detail)
    if code in retry_later:
        return Outcome("temporary", code, f"{retry_later[code]} ({detail})")
    if code in wrong:
        return Outcome("permanent", code, f"{wrong[code]} ({detail})")
    if status == 429 or status >= 500:
        return Outcome("temporary", status, f"HTTP {status} {detail}".strip())
    return Outcome("permanent", code if code is not None else status, detail or f"HTTP {status}")


def deliver(
    url: str,
    body: dict[str, Any],
    shown: str,
    keys: tuple[str, str],
    retry_later: dict[int, str],
    wrong: dict[int, str],
) -> Outcome:
    """POST a robot's message and map its answer (``keys``: the code's and the message's
    names in the answer) to an outcome; ``shown`` is the URL as messages may name it."""
    try:
        status, reply = post_json(url, body)
    except OSError as exc:
        return unreachable(exc)
    code = reply.get(keys[0])
    detail = f"{code} {reply.get(keys[1], '')} at {hide(shown)}"
    return answer(status, code if isinstance(code, int) else None, detail, retry_later, wrong)


def unreachable(exc: OSError) -> Outcome:
    """A robot that could not be reached, or did not answer: try again later."""
    return Outcome("temporary", None, f"cannot reach the robot: {exc}")


class Robot(Protocol):
    """A group robot: sends one markdown message (with a button, when it shows links as
    buttons), reports what became of it."""

    settings: RobotSettings
    limits: tuple[tuple[int, float], ...]
    """(messages, seconds): never more than so many in any window of so many seconds"""
    max_bytes: int
    """the largest message text, in UTF-8 bytes"""
    broken: frozenset[int]
    """the answer codes that mean the robot's settings (URL, secret, keyword) are wrong"""
    buttons: bool
    """whether a link goes in a button (else it is a markdown link in the text)"""

    def problems(self) -> list[str]:
        """What is wrong with the settings (URL shape, secret), without sending anything."""

    def send(self, title: str, text: str, now: datetime, button: Button | None = None) -> Outcome:
        """Send one message signed at ``now``; report, never raise, what happened."""

    def not_before(self, now: datetime) -> datetime:
        """The earliest time the robot should be used (Feishu avoids :00 and :30)."""


def limits_of(robot: Robot) -> tuple[tuple[int, float], ...]:
    """The robot's limits, lowered to its configured per_minute."""
    per_minute = robot.settings.per_minute
    if per_minute is None:
        return robot.limits
    return tuple((min(n, per_minute), s) if s == 60 else (n, s) for n, s in robot.limits) + (
        ((per_minute, 60.0),) if all(s != 60 for _, s in robot.limits) else ()
    )


def admit(
    engine: Engine, robot: str, limits: Sequence[tuple[int, float]], now: datetime
) -> datetime | None:
    """Count a send to ``robot`` at ``now`` if every limit allows it and return None; else
    count nothing and return the earliest time one may.  Shared by every process."""
    longest = max(seconds for _, seconds in limits)
    with engine.begin() as conn:
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        conn.execute(
            dialect.insert(T_ROBOT_GATE).values(robot=robot).on_conflict_do_nothing(),
        )
        # hold the robot's gate: a second process waits here until this one has counted
        gate = select(T_ROBOT_GATE.c.robot).where(T_ROBOT_GATE.c.robot == robot)
        if conn.dialect.name == "postgresql":
            gate = gate.with_for_update()
        conn.execute(gate)
        later = None
        for count, seconds in limits:
            since = now - timedelta(seconds=seconds)
            recent = select(T_ROBOT_SEND.c.at).where(
                T_ROBOT_SEND.c.robot == robot, T_ROBOT_SEND.c.at > since
            )
            if (
                conn.execute(select(func.count()).select_from(recent.subquery())).scalar_one()
                < count
            ):
                continue
            # the count-th most recent send must leave the window first
            nth: datetime = conn.execute(
                recent.order_by(T_ROBOT_SEND.c.at.desc()).offset(count - 1).limit(1)
            ).scalar_one()
            free = nth + timedelta(seconds=seconds)
            later = free if later is None or free > later else later
        if later is not None:
            return later
        conn.execute(insert(T_ROBOT_SEND).values(robot=robot, at=now))
        conn.execute(
            delete(T_ROBOT_SEND).where(
                T_ROBOT_SEND.c.robot == robot,
                T_ROBOT_SEND.c.at < now - timedelta(seconds=longest * 2),
            )
        )
    return None


def split(
    header: Callable[[int, int], str], items: Sequence[str], footer: str, max_bytes: int
) -> list[str]:
    """Put items into as few messages as fit ``max_bytes`` (UTF-8): each is header(part,
    parts) + items + footer; never cut an item.  Raise ValueError if one item cannot fit."""
    size = len((header(99, 99) + footer).encode("utf-8"))
    groups: list[list[str]] = [[]]
    used = size
    for item in items:
        length = len(item.encode("utf-8"))
        if size + length > max_bytes:
            raise ValueError(f"one item takes {size + length} bytes, over the {max_bytes} limit")
        if used + length > max_bytes and groups[-1]:
            groups.append([])
            used = size
        groups[-1].append(item)
        used += length
    return [header(i, len(groups)) + "".join(g) + footer for i, g in enumerate(groups, 1)]


def open_robot(settings: RobotSettings) -> Robot:
    """Return the robot the settings describe."""
    from workplan.channels.dingtalk import DingTalkRobot
    from workplan.channels.feishu import FeishuRobot
    from workplan.channels.wecom import WeComRobot

    kinds: dict[str, type[DingTalkRobot] | type[WeComRobot] | type[FeishuRobot]] = {
        "dingtalk": DingTalkRobot,
        "wecom": WeComRobot,
        "feishu": FeishuRobot,
    }
    return kinds[settings.kind](settings)


def check_robot(settings: RobotSettings, now: datetime) -> list[str]:
    """Return what is wrong with a robot's settings, sending nothing: the URL's shape, the
    secret, and that a request can be signed with it."""
    robot = open_robot(settings)
    problems = robot.problems()
    if settings.secret:
        try:
            sign_now(settings, now)
        except (ValueError, UnicodeError) as exc:
            problems.append(f"cannot sign with the secret: {exc}")
    return problems


def sign_now(settings: RobotSettings, now: datetime) -> str:
    """Return the signature a request would carry at ``now`` (empty without a secret)."""
    if not settings.secret:
        return ""
    if settings.kind == "dingtalk":
        from workplan.channels.dingtalk import sign as dingtalk_sign

        return dingtalk_sign(settings.secret, int(now.timestamp() * 1000))
    if settings.kind == "feishu":
        from workplan.channels.feishu import sign as feishu_sign

        return feishu_sign(settings.secret, int(now.timestamp()))
    return ""
