"""Commands on the delivery channels: channels check."""

from __future__ import annotations

import difflib
from contextlib import suppress
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
from workplan.i18n import N_, _


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
    from workplan.errors import NotFound
    from workplan.notices.robots import routes
    from workplan.store import db as store
    from workplan.store import refs
    from workplan.store.links import link_settings

    robots = delivery_settings(config, None, db).robots
    with store.connected(db) as engine, store.reading(engine) as conn:
        found = routes(conn, plan_key)
        with suppress(NotFound):
            refs.all_plans(conn, plan_key)  # read first: the plans' language is the output's
    tested = _to_test(send_test, list(robots))
    now = now_utc()
    width = table_width()
    wrong: list[str] = []
    rows = []
    answers = []
    for name, settings in robots.items():
        opened = open_robot(settings)
        problems = opened.problems(now)
        wrong += [_("robot {name}: {problem}", name=name, problem=p) for p in problems]
        limits = limits_of(opened)
        rows.append(
            (
                name,
                settings.kind + ("" if settings.msgtype == "markdown" else f" {settings.msgtype}"),
                hide(settings.url),
                _("set") if settings.secret else "—",
                settings.keyword or "—",
                ", ".join(f"{n}/{s:g}s" for n, s in limits),
                _("ok") if not problems else _("{n} problem(s)", n=len(problems)),
            )
        )
        if name in tested:
            answer = _post_test(opened, now)
            answers.append(_("test post to {name}: {answer}", name=name, answer=_(answer)))
            if answer != "accepted":
                wrong.append(
                    _("robot {name}: the test post was refused: {answer}", name=name, answer=answer)
                )
    if robots:
        title = _("Group robots") if tested else _("Group robots (nothing was sent)")
        headers = (
            _("robot"),
            _("kind"),
            _("URL"),
            _("secret"),
            _("keyword"),
            _("limit"),
            _("check"),
        )
        click.echo(render.grid(title, [render.Column(c) for c in headers], rows, width))
        for line in answers:
            click.echo(line)
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
    where = []
    for route in found:
        named = []
        for robot in route.robots:
            if robot in robots:
                named.append(f"{robot} ({robots[robot].kind})")
                continue
            named.append(_("{robot} (NOT CONFIGURED)", robot=robot))
            missing = _("robot {name}: named in the directory but not in the config", name=robot)
            missing += _did_you_mean(robot, list(robots))
            wrong += [] if missing in wrong else [missing]
        where.append(
            (route.plan, route.department, ", ".join(route.emails), ", ".join(named) or "—")
        )
    click.echo(
        render.grid(
            _("Where each department's notices go"),
            [render.Column(c) for c in (_("plan"), _("department"), _("e-mail"), _("robots"))],
            where,
            width,
        )
    )
    for problem in wrong:
        click.echo(problem)
    if wrong:
        click.echo(
            _("{n} problem(s): fix the config before robots can deliver", n=len(wrong)), err=True
        )
        raise SystemExit(2)
    click.echo(
        _("every configured robot checks out")
        + (_(" ({n} test post(s) accepted)", n=len(tested)) if tested else "")
    )


def _did_you_mean(name: str, names: list[str]) -> str:
    """A near-match among the configured names, as a hint ("" when none is near)."""
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.5)
    return _("; did you mean '{name}'?", name=close[0]) if close else ""


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
        return N_("accepted")
    code = f"{outcome.code} " if outcome.code is not None else ""
    return f"{outcome.status}: {code}{outcome.detail}".strip()
