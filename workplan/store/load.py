"""Load a compiled plan into the store: all or nothing, idempotent, amendments keep progress.

Three steps: read what the store holds for the plan (a few bulk queries), diff it against the
compiled plan (pure), apply the difference (bulk writes) in the caller's transaction.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, insert, select, update

from workplan.plan.compiled import (
    CompiledPlan,
    MetricInfo,
    ObligationInfo,
    TaskInfo,
    digest,
    item_label,
)
from workplan.plan.policy import Rules
from workplan.store.changes import facts_changed
from workplan.store.db import bulk_insert, dumps, insert_rows
from workplan.store.events import with_recorded_events
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


@dataclass(frozen=True)
class Change:
    """One difference between the stored plan and the file, for the office to check."""

    what: str
    task: int | None = None
    key: str | None = None
    detail: str = ""

    def __str__(self) -> str:
        where = f" {item_label(self.task)}" if self.task is not None else ""
        key = f" {self.key}" if self.key else ""
        detail = f": {self.detail}" if self.detail else ""
        return f"{self.what}{where}{key}{detail}"


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


def _insert(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    """Insert rows given as dicts with the same keys, in bulk: by the driver's executemany on
    SQLite; on PostgreSQL a plan's few departments or owners go in one multi-row INSERT (one
    round trip, where a COPY takes several)."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        insert_rows(conn, table, rows)
        return
    columns = list(rows[0])
    bulk_insert(conn, table, columns, [tuple(r[c] for c in columns) for r in rows])


@lru_cache(maxsize=1024)
def rules_fingerprint(rules: Rules) -> str:
    """Return the digest that identifies a resolved policy (obligations share a few)."""
    return digest(rules)


def _owners(owners: tuple[str, ...], task_owners: tuple[str, ...]) -> str | None:
    """An obligation's own owners, or None when they are its task's."""
    return None if owners == task_owners else dumps(list(owners))


def _aliases(aliases: tuple[str, ...]) -> str | None:
    return dumps(list(aliases)) if aliases else None


@dataclass
class _Stored:
    plan: dict[str, Any]
    departments: dict[str, dict[str, Any]]
    tasks: dict[int, dict[str, Any]]
    metrics: dict[tuple[int, str], dict[str, Any]]
    obligations: dict[tuple[int, str], dict[str, Any]]


