"""The references of the tables written in bulk, kept without per-row foreign-key triggers.

A plan's rows (departments, tasks, owners, policies, metrics, obligations) and the notices
refer to plans, tasks, metrics, policies and obligations by id without a FOREIGN KEY
(PostgreSQL checks one by a trigger per inserted row: most of a load's time).
What the keys guarded is kept two ways, both pinned here: the rows referred to can never be
deleted, and every reference the writers leave behind points at a row of the same plan.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from tests.helpers import PLANS, run
from workplan.store.db import open_store
from workplan.store.tables import KEPT, KEPT_MESSAGE, metadata

EXAMPLE = (PLANS / "example.yaml").read_text(encoding="utf-8")
SECOND_TASK = """      - number: 2
        title: 加强日常监管
        text: 每月通报项目建设进展情况。
        lead: 区乡村振兴局
        recurring:
          - {id: bulletin, title: 每月通报, every: month}
"""


def references() -> list[tuple[str, str, str]]:
    """Every (table, column, table referred to) kept without a foreign key."""
    return [
        (table.name, column.name, column.info["refers_to"])
        for table in metadata.sorted_tables
        for column in table.columns
        if "refers_to" in column.info
    ]


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = open_store(db_url, create=True)
    yield engine
    engine.dispose()


def _broken(conn: Connection, table: str, column: str, parent: str) -> tuple[int, int]:
    """How many references point at no row, and how many at a row of another plan."""
    dangling = conn.execute(
        text(
            f'SELECT count(*) FROM "{table}" c LEFT JOIN "{parent}" p ON p.id = c.{column} '
            f"WHERE c.{column} IS NOT NULL AND p.id IS NULL"
        )
    ).scalar_one()
    if parent == "plan" or "plan_id" not in metadata.tables[table].c:
        return int(dangling), 0
    foreign = conn.execute(
        text(
            f'SELECT count(*) FROM "{table}" c JOIN "{parent}" p ON p.id = c.{column} '
            "WHERE p.plan_id <> c.plan_id"
        )
    ).scalar_one()
    return int(dangling), int(foreign)


def test_the_bulk_tables_reference_by_id_without_foreign_keys() -> None:
    assert sorted(references()) == [
        ("cycle_step", "obligation_id", "obligation"),
        ("cycle_step", "plan_id", "plan"),
        ("cycle_step", "task_id", "task"),
        ("department", "plan_id", "plan"),
        ("metric", "plan_id", "plan"),
        ("metric", "rules_id", "rules"),
        ("metric", "task_id", "task"),
        ("notice", "metric_id", "metric"),
        ("notice", "obligation_id", "obligation"),
        ("notice", "plan_id", "plan"),
        ("notice", "task_id", "task"),
        ("obligation", "benchmark_id", "metric"),
        ("obligation", "metric_id", "metric"),
        ("obligation", "plan_id", "plan"),
        ("obligation", "rules_id", "rules"),
        ("obligation", "task_id", "task"),
        ("plan_version", "plan_id", "plan"),
        ("rules", "plan_id", "plan"),
        ("task", "plan_id", "plan"),
        ("task_owner", "task_id", "task"),
    ]
    kept = {t.name for t in KEPT}
    assert {parent for _, _, parent in references()} <= kept


def test_every_reference_written_points_at_a_row_of_its_plan(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    db = ("--db", db_url)
    # two plans, a year of reports, an amendment that adds and then drops an item, days
    # evaluated and letters written
    run("load", str(PLANS / "banan-2023.yaml"), *db)
    run("progress", "import", str(PLANS / "banan-2023-ledger.csv"), *db)
    run("load", str(PLANS / "example.yaml"), *db)
    amended = tmp_path / "example.yaml"
    amended.write_text(EXAMPLE + SECOND_TASK, encoding="utf-8")
    run("load", str(amended), *db)
    outbox = str(tmp_path / "outbox")
    for day in ("2023-05-09", "2023-07-17", "2023-07-21"):
        run("tick", "--as-of", day, *db)
        run("run", "--once", "--now", f"{day}T09:00", "--outbox", outbox, *db)
    back = tmp_path / "back.yaml"
    back.write_text(EXAMPLE, encoding="utf-8")
    run("load", str(back), *db)
    run("tick", "--as-of", "2023-09-04", *db)
    with engine.connect() as conn:
        counts = {
            name: conn.execute(text(f"SELECT count(*) FROM {name}")).scalar_one()
            for name in ("obligation", "notice")
        }
        assert counts["obligation"] > 200 and counts["notice"] > 20, counts
        broken = {
            (table, column): _broken(conn, table, column, parent)
            for table, column, parent in references()
        }
    assert broken == {key: (0, 0) for key in broken}


@pytest.mark.parametrize("table", [t.name for t in KEPT])
def test_a_kept_row_cannot_be_deleted(engine: Engine, table: str) -> None:
    run("load", str(PLANS / "example.yaml"), "--db", str(engine.url))
    # a step of the office's cycle, so that its table has a row to refuse to delete
    run("pause", "1", "--by", "区乡村振兴局", "--reason", "waiting", "--db", str(engine.url))
    with engine.connect() as conn, pytest.raises(DBAPIError, match="never deleted"):
        conn.execute(text(f'DELETE FROM "{table}"'))
    with engine.connect() as conn:
        assert conn.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one() > 0
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn, pytest.raises(DBAPIError, match="never deleted"):
            conn.execute(text(f'TRUNCATE "{table}" CASCADE'))
    assert "never deleted" in KEPT_MESSAGE
