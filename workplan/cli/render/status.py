"""Where the items stand (status) and what falls due (agenda), as tables and CSV."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from workplan.cli.render.dump import dump_csv
from workplan.cli.render.layout import Column, grid
from workplan.cli.render.words import EN, Words
from workplan.plan.units import figure
from workplan.rules.status import MetricStatus, TaskStatus
from workplan.store.cycle_read import Step
from workplan.store.parts import ratio_text


def _metric_row(label: str, m: MetricStatus, w: Words) -> list[str]:
    if m.value is not None and m.reported_on is not None:
        shown = ratio_text(m.parts) if m.parts else f"{figure(m.value)}{m.unit}"
        latest = f"{shown} ({m.reported_on:%m-%d})"
    else:
        latest = w("no report")
    goal = "–"
    if m.next_by is not None and m.next_target is not None:
        if w.zh:
            goal = f"{m.next_by:%m-%d}前{figure(m.next_target)}{m.unit}"
        else:
            goal = f"{figure(m.next_target)}{m.unit} by {m.next_by:%m-%d}"
        goal += _any_of_cell(m, w)
    final = f"{figure(m.final_target)}{m.unit}" if m.final_target is not None else "–"
    pace = "–"
    if m.expected is not None and m.pace_gap is not None:
        if m.pace_gap > 0:
            behind = f"落后{figure(m.pace_gap)}" if w.zh else f"{figure(m.pace_gap)} behind"
        else:
            behind = "达到" if w.zh else "on pace"
        pace = f"{figure(m.expected)}{m.unit} ({behind})"
    return [label, m.title, latest, goal, final, pace, w(m.state)]


def _done_cell(r: TaskStatus, w: Words) -> str:
    """Done of the dated work, and each yes/no result as achieved or not (never "1/1")."""
    parts = [f"{r.done}/{r.total}"] if r.total or not r.outcomes else []
    if len(r.outcomes) == 1:
        parts.append(w("achieved" if r.outcomes[0].achieved else "not achieved"))
    elif r.outcomes:
        got = f"{sum(o.achieved for o in r.outcomes)}/{len(r.outcomes)}"
        parts.append(f"达成{got}" if w.zh else f"{got} achieved")
    return " ".join(parts)


def _outcome_rows(rows: list[TaskStatus], w: Words) -> list[list[str]]:
    out = []
    for r in rows:
        for o in r.outcomes:
            if o.achieved_on is not None:
                when = f"{o.achieved_on:%m-%d}"
            else:
                when = f"{o.due:%m-%d}前" if w.zh else f"due {o.due:%m-%d}"
            out.append([r.label, o.title, w("achieved" if o.achieved else "not achieved"), when])
    return out


def _any_of_cell(m: MetricStatus, w: Words) -> str:
    """The other way to meet the next checkpoint: 或全国平均支出进度45%, or that it is unknown."""
    nxt = next((a for a in m.any_of if a.by == m.next_by), None)
    if nxt is None:
        return ""
    if nxt.benchmark is None:
        return f"（{nxt.benchmark_title}未报）" if w.zh else f" ({nxt.benchmark_title}: none yet)"
    if w.zh:
        return f"或{nxt.benchmark_title}{figure(nxt.benchmark)}{m.unit}"
    return f" or {nxt.benchmark_title} {figure(nxt.benchmark)}{m.unit}"


def _overdue_cell(r: TaskStatus, w: Words) -> str:
    if not r.overdue:
        return "–"
    oldest = r.overdue[0]
    levels = [o for o in r.overdue if o.level is not None]
    worst = max(levels, key=lambda o: o.level or 0).level_name if levels else None
    if w.zh:
        text = f"{len(r.overdue)}项，最早{oldest.deadline:%m-%d}"
        return text + (f"，{worst}" if worst else "")
    text = f"{len(r.overdue)} since {oldest.deadline:%m-%d}"
    return text + (f", {worst}" if worst else "")


def status_table(rows: list[TaskStatus], title: str, width: int | None, w: Words = EN) -> str:
    """Lay out one line per item, then one per metric."""
    items = []
    for r in rows:
        nxt = "–"
        if r.next_due:
            nxt = (
                f"{r.next_due.deadline:%m-%d} {r.next_due.title} "
                f"({w.days(r.next_due.working_days)})"
            )
        items.append(
            [
                r.label,
                r.title,
                "、".join(r.lead),
                w(r.state),
                _done_cell(r, w),
                nxt,
                _overdue_cell(r, w),
            ]
        )
    columns = [
        Column(w("Item"), keep=True),
        Column(w("Title")),
        Column(w("Lead")),
        Column(w("State"), keep=True),
        Column(w("Done"), right=True, keep=True),
        Column(w("Next due")),
        Column(w("Overdue")),
    ]
    out = grid(title, columns, items, width)
    metrics = [_metric_row(r.label, m, w) for r in rows for m in r.metrics]
    if metrics:
        names = ("Metric", "Latest", "Next checkpoint", "Target", "序时进度")
        columns = [
            Column(w("Item"), keep=True),
            *(Column(w(n)) for n in names),
            Column(w("State"), keep=True),
        ]
        out += "\n" + grid(w("Metrics"), columns, metrics, width)
    outcomes = _outcome_rows(rows, w)
    if outcomes:
        columns = [
            Column(w("Item"), keep=True),
            Column(w("Outcome")),
            Column(w("State"), keep=True),
            Column(w("Date"), keep=True),
        ]
        out += "\n" + grid(w("Outcomes"), columns, outcomes, width)
    return out


STATUS_CSV_HEADER = (
    "item",
    "kind",
    "key",
    "title",
    "lead",
    "co",
    "state",
    "next_due_key",
    "next_due_date",
    "working_days_left",
    "overdue_count",
    "overdue_keys",
    "overdue_level",
    "done",
    "total",
    "value",
    "unit",
    "reported_on",
    "next_target",
    "final_target",
    "expected",
    "pace_gap",
    "step_id",
    "step_day",
    "step_at",
    "step_department",
    "step_by",
    "step_via",
    "step_address",
    "step_reason",
    "step_detail",
    "step_answers",
)
"""the status CSV's columns: an item's, a metric's and an outcome's, then a step's of the
office's cycle (交办, 签收, 申请, 批复, 复核, 退回, 问题, 挂起): who, when, from where, why"""

