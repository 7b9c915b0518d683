"""The `workplan` command group: every command, each in the module of its kind."""

from __future__ import annotations

import click

from workplan.cli.channel_commands import channels
from workplan.cli.cycle_commands import COMMANDS as CYCLE_COMMANDS
from workplan.cli.delivery_commands import dispatch_command, notices, run, templates
from workplan.cli.demo import demo
from workplan.cli.draft_commands import draft, plan_group
from workplan.cli.event_commands import event
from workplan.cli.ledger_commands import ledger
from workplan.cli.options import WorkplanGroup, top_lang_option
from workplan.cli.plan_commands import load_command, schema, validate
from workplan.cli.record_commands import done, extend, progress, signoff
from workplan.cli.report_commands import agenda, brief, bulletin
from workplan.cli.score_commands import drift, month, score
from workplan.cli.status_commands import simulate, status, tick
from workplan.cli.store_commands import upgrade
from workplan.cli.web_commands import links, password_hash, serve


@click.group(cls=WorkplanGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="workplan")
@top_lang_option
def cli() -> None:
    """Keep an annual work plan on schedule.

    Write the plan as YAML, check it with `validate`, put it in a database with `load`,
    record what departments report with `progress record` and `done`, and see where every
    item stands with `status`.  Try `workplan demo` for a walk-through on a real plan.
    """


for command in (
    draft,
    plan_group,
    validate,
    schema,
    load_command,
    progress,
    ledger,
    done,
    status,
    tick,
    simulate,
    agenda,
    brief,
    bulletin,
    score,
    month,
    drift,
    extend,
    signoff,
    event,
    dispatch_command,
    run,
    notices,
    templates,
    channels,
    upgrade,
    serve,
    links,
    password_hash,
    demo,
    *CYCLE_COMMANDS,
):
    cli.add_command(command)


def main() -> None:
    """Run the command line."""
    cli()
