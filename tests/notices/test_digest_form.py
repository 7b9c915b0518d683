"""The plan can ask for each department's return form (报送表) with its first digest of a month."""

from __future__ import annotations

import email
import email.policy
import io
from email.message import EmailMessage
from pathlib import Path

from openpyxl import load_workbook

from tests.helpers import PLANS, run


def digests_to(outbox: Path, address: str) -> list[EmailMessage]:
    out = []
    for path in sorted(outbox.glob("*.eml")):
        parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        if address in str(parsed["To"]) and "【工作提醒】" in str(parsed["Subject"]):
            out.append(parsed)
    return sorted(out, key=lambda m: m["Date"].datetime)


def forms(message: EmailMessage) -> list[tuple[str | None, bytes]]:
    return [
        (part.get_filename(), part.get_content())
        for part in message.iter_attachments()
        if part.get_content_type().endswith("spreadsheetml.sheet")
    ]


def test_the_first_digest_of_a_month_carries_the_return_form(tmp_path: Path) -> None:
    plan = tmp_path / "example.yaml"
    text = (PLANS / "example.yaml").read_text(encoding="utf-8")
    plan.write_text(text.replace("\nchapters:", "\nnotices: {return_form: true}\nchapters:", 1))
    db, outbox = str(tmp_path / "w.db"), tmp_path / "outbox"
    run("load", str(plan), "--db", db)
    # 22 and 24 May: the reminders before the monthly dispatch of the 25th
    for day in ("2023-05-22", "2023-05-24"):
        run("tick", "--as-of", day, "--db", db)
        run("run", "--once", "--now", f"{day}T09:00", "--outbox", str(outbox), "--db", db)
    first, second = digests_to(outbox, "czj@example.org")
    [(name, data)] = forms(first)
    assert name == "区财政局-2023-05.xlsx"
    book = load_workbook(io.BytesIO(data))
    assert "区财政局" in str([c.value for row in book.worksheets[0].iter_rows() for c in row])
    assert forms(second) == [], "once a month, not with every digest"
    # the digest itself still reads as before
    body = first.get_body(("plain",))
    assert body is not None and "区财政局：" in str(body.get_content())


def test_without_the_setting_no_form_is_attached(tmp_path: Path) -> None:
    db, outbox = str(tmp_path / "w.db"), tmp_path / "outbox"
    run("load", str(PLANS / "example.yaml"), "--db", db)
    run("tick", "--as-of", "2023-05-22", "--db", db)
    run("run", "--once", "--now", "2023-05-22T09:00", "--outbox", str(outbox), "--db", db)
    [digest] = digests_to(outbox, "czj@example.org")
    assert forms(digest) == []
