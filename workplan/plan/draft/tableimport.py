"""`workplan plan import`: read a 任务分解表 (.xlsx) into plan data, from the table `plan export`
writes or from the office's own (a merged title row, item cells merged over their rows, headers
named as offices name them), every problem as ``分解表.xlsx:Sheet1:12:F: 完成时限 “六月中” …``."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

from workplan.errors import InvalidInput, Problem
from workplan.i18n import L_
from workplan.plan.draft.pending import PENDING
from workplan.plan.draft.table import KINDS, Row, item_number, read_points, read_when

BASE_SHEET = "_workplan"
_COLUMNS = {
    "序号": ("序号", "编号序号"),
    "重点任务": ("重点任务", "主要任务", "任务", "工作任务", "重点工作"),
    "具体工作": ("具体工作", "工作内容", "具体措施", "具体任务", "工作措施"),
    "牵头单位": ("牵头单位", "牵头部门", "牵头领导单位"),
    "责任单位": ("责任单位", "配合单位", "责任部门", "协同单位"),
    "完成时限": ("完成时限", "时间节点", "完成时间", "时限要求"),
    "节点目标": ("节点目标", "阶段目标", "目标"),
    "备注": ("备注",),
    "编号": ("编号",),
}
_SPLIT = re.compile(r"[、，,；;\s]+")
_CHAPTER = re.compile(r"^[一二三四五六七八九十]+、")


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _names(text: str) -> list[str]:
    return [n for n in _SPLIT.split(text) if n and n != "等"]


def read_rows(path: Path) -> tuple[list[Row], tuple[str, str] | None, str, list[Problem]]:
    """Read the table's rows, the plan kept in it with its path (if `plan export` wrote it), and
    its title."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(path)
    except (InvalidFileException, OSError, KeyError, ValueError) as exc:
        raise InvalidInput(
            [
                Problem(
                    str(path),
                    0,
                    0,
                    "",
                    L_("not an Excel workbook (.xlsx): {reason}", reason=str(exc)),
                )
            ]
        ) from None
    base = None
    if BASE_SHEET in book.sheetnames:
        kept = list(book[BASE_SHEET].iter_rows(values_only=True))
        lines = (str(r[0]) if r[0] is not None else "" for r in kept)
        base = ("\n".join(lines) + "\n", _text(kept[0][1]) if kept and len(kept[0]) > 1 else "")
    sheet = next(
        book[n] for n in book.sheetnames if n != BASE_SHEET and book[n].sheet_state == "visible"
    )
    grid = [[_text(c) for c in row] for row in sheet.iter_rows(values_only=True)]
    for merged in sheet.merged_cells.ranges:  # a merged cell's value stands in all its cells
        value = grid[merged.min_row - 1][merged.min_col - 1]
        for r in range(merged.min_row, merged.max_row + 1):
            for c in range(merged.min_col, merged.max_col + 1):
                grid[r - 1][c - 1] = value
    known = {word for words in _COLUMNS.values() for word in words}
    header_at = next(
        (i for i, row in enumerate(grid) if sum(re.sub(r"\s+", "", c) in known for c in row) >= 3),
        None,
    )
    if header_at is None:
        raise InvalidInput(
            [
                Problem(
                    f"{path}:{sheet.title}",
                    0,
                    0,
                    "",
                    L_("no header row (序号, 重点任务, 具体工作, 牵头单位, 责任单位, 完成时限 …)"),
                )
            ]
        )
    title = next((row[0] for row in grid[:header_at] if row and row[0]), "")
    columns: dict[str, int] = {}
    for i, cell in enumerate(grid[header_at]):
        name = re.sub(r"\s+", "", cell)
        for key, words in _COLUMNS.items():
            if name in words and key not in columns:
                columns[key] = i
    letters = {k: chr(ord("A") + i) for k, i in columns.items()}
    rows: list[Row] = []
    problems: list[Problem] = []
    item: int | None = None
    item_title = chapter = ""
    for n, row in enumerate(grid[header_at + 1 :], header_at + 2):
        values: dict[str, str] = {k: row[i] if i < len(row) else "" for k, i in columns.items()}
        if not any(values.values()):
            continue
        filled = {v for v in values.values() if v}
        if len(filled) == 1 and _CHAPTER.match(next(iter(filled))):
            chapter = _CHAPTER.sub("", next(iter(filled)))  # a chapter's row, merged across
            continue
        written = values.get("序号", "")
        if written or values.get("重点任务", "") != item_title:
            item = item_number(written) if written else None
            if written and item is None:
                problems.append(
                    Problem(
                        f"{path}:{sheet.title}:{n}:{letters['序号']}",
                        0,
                        0,
                        "",
                        L_("序号 “{written}” is no item number", written=written),
                    )
                )
            item_title = values.get("重点任务", "")
        rows.append(
            Row(
                f"{path}:{sheet.title}:{n}",
                item,
                item_title,
                values.get("具体工作", ""),
                _names(values.get("牵头单位", "")),
                _names(values.get("责任单位", "")),
                values.get("完成时限", ""),
                values.get("节点目标", ""),
                values.get("备注", ""),
                values.get("编号", ""),
                letters,
                chapter,
            )
        )
    return rows, base, title, problems


