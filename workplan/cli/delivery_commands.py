"""Commands that send and keep the record: dispatch, run, notices, templates."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from workplan import i18n
from workplan.channels.registry import POSTING
from workplan.cli.options import (
    CHANNEL_WORDS,
    DAY,
    KIND_WORDS,
    STATUS_WORDS,
    Words,
    business_clock,
    config_option,
    db_option,
    delivery_settings,
    format_option,
    lang_option,
    now_option,
    now_utc,
    outbox_option,
    owner_name,
    plan_option,
    renderer,
    table_width,
    templates_option,
)
from workplan.errors import InvalidInput
from workplan.i18n import _

CHANNELS = ("email", *POSTING, "robots")
"""what `notices` lists and `notices resend` queues: e-mail, a robot's channel, all robots"""


@click.command("dispatch")
@click.option(
    "--dry-run", is_flag=True, help="print what would be sent now; send and change nothing"
)
@click.option("--ignore-hours", is_flag=True, help="send outside the plans' sending hours")
@now_option
@config_option
@outbox_option
@templates_option
@db_option
def dispatch_command(
    dry_run: bool,
    ignore_hours: bool,
    pinned: datetime | None,
    config: Path | None,
    outbox_dir: Path | None,
    templates_dir: Path | None,
    db: str | None,
) -> None:
    """Send the notices that are due: by SMTP if configured, else as .eml files in ./outbox.

    Reminders to a department are sent as one daily digest; escalations on their own.
    Temporary failures (4xx, server unreachable) are retried with backoff; permanent ones
    (5xx) and those that fail too often are marked failed: see `workplan notices --status failed`.
    `workplan run` does this every minute.
    """
    from workplan.notices.deliver import deliver_all
    from workplan.notices.dispatch import DispatchSettings, preview, why_quiet
    from workplan.store import db as store
    from workplan.store.links import link_settings

    delivery = delivery_settings(config, outbox_dir, db)
    settings = DispatchSettings(
        ignore_hours=ignore_hours,
        sender=delivery.sender,
        # letters dated by --now still carry links valid from the real moment
        links=link_settings(issued_at=now_utc() if pinned else None),
    )
    templates = renderer(templates_dir)
    clock = business_clock(pinned, db)
    with store.connected(db) as engine:
        if dry_run:
            composed = preview(engine, templates, now=clock(), settings=settings)
            for issued, mail in composed:
                click.echo(f"--- {mail.message_id} to {', '.join(mail.recipients)}")
                click.echo(f"Subject: {issued.composed.subject}\n")
                click.echo(issued.composed.text)
            channel = _channel_named(delivery)
            n = len(composed)
            said = (
                _("{n} message(s) would be sent by {channel}", n=n, channel=channel)
                if delivery.smtp is not None
                else _("{n} message(s) would be written to {channel}", n=n, channel=channel)
            )
            if not composed:
                why = why_quiet(engine, now=clock(), ignore_hours=ignore_hours)
                said += _(" now: {why}", why=why)
            click.echo(_("{said}; nothing was sent or changed", said=said))
            return
        done = deliver_all(
            engine,
            delivery,
            templates,
            now=clock,
            wall=now_utc,
            owner=owner_name(),
            settings=settings,
        )
    result, posted = done.mail, done.posts
    for line in done.alerts:
        click.echo(line, err=True)
    if result.channel_error:
        click.echo(
            _(
                "the {channel} channel failed: {error}; {sent} sent,"
                " the rest wait, still owed (see `workplan status`)",
                channel=done.channel,
                error=result.channel_error,
                sent=result.sent,
            ),
            err=True,
        )
        robot_line(posted)
        raise SystemExit(1)
    if not result.messages and not settings.ignore_hours and result.reaped == 0:
        click.echo(
            _("nothing to send now (outside sending hours, the queue is empty, or retries wait)")
        )
        robot_line(posted)
        return
    click.echo(
        _(
            "{messages} message(s) for {notices} notice(s) via {channel}: "
            "{sent} {went}, {retrying} to retry, {failed} failed",
            messages=result.messages,
            notices=result.notices,
            channel=done.channel,
            sent=result.sent,
            went=_(_went(delivery)),
            retrying=result.retrying,
            failed=result.failed,
        )
        + (_(", {n} possibly duplicated", n=result.unknown) if result.unknown else "")
        + (
            _(", {n} recipient(s) refused", n=result.refused_recipients)
            if result.refused_recipients
            else ""
        )
    )
    _where_it_went(delivery)
    robot_line(posted)


