"""Commands on the database itself: upgrade."""

from __future__ import annotations

from contextlib import suppress

import click

from workplan.cli.options import db_option
from workplan.i18n import _


@click.command()
@click.option("--dry-run", is_flag=True, help="list what would be added; change nothing")
@db_option
def upgrade(dry_run: bool, db: str | None) -> None:
    """Bring a database made by an earlier workplan up to this version.

    Adds the tables, columns and indexes this version needs, in one transaction; nothing is
    dropped or rewritten.  Back the database up first (see Operations in the README).
    """
    from sqlalchemy.exc import SQLAlchemyError

    from workplan.errors import WorkplanError
    from workplan.store import db as store
    from workplan.store import refs

    added = store.upgrade_store(db, dry_run=dry_run)
    if not added or not dry_run:  # the tables as this version reads them: say it in their plans'
        with (
            suppress(WorkplanError, SQLAlchemyError),
            store.connected(db) as engine,
            store.reading(engine) as conn,
        ):
            refs.all_plans(conn, None)
    for step in added:
        click.echo(f"  {step}")
    if not added:
        click.echo(_("the database is up to date"))
    elif dry_run:
        click.echo(_("{n} change(s) would be made; nothing was changed", n=len(added)))
    else:
        click.echo(_("upgraded: {n} change(s)", n=len(added)))
