"""Bring a database made by an earlier workplan up to this version's tables.

The schema only grows: new tables, new columns (nullable, or with a default for the rows
already there) and new indexes.  ``upgrade`` compares the database with the tables this
version declares and adds what is missing, in one transaction; the schema's fingerprint in
the ``meta`` table then says the database is current.  No table, column or row is ever
dropped or rewritten.

One thing is replaced: on PostgreSQL, an earlier version's foreign keys from the tables
written in bulk to the rows they refer to (which PostgreSQL checks by a trigger per row
inserted) give way to the triggers that refuse to delete those rows, as a new database has
(:func:`workplan.store.tables._ref`).  SQLite checks a foreign key in the process, cheaply,
and cannot drop one without rebuilding its table: there the keys stay, and the triggers are
added beside them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Column, Connection, Index, Table, inspect, literal, select, text
from sqlalchemy.engine import Inspector
from sqlalchemy.schema import DDL, CreateIndex

from workplan.store.tables import KEEP_FUNCTION, KEPT, T_META, keep_trigger, metadata


@lru_cache(maxsize=1)
def schema_fingerprint() -> str:
    """Return a digest of the tables, columns and indexes this version declares."""
    parts = []
    for table in sorted(metadata.tables.values(), key=lambda t: t.name):
        for column in table.columns:
            parts.append(f"{table.name}.{column.name}:{type(column.type).__name__}")
        for index in sorted(table.indexes, key=lambda i: str(i.name)):
            parts.append(f"{table.name}#{index.name}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


SCHEMA = select(T_META.c.value).where(T_META.c.key == "schema")


@dataclass(frozen=True)
class Step:
    """One addition an upgrade makes."""

    what: str

    def __str__(self) -> str:
        return self.what


def _default_sql(column: Column[Any], conn: Connection) -> str | None:
    default = column.default
    if default is None or not getattr(default, "is_scalar", False):
        return None
    value = default.arg  # type: ignore[attr-defined]
    compiled = literal(value, type_=column.type).compile(
        dialect=conn.dialect, compile_kwargs={"literal_binds": True}
    )
    return str(compiled)


def _add_column(conn: Connection, table: Table, column: Column[Any]) -> str:
    quote = conn.dialect.identifier_preparer.quote
    kind = column.type.compile(dialect=conn.dialect)
    sql = f"ALTER TABLE {quote(table.name)} ADD COLUMN {quote(column.name)} {kind}"
    default = _default_sql(column, conn)
    if default is not None:
        sql += f" DEFAULT {default}"
    if not column.nullable and default is not None:
        sql += " NOT NULL"
    return sql


def plan_upgrade(conn: Connection) -> list[tuple[Step, Any]]:
    """Return what an upgrade would add, each with the statement or object that adds it."""
    inspector = inspect(conn)
    present = set(inspector.get_table_names())
    steps: list[tuple[Step, Any]] = []
    for table in metadata.sorted_tables:
        if table.name not in present:
            steps.append((Step(f"table {table.name} added"), table))
            continue
        columns = {c["name"] for c in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name in columns:
                continue
            if not column.nullable and _default_sql(column, conn) is None:
                raise RuntimeError(
                    f"column {table.name}.{column.name} is NOT NULL without a default: "
                    "an upgrade cannot add it to existing rows"
                )
            steps.append(
                (Step(f"column {table.name}.{column.name} added"), _add_column(conn, table, column))
            )
        indexes = {i["name"] for i in inspector.get_indexes(table.name)}
        for index in table.indexes:
            if index.name not in indexes:
                steps.append((Step(f"index {index.name} added"), index))
    return steps + _keeping(conn, inspector, present)


def _triggers(conn: Connection) -> set[str]:
    if conn.dialect.name == "postgresql":
        query = (
            "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE NOT t.tgisinternal AND c.relnamespace = CAST(current_schema() AS regnamespace)"
        )
    else:
        query = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
    return set(conn.execute(text(query)).scalars())


@dataclass(frozen=True)
class ForeignKey:
    """A foreign key an earlier workplan made from a table written in bulk."""

    table: str
    columns: tuple[str, ...]
    name: str

    def __str__(self) -> str:
        return f"{self.table}.{','.join(self.columns)}"


def bulk_foreign_keys(conn: Connection, inspector: Inspector | None = None) -> list[ForeignKey]:
    """Return the foreign keys an earlier workplan made from the tables written in bulk to the
    rows they refer to (PostgreSQL only: an upgrade drops them there)."""
    if conn.dialect.name != "postgresql":
        return []
    inspector = inspector or inspect(conn)
    present = set(inspector.get_table_names())
    found = []
    for table in metadata.sorted_tables:
        if table.name not in present:
            continue
        references = {c.name for c in table.columns if "refers_to" in c.info}
        for key in inspector.get_foreign_keys(table.name):
            columns = tuple(key["constrained_columns"])
            if key["name"] and columns and set(columns) <= references:
                found.append(ForeignKey(table.name, columns, key["name"]))
    return found


def _keeping(conn: Connection, inspector: Inspector, present: set[str]) -> list[tuple[Step, Any]]:
    """The triggers that keep the rows the bulk tables refer to, where missing (a table
    created by this upgrade gets its own), then the foreign keys they replace dropped."""
    steps: list[tuple[Step, Any]] = []
    triggers = _triggers(conn)
    missing = [
        t.name for t in KEPT if t.name in present and f"workplan_keep_{t.name}" not in triggers
    ]
    if missing and conn.dialect.name == "postgresql":
        function = DDL(KEEP_FUNCTION)  # type: ignore[no-untyped-call]
        steps.append((Step("function workplan_keep added"), function))
    for name in missing:
        statement = keep_trigger(name, conn.dialect.name)
        steps.append(
            (Step(f"trigger workplan_keep_{name} added (its rows are never deleted)"), statement)
        )
    quote = conn.dialect.identifier_preparer.quote
    for key in bulk_foreign_keys(conn, inspector):
        steps.append(
            (
                Step(f"foreign key {key} dropped (checked row by row; a trigger keeps its rows)"),
                f"ALTER TABLE {quote(key.table)} DROP CONSTRAINT {quote(key.name)}",
            )
        )
    return steps


def upgrade(conn: Connection) -> list[Step]:
    """Add every missing table, column and index (in the caller's transaction); return them."""
    steps = plan_upgrade(conn)
    for _step, action in steps:
        if isinstance(action, Table):
            action.create(conn)
        elif isinstance(action, Index):
            conn.execute(CreateIndex(action))
        elif isinstance(action, DDL):
            conn.execute(action)
        else:
            conn.exec_driver_sql(action)
    current = schema_fingerprint()
    if conn.execute(SCHEMA).scalar() is None:
        conn.execute(T_META.insert().values(key="schema", value=current))
    else:
        conn.execute(T_META.update().where(T_META.c.key == "schema").values(value=current))
    return [step for step, _ in steps]
