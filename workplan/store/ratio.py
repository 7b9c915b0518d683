"""Ratio metrics: the % derived from two parts reported on their own (支出 ÷ 下达).

Each part keeps its own history (progress rows of the part's metric).  The ratio's own rows
are derived: on each day a part was reported, the latest numerator over the latest
denominator as of that day, so every rule that reads a metric's value reads the derived %.
A day with only one part reported has no %; a denominator of 0 gives a row without a value
that says why.  The derived rows are rewritten whenever a part changes (they are never
reports: a value cannot be recorded on a ratio directly).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from workplan.store.parts import ZERO_BASE, Parts, parts_note, parts_of, percent, ratio_text
from workplan.store.tables import T_METRIC, T_PROGRESS, counted


def part_rows(conn: Connection, ratio: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Return a ratio metric's parts by kind ('numerator', 'denominator'), as metric rows."""
    m = T_METRIC
    rows = conn.execute(
        select(m).where(m.c.task_id == ratio["task_id"], m.c.part_of == ratio["key"])
    ).mappings()
    return {r["part"]: dict(r) for r in rows if r["part"] in ("numerator", "denominator")}


def derive(conn: Connection, ratio: dict[str, Any], now: datetime) -> None:
    """Rewrite a ratio metric's derived rows from its parts' histories."""
    parts = part_rows(conn, ratio)
    p = T_PROGRESS
    history: dict[str, list[Any]] = {}
    for kind, part in parts.items():
        history[kind] = list(
            conn.execute(
                select(p.c.as_of, p.c.value, p.c.department)
                .where(p.c.metric_id == part["id"], p.c.value.is_not(None))
                .where(p.c.replaced_by.is_(None), counted(p))
                .order_by(p.c.as_of, p.c.id)
            )
        )
    derived = p.c.note.like("= %")  # a note in words on the ratio stays
    conn.execute(delete(p).where(p.c.metric_id == ratio["id"], derived))
    days = sorted({r.as_of for rows in history.values() for r in rows})
    rows = []
    for day in days:
        latest = {k: [r for r in v if r.as_of <= day] for k, v in history.items()}
        num, den = latest.get("numerator"), latest.get("denominator")
        if not num or not den:
            continue  # one part only: no % (the metric stays unreported)
        n, d = num[-1], den[-1]
        by = n.department if n.as_of >= d.as_of else d.department
        value = percent(n.value, d.value) if d.value else None
        unit = parts["numerator"]["unit"]
        note = parts_note(Parts(n.value, d.value, unit)) + ("" if d.value else f"; {ZERO_BASE}")
        rows.append(
            {
                "plan_id": ratio["plan_id"],
                "task_id": ratio["task_id"],
                "metric_id": ratio["id"],
                "value": value,
                "as_of": day,
                "department": by,
                "note": note,
                "recorded_at": now,
            }
        )
    if rows:
        conn.execute(insert(p), rows)


def as_of(conn: Connection, ratio: dict[str, Any], day: Any) -> str:
    """What a ratio stands at on ``day``: 'x / y = z%', or which part is missing."""
    p = T_PROGRESS
    parts = part_rows(conn, ratio)
    row = conn.execute(
        select(p.c.note)
        .where(p.c.metric_id == ratio["id"], p.c.as_of <= day, p.c.note.like("= %"))
        .order_by(p.c.as_of.desc(), p.c.id.desc())
        .limit(1)
    ).first()
    found = parts_of(row.note) if row else None
    if found is None:
        return "no %: " + " and ".join(
            f"{r['title']} not reported" for r in parts.values() if not _reported(conn, r, day)
        )
    return ratio_text(found)


def _reported(conn: Connection, part: dict[str, Any], day: Any) -> bool:
    p = T_PROGRESS
    found = conn.execute(
        select(p.c.id)
        .where(p.c.metric_id == part["id"], p.c.as_of <= day, p.c.value.is_not(None), counted(p))
        .limit(1)
    ).first()
    return found is not None
