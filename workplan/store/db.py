"""The engine and transactions: SQLite by default, any SQLAlchemy URL otherwise."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    create_engine,
    event,
    insert,
    inspect,
    make_url,
)
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from workplan.errors import StoreError
from workplan.i18n import L_, Text
from workplan.store.migrate import SCHEMA, schema_fingerprint, upgrade
from workplan.store.tables import metadata

DEFAULT_DB = "workplan.db"
ENV_URL = "WORKPLAN_DATABASE_URL"


_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True, default=str)


def dumps(value: Any) -> str:
    """Serialise to JSON keeping Chinese text readable in the database (one encoder for all:
    ``json.dumps`` with options builds a new one each call, half the time of a small dict)."""
    return _ENCODER.encode(value)


def database_url(db: str | None) -> str:
    """Return the SQLAlchemy URL from --db, WORKPLAN_DATABASE_URL or the default file."""
    value = db or os.environ.get(ENV_URL) or DEFAULT_DB
    if "://" in value:
        return value
    return f"sqlite:///{Path(value).expanduser()}"


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        # let SQLAlchemy, not the driver, decide when a transaction begins
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        mode = cursor.execute("PRAGMA journal_mode=WAL").fetchone()
        if mode and str(mode[0]).lower() not in ("wal", "memory"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        # a national database is hundreds of MB: a 64 MiB page cache (the default is 2 MB)
        # keeps index pages in memory while loading and evaluating
        cursor.execute("PRAGMA cache_size=-65536")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        # BEGIN IMMEDIATE takes the write lock up front: no "database is locked" half-way
        readonly = conn.get_execution_options().get("readonly", False)
        conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")


def _private_file(url: str) -> None:
    """Create a new SQLite file owner-only (0600): it holds names, addresses and letters.

    SQLite gives its -wal and -shm files the database file's mode.  An existing file keeps
    the mode its operator gave it.
    """
    database = make_url(url).database or ""
    if not database or ":memory:" in database or database.startswith("file:"):
        return
    try:
        os.close(os.open(Path(database).expanduser(), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        return
    except OSError:
        return  # a folder that does not exist: SQLite's own error says so


def make_engine(url: str, *, connections: int | None = None) -> Engine:
    """Create an engine; on SQLite set WAL, full sync, foreign keys and immediate transactions.

    ``connections``: how many connections the engine keeps open for threads that use it at
    once (the web pages' threads); SQLAlchemy's default keeps 5 and opens and closes more
    as they are needed, a new connection (on SQLite a cold page cache) for each request
    beyond the fifth."""
    pool: dict[str, Any] = {"pool_size": connections} if connections else {}
    try:
        if url.startswith("sqlite"):
            _private_file(url)
            engine = create_engine(url, connect_args={"timeout": 10}, **pool)
            _sqlite_setup(engine)
        else:
            engine = create_engine(url, pool_pre_ping=True, **pool)
            if engine.dialect.name == "postgresql":
                _postgresql_setup(engine)
    except ArgumentError as exc:
        raise StoreError(
            L_("'{url}' is not a database URL ({reason})", url=_shown(url), reason=str(exc))
        ) from None
    except (NoSuchModuleError, ImportError) as exc:
        hint = " (pip install 'workplan[postgres]')" if url.startswith("postgres") else ""
        raise StoreError(
            L_(
                "cannot use {url}: its driver is not installed{hint} ({reason})",
                url=_shown(url),
                hint=hint,
                reason=str(exc),
            )
        ) from None
    return engine


def _postgresql_setup(engine: Engine) -> None:
    """Turn off PostgreSQL's JIT compilation for workplan's sessions.

    workplan's queries are many and short; the evaluation's obligation query is estimated
    costly enough (a report lookup per row) to be compiled, and compiling it took 90 ms of the
    180 ms it ran for at 175 counties, every time.
    """

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        autocommit = dbapi_connection.autocommit
        dbapi_connection.autocommit = True
        try:
            dbapi_connection.execute("SET jit = off")
        finally:
            dbapi_connection.autocommit = autocommit


def _shown(url: str) -> str:
    """Return a database as a message names it: a file's path, or the URL without password."""
    if url.startswith("sqlite:///"):
        return url.removeprefix("sqlite:///")
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def _failure(url: str, exc: DBAPIError) -> StoreError:
    """Say in one line why a database could not be opened."""
    reason = " ".join(str(exc.orig).split())
    shown = _shown(url)
    if url.startswith("sqlite") and "not a database" in reason:
        return StoreError(
            L_("{db} is not a database (SQLite cannot read it: {reason})", db=shown, reason=reason)
        )
    if url.startswith("sqlite"):
        return StoreError(L_("cannot open the database {db}: {reason}", db=shown, reason=reason))
    return StoreError(L_("cannot reach the database {db}: {reason}", db=shown, reason=reason))


def _foreign(url: str, tables: list[str], then: Text) -> StoreError:
    """Refuse another program's database, naming a few of its tables."""
    return StoreError(
        L_(
            "{db} is another program's database (tables: {tables}{more}), not workplan's: {then}",
            db=_shown(url),
            tables=sorted(tables)[:5],
            more=" …" if len(tables) > 5 else "",
            then=then,
        )
    )


def open_store(url: str, *, create: bool = False, connections: int | None = None) -> Engine:
    """Open the database at ``url``; create the tables when asked, check the schema otherwise.

    A database made by an earlier workplan is refused with the way forward (`workplan
    upgrade`), never used half-understood; a file that is not a database, another program's
    database and a server that cannot be reached are refused in one line each.
    """
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        if str(path) != ":memory:" and not path.exists() and not create:
            raise StoreError(
                L_(
                    "no database at {path}: load a plan first (workplan load PLAN.yaml --db {path})",
                    path=str(path),
                )
            )
        if path.is_dir():
            raise StoreError(
                L_("{path} is a folder, not a database: give a file with --db", path=str(path))
            )
    engine = make_engine(url, connections=connections)
    try:
        with engine.begin() as conn:
            tables = inspect(conn).get_table_names()
            ours = "meta" in tables and "plan" in tables
            if tables and not ours:
                raise _foreign(url, tables, L_("give workplan a database of its own with --db"))
            if not tables and create:
                metadata.create_all(conn)
                upgrade(conn)  # records the schema's fingerprint
            elif not tables:
                raise StoreError(L_("the database has no workplan tables: load a plan first"))
            found = conn.execute(SCHEMA).scalar()
            if found != schema_fingerprint():
                raise StoreError(
                    L_(
                        "the database was made by another version of workplan (schema {found}); "
                        "back it up, then run `workplan upgrade` to add what this version needs",
                        found=found,
                    )
                )
    except DBAPIError as exc:
        engine.dispose()
        raise _failure(url, exc) from None
    except StoreError:
        engine.dispose()
        raise
    return engine


def bulk_insert(
    conn: Connection,
    table: Any,
    columns: list[str],
    rows: list[tuple[Any, ...]],
    *,
    skip_conflicts_on: str | None = None,
    returning: str | None = None,
    bound: bool = False,
) -> list[Any]:
    """Insert many rows through the driver's executemany, skipping per-row SQLAlchemy work.

    For the big tables (obligations, notices) this is about twice as fast on SQLite; on
    PostgreSQL rows without a conflict to skip go in by COPY.  Values are given in
    ``columns`` order, days as ``date`` (stored as ISO text on SQLite), or, with ``bound``,
    already as the driver takes them (:func:`binder`).

    ``returning`` (PostgreSQL only: SQLite's executemany returns no rows) names a column whose
    values this call inserted are returned: with ``skip_conflicts_on``, the rows that were new.
    """
    if not rows:
        return []
    if returning and conn.dialect.name != "postgresql":
        raise ValueError("bulk_insert(returning=...) needs PostgreSQL")
    quote = conn.dialect.identifier_preparer.quote
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sql = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) "
        f"VALUES ({', '.join([mark] * len(columns))})"
    )
    if skip_conflicts_on:
        sql += f" ON CONFLICT ({quote(skip_conflicts_on)}) DO NOTHING"
    # apply each column's own bind processing (days as ISO text on SQLite, aware datetimes as
    # SQLAlchemy stores them), once per distinct value: most values repeat across rows
    processors = [
        (i, proc)
        for i, c in enumerate(columns)
        if (proc := table.c[c].type._cached_bind_processor(conn.dialect)) is not None
    ]
    if processors and not bound:
        # column by column: each distinct value is processed once, and the rows are taken
        # apart and put together again by zip (in C), not value by value in Python
        columns_of: list[Any] = list(zip(*rows, strict=True))
        for i, proc in processors:
            memo = {value: proc(value) for value in set(columns_of[i]) if value is not None}
            memo[None] = None
            columns_of[i] = [memo[value] for value in columns_of[i]]
        rows = list(zip(*columns_of, strict=True))
    if returning:
        tail = sql[sql.index(" ON CONFLICT") :] if skip_conflicts_on else ""
        return _returning(conn, table, columns, rows, f"{tail} RETURNING {quote(returning)}")
    if conn.dialect.name == "postgresql" and not skip_conflicts_on:
        _copy(conn, table, columns, rows)
        return []
    conn.exec_driver_sql(sql, rows)
    return []


