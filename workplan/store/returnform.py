"""The return form (报送表): an .xlsx listing what one department owes in a month.

Each metric it owes a value for that month (a checkpoint falls in it, or the plan asks for a
report every period, or 序时进度 is tracked) is a row with its last value and date; each of its
deliverables and duty occurrences due by the month's end and still open is a row.  The
identifying columns are locked; the value, date and note cells are open, with data validation.
Filled in and sent back, the file imports as it is (:mod:`workplan.store.ledger` reads it:
the title block, the columns for the reader's eyes and the blank rows are all expected).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, Any, Literal

from sqlalchemy import Connection, select

from workplan.errors import Refused
from workplan.i18n import L_, month_of
from workplan.plan.compiled import expected_on, item_label
from workplan.plan.periods import month_end
from workplan.plan.units import figure, is_count, is_percent
from workplan.store import refs
from workplan.store.tables import T_METRIC, T_OBL, T_OWNER, T_PROGRESS, T_TASK, counted

HEADER = (
    "事项",
    "指标",
    "任务",
    "期次",
    "计量单位",
    "本月要求",
    "上次数值",
    "上次日期",
    "数值",
    "日期",
    "报送单位",
    "备注",
)
VALUE, DAY, NOTE = HEADER.index("数值"), HEADER.index("日期"), HEADER.index("备注")
TITLE_ROWS = 3
"""rows above the header: the plan, the form's name, how to fill it in"""
REPORTS_DUE = {"week": range(1, 13), "month": range(1, 13), "quarter": (3, 6, 9, 12)}
REPORTS_DUE |= {"half-year": (6, 12), "year": (12,)}
CADENCE_WORDS = {"week": "每周", "month": "每月", "quarter": "每季度", "half-year": "每半年"}
CADENCE_WORDS |= {"year": "每年"}


@dataclass(frozen=True)
class FormRow:
    """One line of the form: a metric to report, or a deliverable or occurrence to close."""

    item: int
    metric: str | None
    obligation: str | None
    period: str | None
    unit: str
    asked: str
    last_value: float | None
    last_on: date | None
    percent: bool = False
    count: bool = False


@dataclass(frozen=True)
class ReturnForm:
    """What a department owes in a month, ready to be written."""

    plan_title: str
    office: str
    department: str
    first: date
    last: date
    span: tuple[date, date]
    """the days a report may be dated (the plan's period and grace)"""
    rows: tuple[FormRow, ...]

    @property
    def metrics(self) -> int:
        return sum(1 for r in self.rows if r.metric is not None)

    @property
    def obligations(self) -> int:
        return sum(1 for r in self.rows if r.obligation is not None)


def _day(d: date, month: date) -> str:
    """A day as the form says it: 7月20日, with its year when it is not the form's."""
    year = f"{d.year}年" if d.year != month.year else ""
    return f"{year}{d.month}月{d.day}日"


def _unique_name(row: Any, key: str, names: list[str]) -> str:
    """The title when it names only this in its item, else the id."""
    return str(row["title"]) if names.count(row["title"]) == 1 else str(row[key])


