"""Delivery settings (a TOML file, overridden by the environment) and the channels they open.

The file is read once, whole, and checked before anything is claimed: its encoding, its
tables and keys, every value, and that a file holding a secret (the SMTP password, a robot's
secret, a URL whose token is the credential) is readable by its owner only.
"""

from __future__ import annotations

import contextlib
import difflib
import math
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from workplan.channels.base import Channel, ConfigError
from workplan.channels.folder import FolderChannel
from workplan.channels.registry import POSTING, robot_class
from workplan.channels.robot import RobotSettings
from workplan.channels.smtp import SmtpChannel, SmtpSettings


@dataclass(frozen=True)
class DeliverySettings:
    """Where notices go: SMTP when a host is configured, else an outbox folder; and the
    group robots (and webhooks) that also get a department's messages."""

    smtp: SmtpSettings | None
    outbox: Path
    sender: str | None = None
    """overrides the From address (default: the coordination office's first address)"""
    outbox_set: bool = False
    """the operator named the outbox folder: with SMTP it is where an alert goes when SMTP
    is paused and no office robot works"""
    robots: Mapping[str, RobotSettings] = field(default_factory=dict)
    """the ``[robots.NAME]`` sections, by name"""


ENV = {
    "host": "WORKPLAN_SMTP_HOST",
    "port": "WORKPLAN_SMTP_PORT",
    "security": "WORKPLAN_SMTP_SECURITY",
    "user": "WORKPLAN_SMTP_USER",
    "password": "WORKPLAN_SMTP_PASSWORD",
    "timeout": "WORKPLAN_SMTP_TIMEOUT",
    "allow_plaintext_auth": "WORKPLAN_SMTP_ALLOW_PLAINTEXT_AUTH",
    "sender": "WORKPLAN_MAIL_FROM",
    "outbox": "WORKPLAN_OUTBOX",
}

# every key the config file may hold, table by table ([robots.NAME] sections apart)
KEYS: dict[str, tuple[str, ...]] = {
    "smtp": ("host", "port", "security", "user", "password", "timeout", "allow_plaintext_auth"),
    "mail": ("from",),
    "outbox": ("dir",),
}
ROBOT_KEYS = (
    "kind",
    "url",
    "url_env",
    "secret",
    "secret_env",
    "keyword",
    "per_minute",
    "msgtype",
    "timeout",
)
SECURITY = ("starttls", "tls", "none")
MAX_TIMEOUT = 3600.0


def _unknown(key: str, known: tuple[str, ...] | list[str], where: str) -> ConfigError:
    close = difflib.get_close_matches(key, known, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else f" (known: {', '.join(known)})"
    return ConfigError(f"{where}unknown key '{key}'{hint}")


def _read(config: Path) -> dict[str, dict[str, Any]]:
    """Read the config file and check its shape: known tables holding known keys."""
    try:
        data = config.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{config}: cannot read: {exc.strerror}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{config}: not UTF-8 (byte {exc.start}); save the file as UTF-8"
        ) from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{config}: not valid TOML: {exc}{_toml_hint(text, str(exc))}") from None
    out: dict[str, dict[str, Any]] = {}
    for table, body in raw.items():
        if table == "robots":
            if not isinstance(body, dict):
                raise ConfigError(f"{config}: [robots] must be a table of [robots.NAME] sections")
            out[table] = body
            continue
        if table not in KEYS:
            raise _unknown(table, [*KEYS, "robots"], f"{config}: ")
        if not isinstance(body, dict):
            example = f"{KEYS[table][0]} = {body!r}" if isinstance(body, str) else "…"
            raise ConfigError(
                f"{config}: '{table}' must be a table: write [{table}] and {example} under it"
            )
        for key in body:
            if key not in KEYS[table]:
                raise _unknown(key, KEYS[table], f"{config}: [{table}] ")
        out[table] = body
    return out


def _toml_hint(text: str, error: str) -> str:
    """The fix for a TOML error a clerk makes: a Chinese name left unquoted in a key or a
    table's name ([robots.财政局企微群] for [robots."财政局企微群"])."""
    found = re.search(r"at line (\d+)", error)
    lines = text.splitlines()
    if not found or not 0 < int(found[1]) <= len(lines):
        return ""
    line = lines[int(found[1]) - 1].strip()
    table = re.fullmatch(r"(\[+)([^\]\"']+)(\]+)", line)
    key = re.fullmatch(r"([^=\"'\[]+?)\s*=(.*)", line)
    if table and not table[2].isascii():
        parts = [p.strip() for p in table[2].split(".")]
        quoted = ".".join(p if p.isascii() else f'"{p}"' for p in parts)
        return f"; a name in Chinese goes in quotes: write {table[1]}{quoted}{table[3]}"
    if key and not key[1].isascii():
        return f'; a name in Chinese goes in quotes: write "{key[1].strip()}" ={key[2]}'
    return ""


