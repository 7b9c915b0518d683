"""Find plans, tasks, obligations, metrics and departments from what a user types."""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, select

from workplan import i18n
from workplan.errors import NotFound, Refused
from workplan.i18n import L_, N_, Text
from workplan.plan.compiled import ASSIGNED, PERIODIC, item_label
from workplan.plan.periods import label_span
from workplan.plan.settings import PlanSettings
from workplan.store.cells import normalise, not_an_item, parse_item, parse_month
from workplan.store.tables import T_DEPT, T_METRIC, T_OBL, T_PLAN, T_TASK


def parse_number(text: str) -> int | None:
    """Read an item number as the one input grammar writes it (16, 十六, （十六）, 第十六项); a
    交办件's as 交办3 or （交办3）."""
    core = text.strip().strip("()（）")
    if core.startswith("交办") and core[2:].isdigit() and int(core[2:]) > 0:
        return ASSIGNED + int(core[2:])
    return parse_item(text)


@dataclass(frozen=True)
class PlanRef:
    id: int
    key: str
    title: str
    timezone: str
    office: str
    year: int
    settings: PlanSettings
    locale: str = "zh-CN"


@lru_cache(maxsize=64)
def _settings(text: str) -> PlanSettings:
    """A plan's settings, parsed once for each text a plan row keeps (every page reads the
    plan; frozen, so one parse is shared)."""
    return PlanSettings.from_json(text)


def _ref(row: Any) -> PlanRef:
    i18n.follow_plan(row["locale"])  # a Chinese plan is answered in Chinese
    return PlanRef(
        row["id"],
        row["key"],
        row["title"],
        row["timezone"],
        row["office"],
        row["year"],
        _settings(row["settings"]),
        row["locale"],
    )


PLANS = select(T_PLAN)
"""every plan's row (built once: every page asks)"""


def all_plans(conn: Connection, key: str | None) -> list[PlanRef]:
    """Return the plan named ``key``, or every plan when none is named."""
    if key is not None:
        return [find_plan(conn, key)]
    rows = conn.execute(select(T_PLAN).order_by(T_PLAN.c.key)).mappings().all()
    if not rows:
        raise NotFound(L_("the database holds no plan: load one with `workplan load PLAN.yaml`"))
    return [_ref(r) for r in rows]


def find_plan(conn: Connection, key: str | None) -> PlanRef:
    """Return the plan named ``key``, or the only plan when none is named."""
    return find_plan_marked(conn, key)[0]


def find_plan_marked(conn: Connection, key: str | None) -> tuple[PlanRef, int]:
    """Return the plan named ``key`` (or the only plan) with its facts' change marker
    (store/changes.py), read in the same statement."""
    rows = conn.execute(PLANS).mappings().all()
    if not rows:
        raise NotFound(L_("the database holds no plan: load one with `workplan load PLAN.yaml`"))
    if key is None:
        if len(rows) > 1:
            names = ", ".join(sorted(r["key"] for r in rows))
            raise NotFound(
                L_(
                    "the database holds several plans ({names}): choose one with --plan",
                    names=names,
                )
            )
        row = rows[0]
    else:
        matches = [r for r in rows if r["key"] == key]
        if not matches:
            i18n.follow_plan(rows[0]["locale"])  # the database's plans speak for it
            close = difflib.get_close_matches(key, [r["key"] for r in rows], n=1)
            hint = _did_you_mean(close[0]) if close else ""
            raise NotFound(L_("no plan '{key}'{hint}", key=key, hint=hint))
        row = matches[0]
    return _ref(row), row["facts_version"]


def find_task(conn: Connection, plan: PlanRef, text: str) -> dict[str, Any]:
    """Return the active task row for an item number typed as 16 or 十六."""
    number = parse_number(text)
    if number is None:
        raise NotFound(not_an_item(text), field="item")
    row = (
        conn.execute(select(T_TASK).where(T_TASK.c.plan_id == plan.id, T_TASK.c.number == number))
        .mappings()
        .first()
    )
    if row is None or not row["active"]:
        raise NotFound(
            L_(
                "plan {plan} has no item {label} ({number})",
                plan=plan.key,
                label=item_label(number),
                number=number,
            ),
            field="item",
        )
    return dict(row)


def department_names(conn: Connection, plan: PlanRef) -> dict[str, str]:
    """Return every name and alias of the plan's departments, mapped to the canonical name."""
    out: dict[str, str] = {}
    for row in conn.execute(
        select(T_DEPT.c.name, T_DEPT.c.aliases).where(T_DEPT.c.plan_id == plan.id)
    ):
        out[row.name] = row.name
        for alias in json.loads(row.aliases):
            out[alias] = row.name
    return out


def find_department(conn: Connection, plan: PlanRef, name: str) -> str:
    """Return the canonical name of a department, suggesting the closest on a typo."""
    names = department_names(conn, plan)
    if name in names:
        return names[name]
    close = difflib.get_close_matches(name, list(names), n=1, cutoff=0.5)
    hint = _did_you_mean(names[close[0]]) if close else ""
    raise NotFound(
        L_("plan {plan} has no department '{name}'{hint}", plan=plan.key, name=name, hint=hint),
        field="department",
    )