def binder(conn: Connection, column: Any) -> Any:
    """Return what turns a value of ``column`` into what the driver takes (a day into ISO
    text on SQLite …), for rows given to :func:`bulk_insert` already bound."""
    process = column.type._cached_bind_processor(conn.dialect)
    return process if process is not None else _same


def _same(value: Any) -> Any:
    return value


def insert_rows(
    conn: Connection, table: Any, rows: list[dict[str, Any]], returning: tuple[str, ...] = ()
) -> list[tuple[Any, ...]]:
    """Insert a few rows (a plan's tasks, its departments …) in one statement and return the
    ``returning`` columns of each.

    On PostgreSQL the rows travel as one JSON text, unpacked by ``jsonb_to_recordset`` into the
    table's own types: one round trip, where a COPY takes several and psycopg's executemany
    sends a statement per row.  On SQLite, SQLAlchemy's multi-row INSERT.
    """
    if not rows:
        return []
    columns = list(rows[0])
    if conn.dialect.name != "postgresql":
        statement = insert(table)
        if returning:
            result = conn.execute(statement.returning(*(table.c[c] for c in returning)), rows)
            return [tuple(r) for r in result]
        conn.execute(statement, rows)
        return []
    # the columns' defaults, which SQLAlchemy would have filled in
    defaults = {
        c.name: c.default.arg
        for c in table.columns
        if c.name not in rows[0] and c.default is not None and c.default.is_scalar
    }
    if defaults:
        rows = [{**defaults, **row} for row in rows]
        columns = list(rows[0])
    quote = conn.dialect.identifier_preparer.quote
    names = ", ".join(quote(c) for c in columns)
    types = ", ".join(
        f"{quote(c)} {table.c[c].type.compile(dialect=conn.dialect)}" for c in columns
    )
    sql = (
        f"INSERT INTO {quote(table.name)} ({names}) SELECT {names} "
        f"FROM jsonb_to_recordset(CAST(%(rows)s AS jsonb)) AS r({types})"
    )
    if returning:
        sql += " RETURNING " + ", ".join(quote(c) for c in returning)
    with _driver_cursor(conn, sql) as cursor:
        cursor.execute(sql, {"rows": dumps(rows)})
        return [tuple(r) for r in cursor.fetchall()] if returning else []


