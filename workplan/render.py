"""Turn results into terminal tables (aligned with Chinese text), JSON and CSV."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from rich.console import Console
from rich.table import Table

from workplan.status import MetricStatus, TaskStatus


def to_jsonable(value: Any) -> Any:
    """Convert dataclasses, dates and tuples into JSON-ready values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def dump_json(value: Any) -> str:
    return json.dumps(to_jsonable(value), ensure_ascii=False, indent=2)


def dump_csv(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([["" if v is None else to_jsonable(v) for v in row] for row in rows])
    return out.getvalue()


def number(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _days(n: int) -> str:
    if n == 0:
        return "today"
    return f"{n} wd" if n > 0 else f"{-n} wd late"


def _metric_line(m: MetricStatus) -> str:
    unit = m.unit
    value = f"{number(m.value)}{unit}" if m.value is not None else "no report"
    if m.next_by is not None and m.next_target is not None:
        goal = f"{number(m.next_target)}{unit} by {m.next_by:%m-%d}"
    elif m.final_target is not None:
        goal = f"target {number(m.final_target)}{unit}"
    else:
        goal = ""
    return f"{m.title}: {value} / {goal} [{m.state}]"


def status_table(rows: list[TaskStatus], title: str, console: Console) -> None:
    """Print the status as a table; rich measures wide characters so columns stay aligned."""
    table = Table(title=title, show_lines=True, expand=False)
    table.add_column("Item", no_wrap=True)
    table.add_column("Title", max_width=24)
    table.add_column("Lead", max_width=14)
    table.add_column("State", no_wrap=True)
    table.add_column("Next due", max_width=30)
    table.add_column("Overdue", max_width=30)
    table.add_column("Metrics", max_width=44)
    for r in rows:
        nxt = (
            f"{r.next_due.deadline:%m-%d} {r.next_due.title} ({_days(r.next_due.working_days)})"
            if r.next_due
            else "–"
        )
        overdue = "\n".join(
            f"{o.deadline:%m-%d} {o.title} ({_days(o.working_days)})" for o in r.overdue[:3]
        )
        if len(r.overdue) > 3:
            overdue += f"\n… {len(r.overdue) - 3} more"
        table.add_row(
            r.label,
            r.title,
            "、".join(r.lead),
            r.state,
            nxt,
            overdue or "–",
            "\n".join(_metric_line(m) for m in r.metrics) or "–",
        )
    console.print(table)


STATUS_CSV_HEADER = (
    "item",
    "title",
    "lead",
    "co",
    "state",
    "next_due_key",
    "next_due_date",
    "working_days_left",
    "overdue_count",
    "overdue_keys",
    "done",
    "total",
)


def status_csv(rows: list[TaskStatus]) -> str:
    return dump_csv(
        STATUS_CSV_HEADER,
        [
            (
                r.number,
                r.title,
                "、".join(r.lead),
                "、".join(r.co),
                r.state,
                r.next_due.key if r.next_due else None,
                r.next_due.deadline if r.next_due else None,
                r.next_due.working_days if r.next_due else None,
                len(r.overdue),
                " ".join(o.key for o in r.overdue),
                r.done,
                r.total,
            )
            for r in rows
        ],
    )
