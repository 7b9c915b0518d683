"""Commands for the events that start a duty's clock: record one, list them."""

from __future__ import annotations

from datetime import date

import click

from workplan import i18n
from workplan.cli.options import DAY, db_option, lang_option, now_utc, plan_option, today_in
from workplan.i18n import _


@click.group()
def event() -> None:
    """Record the events that start duties (a flood warning, a problem found), and list them."""


@event.command("record")
@click.argument("name")
@click.option("--on", "on", type=DAY, help="the day it happened [default: today]")
@click.option("--note", help="what happened, in words")
@click.option("--by", "department", help="who records it [default: the coordination office]")
@plan_option
@db_option
def event_record(
    name: str,
    on: date | None,
    note: str | None,
    department: str | None,
    plan_key: str | None,
    db: str | None,
) -> None:
    """Record that event NAME happened: every duty the plan ties to it is now owed, due
    within its span of that day, and is reminded and escalated like any other.

    An event is recorded once a day: the same event again for the same day is refused.
    Example: workplan event record flood-warning --on 2023-06-12 --note 市气象台暴雨橙色预警
    """
    from workplan.store import db as store
    from workplan.store import events, refs

    with store.connected(db) as engine, engine.begin() as conn:
        today = today_in(refs.find_plan(conn, plan_key).timezone)
        done = events.record_event(
            conn,
            plan_key=plan_key,
            name=name,
            on=on or today,
            note=note,
            by=department,
            today=today,
            now=now_utc(),
        )
    click.echo(
        _(
            "recorded: {plan} {name} ({title}) on {day} by {department}",
            plan=done.plan,
            name=done.name,
            title=done.title,
            day=done.on,
            department=done.by,
        )
    )
    from workplan.plan.compiled import item_label

    for made in done.made:
        click.echo(
            _(
                "  item {item} {key} due {due} ({owners})",
                item=item_label(made.task),
                key=made.key,
                due=made.due,
                owners="、".join(made.owners),
            )
        )
    if not done.made:
        click.echo(_("  (no duty of the plan is tied to this event)"))


_ZH = {
    "On": "日期",
    "Event": "事件",
    "What": "内容",
    "By": "记录单位",
    "Duties started": "由此启动的任务",
    "Done": "完成",
    "Note": "备注",
}


@event.command("list")
@lang_option
@plan_option
@db_option
def event_list(lang: str | None, plan_key: str | None, db: str | None) -> None:
    """List the events recorded, with the duties each one started and how many are done."""
    from workplan.cli.options import table_width
    from workplan.cli.render import Column, grid
    from workplan.store import db as store
    from workplan.store import events, refs

    with store.connected(db) as engine, engine.connect() as conn:
        plan = refs.find_plan(conn, plan_key)
        recorded = events.list_events(conn, plan_key=plan.key)
    zh = i18n.language(plan.locale) == "zh"
    if not recorded:
        click.echo("尚未记录事件" if zh else "no event recorded")
        return

    def duty(m: events.Made) -> str:
        return f"{m.task}/{m.key} {m.due}到期" if zh else f"{m.task}/{m.key} due {m.due}"

    rows = [
        [
            str(e.on),
            e.name,
            e.title,
            e.by,
            "；".join(duty(m) for m in e.made) or "–",
            f"{e.done}/{len(e.made)}",
            e.note or "",
        ]
        for e in recorded
    ]
    names = ("On", "Event", "What", "By", "Duties started", "Done", "Note")
    columns = [
        Column(_ZH[n] if zh else n, right=n == "Done", keep=n in ("On", "Event", "Done"))
        for n in names
    ]
    title = f"{plan.title} — 已记录的事件" if zh else f"Events recorded for {plan.key}"
    click.echo(grid(title, columns, rows, table_width()), nl=False)