def _read(conn: Connection, plan_id: int, plan: dict[str, Any]) -> _Stored:
    def rows(table: Any) -> list[dict[str, Any]]:
        if table in (T_OBL, T_METRIC):
            # through the task: obligations and metrics are indexed by (task_id, key)
            query = select(table).join(T_TASK, T_TASK.c.id == table.c.task_id)
            return [
                dict(r._mapping) for r in conn.execute(query.where(T_TASK.c.plan_id == plan_id))
            ]
        return [
            dict(r._mapping) for r in conn.execute(select(table).where(table.c.plan_id == plan_id))
        ]

    tasks = {r["number"]: r for r in rows(T_TASK)}
    by_id = {r["id"]: n for n, r in tasks.items()}
    return _Stored(
        plan,
        {r["name"]: r for r in rows(T_DEPT)},
        tasks,
        {(by_id[r["task_id"]], r["key"]): r for r in rows(T_METRIC)},
        {(by_id[r["task_id"]], r["key"]): r for r in rows(T_OBL)},
    )


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def diff(stored: _Stored, plan: CompiledPlan) -> list[Change]:
    """Return what loading ``plan`` over ``stored`` changes, in a stable order."""
    out: list[Change] = []
    names = {d.name for d in plan.departments}
    for d in plan.departments:
        old = stored.departments.get(d.name)
        if old is None:
            out.append(Change("department added", detail=d.name))
        elif json.loads(old["emails"]) != list(d.emails) or old["head_email"] != d.head_email:
            out.append(Change("department changed", detail=d.name))
    out += [Change("department dropped", detail=n) for n in stored.departments if n not in names]
    numbers = {t.number for t in plan.tasks}
    for t in plan.tasks:
        old = stored.tasks.get(t.number)
        if old is None or not old["active"]:
            out.append(Change("task added", t.number, detail=t.title))
            continue
        for name, new in (
            ("title", t.title),
            ("lead", dumps(list(t.lead))),
            ("co", dumps(list(t.co))),
        ):
            if old[name] != new:
                out.append(Change(f"task {name} changed", t.number, detail=f"{old[name]} → {new}"))
        if old["text"] != t.text:
            out.append(Change("task text changed", t.number))
    out += [
        Change("task dropped", n, detail=r["title"])
        for n, r in stored.tasks.items()
        if n not in numbers and r["active"]
    ]
    # a metric's new target is said once, not again for each checkpoint that carries it
    moved: set[tuple[int, str | None, float | None, float | None]] = set()
    metric_keys = {(m.task, m.key) for m in plan.metrics}
    for m in plan.metrics:
        old = stored.metrics.get((m.task, m.key))
        if old is not None and old["active"] and old["target"] != m.target:
            moved.add((m.task, m.key, old["target"], m.target))
            out.append(
                Change("target changed", m.task, m.key, f"{_fmt(old['target'])} → {_fmt(m.target)}")
            )
        if old is not None and old["active"] and old["aliases"] != _aliases(m.aliases):
            out.append(Change("aliases changed", m.task, m.key, "、".join(m.aliases) or "none"))
    keys = {(o.task, o.key) for o in plan.obligations}
    renamed: set[tuple[int, str]] = set()
    for o in plan.obligations:
        old = stored.obligations.get((o.task, o.key))
        if old is None or not old["active"]:
            if o.task in stored.tasks and stored.tasks[o.task]["active"]:
                out.append(Change("obligation added", o.task, o.key, f"due {o.due}"))
            continue
        if old["aliases"] != _aliases(o.aliases) and (o.task, o.source) not in renamed:
            renamed.add((o.task, o.source))
            out.append(Change("aliases changed", o.task, o.source, "、".join(o.aliases) or "none"))
        if old["due"] != o.due:
            out.append(Change("date moved", o.task, o.key, f"{old['due']} → {o.due}"))
        if old["target"] != o.target and (o.task, o.metric, old["target"], o.target) not in moved:
            out.append(
                Change("target changed", o.task, o.key, f"{_fmt(old['target'])} → {_fmt(o.target)}")
            )
    out += [
        Change("obligation dropped", task, key, f"was due {r['due']}")
        for (task, key), r in stored.obligations.items()
        if (task, key) not in keys and r["active"] and task in numbers
    ]
    out += [
        Change("metric dropped", task, key)
        for (task, key), r in stored.metrics.items()
        if (task, key) not in metric_keys and r["active"] and task in numbers
    ]
    return out


def _plan_values(plan: CompiledPlan, now: datetime) -> dict[str, Any]:
    return {
        "key": plan.id,
        "title": plan.title,
        "year": plan.year,
        "issued": plan.issued,
        "timezone": plan.timezone,
        "locale": plan.locale,
        "office": plan.office,
        "settings": dumps(plan.settings.to_json()),
        "fingerprint": plan.fingerprint,
        "loaded_at": now,
    }


def _department_values(plan_id: int, d: Any) -> dict[str, Any]:
    return {
        "plan_id": plan_id,
        "name": d.name,
        "emails": dumps(list(d.emails)),
        "head_name": d.head_name,
        "head_email": d.head_email,
        "aliases": dumps(list(d.aliases)),
        "robots": dumps(list(d.robots)),
    }


def _task_values(t: TaskInfo) -> dict[str, Any]:
    return {
        "number": t.number,
        "chapter": t.chapter,
        "chapter_title": t.chapter_title,
        "title": t.title,
        "text": t.text,
        "lead": dumps(list(t.lead)),
        "co": dumps(list(t.co)),
        "active": True,
    }


