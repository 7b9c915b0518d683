"""The letter data kept with each message comes back as it was: what a robot posts later is
what the e-mail said."""

from __future__ import annotations

import pytest

from workplan.notices.stored import letter_json, letter_of
from workplan.notices.templates import LOCALES, sample_messages


@pytest.mark.parametrize("locale", LOCALES)
def test_every_sample_message_comes_back_as_it_was(locale: str) -> None:
    for message in sample_messages(locale):
        kept = letter_json(message)
        assert letter_of(kept) == message, message.kind
        assert "\\u" not in kept, "Chinese is kept as it is"
