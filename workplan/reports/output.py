"""Write the brief as self-contained HTML, PDF (headless Chromium) or xlsx."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from workplan.errors import WorkplanError
from workplan.i18n import L_
from workplan.plan.units import figure
from workplan.reports.brief import CATEGORIES, COLOUR_NAMES, Brief
from workplan.reports.bulletin import Bulletin
from workplan.reports.drift import HEADER as DRIFT_HEADER
from workplan.reports.scoring import HEADER as SCORE_HEADER

LEGENDS = {
    "pace": [
        ("red", "逾期"),
        ("yellow", "欠序时进度或节点"),
        ("blue", "期限临近"),
        ("green", "正常"),
    ],
    "deadline": [("red", "逾期"), ("blue", "期限临近"), ("green", "正常")],
    "time-left": [("red", "逾期"), ("yellow", "期限临近"), ("green", "正常")],
}
PRESET_TEXT = {"pace": "按序时进度", "deadline": "按期限", "time-left": "按剩余时间"}


def _template(name: str) -> Any:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=FileSystemLoader(Path(__file__).parent),
        autoescape=select_autoescape(["j2", "html"]),
        undefined=StrictUndefined,
    )
    return env.get_template(name)


def bulletin_html(bulletin: Bulletin) -> str:
    """Render the bulletin as one self-contained HTML page."""
    return str(_template("bulletin.html.j2").render(b=bulletin, groups=bulletin.by_department()))


def bulletin_xlsx(bulletin: Bulletin, target: Path) -> None:
    """Write the bulletin as a workbook: one row per department and obligation."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "通报"
    sheet.append(["期号", bulletin.number or ""])
    sheet.append(["月份", bulletin.month_label])
    sheet.append(["单位", "事项", "应办事项", "期限", "逾期工作日", "通报日", "通报文号"])
    for department, entries in bulletin.by_department():
        for e in entries:
            sheet.append(
                [
                    department,
                    e.item,
                    e.title,
                    date.fromisoformat(e.deadline),
                    e.days_late,
                    e.on,
                    e.document,
                ]
            )
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    for row in sheet.iter_rows(min_row=4):
        for cell in (row[3], row[5]):
            cell.number_format = "yyyy-mm-dd"
    book.save(target)


def brief_html(brief: Brief) -> str:
    """Render the brief as one HTML page: styles and charts inline, no script."""
    from workplan.reports.charts import metric_svg

    template = _template("brief.html.j2")
    charts = [metric_svg(s, brief.month.year) for s in brief.metrics]
    return str(
        template.render(
            b=brief,
            categories=CATEGORIES,
            names=COLOUR_NAMES,
            legend=LEGENDS[brief.preset],
            preset_text=PRESET_TEXT[brief.preset],
            charts=charts,
            fmt=figure,
        )
    )


CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
"""Headless, and quiet: no sandbox (containers), no network of its own, no updates."""


