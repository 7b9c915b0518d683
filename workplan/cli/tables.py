"""Turn results into terminal tables (aligned with Chinese text), JSON and CSV."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table

from workplan.plan.compiled import item_label
from workplan.rules.status import MetricStatus, TaskStatus


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


def _short(text: str, width: int) -> str:
    """Cut text to a display width, counting a Chinese character as two cells."""
    if cell_len(text) <= width:
        return text
    out = ""
    for char in text:
        if cell_len(out + char) > width - 1:
            break
        out += char
    return out + "…"


def _metric_row(label: str, m: MetricStatus) -> tuple[str, ...]:
    latest = (
        f"{number(m.value)}{m.unit} ({m.reported_on:%m-%d})"
        if m.value is not None and m.reported_on is not None
        else "no report"
    )
    if m.next_by is not None and m.next_target is not None:
        goal = f"{number(m.next_target)}{m.unit} by {m.next_by:%m-%d}"
    else:
        goal = "–"
    final = f"{number(m.final_target)}{m.unit}" if m.final_target is not None else "–"
    pace = "–"
    if m.expected is not None and m.pace_gap is not None:
        behind = f"{number(m.pace_gap)} behind" if m.pace_gap > 0 else "on pace"
        pace = f"{number(m.expected)}{m.unit} ({behind})"
    return (label, _short(m.title, 22), latest, goal, final, pace, m.state)


def status_table(rows: list[TaskStatus], title: str, console: Console) -> None:
    """Print one line per item, then one per metric; rich measures wide characters."""
    items = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    items.add_column("Item", no_wrap=True, min_width=10)
    items.add_column("Title", no_wrap=True, overflow="ellipsis")
    items.add_column("Lead", no_wrap=True, overflow="ellipsis")
    items.add_column("State", no_wrap=True, min_width=11)
    items.add_column("Done", no_wrap=True, min_width=5, justify="right")
    items.add_column("Next due", no_wrap=True, overflow="ellipsis")
    items.add_column("Overdue", no_wrap=True, min_width=9)
    for r in rows:
        nxt = (
            f"{r.next_due.deadline:%m-%d} {_short(r.next_due.title, 14)} "
            f"({_days(r.next_due.working_days)})"
            if r.next_due
            else "–"
        )
        oldest = r.overdue[0] if r.overdue else None
        levels = [o for o in r.overdue if o.level is not None]
        worst = max(levels, key=lambda o: o.level or 0).level_name if levels else None
        overdue = f"{len(r.overdue)} since {oldest.deadline:%m-%d}" if oldest else "–"
        if worst:
            overdue += f", {worst}"
        lead = _short("、".join(r.lead), 12)
        items.add_row(
            r.label, _short(r.title, 16), lead, r.state, f"{r.done}/{r.total}", nxt, overdue
        )
    console.print(items)
    metrics = Table(title="Metrics", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    metrics.add_column("Item", no_wrap=True, min_width=10)
    for name in ("Metric", "Latest", "Next checkpoint", "Target", "序时进度", "State"):
        metrics.add_column(name, no_wrap=True, overflow="ellipsis")
    for r in rows:
        for m in r.metrics:
            metrics.add_row(*_metric_row(r.label, m))
    if metrics.row_count:
        console.print(metrics)


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


RULE_WORDS = {
    "remind": "reminder",
    "warn": "warning",
    "overdue": "overdue",
    "pace": "behind pace",
    "report": "report due",
    "report-overdue": "report missing",
    "backlog": "before the plan",
}


def notice_detail(rule: str, facts: dict[str, Any]) -> str:
    """Say in a few English words why a notice is owed (the notice itself is in Chinese)."""
    if rule == "backlog":
        return (
            f"{facts.get('count')} occurrence(s) due before the plan took effect on "
            f"{facts.get('chase_from')}: shown, never chased"
        )
    unit = facts.get("unit") or ""
    value = facts.get("value")
    target = facts.get("target")
    measured = ""
    if target is not None:
        got = f"{number(value)}{unit}" if value is not None else "nothing reported"
        measured = f"{got} of {number(target)}{unit}"
        if value is not None and facts.get("shortfall") is not None and facts["shortfall"] > 0:
            measured += f", {number(facts['shortfall'])} short"
    if rule in ("remind", "warn"):
        left = facts.get("working_days")
        text = f"due {facts['deadline']} ({left} wd)"
        if rule == "warn":
            projected = facts.get("projected")
            trend = f", trend {number(projected)}{unit}" if projected is not None else ""
            text += f": {measured}{trend}"
        return text
    if rule == "overdue":
        text = f"due {facts['deadline']}, {facts.get('working_days_late')} wd late"
        return f"{text}: {measured}" if measured else text
    if rule == "pace":
        got = f"{number(value)}{unit}" if value is not None else "nothing reported"
        return f"{got} against 序时进度 {number(facts['expected'])}{unit} ({number(facts['gap'])} behind)"
    last = facts.get("reported_on")
    since = f"last report {last}" if last else "never reported"
    if rule == "report":
        return f"report for {facts['period']} due {facts['deadline']} ({facts.get('working_days')} wd); {since}"
    return f"no report for {facts['period']} ({facts.get('working_days_late')} wd late); {since}"


NOTICE_HEADER = ("date", "item", "department", "notice", "level", "rule", "about", "due", "detail")


def notice_rows(items: list[tuple[date, Any]]) -> list[tuple[Any, ...]]:
    """Flatten (day, intent) pairs into rows for tables, CSV and JSON."""
    rows = []
    for day, intent in items:
        facts = intent.facts
        rows.append(
            (
                day,
                intent.task,
                intent.department,
                intent.level_name,
                intent.level,
                intent.rule,
                facts.get("key") or facts.get("metric") or "",
                intent.due,
                notice_detail(intent.rule, facts),
            )
        )
    return rows


def notice_table(rows: list[tuple[Any, ...]], title: str, console: Console) -> None:
    """Print notices one line per obligation and level, with every department it goes to."""
    grouped: dict[tuple[Any, ...], list[str]] = {}
    for day, task, department, name, _level, _rule, about, _due, detail in rows:
        grouped.setdefault((day, task, name, about, detail), []).append(department)
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("Date", no_wrap=True)
    table.add_column("Item", no_wrap=True, min_width=10)
    table.add_column("Notice", no_wrap=True)
    table.add_column("About", no_wrap=True, overflow="ellipsis", max_width=28)
    table.add_column("To", min_width=14, max_width=30)
    table.add_column("Detail", min_width=24)
    for (day, task, name, about, detail), departments in grouped.items():
        table.add_row(f"{day:%m-%d}", item_label(task), name, about, "、".join(departments), detail)
    console.print(table)


def notice_json(rows: list[tuple[Any, ...]]) -> str:
    return dump_json([dict(zip(NOTICE_HEADER, row, strict=True)) for row in rows])


def simulation_summary(rows: list[tuple[Any, ...]], console: Console) -> None:
    """Print how many notices a replay produced, by month and level, and by department."""
    levels: list[str] = []
    by_month: dict[str, dict[str, int]] = {}
    by_department: dict[str, int] = {}
    for day, _task, department, name, *_ in rows:
        if name not in levels:
            levels.append(name)
        month = f"{day:%Y-%m}"
        by_month.setdefault(month, {})
        by_month[month][name] = by_month[month].get(name, 0) + 1
        by_department[department] = by_department.get(department, 0) + 1
    table = Table(
        title=f"{len(rows)} notices by month and level", title_justify="left", box=box.SIMPLE_HEAD
    )
    table.add_column("Month", no_wrap=True)
    for name in levels:
        table.add_column(name, justify="right", no_wrap=True)
    table.add_column("All", justify="right", no_wrap=True)
    for month, counts in sorted(by_month.items()):
        table.add_row(month, *(str(counts.get(n, "")) for n in levels), str(sum(counts.values())))
    console.print(table)
    busiest = sorted(by_department.items(), key=lambda kv: (-kv[1], kv[0]))
    table = Table(title="by department", title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("Department", no_wrap=True)
    table.add_column("Notices", justify="right")
    for department, count in busiest:
        table.add_row(department, str(count))
    console.print(table)


def letters_summary(letters: list[Any]) -> str:
    """Say how many messages a replay sends, and the most any one recipient gets in a day."""
    if not letters:
        return "0 messages"
    per_day: dict[tuple[Any, str], int] = {}
    for letter in letters:
        per_day[(letter.day, letter.recipient)] = per_day.get((letter.day, letter.recipient), 0) + 1
    (day, recipient), most = max(per_day.items(), key=lambda kv: (kv[1], kv[0][0]))
    days = len({d for d, _ in per_day})
    return (
        f"{len(letters)} messages on {days} days; at most {most} to one recipient on one day "
        f"({recipient}, {day})"
    )


def notices_table(rows: list[dict[str, Any]], title: str, console: Console) -> None:
    """Print the outbox, one notice a line: the letter's date and number (business time) and
    when it was actually sent (real time, UTC), which differ in a replay or a backfill."""
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for name in ("ID", "Item", "Department", "Notice", "About", "No.", "Dated", "Status"):
        table.add_column(name, no_wrap=True, overflow="ellipsis")
    table.add_column("Sent (real, UTC)", no_wrap=True)
    table.add_column("Error", overflow="fold", max_width=40)
    for r in rows:
        sent = r["sent_at"].strftime("%Y-%m-%d %H:%M") if r["sent_at"] else "–"
        status = r["status"] + (" (dup?)" if r["possible_duplicate"] else "")
        table.add_row(
            str(r["id"]),
            item_label(r["item"]),
            r["department"],
            r["notice"],
            _short(str(r["about"]), 28),
            r["number"] or "–",
            f"{r['dated']:%Y-%m-%d}",
            status,
            sent,
            r["error"] or "",
        )
    console.print(table)


def notice_record(record: Any) -> str:
    """Render one notice with its message, as the office's record shows it."""
    n = record.notice
    lines = [
        f"notice {n['id']}: {n['item']} {n['about']} — {n['notice']} to {n['department']}",
        (f"document {n['number']}, " if n["number"] else "")
        + f"dated {n['dated']:%Y-%m-%d}; status {n['status']} after {n['attempts']} attempt(s)"
        + (f", sent {n['sent_at']:%Y-%m-%d %H:%M} UTC (real time)" if n["sent_at"] else "")
        + (" (possibly a duplicate)" if n["possible_duplicate"] else ""),
    ]
    if n["error"]:
        lines.append(f"last error: {n['error']}")
    if record.text is None:
        lines.append("(no message composed yet)")
        return "\n".join(lines)
    lines += [
        "",
        f"Message-ID: {n['message_id']}",
        f"From: {record.sender}",
        f"To: {', '.join(record.recipients)}",
        f"Subject: {record.subject}",
        "",
        record.text,
    ]
    return "\n".join(lines)
