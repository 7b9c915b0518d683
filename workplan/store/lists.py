"""A list a plan item creates during the year (三张清单, 一户一策, 整改清单), read from its .xlsx
and assigned entry by entry: each row a 交办件 tied to that item, with its owner and 时限.

The sheet's first row names the columns; ``事项`` (or 问题/任务/内容), ``牵头单位`` and
``完成时限`` are needed, ``责任单位`` (配合单位) and ``文件`` (依据) are read when present.  Every
problem is reported at once, with its row and column, and nothing is assigned then.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from workplan.errors import InvalidInput, NotFound, Problem, Refused, Unreadable
from workplan.i18n import L_
from workplan.store import refs
from workplan.store.assign import Assigned, Order, assign
from workplan.store.cells import read_day, text_of
from workplan.store.cycle import Actor

COLUMNS: dict[str, tuple[str, ...]] = {
    "title": ("事项", "问题", "任务", "内容", "清单事项", "整改问题"),
    "lead": ("牵头单位", "责任单位（牵头）", "牵头"),
    "co": ("责任单位", "配合单位"),
    "due": ("完成时限", "时限", "整改时限"),
    "document": ("文件", "依据", "来源"),
}
NEEDED = ("title", "lead", "due")


def _names(value: Any) -> tuple[str, ...]:
    text = text_of(value) or ""
    for sep in ("，", ",", "；", ";", "/", " "):
        text = text.replace(sep, "、")
    return tuple(n for n in (p.strip() for p in text.split("、")) if n)


def read_list(path: Path) -> tuple[list[tuple[int, dict[str, Any]]], list[Problem]]:
    """The list's rows as (row number, cells by field), and the problems of its header."""
    from openpyxl import load_workbook

    sheet = load_workbook(path, read_only=True, data_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    name = path.name
    header_at = next(
        (i for i, r in enumerate(rows) if any(text_of(c) in COLUMNS["title"] for c in r)), None
    )
    if header_at is None:
        wanted = L_("no column named {names}: is this the list?", names=COLUMNS["title"][:3])
        return [], [Problem(name, 1, 1, "事项", wanted)]
    header = [text_of(c) or "" for c in rows[header_at]]
    where: dict[str, int] = {}
    for field, names in COLUMNS.items():
        for i, h in enumerate(header):
            if h in names and i not in where.values():
                where[field] = i
                break
    problems = [
        Problem(name, header_at + 1, 1, field, L_("no column {name}", name=COLUMNS[field][0]))
        for field in NEEDED
        if field not in where
    ]
    out = []
    for n, row in enumerate(rows[header_at + 1 :], start=header_at + 2):
        cells = {f: row[i] if i < len(row) else None for f, i in where.items()}
        if all(text_of(v) is None for v in cells.values()):
            continue
        out.append((n, cells))
    return out, problems


def _orders(path: Path, item: str) -> list[Order]:
    rows, problems = read_list(path)
    orders = []
    for n, cells in rows:
        title, lead = text_of(cells.get("title")), _names(cells.get("lead"))
        due: date | None = None
        if not title:
            problems.append(Problem(path.name, n, 1, "事项", L_("the entry has no text")))
        if not lead:
            problems.append(
                Problem(path.name, n, 1, "牵头单位", L_("the entry names no lead department"))
            )
        try:
            due = read_day(cells.get("due"))
        except Unreadable as wrong:
            problems.append(Problem(path.name, n, 1, "完成时限", wrong.message))
        if problems:
            continue
        orders.append(
            Order(
                str(title),
                "清单条目",
                lead,
                tuple(d for d in _names(cells.get("co")) if d not in lead),
                due,
                document=text_of(cells.get("document")),
                list_of=item,
            )
        )
    if problems:
        raise InvalidInput(problems)
    if not orders:
        raise Refused(L_("{file} has no entries", file=path.name))
    return orders


def import_list(
    conn: Connection,
    plan_key: str | None,
    path: Path,
    item: str,
    actor: Actor,
    *,
    today: date,
    now: datetime,
) -> list[Assigned]:
    """Assign every entry of the list at ``path`` as a 交办件 of plan item ``item`` (all
    or nothing: a department unknown or a date gone is said with its row)."""
    plan = refs.find_plan(conn, plan_key)
    refs.find_task(conn, plan, item)
    made = []
    problems = []
    for n, order in enumerate(_orders(path, item), start=1):
        try:
            made.append(assign(conn, plan_key, order, actor, today=today, now=now))
        except (NotFound, Refused) as wrong:
            problems.append(Problem(path.name, n + 1, 1, wrong.field or "", str(wrong)))
    if problems:
        raise InvalidInput(problems)
    return made
