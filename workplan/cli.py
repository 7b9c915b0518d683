"""The workplan command line: a thin shell over the library, and the only reader of the clock."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import click
from rich.console import Console
from sqlalchemy.exc import OperationalError

from workplan import ledger, outbox, outbox_log, records, refs, render, store
from workplan.delivery import close_all, load_settings, open_channels
from workplan.demo import steps as demo_steps
from workplan.dispatch import DispatchSettings, dispatch, preview
from workplan.errors import InvalidInput, WorkplanError
from workplan.facts import read_facts
from workplan.load import load
from workplan.plan import plan_json_schema
from workplan.rules import evaluate
from workplan.scheduler import Service, SingleService
from workplan.simulate import simulate as simulate_plan
from workplan.snapshot import read_tasks
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
        "--plan",
        "plan_key",
        metavar="ID",
        help="plan id; needed only when the database holds several",
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


class _Day(click.ParamType):  # type: ignore[type-arg]
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
    """Check plan files (and department directory files) and print every problem, one line each.

    Each line names the file, line, column and field, e.g.

      plans/x.yaml:21:16: chapters[0].tasks[0].lead[0]: unknown department '区财政委'; did you mean '区财政局'?

    Exit status 0 when every file is valid, 2 otherwise.
    """
    valid, problems = validate_files(list(files))
    for item in valid:
        if isinstance(item, tuple):
            path, directory = item
            click.echo(
                f"{path}: ok: a department directory, {len(directory.departments)} departments"
            )
            continue
        c = item.compiled
        click.echo(
            f"{item.path}: ok: {c.id}, {len(c.tasks)} items, {len(c.obligations)} dated obligations, "
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
    with store.connected(db, create=True) as engine, engine.begin() as conn:
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


@cli.command()
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
    with store.connected(db) as engine, engine.begin() as conn:
        day = on or today_in(refs.find_plan(conn, plan_key).timezone)
        result = records.mark_done(
            conn, plan_key=plan_key, ref=ref, department=department, on=day, note=note
        )
    click.echo(
        f"done: {result.plan} item {result.task} {result.what} on {result.as_of} by {result.department}"
    )


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
    with store.connected(db) as engine, store.reading(engine) as conn:
        plan = refs.find_plan(conn, plan_key)
        day = as_of or today_in(plan.timezone)
        who = refs.find_department(conn, plan, department) if department else None
        tasks = read_tasks(conn, plan)
        everything, calendars = read_facts(conn, day, plan_ids=[plan.id], everything=True)
        owed, _ = read_facts(conn, day, plan_ids=[plan.id])
        delivery = outbox_log.counts(conn, plan)
    intents = evaluate(owed[plan.id], day, calendars[plan.id])
    rows = task_statuses(tasks, everything[plan.id], intents, calendars[plan.id], day, who)
    if fmt == "json":
        click.echo(
            render.dump_json({"plan": plan.key, "as_of": day, "items": rows, "notices": delivery})
        )
    elif fmt == "csv":
        click.echo(render.status_csv(rows), nl=False)
    else:
        title = f"{plan.title} — as of {day}" + (f" — {who}" if who else "")
        render.status_table(rows, title, Console(soft_wrap=False))
        if delivery.get("failed") or delivery.get("retrying"):
            click.echo(
                f"notices: {delivery.get('failed', 0)} failed, {delivery.get('retrying', 0)} to retry "
                "— see `workplan notices --status failed`"
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
    with store.connected(db) as engine, engine.begin() as conn:
        result = ledger.import_ledger(conn, file, plan_key=plan_key, now=now_utc())
    click.echo(
        f"imported {file}: {result.values} values, {result.done} obligations done, "
        f"{result.notes} notes"
    )


@cli.command()
@click.option("--as-of", type=DAY, help="the day to evaluate [default: today in each plan's zone]")
@format_option
@plan_option
@db_option
def tick(as_of: date | None, fmt: str, plan_key: str | None, db: str | None) -> None:
    """Evaluate the rules for a day and store the notices owed (the outbox).

    Idempotent: running it twice for the same day adds nothing.  A notice still waiting to
    be sent that is no longer owed (the work was done, or it escalated) is superseded.
    `workplan run` does this every working morning; run it by hand to catch up or to check.
    """
    with store.connected(db) as engine:
        with store.reading(engine) as conn:
            plans = refs.all_plans(conn, plan_key)
        groups: dict[date, list[int]] = {}
        for plan in plans:
            groups.setdefault(as_of or today_in(plan.timezone), []).append(plan.id)
        results = []
        for day, ids in sorted(groups.items()):
            with engine.begin() as conn:
                results.append(outbox.tick(conn, day, now_utc(), plan_ids=ids))
    pairs = [(r.as_of, i) for r in results for i in r.added]
    rows = render.notice_rows(pairs)
    if fmt == "json":
        click.echo(render.notice_json(rows))
        return
    if fmt == "csv":
        click.echo(render.dump_csv(render.NOTICE_HEADER, rows), nl=False)
        return
    if rows:
        render.notice_table(rows, "Notices added", Console(soft_wrap=False))
    for r in results:
        click.echo(
            f"{r.as_of}: {r.owed} notices owed, {len(r.added)} added, "
            f"{r.owed - len(r.added)} already stored, {r.superseded} superseded"
        )


@cli.command()
@click.argument("plan_file", metavar="PLAN.yaml", type=click.Path(path_type=Path))
@click.option("--from", "start", type=DAY, help="first day [default: 1 January of the plan's year]")
@click.option("--to", "end", type=DAY, help="last day [default: 31 December]")
@click.option(
    "--progress",
    "progress_file",
    type=click.Path(path_type=Path),
    help="a ledger to replay (.csv/.xlsx)",
)
@click.option("--summary", is_flag=True, help="only the counts by month, department and level")
@format_option
def simulate(
    plan_file: Path,
    start: date | None,
    end: date | None,
    progress_file: Path | None,
    summary: bool,
    fmt: str,
) -> None:
    """Preview every notice a plan would produce over a period, before loading it.

    Replays each working day against a scratch database (your database is not touched),
    optionally with a ledger of progress that becomes visible on the day it is dated.
    """
    loaded = read_plan(plan_file)
    first = start or date(loaded.compiled.year, 1, 1)
    last = end or date(loaded.compiled.year, 12, 31)
    if last < first:
        raise click.UsageError("--to comes before --from")
    days = (last - first).days + 1
    with click.progressbar(length=days, label="replaying", file=sys.stderr) as bar:
        produced = simulate_plan(
            loaded, first, last, progress=progress_file, on_day=lambda _d: bar.update(1)
        )
    rows = render.notice_rows([(s.day, s.intent) for s in produced])
    if fmt == "json":
        click.echo(render.notice_json(rows))
    elif fmt == "csv":
        click.echo(render.dump_csv(render.NOTICE_HEADER, rows), nl=False)
    else:
        console = Console(soft_wrap=False)
        if not summary:
            render.notice_table(rows, f"{loaded.compiled.title}: notices {first} – {last}", console)
        render.simulation_summary(rows, console)


@cli.command()
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
    with store.connected(db) as engine, engine.begin() as conn:
        result = records.extend(
            conn, plan_key=plan_key, ref=ref, to=to, by=department, reason=reason, now=now_utc()
        )
    click.echo(
        f"extended: {result.plan} item {result.task} {result.what} now due {result.as_of} ({result.department})"
    )


@cli.command()
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


def config_option(func: F) -> F:
    return click.option(
        "--config",
        type=click.Path(path_type=Path),
        envvar="WORKPLAN_CONFIG",
        help="delivery settings (TOML: [smtp] host, port, security, user, password) "
        "[env WORKPLAN_CONFIG; WORKPLAN_SMTP_* override it]",
    )(func)


def outbox_option(func: F) -> F:
    return click.option(
        "--outbox",
        "outbox_dir",
        type=click.Path(path_type=Path, file_okay=False),
        help="write .eml files here when no SMTP server is configured [env WORKPLAN_OUTBOX; default ./outbox]",
    )(func)


def _delivery(config: Path | None, outbox: Path | None) -> Any:
    settings = load_settings(config)
    return replace(settings, outbox=outbox) if outbox else settings


def templates_option(func: F) -> F:
    return click.option(
        "--templates",
        "templates_dir",
        type=click.Path(path_type=Path, file_okay=False),
        envvar="WORKPLAN_TEMPLATES",
        help="the office's own template folder; missing templates fall back to the shipped ones",
    )(func)


def _renderer(folder: Path | None) -> Any:
    from workplan.templates import Templates

    return Templates(folder)


@cli.command("dispatch")
@click.option(
    "--dry-run", is_flag=True, help="print what would be sent now; send and change nothing"
)
@click.option("--ignore-hours", is_flag=True, help="send outside the plans' sending hours")
@config_option
@outbox_option
@templates_option
@db_option
def dispatch_command(
    dry_run: bool,
    ignore_hours: bool,
    config: Path | None,
    outbox_dir: Path | None,
    templates_dir: Path | None,
    db: str | None,
) -> None:
    """Send the notices that are due: by SMTP if configured, else as .eml files in ./outbox.

    Reminders to a department are sent as one daily digest; escalations on their own.
    Temporary failures (4xx, server unreachable) are retried with backoff; permanent ones
    (5xx) and those that fail too often are marked failed: see `workplan notices --status failed`.
    `workplan run` does this every minute.
    """
    delivery = _delivery(config, outbox_dir)
    settings = DispatchSettings(ignore_hours=ignore_hours, sender=delivery.sender)
    renderer = _renderer(templates_dir)
    with store.connected(db) as engine:
        if dry_run:
            composed = preview(engine, renderer, now=now_utc(), settings=settings)
            for item in composed:
                click.echo(
                    f"--- {item.outgoing.message_id} to {', '.join(item.outgoing.recipients)}"
                )
                click.echo(f"Subject: {item.subject}\n")
                click.echo(item.text)
            click.echo(f"{len(composed)} message(s) would be sent; nothing was sent or changed")
            return
        channels = open_channels(delivery)
        try:
            result = dispatch(
                engine, channels, renderer, now=now_utc, owner=owner_name(), settings=settings
            )
        finally:
            close_all(channels)
    if not result.messages and not settings.ignore_hours and result.reaped == 0:
        click.echo(
            "nothing to send now (outside sending hours, the queue is empty, or retries wait)"
        )
        return
    click.echo(
        f"{result.messages} message(s) for {result.notices} notice(s) via {channels[0].name}: "
        f"{result.sent} sent, {result.retrying} to retry, {result.failed} failed"
        + (f", {result.unknown} possibly duplicated" if result.unknown else "")
        + (
            f", {result.refused_recipients} recipient(s) refused"
            if result.refused_recipients
            else ""
        )
    )


def owner_name() -> str:
    """Name this process for claims: host and pid."""
    import os
    import socket

    return f"{socket.gethostname()}:{os.getpid()}"


@cli.command()
@click.option(
    "--once", is_flag=True, help="catch up, send what is due, and exit (for cron or a backfill)"
)
@click.option(
    "--now",
    "pinned",
    type=click.DateTime(formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]),
    help="with --once: act as if it were this local time in the plans' zone (replays, tests)",
)
@click.option(
    "--lease",
    type=click.FloatRange(min=0.1),
    default=300.0,
    show_default=True,
    help="seconds a claim holds before another dispatcher may take the notice over",
)
@config_option
@outbox_option
@templates_option
@db_option
def run(
    once: bool,
    pinned: datetime | None,
    lease: float,
    config: Path | None,
    outbox_dir: Path | None,
    templates_dir: Path | None,
    db: str | None,
) -> None:
    """Run the service: evaluate each working morning, send every minute.

    On start it evaluates every local date since the last recorded evaluation, so days the
    service was down are caught up (the notices owed today, not a flood of stale ones).
    SIGTERM or Ctrl-C stops it after the current step.  On SQLite one service runs per
    database file; on PostgreSQL several may run at once and share the work.
    """
    import logging
    import signal

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if pinned is not None and not once:
        raise click.UsageError("--now goes with --once")
    delivery = _delivery(config, outbox_dir)
    url = store.database_url(db)
    clock = now_utc
    if pinned is not None:
        with store.connected(db) as engine, store.reading(engine) as conn:
            zone = ZoneInfo(refs.all_plans(conn, None)[0].timezone)
        fixed = pinned.replace(tzinfo=zone)

        def clock() -> datetime:
            return fixed

    with SingleService(url), store.connected(db) as engine:
        service = Service(
            engine,
            delivery,
            _renderer(templates_dir),
            owner=owner_name(),
            now=clock,
            wall=now_utc,
            settings=DispatchSettings(sender=delivery.sender, lease=timedelta(seconds=lease)),
        )
        signal.signal(signal.SIGTERM, service.stop)
        signal.signal(signal.SIGINT, service.stop)
        if once:
            service.once()
            t = service.totals
            click.echo(
                f"{t.messages} message(s): {t.sent} sent, {t.retrying} to retry, {t.failed} failed"
            )
        else:
            service.run()


@cli.command()
@click.option(
    "--status",
    type=click.Choice(["pending", "claimed", "sent", "retrying", "failed", "superseded"]),
)
@click.option("--department", help="only this department's notices")
@click.option(
    "--kind", type=click.Choice(["reminder", "warning", "overdue", "escalation", "bulletin"])
)
@click.option("--date", "day", type=DAY, help="only notices owed by the evaluation of this day")
@click.option(
    "--show", "show", type=int, metavar="ID", help="the full text of one notice's message"
)
@click.option(
    "--limit", type=int, default=200, show_default=True, help="at most this many, newest first"
)
@format_option
@plan_option
@db_option
def notices(
    status: str | None,
    department: str | None,
    kind: str | None,
    day: date | None,
    show: int | None,
    limit: int,
    fmt: str,
    plan_key: str | None,
    db: str | None,
) -> None:
    """List the notices owed and what became of them: who was told what, and when.

    Failures stay here until someone acts: `workplan notices --status failed`.
    `--show ID` prints the message as it was sent (headers and text).
    """
    with store.connected(db) as engine, store.reading(engine) as conn:
        plan = refs.find_plan(conn, plan_key)
        if show is not None:
            record = outbox_log.show(conn, plan, show)
            click.echo(render.notice_record(record))
            return
        who = refs.find_department(conn, plan, department) if department else None
        rows = outbox_log.listing(
            conn, plan, status=status, department=who, kind=kind, day=day, limit=limit
        )
    if fmt == "json":
        click.echo(render.dump_json(rows))
    elif fmt == "csv":
        click.echo(render.dump_csv(outbox_log.COLUMNS, [tuple(r.values()) for r in rows]), nl=False)
    else:
        render.notices_table(rows, f"Notices of {plan.key}", Console(soft_wrap=False))


@cli.group()
def templates() -> None:
    """The notice templates (notifications/, or the office's own folder)."""


@templates.command("check")
@templates_option
def templates_check(templates_dir: Path | None) -> None:
    """Render every template against sample data; report every problem, one line each.

    Undefined variables are errors, so a broken template is found now, not during a morning
    run.  With --templates, the office's folder is checked (falling back to the shipped ones).
    """
    from workplan.templates import check

    problems = check(templates_dir)
    if problems:
        raise InvalidInput(problems)
    click.echo(f"templates ok: {templates_dir or 'the shipped templates'}")


@cli.command()
@click.option(
    "--plan-file",
    type=click.Path(path_type=Path),
    default=Path("plans/banan-2023.yaml"),
    show_default=True,
    help="the plan to walk through",
)
@click.option(
    "--ledger",
    type=click.Path(path_type=Path),
    default=Path("plans/banan-2023-ledger.csv"),
    show_default=True,
    help="the progress reports to import",
)
@click.option(
    "--dir",
    "directory",
    type=click.Path(path_type=Path),
    default=Path("demo"),
    show_default=True,
    help="where the demo's own database goes (recreated on each run)",
)
@click.pass_context
def demo(ctx: click.Context, plan_file: Path, ledger: Path, directory: Path) -> None:
    """Walk through workplan on the Banan District 2023 plan, in a scratch database.

    Prints each command as you would type it, then its output: validate, load, import a
    year's ledger of reports, evaluate two mornings, ask where the items stand, grant an
    extension and preview the year.
    """
    if not plan_file.is_file() or not ledger.is_file():
        raise click.UsageError(
            f"no plan file at {plan_file} or no ledger at {ledger}: run the demo from a clone "
            "of workplan, or give --plan-file and --ledger"
        )
    directory.mkdir(parents=True, exist_ok=True)
    db = directory / "workplan.db"
    outbox = directory / "outbox"
    for leftover in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        leftover.unlink(missing_ok=True)
    if outbox.is_dir():
        for old in outbox.glob("*.eml"):
            old.unlink()
    for step in demo_steps(str(plan_file), str(ledger), str(db), str(outbox)):
        args = [_first_sent(db, a) if a.startswith("FIRST_SENT_TO_") else a for a in step.args]
        if step.why:
            click.secho(f"\n# {step.why}", fg="cyan")
        click.secho("$ workplan " + " ".join(_quote(a) for a in args), bold=True)
        try:
            cli.main(args, prog_name="workplan", standalone_mode=False)
        except SystemExit as exc:
            if exc.code:
                raise
    click.secho(
        f"\nThe demo database is {db}; try: workplan status --db {db} --as-of 2023-10-23", fg="cyan"
    )


def _first_sent(db: Path, placeholder: str) -> str:
    """The id of the first notice sent to a department, for the demo's --show step."""
    department = placeholder.removeprefix("FIRST_SENT_TO_")
    with store.connected(str(db)) as engine, store.reading(engine) as conn:
        rows = outbox_log.listing(
            conn, refs.find_plan(conn, None), status="sent", department=department
        )
    return str(min(r["id"] for r in rows)) if rows else "0"


def _quote(arg: str) -> str:
    return (
        arg
        if arg and all(c.isalnum() or c in "-_./@#:%（）" or ord(c) > 127 for c in arg)
        else repr(arg)
    )


def main() -> None:
    """Run the command line."""
    cli()
