"""Import the monthly ledger (台账) departments send back: CSV or XLSX, one row per report.

A ledger is read as the office's spreadsheet shows it: a title block may stand above the
header row, headers may be Chinese or English, columns the import does not use are ignored
(and named once in the summary), a percent-formatted cell is the percentage it shows.

Columns (any order):

  事项 item · 指标 metric · 任务 obligation · 期次 period · 数值 value · 日期 as_of ·
  报送单位 department · 备注 note

A row with a metric and a value records the value; a row with an obligation marks it done on
its date; a row with only a note records a report in words; a row with neither value, date
nor note was left blank (a return form's row nobody filled) and is skipped.

Importing is idempotent: a report already recorded is counted, not refused.  Every row is
checked before anything is kept; a file with any bad row is refused whole, with one message per
problem naming the file, the row and the column as the file names it.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import io
import re
import time
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from workplan.errors import InvalidInput, NotFound, Problem, Refused, Unreadable
from workplan.i18n import L_, Text
from workplan.plan import yamlsource
from workplan.store import records, refs
from workplan.store.cells import normalise, read_day, text_of
from workplan.store.tables import T_OBL

# canonical column -> (English, Chinese) names, as a message names a column the file lacks
COLUMNS = {
    "item": ("item", "事项"),
    "metric": ("metric", "指标"),
    "obligation": ("obligation", "任务"),
    "period": ("period", "期次"),
    "value": ("value", "数值"),
    "as_of": ("as_of", "日期"),
    "department": ("department", "报送单位"),
    "note": ("note", "备注"),
}
HEADERS = {
    **{name: canonical for canonical, names in COLUMNS.items() for name in names},
    "date": "as_of",
    "序号": "item",
    "事项序号": "item",
    "事项编号": "item",
    "指标名称": "metric",
    "任务名称": "obligation",
    "所属期": "period",
    "完成值": "value",
    "完成数": "value",
    "实际完成": "value",
    "截至日期": "as_of",
    "完成日期": "as_of",
    "填报单位": "department",
    "单位": "department",
    "说明": "note",
    "情况说明": "note",
}
# the return form's columns for the reader's eyes only (see returnform.py): known, not reported
INFORMATION = frozenset({"计量单位", "本月要求", "上次数值", "上次日期"})
REQUIRED = ("item", "as_of", "department")
HEADER_SEARCH = 20
"""rows searched for the header row, below a title block"""


@dataclass(frozen=True)
class LedgerRow:
    """One row of a ledger, as read, with where it came from."""

    row: int
    cells: dict[str, Any]
    columns: dict[str, int]
    headers: dict[str, str]
    """each column as the file names it"""


@dataclass
class ImportResult:
    values: int = 0
    done: int = 0
    notes: int = 0
    corrected: int = 0
    already: int = 0
    """rows recorded before (the same subject, day and value): a ledger sent again"""
    blank: int = 0
    """rows with neither value, date nor note"""
    forced: int = 0
    ignored: tuple[str, ...] = field(default=())
    """columns the import does not use, as the file names them"""
    recorded: list[tuple[str, records.Recorded]] = field(default_factory=list)
    """what was written, each as values, done or notes (reports already recorded are not in
    it)"""


def header_key(text: str) -> str:
    """Return a header as looked up: plain width, no spaces, no "*" mark or "(unit)" suffix."""
    plain = re.sub(r"\s+", "", normalise(text)).lstrip("*")
    return re.sub(r"\([^()]*\)$", "", plain).lower()


@dataclass(frozen=True)
class SheetLimits:
    """How much of a workbook is read before it is refused: an .xlsx is a zip whose few
    hundred kilobytes can unpack to millions of rows (a 227 KB file held 600,000)."""

    unpacked: int = 64 * 1024 * 1024
    """bytes of the workbook's parts, unpacked"""
    rows: int = 50_000
    seconds: float = 60.0


LIMITS = SheetLimits()
"""the command line's: a ledger of a whole county's year fits well within them"""
RETURN_FORM_LIMITS = SheetLimits(unpacked=16 * 1024 * 1024, rows=500, seconds=10.0)
"""a department's return form sent from its page: its own rows, a few dozen a month (the
Banan plan's busiest department owes 48 in its busiest month); its write holds the database
for about 7 ms a row, so 500 rows keep the service's wait within seconds"""