def owed(conn: Connection, plan: refs.PlanRef, department: str, first: date) -> ReturnForm:
    """Return what ``department`` owes in the month that starts on ``first``."""
    last = month_end(first.year, first.month)
    start, end = refs.plan_span(plan)
    if last < start or first > end:
        raise Refused(
            L_(
                "{month} is outside the plan's period ({start} – {end})",
                month=month_of(first),
                start=start,
                end=end,
            )
        )
    tasks = {
        r["id"]: dict(r)
        for r in conn.execute(
            select(T_TASK).where(
                T_TASK.c.plan_id == plan.id, T_TASK.c.active, T_TASK.c.signed_off_at.is_(None)
            )
        ).mappings()
    }
    owners = {
        task_id
        for (task_id,) in conn.execute(
            select(T_OWNER.c.task_id).where(T_OWNER.c.department == department)
        )
    }

    def answers(row: Any) -> bool:
        if row["owners"] is not None:
            return department in json.loads(row["owners"])
        return row["task_id"] in owners

    metrics = [
        dict(r)
        for r in conn.execute(
            select(T_METRIC).where(T_METRIC.c.plan_id == plan.id, T_METRIC.c.active)
        ).mappings()
        if r["task_id"] in tasks
    ]
    obligations = [
        dict(r)
        for r in conn.execute(
            select(T_OBL)
            .where(T_OBL.c.plan_id == plan.id, T_OBL.c.active)
            .order_by(T_OBL.c.deadline, T_OBL.c.key)
        ).mappings()
        if r["task_id"] in tasks
    ]
    names: dict[int, list[str]] = {}
    for m in metrics:
        names.setdefault(m["task_id"], []).append(m["title"])
    sources = {(o["task_id"], o["source"]): o for o in obligations if o["kind"] != "checkpoint"}
    for (task_id, _), o in sources.items():
        names.setdefault(task_id, []).append(o["title"])
    checkpoints: dict[int, list[dict[str, Any]]] = {}
    for o in obligations:
        if o["kind"] == "checkpoint" and first <= o["deadline"] <= last:
            checkpoints.setdefault(o["metric_id"], []).append(o)
    rows: list[tuple[int, int, date, FormRow]] = []
    latest = _latest(conn, [m["id"] for m in metrics], last)
    for m in metrics:
        if not answers(m):
            continue
        asked = _metric_asked(m, checkpoints.get(m["id"], []), first, last)
        if not asked:
            continue
        task = tasks[m["task_id"]]
        value, on = latest.get(m["id"], (None, None))
        rows.append(
            (
                task["number"],
                0,
                first,
                FormRow(
                    task["number"],
                    _unique_name(m, "key", names[m["task_id"]]),
                    None,
                    None,
                    m["unit"],
                    "；".join(asked),
                    value,
                    on,
                    is_percent(m["unit"]),
                    is_count(m["unit"]),
                ),
            )
        )
    for o in obligations:
        opened = o["opens"] is None or o["opens"] <= last
        reported = o["done_on"] is not None or o["reported_on"] is not None
        if o["kind"] == "checkpoint" or reported or not opened:
            continue
        if o["deadline"] > last or not answers(o):
            continue
        task = tasks[o["task_id"]]
        late = o["deadline"] < first
        due_words = (
            f"已逾期（应于{_day(o['deadline'], first)}前完成）"
            if late
            else f"{_day(o['deadline'], first)}前完成"
        )
        rows.append(
            (
                task["number"],
                1,
                o["deadline"],
                FormRow(
                    task["number"],
                    None,
                    _unique_name(o, "source", names[o["task_id"]]),
                    o["key"].partition("@")[2] or None,
                    "",
                    due_words,
                    None,
                    None,
                ),
            )
        )
    rows.sort(key=lambda r: r[:3])
    return ReturnForm(
        plan.title, plan.office, department, first, last, (start, end), tuple(r[3] for r in rows)
    )


def _metric_asked(
    m: dict[str, Any], checkpoints: list[dict[str, Any]], first: date, last: date
) -> list[str]:
    """What the plan asks of a metric in the month, in words (nothing: not owed this month)."""
    unit = m["unit"]
    asked = [f"{_day(c['deadline'], first)}前达到{figure(c['target'])}{unit}" for c in checkpoints]
    if m["target_by"] is not None and m["target_by"] < first:
        return asked  # its year is over: nothing more to report
    if m["report"] in REPORTS_DUE and first.month in REPORTS_DUE[m["report"]]:
        asked.append(f"{CADENCE_WORDS[m['report']]}报送")
    pace = m["pace_tolerance"] is not None and m["target"] is not None
    if pace and m["pace_start"] <= last <= m["pace_until"]:
        expected = expected_on(m["baseline"], m["target"], m["pace_start"], m["pace_until"], last)
        asked.append(f"月底序时进度{figure(expected)}{unit}")
    return asked


def _latest(conn: Connection, metric_ids: Iterable[int], last: date) -> dict[int, tuple[Any, Any]]:
    """The latest value of each metric reported for a day up to ``last``, and that day."""
    p = T_PROGRESS
    out: dict[int, tuple[Any, Any]] = {}
    query = (
        select(p.c.metric_id, p.c.value, p.c.as_of)
        .where(
            p.c.metric_id.in_(list(metric_ids)),
            p.c.value.is_not(None),
            p.c.replaced_by.is_(None),
            counted(p),
            p.c.as_of <= last,
        )
        .order_by(p.c.as_of, p.c.id)
    )
    for row in conn.execute(query):
        out[row.metric_id] = (row.value, row.as_of)
    return out


