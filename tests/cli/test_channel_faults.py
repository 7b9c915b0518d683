"""A wrong password (535) and STARTTLS failing, against a real aiosmtpd: the channel pauses,
the notices wait still owed (none failed), `status` says so, and once the configuration is
fixed the next run sends each message exactly once."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tests.helpers import PLANS, notice_rows, run
from tests.smtp import SmtpServer, self_signed, tls_context

BANAN = str(PLANS / "banan-2023.yaml")
AS_OF = "2023-11-01"


def config(path: Path, port: int, **smtp: object) -> Path:
    lines = ["[smtp]", 'host = "127.0.0.1"', f"port = {port}"]
    for key, value in smtp.items():
        shown = str(value).lower() if isinstance(value, bool) else f'"{value}"'
        lines.append(f"{key} = {shown}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    path.chmod(0o600)
    return path


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "workplan.db")
    run("load", BANAN, "--db", path)
    run("tick", "--as-of", AS_OF, "--db", path)
    return path


def notices(db: str) -> list[tuple[str, str | None, int]]:
    return [(status, mid, attempts) for _, status, mid, attempts in notice_rows(db)]


def paused_then_fixed(
    db: str, broken: Path, fixed: Path, server: SmtpServer, why: str, **env: str
) -> None:
    """Two runs on the broken configuration, then two on the fixed one (``env``)."""
    for _ in range(2):
        failed = run("dispatch", "--ignore-hours", "--config", str(broken), "--db", db, code=1)
        assert "the smtp channel failed:" in failed.output and why in failed.output
    rows = notices(db)
    assert {status for status, _, _ in rows} <= {"pending", "retrying"}  # owed, none failed
    assert {attempts for _, _, attempts in rows} == {0}  # the channel's fault is no attempt
    assert not server.received
    status = run("--lang", "en", "status", "--as-of", AS_OF, "--db", db).output
    assert "the smtp channel is paused since" in status and why in status
    assert f"notices: {len(rows)} wait (" in status and " for the channel" in status
    sent = run("dispatch", "--ignore-hours", "--config", str(fixed), "--db", db, env=env)
    assert "0 failed" in sent.output
    rows = notices(db)
    assert {status for status, _, _ in rows} == {"sent"}
    arrived = Counter(r.message["Message-ID"] for r in server.received)
    assert set(arrived.values()) == {1}  # each message exactly once
    assert set(arrived) == {mid for _, mid, _ in rows}  # and every one owed
    again = run("dispatch", "--ignore-hours", "--config", str(fixed), "--db", db, env=env)
    assert again.output.startswith("0 message(s)") and len(server.received) == len(arrived)
    assert "paused" not in run("status", "--as-of", AS_OF, "--db", db).output


def test_a_wrong_password_pauses_and_the_right_one_sends_each_once(db: str, tmp_path: Path) -> None:
    server = SmtpServer(password="right horse")
    server.start()
    try:
        common = {"security": "none", "user": "office", "allow_plaintext_auth": True}
        broken = config(tmp_path / "wrong.toml", server.port, password="wrong", **common)
        fixed = config(tmp_path / "right.toml", server.port, password="right horse", **common)
        paused_then_fixed(db, broken, fixed, server, "login refused: 535")
        assert ("office", False) in server.logins and ("office", True) in server.logins
    finally:
        server.stop()


def test_a_server_without_starttls_pauses_until_it_offers_it(db: str, tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    plain = SmtpServer()
    plain.start()
    settings = config(tmp_path / "delivery.toml", plain.port)  # security: starttls by default
    try:
        for _ in range(2):
            failed = run(
                "--lang",
                "en",
                "dispatch",
                "--ignore-hours",
                "--config",
                str(settings),
                "--db",
                db,
                code=1,
            )
            assert "the server does not offer STARTTLS" in failed.output
        assert {status for status, _, _ in notices(db)} <= {"pending", "retrying"}
        assert (
            "the smtp channel is paused since" in run("--lang", "en", "status", "--db", db).output
        )
    finally:
        plain.stop()
    secure = SmtpServer(tls=tls_context(cert, key))
    secure.port = plain.port  # the same server, now offering STARTTLS
    secure.start()
    try:
        sent = run(
            "--lang",
            "en",
            "dispatch", "--ignore-hours", "--config", str(settings), "--db", db,
            env={"SSL_CERT_FILE": str(cert)},
        )  # fmt: skip
        assert "0 failed" in sent.output
        rows = notices(db)
        assert {status for status, _, _ in rows} == {"sent"}
        arrived = Counter(r.message["Message-ID"] for r in secure.received)
        assert set(arrived.values()) == {1}
        assert set(arrived) == {mid for _, mid, _ in rows}
    finally:
        secure.stop()


def test_a_tls_handshake_failure_pauses_until_the_certificate_is_trusted(
    db: str, tmp_path: Path
) -> None:
    cert, key = self_signed(tmp_path)
    server = SmtpServer(tls=tls_context(cert, key))
    server.start()
    try:
        settings = config(tmp_path / "delivery.toml", server.port, security="starttls")
        # untrusted (self-signed) until SSL_CERT_FILE names it: the handshake fails
        paused_then_fixed(db, settings, settings, server, "TLS failed:", SSL_CERT_FILE=str(cert))
    finally:
        server.stop()
