"""The monthly brief (月调度): where every item stands at the end of a month, for the meeting."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import Connection, func, select

from workplan.plan.calendar import WorkCalendar
from workplan.plan.compiled import expected_on
from workplan.plan.periods import month_end
from workplan.reports.agenda import AgendaEntry, agenda
from workplan.reports.cycle import CycleSection, cycle_section
from workplan.rules.evaluate import LEADERSHIP, evaluate
from workplan.rules.kinds import LADDER, rule_kind
from workplan.rules.status import MetricStatus, TaskStatus, is_done, task_statuses
from workplan.store.facts import MetricFacts, ObligationFacts
from workplan.store.facts_query import read_facts
from workplan.store.refs import PlanRef
from workplan.store.snapshot import read_tasks
from workplan.store.tables import T_NOTICE, T_PROGRESS, counted

CATEGORIES = ("已完成", "超进度", "达进度", "欠进度", "逾期", "未到期")
"""The categories offices publish their counts in; 未到期: nothing has come due and nothing
was reported (such an item is not on pace: nothing says where it stands)."""

NOT_SENT = "未发函"
"""the level of an overdue item no ladder letter was sent about yet"""


def category(row: TaskStatus, idle: bool = False) -> str:
    """Map an item's standing (from rules.status) to the category an office publishes;
    ``idle``: nothing of it has come due and nothing was reported."""
    if row.state in ("done", "signed off"):
        return "已完成"
    if row.state == "overdue":
        return "逾期"
    if any(m.state in ("behind", "missed") for m in row.metrics):
        return "欠进度"
    if any(m.pace_gap is not None and m.pace_gap < 0 for m in row.metrics):
        return "超进度"
    return "未到期" if idle else "达进度"


def overdue_level(row: TaskStatus) -> str | None:
    """Return the highest escalation an overdue item is owed today (催办, 督办, 通报 …), if any."""
    levels = [o for o in row.overdue if o.level is not None]
    return max(levels, key=lambda o: o.level or 0).level_name if levels else None


def sent_levels(conn: Connection, plan: PlanRef, as_of: date) -> dict[int, tuple[int, str]]:
    """The highest rung of the ladder sent about each task by ``as_of``: task id -> (level,
    name).  Letters counted are letters sent, not notices owed or withdrawn."""
    query = select(
        T_NOTICE.c.task_id, T_NOTICE.c.rule, T_NOTICE.c.level, T_NOTICE.c.level_name
    ).where(
        T_NOTICE.c.plan_id == plan.id,
        T_NOTICE.c.status == "sent",
        func.coalesce(T_NOTICE.c.as_of, T_NOTICE.c.evaluated_on) <= as_of,
    )
    out: dict[int, tuple[int, str]] = {}
    for task_id, rule, level, name in conn.execute(query):
        if rule_kind(rule).ladder and level > out.get(task_id, (0, ""))[0]:
            out[task_id] = (level, name)
    return out


# 三色督办: each office defines the colours differently; a plan picks a preset.
COLOUR_PRESETS = ("pace", "deadline", "time-left")


def colour(row: TaskStatus, preset: str = "pace", near: int = 5) -> str:
    """Return red, yellow, blue or green for an item under a named 三色 rule.

    pace: red overdue, yellow behind 序时进度 (or a checkpoint), blue deadline within
    ``near`` working days, else green.  deadline: red overdue, blue within ``near`` working
    days, else green.  time-left: red overdue, yellow within ``near`` working days, else green.
    """
    cat = category(row)
    if cat == "逾期":
        return "red"
    soon = row.next_due is not None and row.next_due.working_days <= near
    if preset == "pace":
        if cat == "欠进度":
            return "yellow"
        return "blue" if soon and cat != "已完成" else "green"
    if preset == "deadline":
        return "blue" if soon and cat != "已完成" else "green"
    return "yellow" if soon and cat != "已完成" else "green"


COLOUR_NAMES = {"red": "红", "yellow": "黄", "blue": "蓝", "green": "绿"}


@dataclass(frozen=True)
class Counts:
    name: str
    counts: dict[str, int]
    levels: dict[str, int]
    """Overdue items by the escalation they reached."""

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class ItemLine:
    row: TaskStatus
    category: str
    colour: str
    level: str | None
    last_report: date | None
    last_value: str | None


@dataclass(frozen=True)
class MetricSeries:
    label: str
    metric: MetricStatus
    reports: list[tuple[date, float]]
    checkpoints: list[tuple[date, float]]
    pace: list[tuple[date, float]]
    """The 序时进度 line: baseline at the pace start, the target at its end."""


@dataclass(frozen=True)
class NoticeCount:
    level: str
    department: str
    count: int
    answered: int
    """Of them, how many were for an obligation done by the end of the month."""


@dataclass
class Brief:
    plan: PlanRef
    month: date
    as_of: date
    department: str | None
    preset: str
    overall: Counts
    chapters: list[Counts]
    departments: list[Counts]
    items: list[ItemLine]
    metrics: list[MetricSeries]
    notices: list[NoticeCount]
    agenda: list[AgendaEntry]
    ranking: list[tuple[str, int, int, int]] = field(default_factory=list)
    """(department, red, yellow, items) for a league table, when the plan asks for one."""
    strip: dict[int, list[tuple[str, str | None]]] = field(default_factory=dict)
    """each item's colour in every month kept so far (YYYY-MM, colour), by item number"""
    drift: list[list[object]] = field(default_factory=list)
    """the deadlines moved since the plan was issued (reports.drift.HEADER)"""
    scores: list[list[object]] = field(default_factory=list)
    """the month's 考核 (reports.scoring.HEADER), when the plan asks for a ranking"""
    cycle: CycleSection | None = None
    """the problems raised, resolved and open, and the items paused (reports/cycle.py)"""

    @property
    def month_label(self) -> str:
        return f"{self.month.year}年{self.month.month}月"

    @property
    def late(self) -> list[ItemLine]:
        """The overdue items, for page 1: each with its lead departments and level."""
        return [line for line in self.items if line.category == "逾期"]

    @property
    def lead_total(self) -> int:
        """What the per-lead table adds to: an item with several leads counts under each."""
        return sum(c.total for c in self.departments)

    @property
    def shared_leads(self) -> list[ItemLine]:
        """The items counted under more than one lead department."""
        return [line for line in self.items if len(line.row.lead) > 1]


