"""Commands that record what happened: progress, done, extensions, sign-off."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import click

from workplan import i18n
from workplan.cli.options import (
    DAY,
    F,
    db_option,
    now_utc,
    plan_option,
    today_in,
)
from workplan.i18n import _


@click.group()
def progress() -> None:
    """Record what departments report (a metric's value, or a note)."""


def _force_option(func: F) -> F:
    return click.option(
        "--force",
        is_flag=True,
        help="record a value the checks refuse (a cumulative value going down, a negative "
        "count, far beyond the plan's figures), with the reasons as a note",
    )(func)


def _correct_option(func: F) -> F:
    return click.option(
        "--correct",
        is_flag=True,
        help="replace what was recorded for the same day (the earlier stays in the history)",
    )(func)


def _said(done: Any) -> str:
    """The end of an echo line: what a correction replaced, what a forced value overrode."""
    from workplan.plan.units import figure

    text = ""
    if done.outcome == "corrected":
        before = done.previous
        shown = figure(before) if isinstance(before, float) else str(before)
        text += _(" (corrected; was {before})", before=shown)
    if done.forced:
        text += _(" (forced: {checks})", checks="; ".join(done.forced))
    return text


def _about(done: Any) -> dict[str, Any]:
    """The values every echo line names: the plan, the item (its number and its 序号), what
    was recorded (its key and its title) and the department."""
    from workplan.plan.compiled import item_label

    return {
        "plan": done.plan,
        "task": done.task,
        "label": item_label(done.task),
        "what": done.what,
        "title": done.title or done.what,
        "department": done.department,
    }


@progress.command("record")
@click.argument("task")
@click.argument("metric", required=False)
@click.option(
    "--value",
    help="the metric's value as written: 35, 35%, 1.2亿, 4,927 (cumulative where the metric is)",
)
@click.option(
    "--part",
    help="a ratio's part (numerator, denominator, or its id: spent, allocated) or a "
    "benchmark the office records (national-average)",
)
@click.option("--as-of", type=DAY, help="the day the value stands for [default: today]")
@click.option("--by", "department", required=True, help="the reporting department, e.g. 区财政局")
@click.option("--note", help="what was done, in words")
@_force_option
@_correct_option
@plan_option
@db_option
def progress_record(
    task: str,
    metric: str | None,
    value: str | None,
    part: str | None,
    as_of: date | None,
    department: str,
    note: str | None,
    force: bool,
    correct: bool,
    plan_key: str | None,
    db: str | None,
) -> None:
    """Record progress on item TASK (16 or 十六), for METRIC (its id, title or an alias)
    when the item has several.

    Example: workplan progress record 16 中央衔接资金支出进度 --value 25% --as-of 2023-04-20 --by 区财政局

    A ratio metric is recorded part by part; its percentage is derived (x / y = z%):
    workplan progress record 16 central-disbursement --part spent --value 1200 --by 区财政局
    """
    from workplan.plan.units import figure
    from workplan.store import db as store
    from workplan.store import records, refs

    with store.connected(db) as engine, engine.begin() as conn:
        today = today_in(refs.find_plan(conn, plan_key).timezone)
        done = records.record_progress(
            conn,
            plan_key=plan_key,
            task_ref=task,
            metric_key=metric,
            value=value,
            as_of=as_of or today,
            department=department,
            note=note,
            now=now_utc(),
            today=today,
            force=force,
            correct=correct,
            part=part,
        )
    value_text = f" = {figure(done.value)}{done.unit or ''}" if done.value is not None else ""
    verb = _("already recorded:") if done.outcome == "already" else _("recorded")
    click.echo(
        _(
            "{verb} {plan} item {task} {what}{value} as of {day} by {department}",
            verb=verb,
            value=value_text,
            day=done.as_of,
            **_about(done),
        )
        + _said(done)
    )
    if done.derived:
        click.echo(f"  {done.what.rpartition('.')[0]} {done.derived}")


@click.command()
@click.argument("ref", metavar="TASK[/OBLIGATION]")
@click.option("--by", "department", required=True, help="the department that did it")
@click.option("--on", "on", type=DAY, help="the day it was done [default: today]")
@click.option(
    "--period",
    help="which occurrence of a duty: 2023-04, 2023-Q2, 2023-H1 (as in dispatch@2023-04)",
)
@click.option("--note", help="what was delivered")
@_correct_option
@plan_option
@db_option
def done(
    ref: str,
    department: str,
    on: date | None,
    period: str | None,
    note: str | None,
    correct: bool,
    plan_key: str | None,
    db: str | None,
) -> None:
    """Mark a deliverable or an occurrence of a duty done (a yes/no outcome: achieved).

    OBLIGATION is an id, a title or an alias; TASK alone works when the item has one open
    deliverable or duty.  For a duty, name the occurrence (2/monthly-inspection@2023-04, or
    --period 2023-04); without one, it is the occurrence whose period contains the day done
    (--on), if that one is open.  workplan never guesses: otherwise it lists the open ones.
    """
    from workplan.store import db as store
    from workplan.store import records, refs

    with store.connected(db) as engine, engine.begin() as conn:
        today = today_in(refs.find_plan(conn, plan_key).timezone)
        result = records.mark_done(
            conn,
            plan_key=plan_key,
            ref=ref,
            department=department,
            on=on or today,
            note=note,
            today=today,
            period=period,
            correct=correct,
            now=now_utc(),
        )
    verb = _("achieved:") if result.kind == "outcome" else _("done:")
    verb = _("already recorded:") if result.outcome == "already" else verb
    if result.outcome == "awaiting":
        verb = _("reported, awaiting the office's review (待复核):")
    click.echo(
        _(
            "{verb} {plan} item {task} {what} on {day} by {department}",
            verb=verb,
            day=result.as_of,
            **_about(result),
        )
        + _said(result)
    )


@progress.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@_force_option
@_correct_option
@plan_option
@db_option
def progress_import(
    file: Path, force: bool, correct: bool, plan_key: str | None, db: str | None
) -> None:
    """Import a ledger (台账) of reports: a .csv or .xlsx file, one row per report.

    Columns, in English or Chinese: item (事项), metric (指标), obligation (任务),
    period (期次), value (数值), as_of (日期), department (报送单位), note (备注); a title block
    above the header row and other columns are fine (they are ignored).  A row with a metric
    and a value records the value; a row with an obligation marks it done on that date.
    Rows already recorded are counted, not recorded twice, so a running ledger can be sent
    again.  Every row is checked first; one bad row and nothing is recorded.
    """
    from workplan.store import db as store
    from workplan.store import ledger, refs

    with store.connected(db) as engine, engine.begin() as conn:
        result = ledger.import_ledger(
            conn,
            file,
            plan_key=plan_key,
            now=now_utc(),
            today=today_in(refs.find_plan(conn, plan_key).timezone),
            force=force,
            correct=correct,
        )
    blank = i18n.ngettext("{n} row left blank", "{n} rows left blank", result.blank)
    extra = [
        _("{n} already recorded", n=result.already) if result.already else "",
        _("{n} corrected", n=result.corrected) if result.corrected else "",
        _("{n} forced", n=result.forced) if result.forced else "",
        blank.format(n=result.blank) if result.blank else "",
        _("columns ignored: {columns}", columns=", ".join(result.ignored))
        if result.ignored
        else "",
    ]
    click.echo(
        _(
            "imported {file}: {values} values, {done} obligations done, {notes} notes",
            file=file,
            values=result.values,
            done=result.done,
            notes=result.notes,
        )
        + "".join(_("; {part}", part=e) for e in extra if e)
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
        _(
            "extended: {plan} item {task} {what} now due {day} ({department})",
            day=result.as_of,
            **_about(result),
        )
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
    click.echo(_("signed off: {plan} item {task} by {department}", **_about(result)))
