"""The notices: why each is owed (its detail, said by its rule's kind), the notices of a tick or a
replay, the office's record of what was sent, and the deliveries."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from workplan import i18n
from workplan.cli.render.dump import dump_json
from workplan.cli.render.layout import Column, grid
from workplan.cli.render.words import EN, Words
from workplan.i18n import _
from workplan.plan.compiled import item_label
from workplan.plan.units import figure
from workplan.rules.evaluate import LEADERSHIP
from workplan.rules.kinds import RuleKind, Topic, rule_kind


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
    if facts.get("returned_on") is not None:  # a report sent back (退回)
        if w.zh:
            return f"{facts['returned_on']}退回：{facts.get('reason') or ''}"
        return f"sent back {facts['returned_on']}: {facts.get('reason') or ''}"
    if facts.get("reported_by") is not None:  # a report waiting for review (复核)
        if w.zh:
            return f"{facts['reported_by']}于{facts['reported_on']}报送，待复核"
        return f"reported {facts['reported_on']} by {facts['reported_by']}, awaiting review"
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
    short = kind.topic == "shortfall"
    if w.zh:
        text = f"{facts['deadline']}到期" + (
            f"未达到（到期后{late}个工作日）" if short else f"，逾期{late}个工作日"
        )
    else:
        text = f"due {facts['deadline']}, " + (
            f"short ({late} wd after)" if short else f"{late} wd late"
        )
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


def _summary_detail(kind: RuleKind, facts: dict[str, Any], w: Words) -> str:
    counts = facts.get("counts") or {}
    if w.zh:
        listed = "、".join(f"{k}{v}项" for k, v in counts.items())
        return f"{facts.get('month')}：在督办{facts.get('items')}项（{listed}），列名{facts.get('named')}项"
    listed = ", ".join(f"{k} {v}" for k, v in counts.items())
    return f"{facts.get('month')}: {facts.get('items')} on the ladder ({listed}), {facts.get('named')} named"


DETAILS: dict[Topic, Callable[[RuleKind, dict[str, Any], Words], str]] = {
    "backlog": _backlog_detail,
    "deadline": _deadline_detail,
    "shortfall": _deadline_detail,
    "summary": _summary_detail,
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
    for day, _task, department, name, *_rest in rows:
        key = (f"{day:%Y-%m}", department, name)
        counts[key] = counts.get(key, 0) + 1
    return [(*key, n) for key, n in sorted(counts.items())]


def simulation_summary(rows: list[tuple[Any, ...]], width: int | None, w: Words = EN) -> str:
    """Lay out how many notices a replay produced, by month and level, and by department."""
    levels: list[str] = []
    by_month: dict[str, dict[str, int]] = {}
    by_department: dict[str, int] = {}
    for day, _task, department, name, *_rest in rows:
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
    cells = [[to_whom([department], w)[0], str(count)] for department, count in busiest]
    return out + "\n" + grid("按单位" if w.zh else "by department", columns, cells, width)


def letters_summary(letters: list[Any]) -> str:
    """Say how many messages a replay sends, and the most any one recipient gets in a day."""
    if not letters:
        return _("0 messages")
    per_day: dict[tuple[Any, str], int] = {}
    for letter in letters:
        per_day[(letter.day, letter.recipient)] = per_day.get((letter.day, letter.recipient), 0) + 1
    (day, recipient), most = max(per_day.items(), key=lambda kv: (kv[1], kv[0][0]))
    days = len({d for d, _who in per_day})
    return _(
        "{n} messages on {days} days; at most {most} to one recipient on one day "
        "({recipient}, {day})",
        n=len(letters),
        days=days,
        most=most,
        recipient=to_whom([recipient], Words(i18n.plan_locale()))[0],
        day=day,
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
        sent = w.time(r["sent_at"]) if r["sent_at"] else "–"
        status = w(r["status"])
        if r["possible_duplicate"]:
            status += _(" (dup?)")
        cells.append(
            [
                str(r["id"]),
                item_label(r["item"]),
                *to_whom([r["department"]], w),
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
            w.time(r["sent_at"]) if r["sent_at"] else "–",
            r["error"] or "",
        ]
        for r in rows
    ]
    return grid(title, columns, cells, width)


def notice_record(record: Any, w: Words = EN) -> str:
    """Render one notice with its message, as the office's record shows it."""
    n = record.notice
    lines = [
        _(
            "notice {id}: {item} {about} — {notice} to {department}",
            id=n["id"],
            item=n["item"],
            about=n["about"],
            title=n.get("title") or n["about"],
            notice=n["notice"],
            department=n["department"],
        ),
        (_("document {number}, ", number=n["number"]) if n["number"] else "")
        + _(
            "dated {day}; status {status} after {attempts} attempt(s)",
            day=f"{n['dated']:%Y-%m-%d}",
            status=_(n["status"]),
            attempts=n["attempts"],
        )
        + (_(", sent {time} UTC (real time)", time=w.time(n["sent_at"])) if n["sent_at"] else "")
        + (_(" (possibly a duplicate)") if n["possible_duplicate"] else ""),
    ]
    if n["error"]:
        lines.append(_("last error: {error}", error=n["error"]))
    if record.text is None:
        lines.append(_("(no message composed yet)"))
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