def chromium() -> str:
    """Return the path of a Chromium (or Chrome) to print with."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    raise WorkplanError(
        L_(
            "a PDF needs Chromium: install it (Debian: apt-get install chromium), "
            "or write .html and print it from a browser"
        )
    )


def html_to_pdf(html: str, target: Path) -> None:
    """Print HTML to an A4 PDF with headless Chromium (the page's own @page rules)."""
    browser = chromium()
    with tempfile.TemporaryDirectory() as folder:
        page = Path(folder) / "brief.html"
        page.write_text(html, encoding="utf-8")
        out = Path(folder) / "brief.pdf"
        command = [
            browser,
            *CHROMIUM_ARGS,
            f"--user-data-dir={Path(folder) / 'profile'}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={out}",
            page.as_uri(),
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        if done.returncode != 0 or not out.exists():
            raise WorkplanError(
                L_(
                    "Chromium could not print the PDF: {reason}",
                    reason=done.stderr.strip()[-300:],
                )
            )
        shutil.copyfile(out, target)


def write_report(target: Path, html: Callable[[], str], xlsx: Callable[[Path], None]) -> None:
    """Write a report in the format the target's suffix names: .xlsx, .pdf or HTML."""
    suffix = target.suffix.lower()
    if suffix == ".xlsx":
        xlsx(target)
    elif suffix == ".pdf":
        html_to_pdf(html(), target)
    else:
        target.write_text(html(), encoding="utf-8")


def brief_xlsx(brief: Brief, target: Path) -> None:
    """Write the brief as a workbook: one sheet per section, numbers and dates as real cells."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import Cell
    from openpyxl.styles import Font, PatternFill

    fills = {
        "red": PatternFill("solid", fgColor="E53935"),
        "yellow": PatternFill("solid", fgColor="FDD835"),
        "blue": PatternFill("solid", fgColor="1E88E5"),
        "green": PatternFill(),
    }
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "总体情况"
    sheet.append(["范围", *CATEGORIES, "合计", "逾期已发函件"])
    for row in [brief.overall, *brief.chapters]:
        levels = "、".join(f"{k}{v}" for k, v in row.levels.items())
        sheet.append([row.name, *(row.counts[c] for c in CATEGORIES), row.total, levels])
    sheet = book.create_sheet("按牵头单位")
    sheet.append(["牵头单位", *CATEGORIES, "合计", "逾期已发函件"])
    for row in brief.departments:
        levels = "、".join(f"{k}{v}" for k, v in row.levels.items())
        sheet.append([row.name, *(row.counts[c] for c in CATEGORIES), row.total, levels])
    if brief.lead_total != brief.overall.total:
        shared = "、".join(line.row.label for line in brief.shared_leads)
        sheet.append(
            [
                f"注：{shared}有多个牵头单位，在每个牵头单位下各计一次，故本表合计"
                f"{brief.lead_total}项（共{brief.overall.total}项）"
            ]
        )
    sheet = book.create_sheet("逐项进展")
    sheet.append(
        [
            "事项",
            "内容",
            "牵头单位",
            "配合单位",
            "颜色",
            "状态",
            "最近报告",
            "逾期",
            "逾期级别",
            "下一期限",
            "下一事项",
        ]
    )
    for line in brief.items:
        r = line.row
        overdue = "；".join(f"{o.title}（{o.deadline:%Y-%m-%d}）" for o in r.overdue)
        sheet.append(
            [
                r.number,
                r.title,
                "、".join(r.lead),
                "、".join(r.co),
                COLOUR_NAMES[line.colour],
                line.category,
                line.last_report,
                overdue or None,
                line.level,
                r.next_due.deadline if r.next_due else None,
                r.next_due.title if r.next_due else None,
            ]
        )
        sheet.cell(sheet.max_row, 5).fill = fills[line.colour]
    sheet = book.create_sheet("指标进度")
    sheet.append(["事项", "指标", "单位", "日期", "类别", "数值"])
    for s in brief.metrics:
        for kind, points in (
            ("报告值", s.reports),
            ("节点目标", s.checkpoints),
            ("序时进度", s.pace),
        ):
            for day, value in points:
                sheet.append([s.label, s.metric.title, s.metric.unit, day, kind, value])
    sheet = book.create_sheet("本月通知")
    sheet.append(["级别", "单位", "件数", "月底前已办结"])
    for n in brief.notices:
        sheet.append([n.level, n.department, n.count, n.answered])
    if brief.ranking:
        sheet = book.create_sheet("单位排名")
        sheet.append(["名次", "牵头单位", "红", "黄", "牵头事项"])
        for place, (name, red, yellow, total) in enumerate(brief.ranking, 1):
            sheet.append([place, name, red, yellow, total])
    if brief.scores:
        sheet = book.create_sheet("考核")
        sheet.append(list(SCORE_HEADER))
        for score_row in brief.scores:
            sheet.append(score_row)
        for cells in sheet.iter_rows(min_row=2):
            for cell in cells[5:8]:
                cell.number_format = "0.0%"
    if brief.strip:
        months = sorted({m for shown in brief.strip.values() for m, _ in shown})
        sheet = book.create_sheet("月度色带")
        sheet.append(["事项", *months])
        for number, shown in sorted(brief.strip.items()):
            colours = dict(shown)
            sheet.append([number, *(COLOUR_NAMES.get(colours.get(m) or "", None) for m in months)])
            for at, m in enumerate(months, 2):
                found = colours.get(m)
                if found in fills:
                    sheet.cell(sheet.max_row, at).fill = fills[found]
    if brief.drift:
        sheet = book.create_sheet("期限调整")
        sheet.append(list(DRIFT_HEADER))
        for drift_row in brief.drift:
            sheet.append(drift_row)
    sheet = book.create_sheet("下月期限")
    sheet.append(["期限", "事项", "应办事项", "目标值", "单位", "责任单位", "已完成"])
    for e in brief.agenda:
        sheet.append(
            [
                e.deadline,
                e.item,
                e.title,
                e.target,
                e.unit,
                "、".join(e.departments),
                "是" if e.done else "否",  # a sheet read by people, not TRUE/FALSE
            ]
        )
    for ws in book.worksheets:
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for column in ws.iter_cols(min_row=2):
            for cell in column:
                if isinstance(cell, Cell) and cell.is_date:
                    cell.number_format = "yyyy-mm-dd"
        ws.freeze_panes = "A2"
    book.save(target)


def score_xlsx(report: Any, target: Path) -> None:
    """Write a period's scores as a workbook: the scores and rates, then every point."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from workplan.reports.scoring import POINT_HEADER

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "考核"
    sheet.append([f"{report.plan.title} — {report.label}考核（截至{report.period.as_of}）"])
    sheet.append(list(SCORE_HEADER))
    for row in report.rows():
        sheet.append(row)
    for row in sheet.iter_rows(min_row=3):
        for cell in row[5:8]:
            cell.number_format = "0.0%"
    points = book.create_sheet("扣分明细")
    points.append(list(POINT_HEADER))
    for row in report.point_rows():
        points.append(row)
    for row in points.iter_rows(min_row=2):
        row[3].number_format = "yyyy-mm-dd"
    for cell in [*sheet[2], *points[1]]:
        cell.font = Font(bold=True)
    book.save(target)
