"""Composing mail: no header-bound value may carry a control character or line separator."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy

import pytest

from workplan.channels.base import Party, RenderError
from workplan.channels.mail import HeaderInjection, compose

# every C0 control, DEL, every C1 control, and the Unicode line and paragraph separators
CONTROLS = [chr(c) for c in [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0), 0x2028, 0x2029]]


def _compose(**changes: object) -> bytes:
    args: dict[str, object] = {
        "subject": "关于报送材料的提醒",
        "text": "正文",
        "html": "<p>正文</p>",
        "sender": Party("区委农办", ("qwnb@example.org",)),
        "to": [Party("区财政局", ("czj@example.org",))],
        "cc": [Party("区领导小组", ("leaders@example.org",))],
        "message_id_": "<wp.1@example.org>",
        "date": datetime(2023, 4, 26, 9, tzinfo=UTC),
    }
    args.update(changes)
    return compose(**args).data  # type: ignore[arg-type]


def test_a_clean_message_parses_back() -> None:
    parsed = message_from_bytes(_compose(), policy=policy.default)
    assert str(parsed["To"]) == "区财政局 <czj@example.org>"


@pytest.mark.parametrize("char", CONTROLS, ids=[f"U+{ord(c):04X}" for c in CONTROLS])
@pytest.mark.parametrize("where", ["sender", "to", "cc", "address", "subject"])
def test_every_control_character_is_refused_in_headers(char: str, where: str) -> None:
    bad = Party(f"区财{char}政局", ("czj@example.org",))
    changes: dict[str, object] = {
        "sender": {"sender": Party(f"区委{char}农办", ("qwnb@example.org",))},
        "to": {"to": [bad]},
        "cc": {"cc": [bad]},
        "address": {"to": [Party("区财政局", (f"czj@example.org{char}",))]},
        "subject": {"subject": f"提醒{char}Bcc: all@example.org"},
    }[where]
    with pytest.raises(HeaderInjection, match=f"U\\+{ord(char):04X}"):
        _compose(**changes)


def test_every_header_line_is_short_whatever_the_values() -> None:
    """Issue 27.1: the notice ids, the thread, long names, subjects and file names are folded:
    no header line passes 78 octets (RFC 5322 allows 998; a server refuses longer ones)."""
    name = "二〇二三年度乡村振兴重点工作任务清单执行情况报送表（区财政局、区农业农村委）.xlsx"
    data = _compose(
        subject="【巴南乡振督〔2023〕12号】关于加快推进农村人居环境整治提升工作的督办通知" * 3,
        to=[Party("区委农村工作暨实施乡村振兴战略领导小组办公室", ("leaders@example.org",))],
        notices=[str(n) for n in range(100_000, 101_000)],
        in_reply_to="<wp.0123456789abcdef0123456789abcdef@example.org>",
        attachments=[(name, "application/octet-stream", b"PK")],
    )
    head = data.split(b"\r\n\r\n", 1)[0]
    assert max(len(line) for line in data.split(b"\r\n")) <= 78
    parsed = message_from_bytes(data, policy=policy.default)
    assert parsed["To"].addresses[0].display_name.startswith("区委农村工作暨")
    assert parsed["X-Workplan-Notices"].split() == [str(n) for n in range(100_000, 101_000)]
    assert parsed["Subject"].startswith("【巴南乡振督〔2023〕12号】")
    [attachment] = parsed.iter_attachments()
    assert attachment.get_filename() == name
    assert b"\r\n " in head


def test_a_header_line_over_998_octets_is_never_written() -> None:
    """A value that cannot be folded (one long word) is refused before sending, not sent into
    the server's `500 Line too long`."""
    with pytest.raises(RenderError, match="998"):
        _compose(subject="x" * 1200)