def _did_you_mean(name: str) -> Text:
    return L_("; did you mean '{name}'?", name=name)


def plan_span(plan: PlanRef) -> tuple[date, date]:
    """Return the first and last day a report or a duty done may be dated for the plan: its
    period, and after it the grace during which it is still chased."""
    start, end = plan.settings.period_or_year(plan.year)
    return start, plan.settings.closes_on or end


def _names(row: Any, key: str) -> tuple[str, ...]:
    """Every name of a metric or a deliverable/duty: its id, its title, its aliases."""
    return (row[key], row["title"], *json.loads(row["aliases"] or "[]"))


def _by_name(rows: list[Any], key: str, text: str) -> list[Any]:
    """Return the rows one of whose names (id, title, alias) is ``text``, one per id."""
    wanted = normalise(text)
    found: dict[str, Any] = {}
    for row in rows:
        if wanted in (normalise(n) for n in _names(row, key)):
            found.setdefault(row[key], row)
    return list(found.values())


UNKNOWN = {
    "metric": (N_("item {label} has no metric '{text}'{hint}"), N_(" (its metrics: {ids})")),
    "obligation": (
        N_("item {label} has no obligation '{text}'{hint}"),
        N_(" (its obligations: {ids})"),
    ),
}


def _unknown(what: str, label: str, text: str, rows: list[Any], key: str) -> NotFound:
    names = list(dict.fromkeys(n for r in rows for n in _names(r, key)))
    ids = list(dict.fromkeys(r[key] for r in rows))
    close = difflib.get_close_matches(text, names, n=1)
    message, listed = UNKNOWN[what]
    hint = _did_you_mean(close[0]) if close else L_(listed, ids=", ".join(ids))
    return NotFound(L_(message, label=label, text=text, hint=hint), field=what)


def find_metric(conn: Connection, task: dict[str, Any], key: str | None) -> dict[str, Any]:
    """Return the task's metric named ``key`` (its id, title or an alias), or its only metric."""
    rows = (
        conn.execute(select(T_METRIC).where(T_METRIC.c.task_id == task["id"], T_METRIC.c.active))
        .mappings()
        .all()
    )
    label = item_label(task["number"])
    if not rows:
        raise NotFound(
            L_("item {label} has no metric; record a note with --note instead", label=label),
            field="metric",
        )
    if key is None:
        rows = [r for r in rows if r["part_of"] is None]  # a ratio's parts are named
        if len(rows) > 1:
            keys = ", ".join(r["key"] for r in rows)
            raise NotFound(
                L_("item {label} has several metrics ({keys}): name one", label=label, keys=keys),
                field="metric",
            )
        return dict(rows[0])
    found = _by_name(list(rows), "key", key)
    if len(found) > 1:
        raise NotFound(
            L_(
                "item {label}: '{key}' names several metrics ({ids})",
                label=label,
                key=key,
                ids=[r["key"] for r in found],
            ),
            field="metric",
        )
    if not found:
        raise _unknown("metric", label, key, list(rows), "key")
    return dict(found[0])


def find_part(
    conn: Connection, task: dict[str, Any], metric: dict[str, Any], part: str
) -> dict[str, Any]:
    """Return a part of a ratio metric or one of its benchmarks: 'numerator', 'denominator',
    or the part's id or title (支出 of 中央衔接资金支出进度（支出）)."""
    rows = (
        conn.execute(
            select(T_METRIC).where(
                T_METRIC.c.task_id == task["id"],
                T_METRIC.c.active,
                T_METRIC.c.part_of == metric["key"],
            )
        )
        .mappings()
        .all()
    )
    wanted = normalise(part)
    for row in rows:
        names = {row["part"], row["key"].rpartition(".")[2], row["title"]}
        names.add(row["title"].removeprefix(metric["title"]).strip("（）"))
        if wanted in {normalise(n) for n in names}:
            return dict(row)
    label = item_label(task["number"])
    if not rows:
        raise NotFound(
            L_("item {label}: {metric} has no parts", label=label, metric=metric["title"]),
            field="part",
        )
    raise NotFound(
        L_(
            "item {label}: {metric} has no part '{part}' ({known})",
            label=label,
            metric=metric["title"],
            part=part,
            known=[f"{r['key'].rpartition('.')[2]} ({r['part']})" for r in rows],
            # the Chinese names the parts as the plan does: 已支出、已下达
            names=[r["title"].removeprefix(metric["title"]).strip("（）") for r in rows],
        ),
        field="part",
    )


def _period(text: str | None) -> str | None:
    """Return a period as keys write it: 2023-4, 2023/4 and 2023年4月 are 2023-04."""
    if text is None:
        return None
    month = parse_month(text)
    return f"{month:%Y-%m}" if month else normalise(text)


