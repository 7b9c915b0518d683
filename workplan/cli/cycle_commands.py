"""Commands of the office's cycle: 交办 (assign), 签收, 延期申请 and its answer, 复核 and 退回,
需协调解决的问题, 挂起 and resume, and an item's history (workplan.store.cycle)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import click

from workplan import i18n
from workplan.cli.options import (
    DAY,
    F,
    Words,
    db_option,
    format_option,
    now_utc,
    plan_option,
    today_in,
)
from workplan.i18n import N_, _

# from where a step was taken (Actor.via), as the history shows it
VIA = {"cli": N_("command line"), "link": N_("report link"), "web": N_("web page")}
# the one obligation a 交办件 with a due day is made with: shown by the item alone
SOLE = "done"


def _on_option(func: F) -> F:
    return click.option(
        "--on",
        "on",
        type=DAY,
        help="the business day the step is taken (a step typed in later) [default: today]",
    )(func)


def _in_store(
    db: str | None, plan_key: str | None, on: date | None, act: Callable[..., Any]
) -> Any:
    """Run ``act(conn, today, now)`` in one transaction; return what it returns."""
    from workplan.store import db as store
    from workplan.store import refs

    with store.connected(db) as engine, engine.begin() as conn:
        plan = refs.find_plan(conn, plan_key)
        return act(conn, on or today_in(plan.timezone), now_utc())


def _actor(department: str) -> Any:
    from workplan.store.cycle import Actor

    return Actor(department)


def _said(step: Any) -> str:
    from workplan.plan.compiled import item_label

    why = f"：{step.reason}" if step.reason else ""
    return _(
        "{word} {what} — {department} {day}{why} (step {id})",
        word=step.word(i18n.plan_locale()),
        what=_what(item_label(step.task), step.about),
        department=step.department,
        day=step.day,
        why=why,
        id=step.id,
    )


def _what(label: str, about: str | None) -> str:
    """An item's label, with the obligation (or metric) a step was about unless it is the
    item's only obligation."""
    return label + (f" {about}" if about and about != SOLE else "")


@click.command()
@click.argument("title")
@click.option(
    "--source",
    required=True,
    type=click.Choice(["会议议定事项", "领导批示", "上级交办", "清单条目"]),
    help="where the work comes from",
)
@click.option("--document", help="the document it comes from (会议纪要, 批示件 number …)")
@click.option("--leader", help="the leader who gave a 领导批示")
@click.option("--lead", "lead", multiple=True, required=True, help="lead department (repeat)")
@click.option("--co", "co", multiple=True, help="co-responsible department (repeat)")
@click.option("--due", type=DAY, help="the day it is due (办理时限)")
@click.option(
    "--every",
    type=Words(
        {"week": ("每周",), "month": ("每月",), "quarter": ("每季度",), "half-year": ("每半年",)}
    ),
    help="report at this cadence instead (until --due, else the plan's end)",
)
@click.option("--item", "list_of", help="the plan item whose list (清单) this is an entry of")
@click.option("--metric", help="a metric to reach, e.g. 完成户数")
@click.option("--unit", default="", help="the metric's unit")
@click.option("--target", type=float, help="the metric's target by the due date")
@click.option("--review", is_flag=True, help="its report needs the office's review (复核)")
@click.option("--by", "by", required=True, help="the coordination office")
@_on_option
@plan_option
@db_option
def assign(
    title: str,
    source: str,
    document: str | None,
    leader: str | None,
    lead: tuple[str, ...],
    co: tuple[str, ...],
    due: date | None,
    every: str | None,
    list_of: str | None,
    metric: str | None,
    unit: str,
    target: float | None,
    review: bool,
    by: str,
    on: date | None,
    plan_key: str | None,
    db: str | None,
) -> None:
    """Assign work outside the plan file (交办件): a meeting's decision, a leader's
    instruction, work from a higher level, or an entry of a list.

    It is numbered from its own series (交办1, 交办2 …) and then followed like any item.
    Example: workplan assign "排查农村危房" --source 领导批示 --leader 张三 --lead 区住房城乡建委
    --due 2023-08-31 --by 区委农办
    """
    from workplan.store.assign import Order, assign

    order = Order(
        title, source, lead, co, due, every, document, leader, list_of, metric, unit, target, review
    )
    made = _in_store(
        db,
        plan_key,
        on,
        lambda conn, today, now: assign(conn, plan_key, order, _actor(by), today=today, now=now),
    )
    joined = _("; co-responsible {co}", co="、".join(made.co)) if made.co else ""
    keys = [k for k in made.obligations if k != SOLE]
    listed = ": " + ", ".join(keys[:4]) + (" …" if len(keys) > 4 else "") if keys else ""
    click.echo(
        _(
            "assigned: {plan} {label} {title} — lead {lead}{co}; {n} obligation(s){listed}",
            plan=made.plan,
            label=made.label,
            title=title,
            lead="、".join(made.lead),
            co=joined,
            n=len(made.obligations),
            listed=listed,
        )
    )


