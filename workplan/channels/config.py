"""Delivery settings (a TOML file, overridden by the environment) and the channels they open."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from workplan.channels.base import Channel, ConfigError
from workplan.channels.folder import FolderChannel
from workplan.channels.smtp import SmtpChannel, SmtpSettings


@dataclass(frozen=True)
class DeliverySettings:
    """Where notices go: SMTP when a host is configured, else an outbox folder."""

    smtp: SmtpSettings | None
    outbox: Path
    sender: str | None = None
    """overrides the From address (default: the coordination office's first address)"""


OTHER_SECTIONS = ("robots",)
"""config sections that other modules read: a strict check of this file must let them be"""

ENV = {
    "host": "WORKPLAN_SMTP_HOST",
    "port": "WORKPLAN_SMTP_PORT",
    "security": "WORKPLAN_SMTP_SECURITY",
    "user": "WORKPLAN_SMTP_USER",
    "password": "WORKPLAN_SMTP_PASSWORD",
    "timeout": "WORKPLAN_SMTP_TIMEOUT",
    "sender": "WORKPLAN_MAIL_FROM",
    "outbox": "WORKPLAN_OUTBOX",
}


def load_settings(
    config: Path | None = None, env: dict[str, str] | None = None
) -> DeliverySettings:
    """Read delivery settings from a TOML config file, overridden by the environment.

    The file has a ``[smtp]`` table (host, port, security, user, password, timeout), and
    optionally ``[mail] from`` and ``[outbox] dir``.  The ``[robots.NAME]`` sections are
    read by :func:`workplan.channels.robot.load_robots` (see ``OTHER_SECTIONS``).
    """
    environ = dict(os.environ if env is None else env)
    values: dict[str, object] = {}
    if config is not None:
        try:
            raw = tomllib.loads(config.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"{config}: cannot read: {exc.strerror}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{config}: not valid TOML: {exc}") from None
        values.update(raw.get("smtp", {}))
        values["sender"] = raw.get("mail", {}).get("from")
        values["outbox"] = raw.get("outbox", {}).get("dir")
    for key, name in ENV.items():
        if environ.get(name):
            values[key] = environ[name]
    outbox = Path(str(values.get("outbox") or "outbox"))
    sender = str(values["sender"]) if values.get("sender") else None
    host = values.get("host")
    if not host:
        return DeliverySettings(None, outbox, sender)
    try:
        port = int(str(values.get("port") or 0))
        timeout = float(str(values.get("timeout") or 30))
    except ValueError:
        raise ConfigError("the SMTP port and timeout must be numbers") from None
    security = str(values.get("security") or "").lower()
    if not security:
        security = {465: "tls", 587: "starttls"}.get(port, "none")
    if security not in ("starttls", "tls", "none"):
        raise ConfigError(f"SMTP security '{security}': use starttls, tls or none")
    if not port:
        port = {"tls": 465, "starttls": 587}.get(security, 25)
    smtp = SmtpSettings(
        host=str(host),
        port=port,
        security=security,  # type: ignore[arg-type]
        user=str(values["user"]) if values.get("user") else None,
        password=str(values["password"]) if values.get("password") else None,
        timeout=timeout,
    )
    return DeliverySettings(smtp, outbox, sender)


def open_channels(settings: DeliverySettings, connections: int = 2) -> list[Channel]:
    """Return the channels the settings describe: SMTP connections used in parallel, or the
    outbox folder."""
    if settings.smtp is not None:
        smtp = settings.smtp
        return [SmtpChannel(smtp) for _ in range(max(connections, 1))]
    return [FolderChannel(settings.outbox)]


def close_all(channels: list[Channel]) -> None:
    """Close every channel."""
    for channel in channels:
        channel.close()
