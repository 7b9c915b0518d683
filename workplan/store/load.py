"""Load a compiled plan into the store: all or nothing, idempotent, amendments keep progress.

Three steps: read what the store holds for the plan (a few bulk queries), diff it against the
compiled plan (pure), apply the difference (bulk writes) in the caller's transaction: the rows
in :mod:`rows`, the difference in :mod:`diff`, an amendment's writes in :mod:`amend`.  A plan
the store has never seen is written whole, several at once (:func:`load_all`).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from workplan.i18n import L_, Text
from workplan.plan.compiled import CompiledPlan
from workplan.plan.policy import Rules, rules_to_dict
from workplan.store.amend import Amend
from workplan.store.changes import facts_changed
from workplan.store.db import bulk_insert, dumps, insert_rows
from workplan.store.diff import Change, diff, read_stored
from workplan.store.events import with_recorded_events
from workplan.store.rows import (
    OBLIGATION_COLUMNS,
    Fingerprints,
    department_values,
    metric_values,
    obligation_row,
    plan_values,
    task_values,
)
from workplan.store.tables import (
    T_DEPT,
    T_METRIC,
    T_OBL,
    T_OWNER,
    T_PLAN,
    T_RULES,
    T_TASK,
    T_VERSION,
)


@dataclass
class LoadResult:
    """What a load did (or, on a dry run, would do)."""

    plan: str
    version: int
    created: bool
    unchanged: bool
    changes: list[Change] = field(default_factory=list)
    tasks: int = 0
    obligations: int = 0
    departments: int = 0


@dataclass(frozen=True)
class PlanFile:
    """A plan to load, with the file it came from (kept with its version)."""

    plan: CompiledPlan
    path: str
    text: str


def _write_new(conn: Connection, new: list[PlanFile], now: datetime) -> None:
    """Write plans the store has never seen, all of them at once: one statement per table
    whatever their number (on PostgreSQL each statement is a round trip to the server, and a
    province loads a few hundred county plans together)."""
    plan_ids: dict[str, int] = dict(
        insert_rows(
            conn,
            T_PLAN,
            [{"version": 1, **plan_values(s.plan, now)} for s in new],
            ("key", "id"),
        )
    )
    insert_rows(
        conn,
        T_VERSION,
        [
            version_values(
                plan_ids[s.plan.id],
                1,
                s.plan,
                s.path,
                s.text,
                [Change("new plan", detail=s.plan.title)],
                now,
            )
            for s in new
        ],
    )
    insert_rows(
        conn,
        T_DEPT,
        [department_values(plan_ids[s.plan.id], d) for s in new for d in s.plan.departments],
    )
    returned = insert_rows(
        conn,
        T_TASK,
        [{"plan_id": plan_ids[s.plan.id], **task_values(t)} for s in new for t in s.plan.tasks],
        ("plan_id", "number", "id"),
    )
    task_ids = {(pid, number): tid for pid, number, tid in returned}
    insert_rows(
        conn,
        T_OWNER,
        [
            {"task_id": task_ids[plan_ids[s.plan.id], t.number], "department": name, "role": role}
            for s in new
            for t in s.plan.tasks
            for role, names in (("lead", t.lead), ("co", t.co))
            for name in names
        ],
    )
    fingerprint = Fingerprints()
    wanted: dict[tuple[int, str], Rules] = {}
    for s in new:
        plan = s.plan
        for rules in [
            *(m.rules for m in plan.metrics),
            *(o.rules for o in plan.obligations),
            *(t.rules for t in plan.settings.triggers),
        ]:
            wanted.setdefault((plan_ids[s.plan.id], fingerprint(rules)), rules)
    returned = insert_rows(
        conn,
        T_RULES,
        [
            {"plan_id": pid, "fingerprint": f, "body": dumps(rules_to_dict(r))}
            for (pid, f), r in wanted.items()
        ],
        ("plan_id", "fingerprint", "id"),
    )
    rules_ids = {(pid, f): rid for pid, f, rid in returned}
    metrics = []
    for s in new:
        pid, tasks = plan_ids[s.plan.id], {t.number: t for t in s.plan.tasks}
        for m in s.plan.metrics:
            values = metric_values(m, tasks[m.task], rules_ids[pid, fingerprint(m.rules)])
            metrics.append({"plan_id": pid, "task_id": task_ids[pid, m.task], **values})
    returned = insert_rows(conn, T_METRIC, metrics, ("task_id", "key", "id"))
    metric_ids = {(tid, key): mid for tid, key, mid in returned}
    rows = []
    for s in new:
        pid, tasks = plan_ids[s.plan.id], {t.number: t for t in s.plan.tasks}
        for o in s.plan.obligations:
            tid = task_ids[pid, o.task]
            rows.append(
                obligation_row(
                    pid,
                    tid,
                    o,
                    tasks[o.task].owners,
                    rules_ids[pid, fingerprint(o.rules)],
                    metric_ids[tid, o.metric] if o.metric else None,
                    metric_ids[tid, o.benchmark] if o.benchmark else None,
                )
            )
    bulk_insert(conn, T_OBL, OBLIGATION_COLUMNS, rows)


def _counts(plan: CompiledPlan) -> dict[str, int]:
    return {
        "tasks": len(plan.tasks),
        "obligations": len(plan.obligations),
        "departments": len(plan.departments),
    }


def _new_result(plan: CompiledPlan) -> LoadResult:
    return LoadResult(
        plan.id, 1, True, False, [Change("new plan", detail=plan.title)], **_counts(plan)
    )


def load_all(
    conn: Connection, sources: list[PlanFile], *, now: datetime, dry_run: bool = False
) -> list[LoadResult]:
    """Load several plans (a province's county plans) in the caller's transaction; return
    what was done to each, in the order given.

    The plans the store has never seen are written together, one statement per table; a
    plan already there is amended (or left alone) as :func:`load` does; the statistics are
    refreshed once at the end.  Each plan is given once (the caller checks).
    """
    keys = [s.plan.id for s in sources]
    if len(set(keys)) != len(keys):
        raise ValueError("a plan is given twice")
    known = set(conn.execute(select(T_PLAN.c.key).where(T_PLAN.c.key.in_(keys))).scalars())
    new = [s for s in sources if s.plan.id not in known]
    if new and not dry_run:
        _write_new(conn, new, now)
    results = []
    for s in sources:
        if s.plan.id not in known:
            results.append(_new_result(s.plan))
            continue
        results.append(
            load(
                conn,
                s.plan,
                source_path=s.path,
                source_text=s.text,
                now=now,
                dry_run=dry_run,
                analyze=False,
            )
        )
    if not dry_run and any(not r.unchanged for r in results):
        refresh_statistics(conn)
    return results


def load(
    conn: Connection,
    plan: CompiledPlan,
    *,
    source_path: str,
    source_text: str,
    now: datetime,
    dry_run: bool = False,
    analyze: bool = True,
) -> LoadResult:
    """Load ``plan`` inside the caller's transaction; on a dry run, only report the changes.

    On PostgreSQL the tables written are analysed afterwards (``analyze``), so that the very
    next evaluation is planned on real statistics; a caller loading many plans in one
    transaction passes ``analyze=False`` and calls :func:`refresh_statistics` once at the end.
    """
    row = conn.execute(select(T_PLAN).where(T_PLAN.c.key == plan.id)).mappings().first()
    counts = _counts(plan)
    if row is None:
        result = _new_result(plan)
        if dry_run:
            return result
        _write_new(conn, [PlanFile(plan, source_path, source_text)], now)
        if analyze:
            refresh_statistics(conn)
        return result
    plan_row = dict(row)
    if plan_row["fingerprint"] == plan.fingerprint:
        return LoadResult(plan.id, plan_row["version"], False, True, [], **counts)
    stored = read_stored(conn, plan_row["id"], plan_row)
    plan = with_recorded_events(conn, plan_row["id"], plan)
    changes = diff(stored, plan)
    if not changes:
        before = json.loads(plan_row["settings"])
        after = json.loads(dumps(plan.settings.to_json()))  # as the row will keep it
        keys = sorted(k for k in {*before, *after} if before.get(k) != after.get(k))
        said = (
            Text("{keys}", {"keys": keys})
            if keys
            else L_("how this version of workplan records the plan")
        )
        changes = [Change(L_("settings changed"), detail=said)]
    version = plan_row["version"] + 1
    result = LoadResult(plan.id, version, False, False, changes, **counts)
    if dry_run:
        return result
    Amend(conn, plan, plan_row["id"], stored).run()
    conn.execute(
        update(T_PLAN)
        .where(T_PLAN.c.id == plan_row["id"])
        .values(version=version, **plan_values(plan, now))
    )
    facts_changed(conn, [plan_row["id"]])
    values = version_values(plan_row["id"], version, plan, source_path, source_text, changes, now)
    conn.execute(insert(T_VERSION).values(**values))
    if analyze:
        refresh_statistics(conn)
    return result


LOADED_TABLES = (T_PLAN, T_VERSION, T_DEPT, T_TASK, T_OWNER, T_RULES, T_METRIC, T_OBL)


# the columns of the wide tables that queries filter, join or group on: the planner's
# statistics of titles, texts, keys and owners would cost most of the ANALYZE (at 700
# counties a task's 40 ms of a batch's 90, against 9 ms for these) and inform no plan
PLANNED: dict[str, tuple[str, ...]] = {
    T_TASK.name: ("id", "plan_id", "number", "active", "signed_off_at"),
    T_METRIC.name: ("id", "plan_id", "task_id", "key", "rules_id", "active", "part_of"),
    T_OBL.name: (
        "id",
        "plan_id",
        "task_id",
        "kind",
        "due",
        "deadline",
        "metric_id",
        "benchmark_id",
        "rules_id",
        "active",
        "done_on",
    ),
}


def refresh_statistics(conn: Connection) -> None:
    """Update the planner's statistics of the tables a load writes (PostgreSQL; a no-op on
    SQLite, whose planner reads the indexes themselves).

    Right after a bulk load a table has none, and PostgreSQL plans as if it were small.  ANALYZE
    runs inside the load's transaction and commits with it.
    """
    if conn.dialect.name != "postgresql":
        return
    quote = conn.dialect.identifier_preparer.quote
    conn.exec_driver_sql(
        "ANALYZE "
        + ", ".join(
            quote(t.name) + (f" ({', '.join(PLANNED[t.name])})" if t.name in PLANNED else "")
            for t in LOADED_TABLES
        )
    )


def version_values(
    plan_id: int,
    version: int,
    plan: CompiledPlan,
    source_path: str,
    source_text: str,
    changes: list[Change],
    now: datetime,
) -> dict[str, Any]:
    return {
        "plan_id": plan_id,
        "version": version,
        "fingerprint": plan.fingerprint,
        "source_path": source_path,
        "source_text": source_text,
        "changes": dumps([asdict(c) for c in changes]),
        "loaded_at": now,
    }
