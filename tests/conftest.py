"""Fixtures shared by the suite: one database fixture over SQLite and, when configured, PostgreSQL.

Set WORKPLAN_TEST_POSTGRES_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test) to run
every store test on PostgreSQL too; each test gets a schema of its own, dropped afterwards.

Helpers that are not fixtures are in tests/helpers.py (PLANS and banan_live_from can still be
imported from here, as tests written before it did).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from tests.helpers import PLANS, POSTGRES
from tests.helpers import banan_live_from as banan_live_from
from tests.smtp import SmtpServer

BACKENDS = ["sqlite", *(["postgresql"] if POSTGRES else [])]


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database URL on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'workplan.db'}"
        return
    assert POSTGRES is not None
    schema = f"wp_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in POSTGRES else "?"
    try:
        yield f"{POSTGRES}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(autouse=True)
def _forget_the_language() -> Iterator[None]:
    """Each test starts speaking as a new process does: reading a plan makes the process speak
    the plan's language, which a later test in the same worker must not hear."""
    yield
    from workplan import i18n

    i18n.reset()


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1, programmable per test."""
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses a database, so CI can run just those on PostgreSQL."""
    for item in items:
        if "db_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.db)


@pytest.fixture
def example_engine(db_url: str) -> Iterator[Engine]:
    """A store on each backend with the example plan loaded (on 21 April 2023)."""
    from workplan.plan.validate import read_plan
    from workplan.store.db import open_store
    from workplan.store.load import load

    engine = open_store(db_url, create=True)
    loaded = read_plan(PLANS / "example.yaml")
    with engine.begin() as conn:
        now = datetime(2023, 4, 21, 1, 0, tzinfo=UTC)
        load(conn, loaded.compiled, source_path="example.yaml", source_text=loaded.text, now=now)
    yield engine
    engine.dispose()