def _well_formed(url: str, where: str) -> None:
    """Refuse a URL that is not one at all (a stray bracket, a port that is not a number):
    one line naming the robot, at start, rather than a traceback at the first post."""
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises for a port that is not a number or out of range
    except ValueError as exc:
        raise ConfigError(
            f"{where}: url {url.split('?')[0].rsplit('/', 1)[0] + '/…'!r} is not a web address"
            f" ({exc}): copy it again from the robot's settings"
        ) from None


def _secrets(raw: dict[str, dict[str, Any]], robots: Mapping[str, RobotSettings]) -> list[str]:
    """Name the secrets the file itself holds (not those it reads from the environment)."""
    found = ["the SMTP password"] if raw.get("smtp", {}).get("password") is not None else []
    for name, section in raw.get("robots", {}).items():
        if section.get("secret"):
            found.append(f"the secret of robot {name}")
        if section.get("url") and robot_class(robots[name].kind).url_is_secret:
            found.append(f"the URL of robot {name} (its token is a secret)")
    return found


def _private(config: Path, secret: str) -> None:
    """Refuse a file holding a secret that others can read, as ssh does with keys."""
    try:
        mode = config.stat().st_mode & 0o777
    except OSError:
        return
    if mode & 0o077:
        raise ConfigError(
            f"{config}: holds {secret} but others can read it (mode {mode:04o});"
            f" run: chmod 600 {config}"
        )


def _robot(name: str, section: object, environ: Mapping[str, str], config: Path) -> RobotSettings:
    """Read one ``[robots.NAME]`` section: ``kind`` (one of the registry's posting channels)
    and ``url``, optionally ``secret``, ``keyword``, ``per_minute``, ``msgtype`` (the kinds
    that have several) and ``timeout``; ``url_env`` and ``secret_env`` name environment
    variables to read the URL and the secret from instead, so neither need be in the file."""
    where = f"{config}: [robots.{name}]"
    if not isinstance(section, dict):
        raise ConfigError(f"{where} must be a table")
    unknown = set(section) - set(ROBOT_KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    kind = section.get("kind")
    if kind not in POSTING:
        kinds = f"{', '.join(POSTING[:-1])} or {POSTING[-1]}"
        raise ConfigError(f"{where}: kind {kind!r}: use {kinds}")
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
    _well_formed(values["url"], where)
    per_minute = section.get("per_minute")
    if per_minute is not None and (not isinstance(per_minute, int) or per_minute < 1):
        raise ConfigError(f"{where}: per_minute must be a whole number above 0")
    allowed = robot_class(kind).msgtypes
    msgtype = section.get("msgtype", allowed[0])
    if msgtype not in allowed:
        raise ConfigError(
            f"{where}: msgtype {msgtype!r}: a {kind} robot takes {' or '.join(allowed)}"
        )
    timeout = section.get("timeout")
    return RobotSettings(
        name,
        kind,
        str(values["url"]),
        values["secret"],
        str(section["keyword"]) if section.get("keyword") else None,
        per_minute,
        str(msgtype),
        _timeout(timeout, f"{where}: timeout") if timeout is not None else 10.0,
    )


def _string(key: str, value: object) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"SMTP {key} must be text, got {value!r}")
    return value


def _port(value: object) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise ConfigError(f"SMTP port must be a whole number from 1 to 65535, got {value!r}")
    return value


def _timeout(value: object, what: str = "SMTP timeout") -> float:
    number: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        with contextlib.suppress(ValueError):
            number = float(value)
    if number is None or not math.isfinite(number) or not 0 < number <= MAX_TIMEOUT:
        raise ConfigError(
            f"{what} must be a number of seconds above 0 and at most {MAX_TIMEOUT:g}, got {value!r}"
        )
    return number


