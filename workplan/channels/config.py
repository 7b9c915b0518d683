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
from workplan.i18n import L_, Text


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
    if close:
        return ConfigError(
            L_(
                "{where}unknown key '{key}'; did you mean '{close}'?",
                where=where,
                key=key,
                close=close[0],
            )
        )
    return ConfigError(
        L_("{where}unknown key '{key}' (known: {known})", where=where, key=key, known=list(known))
    )


def _read(config: Path) -> dict[str, dict[str, Any]]:
    """Read the config file and check its shape: known tables holding known keys."""
    try:
        data = config.read_bytes()
    except OSError as exc:
        raise ConfigError(
            L_("{file}: cannot read: {reason}", file=str(config), reason=exc.strerror)
        ) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            L_(
                "{file}: not UTF-8 (byte {byte}); save the file as UTF-8",
                file=str(config),
                byte=exc.start,
            )
        ) from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(_not_toml(config, text, str(exc))) from None
    out: dict[str, dict[str, Any]] = {}
    for table, body in raw.items():
        if table == "robots":
            if not isinstance(body, dict):
                raise ConfigError(
                    L_(
                        "{file}: [robots] must be a table of [robots.NAME] sections",
                        file=str(config),
                    )
                )
            out[table] = body
            continue
        if table not in KEYS:
            raise _unknown(table, [*KEYS, "robots"], f"{config}: ")
        if not isinstance(body, dict):
            example = f"{KEYS[table][0]} = {body!r}" if isinstance(body, str) else "…"
            raise ConfigError(
                L_(
                    "{file}: '{table}' must be a table: write [{table}] and {example} under it",
                    file=str(config),
                    table=table,
                    example=example,
                )
            )
        for key in body:
            if key not in KEYS[table]:
                raise _unknown(key, KEYS[table], f"{config}: [{table}] ")
        out[table] = body
    return out


def _toml_hint(text: str, error: str) -> Text | None:
    """The fix for a TOML error a clerk makes: a Chinese name left unquoted in a key or a
    table's name ([robots.财政局企微群] for [robots."财政局企微群"])."""
    found = re.search(r"at line (\d+)", error)
    lines = text.splitlines()
    if not found or not 0 < int(found[1]) <= len(lines):
        return None
    line = lines[int(found[1]) - 1].strip()
    table = re.fullmatch(r"(\[+)([^\]\"']+)(\]+)", line)
    key = re.fullmatch(r"([^=\"'\[]+?)\s*=(.*)", line)
    if table and not table[2].isascii():
        parts = [p.strip() for p in table[2].split(".")]
        quoted = ".".join(p if p.isascii() else f'"{p}"' for p in parts)
        return L_(
            "; a name in Chinese goes in quotes: write {line}", line=f"{table[1]}{quoted}{table[3]}"
        )
    if key and not key[1].isascii():
        return L_(
            "; a name in Chinese goes in quotes: write {line}", line=f'"{key[1].strip()}" ={key[2]}'
        )
    return None


# tomllib's words for the errors a clerk makes, kept as tomllib writes them (English) and
# said in Chinese through the catalog
_TOML_REASONS = {
    "Invalid statement": L_("Invalid statement"),
    "Invalid initial character for a key part": L_("Invalid initial character for a key part"),
    "Expected '=' after a key in a key/value pair": L_(
        "Expected '=' after a key in a key/value pair"
    ),
    "Invalid value": L_("Invalid value"),
    "Unclosed array": L_("Unclosed array"),
    "Expected ']' at the end of a table declaration": L_(
        "Expected ']' at the end of a table declaration"
    ),
    "Unterminated string": L_("Unterminated string"),
    "Illegal character in string": L_("Illegal character in string"),
    "Expected newline or end of document after a statement": L_(
        "Expected newline or end of document after a statement"
    ),
}


def _not_toml(config: Path, text: str, error: str) -> Text:
    """tomllib's error, led in by what to fix: its words said in Chinese for the mistakes a
    clerk makes, its line and column kept."""
    found = re.fullmatch(r"(.*) \(at line (\d+), column (\d+)\)", error)
    if found is None:
        return L_("{file}: not valid TOML: {reason}", file=str(config), reason=error)
    hint = _toml_hint(text, error)
    return L_(
        "{file}: not valid TOML: {reason} (at line {line}, column {column}){hint}",
        file=str(config),
        line=int(found[2]),
        column=int(found[3]),
        reason=_TOML_REASONS.get(found[1]) or found[1],
        hint=hint or "",
    )


def _well_formed(url: str, where: str) -> None:
    """Refuse a URL that is not one at all (a stray bracket, a port that is not a number):
    one line naming the robot, at start, rather than a traceback at the first post."""
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises for a port that is not a number or out of range
    except ValueError as exc:
        raise ConfigError(
            L_(
                "{where}: url {url!r} is not a web address ({reason}): copy it again from the"
                " robot's settings",
                where=where,
                url=url.split("?")[0].rsplit("/", 1)[0] + "/…",
                reason=str(exc),
            )
        ) from None


def _secrets(raw: dict[str, dict[str, Any]], robots: Mapping[str, RobotSettings]) -> list[Text]:
    """Name the secrets the file itself holds (not those it reads from the environment)."""
    found = [L_("the SMTP password")] if raw.get("smtp", {}).get("password") is not None else []
    for name, section in raw.get("robots", {}).items():
        if section.get("secret"):
            found.append(L_("the secret of robot {name}", name=name))
        if section.get("url") and robot_class(robots[name].kind).url_is_secret:
            found.append(L_("the URL of robot {name} (its token is a secret)", name=name))
    return found


