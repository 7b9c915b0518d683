"""What a page shows, rendered once for each state of a plan and day, and kept.

A department's page and the office's dashboard evaluate the whole plan as `workplan status`
does (a few milliseconds of rules over every obligation), while what they show changes only
when the plan's facts do.  Every write of a fact moves the plan's change marker in its own
transaction (``store/changes.py``: reports, done marks, extensions, sign-offs, events,
reloads, the office's cycle, notices sent), so a page is kept under the marker read *before*
its data: a write that lands in between is newer than the key, and the next request, finding
the marker moved, makes the page again.

What is kept is the page as rendered, cut where its forms' one-time tokens go (:data:`SLOT`):
each response puts fresh tokens in those places (:meth:`Kept.fill`), and who is asking is
still checked on every request, before the kept page is looked up.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Connection, bindparam, select

from workplan.store.refs import PlanRef
from workplan.store.tables import T_PLAN

T = TypeVar("T")

SIZE = 512
"""pages kept (a plan's departments and the office, for a day or two)"""

SLOT = f"form-token-{secrets.token_hex(16)}"
"""what a page is rendered with where a form's one-time token goes: random for each process,
so no text a user wrote can stand for it"""

MARKER = select(T_PLAN.c.facts_version).where(T_PLAN.c.id == bindparam("plan"))


@dataclass(frozen=True, slots=True)
class Kept:
    """A rendered page, as bytes, cut at the places of its forms' one-time tokens."""

    parts: tuple[bytes, ...]

    @classmethod
    def cut(cls, text: str) -> Kept:
        return cls(tuple(part.encode() for part in text.split(SLOT)))

    @property
    def slots(self) -> int:
        """How many one-time tokens the page takes."""
        return len(self.parts) - 1

    def fill(self, tokens: Sequence[bytes]) -> bytes:
        """Return the page with ``tokens`` put in its places, in order."""
        out = [self.parts[0]]
        for token, part in zip(tokens, self.parts[1:], strict=True):
            out += (token, part)
        return b"".join(out)


class Views:
    """The kept pages, by plan, change marker and what the page asked for."""

    def __init__(self, size: int = SIZE) -> None:
        self.size = size
        self._kept: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(
        self,
        conn: Connection,
        plan: PlanRef,
        key: Hashable,
        make: Callable[[], T],
        marker: int | None = None,
    ) -> T:
        """Return what ``make`` computes on ``conn`` for ``key``, kept while the plan's facts
        are unchanged: ``marker`` is the plan's change marker when it was read already (with
        the plan, before anything else on ``conn``), else it is read here first."""
        if marker is None:
            marker = conn.execute(MARKER, {"plan": plan.id}).scalar_one()
        full = (plan.id, marker, key)
        with self._lock:
            if full in self._kept:
                self._kept.move_to_end(full)
                found: T = self._kept[full]
                return found
        made = make()
        with self._lock:
            self._kept[full] = made
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)
        return made
