"""`workplan demo`: the commands an office types, on a real plan, each with its output."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import click

from workplan import i18n
from workplan.cli.options import LANG_ASKED
from workplan.i18n import N_


@dataclass(frozen=True)
class Step:
    """One step of the walk-through: why, then the command."""

    why: str
    args: tuple[str, ...]


def steps(
    plan_file: str, ledger: str, db: str, outbox: str, config: str | None = None
) -> list[Step]:
    """Return the walk-through for a plan file, a ledger, a scratch database and outbox (and
    a delivery config naming group robots, when given)."""
    on = ("--db", db)
    configured = ("--config", config) if config else ()
    robots = [
        Step(
            N_(
                "The group robots in the config, checked without sending anything, and where "
                "each department's notices go."
            ),
            ("channels", "check", *configured, *on),
        )
    ]
    return [
        Step(
            N_("Check the plan file: every problem would be listed, one line each."),
            ("validate", plan_file),
        ),
        Step(
            N_("Load it into the database (all or nothing; loading again changes nothing)."),
            ("load", plan_file, *on),
        ),
        Step(
            N_(
                "Import the year's ledger (台账) of reports. Each report counts from the day it is "
                "dated, so the evaluations below see only what was known on their day."
            ),
            ("progress", "import", ledger, *on),
        ),
        Step(
            N_(
                "Tuesday 9 May, the day the plan was issued: its first morning. Nothing that fell "
                "due before it is chased (the office gets one list of what is still open), and each "
                "department gets its reminders in one digest."
            ),
            ("tick", "--as-of", "2023-05-09", *on),
        ),
        *(robots if config else []),
        Step(
            N_(
                "Send them, as the service would at 09:00 that morning. With no SMTP server "
                "configured, each message is written as an .eml file: one letter per recipient, "
                "kind and day."
            ),
            ("run", "--once", "--now", "2023-05-09T09:00", "--outbox", outbox, *configured, *on),
        ),
        Step(
            N_(
                "Monday 17 July. District-fund disbursement stands at 44% (reported 26 June); the "
                "plan wants it at 序时进度 by 20 July (中旬), 55.07%: a warning (提示函)."
            ),
            ("tick", "--as-of", "2023-07-17", *on),
        ),
        Step(
            N_(
                "Friday 21 July, the first working day after the checkpoint: the figure of 18 July, "
                "50%, reported on time, is short of it: a shortfall (未达到), so a numbered 提示函 "
                "naming the gap, not a 催办. The 提示函 of the 17th was never sent (no run that "
                "week), so no letter claims it was."
            ),
            ("tick", "--as-of", "2023-07-21", *on),
        ),
        Step(
            N_("Send them at 09:00."),
            ("run", "--once", "--now", "2023-07-21T09:00", "--outbox", outbox, *configured, *on),
        ),
        Step(
            N_("The office's record of who was told what, and when:"),
            # written to the outbox folder (已写入): the demo sends no e-mail
            ("notices", "--status", "已写入", "--department", "区财政局", "--db", db),
        ),
        Step(
            N_("And the full text of one of them, as it was sent:"),
            ("notices", "--show", "LAST_SENT_TO_区财政局", "--db", db),
        ),
        Step(
            N_("Before the July meeting: where do 区财政局's items stand on 21 July?"),
            ("status", "--as-of", "2023-07-21", "--department", "区财政局", *on),
        ),
        Step(
            N_("The office grants an extension for the 2025 project library; its clock restarts."),
            (
                "extend",
                "16/project-library-2025",
                "--to",
                "2024-01-20",
                "--by",
                "区委农办",
                "--reason",
                "市级审核时间调整",
                *on,
            ),
        ),
        Step(
            N_(
                "Preview the year before loading a plan: every notice by month and level, with "
                "this ledger's progress."
            ),
            ("simulate", plan_file, "--progress", ledger, "--summary"),
        ),
    ]


@click.command()
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
    show_default="./demo",
    help="where the demo's own database goes (recreated on each run)",
)
@click.option(
    "--config",
    type=click.Path(path_type=Path, dir_okay=False),
    help='a delivery config with [robots."NAME"] sections: the morning\'s messages also go '
    "to the departments' group robots (see the README for local contract servers)",
)
@click.pass_context
def demo(
    ctx: click.Context, plan_file: Path, ledger: Path, directory: Path, config: Path | None
) -> None:
    """Walk through workplan on the Banan District 2023 plan, in a scratch database.

    Prints each command as you would type it, then its output: validate, load, import a
    year's ledger of reports, evaluate two mornings, ask where the items stand, grant an
    extension and preview the year.
    """
    # the steps run through the command the demo was called from (``workplan``), whose
    # commands it walks through
    root = ctx.find_root().command
    if not plan_file.is_file() or not ledger.is_file():
        raise click.UsageError(
            i18n.gettext(
                "no plan file at {plan_file} or no ledger at {ledger}: run the demo from a clone "
                "of workplan, or give --plan-file and --ledger"
            ).format(plan_file=plan_file, ledger=ledger)
        )
    directory.mkdir(parents=True, exist_ok=True)
    db = directory / "workplan.db"
    outbox = directory / "outbox"
    for leftover in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        leftover.unlink(missing_ok=True)
    if outbox.is_dir():
        for old in outbox.glob("*.eml"):
            old.unlink()
    chosen = str(config) if config else None
    # the narration in the plan's language (the steps each follow the plan themselves)
    lang = i18n.language(_locale_of(plan_file))
    asked = ("--lang", ctx.meta[LANG_ASKED]) if LANG_ASKED in ctx.meta else ()
    for step in steps(str(plan_file), str(ledger), str(db), str(outbox), chosen):
        args = [_last_sent(db, a) if a.startswith("LAST_SENT_TO_") else a for a in step.args]
        if step.why:
            click.secho(f"\n# {i18n.gettext(step.why, lang)}", fg="cyan")
        click.secho("$ workplan " + " ".join(_quote(a) for a in args), bold=True)
        try:
            root.main([*asked, *args], prog_name="workplan", standalone_mode=False)
        except SystemExit as exc:
            if exc.code:
                raise
    said = i18n.gettext("The demo database is {db}; try: {command}", lang)
    click.secho("\n" + said.format(db=db, command=next_command(db)), fg="cyan")


def _locale_of(plan_file: Path) -> str | None:
    """The plan's locale as its file writes it, or None when the file is no plan."""
    import yaml

    try:
        data = yaml.safe_load(plan_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    locale = data.get("locale") if isinstance(data, dict) else None
    return locale if isinstance(locale, str) else None


def next_command(db: Path) -> str:
    """Return a command to try after the demo, as the shell the demo ran in can run it: this
    workplan's path when `workplan` there is another program or none (a venv not activated)."""
    import os
    import shutil
    import sys

    program = "workplan"
    mine = Path(sys.executable).with_name("workplan")
    found = shutil.which(program)
    if mine.is_file() and not (found and os.path.samefile(found, mine)):
        program = os.path.relpath(mine) if mine.is_relative_to(Path.cwd()) else str(mine)
    return f"{program} status --db {db} --as-of 2023-10-23"


def _last_sent(db: Path, placeholder: str) -> str:
    """The id of the last notice sent to a department, for the demo's --show step."""
    from workplan.notices import record as outbox_log
    from workplan.store import db as store
    from workplan.store import refs

    department = placeholder.removeprefix("LAST_SENT_TO_")
    with store.connected(str(db)) as engine, store.reading(engine) as conn:
        plan = refs.find_plan(conn, None)
        rows = [
            row
            for status in ("written", "sent")
            for row in outbox_log.listing(conn, plan, status=status, department=department)
        ]
    return str(max(r["id"] for r in rows)) if rows else "0"


def _quote(arg: str) -> str:
    return (
        arg
        if arg and all(c.isalnum() or c in "-_./@#:%（）" or ord(c) > 127 for c in arg)
        else repr(arg)
    )
