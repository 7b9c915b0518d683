"""SMTP: one reused connection per channel; the reply code decides each message's fate.

smtplib raises the same exception class for 421 and 550; the reply code decides here.
"""

from __future__ import annotations

import contextlib
import re
import smtplib
import ssl
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from workplan.channels import mail
from workplan.channels.base import Composed, Outcome, Outgoing, Status

if TYPE_CHECKING:
    from jinja2 import Environment


@dataclass(frozen=True)
class SmtpSettings:
    """How to reach the SMTP server: from the environment or a config file, never the plan."""

    host: str
    port: int = 25
    security: Literal["starttls", "tls", "none"] = "none"
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 30.0


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
NO_SMTPUTF8 = (
    "an internationalised address (RFC 6531) needs a server that offers SMTPUTF8, and this one"
    " does not: give the department an ASCII address, or send through a server that offers it"
)


def _channel_error(exc: BaseException) -> str:
    """Say why the server could not be reached or would not let us in."""
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return f"login refused: {exc.smtp_code} {_text(exc.smtp_error)}"
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return f"the server does not offer STARTTLS: {exc}"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"the server refuses the connection: {exc.smtp_code} {_text(exc.smtp_error)}"
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed: {exc}"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return f"the server closed the connection: {exc}"
    return f"cannot connect: {type(exc).__name__}: {exc}"


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

    def render(self, message: Composed, templates: Environment) -> tuple[Outgoing]:
        """The message's e-mail (its MIME bytes, rendered by the letter templates before)."""
        return (mail.render(message),)

    def send(self, rendered: Outgoing, now: datetime) -> Outcome:
        """Hand the message to the server over the reused connection."""
        message = rendered
        if self._smtp is None:
            try:
                self._smtp = self._connect()
            except (smtplib.SMTPException, OSError, ValueError) as exc:
                self._drop()
                return Outcome("channel", getattr(exc, "smtp_code", None), _channel_error(exc))
        data_sent = False
        try:
            smtp = self._smtp
            utf8 = not all(a.isascii() for a in (message.sender, *message.recipients))
            offered = utf8 and smtp.has_extn("smtputf8")
            if utf8 and not offered and not message.sender.isascii():
                return Outcome("channel", None, f"{NO_SMTPUTF8}: the sender {message.sender}")
            code, reply = smtp.mail(message.sender, ["SMTPUTF8"] if offered else [])
            if 500 <= code < 600:  # the sender is the configuration's, not the message's
                self._refused(code, reply)
                return Outcome(
                    "channel",
                    code,
                    f"the server refuses the sender {message.sender}: {code} {_text(reply)}",
                )
            if code != 250:
                return self._refused(code, reply)
            refused: dict[str, str] = {}
            codes: list[int] = []
            for recipient in message.recipients:
                if not (recipient.isascii() or offered):  # this address alone cannot go
                    refused[recipient] = NO_SMTPUTF8
                    codes.append(553)
                    continue
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
                ours = outcome.status == "permanent"  # the message's bytes, not an address
                return Outcome(outcome.status, code, outcome.detail, refused, ours)
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
