"""Document numbers (文号): 巴南乡振督〔2023〕7号, and bulletin issues (第20期).

A plan gives a format per kind of document (``numbering.documents``) and one for its monthly
bulletin (``numbering.bulletin``).  Formats that read the same once the year is filled in share
one sequence, as an office's 催办 and 督办 often do.  A sequence belongs to the issuing office
and the year, not to a plan: two plans of one office continue one series.  A number is taken
when a letter goes out (its claim, ``lease.claim``), with the statement that raises the
sequence, inside the caller's transaction: committed with the claim, rolled back with it, so
no number is ever given twice, and a letter withdrawn before it was sent takes none.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection, func, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite

from workplan.plan.settings import DEFAULT_REPORT, NumberFormats, PlanSettings
from workplan.store.tables import T_OFFICE_SEQUENCE, T_PLAN, T_SEQUENCE

BULLETIN = "bulletin"
DEFAULT_BULLETIN = "{year}年第{n}期"
REPORT = DEFAULT_REPORT
"""the leadership's report, unless the plan names it (``numbering.report``)"""


def number_format(numbering: NumberFormats, kind: str) -> str | None:
    """Return the plan's format for a kind of document (a level name, or ``bulletin``)."""
    if kind == BULLETIN:
        return numbering.bulletin or DEFAULT_BULLETIN
    return numbering.documents.get(kind) or None


def take(conn: Connection, office: str, fmt: str, day: date) -> str:
    """Take the next number of the office's series ``fmt`` names for ``day``'s year; return it
    formatted.  A series new to the office continues the highest number its plans gave under
    the per-plan sequences of earlier versions."""
    series = fmt.replace("{year}", str(day.year))
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    earlier = (
        select(literal(office), literal(series), func.coalesce(func.max(T_SEQUENCE.c.last), 0))
        .select_from(T_SEQUENCE.join(T_PLAN, T_PLAN.c.id == T_SEQUENCE.c.plan_id))
        .where(T_PLAN.c.office == office, T_SEQUENCE.c.series == series)
    )
    conn.execute(
        dialect.insert(T_OFFICE_SEQUENCE)
        .from_select(["office", "series", "last"], earlier)
        .on_conflict_do_nothing(index_elements=["office", "series"])
    )
    n = conn.execute(
        update(T_OFFICE_SEQUENCE)
        .where(T_OFFICE_SEQUENCE.c.office == office, T_OFFICE_SEQUENCE.c.series == series)
        .values(last=T_OFFICE_SEQUENCE.c.last + 1)
        .returning(T_OFFICE_SEQUENCE.c.last)
    ).scalar_one()
    return series.replace("{n}", str(n))


def assign(conn: Connection, *, plan_id: int, series: str, day: date) -> str | None:
    """Take the next number for a kind of document of a plan's office (``bulletin`` for its
    bulletin); None when the plan does not number that kind."""
    settings, office = conn.execute(
        select(T_PLAN.c.settings, T_PLAN.c.office).where(T_PLAN.c.id == plan_id)
    ).one()
    fmt = number_format(PlanSettings.from_json(settings).numbering, series)
    return take(conn, office, fmt, day) if fmt else None