@click.command()
@click.argument("ref", metavar="TASK")
@click.option("--by", "department", required=True, help="the department signing for it")
@_on_option
@plan_option
@db_option
def receipt(
    ref: str, department: str, on: date | None, plan_key: str | None, db: str | None
) -> None:
    """Record that a department received an item's 交办单 or letter (签收)."""
    from workplan.store.cycle import receipt as sign

    step, new = _in_store(
        db,
        plan_key,
        on,
        lambda conn, today, now: sign(
            conn, plan_key, ref, _actor(department), today=today, now=now
        ),
    )
    click.echo(_said(step) if new else _("already signed for: {step}", step=_said(step)))


@click.command()
@click.argument("ref", metavar="TASK[/OBLIGATION]")
@click.option("--by", "department", required=True, help="the department asking")
@click.option("--to", "to", type=DAY, required=True, help="the new deadline asked for")
@click.option("--reason", required=True, help="why more time is needed")
@_on_option
@plan_option
@db_option
def request(
    ref: str,
    department: str,
    to: date,
    reason: str,
    on: date | None,
    plan_key: str | None,
    db: str | None,
) -> None:
    """Ask for an extension (延期申请), before the deadline; the office answers it."""
    from workplan.store.cycle import request_extension

    step = _in_store(
        db,
        plan_key,
        on,
        lambda conn, today, now: request_extension(
            conn, plan_key, ref, _actor(department), to=to, reason=reason, today=today, now=now
        ),
    )
    click.echo(_said(step) + f" → {step.detail['to']}")


@click.command()
@click.argument("ref", metavar="TASK[/OBLIGATION]")
@click.option("--approve/--refuse", required=True, help="grant the extension, or refuse it")
@click.option("--by", "by", required=True, help="the coordination office")
@click.option("--reason", help="why (needed to refuse)")
@_on_option
@plan_option
@db_option
def answer(
    ref: str,
    approve: bool,
    by: str,
    reason: str | None,
    on: date | None,
    plan_key: str | None,
    db: str | None,
) -> None:
    """Answer an extension request: approve it (the deadline moves, the ladder restarts) or
    refuse it with the reason (the ladder goes on)."""
    from workplan.store.cycle import answer_request

    step = _in_store(
        db,
        plan_key,
        on,
        lambda conn, today, now: answer_request(
            conn, plan_key, ref, _actor(by), approve=approve, reason=reason, today=today, now=now
        ),
    )
    click.echo(_said(step) + f" ({step.detail['to']})")


@click.command()
@click.argument("ref", metavar="TASK[/OBLIGATION|/METRIC]")
@click.option(
    "--accept/--return", "accept", required=True, help="accept the report, or send it back"
)
@click.option("--by", "by", required=True, help="the coordination office")
@click.option("--reason", help="why (needed to send back)")
@_on_option
@plan_option
@db_option
def review(
    ref: str,
    accept: bool,
    by: str,
    reason: str | None,
    on: date | None,
    plan_key: str | None,
    db: str | None,
) -> None:
    """Review a report (复核): accept it, or send it back (退回) with the reason; the
    obligation is open again from that day.  An item whose reports are all accepted closes.

    Where the plan says reports are reviewed (`needs_review`), a report counts only once
    accepted; TASK/METRIC reviews a metric's values waiting for review."""
    from workplan.store import cycle
    from workplan.store.review import review as review_report

    def act(conn: Any, today: date, now: Any) -> Any:
        step = review_report(
            conn, plan_key, ref, _actor(by), accept=accept, reason=reason, today=today, now=now
        )
        closed = accept and cycle.close_if_all_accepted(
            conn, cycle.locate(conn, plan_key, ref.partition("/")[0]), step.by, now
        )
        return step, closed

    step, closed = _in_store(db, plan_key, on, act)
    click.echo(_said(step) + (_("; the item is closed (销号)") if closed else ""))


@click.group()
def problem() -> None:
    """Problems that need coordination (需协调解决的问题): raise, decide, list."""


