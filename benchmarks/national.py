"""National scale: 2,800 county plans x 30 tasks (about 1.2 million dated obligations).

Run:  python benchmarks/national.py                 (SQLite file in a temporary folder)
      python benchmarks/national.py --db postgresql+psycopg://postgres@127.0.0.1:5432/test
      python benchmarks/national.py --counties 280     (a tenth, for a quick look)
      python benchmarks/national.py --url postgresql+psycopg://...   (SQLite and PostgreSQL,
                                                       side by side, with the ratios)

Each phase runs in a process of its own, so that the peak memory reported is that phase's:
  load   compile each county's plan and load them through workplan's own loader, 200 a
         transaction (load_all, as `workplan load` of a province's 200 files)
  setup  a year of monthly reports for every metric, most duties marked done (bulk SQL)
  bare   a bare SELECT of the obligation rows the tick reads, fetched into Python
  nostats the tick on a database whose planner statistics were removed (PostgreSQL: as
         straight after a bulk load with no ANALYZE), then ANALYZE again
  tick   one evaluation of every plan on the tick date, notices stored in the outbox
  again  the same tick again, 41 times in one process, as `workplan tick` repeats it:
         nothing changed since, so one read of the change markers outside a transaction
         answers it (the cost of reading one marker per plan); the figure is the median of
         the last 20, a long-running process's steady state (PostgreSQL prepares a statement
         on its 5th run and plans it anew for 5 runs more before it keeps a generic plan),
         and the first run is reported beside it
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, text, update

from workplan.notices.outbox import tick_if_changed
from workplan.plan.expand import compile_plan
from workplan.plan.model import Checkpoint, Deliverable, Department, Metric, Pace, Plan, Recurring
from workplan.plan.yamlsource import Source
from workplan.store import db as store
from workplan.store.load import PlanFile, load_all
from workplan.store.tables import T_EVAL, T_NOTICE, T_OBL, T_PROGRESS, metadata

YEAR = 2023
TASKS = 30
DEPARTMENTS = 8
TICK_DAY = date(YEAR, 11, 15)


def county_plan(county: int) -> Plan:
    """A county's plan: 30 tasks, each a monthly duty and a metric; 8 year-end deliverables."""
    names = [f"第{county}县{d}局" for d in range(DEPARTMENTS)]
    chapters = []
    tasks = []
    for t in range(TASKS):
        tasks.append(
            {
                "number": t + 1,
                "title": f"重点任务{t + 1}",
                "text": f"第{county}县重点任务{t + 1}：每月调度，6月底完成50%，年底完成。",
                "lead": [names[t % DEPARTMENTS]],
                "co": [names[(t + 1) % DEPARTMENTS]],
                "recurring": [Recurring(id="dispatch", title="每月调度", every="month")],
                "metrics": [
                    Metric(
                        id="progress",
                        title="完成进度",
                        unit="%",
                        checkpoints=[Checkpoint(by=date(YEAR, 6, 30), value=50)],
                        target=100,
                        pace=Pace(tolerance=5) if t % 3 == 0 else None,
                        report="month",
                    )
                ],
                "deliverables": [Deliverable(id="summary", title="年度总结", due="year-end")]
                if t < 8
                else [],
            }
        )
    chapters.append({"number": 1, "title": "重点任务", "tasks": tasks})
    return Plan.model_validate(
        {
            "id": f"county-{county:04d}",
            "title": f"第{county}县{YEAR}年工作要点",
            "year": YEAR,
            "office": names[0],
            "departments": [
                Department(name=n, email=f"c{county}-d{d}@example.org") for d, n in enumerate(names)
            ],
            "chapters": chapters,
        }
    )


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


PROVINCE = 200  # counties loaded in one transaction, as one `workplan load` of a province


