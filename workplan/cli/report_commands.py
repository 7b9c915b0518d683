"""Commands that report for a meeting: agenda, brief."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TypeVar

import click

from workplan import i18n
from workplan.cli.options import (
    DAY,
    MONTH,
    db_option,
    format_option,
    lang_option,
    plan_option,
    table_width,
    today_in,
)
from workplan.i18n import _

F = TypeVar("F", bound=Callable[..., Any])

AGENDA_HEADER = (
    "deadline",
    "working_days",
    "item",
    "item_title",
    "key",
    "title",
    "kind",
    "lead",
    "departments",
    "target",
    "unit",
    "done",
)


@click.command()
@click.option("--from", "start", type=DAY, help="first day [default: today in the plan's zone]")
@click.option("--to", "end", type=DAY, help="last day [default: 30 days after --from]")
@click.option("--department", help="only the deadlines this department answers for")
@format_option
@lang_option
@plan_option
@db_option
def agenda(
    start: date | None,
    end: date | None,
    department: str | None,
    fmt: str,
    lang: str | None,
    plan_key: str | None,
    db: str | None,
) -> None:
    """List the deadlines falling in a period, earliest first: the next meeting's agenda.

    Each with its item, the departments that answer for it, the target of a checkpoint and
    the working days from --from.  Already done ones are kept and marked.
    """
    from workplan.cli import render
    from workplan.reports.agenda import agenda as read_agenda
    from workplan.reports.cycle import cycle_section
    from workplan.store import db as store
    from workplan.store import refs

    with store.connected(db) as engine, store.reading(engine) as conn:
        plan = refs.find_plan(conn, plan_key)
        first = start or today_in(plan.timezone)
        last = end or first + timedelta(days=30)
        who = refs.find_department(conn, plan, department) if department else None
        entries = read_agenda(conn, plan, first, last, who)
        raised = cycle_section(conn, plan, first, last).open
    if fmt == "json":
        click.echo(
            render.dump_json({"plan": plan.key, "from": first, "to": last, "items": entries})
        )
        return
    rows = [
        (
            e.deadline,
            e.working_days,
            e.item,
            e.item_title,
            e.key,
            e.title,
            e.kind,
            "、".join(e.lead),
            "、".join(e.departments),
            e.target,
            e.unit,
            e.done,
        )
        for e in entries
    ]
    if fmt == "csv":
        click.echo(render.dump_csv(AGENDA_HEADER, rows), nl=False)
        return
    words = render.Words(i18n.plan_locale(plan.locale))
    title = f"{plan.title} — " + (
        f"{first}至{last}的期限" if words.zh else f"deadlines {first} – {last}"
    )
    if who:
        title += f" — {who}"
    click.echo(render.agenda_table(entries, title, table_width(), words), nl=False)
    for label, problem in raised:
        p = problem.raised
        click.echo(f"需协调解决的问题 {p.id}：{label} {p.department} {p.day}：{p.reason}")


def output_option(*, help: str) -> Callable[[F], F]:
    """-o FILE: .html, .pdf or .xlsx, chosen by the file's suffix."""

    def check(ctx: click.Context, param: click.Parameter, value: Path) -> Path:
        if value.suffix.lower() not in (".html", ".htm", ".pdf", ".xlsx"):
            raise click.BadParameter(_("write .html, .pdf or .xlsx"), ctx, param)
        return value

    return click.option(
        "-o",
        "--output",
        type=click.Path(path_type=Path, dir_okay=False),
        required=True,
        callback=check,
        help=help,
    )


@click.command()
@click.option("--month", type=MONTH, help="the month [default: this month in the plan's zone]")
@click.option("--department", help="only the items this department answers for")
@output_option(help="brief.html, brief.pdf (printed by headless Chromium) or brief.xlsx")
@plan_option
@db_option
def brief(
    month: date | None, department: str | None, output: Path, plan_key: str | None, db: str | None
) -> None:
    """Write the monthly brief (月调度) for the meeting: HTML, PDF or xlsx.

    Counts by 已完成, 超进度, 达进度, 欠进度 and 逾期 (by level) overall, per chapter and per
    lead department; every item with its departments, colour, last report, what is overdue
    and the next deadline; a chart per metric against its checkpoints and 序时进度; the
    month's notices; next month's deadlines.  As it stood on the month's last day (today,
    for the month still running).
    """
    from workplan.reports.brief import build_brief
    from workplan.reports.brief_record import with_record
    from workplan.reports.output import brief_html, brief_xlsx, write_report
    from workplan.store import db as store
    from workplan.store import refs

    with store.connected(db) as engine, store.reading(engine) as conn:
        plan = refs.find_plan(conn, plan_key)
        first = month or today_in(plan.timezone).replace(day=1)
        who = refs.find_department(conn, plan, department) if department else None
        style = plan.settings.brief
        made = build_brief(
            conn,
            plan,
            first,
            department=who,
            preset=style.colours,
            near=style.near,
            ranking=style.ranking,
            today=today_in(plan.timezone),
        )
        made = with_record(conn, plan, made, style.ranking)
    write_report(output, lambda: brief_html(made), lambda path: brief_xlsx(made, path))
    click.echo(
        _(
            "wrote {output}: {month}, {items} items, {metrics} metrics, "
            "{deadlines} deadlines next month",
            output=output,
            month=made.month_label,
            items=made.overall.total,
            metrics=len(made.metrics),
            deadlines=len(made.agenda),
        )
    )


@click.command()
@click.option("--month", type=MONTH, help="the month [default: this month in the plan's zone]")
@output_option(help="bulletin.html, bulletin.pdf (printed by headless Chromium) or bulletin.xlsx")
@plan_option
@db_option
def bulletin(month: date | None, output: Path, plan_key: str | None, db: str | None) -> None:
    """Write the month's numbered 通报 (第N期): what reached 通报 that month, by department.

    The first time a month's bulletin is written it takes the next number of the plan's
    bulletin series (`numbering: {bulletin: ...}`); written again, it keeps that number.
    A month with nothing at 通报 takes no number.
    """
    from workplan.plan.periods import month_end
    from workplan.reports.bulletin import Bulletin, bulletin_entries, issue_number
    from workplan.reports.output import bulletin_html, bulletin_xlsx, write_report
    from workplan.store import db as store
    from workplan.store import refs

    with store.connected(db) as engine:
        with store.reading(engine) as conn:
            plan = refs.find_plan(conn, plan_key)
        first = month or today_in(plan.timezone).replace(day=1)
        with engine.begin() as conn:
            entries = bulletin_entries(conn, plan, first)
            # an empty month issues no bulletin, so it takes no number
            number = (
                issue_number(conn, plan, first, month_end(first.year, first.month))
                if entries
                else None
            )
            made = Bulletin(plan, first, number, entries)
    write_report(output, lambda: bulletin_html(made), lambda path: bulletin_xlsx(made, path))
    click.echo(
        _(
            "wrote {output}: {number}, {month}, {items} items reached 通报 in "
            "{departments} departments",
            output=output,
            number=made.number or _("unnumbered"),
            month=made.month_label,
            items=len(made.entries),
            departments=len(made.by_department()),
        )
    )