def robot_line(result: Any) -> None:
    """Say what the group robots did, when any is configured."""
    if result is None:
        return
    click.echo(
        _(
            "robots: {sent} message(s) delivered in {parts} post(s), "
            "{retrying} to retry, {failed} failed, {held} held for the limit",
            sent=result.sent,
            parts=result.parts,
            retrying=result.retrying,
            failed=result.failed,
            held=result.held,
        )
        + (_(", {n} possibly delivered (flagged)", n=result.unsure) if result.unsure else "")
        + "".join(f"\n  {e}" for e in result.errors[:5])
    )


@click.command()
@click.option(
    "--once", is_flag=True, help="catch up, send what is due, and exit (for cron or a backfill)"
)
@now_option
@click.option(
    "--lease",
    type=click.FloatRange(min=0.1),
    default=300.0,
    show_default=True,
    help="seconds a claim holds before another dispatcher may take the notice over",
)
@config_option
@outbox_option
@templates_option
@db_option
def run(
    once: bool,
    pinned: datetime | None,
    lease: float,
    config: Path | None,
    outbox_dir: Path | None,
    templates_dir: Path | None,
    db: str | None,
) -> None:
    """Run the service: evaluate each working morning, send every minute.

    On start it evaluates every local date since the last recorded evaluation, so days the
    service was down are caught up (the notices owed today, not a flood of stale ones).
    SIGTERM or Ctrl-C stops it after the current step.  On SQLite one service runs per
    database file; on PostgreSQL several may run at once and share the work.
    """
    import logging
    import signal

    from workplan.notices.dispatch import DispatchSettings
    from workplan.service import Service, SingleService
    from workplan.store import db as store
    from workplan.store.links import link_settings

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # the service's log is the operator's; a run by hand (--once) says what it did below,
    # in the language spoken, and logs only what went wrong
    logging.getLogger("workplan.service").setLevel(logging.WARNING if once else logging.INFO)
    if pinned is not None and not once:
        raise click.UsageError("--now goes with --once")
    delivery = delivery_settings(config, outbox_dir, db)
    url = store.database_url(db)
    clock = business_clock(pinned, db)

    with SingleService(url), store.connected(db) as engine:
        service = Service(
            engine,
            delivery,
            renderer(templates_dir),
            owner=owner_name(),
            now=clock,
            wall=now_utc,
            settings=DispatchSettings(
                sender=delivery.sender,
                lease=timedelta(seconds=lease),
                # letters dated by --now still carry links valid from the real moment
                links=link_settings(issued_at=now_utc() if pinned else None),
            ),
        )
        signal.signal(signal.SIGTERM, service.stop)
        signal.signal(signal.SIGINT, service.stop)
        if once:
            service.once()
            t = service.totals
            click.echo(
                _(
                    "{messages} message(s): {sent} {went}, {retrying} to retry, {failed} failed",
                    messages=t.messages,
                    sent=t.sent,
                    went=_(_went(delivery)),
                    retrying=t.retrying,
                    failed=t.failed,
                )
            )
            if t.messages:
                _where_it_went(delivery)
            robot_line(service.robot_totals if delivery.robots else None)
        else:
            _where_it_went(delivery, ahead=True)
            service.run()


def _went(delivery: Any) -> str:
    """What became of a message handed over: sent by SMTP, or written to the outbox folder
    (已写入: in nobody's inbox yet)."""
    return "sent" if delivery.smtp is not None else "written"


def _channel_named(delivery: Any) -> str:
    """The e-mail's channel as a clerk would name it: the SMTP server, or the outbox folder."""
    if delivery.smtp is not None:
        return f"SMTP {delivery.smtp.host}:{delivery.smtp.port}"
    folder = Path(delivery.outbox)
    return str(folder) if folder.is_absolute() or str(folder).startswith(".") else f"./{folder}"


