"""The hot queries on PostgreSQL: planned on statistics after a load, and never quadratic
without them (a tick can run straight after a bulk load, before any ANALYZE)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, text

from tests.helpers import PLANS
from workplan.plan.validate import read_plan
from workplan.store.db import open_store
from workplan.store.facts_query import _metric_query, _obligation_query
from workplan.store.load import load

NOW = datetime(2023, 5, 9, 1, 0, tzinfo=UTC)
AS_OF = date(2023, 11, 15)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    if not db_url.startswith("postgresql"):
        pytest.skip("query plans and statistics are PostgreSQL's")
    engine = open_store(db_url, create=True)
    yield engine
    engine.dispose()


def _load(engine: Engine, *, analyze: bool) -> None:
    loaded = read_plan(PLANS / "example.yaml")
    with engine.begin() as conn:
        load(
            conn,
            loaded.compiled,
            source_path="example.yaml",
            source_text=loaded.text,
            now=NOW,
            analyze=analyze,
        )


def _tuples(conn: Connection, table: str) -> float:
    return float(
        conn.execute(
            text("SELECT reltuples FROM pg_class WHERE oid = CAST(:t AS regclass)"), {"t": table}
        ).scalar_one()
    )


def test_load_leaves_the_planner_statistics(engine: Engine) -> None:
    _load(engine, analyze=True)
    with engine.connect() as conn:
        # never analysed, PostgreSQL reports -1 and guesses from the table's size on disk
        assert _tuples(conn, "obligation") == 17
        assert _tuples(conn, "task") == 1
        # on the columns queries filter and join on; a task's text and titles are not sampled
        assert _analysed(conn, "task") == {"id", "plan_id", "number", "active", "signed_off_at"}
        assert {"id", "task_id", "key", "active"} <= _analysed(conn, "metric")
        assert "title" not in _analysed(conn, "metric")
        assert {"plan_id", "task_id", "due", "deadline", "done_on"} <= _analysed(conn, "obligation")


def _analysed(conn: Connection, table: str) -> set[str]:
    query = text(
        "SELECT attname FROM pg_stats WHERE schemaname = current_schema() AND tablename = :t"
    )
    return set(conn.execute(query, {"t": table}).scalars())


def _plan(conn: Connection, query: Any) -> dict[str, Any]:
    compiled = query.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    row = conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + str(compiled), compiled.params)
    value = row.scalar_one()
    return dict((json.loads(value) if isinstance(value, str) else value)[0]["Plan"])


def _indexes(node: dict[str, Any]) -> set[str]:
    found = {node["Index Name"]} if "Index Name" in node else set()
    for child in node.get("Plans", []):
        found |= _indexes(child)
    return found


def _repeated_scans(node: dict[str, Any]) -> list[str]:
    """The indexes of range scans run once per outer row (the inner side of a nested loop),
    other than look-ups by a key or one task's rows."""
    found: list[str] = []
    if node["Node Type"] == "Nested Loop":
        found += sorted(_indexes(node["Plans"][1]) & {"ix_obligation_open", "ix_obligation_done"})
    for child in node.get("Plans", []):
        found += _repeated_scans(child)
    return found


GROW = [
    # a county's worth of tasks with a monthly duty each, most of them done: the shape of
    # the national benchmark, written in bulk as a ledger import would, with no ANALYZE
    """INSERT INTO task (plan_id, number, chapter, chapter_title, title, text, lead, co, active)
       SELECT 1, n, 1, '重点任务', '任务', '', '[]', '[]', true FROM generate_series(100, 2099) n""",
    """INSERT INTO obligation (plan_id, task_id, key, kind, source, title, due, deadline,
                               rules_id, active)
       SELECT 1, t.id, 'duty@' || m, 'occurrence', 'duty', '调度', d, d,
              (SELECT min(id) FROM rules), true
       FROM task t, generate_series(1, 12) m, LATERAL (SELECT make_date(2023, m, 25) AS d) x
       WHERE t.number >= 100""",
    "UPDATE obligation SET done_on = due WHERE deadline < '2023-11-15' AND id % 20 <> 0",
]


@pytest.mark.parametrize("plans", ["all", "one"])
def test_without_statistics_the_open_obligations_are_scanned_once(
    engine: Engine, plans: str
) -> None:
    _load(engine, analyze=False)
    with engine.begin() as conn:
        for statement in GROW:
            conn.execute(text(statement))
    with engine.connect() as conn:
        assert _tuples(conn, "obligation") == -1  # no statistics at all
        plan_ids = None if plans == "all" else [1]
        for query in (
            _obligation_query(AS_OF, date(2023, 11, 29), plan_ids, False),
            _metric_query(AS_OF, plan_ids, False),
        ):
            assert _repeated_scans(_plan(conn, query)) == []


def test_sessions_run_without_jit_compilation(engine: Engine) -> None:
    # compiling the evaluation's obligation query took half of its time, every time
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SHOW jit").scalar_one() == "off"
