"""A compiled plan as rows: the values each table gets for a plan, its departments, tasks,
metrics and obligations, and the digest that identifies a policy."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any

from workplan.plan.compiled import CompiledPlan, MetricInfo, ObligationInfo, TaskInfo, digest
from workplan.plan.policy import Rules, rules_to_dict
from workplan.store.db import dumps


@lru_cache(maxsize=1024)
def rules_fingerprint(rules: Rules) -> str:
    """Return the digest that identifies a resolved policy (obligations share a few)."""
    return digest(rules_to_dict(rules))


def _owners(owners: tuple[str, ...], task_owners: tuple[str, ...]) -> str | None:
    """An obligation's own owners, or None when they are its task's."""
    return None if owners == task_owners else dumps(list(owners))


def aliases_json(aliases: tuple[str, ...]) -> str | None:
    return dumps(list(aliases)) if aliases else None


class Fingerprints:
    """A policy's digest, by the policy object: a plan's obligations share a few of them."""

    def __init__(self) -> None:
        self._known: dict[int, str] = {}

    def __call__(self, rules: Rules) -> str:
        found = self._known.get(id(rules))
        if found is None:
            found = self._known[id(rules)] = rules_fingerprint(rules)
        return found


def plan_values(plan: CompiledPlan, now: datetime) -> dict[str, Any]:
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


def department_values(plan_id: int, d: Any) -> dict[str, Any]:
    return {
        "plan_id": plan_id,
        "name": d.name,
        "emails": dumps(list(d.emails)),
        "head_name": d.head_name,
        "head_email": d.head_email,
        "aliases": dumps(list(d.aliases)),
        "robots": dumps(list(d.robots)),
    }


def task_values(t: TaskInfo) -> dict[str, Any]:
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


def metric_values(m: MetricInfo, task: TaskInfo, rules_id: int) -> dict[str, Any]:
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
        "aliases": aliases_json(m.aliases),
        "part": m.part,
        "part_of": m.part_of,
    }


def obligation_values(o: ObligationInfo, task: TaskInfo, rules_id: int) -> dict[str, Any]:
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
        "aliases": aliases_json(o.aliases),
    }


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
        aliases_json(o.aliases),
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
