"""Event-triggered duties: a deadline counted from an event the office records.

"第一时间推送暴雨预报", "发现问题立即整改": the plan declares the events and the duties each one
starts (``on_event``, ``within``); recording an event on a day makes one occurrence per duty,
due ``within`` after it on the plan's working-day calendar.  Pure: the calendar is a parameter.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from workplan.plan.policy import Rules, rules_from_dict, rules_to_dict

WITHIN_PATTERN = r"^(0|[1-9]\d{0,2}) (working days?|days?)$"
_WITHIN = re.compile(WITHIN_PATTERN)
_HOURS = re.compile(r"^\d+ *(h|hours?|小时)$")


@dataclass(frozen=True)
class Within:
    """How long after the event the duty is due: ``n`` working days or ``n`` calendar days."""

    n: int
    working: bool

    def __str__(self) -> str:
        unit = "working day" if self.working else "day"
        return f"{self.n} {unit}{'' if self.n == 1 else 's'}"


def parse_within(text: str) -> Within:
    """Read '1 working day', '3 working days', '7 days'; raise ValueError otherwise."""
    found = _WITHIN.match(text.strip())
    if found is None:
        if _HOURS.match(text.strip()):
            raise ValueError(
                f"'{text}': workplan counts in days, not hours; write '0 working days' for "
                "the same day (立即), '1 working day' for the next"
            )
        raise ValueError(
            f"'{text}' is not a span: write 'N working days' (e.g. 1 working day) or "
            "'N days' (e.g. 7 days)"
        )
    return Within(int(found[1]), found[2].startswith("working"))


def event_due(on: date, within: Within, is_working: Callable[[date], bool]) -> date:
    """Return the due date of a duty ``within`` after an event on ``on``.

    ``N working days``: the N-th working day after the event (0: the event's day, or the next
    working day if it is a day off).  ``N days``: N calendar days after the event; a deadline
    that falls on a day off moves to the next working day (期限届满日是节假日的，顺延).
    """
    day = on + timedelta(days=0 if within.working else within.n)
    while not is_working(day):
        day += timedelta(days=1)
    if not within.working:
        return day
    for _ in range(within.n):
        day += timedelta(days=1)
        while not is_working(day):
            day += timedelta(days=1)
    return day


@dataclass(frozen=True)
class TriggerInfo:
    """A duty the plan starts when an event is recorded (one per owner with ``each``)."""

    task: int
    key: str
    """the duty's id (with ':部门' for one owner's share)"""
    event: str
    title: str
    within: Within
    owners: tuple[str, ...]
    rules: Rules
    aliases: tuple[str, ...] = ()


def trigger_to_json(t: TriggerInfo) -> dict[str, Any]:
    """The trigger as kept with the plan's settings (the store reads it without the plan file)."""
    return {
        "task": t.task,
        "key": t.key,
        "event": t.event,
        "title": t.title,
        "within": [t.within.n, t.within.working],
        "owners": list(t.owners),
        "rules": rules_to_dict(t.rules),
        "aliases": list(t.aliases),
    }


def trigger_from_json(data: dict[str, Any]) -> TriggerInfo:
    """Read back :func:`trigger_to_json`."""
    return TriggerInfo(
        data["task"],
        data["key"],
        data["event"],
        data["title"],
        Within(data["within"][0], data["within"][1]),
        tuple(data["owners"]),
        rules_from_dict(data["rules"]),
        tuple(data["aliases"]),
    )