def _metric_values(m: MetricInfo, task: TaskInfo, rules_id: int) -> dict[str, Any]:
    return {
        "key": m.key,
        "title": m.title,
        "unit": m.unit,
        "direction": m.direction,
        "cumulative": m.cumulative,
        "baseline": m.baseline,
        "target": m.target,
        "target_by": m.target_by,
        "pace_start": m.pace_start,
        "pace_until": m.pace_until,
        "pace_tolerance": m.pace_tolerance,
        "report": m.report,
        "owners": _owners(m.owners, task.owners),
        "rules_id": rules_id,
        "active": True,
        "aliases": _aliases(m.aliases),
        "part": m.part,
        "part_of": m.part_of,
    }


def _obligation_values(o: ObligationInfo, task: TaskInfo, rules_id: int) -> dict[str, Any]:
    return {
        "key": o.key,
        "kind": o.kind,
        "source": o.source,
        "title": o.title,
        "opens": o.opens,
        "due": o.due,
        "target": o.target,
        "owners": _owners(o.owners, task.owners),
        "rules_id": rules_id,
        "active": True,
        "aliases": _aliases(o.aliases),
    }


class _Fingerprints:
    """A policy's digest, by the policy object: a plan's obligations share a few of them."""

    def __init__(self) -> None:
        self._known: dict[int, str] = {}

    def __call__(self, rules: Rules) -> str:
        found = self._known.get(id(rules))
        if found is None:
            found = self._known[id(rules)] = rules_fingerprint(rules)
        return found


