"""Commands on plan files: validate, schema, load."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from workplan import i18n
from workplan.cli.options import (
    db_option,
    now_utc,
)
from workplan.errors import InvalidInput, Problem, Refused
from workplan.i18n import L_, _


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
def validate(files: tuple[Path, ...]) -> None:
    """Check plan files (and department directory files) and print every problem, one line each.

    Each line names the file, line, column and field, e.g.

      plans/x.yaml:21:16: chapters[0].tasks[0].lead[0]: unknown department '区财政委'; did you mean '区财政局'?

    Exit status 0 when every file is valid, 2 otherwise.
    """
    from workplan.plan.validate import validate_files

    valid, problems = validate_files(list(files))
    for item in valid:
        if isinstance(item, tuple):
            path, directory = item
            click.echo(
                _(
                    "{path}: ok: a department directory, {n} departments",
                    path=path,
                    n=len(directory.departments),
                )
            )
            continue
        c = item.compiled
        i18n.follow_plan(c.locale)
        click.echo(
            _(
                "{path}: ok: {plan}, {items} items, {obligations} dated obligations, "
                "{metrics} metrics, {departments} departments",
                path=item.path,
                plan=c.id,
                items=len(c.tasks),
                obligations=len(c.obligations),
                metrics=sum(m.part_of is None for m in c.metrics),
                departments=len(c.departments),
            )
        )
        for warning in plan_warnings(c):
            click.echo(_("{path}: warning: {warning}", path=item.path, warning=warning), err=True)
    if problems:
        raise InvalidInput(problems)


@click.command()
@click.option("--output", "-o", type=click.Path(path_type=Path), help="write to a file instead")
def schema(output: Path | None) -> None:
    """Print the JSON Schema of plan files, for editors.

    Save it next to your plans and start a plan with

      # yaml-language-server: $schema=workplan-plan.schema.json

    so that editors with the YAML language server check the plan as you type.
    """
    from workplan.cli import render
    from workplan.plan.model import plan_json_schema

    text = render.dump_json(plan_json_schema()) + "\n"
    if output:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise Refused(
                L_("cannot write {output}: {reason}", output=output, reason=_why(exc))
            ) from None
        click.echo(_("wrote {output}", output=output))
    else:
        click.echo(text, nl=False)


def _why(exc: OSError) -> str:
    """Why a file cannot be written, in the language spoken."""
    if isinstance(exc, FileNotFoundError):
        return _("its folder does not exist")
    if isinstance(exc, PermissionError):
        return _("no permission to write there")
    return exc.strerror or str(exc)


@click.command("load")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help="show what would change and write nothing")
@db_option
def load_command(files: tuple[Path, ...], dry_run: bool, db: str | None) -> None:
    """Load plan files into the database, or amend the plans already there.

    All or nothing: if any file has a problem, every problem is listed and nothing is
    loaded.  Loading the same file again changes nothing.  An amended plan (a date moved, an
    item added or dropped) updates the database, keeps every progress report and the previous
    version, and lists the changes.

    Several files load in one transaction, e.g. a province's county plans:

      workplan load plans/counties/*.yaml
    """
    from workplan.plan.validate import read_plan
    from workplan.store import db as store
    from workplan.store.load import PlanFile, load_all

    loaded, problems = [], []
    for file in files:
        try:
            loaded.append(read_plan(file))
        except InvalidInput as exc:
            problems.extend(exc.problems)
    problems.extend(_given_twice(loaded))
    if problems:
        raise InvalidInput(problems)
    sources = [PlanFile(item.compiled, str(item.path), item.text) for item in loaded]
    with store.connected(db, create=True) as engine, engine.begin() as conn:
        results = load_all(conn, sources, now=now_utc(), dry_run=dry_run)
    for item, result in zip(loaded, results, strict=True):
        _say_loaded(item, result, dry_run)


def _given_twice(loaded: list[Any]) -> list[Problem]:
    """A plan id that two of the files give: which one to keep is not for workplan to guess."""
    first: dict[str, Any] = {}
    problems = []
    for item in loaded:
        plan_id = item.compiled.id
        if plan_id in first:
            line = next(
                (n for n, text in enumerate(item.text.splitlines(), 1) if text.startswith("id:")),
                0,
            )
            problems.append(
                Problem(
                    str(item.path),
                    line,
                    1 if line else 0,
                    "id",
                    f"plan '{plan_id}' is also in {first[plan_id].path}: give each plan once",
                )
            )
        else:
            first[plan_id] = item
    return problems


def _say_loaded(item: Any, result: Any, dry_run: bool) -> None:
    file = item.path
    i18n.follow_plan(item.compiled.locale)
    for warning in plan_warnings(item.compiled):
        click.echo(_("{path}: warning: {warning}", path=file, warning=warning), err=True)
    prefix = _("would load") if dry_run else _("loaded")
    if result.unchanged:
        click.echo(
            _(
                "{plan}: unchanged (version {version}); nothing written",
                plan=result.plan,
                version=result.version,
            )
        )
        return
    what = _("new plan") if result.created else _("version {version}", version=result.version)
    click.echo(
        _(
            "{prefix} {plan} {what}: {items} items, {obligations} dated obligations, "
            "{departments} departments",
            prefix=prefix,
            plan=result.plan,
            what=what,
            items=result.tasks,
            obligations=result.obligations,
            departments=result.departments,
        )
    )
    if not result.created:
        for change in result.changes:
            click.echo(f"  {change.said()}")
    before = before_start(item.compiled)
    if before:
        click.echo(
            _(
                "  {n} obligation(s) fall due before the plan takes effect on "
                "{day}: shown in status, never chased",
                n=before,
                day=item.compiled.settings.chase_from,
            )
        )


def before_start(compiled: Any) -> int:
    """Count the obligations due before a plan takes effect (its chase_from)."""
    start = compiled.settings.chase_from
    return sum(1 for o in compiled.obligations if start is not None and o.due < start)


def plan_warnings(compiled: Any) -> list[str]:
    """Say what a plan's calendar would have to guess: years without an official schedule."""
    from workplan.plan.calendar import unknown_years

    first = min([compiled.year, *(o.due.year for o in compiled.obligations)])
    settings = compiled.settings
    last = settings.closes_on or settings.period_or_year(compiled.year)[1]
    years = range(first, last.year + 1)
    return [
        f"the installed holidays data has no official schedule for {year}: its swapped working "
        f"days (调休) are unknown and would be guessed wrong; upgrade the holidays package "
        f"(pip install -U holidays) or give {year}'s holidays and working days in a calendar "
        "file (calendar: {files: [...]})"
        for year in unknown_years(settings.calendar, years)
    ]
