"""The SMTP channel against a real server: reply codes decide, connections are reused."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.smtp import SmtpServer
from workplan.channels.base import Outgoing
from workplan.channels.config import load_settings
from workplan.channels.folder import FolderChannel
from workplan.channels.smtp import SmtpChannel, SmtpSettings

NOW = datetime(2023, 5, 4, 1, tzinfo=UTC)


def outgoing(n: int = 1, recipients: tuple[str, ...] = ("czj@example.org",)) -> Outgoing:
    data = (
        f"From: office@example.org\r\nTo: {', '.join(recipients)}\r\nSubject: test {n}\r\n"
        f"Message-ID: <m{n}@example.org>\r\n\r\n.leading dot stays\r\nbody {n}\r\n"
    ).encode()
    return Outgoing(f"<m{n}@example.org>", "office@example.org", recipients, data)


def channel(server: SmtpServer, timeout: float = 5.0) -> SmtpChannel:
    return SmtpChannel(SmtpSettings("127.0.0.1", server.port, "none", timeout=timeout))


def test_sent_over_one_connection(smtp_server: SmtpServer) -> None:
    ch = channel(smtp_server)
    outcomes = [ch.send(outgoing(n), NOW) for n in range(3)]
    ch.close()
    assert [o.status for o in outcomes] == ["sent"] * 3
    assert [r.message["Message-ID"] for r in smtp_server.received] == [
        "<m0@example.org>",
        "<m1@example.org>",
        "<m2@example.org>",
    ]
    assert (
        b"\r\n.leading dot stays\r\n" in smtp_server.received[0].data
    )  # dot-stuffing undone by the server


@pytest.mark.parametrize(
    ("reply", "status"),
    [
        ("421 4.3.0 try again later", "temporary"),
        ("450 4.2.0 mailbox busy", "temporary"),
        ("550 5.1.1 no such mailbox", "permanent"),
        ("554 5.7.1 rejected", "permanent"),
    ],
)
def test_the_reply_code_decides(smtp_server: SmtpServer, reply: str, status: str) -> None:
    smtp_server.handler.replies = [reply]
    ch = channel(smtp_server)
    first = ch.send(outgoing(1), NOW)
    second = ch.send(outgoing(2), NOW)  # the channel recovers, reconnecting after a 421
    ch.close()
    assert (first.status, first.code) == (status, int(reply[:3]))
    assert second.status == "sent"
    assert [r.message["Subject"] for r in smtp_server.received] == ["test 2"]


def test_a_refused_recipient_is_recorded_not_lost(smtp_server: SmtpServer) -> None:
    smtp_server.handler.refuse = {"gone@example.org": "550 5.1.1 no such user"}
    ch = channel(smtp_server)
    outcome = ch.send(outgoing(1, ("czj@example.org", "gone@example.org")), NOW)
    all_refused = ch.send(outgoing(2, ("gone@example.org",)), NOW)
    ch.close()
    assert outcome.status == "sent"
    assert outcome.refused == {"gone@example.org": "550 5.1.1 no such user"}
    assert smtp_server.received[0].recipients == ["czj@example.org"]
    assert (all_refused.status, all_refused.code) == ("permanent", 550)


def test_server_down_is_the_channel_not_the_message(smtp_server: SmtpServer) -> None:
    smtp_server.stop()
    ch = channel(smtp_server)
    assert ch.send(outgoing(1), NOW).status == "channel"
    smtp_server.start()
    assert ch.send(outgoing(2), NOW).status == "sent"
    ch.close()


def test_no_reply_after_the_data_is_unknown(smtp_server: SmtpServer) -> None:
    smtp_server.handler.delay = 1.5
    ch = channel(smtp_server, timeout=0.5)
    outcome = ch.send(outgoing(1), NOW)
    ch.close()
    assert outcome.status == "unknown"
    assert "no reply after the message was sent" in outcome.detail


def test_folder_channel_writes_one_file_per_message_id(tmp_path: Path) -> None:
    ch = FolderChannel(tmp_path / "outbox")
    ch.send(outgoing(1), NOW)
    ch.send(outgoing(1), NOW)  # again, after a crash: the same file
    ch.send(outgoing(2), NOW)
    assert sorted(p.name for p in (tmp_path / "outbox").iterdir()) == [
        "m1@example.org.eml",
        "m2@example.org.eml",
    ]


def test_settings_from_file_and_environment(tmp_path: Path) -> None:
    config = tmp_path / "workplan.toml"
    config.write_text(
        '[smtp]\nhost = "mail.example.org"\nport = 587\nuser = "office"\npassword = "s3cret"\n',
        encoding="utf-8",
    )
    config.chmod(0o600)
    settings = load_settings(config, env={})
    assert settings.smtp is not None
    assert (settings.smtp.host, settings.smtp.port, settings.smtp.security, settings.smtp.user) == (
        "mail.example.org",
        587,
        "starttls",
        "office",
    )
    assert "s3cret" not in repr(settings)
    overridden = load_settings(
        config, env={"WORKPLAN_SMTP_HOST": "relay.example.org", "WORKPLAN_SMTP_PORT": "465"}
    )
    assert overridden.smtp is not None
    assert (overridden.smtp.host, overridden.smtp.port, overridden.smtp.security) == (
        "relay.example.org",
        465,
        "tls",
    )
    assert load_settings(None, env={}).smtp is None  # no SMTP: the outbox folder
