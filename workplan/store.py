"""Tables, the engine and transactions: SQLite by default, any SQLAlchemy URL otherwise."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Index,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import OperationalError
from sqlalchemy.types import Date, TypeDecorator
from sqlmodel import Field, SQLModel

from workplan.errors import StoreError

SCHEMA_VERSION = "1"
DEFAULT_DB = "workplan.db"
ENV_URL = "WORKPLAN_DATABASE_URL"


class Day(TypeDecorator[date]):
    """A calendar day: DATE on PostgreSQL, ISO text on SQLite (parsed with fromisoformat)."""

    impl = Date
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(10))
        return dialect.type_descriptor(Date())

    def process_bind_param(self, value: date | None, dialect: Dialect) -> Any:
        if value is None or dialect.name != "sqlite":
            return value
        return value.isoformat()

    def process_result_value(self, value: Any, dialect: Dialect) -> date | None:
        if value is None or isinstance(value, date):
            return value
        return date.fromisoformat(value)


def utcnow() -> datetime:
    """Return the current instant in UTC (only the shell should call this)."""
    return datetime.now(UTC)


def day_column(*, nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_column=Column(Day(), nullable=nullable, index=index))


def text_column() -> Any:
    return Field(default="", sa_column=Column(Text, nullable=False))


class Meta(SQLModel, table=True):
    __tablename__ = "meta"
    key: str = Field(primary_key=True, max_length=64)
    value: str


class PlanRow(SQLModel, table=True):
    __tablename__ = "plan"
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64, unique=True)
    title: str
    year: int
    issued: date | None = day_column()
    timezone: str
    locale: str
    office: str
    settings: str = text_column()
    version: int = 1
    fingerprint: str = Field(max_length=64)
    loaded_at: datetime


class PlanVersion(SQLModel, table=True):
    __tablename__ = "plan_version"
    __table_args__ = (UniqueConstraint("plan_id", "version"),)
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    version: int
    fingerprint: str = Field(max_length=64)
    source_path: str
    source_text: str = text_column()
    changes: str = text_column()
    loaded_at: datetime


class DepartmentRow(SQLModel, table=True):
    __tablename__ = "department"
    __table_args__ = (UniqueConstraint("plan_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    name: str
    emails: str
    head_name: str | None = None
    head_email: str | None = None
    aliases: str = "[]"


class TaskRow(SQLModel, table=True):
    __tablename__ = "task"
    __table_args__ = (UniqueConstraint("plan_id", "number"),)
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    number: int
    chapter: int
    chapter_title: str
    title: str
    text: str = text_column()
    lead: str
    co: str
    active: bool = True
    signed_off_at: datetime | None = None
    signed_off_by: str | None = None


class TaskOwner(SQLModel, table=True):
    """Which departments answer for a task (for filtering in SQL)."""

    __tablename__ = "task_owner"
    task_id: int = Field(foreign_key="task.id", primary_key=True)
    department: str = Field(primary_key=True)
    role: str = Field(max_length=8)


class RulesRow(SQLModel, table=True):
    """A resolved reminder and escalation policy, shared by every obligation that uses it."""

    __tablename__ = "rules"
    __table_args__ = (UniqueConstraint("plan_id", "fingerprint"),)
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    fingerprint: str = Field(max_length=64)
    body: str = text_column()


class MetricRow(SQLModel, table=True):
    __tablename__ = "metric"
    __table_args__ = (UniqueConstraint("task_id", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    task_id: int = Field(foreign_key="task.id")
    key: str
    title: str
    unit: str
    direction: str = Field(max_length=8)
    cumulative: bool
    baseline: float
    target: float | None = None
    target_by: date | None = day_column()
    pace_start: date | None = day_column()
    pace_until: date | None = day_column()
    pace_tolerance: float | None = None
    report: str | None = None
    owners: str | None = None
    rules_id: int = Field(foreign_key="rules.id")
    active: bool = True


class ObligationRow(SQLModel, table=True):
    """One dated obligation: a deliverable, one occurrence of a duty, or one checkpoint."""

    __tablename__ = "obligation"
    __table_args__ = (
        UniqueConstraint("task_id", "key"),
        # the open obligations, which is what a tick reads: a small part of a year's rows
        Index(
            "ix_obligation_open",
            "deadline",
            sqlite_where=text("done_on IS NULL"),
            postgresql_where=text("done_on IS NULL"),
        ),
        Index(
            "ix_obligation_done",
            "done_on",
            sqlite_where=text("done_on IS NOT NULL"),
            postgresql_where=text("done_on IS NOT NULL"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id")
    task_id: int = Field(foreign_key="task.id")
    key: str
    kind: str = Field(max_length=12)
    source: str
    title: str
    opens: date | None = day_column()
    due: date = day_column(nullable=False)
    deadline: date = day_column(nullable=False)
    metric_id: int | None = Field(default=None, foreign_key="metric.id")
    target: float | None = None
    owners: str | None = None
    rules_id: int = Field(foreign_key="rules.id")
    active: bool = True
    done_on: date | None = day_column()
    done_by: str | None = None
    done_note: str | None = None


class ProgressRow(SQLModel, table=True):
    """A report from a department: a metric's value, or a note against a task."""

    __tablename__ = "progress"
    __table_args__ = (Index("ix_progress_metric_asof", "metric_id", "as_of"),)
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    task_id: int = Field(foreign_key="task.id")
    metric_id: int | None = Field(default=None, foreign_key="metric.id")
    value: float | None = None
    as_of: date = day_column(nullable=False)
    department: str
    note: str | None = None
    recorded_at: datetime