class _Apply:
    """Write the compiled plan over what is stored, in bulk."""

    def __init__(self, conn: Connection, plan: CompiledPlan, plan_id: int, stored: _Stored) -> None:
        self.conn = conn
        self.plan = plan
        self.plan_id = plan_id
        self.stored = stored
        self.tasks = {t.number: t for t in plan.tasks}
        self.fingerprint = _Fingerprints()

    def run(self) -> None:
        self.departments()
        task_ids = self.write_tasks()
        rules_ids = self.write_rules()
        metric_ids = self.write_metrics(task_ids, rules_ids)
        self.write_obligations(task_ids, rules_ids, metric_ids)

    def departments(self) -> None:
        conn, table = self.conn, T_DEPT
        new = {d.name: d for d in self.plan.departments}
        for name in self.stored.departments:
            if name not in new:
                conn.execute(
                    table.delete().where(table.c.plan_id == self.plan_id, table.c.name == name)
                )
        inserts, updates = [], []
        for d in self.plan.departments:
            values = _department_values(self.plan_id, d)
            old = self.stored.departments.get(d.name)
            if old is None:
                inserts.append(values)
            elif any(old[k] != v for k, v in values.items()):
                updates.append((old["id"], values))
        _insert(conn, table, inserts)
        for row_id, values in updates:
            conn.execute(update(table).where(table.c.id == row_id).values(**values))

    def write_tasks(self) -> dict[int, int]:
        conn = self.conn
        inserts = []
        for t in self.plan.tasks:
            values = _task_values(t)
            old = self.stored.tasks.get(t.number)
            if old is None:
                inserts.append({"plan_id": self.plan_id, **values})
            elif any(old[k] != v for k, v in values.items()):
                conn.execute(update(T_TASK).where(T_TASK.c.id == old["id"]).values(**values))
        for number, old in self.stored.tasks.items():
            if number not in self.tasks and old["active"]:
                conn.execute(update(T_TASK).where(T_TASK.c.id == old["id"]).values(active=False))
        _insert(conn, T_TASK, inserts)
        query = select(T_TASK.c.id, T_TASK.c.number).where(T_TASK.c.plan_id == self.plan_id)
        ids = {r.number: r.id for r in conn.execute(query)}
        changed = [n for n in self.tasks if n not in self.stored.tasks or self._owners_moved(n)]
        moved = [ids[n] for n in changed if n in self.stored.tasks]
        if moved:
            conn.execute(T_OWNER.delete().where(T_OWNER.c.task_id.in_(moved)))
        _insert(
            conn,
            T_OWNER,
            [
                {"task_id": ids[n], "department": name, "role": role}
                for n in changed
                for role, names in (("lead", self.tasks[n].lead), ("co", self.tasks[n].co))
                for name in names
            ],
        )
        return ids

    def _owners_moved(self, number: int) -> bool:
        old, new = self.stored.tasks[number], self.tasks[number]
        return bool(old["lead"] != dumps(list(new.lead)) or old["co"] != dumps(list(new.co)))

    def write_rules(self) -> dict[str, int]:
        conn = self.conn
        wanted: dict[str, Rules] = {}
        for rules in [
            *(m.rules for m in self.plan.metrics),
            *(o.rules for o in self.plan.obligations),
            *(t.rules for t in self.plan.settings.triggers),
        ]:
            wanted.setdefault(self.fingerprint(rules), rules)
        query = select(T_RULES.c.fingerprint, T_RULES.c.id).where(T_RULES.c.plan_id == self.plan_id)
        have = {r.fingerprint: r.id for r in conn.execute(query)} if self.stored.tasks else {}
        missing = [
            {"plan_id": self.plan_id, "fingerprint": f, "body": dumps(asdict(r))}
            for f, r in wanted.items()
            if f not in have
        ]
        if missing:
            _insert(conn, T_RULES, missing)
            have = {r.fingerprint: r.id for r in conn.execute(query)}
        return have

    def write_metrics(
        self, task_ids: dict[int, int], rules_ids: dict[str, int]
    ) -> dict[tuple[int, str], int]:
        conn = self.conn
        inserts = []
        keys = set()
        for m in self.plan.metrics:
            keys.add((m.task, m.key))
            values = _metric_values(m, self.tasks[m.task], rules_ids[self.fingerprint(m.rules)])
            old = self.stored.metrics.get((m.task, m.key))
            if old is None:
                inserts.append({"plan_id": self.plan_id, "task_id": task_ids[m.task], **values})
            elif any(old[k] != v for k, v in values.items()):
                conn.execute(update(T_METRIC).where(T_METRIC.c.id == old["id"]).values(**values))
        for key, old in self.stored.metrics.items():
            if key not in keys and old["active"]:
                conn.execute(
                    update(T_METRIC).where(T_METRIC.c.id == old["id"]).values(active=False)
                )
        _insert(conn, T_METRIC, inserts)
        by_task = {v: k for k, v in task_ids.items()}
        query = select(T_METRIC.c.id, T_METRIC.c.task_id, T_METRIC.c.key).where(
            T_METRIC.c.plan_id == self.plan_id
        )
        return {(by_task[r.task_id], r.key): r.id for r in conn.execute(query)}

    def write_obligations(
        self,
        task_ids: dict[int, int],
        rules_ids: dict[str, int],
        metric_ids: dict[tuple[int, str], int],
    ) -> None:
        conn = self.conn
        inserts: list[tuple[Any, ...]] = []
        keys = set()
        for o in self.plan.obligations:
            keys.add((o.task, o.key))
            task = self.tasks[o.task]
            rules_id = rules_ids[self.fingerprint(o.rules)]
            metric_id = metric_ids[(o.task, o.metric)] if o.metric else None
            benchmark_id = metric_ids[(o.task, o.benchmark)] if o.benchmark else None
            old = self.stored.obligations.get((o.task, o.key))
            if old is None:
                inserts.append(
                    obligation_row(
                        self.plan_id,
                        task_ids[o.task],
                        o,
                        task.owners,
                        rules_id,
                        metric_id,
                        benchmark_id,
                    )
                )
                continue
            values = _obligation_values(o, task, rules_id)
            values["metric_id"] = metric_id
            values["benchmark_id"] = benchmark_id
            extended = old["deadline"] != old["due"]
            values["deadline"] = max(old["deadline"], o.due) if extended else o.due
            if any(old[k] != v for k, v in values.items()):
                conn.execute(update(T_OBL).where(T_OBL.c.id == old["id"]).values(**values))
        dropped = [
            old["id"]
            for key, old in self.stored.obligations.items()
            if key not in keys and old["active"]
        ]
        if dropped:
            conn.execute(update(T_OBL).where(T_OBL.c.id.in_(dropped)).values(active=False))
        bulk_insert(conn, T_OBL, OBLIGATION_COLUMNS, inserts)


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
            [{"version": 1, **_plan_values(s.plan, now)} for s in new],
            ("key", "id"),
        )
    )
    insert_rows(
        conn,
        T_VERSION,
        [
            _version_values(
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
        [_department_values(plan_ids[s.plan.id], d) for s in new for d in s.plan.departments],
    )
    returned = insert_rows(
        conn,
        T_TASK,
        [{"plan_id": plan_ids[s.plan.id], **_task_values(t)} for s in new for t in s.plan.tasks],
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
    fingerprint = _Fingerprints()
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
            {"plan_id": pid, "fingerprint": f, "body": dumps(asdict(r))}
            for (pid, f), r in wanted.items()
        ],
        ("plan_id", "fingerprint", "id"),
    )
    rules_ids = {(pid, f): rid for pid, f, rid in returned}
    metrics = []
    for s in new:
        pid, tasks = plan_ids[s.plan.id], {t.number: t for t in s.plan.tasks}
        for m in s.plan.metrics:
            values = _metric_values(m, tasks[m.task], rules_ids[pid, fingerprint(m.rules)])
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


def obligation_row(
    plan_id: int,
    task_id: int,
    o: ObligationInfo,
    task_owners: tuple[str, ...],
    rules_id: int,
    metric_id: int | None,
    benchmark_id: int | None = None,
) -> tuple[Any, ...]:
    """An obligation as a new row, in the order of :data:`OBLIGATION_COLUMNS`."""
    return (
        plan_id,
        task_id,
        o.key,
        o.kind,
        o.source,
        o.title,
        o.opens,
        o.due,
        o.due,
        metric_id,
        o.target,
        _owners(o.owners, task_owners),
        rules_id,
        True,
        _aliases(o.aliases),
        benchmark_id,
    )


OBLIGATION_COLUMNS = [
    "plan_id",
    "task_id",
    "key",
    "kind",
    "source",
    "title",
    "opens",
    "due",
    "deadline",
    "metric_id",
    "target",
    "owners",
    "rules_id",
    "active",
    "aliases",
    "benchmark_id",
]


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
    stored = _read(conn, plan_row["id"], plan_row)
    plan = with_recorded_events(conn, plan_row["id"], plan)
    changes = diff(stored, plan)
    if not changes:
        before, after = json.loads(plan_row["settings"]), plan.settings.to_json()
        keys = sorted(k for k in {*before, *after} if before.get(k) != after.get(k))
        said = ", ".join(keys) if keys else "how this version of workplan records the plan"
        changes = [Change("settings changed", detail=said)]
    version = plan_row["version"] + 1
    result = LoadResult(plan.id, version, False, False, changes, **counts)
    if dry_run:
        return result
    _Apply(conn, plan, plan_row["id"], stored).run()
    conn.execute(
        update(T_PLAN)
        .where(T_PLAN.c.id == plan_row["id"])
        .values(version=version, **_plan_values(plan, now))
    )
    facts_changed(conn, [plan_row["id"]])
    values = _version_values(plan_row["id"], version, plan, source_path, source_text, changes, now)
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


def _version_values(
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
