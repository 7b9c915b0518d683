"""Loading plans into the store: all or nothing, idempotent, amendments that keep progress."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import DBAPIError

from tests.helpers import PLANS
from workplan.plan.validate import read_plan
from workplan.store import records
from workplan.store.db import open_store
from workplan.store.load import LoadResult, load
from workplan.store.tables import T_OBL, T_PLAN, T_PROGRESS, T_TASK, T_VERSION

NOW = datetime(2023, 5, 9, 1, 0, tzinfo=UTC)
EXAMPLE = (PLANS / "example.yaml").read_text(encoding="utf-8")


def _load(engine: Engine, path: Path, *, dry_run: bool = False) -> LoadResult:
    loaded = read_plan(path)
    with engine.begin() as conn:
        return load(
            conn,
            loaded.compiled,
            source_path=str(path),
            source_text=loaded.text,
            now=NOW,
            dry_run=dry_run,
        )


def _count(engine: Engine, table: Any, *where: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one())


def _write(tmp_path: Path, text_: str, name: str = "plan.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text_, encoding="utf-8")
    return path


@pytest.fixture
def engine(db_url: str) -> Engine:
    engine = open_store(db_url, create=True)
    yield engine
    engine.dispose()


def test_load_creates_every_row(engine: Engine, tmp_path: Path) -> None:
    result = _load(engine, PLANS / "example.yaml")
    assert result.created and result.version == 1
    assert (result.tasks, result.obligations, result.departments) == (1, 17, 2)
    assert _count(engine, T_OBL) == 17
    assert _count(engine, T_VERSION) == 1


def test_loading_the_same_file_again_changes_nothing(engine: Engine, tmp_path: Path) -> None:
    _load(engine, PLANS / "example.yaml")
    # a comment or a re-indented line is not a change of content either
    again = _load(engine, _write(tmp_path, "# reviewed by the office\n" + EXAMPLE))
    assert again.unchanged and again.version == 1
    assert _count(engine, T_VERSION) == 1


def test_dry_run_writes_nothing(engine: Engine, tmp_path: Path) -> None:
    result = _load(engine, PLANS / "example.yaml", dry_run=True)
    assert result.created
    assert _count(engine, T_OBL) == 0
    _load(engine, PLANS / "example.yaml")
    amended = _write(
        tmp_path, EXAMPLE.replace("{by: 2023-06-30, value: 50}", "{by: 2023-07-15, value: 50}")
    )
    preview = _load(engine, amended, dry_run=True)
    assert [str(c) for c in preview.changes] == [
        "date moved （一） central-disbursement#2: 2023-06-30 → 2023-07-15"
    ]
    with engine.connect() as conn:
        due = conn.execute(
            select(T_OBL.c.due).where(T_OBL.c.key == "central-disbursement#2")
        ).scalar_one()
    assert due == date(2023, 6, 30)


def test_new_names_and_settings_are_said(engine: Engine, tmp_path: Path) -> None:
    _load(engine, PLANS / "example.yaml")
    named = EXAMPLE.replace("title: 专班调度\n", "title: 专班调度\n            aliases: [月调度]\n")
    named = named.replace(
        "title: 中央衔接资金支出进度\n",
        "title: 中央衔接资金支出进度\n            aliases: [中央资金支出, 中央资金]\n",
    )
    result = _load(engine, _write(tmp_path, named))
    assert [str(c) for c in result.changes] == [
        "aliases changed （一） central-disbursement: 中央资金支出、中央资金",
        "aliases changed （一） dispatch: 月调度",
    ]
    with engine.connect() as conn:
        stored = conn.execute(select(T_OBL.c.aliases).where(T_OBL.c.key == "dispatch@2023-07"))
        assert stored.scalar_one() == '["月调度"]'
    later = _load(engine, _write(tmp_path, named + "grace: 10\n"))
    assert [str(c) for c in later.changes] == ["settings changed: closes_on"]


def test_amendment_keeps_progress_and_the_old_version(engine: Engine, tmp_path: Path) -> None:
    _load(engine, PLANS / "example.yaml")
    with engine.begin() as conn:
        records.record_progress(
            conn,
            plan_key=None,
            task_ref="1",
            metric_key=None,
            value=25.0,
            as_of=date(2023, 4, 20),
            department="区财政局",
            note=None,
            now=NOW,
        )
        records.mark_done(
            conn,
            plan_key=None,
            ref="1/dispatch",
            department="区乡村振兴局",
            on=date(2023, 1, 20),
            note=None,
        )
    amended_text = (
        EXAMPLE.replace("{by: 2023-06-30, value: 50}", "{by: 2023-07-15, value: 50}")
        .replace("            target: 100\n", "            target: 95\n")
        .replace(
            "            due: year-end\n",
            "            due: year-end\n          - id: project-library-2025\n"
            "            title: 完成2025年项目库建设\n            due: 2023-11-30\n",
        )
        + """      - number: 2
        title: 加强日常监管
        text: 每月通报项目建设进展情况。
        lead: 区乡村振兴局
        recurring:
          - {id: bulletin, title: 每月通报, every: month}
