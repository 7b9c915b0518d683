"""Composing mail: no header-bound value may carry a control character or line separator."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy

import pytest

from workplan.channels.base import Party
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
