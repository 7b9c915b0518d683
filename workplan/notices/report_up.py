"""The month's report to the leadership: its full list, as an .xlsx attachment.

The report itself is one page (:mod:`workplan.rules.proportion` chooses what it names; the
``report`` templates say it); every item on a ladder that day goes in the attached list, with
its departments, rung and deadline, so that nothing is hidden by the page's brevity.
"""

from __future__ import annotations

import io
from typing import Any

from workplan.plan.compiled import item_label

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

HEADERS = {
    "zh-CN": ("序号", "事项", "工作", "责任单位", "时限", "已发", "性质", "逾期工作日", "重点"),
    "en": (
        "No.",
        "Item",
        "Matter",
        "Departments",
        "Due",
        "Rung",
        "Nature",
        "Working days late",
        "Key",
    ),
}


def rows(facts: dict[str, Any], locale: str) -> list[tuple[Any, ...]]:
    """The attachment's rows: every item on a ladder the day the report was made."""
    zh = locale == "zh-CN"
    out = []
    for n, r in enumerate(facts.get("all") or [], start=1):
        nature = (
            ("未达到" if zh else "shortfall") if r.get("shortfall") else ("逾期" if zh else "lapse")
        )
        out.append(
            (
                n,
                item_label(int(r["task"])),
                r.get("title") or "",
                ("、" if zh else ", ").join(r.get("owners") or []),
                r.get("due") or "",
                r.get("rung") or "",
                nature,
                r.get("late"),
                ("是" if zh else "yes") if r.get("key") else "",
            )
        )
    return out


def attachment(facts: dict[str, Any], locale: str) -> tuple[str, str, bytes]:
    """The report's full list as an .xlsx file: (file name, media type, bytes)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.worksheets[0]
    zh = locale == "zh-CN"
    sheet.title = "督办事项清单" if zh else "Items on the ladder"
    sheet.append(HEADERS["zh-CN" if zh else "en"])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows(facts, locale):
        sheet.append(row)
    for column, width in zip("ABCDEFGHI", (6, 8, 40, 30, 12, 8, 8, 10, 6), strict=True):
        sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    book.save(buffer)
    month = str(facts.get("month") or "")
    name = f"督办事项清单-{month}.xlsx" if zh else f"items-on-the-ladder-{month}.xlsx"
    return name, XLSX, buffer.getvalue()
