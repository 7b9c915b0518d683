"""A ratio's parts (numerator / denominator = %), the note a derived row carries them in, and how
people are told them.  Pure: the fact records and the tables read them without the database.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from workplan.plan.units import figure

_NOTE = re.compile(r"^= (-?[\d.e+-]+) / (-?[\d.e+-]+) ?([^;]*)")
ZERO_BASE = "no %: the denominator is 0"


class Parts(NamedTuple):
    """What a ratio's value is derived from: numerator / denominator in their unit."""

    numerator: float
    denominator: float
    unit: str


def parts_note(parts: Parts) -> str:
    """The note a derived row carries: its two parts, read back by :func:`parts_of`."""
    return f"= {parts.numerator!r} / {parts.denominator!r} {parts.unit}"


def parts_of(note: str | None) -> Parts | None:
    """Return the parts from a derived row's note, else None."""
    found = _NOTE.match(note or "")
    return Parts(float(found[1]), float(found[2]), found[3].strip()) if found else None


def percent(numerator: float, denominator: float) -> float:
    return round(100 * numerator / denominator, 4)


def ratio_text(parts: Parts) -> str:
    """Say a ratio as people check it: 1,200 / 4,000万元 = 30%, or why there is no %."""
    n, d, unit = parts
    if not d:
        return f"{figure(n)} / {figure(d)}{unit}: {ZERO_BASE}"
    return f"{figure(n)} / {figure(d)}{unit} = {figure(percent(n, d))}%"
