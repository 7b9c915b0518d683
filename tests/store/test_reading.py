"""Reading the store without a write lock, and on PostgreSQL without a transaction."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import Connection, Engine, func, select, update

from workplan.store.db import make_engine, read_only, reading
from workplan.store.tables import T_PLAN


def _in_a_transaction(conn: Connection) -> bool:
    """PostgreSQL: whether the statement runs in a transaction begun by an earlier one."""
    conn.exec_driver_sql("SELECT 1").all()
    return bool(conn.exec_driver_sql("SELECT now() < statement_timestamp()").scalar())


def _version(conn: Connection) -> int:
    return int(conn.execute(select(func.max(T_PLAN.c.facts_version))).scalar_one())


def test_a_read_sees_what_was_committed_and_takes_no_write_lock(example_engine: Engine) -> None:
    with example_engine.connect() as conn, read_only(conn):
        before = _version(conn)
        # another connection writes and commits while the read is open: it is not kept
        # waiting (SQLite: the read holds no write lock)
        with example_engine.begin() as writer:
            writer.execute(update(T_PLAN).values(facts_version=T_PLAN.c.facts_version + 1))
        seen = _version(conn)
    if example_engine.dialect.name == "postgresql":
        assert seen == before + 1  # each statement its own snapshot, as in READ COMMITTED
    else:
        assert seen == before  # one snapshot for the whole read


def test_postgresql_reads_outside_a_transaction_and_then_writes_in_one(
    example_engine: Engine,
) -> None:
    if example_engine.dialect.name != "postgresql":
        pytest.skip("SQLite reads in a deferred transaction")
    with example_engine.connect() as conn:
        with read_only(conn):
            assert not _in_a_transaction(conn)  # no BEGIN, no COMMIT: two round trips saved
        with reading(example_engine) as other:
            assert not _in_a_transaction(other)
        # the connection is as it was: the next transaction is one, and rolls back whole
        with conn.begin() as transaction:
            assert _in_a_transaction(conn)
            before = _version(conn)
            conn.execute(update(T_PLAN).values(facts_version=T_PLAN.c.facts_version + 1))
            transaction.rollback()
        with read_only(conn):
            assert _version(conn) == before


def test_sqlite_writes_after_a_read_take_the_write_lock_again(example_engine: Engine) -> None:
    if example_engine.dialect.name != "sqlite":
        pytest.skip("the write lock of BEGIN IMMEDIATE is SQLite's")
    other = sqlite3.connect(str(example_engine.url.database), timeout=0, isolation_level=None)
    with example_engine.connect() as conn:
        with read_only(conn):
            _version(conn)
            other.execute("BEGIN IMMEDIATE")  # a read leaves the write lock free
            other.execute("ROLLBACK")
        with conn.begin():
            _version(conn)  # as before the read: BEGIN IMMEDIATE, the lock held to the end
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
    other.close()


def test_postgresql_reads_in_a_transaction_where_sessions_default_to_a_stricter_level(
    db_url: str,
) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("isolation levels are PostgreSQL's")
    # the fixture's URL ends in its options (the schema); this adds one more
    engine = make_engine(db_url + "%20-cdefault_transaction_isolation%3Dserializable")
    with engine.connect() as conn:
        assert conn.default_isolation_level == "SERIALIZABLE"
        with read_only(conn):
            assert _in_a_transaction(conn)  # one snapshot, as the server's level promises
    engine.dispose()
