"""Compile an item's metrics: each one's facts (target, 序时进度, reporting cadence), the
checkpoints its values are due by, and a ratio's parts and its benchmarks, reported on their own.
"""

from __future__ import annotations

import difflib
from dataclasses import replace
from datetime import date
from itertools import pairwise

from workplan.plan.compiled import MetricInfo, ObligationInfo, pace_value
from workplan.plan.compiling import Context, Item, units
from workplan.plan.model import AnyOf, Metric, Task
from workplan.plan.periods import resolve_due, shortcut
from workplan.plan.policy import Rules
from workplan.plan.units import is_count
from workplan.plan.yamlsource import PathKey


def metrics(
    ctx: Context, item: Item, task: Task, path: PathKey
) -> tuple[list[MetricInfo], list[ObligationInfo]]:
    """Every metric of the item, one per owner with ``each``, and their checkpoints."""
    found: list[MetricInfo] = []
    obligations: list[ObligationInfo] = []
    for i, m in enumerate(task.metrics):
        where = (*path, "metrics", i)
        rules = item.begin(m, where)
        who = item.owners(m.owners, where)
        seen = len(ctx.out.problems)
        for n, (key, unit_title, unit) in enumerate(units(m.id, m.title, m.each, who)):
            one = m if key == m.id else m.model_copy(update={"id": key, "title": unit_title})
            compile_metric(ctx, one, item.number, rules, where, unit, found, obligations)
            if n == 0:
                seen = len(ctx.out.problems)
            else:  # the same problem again for every owner says nothing new
                del ctx.out.problems[seen:]
    return found, obligations


def _check_count(ctx: Context, m: Metric, where: PathKey) -> None:
    """A count (人, 个, 家 …) is never negative: not its baseline, target or checkpoints."""
    if not is_count(m.unit):
        return
    values: list[tuple[PathKey, float | str | AnyOf]] = [
        ((*where, "baseline"), m.baseline),
        *([((*where, "target"), m.target)] if m.target is not None else []),
        *(((*where, "checkpoints", i, "value"), c.value) for i, c in enumerate(m.checkpoints)),
    ]
    for at, value in values:
        if isinstance(value, float | int) and value < 0:
            ctx.add(
                at,
                f"{m.title} is a count ({m.unit}) and cannot be negative: {value:g}",
            )


def compile_metric(
    ctx: Context,
    m: Metric,
    task: int,
    rules: Rules,
    where: PathKey,
    who: tuple[str, ...],
    metrics: list[MetricInfo],
    obligations: list[ObligationInfo],
) -> None:
    merged = rules  # the metric's own policy, merged and in proportion (Item.begin)
    by = resolve_due(m.by, ctx.plan.year).due if m.by is not None else ctx.year_end
    if m.target is None and not m.checkpoints:
        ctx.add(where, "a metric needs a target, checkpoints or both")
    if m.every and m.target is None:
        ctx.add((*where, "every"), "'every' holds the target: give 'target'")
    if m.every and m.checkpoints:
        ctx.add((*where, "every"), "give either 'every' or 'checkpoints'")
    if m.pace and m.target is None:
        ctx.add((*where, "pace"), "pace (序时进度) needs the metric's 'target:'")
    if m.by is not None:
        ctx.in_period(by, (*where, "by"), "target date")
    pace_start = pace_until = None
    if m.pace is not None:
        pace_start = m.pace.start or ctx.year_start
        pace_until = m.pace.until or by
        if pace_until <= pace_start:
            ctx.add((*where, "pace"), "the pace period ends before it starts")
    info = MetricInfo(
        task,
        m.id,
        m.title,
        m.unit,
        m.direction,
        m.cumulative,
        m.baseline,
        m.target,
        by if m.target is not None else None,
        pace_start,
        pace_until,
        m.pace.tolerance if m.pace and m.pace.track else None,
        m.report,
        who,
        merged,
        tuple(m.aliases),
        "ratio" if m.numerator or m.denominator else None,
    )
    metrics.append(info)
    metrics.extend(_parts(ctx, m, info, where))
    _check_count(ctx, m, where)

    def checkpoint(
        key: str, due: date, value: float, opens: date | None = None, bench: str | None = None
    ) -> None:
        obligations.append(
            ObligationInfo(
                task,
                key,
                "checkpoint",
                m.id,
                m.title,
                opens,
                due,
                m.id,
                value,
                who,
                merged,
                benchmark=bench,
            )
        )

    if m.every and m.target is not None:
        for occ in shortcut(m.every, ctx.year_start, by, None):
            checkpoint(f"{m.id}@{occ.label}", occ.due, m.target, occ.opens)
        return
    points: list[tuple[date, float, PathKey]] = []
    benches: dict[PathKey, str] = {}
    for i, cp in enumerate(m.checkpoints):
        cp_where = (*where, "checkpoints", i)
        day = resolve_due(cp.by, ctx.plan.year).due
        ctx.in_period(day, (*cp_where, "by"), "checkpoint")
        plain = cp.value
        if isinstance(plain, AnyOf):
            benches[cp_where] = _benchmark(ctx, m, plain.benchmarks[0], cp_where)
            plain = plain.values[0]
        if plain == "pace":
            if info.target is None or pace_start is None or pace_until is None:
                lacking = " and ".join(
                    f"'{k}:'" for k, v in (("target", info.target), ("pace", m.pace)) if v is None
                )
                ctx.add(
                    (*cp_where, "value"),
                    f"value 'pace' (序时进度) needs the metric's {lacking}",
                )
                continue
            value = pace_value(info, day)
        else:
            value = float(plain)
        points.append((day, value, cp_where))
    for (d1, _, _), (d2, _, w2) in pairwise(points):
        if d2 <= d1:
            ctx.add((*w2, "by"), "checkpoints must be in date order")
    if m.target is not None:
        same_day = [p for p in points if p[0] == by]
        if same_day and same_day[0][1] != m.target:
            ctx.add(
                (*same_day[0][2], "value"),
                f"the checkpoint on the target date says {same_day[0][1]:g}, the target {m.target:g}",
            )
        if any(p[0] > by for p in points):
            ctx.add((*where, "by"), "a checkpoint falls after the target date")
    series = [(v, w) for _, v, w in points]
    if m.target is not None and not any(p[0] == by for p in points):
        series.append((m.target, (*where, "target")))
    if m.cumulative:
        sign = 1 if m.direction == "at_least" else -1
        for (v1, _), (v2, w2) in pairwise(series):
            if sign * (v2 - v1) < 0:
                word = "goes down" if sign == 1 else "goes up"
                ctx.add(
                    w2 if w2[-1] == "target" else (*w2, "value"),
                    f"a cumulative value {word}: {v2:g} after {v1:g}; "
                    "correct it, or write 'cumulative: false'",
                )
    for n, (day, value, at) in enumerate(points, start=1):
        checkpoint(f"{m.id}#{n}", day, value, bench=benches.get(at))
    if m.target is not None and not any(p[0] == by for p in points):
        checkpoint(f"{m.id}#target", by, m.target)