def _whole_file(name: str, message: Text) -> InvalidInput:
    """A problem with the file as a whole (too big, unreadable), not one of its rows."""
    return InvalidInput([Problem(name, 0, 0, "", message)])


def _unpacked_size(path: Path, name: str, limits: SheetLimits) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            size = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, OSError):
        return  # openpyxl says what is wrong with it
    if size > limits.unpacked:
        raise _whole_file(
            name,
            L_(
                "the workbook unpacks to {size} MB, more than the {limit} MB taken: send only "
                "the rows to report",
                size=size // 1024 // 1024,
                limit=limits.unpacked // 1024 // 1024,
            ),
        )


def _xlsx_rows(path: Path, name: str, limits: SheetLimits = LIMITS) -> list[list[Any]]:
    from openpyxl import load_workbook  # only when an XLSX file is given

    _unpacked_size(path, name, limits)
    deadline = time.monotonic() + limits.seconds
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise _whole_file(
            name, L_("not a readable XLSX workbook ({reason})", reason=str(exc))
        ) from None
    sheet = book.worksheets[0]
    rows: list[list[Any]] = []
    for cells in sheet.iter_rows():
        if len(rows) >= limits.rows:
            book.close()
            raise _whole_file(
                name,
                L_("more than {rows} rows: send only the rows to report", rows=f"{limits.rows:,}"),
            )
        if len(rows) % 500 == 0 and time.monotonic() > deadline:
            book.close()
            raise _whole_file(
                name,
                L_(
                    "the workbook took over {seconds} s to read: send only the rows to report",
                    seconds=limits.seconds,
                ),
            )
        row = []
        for cell in cells:
            value = getattr(cell, "value", None)
            number_format = getattr(cell, "number_format", None) or ""
            shows_percent = "%" in number_format and not isinstance(value, bool)
            if shows_percent and isinstance(value, int | float):
                # what the sheet shows: 0.35 formatted as a percentage is 35%
                value = f"{value * 100:.10g}%"
            row.append(value)
        rows.append(row)
    book.close()
    return rows


MAX_CSV_BYTES = yamlsource.MAX_FILE_BYTES
"""the largest CSV ledger read (2 MB, ~40,000 rows: a county's year of reports is far less)"""


def _csv_text(name: str, raw: bytes) -> str:
    """Decode a CSV ledger: UTF-16 by its byte-order mark (Excel's "Unicode text"), UTF-8
    (with or without its mark), else GB18030 (Excel's CSV on a Chinese Windows)."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise _whole_file(
                name,
                L_(
                    "not readable UTF-16 (byte {byte}); save it again as CSV UTF-8",
                    byte=exc.start,
                ),
            ) from None
    try:
        return yamlsource.decode(name, raw)
    except InvalidInput as utf8:
        try:
            return raw.decode("gb18030")
        except UnicodeDecodeError:
            raise utf8 from None  # the UTF-8 problem, positioned, is the better message


def _csv_rows(path: Path, name: str) -> list[list[Any]]:
    """Read a CSV ledger's cells (comma- or, when its first line has tabs and no comma,
    tab-separated), refusing a file it cannot read or over the limit in one problem."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_CSV_BYTES + 1)
    except OSError as exc:
        raise _whole_file(name, L_("cannot read: {reason}", reason=exc.strerror)) from None
    if len(raw) > MAX_CSV_BYTES:
        raise _whole_file(
            name,
            L_(
                "the file is over the {limit} MB limit of a CSV ledger; split it (by month or "
                "department) and import each part, or save it as .xlsx",
                limit=MAX_CSV_BYTES // (1024 * 1024),
            ),
        )
    text = _csv_text(name, raw)
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    try:
        return [list(r) for r in csv.reader(io.StringIO(text), delimiter=delimiter)]
    except csv.Error as exc:  # a cell over the csv module's field limit, a stray NUL …
        if "field limit" in str(exc):
            too_long = L_(
                "not a readable CSV file: a cell is longer than {limit} characters",
                limit=f"{csv.field_size_limit():,}",
            )
            raise _whole_file(name, too_long) from None
        raise _whole_file(name, L_("not a readable CSV file: {reason}", reason=str(exc))) from None


