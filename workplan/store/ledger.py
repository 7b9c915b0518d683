"""Import the monthly ledger (台账) departments send back: CSV or XLSX, one row per report.

Every row is checked before anything is written; a file with any bad row is refused whole,
with one message per problem naming the file, the row and the column.

Columns (English or Chinese headers, any order):

  item (事项)  metric (指标)  obligation (任务)  value (数值)  as_of (日期)  department (报送单位)  note (备注)

A row with ``metric`` and ``value`` records a value; a row with ``obligation`` marks it done on
``as_of``; a row with only ``note`` records a report in words.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from workplan.errors import InvalidInput, NotFound, Problem, Refused
from workplan.plan import yamlsource
from workplan.store import records

HEADERS = {
    "item": "item",
    "事项": "item",
    "序号": "item",
    "metric": "metric",
    "指标": "metric",
    "obligation": "obligation",
    "任务": "obligation",
    "value": "value",
    "数值": "value",
    "完成值": "value",
    "as_of": "as_of",
    "date": "as_of",
    "日期": "as_of",
    "截至日期": "as_of",
    "department": "department",
    "报送单位": "department",
    "单位": "department",
    "note": "note",
    "备注": "note",
}
REQUIRED = ("item", "as_of", "department")


@dataclass(frozen=True)
class LedgerRow:
    """One row of a ledger, as read, with where it came from."""

    row: int
    cells: dict[str, Any]
    columns: dict[str, int]


@dataclass
class ImportResult:
    values: int = 0
    done: int = 0
    notes: int = 0


def _xlsx_rows(path: Path) -> list[list[Any]]:
    from openpyxl import load_workbook  # only when an XLSX file is given

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise InvalidInput(
            [Problem(str(path), 0, 0, "", f"not a readable XLSX workbook ({exc})")]
        ) from None
    sheet = book.worksheets[0]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    book.close()
    return rows


def read_rows(path: Path) -> list[LedgerRow]:
    """Read a ledger file into rows keyed by canonical column names."""
    name = str(path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        raw = _xlsx_rows(path)
    elif path.suffix.lower() in (".csv", ".txt"):
        text = yamlsource.read_text(path)
        raw = [list(r) for r in csv.reader(io.StringIO(text))]
    else:
        raise InvalidInput([Problem(name, 0, 0, "", "a ledger is a .csv or .xlsx file")])
    if not raw:
        raise InvalidInput([Problem(name, 1, 1, "", "the ledger is empty")])
    columns: dict[str, int] = {}
    problems = []
    for i, header in enumerate(raw[0]):
        text = str(header or "").strip()
        if not text:
            continue
        canonical = HEADERS.get(text.lower()) or HEADERS.get(text)
        if canonical is None:
            known = ", ".join(sorted({k for k in HEADERS if k.isascii()}))
            problems.append(
                Problem(name, 1, i + 1, text, f"unknown column '{text}' (columns: {known})")
            )
        elif canonical in columns:
            problems.append(Problem(name, 1, i + 1, text, f"column '{canonical}' appears twice"))
        else:
            columns[canonical] = i
    problems += [
        Problem(name, 1, 1, c, f"missing column '{c}'") for c in REQUIRED if c not in columns
    ]
    if problems:
        raise InvalidInput(problems)
    out = []
    for number, values in enumerate(raw[1:], start=2):
        if all(v is None or str(v).strip() == "" for v in values):
            continue
        cells = {c: (values[i] if i < len(values) else None) for c, i in columns.items()}
        out.append(LedgerRow(number, cells, columns))
    return out


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _day(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    if text is None:
        raise ValueError("the date is missing")
    try:
        return date.fromisoformat(text.replace("/", "-"))
    except ValueError:
        raise ValueError(f"'{text}' is not a date like 2023-06-30") from None


def _number(value: Any) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    else:
        text = str(value).strip().rstrip("%").replace(",", "")
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"'{value}' is not a number") from None
    if not math.isfinite(number):
        raise ValueError(f"'{value}' is not a number")
    return number


def import_ledger(
    conn: Connection, path: Path, *, plan_key: str | None, now: datetime
) -> ImportResult:
    """Check every row, then record them all in the caller's transaction; raise if any is bad.

    Rows are applied in order inside a savepoint each, so a row refused by the rules (a
    department that does not answer for the item) is reported with its row number, and the
    caller's transaction, not committed, leaves nothing behind.
    """
    name = str(path)
    rows = read_rows(path)
    problems: list[Problem] = []
    result = ImportResult()
    for row in rows:

        def problem(column: str, message: str, row: LedgerRow = row) -> None:
            col = row.columns.get(column, -1) + 1
            problems.append(Problem(name, row.row, col, column, message))

        try:
            as_of = _day(row.cells.get("as_of"))
        except ValueError as exc:
            problem("as_of", str(exc))
            continue
        try:
            value = _number(row.cells.get("value"))
        except ValueError as exc:
            problem("value", str(exc))
            continue
        item = _text(row.cells.get("item"))
        department = _text(row.cells.get("department"))
        metric = _text(row.cells.get("metric"))
        obligation = _text(row.cells.get("obligation"))
        note = _text(row.cells.get("note"))
        if item is None:
            problem("item", "the item number is missing")
            continue
        if department is None:
            problem("department", "the reporting department is missing")
            continue
        if obligation is None and value is None and note is None:
            problem("value", "give a value, an obligation done, or a note")
            continue
        try:
            with conn.begin_nested():
                if obligation is not None:
                    records.mark_done(
                        conn,
                        plan_key=plan_key,
                        ref=f"{item}/{obligation}",
                        department=department,
                        on=as_of,
                        note=note,
                    )
                    result.done += 1
                if value is not None or (obligation is None and note is not None):
                    records.record_progress(
                        conn,
                        plan_key=plan_key,
                        task_ref=item,
                        metric_key=metric,
                        value=value,
                        as_of=as_of,
                        department=department,
                        note=note if obligation is None else None,
                        now=now,
                    )
                    if value is not None:
                        result.values += 1
                    else:
                        result.notes += 1
        except (NotFound, Refused) as exc:
            problem(exc.field or "item", str(exc))
    if problems:
        raise InvalidInput(problems)
    return result