def _spans(rows: list[dict[str, Any]]) -> list[tuple[date, date]]:
    """Return the period each occurrence of one duty stands for (a month, a quarter, a term);
    an occurrence labelled by its date stands for the days since the one before."""
    out = []
    previous: date | None = None
    for row in rows:
        label = row["key"].partition("@")[2]
        span = label_span(label)
        if span is None and label[:1].isdigit():
            span = (previous + timedelta(days=1) if previous else date.min, row["due"])
        out.append(span or (row["opens"] or row["due"], row["due"]))
        previous = row["due"]
    return out


def _open_list(task: dict[str, Any], source: str, rows: list[dict[str, Any]]) -> Text:
    """Say which occurrences are open and how to name one."""
    waiting = [r["key"].partition("@")[2] for r in rows if r["done_on"] is None]
    if not waiting:
        return L_("every occurrence of {duty} is done", duty=rows[0]["title"])
    return L_(
        "open: {waiting}{more}; name one: {number}/{source}@{first} or --period {first}",
        waiting=waiting[:6],
        more=" …" if len(waiting) > 6 else "",
        number=task["number"],
        source=source,
        first=waiting[0],
    )


def find_obligation(
    conn: Connection,
    task: dict[str, Any],
    key: str | None,
    on: date | None,
    *,
    period: str | None = None,
) -> dict[str, Any]:
    """Return the obligation of ``task`` that ``key`` names, never a guess.

    ``key`` is a full key (dispatch@2023-06, project-library-2024), or a deliverable's or
    duty's id, title or alias; no key means the task's only open deliverable or duty.  For a
    duty, the occurrence is the one ``period`` names, or else the one whose period contains
    ``on`` if it is open (or done that very day); anything else is refused with the open
    occurrences and how to name one.
    """
    rows = [
        dict(r)
        for r in conn.execute(
            select(T_OBL)
            .where(T_OBL.c.task_id == task["id"], T_OBL.c.active)
            .order_by(T_OBL.c.deadline, T_OBL.c.key)
        ).mappings()
    ]
    label = item_label(task["number"])
    name = normalise(key) if key else None
    if name is not None and "@" in name and period is None:
        name, _, period = name.partition("@")
    period = _period(period)
    if name is not None:
        exact = [r for r in rows if r["key"] == name]
        if exact and period is None:
            return exact[0]
        found = _by_name(rows, "source", name)
        if len(found) > 1:
            raise NotFound(
                L_(
                    "item {label}: '{key}' names several obligations ({ids})",
                    label=label,
                    key=key,
                    ids=[r["source"] for r in found],
                ),
                field="obligation",
            )
        if not found:
            raise _unknown("obligation", label, name, rows, "source")
        source = found[0]["source"]
    else:
        open_rows = [r for r in rows if r["done_on"] is None and r["kind"] != "checkpoint"]
        sources = sorted({r["source"] for r in open_rows})
        if not sources:
            raise NotFound(
                L_("item {label}: nothing open to mark done", label=label), field="obligation"
            )
        if len(sources) > 1:
            raise NotFound(
                L_(
                    "item {label} has several open obligations ({ids}): write {number}/ID",
                    label=label,
                    ids=sources,
                    number=task["number"],
                ),
                field="obligation",
            )
        source = sources[0]
    rows = [r for r in rows if r["source"] == source]
    if rows[0]["kind"] not in PERIODIC:
        if period is not None:
            raise NotFound(
                L_(
                    "item {label}: {title} is not a recurring duty; it has no period {period}",
                    label=label,
                    title=rows[0]["title"],
                    period=period,
                ),
                field="obligation",
            )
        return rows[0]
    if period is not None:
        wanted = f"{source}@{period}"
        for row in rows:
            if row["key"] == wanted:
                return row
        raise NotFound(
            L_(
                "item {label}: {title} has no occurrence {period} (they run from {first} to "
                "{last})",
                label=label,
                title=rows[0]["title"],
                period=period,
                first=rows[0]["key"].partition("@")[2],
                last=rows[-1]["key"].partition("@")[2],
            ),
            field="obligation",
        )
    waiting = _open_list(task, source, rows)
    if on is None:
        raise Refused(
            L_(
                "item {label}: {title} is a recurring duty: say which occurrence; {waiting}",
                label=label,
                title=rows[0]["title"],
                waiting=waiting,
            ),
            field="obligation",
        )
    for row, (start, end) in zip(rows, _spans(rows), strict=True):
        if start <= on <= end:
            if row["done_on"] is None or row["done_on"] == on:
                return row
            reason = L_(
                "the occurrence {period}, which {on} falls in, was already marked done on "
                "{done_on} by {done_by}",
                period=row["key"].partition("@")[2],
                on=on,
                done_on=row["done_on"],
                done_by=row["done_by"],
            )
            break
    else:
        reason = L_("no occurrence of {title} stands for {on}", title=rows[0]["title"], on=on)
    raise Refused(
        L_("item {label}: {reason}; {waiting}", label=label, reason=reason, waiting=waiting),
        field="obligation",
    )