def _problem(row: Row, column: str, message: str) -> Problem:
    """分解表.xlsx:Sheet1:12:F: 完成时限 “六月中” …"""
    return Problem(f"{row.where}:{row.cells.get(column, '?')}", 0, 0, "", message)


def _kind(row: Row) -> str:
    if row.points:
        return "metrics"
    if row.when.startswith("常态化"):
        return "standing"
    if row.when.startswith("事件发生后"):
        return "triggered"
    if row.when.startswith(("每", "按规则", "双月")):
        return "recurring"
    return "deliverables"


def build(
    rows: list[Row], base: dict[str, Any] | None, title: str, year: int | None
) -> tuple[dict[str, Any], list[Problem]]:
    """Return plan data from the table's rows over ``base`` (the plan it was exported from, or
    the loaded plan), and every problem of the rows."""
    problems: list[Problem] = []
    if base is not None:
        data = copy.deepcopy(base)
    else:
        plan_title = re.sub(r"任务分解表$", "", title) or PENDING
        found = re.search(r"(20\d\d)年", plan_title)
        year = year or (int(found[1]) if found else None)
        data = {
            "id": f"plan-{year}" if year else "plan",
            "title": plan_title,
            "year": year or PENDING,
        }
        data |= {"office": PENDING, "chapters": []}
    year = int(data["year"]) if str(data.get("year", "")).isdigit() else 2000
    tasks = {t["number"]: t for c in data["chapters"] for t in c["tasks"]}
    olds = {
        f"{t['number']}/{o['id']}": (kind, o)
        for t in tasks.values()
        for kind in KINDS
        for o in t.get(kind, [])
    }
    fresh: dict[int, dict[str, list[Any]]] = {}
    owners: dict[int, list[tuple[list[str], list[str], dict[str, Any] | None]]] = {}
    for row in rows:
        number = row.item
        if number is None:
            problems.append(_problem(row, "序号", "no item number for this row (序号)"))
            continue
        if number not in tasks:
            task = {
                "number": number,
                "title": row.item_title or PENDING,
                "text": row.item_title,
                "lead": [],
            }
            tasks[number] = task
            chapters = data["chapters"]
            if not chapters or (row.chapter and chapters[-1]["title"] != row.chapter):
                title = row.chapter or data["title"]
                chapters.append({"number": len(chapters) + 1, "title": title, "tasks": []})
            chapters[-1]["tasks"].append(task)
        lists = fresh.setdefault(number, {k: [] for k in KINDS})
        if not row.work:
            owners.setdefault(number, []).append((row.lead, row.co, None))
            continue
        kind, old = olds.get(row.key, (_kind(row), None))
        o: dict[str, Any] = (
            copy.deepcopy(old)
            if old
            else {
                "id": f"{kind.rstrip('s').replace('deliverable', 'result')}-{len(lists[kind]) + 1}"
            }
        )
        o["title"] = row.work
        for key in ("due", "by", "every", "day", "rrule", "review", "within", "from", "until"):
            o.pop(key, None)
        try:
            o |= read_when(kind, row.when, year)
        except ValueError as exc:
            problems.append(_problem(row, "完成时限", f"完成时限 “{row.when}” {exc}"))
        if kind == "metrics":
            try:
                o |= read_points(row.points, o, year)
            except ValueError as exc:
                problems.append(_problem(row, "节点目标", f"节点目标 {exc}"))
        if kind == "triggered" and "on_event" not in o:
            o["on_event"] = PENDING
        if row.note and row.note != (old or {}).get("note"):
            o["note"] = row.note
        lists[kind].append(o)
        owners.setdefault(number, []).append((row.lead, row.co, o))
    for number, lists in fresh.items():
        task = tasks[number]
        _owners(task, owners.get(number, []))
        for kind in KINDS:
            if lists[kind]:
                task[kind] = lists[kind]
            else:
                task.pop(kind, None)
    terms = any(r.get("every") == "term" for t in tasks.values() for r in t.get("recurring", []))
    if terms and not data.get("calendar", {}).get("terms"):
        data.setdefault("calendar", {})["terms"] = PENDING  # 每学期: the school terms to give
    return data, problems


def _as_list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


def _owners(
    task: dict[str, Any], rows: list[tuple[list[str], list[str], dict[str, Any] | None]]
) -> None:
    """Set a task's lead and co from its rows, and each obligation's own owners where its row
    names other departments than the task's."""
    leads = list(dict.fromkeys(n for lead, _, _ in rows for n in lead))
    cos = list(dict.fromkeys(n for _, co, _ in rows for n in co if n not in leads))
    named = set(leads) | set(cos)
    before = set(_as_list(task.get("lead"))) | set(_as_list(task.get("co")))
    if not (before and named <= before and set(leads) <= set(_as_list(task.get("lead")))):
        task["lead"] = leads or [PENDING]
        if cos:
            task["co"] = cos
        else:
            task.pop("co", None)
    everyone = set(_as_list(task["lead"])) | set(_as_list(task.get("co")))
    for lead, co, o in rows:
        if o is None:
            continue
        mine = [*lead, *(n for n in co if n not in lead)]
        if set(mine) == everyone or not mine:
            o.pop("owners", None)
        else:
            o["owners"] = mine
