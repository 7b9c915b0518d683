"""A resolved policy: when reminders go out before a deadline and the ladder after it.

Plain frozen data, below every other compiled record: obligations, metrics and the duties an
event starts each carry one, and the store keeps each distinct policy once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Step:
    level: int
    name: str
    after: int
    to: tuple[str, ...]


@dataclass(frozen=True)
class Rules:
    """A fully resolved policy: no field left to inherit."""

    remind: tuple[int, ...]
    remind_to: tuple[str, ...]
    escalate: tuple[Step, ...]


def rules_from_dict(raw: dict[str, Any]) -> Rules:
    """Rebuild a resolved policy from its JSON form (``dataclasses.asdict`` of it)."""
    return Rules(
        tuple(raw["remind"]),
        tuple(raw["remind_to"]),
        tuple(Step(s["level"], s["name"], s["after"], tuple(s["to"])) for s in raw["escalate"]),
    )