@problem.command("raise")
@click.argument("ref", metavar="TASK")
@click.argument("text")
@click.option("--by", "department", required=True, help="the department raising it")
@_on_option
@plan_option
@db_option
def problem_raise(
    ref: str, text: str, department: str, on: date | None, plan_key: str | None, db: str | None
) -> None:
    """Raise a problem against an item: it goes to the next agenda and the brief."""
    from workplan.store.cycle import raise_problem

    step = _in_store(
        db,
        plan_key,
        on,
        lambda conn, today, now: raise_problem(
            conn, plan_key, ref, _actor(department), text=text, today=today, now=now
        ),
    )
    click.echo(_said(step))


@problem.command("decide")
@click.argument("number", type=int)
@click.argument("decision")
@click.option("--by", "by", required=True, help="the coordination office")
@click.option(
    "--lead", "lead", multiple=True, help="assign the decision as a 交办件 to this department"
)
@click.option("--co", "co", multiple=True, help="the 交办件's co-responsible departments")
@click.option("--due", type=DAY, help="the 交办件's due date")
@_on_option
@plan_option
@db_option
def problem_decide(
    number: int,
    decision: str,
    by: str,
    lead: tuple[str, ...],
    co: tuple[str, ...],
    due: date | None,
    on: date | None,
    plan_key: str | None,
    db: str | None,
) -> None:
    """Record the meeting's decision on problem NUMBER (`workplan problem list`); with
    --lead and --due it becomes a 交办件 (会议议定事项) with its own ladder."""
    from workplan.store.assign import Order, assign
    from workplan.store.cycle import decide_problem

    def act(conn: Any, today: date, now: Any) -> Any:
        made = None
        if lead:
            order = Order(decision, "会议议定事项", lead, co, due, document=f"问题{number}的决定")
            made = assign(conn, plan_key, order, _actor(by), today=today, now=now)
        step = decide_problem(
            conn,
            plan_key,
            number,
            _actor(by),
            decision=decision,
            today=today,
            now=now,
            assigned=made.number if made else None,
        )
        return step, made

    step, made = _in_store(db, plan_key, on, act)
    click.echo(_said(step) + (_("; assigned as {label}", label=made.label) if made else ""))


@problem.command("list")
@format_option
@plan_option
@db_option
def problem_list(fmt: str, plan_key: str | None, db: str | None) -> None:
    """List the problems raised, open first, each with its decision."""
    from workplan.cli import render
    from workplan.plan.compiled import item_label
    from workplan.store import db as store
    from workplan.store import refs
    from workplan.store.cycle_read import problems

    with store.connected(db) as engine, store.reading(engine) as conn:
        plan = refs.find_plan(conn, plan_key)
        found = problems(conn, plan.id)
    found.sort(key=lambda p: (p.decided is not None, p.raised.id))
    rows = [
        [
            str(p.raised.id),
            item_label(p.raised.task),
            p.raised.department,
            str(p.raised.day),
            p.raised.reason or "",
            (f"{p.decided.day} {p.decided.reason}" if p.decided else _("to be decided")),
        ]
        for p in found
    ]
    header = ["编号", "事项", "提出单位", "提出日期", "问题", "决定"]  # a script's keys
    if fmt == "json":
        click.echo(render.dump_json([dict(zip(header, r, strict=True)) for r in rows]))
    elif fmt == "csv":
        click.echo(render.dump_csv(header, rows), nl=False)
    else:
        said = [
            _("Problem no."),
            _("Item"),
            _("Raised by"),
            _("Raised on"),
            _("Problem"),
            _("Decision"),
        ]
        columns = [render.Column(h) for h in said]
        title = _("{title} — problems to resolve", title=plan.title)
        click.echo(render.grid(title, columns, rows, None), nl=False)


def _pause_command(resume: bool) -> Callable[[F], F]:
    def make(func: F) -> F:
        func = click.option("--by", "by", required=True, help="the coordination office")(func)
        func = click.option("--reason", required=not resume, help="why")(func)
        return click.argument("ref", metavar="TASK[/OBLIGATION]")(func)

    return make


@click.command()
@_pause_command(resume=False)
@_on_option
@plan_option
@db_option
def pause(
    ref: str, reason: str, by: str, on: date | None, plan_key: str | None, db: str | None
) -> None:
    """Pause an item or an obligation (挂起), e.g. waiting on a higher level: its ladder
    stops, its deadline does not move."""
    _pause(ref, reason, by, on, plan_key, db, resume=False)


