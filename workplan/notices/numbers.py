"""Document numbers (文号): 巴南乡振督〔2023〕7号, and bulletin issues (第20期).

A plan gives a format per kind of document (``numbering.documents``) and one for its monthly
bulletin (``numbering.bulletin``).  Formats that read the same once the year is filled in share
one sequence, as an office's 催办 and 督办 often do.  A number is taken with the statement that
raises the sequence, inside the caller's transaction: committed with the document, rolled back
with it, so no number is ever given twice or skipped.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection, select, update
from sqlalchemy.dialects import postgresql, sqlite

from workplan.plan.settings import NumberFormats, PlanSettings
from workplan.store.tables import T_PLAN, T_SEQUENCE

BULLETIN = "bulletin"
DEFAULT_BULLETIN = "{year}年第{n}期"


def number_format(numbering: NumberFormats, kind: str) -> str | None:
    """Return the plan's format for a kind of document (a level name, or ``bulletin``)."""
    if kind == BULLETIN:
        return numbering.bulletin or DEFAULT_BULLETIN
    return numbering.documents.get(kind) or None


def take(conn: Connection, plan_id: int, fmt: str, day: date) -> str:
    """Take the next number of the series ``fmt`` names for ``day``'s year; return it formatted."""
    series = fmt.replace("{year}", str(day.year))
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    conn.execute(
        dialect.insert(T_SEQUENCE)
        .values(plan_id=plan_id, series=series, last=0)
        .on_conflict_do_nothing(index_elements=["plan_id", "series"])
    )
    n = conn.execute(
        update(T_SEQUENCE)
        .where(T_SEQUENCE.c.plan_id == plan_id, T_SEQUENCE.c.series == series)
        .values(last=T_SEQUENCE.c.last + 1)
        .returning(T_SEQUENCE.c.last)
    ).scalar_one()
    return series.replace("{n}", str(n))


def assign(conn: Connection, *, plan_id: int, series: str, day: date) -> str | None:
    """Take the next number for a kind of document of a plan (``bulletin`` for its bulletin);
    None when the plan does not number that kind."""
    settings = conn.execute(select(T_PLAN.c.settings).where(T_PLAN.c.id == plan_id)).scalar_one()
    fmt = number_format(PlanSettings.from_json(settings).numbering, series)
    return take(conn, plan_id, fmt, day) if fmt else None
