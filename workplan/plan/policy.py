"""A resolved policy: when reminders go out before a deadline and the ladder after it.

Plain frozen data, below every other compiled record: obligations, metrics and the duties an
event starts each carry one, and the store keeps each distinct policy once.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
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
    """the ladder a lapse climbs (逾期未办): already capped for an aim (none) and a standing
    duty's review (up to the plan's ``proportion.standing``)"""
    shortfall: tuple[Step, ...] | None = None
    """the ladder a shortfall climbs (a figure reported on time, short of its checkpoint:
    未达到): 提示函 first, then the lapse ladder up to ``proportion.shortfall`` (the whole
    ladder for a key metric); None: as ``escalate`` (a policy stored by an earlier version)"""
    strength: str = "firm"
    """firm (确保/完成) or aim (力争/争取/原则上/适时: reminded and shown, never escalated)"""
    key: bool = False
    """an item the plan marks key: its shortfalls climb the whole ladder, and it is named in
    the report to the leadership"""
    needs_review: bool = False
    """a report counts only once the office accepts it (复核); sent back (退回), it is open
    again"""

    @property
    def aim(self) -> bool:
        return self.strength == "aim"


def _steps(raw: list[dict[str, Any]]) -> tuple[Step, ...]:
    return tuple(Step(s["level"], s["name"], s["after"], tuple(s["to"])) for s in raw)


def rules_to_dict(rules: Rules) -> dict[str, Any]:
    """A resolved policy as stored (JSON); ``needs_review`` only where it is set, so that a
    policy without review is stored, and fingerprinted, as before it existed."""
    out = asdict(rules)
    if not rules.needs_review:
        del out["needs_review"]
    return out


def rules_from_dict(raw: dict[str, Any]) -> Rules:
    """Rebuild a resolved policy from its JSON form (``dataclasses.asdict`` of it)."""
    shortfall = raw.get("shortfall")
    return Rules(
        tuple(raw["remind"]),
        tuple(raw["remind_to"]),
        _steps(raw["escalate"]),
        _steps(shortfall) if shortfall is not None else None,
        str(raw.get("strength") or "firm"),
        bool(raw.get("key", False)),
        bool(raw.get("needs_review", False)),
    )