def _header_row(raw: list[list[Any]]) -> tuple[int, dict[str, int], dict[str, str], list[str]]:
    """Find the header row below any title block; return the index of its last row (a header
    may take two), the columns it maps, their names as written, and the columns it does not
    use."""
    best: tuple[int, int] = (-1, 0)
    for index in range(min(len(raw), HEADER_SEARCH)):
        names = _two_rows(raw, index)[0]
        known = {HEADERS.get(header_key(v)) for v in names if v} - {None}
        if len(known) > best[1]:
            best = (index, len(known))
        if len(known) >= 2:
            break
    index = max(best[0], 0)
    names, taken = _two_rows(raw, index)
    columns: dict[str, int] = {}
    headers: dict[str, str] = {}
    ignored: list[str] = []
    for i, text in enumerate(names):
        if text is None:
            continue
        key = header_key(text)
        canonical = HEADERS.get(key)
        if canonical is None:
            if key not in INFORMATION:
                ignored.append(text)
        elif canonical not in columns:
            columns[canonical] = i
            headers[canonical] = text
        else:
            ignored.append(text)
    return index + taken - 1, columns, headers, ignored


def _two_rows(raw: list[list[Any]], index: int) -> tuple[list[str | None], int]:
    """Return the header's name of each column; a header over two merged rows (本月完成情况
    over 完成值 and 截至日期, 事项 merged down) is read as one, its lower row's names first;
    and how many rows the header takes."""
    upper = [text_of(v) for v in (raw[index] if raw else [])]
    below = [text_of(v) for v in raw[index + 1]] if index + 1 < len(raw) else []
    named = [i for i, text in enumerate(below) if text is not None]
    # the row below belongs to the header when each of its cells is a column's name, and none
    # stands under a name the upper row already gave its own column
    if not named or any(HEADERS.get(header_key(str(below[i]))) is None for i in named):
        return upper, 1
    if any(i < len(upper) and HEADERS.get(header_key(upper[i] or "")) for i in named):
        return upper, 1
    width = max(len(upper), len(below))
    upper += [None] * (width - len(upper))
    return [below[i] if i < len(below) and below[i] else upper[i] for i in range(width)], 2