"""
    )
    result = _load(engine, _write(tmp_path, amended_text))
    assert result.version == 2
    assert [str(c) for c in result.changes] == [
        "task added （二）: 加强日常监管",
        "target changed （一） central-disbursement: 100 → 95",
        "obligation added （一） project-library-2025: due 2023-11-30",
        "date moved （一） central-disbursement#2: 2023-06-30 → 2023-07-15",
    ]
    assert _count(engine, T_PROGRESS) == 1
    assert _count(engine, T_OBL, T_OBL.c.done_on.is_not(None)) == 1
    with engine.connect() as conn:
        versions = conn.execute(
            select(T_VERSION.c.version, T_VERSION.c.source_text).order_by(T_VERSION.c.version)
        ).all()
    assert [v for v, _ in versions] == [1, 2]
    assert versions[0][1] == EXAMPLE

    # dropping the new task again keeps its rows (inactive) and says so
    back = _load(engine, _write(tmp_path, EXAMPLE, "back.yaml"))
    assert "task dropped （二）: 加强日常监管" in [str(c) for c in back.changes]
    assert _count(engine, T_TASK, T_TASK.c.active) == 1
    assert _count(engine, T_TASK) == 2
    assert _count(engine, T_PROGRESS) == 1


def test_a_failure_half_way_leaves_nothing_behind(engine: Engine, db_url: str) -> None:
    # make the database itself refuse one obligation row, after the plan and tasks went in
    with engine.begin() as conn:
        if db_url.startswith("sqlite"):
            conn.execute(
                text(
                    "CREATE TRIGGER refuse BEFORE INSERT ON obligation WHEN NEW.key = 'dispatch@2023-07' "
                    "BEGIN SELECT RAISE(ABORT, 'refused by test trigger'); END"
                )
            )
        else:
            conn.execute(
                text(
                    "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN "
                    "IF NEW.key = 'dispatch@2023-07' THEN RAISE EXCEPTION 'refused by test trigger'; END IF; "
                    "RETURN NEW; END $$ LANGUAGE plpgsql"
                )
            )
            conn.execute(
                text(
                    "CREATE TRIGGER refuse BEFORE INSERT ON obligation FOR EACH ROW EXECUTE FUNCTION refuse()"
                )
            )
    with pytest.raises(DBAPIError, match="refused by test trigger"):
        _load(engine, PLANS / "example.yaml")
    for table in (T_OBL, T_TASK, T_VERSION):
        assert _count(engine, table) == 0


def test_a_plan_an_earlier_version_stored_is_rewritten_on_its_next_load(engine: Engine) -> None:
    """A standing duty's reviews were stored as occurrences (their kind read from a mark in the
    title); loading the same file again rewrites them, and says why nothing else changed."""
    forms = PLANS.parent / "tests" / "plans" / "valid" / "forms.yaml"
    _load(engine, forms)
    standing = T_OBL.c.kind == "standing"
    reviews = _count(engine, T_OBL, standing)
    assert reviews > 0
    with engine.begin() as conn:  # as an earlier version wrote it
        conn.execute(T_OBL.update().where(standing).values(kind="occurrence"))
        conn.execute(T_PLAN.update().values(fingerprint="an earlier version"))
    again = _load(engine, forms)
    assert [str(c) for c in again.changes] == [
        "settings changed: how this version of workplan records the plan"
    ]
    assert _count(engine, T_OBL, standing) == reviews