def _private(config: Path, secret: Text) -> None:
    """Refuse a file holding a secret that others can read, as ssh does with keys."""
    try:
        mode = config.stat().st_mode & 0o777
    except OSError:
        return
    if mode & 0o077:
        raise ConfigError(
            L_(
                "{file}: holds {secret} but others can read it (mode {mode:04o}); run: chmod 600 {file}",
                file=str(config),
                secret=secret,
                mode=mode,
            )
        )


def _robot(name: str, section: object, environ: Mapping[str, str], config: Path) -> RobotSettings:
    """Read one ``[robots.NAME]`` section: ``kind`` (one of the registry's posting channels)
    and ``url``, optionally ``secret``, ``keyword``, ``per_minute``, ``msgtype`` (the kinds
    that have several) and ``timeout``; ``url_env`` and ``secret_env`` name environment
    variables to read the URL and the secret from instead, so neither need be in the file."""
    where = f"{config}: [robots.{name}]"
    if not isinstance(section, dict):
        raise ConfigError(L_("{where} must be a table", where=where))
    unknown = set(section) - set(ROBOT_KEYS)
    if unknown:
        raise ConfigError(L_("{where}: unknown key(s) {keys}", where=where, keys=sorted(unknown)))
    kind = section.get("kind")
    if kind not in POSTING:
        raise ConfigError(
            L_(
                "{where}: kind {kind!r}: use {kinds} or {last}",
                where=where,
                kind=kind,
                kinds=list(POSTING[:-1]),
                last=POSTING[-1],
            )
        )
    values: dict[str, str | None] = {}
    for key in ("url", "secret"):
        value = section.get(key)
        variable = section.get(f"{key}_env")
        if variable:
            value = environ.get(str(variable))
            if not value:
                raise ConfigError(
                    L_(
                        "{where}: the environment variable {variable} is not set",
                        where=where,
                        variable=variable,
                    )
                )
        values[key] = str(value) if value else None
    if not values["url"]:
        raise ConfigError(
            L_("{where}: no url (give url, or url_env naming a variable)", where=where)
        )
    _well_formed(values["url"], where)
    per_minute = section.get("per_minute")
    if per_minute is not None and (not isinstance(per_minute, int) or per_minute < 1):
        raise ConfigError(L_("{where}: per_minute must be a whole number above 0", where=where))
    allowed = robot_class(kind).msgtypes
    msgtype = section.get("msgtype", allowed[0])
    if msgtype not in allowed:
        raise ConfigError(
            L_(
                "{where}: msgtype {msgtype!r}: a {kind} robot takes {kinds} or {last}",
                where=where,
                msgtype=msgtype,
                kind=kind,
                kinds=list(allowed[:-1]),
                last=allowed[-1],
            )
            if len(allowed) > 1
            else L_(
                "{where}: msgtype {msgtype!r}: a {kind} robot takes {last}",
                where=where,
                msgtype=msgtype,
                kind=kind,
                last=allowed[-1],
            )
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
        raise ConfigError(L_("SMTP {key} must be text, got {value!r}", key=key, value=value))
    return value


def _port(value: object) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise ConfigError(
            L_("SMTP port must be a whole number from 1 to 65535, got {value!r}", value=value)
        )
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
            L_(
                "{what} must be a number of seconds above 0 and at most {limit}, got {value!r}",
                what=what,
                limit=int(MAX_TIMEOUT),
                value=value,
            )
        )
    return number


def _flag(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("1", "true", "yes", "0", "false", "no", ""):
        return value.lower() in ("1", "true", "yes")
    raise ConfigError(
        L_("SMTP allow_plaintext_auth must be true or false, got {value!r}", value=value)
    )


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
        source = where.get(bad.key) or L_("the delivery settings")
        raise ConfigError(Text("{where}: {bad}", {"where": source, "bad": bad.message})) from None


class _Bad(ConfigError):
    """A value the rules refuse, named by its key (its source is added to the message)."""

    def __init__(self, key: str, message: str | Text) -> None:
        super().__init__(message)
        self.key = key


def _checked(key: str, check: Any, value: object) -> Any:
    try:
        return check(value)
    except _Bad:
        raise
    except ConfigError as exc:
        raise _Bad(key, exc.message) from None


_ADDRESS = re.compile(r"[^@\s<>,;:\"()\[\]\\]+@[^@\s<>,;:\"()\[\]\\]+")


def _sender(value: object) -> str:
    """The From address: one plain address (as a server takes it at MAIL FROM), never a name,
    a list or words."""
    text = str(value)
    if not _ADDRESS.fullmatch(text) or text.endswith(".") or ".." in text.rpartition("@")[2]:
        raise ConfigError(
            L_(
                "{text!r} is not an e-mail address: give one address, as office@example.org",
                text=text,
            )
        )
    return text


def _settings(
    values: dict[str, object], where: dict[str, str], robots: dict[str, RobotSettings]
) -> DeliverySettings:
    """Check the values (from the file and the environment alike) by the same rules."""
    for key in ("sender", "outbox"):
        if values.get(key) is not None and not isinstance(values[key], str):
            raise _Bad(key, L_("must be text, got {value!r}", value=values[key]))
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
        if close:
            raise _Bad(
                "security",
                L_(
                    "SMTP security '{security}': did you mean '{close}'? use starttls, tls or none",
                    security=security,
                    close=close[0],
                ),
            )
        raise _Bad(
            "security",
            L_("SMTP security '{security}': use starttls, tls or none", security=security),
        )
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
            L_(
                "SMTP security = none would send the password in clear text: use security ="
                " starttls or tls, or set allow_plaintext_auth = true"
                " (WORKPLAN_SMTP_ALLOW_PLAINTEXT_AUTH=1) on a trusted network"
            )
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
