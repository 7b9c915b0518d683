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
        Index("ix_obligation_plan_deadline", "plan_id", "deadline"),
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
                found = conn.execute(select(Meta.value).where(Meta.key == "schema")).scalar()
                if found is None:
                    conn.execute(Meta.__table__.insert().values(key="schema", value=SCHEMA_VERSION))  # type: ignore[attr-defined]
            elif not inspect(conn).has_table("meta"):
                raise StoreError("the database has no workplan tables: load a plan first")
            found = conn.execute(select(Meta.value).where(Meta.key == "schema")).scalar()
            if found != SCHEMA_VERSION:
                raise StoreError(
                    f"the database has schema version {found}, this workplan expects "
                    f"{SCHEMA_VERSION}"
                )
    except OperationalError as exc:
        engine.dispose()
        raise StoreError(f"cannot open the database {engine.url!r}: {exc.orig}") from None
    return engine


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """Open a read-only transaction (no write lock on SQLite)."""
    with engine.connect() as conn:
        conn = conn.execution_options(readonly=True)
        with conn.begin():
            yield conn
