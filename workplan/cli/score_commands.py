"""考核 and the plan's record: score, month close, drift."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import click

from workplan.cli.options import (
    DAY,
    FORMAT_WORDS,
    MONTH,
    Words,
    db_option,
    format_option,
    plan_option,
    table_width,
    today_in,
)
from workplan.i18n import _

_QUARTER = re.compile(r"^(?:(\d{4})\s*[-年]?\s*)?(?:Q|第)?([1-4])(?:季度)?$", re.IGNORECASE)


def _quarter(text: str, year: int) -> tuple[int, int]:
    found = _QUARTER.match(text.strip())
    if not found:
        raise click.BadParameter(
            f"'{text}' is not a quarter like 2023-Q3 or 3", param_hint="--quarter"
        )
    return int(found.group(1) or year), int(found.group(2))


def _rate(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f}%"


def _points(value: float) -> str:
    text = f"{value:+g}" if value else "0"
    return text.replace("-", "−")


@click.command()
@click.option("--month", type=MONTH, help="score a month (2023-07 or 2023年7月)")
@click.option("--quarter", metavar="Q", help="score a quarter (2023-Q3, or 3 for the plan's year)")
@click.option("--year", "whole_year", is_flag=True, help="score the plan's year")
@click.option("--as-of", type=DAY, help="the day the facts are known on [default: today]")
@click.option("--department", help="only this department's line")
@click.option("--explain", metavar="DEPT", help="every point of one department, with its evidence")
@click.option(
    "--format",
    "fmt",
    type=Words({**FORMAT_WORDS, "xlsx": ()}),
    default="table",
    show_default=True,
    help="table for people, csv or json for scripts, xlsx for the office (with -o)",
)
@click.option("-o", "--output", type=click.Path(path_type=Path), help="the .xlsx to write")
@plan_option
@db_option
def score(
    month: date | None,
    quarter: str | None,
    whole_year: bool,
    as_of: date | None,
    department: str | None,
    explain: str | None,
    fmt: str,
    output: Path | None,
    plan_key: str | None,
    db: str | None,
) -> None:
    """Score departments (考核) over a month, a quarter or the year, with every point explained.

    Each obligation due in the period: on time 0 (or the plan's bonus for early), late by the
    highest rung of the ladder actually sent to the department (催办, 督办, 通报), nothing
    reported by the scoring day −5, each 退回 −2; a co-responsible department's points are
    weighted; aims and paused obligations are not scored; an item's loss is capped.  Beside
    the score: 按期办结率, 报送及时率, 目标完成率.  The numbers are the plan's `scoring:`.
    """
    from workplan.cli import render
    from workplan.reports import scoring
    from workplan.store import db as store
    from workplan.store import refs

    if (month is not None) + (quarter is not None) + whole_year > 1:
        raise click.UsageError(_("give one of --month, --quarter, --year"))
    if fmt == "xlsx" and output is None:
        raise click.UsageError(_("--format xlsx writes a file: give -o FILE.xlsx"))
    with store.connected(db) as engine, store.reading(engine) as conn:
        plan = refs.find_plan(conn, plan_key)
        day = as_of or today_in(plan.timezone)
        if month is not None:
            span = scoring.period_of(month.year, month=month.month)
        elif quarter is not None:
            year, q = _quarter(quarter, plan.year)
            span = scoring.period_of(year, quarter=q)
        elif whole_year:
            span = scoring.period_of(plan.year)
        else:
            span = scoring.period_of(day.year, month=day.month)
        who = refs.find_department(conn, plan, department) if department else None
        explained = refs.find_department(conn, plan, explain) if explain else None
        made = scoring.build_scores(conn, plan, span[0], span[1], span[2], day)
    if explained is not None:
        rows = made.point_rows(explained)
        header: tuple[str, ...] = scoring.POINT_HEADER
    else:
        rows = [r for r in made.rows() if who is None or r[0] == who]
        header = scoring.HEADER
    if fmt == "xlsx" and output is not None:
        from workplan.reports.output import score_xlsx

        score_xlsx(made, output)
        click.echo(
            _(
                "wrote {output}: {label}, {n} departments",
                output=output,
                label=made.label,
                n=len(made.scores),
            )
        )
    elif fmt == "json":
        click.echo(render.dump_json([dict(zip(header, r, strict=True)) for r in rows]))
    elif fmt == "csv":
        click.echo(render.dump_csv(header, rows), nl=False)
    else:
        click.echo(_table(made, header, rows, explained), nl=False)


def _table(made: Any, header: tuple[str, ...], rows: list[list[Any]], explained: str | None) -> str:
    from workplan.cli.render import Column, grid
    from workplan.reports import scoring

    if explained is not None:
        shown = [
            [r[0], f"{r[1]}{r[2]}" if r[2] else r[1], str(r[3]), r[4], _points(r[5]), r[6], r[7]]
            for r in rows
        ]
        names: tuple[str, ...] = ("单位", "事项", "日期", "规则", "分值", "角色", "依据")
        total = next(s for s in made.scores if s.department == explained)
        title = _(
            "{plan} — assessment of {period} — {department}: base {base:g}, score {score:g}"
            " (as of {day})",
            plan=made.plan.title,
            period=made.label,
            department=explained,
            base=total.base,
            score=total.total,
            day=made.period.as_of,
        )
        right = {"分值"}
    else:
        shown = [
            [r[0], f"{r[1]:g}", _points(r[2]), f"{r[3]:g}", str(r[4]), *map(_rate, r[5:])]
            for r in rows
        ]
        names = header
        title = _(
            "{plan} — assessment of {period} (as of {day})",
            plan=made.plan.title,
            period=made.label,
            day=made.period.as_of,
        )
        right = set(header[1:])
    columns = [
        Column(_(scoring.LABELS[n]), right=n in right, keep=n in ("单位", "日期", "分值", "得分"))
        for n in names
    ]
    return grid(title, columns, shown, table_width())


@click.group()
def month() -> None:
    """The record of each month: where every item and metric stood at its end, kept as written."""


@month.command("close")
@click.argument("which", metavar="[MONTH]", required=False, type=MONTH)
@click.option("--today", type=DAY, help="the day it is closed on [default: today]")
@plan_option
@db_option
def month_close(
    which: date | None, today: date | None, plan_key: str | None, db: str | None
) -> None:
    """Keep where every item and metric stood at the end of MONTH (default: last month).

    Colour, category, the escalation reached, each metric's value and its gap to 序时进度, as
    the brief shows them on the month's last day; an item whose lapse was made up is yellow,
    never green.  A month is closed once: closing it again, or reports made later, change
    nothing kept.  The service closes each month on the first working day after it.
    """
    from workplan.cli.options import now_utc
    from workplan.reports.months import close_month
    from workplan.store import db as store
    from workplan.store import refs

    with store.connected(db) as engine, engine.begin() as conn:
        plan = refs.find_plan(conn, plan_key)
        day = today or today_in(plan.timezone)
        first = which or (day.replace(day=1) - timedelta(days=1)).replace(day=1)
        done = close_month(conn, plan, first, day, now_utc())
    if done.written:
        click.echo(
            _(
                "closed {month}: {rows} rows as of {day}",
                month=done.month,
                rows=done.written,
                day=done.as_of,
            )
        )
    else:
        click.echo(_("{month} was closed already: nothing rewritten", month=done.month))


def month_table(
    conn: Any, plan: Any, first: date, width: int | None, department: str | None = None
) -> str:
    """Where every item and metric stood at the end of a month: from its record, or (for a
    month not closed) computed from the facts known now, and said so; optionally only the
    items a department answers for."""
    from workplan.cli.render import Column, grid
    from workplan.plan.compiled import item_label
    from workplan.reports.brief import COLOUR_NAMES
    from workplan.reports.months import month_rows, recorded
    from workplan.rules.words import STATE_WORDS
    from workplan.store.months import subject_titles
    from workplan.store.snapshot import read_tasks

    kept = recorded(conn, plan, first)
    tasks = read_tasks(conn, plan)
    numbers = {t.id: t.number for t in tasks.values()}
    if kept:
        rows = [(r.number, r.row) for r in kept]
        note = "月末存档"
    else:
        rows = [(numbers[r.task_id], r) for r in month_rows(conn, plan, first)[1]]
        note = "未存档：按现有数据计算"
    if department is not None:
        rows = [(n, r) for n, r in rows if department in tasks[r.task_id].owners]
    titles = subject_titles(conn, plan.id)

    def number(value: float | None) -> str:
        return "–" if value is None else f"{value:g}"

    shown = []
    for n, r in rows:
        title = titles.get((r.task_id, r.subject), r.subject)
        shown.append(
            [
                item_label(n) if not r.subject else "",
                title if not r.subject else f"  {title}",
                COLOUR_NAMES.get(r.colour or "", "–"),
                r.category or STATE_WORDS.get(r.state, r.state),
                r.level or "",
                number(r.value) if r.subject else "",
                number(r.expected) if r.subject else "",
                number(r.gap) if r.subject else "",
            ]
        )
    names = ("事项", "内容", "颜色", "分类", "督办级别", "数值", "序时进度", "差距")
    columns = [Column(h, right=h in ("数值", "序时进度", "差距"), keep=h == "事项") for h in names]
    who = f" — {department}" if department else ""
    title = f"{plan.title} — {first.year}年{first.month}月末（{note}）{who}"
    return grid(title, columns, shown, width)


@click.command()
@click.option("--department", help="only the deadlines this department answers for")
@format_option
@plan_option
@db_option
def drift(department: str | None, fmt: str, plan_key: str | None, db: str | None) -> None:
    """Show every deadline moved since the plan was issued: extensions, amendments, pauses.

    One row per move, with the item, the lead department, the deadline before and after, the
    days it moved and the day it was decided; then, per department, how many moved and by
    how many days in all.
    """
    from workplan.cli import render
    from workplan.cli.render import Column, grid
    from workplan.reports.drift import HEADER, LABELS, SUMMARY_HEADER, build_drift
    from workplan.store import db as store
    from workplan.store import refs

    with store.connected(db) as engine, store.reading(engine) as conn:
        plan = refs.find_plan(conn, plan_key)
        who = refs.find_department(conn, plan, department) if department else None
        made = build_drift(conn, plan, who)
    rows = made.rows()
    if fmt == "json":
        click.echo(render.dump_json([dict(zip(HEADER, r, strict=True)) for r in rows]))
        return
    if fmt == "csv":
        click.echo(render.dump_csv(HEADER, rows), nl=False)
        return
    if not rows:
        click.echo(_("{plan}: no deadline moved since the plan was issued", plan=plan.title))
        return
    shown = [["–" if v is None else str(v) for v in r] for r in rows]
    columns = [
        Column(_(LABELS[h]), right=h == "推迟天数", keep=h in ("原期限", "新期限", "决定日期"))
        for h in HEADER
    ]
    width = table_width()
    title = _("{plan} — deadlines moved since the plan was issued", plan=plan.title)
    click.echo(grid(title, columns, shown, width), nl=False)
    summary = [[str(v) for v in r] for r in made.summary()]
    columns = [Column(_(LABELS[h]), right=h != "单位") for h in SUMMARY_HEADER]
    click.echo(grid(_("By department"), columns, summary, width), nl=False)
