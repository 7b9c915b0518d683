"""What a page shows, computed once for each state of a plan and day, and kept.

A department's page and the office's dashboard evaluate the whole plan as `workplan status`
does (a few milliseconds of rules over every obligation), while what they show changes only
when the plan's facts do.  Every write of a fact moves the plan's change marker in its own
transaction (``store/changes.py``: reports, done marks, extensions, sign-offs, events,
reloads, notices sent), so a page's data is kept under the marker read *before* the data: a
write that lands in between is newer than the key, and the next request, finding the marker
moved, computes the page again.  Only the data is kept: each response is still rendered with
its own one-time form tokens, and who is asking is still checked on every request.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy import Connection, select

from workplan.store.refs import PlanRef
from workplan.store.tables import T_PLAN

T = TypeVar("T")

SIZE = 512
"""views kept (a plan's departments and the office, for a day or two)"""


class Views:
    """The kept views, by plan, change marker and what the page asked for."""

    def __init__(self, size: int = SIZE) -> None:
        self.size = size
        self._kept: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, conn: Connection, plan: PlanRef, key: Hashable, make: Callable[[], T]) -> T:
        """Return the view ``make`` computes on ``conn`` for ``key``, kept while the plan's
        facts are unchanged."""
        marker = conn.execute(
            select(T_PLAN.c.facts_version).where(T_PLAN.c.id == plan.id)
        ).scalar_one()
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