def take_ids(conn: Connection, table: Any, count: int) -> list[int]:
    """Take ``count`` ids for new rows of ``table``.

    PostgreSQL: from the sequence of its id column, in one statement read straight from the
    driver (8,000 ids: 5 ms, where SQLAlchemy's rows took four times that).  SQLite: the ids
    after the largest, as SQLite gives them; the caller holds the write lock (``BEGIN
    IMMEDIATE``) until it has inserted them.
    """
    if conn.dialect.name != "postgresql":
        last = conn.exec_driver_sql(f"SELECT max(id) FROM {table.name}").scalar() or 0
        return list(range(last + 1, last + 1 + count))
    sql = "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)"
    with _driver_cursor(conn, sql) as cursor:
        cursor.execute(sql, (table.name, count))
        return [row[0] for row in cursor.fetchall()]


@contextmanager
def _driver_cursor(conn: Connection, sql: str) -> Iterator[Any]:
    """A cursor of the driver's own connection (psycopg 3 here), inside the same transaction;
    the driver's errors are raised as SQLAlchemy's, as through ``conn.execute``."""
    driver: Any = conn.connection.dbapi_connection
    cursor = driver.cursor()
    error = conn.dialect.loaded_dbapi.Error
    try:
        yield cursor
    except error as exc:
        raise DBAPIError.instance(sql, None, exc, error) from exc
    finally:
        cursor.close()


def _returning(
    conn: Connection, table: Any, columns: list[str], rows: list[tuple[Any, ...]], tail: str
) -> list[Any]:
    """INSERT many rows and return what ``tail`` (ON CONFLICT … RETURNING …) returns.

    The rows go by COPY into a temporary table of the session (made once, emptied at each
    commit), then into the table by one ``INSERT … SELECT``: psycopg writes COPY rows in C,
    where one array parameter per column costs a Python call per value.
    """
    quote = conn.dialect.identifier_preparer.quote
    names = ", ".join(quote(c) for c in columns)
    stage = quote(f"wp_stage_{table.name}")
    with _driver_cursor(conn, "CREATE TEMPORARY TABLE") as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {stage} ON COMMIT DELETE ROWS AS "
            f"SELECT {names} FROM {quote(table.name)} WITH NO DATA"
        )
        cursor.execute(f"TRUNCATE {stage}")
    _copy_into(conn, stage, names, _copy_types(conn, table, columns), rows)
    sql = f"INSERT INTO {quote(table.name)} ({names}) SELECT {names} FROM {stage} {tail}"
    with _driver_cursor(conn, sql) as cursor:
        cursor.execute(sql)
        return [r[0] for r in cursor.fetchall()]


