"""One state, one rule: over a whole year, for every metric of every plan in the repository,
`status` and the morning evaluation say the same thing.

Also: the facts the tick reads (only what can owe a notice) and the facts status reads (all of
them) give the same notices, so a filter in SQL can never silently drop what the rules owe.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from tests.helpers import PLANS
from workplan.plan.validate import read_plan
from workplan.rules.evaluate import evaluate
from workplan.rules.status import task_statuses
from workplan.store import ledger
from workplan.store.db import open_store, reading
from workplan.store.facts_query import read_facts
from workplan.store.load import load
from workplan.store.refs import find_plan
from workplan.store.snapshot import read_tasks

CASES = [
    ("banan-2023.yaml", "banan-2023-ledger.csv"),
    ("banan-2023.yaml", None),
    ("example.yaml", None),
]
NOW = datetime(2023, 1, 1, tzinfo=UTC)
OWES = {"warn", "pace", "overdue", "shortfall"}


@pytest.mark.parametrize(("plan_file", "ledger_file"), CASES)
def test_status_and_the_evaluator_agree_all_year(
    plan_file: str, ledger_file: str | None, tmp_path: Path
) -> None:
    engine = open_store(f"sqlite:///{tmp_path / 'w.db'}", create=True)
    loaded = read_plan(PLANS / plan_file)
    with engine.begin() as conn:
        load(conn, loaded.compiled, source_path=plan_file, source_text=loaded.text, now=NOW)
        if ledger_file:
            ledger.import_ledger(conn, PLANS / ledger_file, plan_key=None, now=NOW)
    day = date(2023, 1, 2)
    checked = 0
    with reading(engine) as conn:
        plan = find_plan(conn, None)
        tasks = read_tasks(conn, plan)
        while day <= date(2024, 3, 8):
            owed_facts, calendars = read_facts(conn, day)
            all_facts, _ = read_facts(conn, day, everything=True)
            calendar = calendars[plan.id]
            owed = evaluate(owed_facts[plan.id], day, calendar)
            everything = evaluate(all_facts[plan.id], day, calendar)
            assert sorted(i.key for i in owed) == sorted(i.key for i in everything), day
            rows = task_statuses(tasks, all_facts[plan.id], everything, calendar, day)
            by_metric = {(t.number, m.key): m.state for t in rows for m in t.metrics}
            for m in all_facts[plan.id].metrics:
                rules = {i.rule for i in everything if i.metric_id == m.id}
                state = by_metric[(m.task, m.key)]
                worrying = state in ("behind", "missed")
                assert worrying == bool(rules & OWES), (day, m.key, state, rules)
                checked += 1
            day += timedelta(days=6)  # every weekday in turn over the year
    engine.dispose()
    assert checked >= 70 * len(all_facts[plan.id].metrics)
