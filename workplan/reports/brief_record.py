"""What the brief adds from the plan's record: each item's colour strip over the months kept,
the deadlines moved since the plan was issued, and (opt-in, as the league table) the month's
考核 with its rates."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import Connection

from workplan.plan.periods import month_end
from workplan.reports.brief import Brief
from workplan.reports.drift import build_drift
from workplan.reports.months import strips
from workplan.reports.scoring import build_scores, period_of
from workplan.store.refs import PlanRef


def with_record(conn: Connection, plan: PlanRef, brief: Brief, ranking: bool) -> Brief:
    """Return the brief with the colour strips, the drift and, when ``ranking``, the scores."""
    scores: list[list[object]] = []
    if ranking:
        first = brief.month
        start, _, label = period_of(first.year, month=first.month)
        end = min(month_end(first.year, first.month), brief.as_of)
        made = build_scores(conn, plan, start, end, label, brief.as_of)
        scores = [r for r in made.rows() if brief.department is None or r[0] == brief.department]
    return replace(
        brief,
        strip=strips(conn, plan, brief.as_of),
        drift=build_drift(conn, plan, brief.department).rows(),
        scores=scores,
    )
