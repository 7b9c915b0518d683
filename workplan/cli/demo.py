"""`workplan demo`: the commands an office types, on a real plan, each with its output."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import click


@dataclass(frozen=True)
class Step:
    """One step of the walk-through: why, then the command."""

    why: str
    args: tuple[str, ...]


def steps(plan_file: str, ledger: str, db: str, outbox: str) -> list[Step]:
    """Return the walk-through for a plan file, a ledger, a scratch database and outbox."""
    on = ("--db", db)
    return [
        Step(
            "Check the plan file: every problem would be listed, one line each.",
            ("validate", plan_file),
        ),
        Step(
            "Load it into the database (all or nothing; loading again changes nothing).",
            ("load", plan_file, *on),
        ),
        Step(
            "Import the year's ledger (台账) of reports. Each report counts from the day it is "
            "dated, so the evaluations below see only what was known on their day.",
            ("progress", "import", ledger, *on),
        ),
        Step(
            "Wednesday 26 April, the morning evaluation. 区财政局 reported central-fund "
            "disbursement at 25% on 20 April; at that pace since January it will not reach the "
            "30% checkpoint on 30 April: a warning (提示函), not a plain reminder.",
            ("tick", "--as-of", "2023-04-26", *on),
        ),
        Step(
            "Thursday 4 May, the first working day after 30 April (1-3 May are the May Day "
            "holiday): the checkpoint was missed (催办, with the shortfall), and April's 排查 "
            "was not reported.",
            ("tick", "--as-of", "2023-05-04", *on),
        ),
        Step(
            "Send them, as the service would at 09:00 that morning. With no SMTP server "
            "configured, each message is written as an .eml file: one digest per department "
            "for its reminders, each escalation on its own.",
            ("run", "--once", "--now", "2023-05-04T09:00", "--outbox", outbox, *on),
        ),
        Step(
            "The office's record of who was told what, and when:",
            ("notices", "--status", "sent", "--department", "区财政局", "--db", db),
        ),
        Step(
            "And the full text of one of them, as it was sent:",
            ("notices", "--show", "FIRST_SENT_TO_区财政局", "--db", db),
        ),
        Step(
            "Before the July meeting: where do 区财政局's items stand on 3 July? (52% on 26 June "
            "met the June checkpoint and, late, April's.)",
            ("status", "--as-of", "2023-07-03", "--department", "区财政局", *on),
        ),
        Step(
            "The same for scripts: --format csv (or json).",
            ("status", "--as-of", "2023-07-03", "--department", "区财政局", "--format", "csv", *on),
        ),
        Step(
            "The office grants an extension for the 2025 project library; its clock restarts.",
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
            "Preview the year before loading a plan: every notice by month and level, with "
            "this ledger's progress.",
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
    from workplan.cli.commands import cli

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
    for step in steps(str(plan_file), str(ledger), str(db), str(outbox)):
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
    from workplan.notices import record as outbox_log
    from workplan.store import db as store
    from workplan.store import refs

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