def _where_it_went(delivery: Any, *, ahead: bool = False) -> None:
    """Say where messages go when no SMTP server is configured: a folder, not anyone's inbox."""
    if delivery.smtp is not None:
        return
    shown = _channel_named(delivery)
    said = (
        _("messages will be written to {folder}", folder=shown)
        if ahead
        else _("written to {folder}", folder=shown)
    )
    click.echo(
        said
        + _(
            ", no SMTP configured (set WORKPLAN_SMTP_HOST, or [smtp] host in "
            "--config, to send by e-mail)"
        )
    )


@click.group(invoke_without_command=True)
@click.option(
    "--status",
    type=Words(STATUS_WORDS),
    help="only notices in this state; the Chinese words work too (待发送, 已发送, 已写入, 待重试, "
    "发送失败, 已撤销)",
)
@click.option("--department", help="only this department's notices")
@click.option(
    "--channel",
    type=Words({c: CHANNEL_WORDS.get(c, ()) for c in CHANNELS}),
    help="the group robots' deliveries by this channel (robots: all of them), each with its "
    "own status, instead of the notices (e-mail)",
)
@click.option(
    "--kind",
    type=Words(KIND_WORDS),
    help="only this kind of letter, or its Chinese name (提醒, 提示函, 催办, 督办, 通报)",
)
@click.option("--date", "day", type=DAY, help="only notices owed by the evaluation of this day")
@click.option(
    "--show", "show", type=int, metavar="ID", help="the full text of one notice's message"
)
@click.option(
    "--limit", type=int, default=200, show_default=True, help="at most this many, newest first"
)
@format_option
@lang_option
@plan_option
@db_option
def notices(
    status: str | None,
    department: str | None,
    channel: str | None,
    kind: str | None,
    day: date | None,
    show: int | None,
    limit: int,
    fmt: str,
    lang: str | None,
    plan_key: str | None,
    db: str | None,
) -> None:
    """List the notices owed and what became of them: who was told what, and when.

    Failures stay here until someone acts: `workplan notices --status failed`, then
    `workplan notices resend`.  `--show ID` prints the message as it was sent (headers and text).
    `--channel dingtalk` (wecom, feishu, webhook, robots) lists the group robots' and
    webhooks' deliveries instead.
    """
    if click.get_current_context().invoked_subcommand:
        return
    robots = channel not in (None, "email")
    if robots and (kind or day or show is not None):
        raise click.UsageError("--kind, --date and --show are about notices: not with --channel")
    from workplan.cli import render
    from workplan.notices import record as outbox_log
    from workplan.store import db as store
    from workplan.store import refs

    with store.connected(db) as engine, store.reading(engine) as conn:
        plan = refs.find_plan(conn, plan_key)
        if show is not None:
            record = outbox_log.show(conn, plan, show)
            click.echo(
                render.notice_record(
                    record, render.Words(i18n.plan_locale(plan.locale), plan.timezone)
                )
            )
            return
        who = refs.find_department(conn, plan, department) if department else None
        if robots:
            rows = outbox_log.deliveries(
                conn, plan, channel=channel, status=status, department=who, limit=limit
            )
        else:
            rows = outbox_log.listing(
                conn, plan, status=status, department=who, kind=kind, day=day, limit=limit
            )
    if fmt == "json":
        click.echo(render.dump_json(rows))
    elif fmt == "csv":
        columns = outbox_log.DELIVERY_COLUMNS if robots else outbox_log.COLUMNS
        click.echo(render.dump_csv(columns, [tuple(r.values()) for r in rows]), nl=False)
    else:
        words = render.Words(i18n.plan_locale(plan.locale), plan.timezone)
        if robots:
            title = f"{plan.key} 的群机器人推送" if words.zh else f"Group robot posts of {plan.key}"
            click.echo(render.deliveries_table(rows, title, table_width(), words), nl=False)
        else:
            title = f"{plan.key} 的通知" if words.zh else f"Notices of {plan.key}"
            click.echo(render.notices_table(rows, title, table_width(), words), nl=False)


