"""The escalation ladder: which rung a recipient is owed, given the letters already sent to it.

Pure: no clock, no I/O.  An office climbs its ladder one letter at a time.  The first letter
to a recipient about an overdue obligation is the lowest rung, however many working days have
passed since the deadline (a service started mid-year opens with 催办, never with 通报); each
higher rung goes only once the rung below it was *sent* to that recipient and the plan's
interval between the two rungs (the difference of their ``after``) has passed since, with no
answer (an answer closes the obligation, and nothing is owed).  A recipient that a rung does
not address (a co-owner, when 督办 goes to the lead) climbs no higher than the rung below it.
"""

from __future__ import annotations

from datetime import date
from typing import Protocol

from workplan.plan.calendar import WorkCalendar
from workplan.plan.policy import Step
from workplan.store.facts import Sent


def interval(steps: tuple[Step, ...], level: int) -> int:
    """Working days to wait after the rung at ``level`` went before the next rung may go
    (the difference of their ``after``, at least one day); 0 when it is the top rung."""
    higher = [s for s in steps if s.level > level]
    if not higher:
        return 0
    current = max((s.after for s in steps if s.level <= level), default=0)
    return max(higher[0].after - current, 1)


def rung(
    steps: tuple[Step, ...],
    deadline: date,
    as_of: date,
    cal: WorkCalendar,
    sent: Sent | None,
) -> Step | None:
    """Return the rung owed to one recipient on ``as_of``: None before the lowest rung is
    reached (or on time); the lowest rung while none was sent; the rung above the one sent
    once its interval has passed; else the rung already sent (owed again: stored once)."""
    if not steps or as_of <= deadline:
        return None
    if sent is None:
        return steps[0] if cal.count(deadline, as_of) >= steps[0].after else None
    at = [s for s in steps if s.level <= sent.level]
    current = at[-1] if at else steps[0]
    higher = [s for s in steps if s.level > current.level]
    if higher and cal.count(sent.on, as_of) >= interval(steps, current.level):
        return higher[0]
    return current


def addressed(step: Step, department: str, owners: tuple[str, ...], lead: tuple[str, ...]) -> bool:
    """Whether a rung addresses an owner department (``owners``, or the lead only)."""
    if "owners" in step.to:
        return department in owners
    if "lead" in step.to:
        leads = [d for d in lead if d in owners] or list(owners[:1])
        return department in leads
    return False


class Owned(Protocol):
    """What is escalated: the departments that answer for it, its lead, the missed deadline."""

    @property
    def owners(self) -> tuple[str, ...]: ...
    @property
    def lead(self) -> tuple[str, ...]: ...
    @property
    def due(self) -> date: ...


def climb(
    steps: tuple[Step, ...],
    department: str,
    about: Owned,
    as_of: date,
    cal: WorkCalendar,
    sent: Sent | None,
) -> Step | None:
    """Return the rung owed to an owner department: :func:`rung`, held at the rung below
    when the next one does not address it (it was never sent the rung it would skip)."""
    return held(steps, rung(steps, about.due, as_of, cal, sent), department, about)


def held(steps: tuple[Step, ...], owed: Step | None, department: str, about: Owned) -> Step | None:
    """The rung ``owed`` (by :func:`rung`), held at the rung below while it does not address
    ``department``."""
    while owed is not None and not addressed(owed, department, about.owners, about.lead):
        lower = [s for s in steps if s.level < owed.level]
        if not lower:
            return None
        owed = lower[-1]
    return owed