def phase_load(url: str, counties: int) -> dict[str, Any]:
    engine = store.open_store(url, create=True)
    now = datetime(YEAR, 1, 1, tzinfo=UTC)
    compile_seconds = load_seconds = 0.0
    obligations = 0
    source = Source("<generated>", {})
    for first in range(0, counties, PROVINCE):
        started = time.perf_counter()
        batch = []
        for county in range(first, min(first + PROVINCE, counties)):
            compiled, problems = compile_plan(county_plan(county), source, [])
            assert compiled is not None and not problems, problems
            batch.append(compiled)
        compile_seconds += time.perf_counter() - started
        started = time.perf_counter()
        with engine.begin() as conn:
            load_all(conn, [PlanFile(c, "<generated>", "") for c in batch], now=now)
        load_seconds += time.perf_counter() - started
        obligations += sum(len(c.obligations) for c in batch)
    engine.dispose()
    return {
        "counties": counties,
        "obligations": obligations,
        "compile_s": round(compile_seconds, 2),
        "load_s": round(load_seconds, 2),
        "load_per_s": round(obligations / load_seconds),
        "peak_mb": round(peak_mb()),
    }


def phase_setup(url: str) -> dict[str, Any]:
    """A year of monthly reports (one in ten metrics lagging); 19 in 20 past duties done."""
    engine = store.open_store(url)
    started = time.perf_counter()
    reports = 0
    with engine.begin() as conn:
        metrics = conn.execute(text("SELECT id, plan_id, task_id FROM metric ORDER BY id")).all()
        rows: list[dict[str, Any]] = []
        recorded = datetime(YEAR, 11, 1, tzinfo=UTC)
        for m in metrics:
            lagging = m.id % 10 == 0
            for month in range(1, TICK_DAY.month):
                as_of = date(YEAR, month + 1, 1) - timedelta(days=3)
                value = round(100 * month / 12 * (0.8 if lagging else 1.02), 2)
                rows.append(
                    {
                        "plan_id": m.plan_id,
                        "task_id": m.task_id,
                        "metric_id": m.id,
                        "value": value,
                        "as_of": as_of,
                        "department": "benchmark",
                        "recorded_at": recorded,
                    }
                )
            if len(rows) >= 50_000:
                conn.execute(insert(T_PROGRESS), rows)
                reports += len(rows)
                rows = []
        if rows:
            conn.execute(insert(T_PROGRESS), rows)
            reports += len(rows)
        done = conn.execute(
            update(T_OBL)
            .where(
                T_OBL.c.kind == "occurrence",
                T_OBL.c.deadline < TICK_DAY,
                T_OBL.c.id % 20 != 0,
            )
            .values(done_on=T_OBL.c.due, done_by="benchmark")
        ).rowcount
        # a year of reports and done marks arrives over months, and PostgreSQL's autovacuum
        # analyses the tables as it goes; written in one go here, analyse them as it would
        if url.startswith("postgresql"):
            conn.exec_driver_sql("ANALYZE progress, obligation")
    engine.dispose()
    return {"reports": reports, "done": done, "setup_s": round(time.perf_counter() - started, 2)}


def phase_bare(url: str) -> dict[str, Any]:
    """A bare SELECT through the driver, no SQLAlchemy row processing: every obligation row
    with the columns the tick reads, then only ids, deadline and done (narrow rows)."""
    engine = store.open_store(url)
    columns = (
        "id, plan_id, task_id, key, kind, title, due, deadline, owners, rules_id, metric_id, "
        "target, done_on"
    )
    with engine.connect() as conn:
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        started = time.perf_counter()
        cursor.execute(f"SELECT {columns} FROM obligation WHERE active")
        count = len(cursor.fetchall())
        same_s = time.perf_counter() - started
        started = time.perf_counter()
        cursor.execute("SELECT id, plan_id, deadline, done_on FROM obligation")
        cursor.fetchall()
        narrow_s = time.perf_counter() - started
    engine.dispose()
    return {
        "rows": count,
        "bare_same_s": round(same_s, 3),
        "bare_narrow_s": round(narrow_s, 3),
        "peak_mb": round(peak_mb()),
    }


STATISTICS = ("plan", "task", "metric", "obligation", "progress", "notice", "evaluation")


