"""Commands on the ledger (台账) departments send back: the return form to fill in."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from workplan.cli.options import MONTH, db_option, plan_option, today_in
from workplan.i18n import _


@click.group()
def ledger() -> None:
    """The ledger (台账): a return form for each department to fill in and send back."""


@ledger.command("template")
@click.option("--department", required=True, help="the department the form is for, e.g. 区财政局")
@click.option(
    "--month", type=MONTH, help="the month it reports on, e.g. 2023-07 [default: this month]"
)
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path, dir_okay=False),
    help="the .xlsx file to write [default: DEPARTMENT-MONTH.xlsx]",
)
@plan_option
@db_option
def template(
    department: str, month: date | None, output: Path | None, plan_key: str | None, db: str | None
) -> None:
    """Write a department's return form (报送表) for a month, as an .xlsx file in Chinese.

    It lists what the department owes that month: each metric with its last value and date,
    each deliverable or duty occurrence due and still open.  The identifying columns are
    locked; values and dates are checked as they are typed; a second sheet says how to fill
    it in.  Sent back, it imports as it is: workplan progress import FILE.xlsx.
    """
    from workplan.store import db as store
    from workplan.store import refs, returnform

    with store.connected(db) as engine, store.reading(engine) as conn:
        plan = refs.find_plan(conn, plan_key)
        who = refs.find_department(conn, plan, department)
        first = month or today_in(plan.timezone).replace(day=1)
        form = returnform.owed(conn, plan, who, first)
    path = output or Path(f"{who}-{first:%Y-%m}.xlsx")
    returnform.write(form, path)
    click.echo(
        _(
            "wrote {path}: {department}, {month}: {metrics} metric(s) to report, "
            "{obligations} deliverable(s) or duty occurrence(s) to close",
            path=path,
            department=who,
            month=f"{first:%Y-%m}",
            metrics=form.metrics,
            obligations=form.obligations,
        )
    )