@click.command()
@_pause_command(resume=True)
@_on_option
@plan_option
@db_option
def resume(
    ref: str, reason: str | None, by: str, on: date | None, plan_key: str | None, db: str | None
) -> None:
    """Resume a paused item: its clock restarts that day."""
    _pause(ref, reason, by, on, plan_key, db, resume=True)


def _pause(
    ref: str,
    reason: str | None,
    by: str,
    on: date | None,
    plan_key: str | None,
    db: str | None,
    *,
    resume: bool,
) -> None:
    from workplan.store.cycle import pause as act

    step = _in_store(
        db,
        plan_key,
        on,
        lambda conn, today, now: act(
            conn, plan_key, ref, _actor(by), reason=reason, resume=resume, today=today, now=now
        ),
    )
    days = _(" after {days} day(s)", days=step.detail["days"]) if resume else ""
    click.echo(_said(step) + days)


@click.command()
@click.argument("ref", metavar="TASK", required=False)
@format_option
@plan_option
@db_option
def history(ref: str | None, fmt: str, plan_key: str | None, db: str | None) -> None:
    """Show an item's cycle, step by step (交办, 签收, 延期申请, 复核, 退回, 问题, 挂起), or
    every item's without TASK: who, when, from where and why."""
    from workplan.cli import render
    from workplan.plan.compiled import item_label
    from workplan.store import db as store
    from workplan.store import refs
    from workplan.store.cycle_read import history as read
    from workplan.store.cycle_read import plan_steps

    with store.connected(db) as engine, store.reading(engine) as conn:
        plan = refs.find_plan(conn, plan_key)
        if ref:
            task = refs.find_task(conn, plan, ref)
            steps = read(conn, task["id"])
            title = f"{item_label(task['number'])} {task['title']}"
        else:
            steps = plan_steps(conn, plan.id)
            title = plan.title
    if fmt == "json":
        click.echo(render.dump_json([s.to_json() for s in steps]))
        return
    header = ["日期", "事项", "步骤", "单位", "经办", "途径", "事由"]  # a script's keys
    rows = [
        [
            str(s.day),
            _what(item_label(s.task), s.about),
            s.word(i18n.plan_locale(plan.locale)),
            s.department,
            s.by,
            _(VIA.get(s.via, s.via))
            + (f" {s.address}" if s.address and s.address != s.via else ""),
            _why(s),
        ]
        for s in steps
    ]
    if fmt == "csv":
        click.echo(
            render.dump_csv(
                ["id", *header], [[str(s.id), *r] for s, r in zip(steps, rows, strict=True)]
            ),
            nl=False,
        )
        return
    said = [_("Date"), _("Item"), _("Step"), _("Department"), _("By"), _("Via"), _("Reason")]
    columns = [render.Column(h) for h in said]
    click.echo(render.grid(_("{title} — history", title=title), columns, rows, None), nl=False)


def _why(step: Any) -> str:
    d = step.detail
    extra = []
    if step.step == "assign":
        leader = _("leader {name}", name=d["leader"]) if d.get("leader") else ""
        extra = [d.get("source") or "", leader]
    elif step.step in ("request", "approve", "refuse") and d.get("to"):
        extra = [_("to {day}", day=d["to"])]
    elif step.step == "return" and d.get("reopened_until"):
        extra = [_("open again, due {day}", day=d["reopened_until"])]
    elif step.step == "resume" and "days" in d:
        extra = [_("paused {days} day(s)", days=d["days"])]
    return _("; ").join(x for x in [step.reason or "", *extra] if x)


@click.group("list")
def list_group() -> None:
    """Lists a plan item creates during the year (三张清单, 整改清单 …), as 交办件."""


@list_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--item", "item", required=True, help="the plan item that creates the list")
@click.option("--by", "by", required=True, help="the coordination office")
@_on_option
@plan_option
@db_option
def list_import(
    file: Path, item: str, by: str, on: date | None, plan_key: str | None, db: str | None
) -> None:
    """Import a list's rows (.xlsx: 事项, 牵头单位, 责任单位, 完成时限, 文件) as 交办件 of ITEM."""
    from workplan.store.lists import import_list

    made = _in_store(
        db,
        plan_key,
        on,
        lambda conn, today, now: import_list(
            conn, plan_key, file, item, _actor(by), today=today, now=now
        ),
    )
    labels = "、".join(m.label for m in made)
    click.echo(
        _(
            "imported {file}: {n} 交办件 of item {item} ({labels})",
            file=file.name,
            n=len(made),
            item=item,
            labels=labels,
        )
    )


COMMANDS = (assign, receipt, request, answer, review, problem, pause, resume, history, list_group)