def phase_tick(
    url: str, fresh: bool = False, with_statistics: bool = True, repeat: int = 1
) -> dict[str, Any]:
    engine = store.open_store(url)
    if fresh:  # the first tick of the day, again: forget what an earlier run stored
        with engine.begin() as conn:
            conn.execute(delete(T_NOTICE))
            conn.execute(delete(T_EVAL))
    if not with_statistics and url.startswith("postgresql"):
        # as right after a bulk load that ran no ANALYZE: the planner knows nothing of the
        # tables (superuser only); restored below
        with engine.begin() as conn:
            tables = ", ".join(f"'{t}'::regclass" for t in STATISTICS)
            conn.exec_driver_sql(f"DELETE FROM pg_statistic WHERE starelid IN ({tables})")
            conn.exec_driver_sql(
                f"UPDATE pg_class SET reltuples = -1, relpages = 0 WHERE oid IN ({tables})"
            )
    runs = []
    with engine.connect() as conn:
        conn.exec_driver_sql("SELECT 1")  # connected: the time is the tick's, not the login's
        conn.rollback()
        for _ in range(repeat):
            started = time.perf_counter()
            # as `workplan tick` runs it: a day evaluated already, with nothing changed since,
            # is answered by one read outside a transaction
            result = tick_if_changed(conn, TICK_DAY, datetime(YEAR, 11, 15, 0, 30, tzinfo=UTC))
            runs.append(time.perf_counter() - started)
        trips = _round_trips(conn) if repeat > 1 and url.startswith("postgresql") else []
    # a repeated tick is repeated by a running process: its figure is the steady state, the
    # median of the last 20 runs (the first also compiles the statement, as a new process would)
    seconds = statistics.median(runs[-20:]) if repeat > 1 else runs[0]
    if not with_statistics and url.startswith("postgresql"):
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE " + ", ".join(STATISTICS))
    engine.dispose()
    by_rule: dict[str, int] = {}
    for intent in result.added:
        by_rule[intent.rule] = by_rule.get(intent.rule, 0) + 1
    return {
        "tick_s": round(seconds, 6),
        "first_s": round(runs[0], 6),
        "owed": result.owed,
        "added": len(result.added),
        "by_rule": by_rule,
        "plans": result.plans,
        "peak_mb": round(peak_mb()),
        **({"round_trip_s": round(statistics.median(trips[-20:]), 6)} if trips else {}),
    }


def _round_trips(conn: Any) -> list[float]:
    """Time 41 bare round trips to the server (``SELECT 1``, prepared, outside a transaction,
    through the driver): the least any read from PostgreSQL costs."""
    runs = []
    with store.read_only(conn):
        driver = conn.connection.dbapi_connection
        assert driver is not None
        for _ in range(41):
            started = time.perf_counter()
            driver.execute("SELECT 1", prepare=True).fetchall()
            runs.append(time.perf_counter() - started)
    return runs


PHASES = {
    "load": phase_load,
    "setup": phase_setup,
    "bare": phase_bare,
    "nostats": partial(phase_tick, fresh=True, with_statistics=False),
    "tick": partial(phase_tick, fresh=True),
    "again": partial(phase_tick, repeat=41),
}


