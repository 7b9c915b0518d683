"""Commands on the delivery channels: channels check."""

from __future__ import annotations

from pathlib import Path

import click

from workplan.cli.options import config_option, db_option, delivery_settings, now_utc, plan_option


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
    from workplan.notices.robots import routes
    from workplan.store import db as store
    from workplan.store.links import link_settings

    robots = delivery_settings(config, None).robots
    now = now_utc()
    console = Console(highlight=False, soft_wrap=True)
    wrong: list[str] = []
    table = Table(title="Group robots (nothing was sent)")
    for column in ("robot", "kind", "URL", "secret", "keyword", "limit", "check"):
        table.add_column(column)
    for name, settings in robots.items():
        opened = open_robot(settings)
        problems = opened.problems(now)
        wrong += [f"robot {name}: {p}" for p in problems]
        limits = limits_of(opened)
        table.add_row(
            name,
            settings.kind + ("" if settings.msgtype == "markdown" else f" {settings.msgtype}"),
            hide(settings.url),
            "set" if settings.secret else "—",
            settings.keyword or "—",
            ", ".join(f"{n}/{s:g}s" for n, s in limits),
            "ok" if not problems else f"{len(problems)} problem(s)",
        )
    if robots:
        console.print(table)
        if link_settings() is None:
            click.echo(
                "posts carry no report link: set WORKPLAN_BASE_URL and WORKPLAN_LINK_SECRET "
                "(the web pages) to give each department's its own, as its letters have"
                + (
                    " (an actionCard robot posts markdown until then)"
                    if any(s.msgtype == "actionCard" for s in robots.values())
                    else ""
                )
            )
    else:
        click.echo("no group robots configured (no [robots.NAME] section in the config)")
    with store.connected(db) as engine, store.reading(engine) as conn:
        found = routes(conn, plan_key)
    where = Table(title="Where each department's notices go")
    for column in ("plan", "department", "e-mail", "robots"):
        where.add_column(column)
    for route in found:
        named = []
        for robot in route.robots:
            if robot in robots:
                named.append(f"{robot} ({robots[robot].kind})")
            else:
                named.append(f"{robot} (NOT CONFIGURED)")
                missing = f"robot {robot}: named in the directory but not in the config"
                wrong += [] if missing in wrong else [missing]
        where.add_row(
            route.plan, route.department, ", ".join(route.emails), ", ".join(named) or "—"
        )
    console.print(where)
    for problem in wrong:
        click.echo(problem)
    if wrong:
        click.echo(f"{len(wrong)} problem(s): fix the config before robots can deliver", err=True)
        raise SystemExit(2)
    click.echo("every configured robot checks out")
