"""Turn results into tables for people (wrapped, aligned with Chinese text), JSON and CSV."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from rich.cells import cell_len

from workplan.plan.compiled import item_label
from workplan.plan.units import figure
from workplan.rules.evaluate import LEADERSHIP
from workplan.rules.kinds import RuleKind, Topic, rule_kind
from workplan.rules.status import MetricStatus, TaskStatus
from workplan.rules.words import STATE_WORDS
from workplan.store.parts import ratio_text

LANGUAGES = ("zh-CN", "en")

# The CLI's words for people, in Chinese; English is the key itself.
ZH = {
    # headers
    "ID": "ID",
    "Item": "事项",
    "Title": "内容",
    "Lead": "牵头单位",
    "State": "状态",
    "Done": "完成",
    "Next due": "下一期限",
    "Overdue": "逾期",
    "Metric": "指标",
    "Latest": "最新报告",
    "Next checkpoint": "下一节点",
    "Target": "年度目标",
    "序时进度": "序时进度",
    "Date": "日期",
    "Notice": "通知",
    "About": "涉及",
    "To": "发往",
    "Detail": "说明",
    "Owed on": "应发日",
    "Department": "单位",
    "Status": "发送状态",
    "Sent (real, UTC)": "实际发送(UTC)",
    "No.": "文号",
    "Dated": "成文日期",
    "Error": "错误",
    "Channel": "渠道",
    "Robot": "群机器人",
    "Parts": "条数",
    "Subject": "标题",
    "Month": "月份",
    "All": "合计",
    "Notices": "通知数",
    "Metrics": "指标",
    "Deadline": "期限",
    "Left": "剩余",
    "Due": "应办事项",
    "Aim": "目标值",
    "Departments": "责任单位",
    "(done)": "（已完成）",
    **STATE_WORDS,
    "Outcome": "成果",
    "Outcomes": "成果（是否达成）",
    # notice states
    "pending": "待发送",
    "claimed": "发送中",
    "sent": "已发送",
    "failed": "发送失败",
    "retrying": "待重试",
    "superseded": "已撤销",
}


@dataclass(frozen=True)
class Words:
    """The CLI's words for people in one language."""

    lang: str = "en"

    @property
    def zh(self) -> bool:
        return self.lang == "zh-CN"

    def __call__(self, word: str) -> str:
        return ZH.get(word, word) if self.zh else word

    def days(self, n: int) -> str:
        if n == 0:
            return "今天" if self.zh else "today"
        if self.zh:
            return f"{n}个工作日" if n > 0 else f"逾期{-n}个工作日"
        return f"{n} wd" if n > 0 else f"{-n} wd late"


EN = Words("en")


@dataclass(frozen=True)
class Column:
    header: str
    right: bool = False
    keep: bool = False
    """Never wrapped while the others can give way: ids, dates, counts."""


_TOKEN = re.compile(
    r"[（“‘《(]*[^\s!-~][）”’》)，、。：；！？]*|[!-~]+[）”’》，、。：；！？]*|\s+|.", re.DOTALL
)
"""One Chinese character with the brackets and punctuation that must stay beside it, a run of
printable ASCII (a word, a date, a number), or a run of spaces."""


def wrap(text: str, width: int) -> list[str]:
    """Break text into lines of at most ``width`` terminal cells.

    Chinese text breaks between any two characters, Latin words and numbers at spaces;
    a word longer than the line is folded.
    """
    if width <= 0 or cell_len(text) <= width:
        return [text]
    lines: list[str] = []
    line = ""
    for token in _TOKEN.findall(text):
        if cell_len(line) + cell_len(token) <= width:
            line += token
            continue
        if token.isspace():
            lines.append(line.rstrip())
            line = ""
            continue
        if line.strip():
            lines.append(line.rstrip())
        line = ""
        for char in token:
            if cell_len(line) + cell_len(char) > width:
                lines.append(line)
                line = ""
            line += char
    if line.strip() or not lines:
        lines.append(line.rstrip())
    return lines


