"""Delivery channels: the one seam through which messages leave (SMTP, an outbox folder).

A channel takes one :class:`Outgoing` message and returns an :class:`Outcome`; it never
raises for a delivery problem.  The outcome decides the notice's fate:

* ``sent``: accepted (a recipient refused while others were accepted is recorded, not lost);
* ``temporary``: try again later (a 4xx reply, connection refused or timed out);
* ``permanent``: give up (a 5xx reply);
* ``unknown``: the message data went out but no reply came; retried with the same Message-ID
  and flagged as a possible duplicate.

smtplib raises the same exception class for 421 and 550; the reply code decides here.
"""

from __future__ import annotations

import contextlib
import os
import re
import smtplib
import ssl
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

from workplan.errors import WorkplanError

Status = Literal["sent", "temporary", "permanent", "unknown"]


@dataclass(frozen=True)
class Outgoing:
    """A message ready to go: envelope and the bytes of the MIME message (CRLF line ends)."""

    message_id: str
    sender: str
    recipients: tuple[str, ...]
    data: bytes


@dataclass(frozen=True)
class Outcome:
    """What became of one message."""

    status: Status
    code: int | None = None
    detail: str = ""
    refused: dict[str, str] = field(default_factory=dict)
    """recipients refused while others were accepted: address -> "code reply" """


class Channel(Protocol):
    """Where messages go."""

    name: str

    def send(self, message: Outgoing) -> Outcome:
        """Deliver one message; report, never raise, what happened."""

    def close(self) -> None:
        """Release connections."""


class ConfigError(WorkplanError):
    """Delivery settings that cannot work (an unknown security mode, a bad port)."""

    exit_code = 2


@dataclass(frozen=True)
class SmtpSettings:
    """How to reach the SMTP server: from the environment or a config file, never the plan."""

    host: str
    port: int = 25
    security: Literal["starttls", "tls", "none"] = "none"
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 30.0


@dataclass(frozen=True)
class DeliverySettings:
    """Where notices go: SMTP when a host is configured, else an outbox folder."""

    smtp: SmtpSettings | None
    outbox: Path
    sender: str | None = None
    """overrides the From address (default: the coordination office's first address)"""


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
    optionally ``[mail] from`` and ``[outbox] dir``.
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


def classify(code: int) -> Status:
    """Turn an SMTP reply code into an outcome: 4xx try again, 5xx give up."""
    if 400 <= code < 500:
        return "temporary"
    if 500 <= code < 600:
        return "permanent"
    return "temporary"


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


_PERIODS = re.compile(rb"(?m)^\.")


class SmtpChannel:
    """Send over one reused SMTP connection, reconnecting when it drops."""

    name = "smtp"

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        if s.security == "tls":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                s.host, s.port, timeout=s.timeout, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        smtp.ehlo_or_helo_if_needed()
        if s.security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
        if s.user:
            smtp.login(s.user, s.password or "")
        return smtp

    def _drop(self) -> None:
        if self._smtp is not None:
            with contextlib.suppress(OSError):
                self._smtp.close()
        self._smtp = None

    def send(self, message: Outgoing) -> Outcome:
        data_sent = False
        try:
            if self._smtp is None:
                self._smtp = self._connect()
            smtp = self._smtp
            code, reply = smtp.mail(message.sender)
            if code != 250:
                return self._refused(code, reply)
            refused: dict[str, str] = {}
            codes: list[int] = []
            for recipient in message.recipients:
                code, reply = smtp.rcpt(recipient)
                if code not in (250, 251):
                    refused[recipient] = f"{code} {_text(reply)}"
                    codes.append(code)
            if len(refused) == len(message.recipients):
                # every recipient refused: worth trying again if any refusal was temporary
                code = min(codes, key=lambda c: (classify(c) != "temporary", c))
                outcome = self._refused(code, "; ".join(f"{a}: {r}" for a, r in refused.items()))
                return Outcome(outcome.status, code, outcome.detail, refused)
            code, reply = smtp.docmd("DATA")
            if code != 354:
                return self._refused(code, reply)
            body = _PERIODS.sub(b"..", message.data)
            if not body.endswith(b"\r\n"):
                body += b"\r\n"
            smtp.send(body + b".\r\n")
            data_sent = True
            code, reply = smtp.getreply()
            if code != 250:
                outcome = self._refused(code, reply)
                return Outcome(outcome.status, code, outcome.detail, refused)
            return Outcome("sent", code, _text(reply), refused)
        except smtplib.SMTPResponseException as exc:
            # 421 closes the connection; any reply error leaves it in doubt
            self._drop()
            return Outcome(classify(exc.smtp_code), exc.smtp_code, _text(exc.smtp_error))
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            self._drop()
            if data_sent:
                return Outcome("unknown", None, f"no reply after the message was sent: {exc}")
            return Outcome("temporary", None, f"{type(exc).__name__}: {exc}")

    def _refused(self, code: int, reply: bytes | str) -> Outcome:
        try:
            if self._smtp is not None:
                self._smtp.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()
        if code == 421:
            self._drop()
        return Outcome(classify(code), code, _text(reply))

    def close(self) -> None:
        if self._smtp is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self._smtp.quit()
        self._drop()


def _file_name(message_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9._@-]", "_", message_id.strip("<>")) + ".eml"


class FolderChannel:
    """Write each message as an .eml file: the default when no SMTP server is configured.

    The file is named after the Message-ID and written atomically, so sending again after a
    crash replaces the same file rather than adding a copy.
    """

    name = "outbox folder"

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, message: Outgoing) -> Outcome:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            target = self.folder / _file_name(message.message_id)
            partial = target.with_suffix(".eml.part")
            partial.write_bytes(message.data)
            os.replace(partial, target)
        except OSError as exc:
            return Outcome("temporary", None, f"cannot write to {self.folder}: {exc.strerror}")
        return Outcome("sent", None, str(target))

    def close(self) -> None:
        return None


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
