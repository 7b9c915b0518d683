"""Chinese numerals as plans write them in dates and counts: 一 to 九十九, 两, and Arabic digits."""

from __future__ import annotations

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6}
_DIGITS |= {"七": 7, "八": 8, "九": 9}

CN = "零〇一二两三四五六七八九十"
"""The characters a Chinese numeral below 100 is written with."""


def number(text: str) -> int:
    """Return the value of ``5``, ``12``, ``五``, ``十二``, ``二十``, ``三十一`` or ``两``.

    Raises ValueError for anything else (百 and above are not needed in dates).
    """
    if text.isascii() and text.isdigit():
        return int(text)
    if not text or any(c not in CN for c in text):
        raise ValueError(f"not a number: {text!r}")
    if "十" not in text:
        if len(text) != 1:
            raise ValueError(f"not a number: {text!r}")
        return _DIGITS[text]
    tens, _, units = text.partition("十")
    if "十" in units or len(tens) > 1 or len(units) > 1:
        raise ValueError(f"not a number: {text!r}")
    return (_DIGITS[tens] if tens else 1) * 10 + (_DIGITS[units] if units else 0)
