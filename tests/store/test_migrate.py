"""A database made by an earlier workplan is refused with the way forward, then upgraded in place."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, text

from tests.conftest import PLANS
from workplan.cli import cli
from workplan.errors import StoreError
from workplan.store.db import make_engine, open_store
from workplan.store.tables import T_META, T_NOTICE, T_TASK


def _older(url: str) -> None:
    """Make the database look like an earlier version's: a table, a column, an index fewer."""
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP INDEX ix_notice_thread"))
        conn.execute(text("ALTER TABLE notice DROP COLUMN batch"))
        conn.execute(text("DROP TABLE evaluation"))
        conn.execute(T_META.update().where(T_META.c.key == "schema").values(value="1"))
    engine.dispose()


def test_an_earlier_database_is_refused_then_upgraded(db_url: str, tmp_path: Path) -> None:
    runner = CliRunner()
    loaded = runner.invoke(cli, ["load", str(PLANS / "example.yaml"), "--db", db_url])
    assert loaded.exit_code == 0, loaded.output
    _older(db_url)

    with pytest.raises(StoreError, match="run `workplan upgrade`"):
        open_store(db_url)
    refused = runner.invoke(cli, ["status", "--db", db_url])
    assert refused.exit_code == 1
    assert "another version of workplan (schema 1)" in refused.output
    assert "Traceback" not in refused.output

    dry = runner.invoke(cli, ["upgrade", "--dry-run", "--db", db_url])
    assert dry.exit_code == 0, dry.output
    assert sorted(dry.output.splitlines()) == [
        "  column notice.batch added",
        "  index ix_notice_thread added",
        "  table evaluation added",
        "3 change(s) would be made; nothing was changed",
    ]
    with pytest.raises(StoreError):
        open_store(db_url)  # a dry run changed nothing

    done = runner.invoke(cli, ["upgrade", "--db", db_url])
    assert done.exit_code == 0, done.output
    assert done.output.strip().endswith("upgraded: 3 change(s)")
    engine = open_store(db_url)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(T_TASK)).scalar_one() == 1
        assert conn.execute(select(func.count()).select_from(T_NOTICE)).scalar_one() == 0
    engine.dispose()
    again = runner.invoke(cli, ["upgrade", "--db", db_url])
    assert again.output.strip() == "the database is up to date"
    ticked = runner.invoke(cli, ["tick", "--as-of", "2023-04-26", "--db", db_url])
    assert ticked.exit_code == 0, ticked.output


def test_a_database_without_the_alert_table_gets_it_by_upgrade(db_url: str) -> None:
    runner = CliRunner()
    loaded = runner.invoke(cli, ["load", str(PLANS / "example.yaml"), "--db", db_url])
    assert loaded.exit_code == 0, loaded.output
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE channel_alert"))
        conn.execute(T_META.update().where(T_META.c.key == "schema").values(value="2"))
    engine.dispose()
    dry = runner.invoke(cli, ["upgrade", "--dry-run", "--db", db_url])
    assert dry.output.splitlines()[0] == "  table channel_alert added", dry.output
    done = runner.invoke(cli, ["upgrade", "--db", db_url])
    assert done.exit_code == 0, done.output
    engine = open_store(db_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM channel_alert")).scalar_one() == 0
    engine.dispose()


def test_a_database_before_ratio_metrics_is_upgraded(db_url: str) -> None:
    """The columns of ratio metrics and any_of checkpoints are added to an earlier database."""
    runner = CliRunner()
    loaded = runner.invoke(cli, ["load", str(PLANS / "example.yaml"), "--db", db_url])
    assert loaded.exit_code == 0, loaded.output
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE metric DROP COLUMN part"))
        conn.execute(text("ALTER TABLE metric DROP COLUMN part_of"))
        conn.execute(T_META.update().where(T_META.c.key == "schema").values(value="1"))
    engine.dispose()
    done = runner.invoke(cli, ["upgrade", "--db", db_url])
    assert done.exit_code == 0, done.output
    assert "column metric.part added" in done.output
    assert "column metric.part_of added" in done.output
    status = runner.invoke(cli, ["status", "--as-of", "2023-06-01", "--db", db_url])
    assert status.exit_code == 0, status.output