class NoticeRow(SQLModel, table=True):
    """A notice owed to a department: the outbox that delivery reads.

    ``(plan_id, key)`` is unique: evaluating a day twice, or two schedulers at once, cannot
    owe the same notice twice.
    """

    __tablename__ = "notice"
    __table_args__ = (
        UniqueConstraint("key"),
        Index("ix_notice_status", "status", "next_attempt_at"),
        Index("ix_notice_thread", "subject", "department"),
        Index("ix_notice_message", "message_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id")
    key: str
    task_id: int = Field(foreign_key="task.id")
    obligation_id: int | None = Field(default=None, foreign_key="obligation.id")
    metric_id: int | None = Field(default=None, foreign_key="metric.id")
    subject: str = Field(max_length=24)
    department: str
    rule: str = Field(max_length=16)
    level: int
    level_name: str
    period: str = Field(max_length=24)
    due: date = day_column(nullable=False)
    stage: int
    roles: str
    facts: str = text_column()
    evaluated_on: date = day_column(nullable=False)
    created_at: datetime
    status: str = Field(default="pending", max_length=12)
    attempts: int = 0
    next_attempt_at: datetime | None = None
    claimed_by: str | None = None
    claim_expires: datetime | None = None
    sent_at: datetime | None = None
    message_id: str | None = None
    error: str | None = None
    possible_duplicate: bool = False
    closed_on: date | None = day_column()
    batch: str | None = Field(default=None, max_length=32)
    """The evaluation that inserted it, so that a tick can tell what it added."""


class MessageRow(SQLModel, table=True):
    """An e-mail as it was sent: the office's record of who was told what, and when."""

    __tablename__ = "message"
    id: int | None = Field(default=None, primary_key=True)
    message_id: str = Field(unique=True, max_length=200)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    department: str
    kind: str = Field(max_length=12)
    subject: str
    sender: str
    recipients: str
    text: str = text_column()
    composed_at: datetime


class EvaluationRow(SQLModel, table=True):
    """A day that was evaluated, so that a restarted service knows where to catch up from."""

    __tablename__ = "evaluation"
    __table_args__ = (UniqueConstraint("plan_id", "as_of"),)
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id")
    as_of: date = day_column(nullable=False)
    at: datetime
    added: int = 0


class EventRow(SQLModel, table=True):
    """The office's decisions: extensions granted and items signed off (销号)."""

    __tablename__ = "event"
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    task_id: int = Field(foreign_key="task.id")
    obligation_id: int | None = Field(default=None, foreign_key="obligation.id")
    kind: str = Field(max_length=12)
    by: str
    detail: str = text_column()
    at: datetime


# The tables, for Core queries (SQLModel classes type their columns as values, not columns).
T_PLAN = PlanRow.__table__  # type: ignore[attr-defined]
T_VERSION = PlanVersion.__table__  # type: ignore[attr-defined]
T_DEPT = DepartmentRow.__table__  # type: ignore[attr-defined]
T_TASK = TaskRow.__table__  # type: ignore[attr-defined]
T_OWNER = TaskOwner.__table__  # type: ignore[attr-defined]
T_RULES = RulesRow.__table__  # type: ignore[attr-defined]
T_METRIC = MetricRow.__table__  # type: ignore[attr-defined]
T_OBL = ObligationRow.__table__  # type: ignore[attr-defined]
T_PROGRESS = ProgressRow.__table__  # type: ignore[attr-defined]
T_NOTICE = NoticeRow.__table__  # type: ignore[attr-defined]
T_EVAL = EvaluationRow.__table__  # type: ignore[attr-defined]
T_MESSAGE = MessageRow.__table__  # type: ignore[attr-defined]
T_EVENT = EventRow.__table__  # type: ignore[attr-defined]
T_META = Meta.__table__  # type: ignore[attr-defined]

_SCHEMA = select(T_META.c.value).where(T_META.c.key == "schema")


def dumps(value: Any) -> str:
    """Serialise to JSON keeping Chinese text readable in the database."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


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


def make_engine(url: str) -> Engine:
    """Create an engine; on SQLite set WAL, full sync, foreign keys and immediate transactions."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 10})
        _sqlite_setup(engine)
    else:
        engine = create_engine(url, pool_pre_ping=True)
    return engine


def open_store(url: str, *, create: bool = False) -> Engine:
    """Open the database at ``url``; create the tables when asked, check the schema otherwise."""
    if url.startswith("sqlite:///") and not create:
        path = Path(url.removeprefix("sqlite:///"))
        if str(path) != ":memory:" and not path.exists():
            raise StoreError(
                f"no database at {path}: load a plan first (workplan load PLAN.yaml --db {path})"
            )
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            if create:
                SQLModel.metadata.create_all(conn)
                if conn.execute(_SCHEMA).scalar() is None:
                    conn.execute(T_META.insert().values(key="schema", value=SCHEMA_VERSION))
            elif not inspect(conn).has_table("meta"):
                raise StoreError("the database has no workplan tables: load a plan first")
            found = conn.execute(_SCHEMA).scalar()
            if found != SCHEMA_VERSION:
                raise StoreError(
                    f"the database has schema version {found}, this workplan expects "
                    f"{SCHEMA_VERSION}"
                )
    except OperationalError as exc:
        engine.dispose()
        raise StoreError(f"cannot open the database {engine.url!r}: {exc.orig}") from None
    return engine


def bulk_insert(
    conn: Connection,
    table: Any,
    columns: list[str],
    rows: list[tuple[Any, ...]],
    *,
    skip_conflicts_on: str | None = None,
) -> None:
    """Insert many rows through the driver's executemany, skipping per-row SQLAlchemy work.

    For the big tables (obligations, notices) this is about twice as fast on SQLite; values
    are given in ``columns`` order, days as ``date`` (stored as ISO text on SQLite).
    """
    if not rows:
        return
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
    if processors:
        memo: dict[tuple[int, Any], Any] = {}
        converted = []
        for row in rows:
            values = list(row)
            for i, proc in processors:
                value = values[i]
                if value is None:
                    continue
                key = (i, value)
                found = memo.get(key)
                if found is None:
                    found = memo[key] = proc(value)
                values[i] = found
            converted.append(tuple(values))
        rows = converted
    conn.exec_driver_sql(sql, rows)


@contextmanager
def connected(db: str | None, *, create: bool = False) -> Iterator[Engine]:
    """Open the store named by --db (or the environment) and dispose of it afterwards."""
    engine = open_store(database_url(db), create=create)
    try:
        yield engine
    finally:
        engine.dispose()


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """Open a read-only transaction (no write lock on SQLite)."""
    with engine.connect() as conn:
        conn = conn.execution_options(readonly=True)
        with conn.begin():
            yield conn
