"""Commands that record what happened: progress, done, extensions, sign-off."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from workplan.cli.options import (
    DAY,
    db_option,
    now_utc,
    plan_option,
    today_in,
)


@click.group()
def progress() -> None:
    """Record what departments report (a metric's value, or a note)."""


@progress.command("record")
@click.argument("task")
@click.argument("metric", required=False)
@click.option("--value", type=float, help="the metric's value (cumulative where the metric is)")
@click.option("--as-of", type=DAY, help="the day the value stands for [default: today]")
@click.option("--by", "department", required=True, help="the reporting department, e.g. 区财政局")
@click.option("--note", help="what was done, in words")
@plan_option
@db_option
def progress_record(
    task: str,
    metric: str | None,
    value: float | None,
    as_of: date | None,
    department: str,
    note: str | None,
    plan_key: str | None,
    db: str | None,
) -> None:
    """Record progress on item TASK (16 or 十六), for METRIC when the item has several.

    Example: workplan progress record 16 central-disbursement --value 25 --as-of 2023-04-20 --by 区财政局
    """
    from workplan.cli import tables as render
    from workplan.store import db as store
    from workplan.store import records, refs

    with store.connected(db) as engine, engine.begin() as conn:
        day = as_of or today_in(refs.find_plan(conn, plan_key).timezone)
        done = records.record_progress(
            conn,
            plan_key=plan_key,
            task_ref=task,
            metric_key=metric,
            value=value,
            as_of=day,
            department=department,
            note=note,
            now=now_utc(),
        )
    value_text = (
        f" = {render.number(done.value)}{done.unit or ''}" if done.value is not None else ""
    )
    click.echo(
        f"recorded {done.plan} item {done.task} {done.what}{value_text} as of {done.as_of} by {done.department}"
    )


@click.command()
@click.argument("ref", metavar="TASK[/OBLIGATION]")
@click.option("--by", "department", required=True, help="the department that did it")
@click.option("--on", "on", type=DAY, help="the day it was done [default: today]")
@click.option("--note", help="what was delivered")
@plan_option
@db_option
def done(
    ref: str,
    department: str,
    on: date | None,
    note: str | None,
    plan_key: str | None,
    db: str | None,
) -> None:
    """Mark a deliverable or an occurrence of a duty done.

    TASK alone works when the item has one open obligation.  A duty's id alone
    (23/dispatch) means its earliest open occurrence; name one exactly with 23/dispatch@2023-06.
    """
    from workplan.store import db as store
    from workplan.store import records, refs

    with store.connected(db) as engine, engine.begin() as conn:
        day = on or today_in(refs.find_plan(conn, plan_key).timezone)
        result = records.mark_done(
            conn, plan_key=plan_key, ref=ref, department=department, on=day, note=note
        )
    click.echo(
        f"done: {result.plan} item {result.task} {result.what} on {result.as_of} by {result.department}"
    )


@progress.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@plan_option
@db_option
def progress_import(file: Path, plan_key: str | None, db: str | None) -> None:
    """Import a ledger (台账) of reports: a .csv or .xlsx file, one row per report.

    Columns, in English or Chinese: item (事项), metric (指标), obligation (任务),
    value (数值), as_of (日期), department (报送单位), note (备注).  A row with a metric and
    a value records the value; a row with an obligation marks it done on that date.
    Every row is checked first; one bad row and nothing is recorded.
    """
    from workplan.store import db as store
    from workplan.store import ledger

    with store.connected(db) as engine, engine.begin() as conn:
        result = ledger.import_ledger(conn, file, plan_key=plan_key, now=now_utc())
    click.echo(
        f"imported {file}: {result.values} values, {result.done} obligations done, "
        f"{result.notes} notes"
    )


@click.command()
@click.argument("ref", metavar="TASK/OBLIGATION")
@click.option("--to", "to", type=DAY, required=True, help="the new deadline")
@click.option("--by", "department", required=True, help="the coordination office granting it")
@click.option("--reason", required=True, help="why the extension is granted")
@plan_option
@db_option
def extend(
    ref: str, to: date, department: str, reason: str, plan_key: str | None, db: str | None
) -> None:
    """Grant an extension: move an obligation's deadline; its escalation ladder restarts.

    Only the coordination office may extend.  Example:
    workplan extend 16/project-library-2024 --to 2024-01-15 --by 区委农办 --reason "市级审核延期"
    """
    from workplan.store import db as store
    from workplan.store import records

    with store.connected(db) as engine, engine.begin() as conn:
        result = records.extend(
            conn, plan_key=plan_key, ref=ref, to=to, by=department, reason=reason, now=now_utc()
        )
    click.echo(
        f"extended: {result.plan} item {result.task} {result.what} now due {result.as_of} ({result.department})"
    )


@click.command()
@click.argument("task")
@click.option("--by", "department", required=True, help="the coordination office")
@click.option("--note", help="what was verified")
@click.option("--force", is_flag=True, help="sign off even with obligations still open")
@plan_option
@db_option
def signoff(
    task: str, department: str, note: str | None, force: bool, plan_key: str | None, db: str | None
) -> None:
    """Sign an item off (销号): the office has verified it; no notice is owed for it afterwards.

    Only the coordination office may sign off.  An item with obligations still open needs --force.
    """
    from workplan.store import db as store
    from workplan.store import records, refs

    with store.connected(db) as engine, engine.begin() as conn:
        plan = refs.find_plan(conn, plan_key)
        result = records.signoff(
            conn,
            plan_key=plan_key,
            task_ref=task,
            by=department,
            note=note,
            force=force,
            as_of=today_in(plan.timezone),
            now=now_utc(),
        )
    click.echo(f"signed off: {result.plan} item {result.task} by {result.department}")
