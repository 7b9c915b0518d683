"""What the tick reads: only the facts that can owe a notice on the day (the rest is left in
the database, where reading it costs the evaluation as much as evaluating it)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine

from tests.helpers import ROOT
from workplan import i18n
from workplan.notices.outbox import tick
from workplan.plan.validate import read_plan
from workplan.rules.kinds import LADDER
from workplan.store import records
from workplan.store.db import open_store
from workplan.store.facts_query import read_facts
from workplan.store.load import load

NOW = datetime(2023, 3, 1, tzinfo=UTC)


@pytest.fixture
def engine(db_url: str, tmp_path: object) -> Iterator[Engine]:
    """The minimal plan, its metric reported monthly, without a pace (the plan's Chinese,
    which reading it makes the process speak, forgotten afterwards)."""
    text = (ROOT / "tests" / "plans" / "valid" / "minimal.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "            target: 100\n", "            target: 100\n            report: month\n"
    )
    path = tmp_path / "monthly.yaml"  # type: ignore[operator]
    path.write_text(text, encoding="utf-8")
    loaded = read_plan(path)
    engine = open_store(db_url, create=True)
    with engine.begin() as conn:
        load(conn, loaded.compiled, source_path="monthly.yaml", source_text=text, now=NOW)
    yield engine
    engine.dispose()
    i18n.reset()


def report(engine: Engine, on: str) -> None:
    with engine.begin() as conn:
        records.record_progress(
            conn,
            plan_key=None,
            task_ref="1",
            metric_key="disbursement",
            value=60.0,
            as_of=date.fromisoformat(on),
            department="区财政局",
            note=None,
            now=NOW,
        )


def metrics_read(engine: Engine, day: str) -> list[str]:
    with engine.connect() as conn:
        facts, _ = read_facts(conn, date.fromisoformat(day), ladder=LADDER)
    return [m.key for plan in facts.values() for m in plan.metrics]


def owed(engine: Engine, day: str) -> list[str]:
    with engine.begin() as conn:
        found = tick(conn, date.fromisoformat(day), NOW)
    return sorted({f"{i.rule} {i.period}" for i in found.added if i.metric_id is not None})


def test_a_metric_reported_last_period_is_not_read_until_its_report_is_near(
    engine: Engine,
) -> None:
    report(engine, "2023-10-27")
    # October reported; November's report is due on 30 November, beyond every reminder
    assert metrics_read(engine, "2023-11-15") == []
    assert owed(engine, "2023-11-15") == []
    # three working days before it (the default reminders), it is read, and reminded of
    assert metrics_read(engine, "2023-11-27") == ["disbursement"]
    assert owed(engine, "2023-11-27") == ["report 2023-11"]


def test_a_metric_whose_last_period_is_missing_is_read_and_chased(engine: Engine) -> None:
    report(engine, "2023-09-27")
    assert metrics_read(engine, "2023-11-15") == ["disbursement"]
    assert owed(engine, "2023-11-15") == ["report-overdue 2023-10"]
