"""Addresses (issue 26, item 3): `validate` checks every e-mail address; an internationalised
one (王伟@例子.中国) goes with SMTPUTF8 where the server offers it, and where it does not, that
address alone is refused: its message fails, the channel does not pause and every other
department is served."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import PLANS, notice_rows, run
from tests.smtp import SmtpServer
from workplan.store.db import open_store

CHINESE = "王伟@例子.中国"
AS_OF = "2023-11-01"


def plan_with(tmp_path: Path, address: str) -> Path:
    """The Banan plan with 区财政局's mailbox written ``address``, its only one (its head's
    mailbox left out)."""
    text = (PLANS / "banan-departments.yaml").read_text(encoding="utf-8")
    old = "email: czj@example.org\n    head: {name: 局长, email: czj-head@example.org}\n"
    assert old in text
    (tmp_path / "banan-departments.yaml").write_text(
        text.replace(old, f"email: {address}\n", 1), encoding="utf-8"
    )
    plan = tmp_path / "banan-2023.yaml"
    plan.write_text((PLANS / "banan-2023.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    return plan


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("czj at example dot org", "write it like name@example.org"),
        ("czj@@example.org", "more than one @"),
        ("czj..office@example.org", "dots at its ends or side by side"),
        ("czj office@example.org", "has a space"),
        ("czj@example", "'example' is not a domain name"),
        ("czj@-example.org", "'-example.org' is not a domain name"),
        ("czj@例子", "'例子' is not a domain name"),
    ],
)
def test_validate_checks_every_address(tmp_path: Path, address: str, reason: str) -> None:
    said = run("validate", str(plan_with(tmp_path, address)), code=2).output
    assert f"'{address}' is not an e-mail address" in said and reason in said, said


def test_an_internationalised_address_is_one(tmp_path: Path) -> None:
    run("validate", str(plan_with(tmp_path, CHINESE)))
    run("validate", str(plan_with(tmp_path, "wangwei@例子.中国")))


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "workplan.db")
    run("load", str(plan_with(tmp_path, CHINESE)), "--db", path)
    run("tick", "--as-of", AS_OF, "--db", path)
    return path


def recipients_of(db: str) -> dict[str, set[str]]:
    """Each message's recipients, by Message-ID, as the office's record keeps them."""
    from sqlalchemy import select

    from workplan.store.tables import T_MESSAGE

    engine = open_store(f"sqlite:///{db}")
    with engine.connect() as conn:
        rows = conn.execute(select(T_MESSAGE.c.message_id, T_MESSAGE.c.department)).all()
    engine.dispose()
    out: dict[str, set[str]] = {}
    for mid, department in rows:
        out.setdefault(department, set()).add(mid)
    return out


def test_a_server_without_smtputf8_fails_that_message_and_serves_every_other(
    db: str, smtp_server: SmtpServer
) -> None:
    said = run("dispatch", "--ignore-hours", "--db", db, env=smtp_server.env())
    assert "Traceback" not in said.output and "paused" not in said.output, said.output
    rows = notice_rows(db)
    by_message: dict[str | None, set[str]] = {}
    for _, status, mid, _ in rows:
        by_message.setdefault(mid, set()).add(status)
    failed = {mid for mid, states in by_message.items() if "failed" in states}
    finance = recipients_of(db)["区财政局"]
    # 区财政局's own letters (its only mailbox) failed; none else did
    assert failed and failed <= finance, (failed, finance)
    arrived = {r.message["Message-ID"] for r in smtp_server.received}
    assert arrived == set(by_message) - failed  # every other message was served
    assert all(CHINESE not in r.recipients for r in smtp_server.received)
    status = run("status", "--as-of", AS_OF, "--db", db).output
    assert "channel is paused" not in status
    shown = run("notices", "--status", "failed", "--db", db).output
    assert "SMTPUTF8" in shown, shown


def test_a_server_offering_smtputf8_delivers_it(db: str) -> None:
    server = SmtpServer(smtputf8=True)
    server.start()
    try:
        run("dispatch", "--ignore-hours", "--db", db, env=server.env())
    finally:
        server.stop()
    assert {status for _, status, _, _ in notice_rows(db)} == {"sent"}
    to_finance = [r for r in server.received if CHINESE in r.recipients]
    assert to_finance
    assert CHINESE in str(to_finance[0].message["To"])
