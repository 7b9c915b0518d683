"""A real SMTP server for the tests: aiosmtpd on 127.0.0.1, programmable replies.

`SmtpServer` records every message it accepts and can be told to answer the next messages
with a given reply (421, 550 …), to refuse some recipients, to be slow to answer the data, or
to be down altogether.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import ssl
import subprocess
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Received:
    sender: str
    recipients: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class Handler:
    received: list[Received] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)
    """replies to the next DATA commands, in order; then '250 OK'"""
    refuse: dict[str, str] = field(default_factory=dict)
    """recipient -> reply, to refuse at RCPT"""
    delay: float = 0.0
    """seconds to wait before answering the data (to time clients out)"""
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            reply = self.replies.pop(0) if self.replies else "250 OK"
        if self.delay:
            await asyncio.sleep(self.delay)
        if reply.startswith("250"):
            with self.lock:
                self.received.append(
                    Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
                )
        return reply


def self_signed(folder: Path) -> tuple[Path, Path]:
    """Make a self-signed certificate for 127.0.0.1 with openssl; return (cert, key)."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    command = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1"
    command += f" -addext subjectAltName=IP:127.0.0.1 -keyout {key} -out {cert}"
    subprocess.run(
        command.split(),
        check=True,
        capture_output=True,
    )
    return cert, key


def tls_context(cert: Path, key: Path) -> ssl.SSLContext:
    """The server's side of TLS with that certificate."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


class SmtpServer:
    """aiosmtpd on 127.0.0.1, started and stopped at will (on the same port).

    With ``password`` it offers AUTH (in clear text) and answers a wrong login with 535; with
    ``tls`` it offers STARTTLS with that context (else it does not offer STARTTLS at all); with
    ``smtputf8`` it offers SMTPUTF8 (internationalised addresses, RFC 6531).
    """

    def __init__(
        self,
        *,
        password: str | None = None,
        tls: ssl.SSLContext | None = None,
        smtputf8: bool = False,
    ) -> None:
        self.port = free_port()
        self.handler = Handler()
        self.controller: Controller | None = None
        self.password = password
        self.tls = tls
        self.logins: list[tuple[str, bool]] = []
        self.smtputf8 = smtputf8

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and data.password.decode() == self.password
        self.logins.append((data.login.decode() if isinstance(data, LoginPassword) else "?", ok))
        return AuthResult(success=ok, handled=False)

    def start(self) -> None:
        options: dict[str, Any] = {}
        if self.password is not None:
            options |= {"authenticator": self._authenticate, "auth_require_tls": False}
        if self.tls is not None:
            options["tls_context"] = self.tls
        options["enable_SMTPUTF8"] = self.smtputf8  # aiosmtpd's Controller offers it unless told
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **options)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def received(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.received)

    def env(self) -> dict[str, str]:
        """The environment that points workplan at this server."""
        return {
            "WORKPLAN_SMTP_HOST": "127.0.0.1",
            "WORKPLAN_SMTP_PORT": str(self.port),
            "WORKPLAN_SMTP_SECURITY": "none",
        }
