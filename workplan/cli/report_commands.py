"""Commands that report for a meeting: agenda."""

from __future__ import annotations

from datetime import date, timedelta

import click

from workplan.cli.options import (
    DAY,
    db_option,
    format_option,
    lang_option,
    plan_option,
    table_width,
    today_in,
)

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
    from workplan.cli import tables as render
    from workplan.reports.agenda import agenda as read_agenda
    from workplan.store import db as store
    from workplan.store import refs

    with store.connected(db) as engine, store.reading(engine) as conn:
        plan = refs.find_plan(conn, plan_key)
        first = start or today_in(plan.timezone)
        last = end or first + timedelta(days=30)
        who = refs.find_department(conn, plan, department) if department else None
        entries = read_agenda(conn, plan, first, last, who)
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
    words = render.Words(lang or plan.locale)
    title = f"{plan.title} — " + (
        f"{first}至{last}的期限" if words.zh else f"deadlines {first} – {last}"
    )
    if who:
        title += f" — {who}"
    click.echo(render.agenda_table(entries, title, table_width(), words), nl=False)