def _flag(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("1", "true", "yes", "0", "false", "no", ""):
        return value.lower() in ("1", "true", "yes")
    raise ConfigError(f"SMTP allow_plaintext_auth must be true or false, got {value!r}")


def load_settings(
    config: Path | None = None, env: dict[str, str] | None = None
) -> DeliverySettings:
    """Read delivery settings from a TOML config file, overridden by the environment.

    The file has a ``[smtp]`` table (host, port, security, user, password, timeout,
    allow_plaintext_auth), optionally ``[mail] from`` and ``[outbox] dir``, and a
    ``[robots.NAME]`` section per group robot or webhook.  Everything is checked here, once,
    before anything is claimed: types, ranges, unknown keys, a password that would travel in
    clear text, and any secret in a file others can read.
    """
    environ = dict(os.environ if env is None else env)
    values: dict[str, object] = {}
    where: dict[str, str] = {}
    """each value's source, for its error: the file's table and key, or the variable"""
    robots: dict[str, RobotSettings] = {}
    if config is not None:
        raw = _read(config)
        for name, section in raw.get("robots", {}).items():
            robots[name] = _robot(name, section, environ, config)
        secrets = _secrets(raw, robots)
        if secrets:
            _private(config, secrets[0])
        values.update(raw.get("smtp", {}))
        where |= {key: f"{config}: [smtp] {key}" for key in raw.get("smtp", {})}
        values["sender"] = raw.get("mail", {}).get("from")
        values["outbox"] = raw.get("outbox", {}).get("dir")
        where |= {"sender": f"{config}: [mail] from", "outbox": f"{config}: [outbox] dir"}
    for key, name in ENV.items():
        if environ.get(name):
            values[key] = environ[name]
            where[key] = name
    try:
        return _settings(values, where, robots)
    except _Bad as bad:
        raise ConfigError(f"{where.get(bad.key, 'the delivery settings')}: {bad}") from None


class _Bad(ConfigError):
    """A value the rules refuse, named by its key (its source is added to the message)."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


def _checked(key: str, check: Any, value: object) -> Any:
    try:
        return check(value)
    except _Bad:
        raise
    except ConfigError as exc:
        raise _Bad(key, str(exc)) from None


_ADDRESS = re.compile(r"[^@\s<>,;:\"()\[\]\\]+@[^@\s<>,;:\"()\[\]\\]+")


def _sender(value: object) -> str:
    """The From address: one plain address (as a server takes it at MAIL FROM), never a name,
    a list or words."""
    text = str(value)
    if not _ADDRESS.fullmatch(text) or text.endswith(".") or ".." in text.rpartition("@")[2]:
        raise ConfigError(
            f"{text!r} is not an e-mail address: give one address, as office@example.org"
        )
    return text


def _settings(
    values: dict[str, object], where: dict[str, str], robots: dict[str, RobotSettings]
) -> DeliverySettings:
    """Check the values (from the file and the environment alike) by the same rules."""
    for key in ("sender", "outbox"):
        if values.get(key) is not None and not isinstance(values[key], str):
            raise _Bad(key, f"must be text, got {values[key]!r}")
    outbox = Path(str(values.get("outbox") or "outbox"))
    outbox_set = bool(values.get("outbox"))
    sender = _checked("sender", _sender, values["sender"]) if values.get("sender") else None
    host = values.get("host")
    if not host:
        return DeliverySettings(None, outbox, sender, outbox_set, robots)
    host = _checked("host", lambda v: _string("host", v), host)
    port = _checked("port", _port, values["port"]) if values.get("port") not in (None, "") else None
    timeout = (
        _checked("timeout", _timeout, values["timeout"])
        if values.get("timeout") not in (None, "")
        else 30.0
    )
    security = _checked("security", lambda v: _string("security", v), values.get("security") or "")
    security = security.lower()
    if not security:
        security = "tls" if port == 465 else "starttls"
    if security not in SECURITY:
        close = difflib.get_close_matches(security, SECURITY, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise _Bad("security", f"SMTP security '{security}': {hint}use starttls, tls or none")
    if port is None:
        port = {"tls": 465, "starttls": 587}.get(security, 25)
    user = (
        _checked("user", lambda v: _string("user", v), values["user"])
        if values.get("user")
        else None
    )
    password = (
        _checked("password", lambda v: _string("password", v), values["password"])
        if values.get("password")
        else None
    )
    plaintext = _checked("allow_plaintext_auth", _flag, values.get("allow_plaintext_auth", False))
    if user and security == "none" and not plaintext:
        raise ConfigError(
            "SMTP security = none would send the password in clear text: use security ="
            " starttls or tls, or set allow_plaintext_auth = true"
            " (WORKPLAN_SMTP_ALLOW_PLAINTEXT_AUTH=1) on a trusted network"
        )
    smtp = SmtpSettings(
        host=host,
        port=port,
        security=security,
        user=user,
        password=password,
        timeout=timeout,
    )
    return DeliverySettings(smtp, outbox, sender, outbox_set, robots)


def open_channels(settings: DeliverySettings, connections: int = 2) -> list[Channel[Any]]:
    """Return the channels the settings describe: SMTP connections used in parallel, or the
    outbox folder."""
    if settings.smtp is not None:
        smtp = settings.smtp
        return [SmtpChannel(smtp) for _ in range(max(connections, 1))]
    return [FolderChannel(settings.outbox)]


def close_all(channels: list[Channel[Any]]) -> None:
    """Close every channel."""
    for channel in channels:
        channel.close()
