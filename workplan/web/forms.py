"""A submitted form, read with the library's own parsers: a page parses no value itself.

Values (35%, 1.2亿) go to the library as written, which reads them as `workplan progress
record --value` does; days and months are read as the ledger reads them (2023-07-31,
2023/7/31, 2023年7月31日), and what cannot be read is refused with the library's words.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

from workplan.errors import Refused, Unreadable
from workplan.store.cells import read_day, read_month

CONTROL = {chr(c) for c in range(32)} - {"\t", "\n", "\r"} | {"\x7f"}


def check_text(name: str, value: str) -> str:
    """Return ``value``, or refuse it when it holds a control character (a NUL byte, which
    PostgreSQL cannot store in text, or another no keyboard types)."""
    bad = next((ch for ch in value if ch in CONTROL), None)
    if bad is not None:
        raise Refused(
            f"the field {name!r} holds a control character (U+{ord(bad):04X}): "
            "type it again without it",
            zh=f"“{name}”一栏含有不可见的控制字符（U+{ord(bad):04X}），请重新输入。",
            field=name,
        )
    return value


class Form:
    """The text fields of a submitted form (refused at the edge when one holds a control
    character: nothing of it reaches the library or the database)."""

    def __init__(self, fields: Mapping[str, object]) -> None:
        self._fields = {
            check_text(name, name): check_text(name, str(value)) for name, value in fields.items()
        }

    def __getitem__(self, name: str) -> str:
        """Return a field's text, stripped ("" when it was not sent)."""
        return self._fields.get(name, "").strip()

    def optional(self, name: str) -> str | None:
        """Return a field's text, or None when it is empty."""
        return self[name] or None

    def day(self, name: str) -> date | None:
        """Return the day a field names (None when empty)."""
        return self._read(name, read_day)

    def month(self, name: str) -> date | None:
        """Return the first day of the month a field names (None when empty)."""
        return self._read(name, read_month)

    def sent(self, *names: str) -> dict[str, str]:
        """Return the fields ``names`` as sent (those sent), to offer the form again."""
        return {name: self._fields[name] for name in names if name in self._fields}

    def _read(self, name: str, reader: Callable[[str], date]) -> date | None:
        text = self[name]
        if not text:
            return None
        try:
            return reader(text)
        except Unreadable as exc:
            raise Refused(exc.message, zh=exc.zh, field=name) from None


@dataclass(frozen=True)
class Upload:
    """A file sent with a form: its name and declared type as the browser gave them."""

    name: str
    type: str
    data: bytes