def _widths(natural: list[int], keep: list[bool], room: int, least: list[int]) -> list[int]:
    """Share ``room`` cells among columns: kept ones whole, the rest as evenly as they need.

    No column gets less than ``least`` (its header) nor less than four cells.
    """
    if sum(natural) <= room:
        return natural
    floor = 4
    widths = list(natural)
    flexible = [i for i, k in enumerate(keep) if not k]
    left = room - sum(natural[i] for i, k in enumerate(keep) if k)
    if left < floor * len(flexible):
        flexible = list(range(len(natural)))
        left = room
    # water-filling: the narrowest columns get what they need, the widest share the rest
    for n, i in enumerate(sorted(flexible, key=lambda i: natural[i])):
        share = max(floor, least[i], left // (len(flexible) - n))
        widths[i] = min(natural[i], share)
        left -= widths[i]
    return widths


def grid(
    title: str, columns: Sequence[Column], rows: Sequence[Sequence[str]], width: int | None
) -> str:
    """Lay out a table: full values when ``width`` is None, else wrapped to ``width`` cells.

    No column is dropped or cut short; lines carry no trailing spaces.
    """
    gap = 2
    natural = [
        max([cell_len(c.header)] + [cell_len(r[i]) for r in rows]) for i, c in enumerate(columns)
    ]
    widths = natural
    if width is not None:
        widths = _widths(
            natural,
            [c.keep for c in columns],
            width - gap * (len(columns) - 1),
            [cell_len(c.header) for c in columns],
        )

    def line(cells: Sequence[str]) -> list[str]:
        parts = [wrap(cell, w) for cell, w in zip(cells, widths, strict=True)]
        out = []
        for n in range(max(len(p) for p in parts)):
            texts = []
            for part, w, column in zip(parts, widths, columns, strict=True):
                text = part[n] if n < len(part) else ""
                pad = " " * max(0, w - cell_len(text))
                texts.append(pad + text if column.right else text + pad)
            out.append((" " * gap).join(texts).rstrip())
        return out

    lines = wrap(title, width) if width is not None else [title]
    lines += line([c.header for c in columns])
    lines.append((" " * gap).join("─" * w for w in widths))
    for row in rows:
        lines += line(row)
    return "\n".join(lines) + "\n"


def to_jsonable(value: Any) -> Any:
    """Convert dataclasses, dates and tuples into JSON-ready values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def dump_json(value: Any) -> str:
    return json.dumps(to_jsonable(value), ensure_ascii=False, indent=2)


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return to_jsonable(value)


def dump_csv(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Write CSV with a byte-order mark, so Excel reads the Chinese text as UTF-8."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([[_csv_cell(v) for v in row] for row in rows])
    return out.getvalue()


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
)


def status_csv(rows: list[TaskStatus]) -> str:
    """One CSV row per item, each followed by one per metric and one per yes/no outcome."""
    out: list[tuple[Any, ...]] = []
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
            out[-1] += (None,) * (len(STATUS_CSV_HEADER) - len(out[-1]))
    return dump_csv(STATUS_CSV_HEADER, out)


def _measured(facts: dict[str, Any], w: Words) -> str:
    unit = facts.get("unit") or ""
    value, target = facts.get("value"), facts.get("target")
    if target is None:
        return ""
    nothing = "未报告" if w.zh else "nothing reported"
    got = f"{figure(value)}{unit}" if value is not None else nothing
    text = f"{got}，目标{figure(target)}{unit}" if w.zh else f"{got} of {figure(target)}{unit}"
    short = facts.get("shortfall")
    if value is not None and short is not None and short > 0:
        text += f"，差{figure(short)}" if w.zh else f", {figure(short)} short"
    return text


def _backlog_detail(kind: RuleKind, facts: dict[str, Any], w: Words) -> str:
    if w.zh:
        return (
            f"{facts.get('count')}次应办期限早于计划生效日{facts.get('chase_from')}：只列出，不催办"
        )
    return (
        f"{facts.get('count')} occurrence(s) due before the plan took effect on "
        f"{facts.get('chase_from')}: shown, never chased"
    )


def _deadline_detail(kind: RuleKind, facts: dict[str, Any], w: Words) -> str:
    unit = facts.get("unit") or ""
    measured = _measured(facts, w)
    colon = "：" if w.zh else ": "
    if not kind.ladder:
        left = facts.get("working_days")
        if w.zh:
            text = f"{facts['deadline']}到期（{'今天' if left == 0 else f'还剩{left}个工作日'}）"
        else:
            text = f"due {facts['deadline']} ({left} wd)"
        if kind.forecast:
            projected = facts.get("projected")
            trend = ""
            if projected is not None:
                trend = f"{'，趋势' if w.zh else ', trend '}{figure(projected)}{unit}"
            text += f"{colon}{measured}{trend}"
        return text
    late = facts.get("working_days_late")
    if w.zh:
        text = f"{facts['deadline']}到期，逾期{late}个工作日"
    else:
        text = f"due {facts['deadline']}, {late} wd late"
    return f"{text}{colon}{measured}" if measured else text


def _pace_detail(kind: RuleKind, facts: dict[str, Any], w: Words) -> str:
    unit = facts.get("unit") or ""
    value = facts.get("value")
    got = (
        f"{figure(value)}{unit}"
        if value is not None
        else ("未报告" if w.zh else "nothing reported")
    )
    expected, gap = figure(facts["expected"]), figure(facts["gap"])
    if w.zh:
        return f"{got}，序时进度{expected}{unit}（落后{gap}）"
    return f"{got} against 序时进度 {expected}{unit} ({gap} behind)"


def _report_detail(kind: RuleKind, facts: dict[str, Any], w: Words) -> str:
    late = facts.get("working_days_late")
    last = facts.get("reported_on")
    if w.zh:
        since = f"上次报告{last}" if last else "从未报告"
        if not kind.ladder:
            left = facts.get("working_days")
            return f"{facts['period']}报告{facts['deadline']}前报送（剩{left}个工作日）；{since}"
        return f"{facts['period']}未报告（逾期{late}个工作日）；{since}"
    since = f"last report {last}" if last else "never reported"
    if not kind.ladder:
        return f"report for {facts['period']} due {facts['deadline']} ({facts.get('working_days')} wd); {since}"
    return f"no report for {facts['period']} ({late} wd late); {since}"


DETAILS: dict[Topic, Callable[[RuleKind, dict[str, Any], Words], str]] = {
    "backlog": _backlog_detail,
    "deadline": _deadline_detail,
    "pace": _pace_detail,
    "report": _report_detail,
}
"""how a notice's detail is said, by its kind's topic"""


def notice_detail(rule: str, facts: dict[str, Any], w: Words = EN) -> str:
    """Say in a few words why a notice is owed (the notice itself is in the letter)."""
    kind = rule_kind(rule)
    return DETAILS[kind.topic](kind, facts, w)


NOTICE_HEADER = (
    "date",
    "item",
    "department",
    "notice",
    "level",
    "rule",
    "about",
    "title",
    "due",
    "detail",
)


def notice_rows(items: list[tuple[date, Any]], w: Words = EN) -> list[tuple[Any, ...]]:
    """Flatten (day, intent) pairs into rows for tables, CSV and JSON."""
    rows = []
    for day, intent in items:
        facts = intent.facts
        rows.append(
            (
                day,
                intent.task,
                intent.department,
                intent.level_name,
                intent.level,
                intent.rule,
                facts.get("key") or facts.get("metric") or "",
                facts.get("title") or "",
                intent.due,
                notice_detail(intent.rule, facts, w),
            )
        )
    return rows


def notice_table(rows: list[tuple[Any, ...]], title: str, width: int | None, w: Words = EN) -> str:
    """Lay out notices one line per obligation and level, with every department it goes to."""
    grouped: dict[tuple[Any, ...], list[str]] = {}
    for day, task, department, name, _level, _rule, _key, about, _due, detail in rows:
        grouped.setdefault((day, task, name, about, detail), []).append(department)
    columns = [
        Column(w("Date"), keep=True),
        Column(w("Item"), keep=True),
        Column(w("Notice"), keep=True),
        Column(w("About")),
        Column(w("To")),
        Column(w("Detail")),
    ]
    cells = [
        [f"{day:%m-%d}", item_label(task), name, about, "、".join(to_whom(departments, w)), detail]
        for (day, task, name, about, detail), departments in grouped.items()
    ]
    return grid(title, columns, cells, width)


def to_whom(departments: list[str], w: Words) -> list[str]:
    """Name the recipients as a clerk says them: the leadership's summary as 领导小组."""
    leaders = "领导小组" if w.zh else "leadership"
    return [leaders if d == LEADERSHIP else d for d in departments]


def notice_json(rows: list[tuple[Any, ...]]) -> str:
    return dump_json([dict(zip(NOTICE_HEADER, row, strict=True)) for row in rows])


SUMMARY_HEADER = ("month", "department", "notice", "count")


def summary_rows(rows: list[tuple[Any, ...]]) -> list[tuple[str, str, str, int]]:
    """Count notices by month, department and level, for CSV and JSON."""
    counts: dict[tuple[str, str, str], int] = {}
    for day, _task, department, name, *_ in rows:
        key = (f"{day:%Y-%m}", department, name)
        counts[key] = counts.get(key, 0) + 1
    return [(*key, n) for key, n in sorted(counts.items())]


def simulation_summary(rows: list[tuple[Any, ...]], width: int | None, w: Words = EN) -> str:
    """Lay out how many notices a replay produced, by month and level, and by department."""
    levels: list[str] = []
    by_month: dict[str, dict[str, int]] = {}
    by_department: dict[str, int] = {}
    for day, _task, department, name, *_ in rows:
        if name not in levels:
            levels.append(name)
        month = f"{day:%Y-%m}"
        by_month.setdefault(month, {})
        by_month[month][name] = by_month[month].get(name, 0) + 1
        by_department[department] = by_department.get(department, 0) + 1
    title = (
        f"按月份和级别：共{len(rows)}条通知" if w.zh else f"{len(rows)} notices by month and level"
    )
    columns = [
        Column(w("Month"), keep=True),
        *(Column(n, right=True, keep=True) for n in levels),
        Column(w("All"), right=True, keep=True),
    ]
    cells = [
        [month, *(str(counts.get(n, "")) for n in levels), str(sum(counts.values()))]
        for month, counts in sorted(by_month.items())
    ]
    out = grid(title, columns, cells, width)
    busiest = sorted(by_department.items(), key=lambda kv: (-kv[1], kv[0]))
    columns = [Column(w("Department")), Column(w("Notices"), right=True, keep=True)]
    cells = [[department, str(count)] for department, count in busiest]
    return out + "\n" + grid("按单位" if w.zh else "by department", columns, cells, width)


def letters_summary(letters: list[Any]) -> str:
    """Say how many messages a replay sends, and the most any one recipient gets in a day."""
    if not letters:
        return "0 messages"
    per_day: dict[tuple[Any, str], int] = {}
    for letter in letters:
        per_day[(letter.day, letter.recipient)] = per_day.get((letter.day, letter.recipient), 0) + 1
    (day, recipient), most = max(per_day.items(), key=lambda kv: (kv[1], kv[0][0]))
    days = len({d for d, _ in per_day})
    return (
        f"{len(letters)} messages on {days} days; at most {most} to one recipient on one day "
        f"({recipient}, {day})"
    )


def notices_table(rows: list[dict[str, Any]], title: str, width: int | None, w: Words = EN) -> str:
    """Lay out the outbox, one notice a line, with the id `notices --show` takes: the letter's
    date and number (business time) and when it was actually sent (real time, UTC), which
    differ in a replay or a backfill."""
    names = ("Item", "Department", "Notice", "About", "No.", "Dated", "Status")
    columns = [Column("ID", right=True, keep=True)]
    columns += [Column(w(n), keep=n in ("Item", "Notice", "No.", "Dated")) for n in names]
    columns += [Column(w("Sent (real, UTC)"), keep=True), Column(w("Error"))]
    cells = []
    for r in rows:
        sent = r["sent_at"].strftime("%Y-%m-%d %H:%M") if r["sent_at"] else "–"
        status = w(r["status"])
        if r["possible_duplicate"]:
            status += "（可能重复）" if w.zh else " (dup?)"
        cells.append(
            [
                str(r["id"]),
                item_label(r["item"]),
                r["department"],
                r["notice"],
                r.get("title") or str(r["about"]),
                r["number"] or "–",
                f"{r['dated']:%Y-%m-%d}",
                status,
                sent,
                r["error"] or "",
            ]
        )
    return grid(title, columns, cells, width)


def deliveries_table(
    rows: list[dict[str, Any]], title: str, width: int | None, w: Words = EN
) -> str:
    """Lay out the group robots' deliveries, one a message and robot, each with its status,
    the parts the robot accepted, and why it failed."""
    columns = [
        Column("ID", right=True, keep=True),
        Column(w("Department")),
        Column(w("Channel"), keep=True),
        Column(w("Robot")),
        Column(w("Subject")),
        Column(w("Status"), keep=True),
        Column(w("Parts"), right=True, keep=True),
        Column(w("Sent (real, UTC)"), keep=True),
        Column(w("Error")),
    ]
    cells = [
        [
            str(r["id"]),
            r["department"],
            r["channel"],
            r["robot"],
            r["subject"] or "–",
            w(r["status"]),
            f"{r['parts_sent']}/{r['parts']}",
            r["sent_at"].strftime("%Y-%m-%d %H:%M") if r["sent_at"] else "–",
            r["error"] or "",
        ]
        for r in rows
    ]
    return grid(title, columns, cells, width)


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


def notice_record(record: Any) -> str:
    """Render one notice with its message, as the office's record shows it."""
    n = record.notice
    lines = [
        f"notice {n['id']}: {n['item']} {n['about']} — {n['notice']} to {n['department']}",
        (f"document {n['number']}, " if n["number"] else "")
        + f"dated {n['dated']:%Y-%m-%d}; status {n['status']} after {n['attempts']} attempt(s)"
        + (f", sent {n['sent_at']:%Y-%m-%d %H:%M} UTC (real time)" if n["sent_at"] else "")
        + (" (possibly a duplicate)" if n["possible_duplicate"] else ""),
    ]
    if n["error"]:
        lines.append(f"last error: {n['error']}")
    if record.text is None:
        lines.append("(no message composed yet)")
        return "\n".join(lines)
    lines += [
        "",
        f"Message-ID: {n['message_id']}",
        f"From: {record.sender}",
        f"To: {', '.join(record.recipients)}",
        f"Subject: {record.subject}",
        "",
        record.text,
    ]
    return "\n".join(lines)