@notices.command("resend")
@click.option(
    "--status",
    type=Words({s: STATUS_WORDS[s] for s in ("failed", "sent", "written")}),
    default="failed",
    show_default=True,
    help="which notices to send again (written: those written to the outbox folder, to send "
    "them once SMTP is configured)",
)
@click.option("--since", type=DAY, help="only notices owed by evaluations from this day on")
@click.option("--id", "ids", type=int, multiple=True, metavar="N", help="only this notice (repeat)")
@click.option(
    "--channel",
    type=Words({c: CHANNEL_WORDS.get(c, ()) for c in CHANNELS}),
    help="only the e-mail, or only this robot channel's failed deliveries (robots: all of them) "
    "[default: both]",
)
@click.option(
    "--force",
    is_flag=True,
    help="also post again robot posts that may have been delivered (possible duplicates)",
)
@plan_option
@db_option
def resend(
    status: str,
    since: date | None,
    ids: tuple[int, ...],
    channel: str | None,
    force: bool,
    plan_key: str | None,
    db: str | None,
) -> None:
    """Queue notices again, each with its Message-ID, so a copy is recognisable; and the
    group robots' failed deliveries, each for the same message and robot.

    After a fault is fixed (a wrong password, a refused sender, a broken template, a robot's
    secret), what failed goes out at the next dispatch: `workplan notices resend --since
    2023-05-04`.  `--id` and `--since` pick robot deliveries by the notices they carried;
    `--status sent` sends e-mail again, never a robot post; a robot post that may have been
    delivered (an answer that said nothing, twice) is posted again only with `--force`.
    """
    from workplan.notices import record as outbox_log
    from workplan.store import db as store
    from workplan.store import refs

    count = posts = unsure = 0
    with store.connected(db) as engine, engine.begin() as conn:
        plan = refs.find_plan(conn, plan_key)
        if channel in (None, "email"):
            count = outbox_log.resend(conn, plan, status=status, since=since, ids=ids)
        if channel != "email" and status == "failed":
            robots = None if channel == "robots" else channel
            posts, unsure = outbox_log.resend_deliveries(
                conn, plan, channel=robots, since=since, ids=ids, force=force
            )
    if unsure:
        click.echo(
            _(
                "{n} possibly delivered robot post(s) left alone (the robot may have shown "
                "them): `--force` posts them again",
                n=unsure,
            )
        )
    said = []
    if count or channel in (None, "email"):
        said.append(_("{n} {status} notice(s)", n=count, status=_(status)))
    if posts or (channel not in (None, "email") and status == "failed"):
        said.append(_("{n} failed robot post(s)", n=posts))
    click.echo(
        _(
            "{what} queued again; `workplan dispatch` or the service sends them",
            what=_(" and ").join(said),
        )
        if count or posts
        else _none_matches(status, channel)
    )


def _none_matches(status: str, channel: str | None) -> str:
    """What resend says when nothing matched: the notices, the robot posts, or both."""
    posts = channel != "email" and status == "failed"
    if channel in (None, "email"):
        nor = _(", nor any failed robot post") if posts else ""
        return _("no {status} notice matches{nor}: nothing queued", status=_(status), nor=nor)
    if not posts:
        return _("robot posts are resent when they failed, never when sent: nothing queued")
    return _("no failed robot post matches: nothing queued")


@click.group()
def templates() -> None:
    """The notice templates (notifications/, or the office's own folder)."""


@templates.command("check")
@templates_option
def templates_check(templates_dir: Path | None) -> None:
    """Render every template against sample data; report every problem, one line each.

    Undefined variables are errors, so a broken template is found now, not during a morning
    run.  With --templates, the office's folder is checked (falling back to the shipped ones).
    """
    from workplan.notices.templates import check

    problems = check(templates_dir)
    if problems:
        raise InvalidInput(problems)
    click.echo(_("templates ok: {folder}", folder=templates_dir or _("the shipped templates")))
