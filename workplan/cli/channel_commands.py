"""Commands on the delivery channels: channels check."""

from __future__ import annotations

from contextlib import suppress
from pathlib import Path

import click

from workplan.cli.options import config_option, db_option, delivery_settings, now_utc, plan_option
from workplan.i18n import _


@click.group()
def channels() -> None:
    """The delivery channels: e-mail and the departments' group robots."""


@channels.command("check")
@config_option
@plan_option
@db_option
def channels_check(config: Path | None, plan_key: str | None, db: str | None) -> None:
    """Check every configured group robot and show where each department's notices go.

    Sends nothing.  For each [robots.NAME] section of the config: the URL's shape, the secret,
    and that a request can be signed with it.  Then, for each department of the loaded plans:
    its mailboxes and the robots that also get its notices.  Exits with 2 if anything is wrong.
    """
    from rich.console import Console
    from rich.table import Table

    from workplan.channels.limits import limits_of
    from workplan.channels.registry import open_robot
    from workplan.channels.robot import hide
    from workplan.errors import NotFound
    from workplan.notices.robots import routes
    from workplan.store import db as store
    from workplan.store import refs
    from workplan.store.links import link_settings

    robots = delivery_settings(config, None).robots
    with store.connected(db) as engine, store.reading(engine) as conn:
        found = routes(conn, plan_key)
        with suppress(NotFound):
            refs.all_plans(conn, plan_key)  # read first: the plans' language is the output's
    now = now_utc()
    console = Console(highlight=False, soft_wrap=True)
    wrong: list[str] = []
    table = Table(title=_("Group robots (nothing was sent)"))
    for column in (_("robot"), _("kind"), _("URL"), _("secret"), _("keyword"), _("limit")):
        table.add_column(column)
    table.add_column(_("check"))
    for name, settings in robots.items():
        opened = open_robot(settings)
        problems = opened.problems(now)
        wrong += [_("robot {name}: {problem}", name=name, problem=p) for p in problems]
        limits = limits_of(opened)
        table.add_row(
            name,
            settings.kind + ("" if settings.msgtype == "markdown" else f" {settings.msgtype}"),
            hide(settings.url),
            _("set") if settings.secret else "—",
            settings.keyword or "—",
            ", ".join(f"{n}/{s:g}s" for n, s in limits),
            _("ok") if not problems else _("{n} problem(s)", n=len(problems)),
        )
    if robots:
        console.print(table)
        if link_settings() is None:
            click.echo(
                _(
                    "posts carry no report link: set WORKPLAN_BASE_URL and WORKPLAN_LINK_SECRET "
                    "(the web pages) to give each department's its own, as its letters have"
                )
                + (
                    _(" (an actionCard robot posts markdown until then)")
                    if any(s.msgtype == "actionCard" for s in robots.values())
                    else ""
                )
            )
    else:
        click.echo(_("no group robots configured (no [robots.NAME] section in the config)"))
    where = Table(title=_("Where each department's notices go"))
    for column in (_("plan"), _("department"), _("e-mail"), _("robots")):
        where.add_column(column)
    for route in found:
        named = []
        for robot in route.robots:
            if robot in robots:
                named.append(f"{robot} ({robots[robot].kind})")
            else:
                named.append(_("{robot} (NOT CONFIGURED)", robot=robot))
                missing = _(
                    "robot {name}: named in the directory but not in the config", name=robot
                )
                wrong += [] if missing in wrong else [missing]
        where.add_row(
            route.plan, route.department, ", ".join(route.emails), ", ".join(named) or "—"
        )
    console.print(where)
    for problem in wrong:
        click.echo(problem)
    if wrong:
        click.echo(
            _("{n} problem(s): fix the config before robots can deliver", n=len(wrong)), err=True
        )
        raise SystemExit(2)
    click.echo(_("every configured robot checks out"))
