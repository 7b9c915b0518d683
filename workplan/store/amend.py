"""Amend a stored plan: write the compiled plan over what is stored, in bulk, keeping the
rows (and so the progress, notices and events) of what it still holds."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select, update

from workplan.plan.compiled import CompiledPlan
from workplan.plan.policy import Rules, rules_to_dict
from workplan.store.db import bulk_insert, dumps, insert_rows
from workplan.store.diff import Stored
from workplan.store.rows import (
    OBLIGATION_COLUMNS,
    Fingerprints,
    department_values,
    metric_values,
    obligation_row,
    obligation_values,
    task_values,
)
from workplan.store.tables import T_DEPT, T_METRIC, T_OBL, T_OWNER, T_RULES, T_TASK


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


class Amend:
    """Write the compiled plan over what is stored, in bulk."""

    def __init__(self, conn: Connection, plan: CompiledPlan, plan_id: int, stored: Stored) -> None:
        self.conn = conn
        self.plan = plan
        self.plan_id = plan_id
        self.stored = stored
        self.tasks = {t.number: t for t in plan.tasks}
        self.fingerprint = Fingerprints()

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
            values = department_values(self.plan_id, d)
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
            values = task_values(t)
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
            {"plan_id": self.plan_id, "fingerprint": f, "body": dumps(rules_to_dict(r))}
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
            values = metric_values(m, self.tasks[m.task], rules_ids[self.fingerprint(m.rules)])
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
            values = obligation_values(o, task, rules_id)
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
