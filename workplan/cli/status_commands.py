"""Commands that evaluate: status, tick, simulate."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from workplan import i18n
from workplan.cli.options import (
    DAY,
    MONTH,
    db_option,
    format_option,
    lang_option,
    local_time,
    now_utc,
    plan_option,
    table_width,
    today_in,
)
from workplan.i18n import N_, _


@click.command()
@click.option("--as-of", type=DAY, help="the day to report on [default: today in the plan's zone]")
@click.option(
    "--month",
    type=MONTH,
    help="where everything stood at the end of a month, as its record keeps it",
)
@click.option("--department", help="only the items this department answers for")
@format_option
@lang_option
@plan_option
@db_option
def status(
    as_of: date | None,
    month: date | None,
    department: str | None,
    fmt: str,
    lang: str | None,
    plan_key: str | None,
    db: str | None,
) -> None:
    """Show where every item stands: next deadline, what is overdue, each metric's progress.

    Working days (wd) follow the plan's calendar: statutory holidays and swapped working days.
    `--format csv` has one row per item, each followed by its metrics.
    """
    from workplan.cli import render
    from workplan.notices import record as outbox_log
    from workplan.plan.compiled import item_label
    from workplan.rules.evaluate import evaluate
    from workplan.rules.kinds import LADDER
    from workplan.rules.status import task_statuses
    from workplan.store import db as store
    from workplan.store import refs
    from workplan.store.cycle_read import pauses as cycle_pauses
    from workplan.store.cycle_read import plan_steps
    from workplan.store.facts_query import read_facts
    from workplan.store.snapshot import read_tasks

    with store.connected(db) as engine, store.reading(engine) as conn:
        plan = refs.find_plan(conn, plan_key)
        if month is not None:
            from workplan.cli.score_commands import month_table

            who = refs.find_department(conn, plan, department) if department else None
            click.echo(month_table(conn, plan, month, table_width(), who), nl=False)
            return
        day = as_of or today_in(plan.timezone)
        who = refs.find_department(conn, plan, department) if department else None
        tasks = read_tasks(conn, plan)
        everything, calendars = read_facts(
            conn, day, plan_ids=[plan.id], everything=True, ladder=LADDER
        )
        delivery = outbox_log.counts(conn, plan)
        waits = outbox_log.waiting(conn, plan)
        posts = outbox_log.robot_counts(conn, plan)
        pauses = outbox_log.pauses(conn)
        steps = plan_steps(conn, plan.id, day)
        paused = [p for p in cycle_pauses(conn, [plan.id], day) if p.until is None]
    # the same facts, the same rules as the morning evaluation: status never says "behind"
    # about a metric the evaluator owes nothing
    facts = everything[plan.id]
    intents = evaluate(facts, day, calendars[plan.id])
    rows = task_statuses(tasks, facts, intents, calendars[plan.id], day, who)
    closed = facts.closes_on is not None and day > facts.closes_on
    if fmt == "json":
        click.echo(
            render.dump_json(
                {
                    "plan": plan.key,
                    "as_of": day,
                    "closed": closed,
                    "chase_from": facts.chase_from,
                    "closes_on": facts.closes_on,
                    "items": rows,
                    "notices": delivery,
                    "waiting": waits,
                    "paused_channels": pauses,
                    "robot_posts": posts,
                    "cycle_steps": [s.to_json() for s in steps],
                }
            )
        )
    elif fmt == "csv":
        click.echo(render.status_csv(rows, steps), nl=False)
    else:
        words = render.Words(i18n.plan_locale(plan.locale))
        title = _("{title} — as of {day}", title=plan.title, day=day) + (f" — {who}" if who else "")
        click.echo(render.status_table(rows, title, table_width(), words), nl=False)
        numbers = {tid: t.number for tid, t in tasks.items()}
        for p in paused:
            label = item_label(numbers.get(p.task_id, 0))
            click.echo(f"{label} 挂起 since {p.since} ({(day - p.since).days} days): {p.reason}")
        early = sum(len(r.before_plan) for r in rows)
        if early:
            click.echo(
                _(
                    "{n} obligation(s) due before the plan took effect on {day} are still "
                    "open: shown here, never chased (see --format json, before_plan)",
                    n=early,
                    day=facts.chase_from,
                )
            )
        if closed:
            click.echo(
                _(
                    "the plan closed on {day} (its period's end and its grace): "
                    "nothing more is owed for it",
                    day=facts.closes_on,
                )
            )
        zone = ZoneInfo(plan.timezone)
        for pause in pauses:
            robot = str(pause["channel"]).startswith("robot ")
            click.echo(
                _(
                    "the {channel} channel is paused since {since} UTC (last tried "
                    "{last}): {reason}",
                    channel=pause["channel"],
                    since=f"{pause['since']:%Y-%m-%d %H:%M}",
                    last=f"{pause['last_seen']:%Y-%m-%d %H:%M}",
                    since_local=local_time(pause["since"], zone),
                    last_local=local_time(pause["last_seen"], zone),
                    reason=pause["reason"],
                )
                + (
                    _(
                        " — its posts fail until its settings are fixed (the e-mail still "
                        "goes); check them with `workplan channels check`"
                    )
                    if robot
                    else _(
                        " — the notices wait, still owed; fix it and they go at the next dispatch"
                    )
                )
            )
        if delivery.get("failed") or delivery.get("retrying"):
            why = _(", ").join(
                _("{n} {reason}", n=n, reason=_(reason)) for reason, n in sorted(waits.items())
            )
            click.echo(
                _(
                    "notices: {n} wait ({why}), {failed} failed",
                    n=sum(waits.values()),
                    why=why or _("none"),
                    failed=delivery.get("failed", 0),
                )
                + (
                    _(" — see `workplan notices --status failed`, then `workplan notices resend`")
                    if delivery.get("failed")
                    else ""
                )
            )
        _robot_posts_line(posts)


# why a notice still waits (notices.record.waiting), for the catalog
WAIT_REASONS = (N_("new"), N_("being sent"), N_("for the channel"), N_("to retry"))


def _robot_posts_line(posts: dict[str, dict[str, int]]) -> None:
    """Say how many robot posts wait and failed, channel by channel, when any does."""
    counted = {
        channel: (
            sum(n.get(s, 0) for s in ("pending", "retrying", "claimed")),
            n.get("failed", 0),
            n.get("unconfirmed", 0),
        )
        for channel, n in posts.items()
    }
    shown = [
        _("{channel} {waiting} wait, {failed} failed", channel=c, waiting=w, failed=f)
        + (_(", {n} possibly delivered", n=u) if u else "")
        for c, (w, f, u) in counted.items()
        if w or f or u
    ]
    if shown:
        failed = any(f for __, f, ___ in counted.values())
        click.echo(
            _("robot posts: ")
            + _("; ").join(shown)
            + (
                _(
                    " — see `workplan notices --channel robots --status failed`, then "
                    "`workplan notices resend`"
                )
                if failed
                else ""
            )
        )


@click.command()
@click.option("--as-of", type=DAY, help="the day to evaluate [default: today in each plan's zone]")
@format_option
@lang_option
@plan_option
@db_option
def tick(
    as_of: date | None, fmt: str, lang: str | None, plan_key: str | None, db: str | None
) -> None:
    """Evaluate the rules for a day and store the notices owed (the outbox).

    Idempotent: running it twice for the same day adds nothing (a plan whose facts have not
    changed since its last evaluation of the day is not evaluated again).  A notice still
    waiting to be sent that is no longer owed (the work was done, or it escalated) is
    superseded.
    `workplan run` does this every working morning; run it by hand to catch up or to check.
    """
    from workplan.cli import render
    from workplan.notices import outbox
    from workplan.plan.calendar import unknown_years
    from workplan.store import db as store
    from workplan.store import refs

    with store.connected(db) as engine:
        with store.reading(engine) as conn:
            plans = refs.all_plans(conn, plan_key)
        groups: dict[date, list[int]] = {}
        for plan in plans:
            day = as_of or today_in(plan.timezone)
            groups.setdefault(day, []).append(plan.id)
            for year in unknown_years(plan.settings.calendar, [day.year]):
                click.echo(
                    _(
                        "warning: {plan}: the calendar has no official schedule for {year} "
                        "(its swapped working days are unknown); upgrade the holidays package "
                        "or give the year in a calendar file",
                        plan=plan.key,
                        year=year,
                    ),
                    err=True,
                )
        results = []
        with engine.connect() as conn:
            for day, ids in sorted(groups.items()):
                results.append(outbox.tick_if_changed(conn, day, now_utc(), plan_ids=ids))
    pairs = [(r.as_of, i) for r in results for i in r.added]
    words = render.Words(i18n.plan_locale(plans[0].locale if len(plans) == 1 else None))
    rows = render.notice_rows(pairs, words if fmt == "table" else render.EN)
    if fmt == "json":
        click.echo(render.notice_json(rows))
        return
    if fmt == "csv":
        click.echo(render.dump_csv(render.NOTICE_HEADER, rows), nl=False)
        return
    if rows:
        title = _("Notices added")
        click.echo(render.notice_table(rows, title, table_width(), words))
    for r in results:
        click.echo(
            _(
                "{day}: {owed} notices owed, {added} added, {stored} already stored, "
                "{superseded} superseded",
                day=r.as_of,
                owed=r.owed,
                added=len(r.added),
                stored=r.owed - len(r.added),
                superseded=r.superseded,
            )
        )


@click.command()
@click.argument("plan_file", metavar="PLAN.yaml", type=click.Path(path_type=Path))
@click.option("--from", "start", type=DAY, help="first day [default: 1 January of the plan's year]")
@click.option("--to", "end", type=DAY, help="last day [default: 31 December]")
@click.option(
    "--progress",
    "progress_file",
    type=click.Path(path_type=Path),
    help="a ledger to replay (.csv/.xlsx)",
)
@click.option("--summary", is_flag=True, help="only the counts by month, department and level")
@format_option
@lang_option
def simulate(
    plan_file: Path,
    start: date | None,
    end: date | None,
    progress_file: Path | None,
    summary: bool,
    fmt: str,
    lang: str | None,
) -> None:
    """Preview every notice a plan would produce over a period, before loading it.

    Replays each working day against a scratch database (your database is not touched),
    optionally with a ledger of progress that becomes visible on the day it is dated.
    With --summary, csv and json give one row per month, department and level.
    """
    from workplan.cli import render
    from workplan.notices.simulate import simulate as simulate_plan
    from workplan.plan.validate import read_plan

    loaded = read_plan(plan_file)
    i18n.follow_plan(loaded.compiled.locale)
    first = start or date(loaded.compiled.year, 1, 1)
    last = end or date(loaded.compiled.year, 12, 31)
    if last < first:
        raise click.UsageError(_("--to comes before --from"))
    days = (last - first).days + 1
    with click.progressbar(length=days, label=_("replaying"), file=sys.stderr) as bar:
        produced = simulate_plan(
            loaded, first, last, progress=progress_file, on_day=lambda _d: bar.update(1)
        )
    words = render.Words(i18n.plan_locale(loaded.compiled.locale))
    pairs = [(s.day, s.intent) for s in produced.notices]
    rows = render.notice_rows(pairs, words if fmt == "table" else render.EN)
    if summary and fmt != "table":
        counts = render.summary_rows(rows)
        if fmt == "json":
            click.echo(
                render.dump_json([dict(zip(render.SUMMARY_HEADER, c, strict=True)) for c in counts])
            )
        else:
            click.echo(render.dump_csv(render.SUMMARY_HEADER, counts), nl=False)
    elif fmt == "json":
        click.echo(render.notice_json(rows))
    elif fmt == "csv":
        click.echo(render.dump_csv(render.NOTICE_HEADER, rows), nl=False)
    else:
        width = table_width()
        if not summary:
            title = loaded.compiled.title + (
                f"：{first}至{last}的通知" if words.zh else f": notices {first} – {last}"
            )
            click.echo(render.notice_table(rows, title, width, words))
        click.echo(render.simulation_summary(rows, width, words))
        click.echo(render.letters_summary(produced.letters))