def read_rows(
    path: Path, name: str | None = None, limits: SheetLimits = LIMITS
) -> tuple[list[LedgerRow], list[str]]:
    """Read a ledger file into rows keyed by canonical column names, and the columns ignored;
    ``name`` is the file as messages name it (default: its path).  Reads only: a caller with a
    transaction open reads first (see ``parsed`` of :func:`import_ledger`)."""
    name = name or str(path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        raw = _xlsx_rows(path, name, limits)
    elif path.suffix.lower() in (".csv", ".txt"):
        raw = _csv_rows(path, name)
    else:
        raise _whole_file(name, L_("a ledger is a .csv or .xlsx file"))
    if not any(text_of(v) for values in raw for v in values):
        raise InvalidInput([Problem(name, 1, 1, "", L_("the ledger is empty"))])
    index, columns, headers, ignored = _header_row(raw)
    chinese = any(not h.isascii() for h in headers.values())
    if not columns:
        raise InvalidInput(
            [
                Problem(
                    name,
                    1,
                    1,
                    "",
                    L_(
                        "no header row in the first {rows} rows: write one with 事项, 指标, 数值, "
                        "日期, 报送单位 (or item, metric, value, as_of, department)",
                        rows=HEADER_SEARCH,
                    ),
                )
            ]
        )
    problems = []
    for column in (c for c in REQUIRED if c not in columns):
        english, zh = COLUMNS[column]
        close = [h for h in ignored if _near(h, english, zh)]
        hint = L_("; is '{name}' meant?", name=close[0]) if close else ""
        shown, other = (zh, english) if chinese else (english, zh)
        message = L_(
            "missing column '{shown}' (or '{other}'){hint}", shown=shown, other=other, hint=hint
        )
        problems.append(Problem(name, index + 1, 1, shown, message))
    if problems:
        raise InvalidInput(problems)
    out = []
    for number, values in enumerate(raw[index + 1 :], start=index + 2):
        if all(text_of(v) is None for v in values):
            continue
        cells = {c: (values[i] if i < len(values) else None) for c, i in columns.items()}
        out.append(LedgerRow(number, cells, columns, headers))
    return out, ignored


def _near(header: str, *names: str) -> bool:
    key = header_key(header)
    return any(difflib.SequenceMatcher(None, key, n.lower()).ratio() >= 0.75 for n in names)


def import_ledger(
    conn: Connection,
    path: Path,
    *,
    plan_key: str | None,
    now: datetime,
    today: date | None = None,
    force: bool = False,
    correct: bool = False,
    sender: str | None = None,
    name: str | None = None,
    parsed: tuple[list[LedgerRow], list[str]] | None = None,
) -> ImportResult:
    """Check every row, then record them all in the caller's transaction; raise if any is bad.

    Rows are applied in order inside a savepoint each, so a row refused by the rules (a
    department that does not answer for the item) is reported with its row number, and the
    caller's transaction, not committed, leaves nothing behind.  ``today`` (when given) is the
    last day a report may be dated; ``force`` and ``correct`` are those of
    :func:`records.record_progress`.  ``sender`` (when given) is the only department the
    rows may report for: a department's own return form, sent from its page, where a standing
    duty's review also needs its account (see :func:`records.check_account`).  ``name`` is
    the file as messages name it (default: its path).  ``parsed``: the file as
    :func:`read_rows` read it already, outside the transaction (the web pages do: reading a
    workbook can take seconds, and no write should wait on it).
    """
    name = name or str(path)
    rows, ignored = parsed if parsed is not None else read_rows(path, name)
    plan = refs.find_plan(conn, plan_key)
    problems: list[Problem] = []
    result = ImportResult(ignored=tuple(ignored))
    for row in rows:

        def problem(column: str, message: str | Text, row: LedgerRow = row) -> None:
            col = row.columns.get(column, -1) + 1
            shown = row.headers.get(column) or COLUMNS.get(column, (column,))[0]
            problems.append(Problem(name, row.row, col, shown, message))

        raw_value = row.cells.get("value")
        value = raw_value if text_of(raw_value) is not None else None
        note = text_of(row.cells.get("note"))
        if value is None and note is None and text_of(row.cells.get("as_of")) is None:
            result.blank += 1
            continue
        try:
            as_of = read_day(row.cells.get("as_of"))
        except Unreadable as exc:
            problem("as_of", exc.message)
            continue
        item = text_of(row.cells.get("item"))
        department = text_of(row.cells.get("department"))
        metric = text_of(row.cells.get("metric"))
        obligation = text_of(row.cells.get("obligation"))
        period = text_of(row.cells.get("period"))
        if item is None:
            problem("item", L_("the item number is missing"))
            continue
        if department is None:
            problem("department", L_("the reporting department is missing"))
            continue
        if obligation is None and value is None and note is None:
            problem("value", L_("give a value, an obligation done, or a note"))
            continue
        try:
            with conn.begin_nested():
                if sender is not None:
                    _from_sender(conn, plan, department, sender)
                if obligation is not None:
                    done = records.mark_done(
                        conn,
                        plan_key=plan.key,
                        ref=f"{item}/{obligation}",
                        department=department,
                        on=as_of,
                        note=note,
                        today=today,
                        period=period,
                        correct=correct,
                        now=now,
                    )
                    if sender is not None and done.row_id is not None:
                        records.check_account(_kind(conn, done.row_id), note)
                    _count(result, done, "done")
                if value is not None or (obligation is None and note is not None):
                    recorded = records.record_progress(
                        conn,
                        plan_key=plan.key,
                        task_ref=item,
                        metric_key=metric,
                        value=value,
                        as_of=as_of,
                        department=department,
                        note=note if obligation is None else None,
                        now=now,
                        today=today,
                        force=force,
                        correct=correct,
                    )
                    _count(result, recorded, "values" if value is not None else "notes")
        except (NotFound, Refused) as exc:
            problem(exc.field or "item", exc.message)
    if problems:
        raise InvalidInput(problems)
    return result


def _kind(conn: Connection, obligation_id: int) -> str:
    return str(conn.execute(select(T_OBL.c.kind).where(T_OBL.c.id == obligation_id)).scalar_one())


def _from_sender(conn: Connection, plan: refs.PlanRef, department: str, sender: str) -> None:
    """Refuse a row another department reports for, in a file sent from ``sender``'s page."""
    if refs.find_department(conn, plan, department) != sender:
        raise Refused(
            L_(
                "this file was sent from the page of {sender}: it reports for {sender} only, "
                "not for {department}",
                sender=sender,
                department=department,
            ),
            field="department",
        )


def _count(result: ImportResult, recorded: records.Recorded, kind: str) -> None:
    if recorded.outcome == "already":
        result.already += 1
        return
    result.recorded.append((kind, recorded))
    if recorded.outcome == "corrected":
        result.corrected += 1
    setattr(result, kind, getattr(result, kind) + 1)
    if recorded.forced:
        result.forced += 1