def run_phase(name: str, url: str, counties: int) -> dict[str, Any]:
    """Run one phase in a fresh interpreter and return its figures."""
    command = [sys.executable, __file__, "--phase", name, "--db", url, "--counties", str(counties)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return dict(json.loads(output.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--counties", type=int, default=2800)
    parser.add_argument("--db", help="SQLAlchemy URL; default: a SQLite file in a temporary folder")
    parser.add_argument(
        "--url",
        help="a PostgreSQL URL: run on SQLite and on this database, and print both with ratios",
    )
    parser.add_argument("--phase", choices=sorted(PHASES), help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    if args.phase:
        function = PHASES[args.phase]
        figures = function(args.db, args.counties) if args.phase == "load" else function(args.db)
        print(json.dumps(figures))
        return
    with tempfile.TemporaryDirectory(prefix="workplan-bench-") as scratch:
        sqlite_url = f"sqlite:///{Path(scratch) / 'national.db'}"
        if args.url:
            both = {"SQLite": measure(sqlite_url, args.counties)}
            both["PostgreSQL"] = measure(args.url, args.counties)
            # the machine's speed drifts: time the ticks again, alternating the backends,
            # and keep each backend's median
            for name, url in 2 * [("SQLite", sqlite_url), ("PostgreSQL", args.url)]:
                for phase in ("tick", "again"):
                    both[name].setdefault(f"{phase}_runs", [both[name][phase]["tick_s"]])
                    both[name][f"{phase}_runs"].append(
                        run_phase(phase, url, args.counties)["tick_s"]
                    )
            for figures in both.values():
                for phase in ("tick", "again"):
                    figures[phase]["tick_s"] = statistics.median(figures[f"{phase}_runs"])
        else:
            url = args.db or sqlite_url
            figures = measure(url, args.counties)
    if args.url:
        if args.json:
            print(json.dumps(both, indent=2))
        else:
            compare(both, args.counties)
        return
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    report(figures, url, args.counties)


def drop_tables(url: str) -> None:
    """Drop workplan's tables from a PostgreSQL database (with what an older schema hung on
    them, such as its foreign keys)."""
    engine = store.make_engine(url)
    with engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.exec_driver_sql(f'DROP TABLE IF EXISTS "{table.name}" CASCADE')
    engine.dispose()


def measure(url: str, counties: int) -> dict[str, Any]:
    """Run every phase on ``url`` (a PostgreSQL database is emptied first)."""
    if url.startswith("postgresql"):
        drop_tables(url)
    figures = {name: run_phase(name, url, counties) for name in PHASES}
    if url.startswith("sqlite"):
        figures["size_mb"] = round(os.path.getsize(url.removeprefix("sqlite:///")) / 2**20)
    return figures


def compare(both: dict[str, dict[str, Any]], counties: int) -> None:
    """Print the two backends side by side, PostgreSQL's figures as a ratio to SQLite's."""
    lite, pg = both["SQLite"], both["PostgreSQL"]
    rows = [  # label, phase, figure, its scale, whether higher is better
        ("load, obligations/s", "load", "load_per_s", 1, True),
        ("bare SELECT, s", "bare", "bare_same_s", 1, False),
        ("tick, no statistics, s", "nostats", "tick_s", 1, False),
        ("tick, s (median of 3)", "tick", "tick_s", 1, False),
        ("tick again, ms", "again", "tick_s", 1000, False),
    ]
    print(
        f"{counties} counties x {TASKS} tasks: {lite['load']['obligations']:,} obligations, "
        f"{lite['tick']['added']:,} notices on the tick"
    )
    print(f"{'figure':<22}{'SQLite':>12}{'PostgreSQL':>12}  PostgreSQL/SQLite")
    for label, phase, key, scale, higher_is_better in rows:
        a, b = lite[phase][key] * scale, pg[phase][key] * scale
        ratio = b / a if a else float("nan")
        note = "(higher is better)" if higher_is_better else "(time: lower is better)"
        digits = 0 if higher_is_better else 3
        print(f"{label:<22}{a:>12,.{digits}f}{b:>12,.{digits}f}  {ratio:.2f}x {note}")
    trip, again = pg["again"].get("round_trip_s"), lite["again"]["tick_s"]
    if trip:
        print(
            f"one round trip to PostgreSQL (SELECT 1): {trip * 1000:.3f} ms; SQLite's repeated "
            f"tick plus one is {(again + trip) / again:.2f}x SQLite's, the least a server's can be"
        )


def report(figures: dict[str, Any], url: str, counties: int) -> None:
    load_, bare, tick_, again = figures["load"], figures["bare"], figures["tick"], figures["again"]
    print(f"database      {url.split('://')[0]} ({counties} counties x {TASKS} tasks)")
    print(
        f"obligations   {load_['obligations']:,}; reports {figures['setup']['reports']:,}; "
        f"duties done {figures['setup']['done']:,}"
    )
    print(
        f"load          {load_['load_s']} s = {load_['load_per_s']:,} obligations/s "
        f"(compiling the plans: {load_['compile_s']} s more); peak {load_['peak_mb']} MB"
    )
    print(
        f"bare SELECT   {bare['bare_same_s']} s for all {bare['rows']:,} rows with the tick's "
        f"columns; {bare['bare_narrow_s']} s narrow (id, plan, deadline, done)"
    )
    print(
        f"tick          {tick_['tick_s']} s = {tick_['tick_s'] / bare['bare_same_s']:.2f}x the "
        f"same-column read ({tick_['tick_s'] / bare['bare_narrow_s']:.1f}x the narrow one); "
        f"{tick_['added']:,} notices {tick_['by_rule']}; peak {tick_['peak_mb']} MB"
    )
    print(
        f"tick again    {again['tick_s'] * 1000:.2f} ms (median of the last 20 of 41 in one "
        f"process; the first {again['first_s'] * 1000:.2f} ms); {again['added']} added"
    )
    print(f"no statistics {figures['nostats']['tick_s']} s (the tick, planned without them)")


if __name__ == "__main__":
    main()