def _count(name: str, lines: list[ItemLine]) -> Counts:
    counts = {c: 0 for c in CATEGORIES}
    levels: dict[str, int] = {}
    for line in lines:
        counts[line.category] += 1
        if line.level:
            levels[line.level] = levels.get(line.level, 0) + 1
    return Counts(name, counts, levels)


def _series(
    label: str,
    m: MetricStatus,
    facts: MetricFacts | None,
    points: list[ObligationFacts],
    reports: list[tuple[date, float]],
) -> MetricSeries:
    checkpoints = sorted((o.deadline, o.target) for o in points if o.target is not None)
    pace: list[tuple[date, float]] = []
    if facts and facts.pace_start and facts.pace_until and facts.target is not None:
        start, end = facts.pace_start, facts.pace_until
        pace = [
            (start, expected_on(facts.baseline, facts.target, start, end, start)),
            (end, expected_on(facts.baseline, facts.target, start, end, end)),
        ]
    return MetricSeries(label, m, reports, [(d, float(t)) for d, t in checkpoints], pace)


def build_brief(
    conn: Connection,
    plan: PlanRef,
    month: date,
    *,
    department: str | None = None,
    preset: str = "pace",
    near: int = 5,
    ranking: bool = False,
    today: date | None = None,
) -> Brief:
    """Gather the brief for the month starting ``month``, as it stood on the month's last day,
    or on ``today`` while the month is still running (nothing later is known yet)."""
    first = month.replace(day=1)
    month_last = month_end(first.year, first.month)
    as_of = month_last if today is None else min(month_last, today)
    tasks = read_tasks(conn, plan)
    everything, calendars = read_facts(
        conn, as_of, plan_ids=[plan.id], everything=True, ladder=LADDER
    )
    calendar: WorkCalendar = calendars[plan.id]
    # the same facts and rules as `workplan status` on that day
    facts = everything[plan.id]
    intents = evaluate(facts, as_of, calendar)
    rows = task_statuses(tasks, facts, intents, calendar, as_of, department)

    history: dict[int, list[tuple[date, float]]] = {}
    query = (
        select(T_PROGRESS.c.metric_id, T_PROGRESS.c.as_of, T_PROGRESS.c.value)
        .where(T_PROGRESS.c.plan_id == plan.id, T_PROGRESS.c.value.is_not(None))
        .where(T_PROGRESS.c.as_of <= as_of, counted(T_PROGRESS))
        .order_by(T_PROGRESS.c.as_of, T_PROGRESS.c.id)
    )
    last_by_task: dict[int, date] = {}
    for metric_id, day, value in conn.execute(query):
        if metric_id is not None:
            history.setdefault(metric_id, []).append((day, float(value)))
    for ob in facts.obligations:
        if ob.done_on is not None and ob.done_on <= as_of:
            held = last_by_task.get(ob.task)
            last_by_task[ob.task] = max(held, ob.done_on) if held else ob.done_on

    came_due = {ob.task for ob in facts.obligations if ob.deadline <= as_of}
    sent = sent_levels(conn, plan, as_of)
    ids = {t.number: t.id for t in tasks.values()}
    lines = []
    for r in rows:
        reported = [m.reported_on for m in r.metrics if m.reported_on is not None]
        done_on = last_by_task.get(r.number)
        last = max([*reported, *([done_on] if done_on else [])], default=None)
        kind = category(r, idle=r.number not in came_due and last is None)
        # the level an overdue item reached: the highest letter sent about it, not owed
        level = sent.get(ids.get(r.number, -1), (0, NOT_SENT))[1] if kind == "逾期" else None
        lines.append(ItemLine(r, kind, colour(r, preset, near), level, last, None))

    chapters: dict[int, list[ItemLine]] = {}
    titles = {t.chapter: t.chapter_title for t in tasks.values()}
    for line in lines:
        chapters.setdefault(line.row.chapter, []).append(line)
    by_department: dict[str, list[ItemLine]] = {}
    for line in lines:
        for lead in line.row.lead:
            by_department.setdefault(lead, []).append(line)

    metric_facts = {(m.task, m.key): m for m in facts.metrics}
    series = []
    for r in rows:
        for m in r.metrics:
            mf = metric_facts.get((r.number, m.key))
            points = [o for o in facts.obligations if mf is not None and o.metric_id == mf.id]
            series.append(_series(r.label, m, mf, points, history.get(mf.id, []) if mf else []))

    done_by_id = {o.id: is_done(o, as_of) for o in facts.obligations}
    shown = {r.number for r in rows}
    task_numbers = {t.id: t.number for t in tasks.values()}
    notice_query = select(
        T_NOTICE.c.level,
        T_NOTICE.c.level_name,
        T_NOTICE.c.department,
        T_NOTICE.c.obligation_id,
        T_NOTICE.c.task_id,
    ).where(
        T_NOTICE.c.plan_id == plan.id,
        T_NOTICE.c.evaluated_on >= first,
        T_NOTICE.c.evaluated_on <= as_of,
        T_NOTICE.c.status != "superseded",
    )
    tally: dict[tuple[int, str, str], list[int]] = {}
    for level, name, to, obligation_id, task_id in conn.execute(notice_query):
        if task_numbers.get(task_id) not in shown:
            continue
        entry = tally.setdefault((level, name, to), [0, 0])
        entry[0] += 1
        entry[1] += 1 if obligation_id is not None and done_by_id.get(obligation_id) else 0
    notices = [
        NoticeCount(name, _recipient(to), n, answered)
        for (_, name, to), (n, answered) in sorted(tally.items())
    ]

    next_first = month_end(first.year, first.month) + timedelta(days=1)
    coming = agenda(
        conn, plan, next_first, month_end(next_first.year, next_first.month), department
    )

    league: list[tuple[str, int, int, int]] = []
    if ranking:
        for name, mine in by_department.items():
            red = sum(1 for line in mine if line.colour == "red")
            yellow = sum(1 for line in mine if line.colour == "yellow")
            league.append((name, red, yellow, len(mine)))
        league.sort(key=lambda x: (-x[1], -x[2], x[0]))

    return Brief(
        plan,
        first,
        as_of,
        department,
        preset,
        _count("全部", lines),
        [
            _count(f"第{n}章 {titles.get(n, '')}".strip() if n else titles.get(n, ""), held)
            for n, held in sorted(chapters.items())
        ],
        sorted(
            (_count(name, mine) for name, mine in by_department.items()),
            key=lambda c: (-c.counts["逾期"], -c.counts["欠进度"], c.name),
        ),
        lines,
        series,
        notices,
        coming,
        league,
        cycle=cycle_section(conn, plan, first, as_of),
    )


def _recipient(department: str) -> str:
    """Name a notice's recipient as the brief's readers do: the leadership as 领导小组."""
    return "领导小组" if department == LEADERSHIP else department