INSTRUCTIONS = (
    "填报说明",
    "",
    "1. 本表列出{department}{month}应报送的事项：每个指标一行（附上次报送的数值和日期），"
    "每项到期未完成的任务一行。",
    "2. 指标行：在“数值”填写截至“日期”的数值（累计指标填累计数），单位见“计量单位”："
    "百分比填 35 即 35%，也可填 35%；金额可写 1.2亿、4,400万。",
    "3. 任务行：已完成的，在“日期”填写完成日期；尚未完成的留空。常态化工作请在“备注”写明本期开展情况。",
    "4. 日期可写 2023-07-20、2023/7/20 或 2023年7月20日。",
    "5. 需要说明的情况写在“备注”。不报的行留空即可，无需删除。",
    "6. 灰色单元格已锁定：请勿修改表头、增删列或改动工作表名称。",
    "7. 填好后将本文件原样发回{office}，或在本单位的在线报送页（函件中的链接）上传。",
    "",
    "（办公室导入：workplan progress import 本文件.xlsx）",
)


def write(form: ReturnForm, path: Path | IO[bytes]) -> None:
    """Write the form as an .xlsx workbook (to a file, or a binary stream): the form itself,
    then a sheet of instructions."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill, Protection
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    month = f"{form.first.year}年{form.first.month}月"
    book = Workbook()
    sheet = book.active
    if sheet is None:  # for mypy: a new workbook has its sheet
        sheet = book.create_sheet()
    sheet.title = "报送表"
    sheet.append([form.plan_title])
    sheet.append([f"{form.department} {month}进度报送表"])
    sheet.append(
        [
            "白色单元格填报（数值、日期、备注），灰色单元格已锁定；不报的行留空。"
            f"填好后原样发回{form.office}，详见“填报说明”。"
        ]
    )
    sheet.append(list(HEADER))
    header_row = TITLE_ROWS + 1
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A2"].font = Font(bold=True)
    grey = PatternFill("solid", fgColor="EEEEEE")
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDDDDD")
        cell.alignment = Alignment(horizontal="center")
    start, end = form.span
    dates = DataValidation(
        type="date",
        operator="between",
        formula1=f"DATE({start.year},{start.month},{start.day})",
        formula2=f"DATE({end.year},{end.month},{end.day})",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="日期",
        error=f"请填写{start:%Y-%m-%d}至{end:%Y-%m-%d}之间的日期，如 {form.last:%Y-%m-%d}",
    )
    kinds: dict[str, tuple[Literal["between", "greaterThanOrEqual"], str, str | None, str]] = {
        "percent": ("between", "0", "100", "请填写0到100之间的数字：35 即 35%"),
        "count": ("greaterThanOrEqual", "0", None, "请填写不小于0的数字"),
        "other": ("between", "-1000000000000", "1000000000000", "请填写数字"),
    }
    values = {
        kind: DataValidation(
            type="decimal",
            operator=operator,
            formula1=low,
            formula2=high,
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="数值",
            error=message,
        )
        for kind, (operator, low, high, message) in kinds.items()
    }
    for number, row in enumerate(form.rows, start=header_row + 1):
        sheet.append(
            [
                item_label(row.item),
                row.metric,
                row.obligation,
                row.period,
                row.unit or None,
                row.asked,
                row.last_value,
                row.last_on,
                None,
                None,
                form.department,
                None,
            ]
        )
        open_cells = [DAY, NOTE] + ([VALUE] if row.metric is not None else [])
        for column, cell in enumerate(sheet[number]):
            if column in open_cells:
                cell.protection = Protection(locked=False)
            else:
                cell.fill = grey
        sheet.cell(number, HEADER.index("上次日期") + 1).number_format = "yyyy-mm-dd"
        sheet.cell(number, DAY + 1).number_format = "yyyy-mm-dd"
        dates.add(f"{get_column_letter(DAY + 1)}{number}")
        if row.metric is not None:
            kind = "percent" if row.percent else "count" if row.count else "other"
            values[kind].add(f"{get_column_letter(VALUE + 1)}{number}")
    for validation in (dates, *values.values()):
        if validation.sqref.ranges:  # an empty one makes Excel "repair" the file
            sheet.add_data_validation(validation)
    widths = (8, 26, 26, 10, 9, 30, 10, 12, 12, 12, 14, 24)
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = f"A{header_row + 1}"
    sheet.protection.sheet = True
    sheet.protection.formatColumns = False  # the clerk may widen a column
    sheet.protection.formatRows = False
    guide = book.create_sheet("填报说明")
    for line in INSTRUCTIONS:
        guide.append([line.format(department=form.department, month=month, office=form.office)])
    guide["A1"].font = Font(bold=True, size=14)
    guide.column_dimensions["A"].width = 110
    book.save(path)
