"""A database made by an earlier workplan is refused with the way forward, then upgraded in place."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from tests.helpers import PLANS
from workplan.cli import cli
from workplan.errors import StoreError
from workplan.service import database_warnings
from workplan.store.db import make_engine, open_store
from workplan.store.migrate import bulk_foreign_keys
from workplan.store.tables import KEPT, T_META, T_NOTICE, T_TASK, metadata


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
    assert done.output.strip().endswith("已升级：3项改动")  # the upgraded plan is in Chinese
    engine = open_store(db_url)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(T_TASK)).scalar_one() == 1
        assert conn.execute(select(func.count()).select_from(T_NOTICE)).scalar_one() == 0
    engine.dispose()
    again = runner.invoke(cli, ["upgrade", "--db", db_url])
    assert again.output.strip() == "数据库已是最新版本"
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


def _with_foreign_keys(url: str) -> int:
    """Make the database look like one made before the bulk tables' references lost their
    foreign keys: the triggers that keep the rows gone, and (PostgreSQL) the keys back; return
    how many keys were made."""
    engine = make_engine(url)
    made = 0
    with engine.begin() as conn:
        postgresql = conn.dialect.name == "postgresql"
        for table in KEPT:
            on = f' ON "{table.name}"' if postgresql else ""
            conn.execute(text(f"DROP TRIGGER workplan_keep_{table.name}{on}"))
        if postgresql:
            conn.execute(text("DROP FUNCTION workplan_keep()"))
            for table in metadata.sorted_tables:
                for column in table.columns:
                    if "refers_to" in column.info:
                        conn.execute(
                            text(
                                f'ALTER TABLE "{table.name}" ADD FOREIGN KEY ("{column.name}") '
                                f'REFERENCES "{column.info["refers_to"]}" (id)'
                            )
                        )
                        made += 1
    engine.dispose()
    return made


def test_an_earlier_databases_foreign_keys_give_way_to_the_triggers(db_url: str) -> None:
    runner = CliRunner()
    loaded = runner.invoke(cli, ["load", str(PLANS / "example.yaml"), "--db", db_url])
    assert loaded.exit_code == 0, loaded.output
    made = _with_foreign_keys(db_url)
    engine = open_store(db_url)  # the same tables and columns: it opens, and works as before
    postgresql = engine.dialect.name == "postgresql"
    if postgresql:
        # the service says so at start, with the way forward
        (warning,) = [w for w in database_warnings(engine) if "foreign keys" in w]
        assert f"foreign keys on {made} columns" in warning
        assert "`workplan upgrade`" in warning
    engine.dispose()

    dry = runner.invoke(cli, ["upgrade", "--dry-run", "--db", db_url])
    assert dry.exit_code == 0, dry.output
    lines = dry.output.splitlines()
    triggers = [
        f"  trigger workplan_keep_{t.name} added (its rows are never deleted)" for t in KEPT
    ]
    assert [line for line in lines if line.startswith("  trigger")] == triggers
    dropped = [line for line in lines if "foreign key" in line]
    assert len(dropped) == made
    if postgresql:
        assert lines[0] == "  function workplan_keep added"
        assert (
            "  foreign key obligation.plan_id dropped (checked row by row; a trigger keeps its rows)"
            in dropped
        )

    done = runner.invoke(cli, ["upgrade", "--db", db_url])
    assert done.exit_code == 0, done.output
    again = runner.invoke(cli, ["upgrade", "--db", db_url])
    assert again.output.strip() == "数据库已是最新版本"
    engine = open_store(db_url)
    with engine.connect() as conn:
        assert bulk_foreign_keys(conn) == []
        assert not [w for w in database_warnings(engine) if "foreign keys" in w]
        # what the keys guarded, the triggers now refuse
        with pytest.raises(DBAPIError, match="workplan keeps every row"):
            conn.execute(text("DELETE FROM plan"))
        conn.rollback()
    engine.dispose()
    # and the plan loads and ticks as before
    loaded = runner.invoke(cli, ["load", str(PLANS / "banan-2023.yaml"), "--db", db_url])
    assert loaded.exit_code == 0, loaded.output
    ticked = runner.invoke(cli, ["tick", "--as-of", "2023-06-01", "--db", db_url])
    assert ticked.exit_code == 0, ticked.output
