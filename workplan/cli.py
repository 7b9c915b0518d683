"""The workplan command line: a thin shell over the library, and the only reader of the clock."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import click
from rich.console import Console
from sqlalchemy.exc import OperationalError

from workplan import records, refs, render, store
from workplan.errors import InvalidInput, WorkplanError
from workplan.load import load
from workplan.plan import plan_json_schema
from workplan.snapshot import read_snapshot
from workplan.status import task_statuses
from workplan.validate import read_plan, validate_files

F = TypeVar("F", bound=Callable[..., Any])


def now_utc() -> datetime:
    """Read the clock: the current instant in UTC."""
    return datetime.now(UTC)


def today_in(zone: str) -> date:
    """Read the clock: today's date in a plan's time zone."""
    return datetime.now(ZoneInfo(zone)).date()


class _Group(click.Group):
    """Turn the library's typed errors into one-line messages and exit codes."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except InvalidInput as exc:
            for problem in exc.problems:
                click.echo(str(problem), err=True)
            count = len(exc.problems)
            click.echo(f"{count} problem{'s' if count != 1 else ''} found", err=True)
            sys.exit(exc.exit_code)
        except WorkplanError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except OperationalError as exc:
            click.echo(f"error: the database refused: {exc.orig}", err=True)
            sys.exit(1)


def db_option(func: F) -> F:
    return click.option(
        "--db",
        metavar="PATH|URL",
        help=f"SQLite file or SQLAlchemy URL [env {store.ENV_URL}; default ./{store.DEFAULT_DB}]",
    )(func)


def plan_option(func: F) -> F:
    return click.option(
        "--plan", "plan_key", metavar="ID", help="plan id; needed only when the database holds several"
    )(func)


def format_option(func: F) -> F:
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(["table", "json", "csv"]),
        default="table",
        show_default=True,
        help="table for people, json or csv for scripts",
    )(func)


class _Day(click.ParamType):
    name = "DATE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            self.fail(f"'{value}' is not a date like 2023-06-30", param, ctx)


DAY = _Day()


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="workplan")
def cli() -> None:
    """Keep an annual work plan on schedule.

    Write the plan as YAML, check it with `validate`, put it in a database with `load`,
    record what departments report with `progress record` and `done`, and see where every
    item stands with `status`.  Try `workplan demo` for a walk-through on a real plan.
    """


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
def validate(files: tuple[Path, ...]) -> None:
    """Check plan files and print every problem, one line each.

    Each line names the file, line, column and field, e.g.

      plans/x.yaml:21:16: chapters[0].tasks[0].lead[0]: unknown department '区财政委'; did you mean '区财政局'?

    Exit status 0 when every file is valid, 2 otherwise.
    """
    plans, problems = validate_files(list(files))
    for lp in plans:
        c = lp.compiled
        click.echo(
            f"{lp.path}: ok: {c.id}, {len(c.tasks)} items, {len(c.obligations)} dated obligations, "
            f"{len(c.metrics)} metrics, {len(c.departments)} departments"
        )
    if problems:
        raise InvalidInput(problems)


@cli.command()
@click.option("--output", "-o", type=click.Path(path_type=Path), help="write to a file instead")
def schema(output: Path | None) -> None:
    """Print the JSON Schema of plan files, for editors.

    Save it next to your plans and start a plan with

      # yaml-language-server: $schema=workplan-plan.schema.json

    so that editors with the YAML language server check the plan as you type.
    """
    text = render.dump_json(plan_json_schema()) + "\n"
    if output:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}")
    else:
        click.echo(text, nl=False)


@cli.command("load")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help="show what would change and write nothing")
@db_option
def load_command(file: Path, dry_run: bool, db: str | None) -> None:
    """Load a plan file into the database, or amend the plan already there.

    All or nothing: a plan with any problem is not loaded.  Loading the same file again
    changes nothing.  An amended plan (a date moved, an item added or dropped) updates the
    database, keeps every progress report and the previous version, and lists the changes.
    """
    loaded = read_plan(file)
    engine = store.open_store(store.database_url(db), create=True)
    with engine.begin() as conn:
        result = load(
            conn,
            loaded.compiled,
            source_path=str(file),
            source_text=loaded.text,
            now=now_utc(),
            dry_run=dry_run,
        )
    prefix = "would load" if dry_run else "loaded"
    if result.unchanged:
        click.echo(f"{result.plan}: unchanged (version {result.version}); nothing written")
        return
    what = "new plan" if result.created else f"version {result.version}"
    click.echo(
        f"{prefix} {result.plan} {what}: {result.tasks} items, {result.obligations} dated "
        f"obligations, {result.departments} departments"
    )
    if not result.created:
        for change in result.changes:
            click.echo(f"  {change}")


@cli.group()
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
    engine = store.open_store(store.database_url(db))
    with engine.begin() as conn:
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
    value_text = f" = {render.number(done.value)}{done.unit or ''}" if done.value is not None else ""
    click.echo(f"recorded {done.plan} item {done.task} {done.what}{value_text} as of {done.as_of} by {done.department}")


@cli.command()
@click.argument("ref", metavar="TASK[/OBLIGATION]")
@click.option("--by", "department", required=True, help="the department that did it")
@click.option("--on", "on", type=DAY, help="the day it was done [default: today]")
@click.option("--note", help="what was delivered")
@plan_option
@db_option
def done(
    ref: str, department: str, on: date | None, note: str | None, plan_key: str | None, db: str | None
) -> None:
    """Mark a deliverable or an occurrence of a duty done.

    TASK alone works when the item has one open obligation.  A duty's id alone
    (23/dispatch) means its earliest open occurrence; name one exactly with 23/dispatch@2023-06.
    """
    engine = store.open_store(store.database_url(db))
    with engine.begin() as conn:
        day = on or today_in(refs.find_plan(conn, plan_key).timezone)
        result = records.mark_done(conn, plan_key=plan_key, ref=ref, department=department, on=day, note=note)
    click.echo(f"done: {result.plan} item {result.task} {result.what} on {result.as_of} by {result.department}")


@cli.command()
@click.option("--as-of", type=DAY, help="the day to report on [default: today in the plan's zone]")
@click.option("--department", help="only the items this department answers for")
@format_option
@plan_option
@db_option
def status(
    as_of: date | None, department: str | None, fmt: str, plan_key: str | None, db: str | None
) -> None:
    """Show where every item stands: next deadline, what is overdue, each metric's progress.

    Working days (wd) follow the plan's calendar: statutory holidays and swapped working days.
    """
    engine = store.open_store(store.database_url(db))
    with store.reading(engine) as conn:
        plan = refs.find_plan(conn, plan_key)
        day = as_of or today_in(plan.timezone)
        who = refs.find_department(conn, plan, department) if department else None
        snap = read_snapshot(conn, plan)
    rows = task_statuses(snap, day, who)
    if fmt == "json":
        click.echo(render.dump_json({"plan": plan.key, "as_of": day, "items": rows}))
    elif fmt == "csv":
        click.echo(render.status_csv(rows), nl=False)
    else:
        title = f"{plan.title} — as of {day}" + (f" — {who}" if who else "")
        render.status_table(rows, title, Console(soft_wrap=False))


def main() -> None:
    """Run the command line."""
    cli()
