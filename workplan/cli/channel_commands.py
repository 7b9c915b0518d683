"""Commands on the delivery channels: channels check."""

from __future__ import annotations

import difflib
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from workplan.cli.options import (
    config_option,
    db_option,
    delivery_settings,
    now_utc,
    plan_option,
    table_width,
)


@click.group()
def channels() -> None:
    """The delivery channels: e-mail and the departments' group robots."""


@channels.command("check")
@click.option(
    "--send-test",
    "send_test",
    is_flag=False,
    flag_value="",
    default=None,
    metavar="[ROBOT]",
    help="post a short test message to every robot (or to ROBOT) and report its answer",
)
@config_option
@plan_option
@db_option
def channels_check(
    send_test: str | None, config: Path | None, plan_key: str | None, db: str | None
) -> None:
    """Check every configured group robot and show where each department's notices go.

    For each [robots.NAME] section of the config: the URL's shape, the secret, and that a
    request can be signed with it; with --send-test, a short test message posted to each (or
    to the one named) and the robot's answer, so a wrong token shows now, not at the first
    通报.  Then, for each department of the loaded plans: its mailboxes and the robots that
    also get its notices.  Exits with 2 if anything is wrong.
    """
    from workplan.channels.limits import limits_of
    from workplan.channels.registry import open_robot
    from workplan.channels.robot import hide
    from workplan.cli import render
    from workplan.notices.robots import routes
    from workplan.store import db as store
    from workplan.store.links import link_settings

    robots = delivery_settings(config, None).robots
    tested = _to_test(send_test, list(robots))
    now = now_utc()
    width = table_width()
    wrong: list[str] = []
    rows = []
    answers = []
    for name, settings in robots.items():
        opened = open_robot(settings)
        problems = opened.problems(now)
        wrong += [f"robot {name}: {p}" for p in problems]
        limits = limits_of(opened)
        rows.append(
            (
                name,
                settings.kind + ("" if settings.msgtype == "markdown" else f" {settings.msgtype}"),
                hide(settings.url),
                "set" if settings.secret else "—",
                settings.keyword or "—",
                ", ".join(f"{n}/{s:g}s" for n, s in limits),
                "ok" if not problems else f"{len(problems)} problem(s)",
            )
        )
        if name in tested:
            answer = _post_test(opened, now)
            answers.append(f"test post to {name}: {answer}")
            if not answer.startswith("accepted"):
                wrong.append(f"robot {name}: the test post was refused: {answer}")
    if robots:
        title = "Group robots" + ("" if tested else " (nothing was sent)")
        headers = ("robot", "kind", "URL", "secret", "keyword", "limit", "check")
        click.echo(render.grid(title, [render.Column(c) for c in headers], rows, width))
        for line in answers:
            click.echo(line)
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
    where = []
    for route in found:
        named = []
        for robot in route.robots:
            if robot in robots:
                named.append(f"{robot} ({robots[robot].kind})")
                continue
            named.append(f"{robot} (NOT CONFIGURED)")
            missing = f"robot {robot}: named in the directory but not in the config"
            missing += _did_you_mean(robot, list(robots))
            wrong += [] if missing in wrong else [missing]
        where.append(
            (route.plan, route.department, ", ".join(route.emails), ", ".join(named) or "—")
        )
    click.echo(
        render.grid(
            "Where each department's notices go",
            [render.Column(c) for c in ("plan", "department", "e-mail", "robots")],
            where,
            width,
        )
    )
    for problem in wrong:
        click.echo(problem)
    if wrong:
        click.echo(f"{len(wrong)} problem(s): fix the config before robots can deliver", err=True)
        raise SystemExit(2)
    click.echo(
        "every configured robot checks out"
        + (f" ({len(tested)} test post(s) accepted)" if tested else "")
    )


def _did_you_mean(name: str, names: list[str]) -> str:
    """A near-match among the configured names, as a hint ("" when none is near)."""
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.5)
    return f"; did you mean '{close[0]}'?" if close else ""


def _to_test(send_test: str | None, names: list[str]) -> list[str]:
    """The robots --send-test posts to: all of them (no name), or the one named."""
    if send_test is None:
        return []
    if not send_test:
        if not names:
            raise click.UsageError("--send-test: no group robots configured to post to")
        return names
    if send_test not in names:
        hint = _did_you_mean(send_test, names) or f" (configured: {', '.join(names) or 'none'})"
        raise click.UsageError(f"--send-test: no robot '{send_test}' in the config{hint}")
    return [send_test]


def _post_test(robot: Any, now: datetime) -> str:
    """Post a short test message; say what the robot answered."""
    from zoneinfo import ZoneInfo

    local = now.astimezone(ZoneInfo("Asia/Shanghai"))
    post = robot.plain(
        "workplan 测试消息",
        f"群机器人“{robot.name}”已接通：这是 workplan 于 {local:%Y-%m-%d %H:%M} 发出的测试消息，"
        "无需回复。",
    )
    outcome = robot.send(post, now)
    if outcome.status == "sent":
        return "accepted"
    code = f"{outcome.code} " if outcome.code is not None else ""
    return f"{outcome.status}: {code}{outcome.detail}".strip()
