"""`workplan plan export`: a loaded plan as the office's 任务分解表 in Excel, one row per
obligation, with headers, widths, a frozen header, the directory's departments offered in the
department columns, and the plan itself kept in a hidden sheet so that `plan import` can
bring back everything the columns do not show."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from workplan.plan import yamlsource
from workplan.plan.compiled import item_label
from workplan.plan.draft.table import HEADERS, KINDS, points_words, when_words
from workplan.store.refs import find_plan
from workplan.store.tables import T_DEPT, T_VERSION

BASE_SHEET = "_workplan"
NAMES_SHEET = "单位"
WIDTHS = (8, 30, 46, 18, 30, 20, 34, 20, 10)


def loaded_plan(conn: Connection, key: str | None) -> tuple[Any, str, str, list[str]]:
    """Return a loaded plan's data (as its file gives it), its text and path, and its
    departments' names, from the latest version in the store."""
    plan = find_plan(conn, key)
    version = (
        conn.execute(
            select(T_VERSION.c.source_text, T_VERSION.c.source_path)
            .where(T_VERSION.c.plan_id == plan.id)
            .order_by(T_VERSION.c.version.desc())
            .limit(1)
        )
        .mappings()
        .one()
    )
    names = conn.execute(
        select(T_DEPT.c.name).where(T_DEPT.c.plan_id == plan.id).order_by(T_DEPT.c.id)
    )
    data = yamlsource.parse(version["source_path"], version["source_text"]).data
    return data, version["source_text"], version["source_path"], [n for (n,) in names]


def _owners(o: dict[str, Any], lead: list[str], co: list[str]) -> tuple[str, str]:
    owners = o.get("owners")
    if owners is None:
        return "、".join(lead), "、".join(co)
    owners = [owners] if isinstance(owners, str) else owners
    return "、".join(n for n in owners if n in lead), "、".join(n for n in owners if n not in lead)


def table_rows(data: dict[str, Any]) -> list[list[str]]:
    """Return one row per obligation of a plan's data, in the order of HEADERS."""
    year = int(data["year"])
    rows: list[list[str]] = []
    for chapter in data["chapters"]:
        for task in chapter["tasks"]:
            lead = [task["lead"]] if isinstance(task["lead"], str) else list(task["lead"])
            co = [task["co"]] if isinstance(task.get("co"), str) else list(task.get("co", []))
            label = item_label(task["number"])
            start = len(rows)
            for kind in KINDS:
                for o in task.get(kind, []):
                    lead_cell, co_cell = _owners(o, lead, co)
                    points = points_words(o, year) if kind == "metrics" else ""
                    note = o.get("note") or ""
                    rows.append(
                        [
                            label,
                            task["title"],
                            o["title"],
                            lead_cell,
                            co_cell,
                            when_words(kind, o, year),
                            points,
                            note,
                            f"{task['number']}/{o['id']}",
                        ]
                    )
            if len(rows) == start:  # an item with no obligation of its own: one row for it
                rows.append(
                    [
                        label,
                        task["title"],
                        "",
                        "、".join(lead),
                        "、".join(co),
                        "",
                        "",
                        "",
                        f"{task['number']}/",
                    ]
                )
    return rows


def write_table(
    data: dict[str, Any], text: str, source: str, names: list[str], target: Path
) -> int:
    """Write the 任务分解表 of a plan to ``target`` (.xlsx); return the number of rows.

    The plan's text and the path it was loaded from go in a hidden sheet, for `plan import`.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "任务分解表"
    sheet.append([f"{data['title']}任务分解表"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADERS))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.append(list(HEADERS))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center")
    rows = table_rows(data)
    wrap = Alignment(wrap_text=True, vertical="top")
    for row in rows:
        sheet.append(row)
        for cell in sheet[sheet.max_row]:
            cell.alignment = wrap
    # the item's cells span its rows, as offices lay the table out
    first = 3
    for n in range(3, len(rows) + 4):
        if n == len(rows) + 3 or rows[n - 3][0] != rows[first - 3][0]:
            if n - 1 > first:
                for column in (1, 2):
                    sheet.merge_cells(
                        start_row=first, start_column=column, end_row=n - 1, end_column=column
                    )
            first = n
    for i, width in enumerate(WIDTHS):
        sheet.column_dimensions[chr(ord("A") + i)].width = width
    sheet.column_dimensions["I"].hidden = True
    sheet.freeze_panes = "A3"
    names_sheet = book.create_sheet(NAMES_SHEET)
    for name in names:
        names_sheet.append([name])
    names_sheet.sheet_state = "hidden"
    pick = DataValidation(
        type="list",
        formula1=f"={NAMES_SHEET}!$A$1:$A${max(1, len(names))}",
        errorStyle="information",
        showErrorMessage=True,
        error="不在单位名录中：多个单位以、分隔",
        prompt="从名录选择单位；多个单位以、分隔",
        showInputMessage=True,
    )
    sheet.add_data_validation(pick)
    pick.add(f"D3:E{len(rows) + 2}")
    base = book.create_sheet(BASE_SHEET)
    for n, line in enumerate(text.splitlines(), 1):
        cell = base.cell(n, 1, line)
        cell.data_type = "s"  # never a formula, whatever the line starts with
    base.cell(1, 2, source).data_type = "s"
    base.sheet_state = "veryHidden"
    book.save(target)
    return len(rows)