def _copy(conn: Connection, table: Any, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    """Insert by COPY (psycopg 3), several times faster than an executemany on PostgreSQL."""
    quote = conn.dialect.identifier_preparer.quote
    names = ", ".join(quote(c) for c in columns)
    _copy_into(conn, quote(table.name), names, _copy_types(conn, table, columns), rows)


def _copy_types(conn: Connection, table: Any, columns: list[str]) -> list[str]:
    """The PostgreSQL type of each column, as psycopg names it for a binary COPY."""
    names = []
    for column in columns:
        declared = table.c[column].type.compile(dialect=conn.dialect).split("(")[0].lower()
        names.append({"float": "float8"}.get(declared, declared))
    return names


def _copy_into(
    conn: Connection, name: str, columns: str, types: list[str], rows: list[tuple[Any, ...]]
) -> None:
    """COPY in PostgreSQL's binary format: no value is written out as text and parsed back."""
    sql = f"COPY {name} ({columns}) FROM STDIN (FORMAT BINARY)"
    with _driver_cursor(conn, sql) as cursor, cursor.copy(sql) as copy:
        copy.set_types(types)
        for row in rows:
            copy.write_row(row)


@contextmanager
def connected(db: str | None, *, create: bool = False) -> Iterator[Engine]:
    """Open the store named by --db (or the environment) and dispose of it afterwards."""
    engine = open_store(database_url(db), create=create)
    try:
        yield engine
    finally:
        engine.dispose()


@contextmanager
def marking(engine: Engine) -> Iterator[Connection]:
    """A short write transaction whose commit does not wait for the disk: for a mark that a
    crash of this process never loses, only a power cut (or an operating-system crash)
    before the next ordinary commit, which makes it durable too.

    A message's hand-over mark is one a message (the reaper's evidence that it may have gone
    out): with a full sync each cost a disk flush, 13 ms here, more than sending the message.
    SQLite in WAL mode: ``synchronous = NORMAL`` for this transaction (set between
    transactions, as SQLite requires); PostgreSQL: ``synchronous_commit = off`` for it.
    """
    with engine.connect() as conn:
        if conn.dialect.name != "sqlite":
            with conn.begin():
                conn.exec_driver_sql("SET LOCAL synchronous_commit = off")
                yield conn
            return
        raw = conn.connection.dbapi_connection
        assert raw is not None
        raw.execute("PRAGMA synchronous=NORMAL")
        try:
            with conn.begin():
                yield conn
        finally:
            raw.execute("PRAGMA synchronous=FULL")


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """Read from the store on a connection of its own, taking no write lock (see
    :func:`read_only`)."""
    with engine.connect() as conn, read_only(conn) as reader:
        yield reader


@contextmanager
def read_only(conn: Connection) -> Iterator[Connection]:
    """Read through ``conn`` (not in a transaction) without taking a write lock; afterwards
    ``conn`` is as it was.

    SQLite: a deferred transaction, so every statement reads the same snapshot.  PostgreSQL:
    no transaction at all (autocommit).  Under READ COMMITTED, PostgreSQL's default level,
    each statement of a transaction reads a snapshot of its own anyway, so reading outside one
    sees exactly the same rows; it saves the round trips of BEGIN and COMMIT, which cost more
    than a short query does (a repeated tick's read of the change markers).  A server whose
    sessions default to a stricter level reads in a transaction of that level, as before.
    """
    level = conn.default_isolation_level
    reading: dict[str, Any]
    after: dict[str, Any]
    if conn.dialect.name == "postgresql" and level == "READ COMMITTED":
        reading, after = {"isolation_level": "AUTOCOMMIT"}, {"isolation_level": level}
    else:
        reading, after = {"readonly": True}, {"readonly": False}
    conn.execution_options(**reading)
    try:
        with conn.begin():
            yield conn
    finally:
        conn.execution_options(**after)


def upgrade_store(db: str | None, *, dry_run: bool = False) -> list[str]:
    """Add what this version's tables need to an earlier workplan's database; return what
    was (or, on a dry run, would be) added."""
    from workplan.store.migrate import plan_upgrade

    url = database_url(db)
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        if not path.exists():
            raise StoreError(L_("no database at {path}", path=str(path)))
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            tables = inspect(conn).get_table_names()
            if "meta" not in tables or "plan" not in tables:
                if tables:
                    raise _foreign(url, tables, L_("nothing to upgrade"))
                raise StoreError(L_("the database has no workplan tables: nothing to upgrade"))
            if dry_run:
                return [str(step) for step, _ in plan_upgrade(conn)]
            return [str(step) for step in upgrade(conn)]
    except DBAPIError as exc:
        raise _failure(url, exc) from None
    finally:
        engine.dispose()