def _parts(ctx: Context, m: Metric, info: MetricInfo, where: PathKey) -> list[MetricInfo]:
    """A ratio's numerator and denominator and a metric's benchmarks: metrics reported on
    their own (key 'metric.part'), from which the ratio is derived and any_of judged."""
    parts: list[tuple[str, str, str, str, PathKey]] = []
    if m.numerator is not None or m.denominator is not None:
        if m.numerator is None or m.denominator is None:
            lacking = "numerator" if m.numerator is None else "denominator"
            ctx.add(where, f"a ratio needs both parts: add '{lacking}:'")
        elif m.numerator.unit != m.denominator.unit:
            ctx.add(
                (*where, "denominator", "unit"),
                f"both parts of a ratio share a unit: the numerator is in {m.numerator.unit}",
            )
        if m.unit != "%":
            ctx.add((*where, "unit"), "a ratio (numerator ÷ denominator) is in '%'")
        for name, part in (("numerator", m.numerator), ("denominator", m.denominator)):
            if part is not None:
                parts.append((part.id or name, part.title, part.unit, name, (*where, name)))
    for i, b in enumerate(m.benchmarks):
        parts.append((b.id, b.title, m.unit, "benchmark", (*where, "benchmarks", i, "id")))
    seen: set[str] = set()
    out = []
    for key, title, unit, kind, at in parts:
        if key in seen:
            ctx.add(at, f"'{key}' names two parts of {m.title}")
        seen.add(key)
        level = kind == "benchmark"
        out.append(
            replace(
                info,
                key=f"{m.id}.{key}",
                title=f"{m.title}（{title}）",
                unit=unit,
                direction=m.direction if level else "at_least",
                cumulative=not level,
                baseline=0.0,
                target=None,
                target_by=None,
                pace_start=None,
                pace_until=None,
                pace_tolerance=None,
                report=None,
                aliases=(),
                part=kind,
                part_of=m.id,
            )
        )
    return out


def _benchmark(ctx: Context, m: Metric, name: str, where: PathKey) -> str:
    """Return the key of a benchmark an any_of checkpoint cites, or say it is unknown."""
    known = [b.id for b in m.benchmarks]
    if name not in known:
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.5)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        declared = f" (declared: {', '.join(known)})" if known else " (add 'benchmarks:')"
        ctx.add(
            (*where, "value"),
            f"unknown benchmark '{name}' for {m.title}{hint}{declared}",
        )
    return f"{m.id}.{name}"