STEP_COLUMNS = 10
"""the last columns of the status CSV, a step's"""


def _step_row(r: TaskStatus, s: Step) -> tuple[Any, ...]:
    """A step of the office's cycle as a row of the status CSV (kind 'step')."""
    lead, co = "、".join(r.lead), "、".join(r.co)
    head = (r.number, "step", s.about, s.word(), lead, co, s.step)
    detail = json.dumps(s.detail, ensure_ascii=False, sort_keys=True) if s.detail else None
    tail = (s.id, s.day, s.at, s.department, s.by, s.via, s.address, s.reason, detail, s.answers)
    return head + (None,) * (len(STATUS_CSV_HEADER) - len(head) - len(tail)) + tail


def status_csv(rows: list[TaskStatus], steps: Sequence[Step] = ()) -> str:
    """One CSV row per item, each followed by one per metric, one per yes/no outcome and
    one per step of the office's cycle (kind 'step', in the order taken; its state column
    names the step: receipt, request, return …)."""
    out: list[tuple[Any, ...]] = []
    by_item: dict[int, list[Step]] = {}
    for s in steps:
        by_item.setdefault(s.task, []).append(s)
    for r in rows:
        levels = [o for o in r.overdue if o.level is not None]
        worst = max(levels, key=lambda o: o.level or 0).level_name if levels else None
        lead, co = "、".join(r.lead), "、".join(r.co)
        out.append(
            (
                r.number,
                "item",
                None,
                r.title,
                lead,
                co,
                r.state,
                r.next_due.key if r.next_due else None,
                r.next_due.deadline if r.next_due else None,
                r.next_due.working_days if r.next_due else None,
                len(r.overdue),
                " ".join(o.key for o in r.overdue),
                worst,
                r.done,
                r.total,
                *([None] * 7),
            )
        )
        for m in r.metrics:
            out.append(
                (
                    r.number,
                    "metric",
                    m.key,
                    m.title,
                    lead,
                    co,
                    m.state,
                    None,
                    m.next_by,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    m.value,
                    m.unit,
                    m.reported_on,
                    m.next_target,
                    m.final_target,
                    m.expected,
                    m.pace_gap,
                )
            )
        for o in r.outcomes:
            state = "achieved" if o.achieved else "not achieved"
            out.append((r.number, "outcome", o.key, o.title, lead, co, state, None, o.due))
        out += [_step_row(r, s) for s in by_item.get(r.number, [])]
    width = len(STATUS_CSV_HEADER)
    return dump_csv(STATUS_CSV_HEADER, [row + (None,) * (width - len(row)) for row in out])


def agenda_table(entries: Sequence[Any], title: str, width: int | None, w: Words = EN) -> str:
    """Lay out the deadlines of a period, one a line, done ones marked."""
    columns = [
        Column(w("Deadline"), keep=True),
        Column(w("Left"), keep=True),
        Column(w("Item"), keep=True),
        Column(w("Due")),
        Column(w("Aim"), keep=True),
        Column(w("Departments")),
    ]
    cells = []
    for e in entries:
        target = f"{figure(e.target)}{e.unit}" if e.target is not None else "–"
        what = e.title + (f" {w('(done)')}" if e.done else "")
        cells.append(
            [
                f"{e.deadline:%m-%d}",
                w.days(e.working_days),
                e.label,
                what,
                target,
                "、".join(e.departments),
            ]
        )
    return grid(title, columns, cells, width)
