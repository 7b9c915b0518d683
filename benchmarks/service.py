"""The service's morning against `workplan tick` of the same day, on SQLite and PostgreSQL.

Run:  python benchmarks/service.py --counties 175
      python benchmarks/service.py --counties 700 --url postgresql+psycopg://postgres@127.0.0.1:5432/bench
      python benchmarks/service.py --keep /tmp/national-175.db     (build once, reuse)

The national set of ``national.py`` (its load and setup phases, in processes of their own) is
built on a SQLite file and, with ``--url``, on that PostgreSQL database (its tables dropped
first).  Then, on each backend, in one process, pairs in turn, A B A B …, after one pair not
counted, each run from the same state (the day's notices, evaluations and document numbers
deleted, and on PostgreSQL the dead rows vacuumed, outside the time): the first evaluation of
15 November, by

  service  the service's morning: ``Service.catch_up`` of every plan at 09:00 local time, as
           `workplan run` evaluates at its ``run_at`` (and `run --once` before it sends)
  tick     ``tick_if_changed``, as `workplan tick --as-of 2023-11-15` evaluates the day

and the figure is service/tick, pair by pair.  Both store the same notices.
"""

from __future__ import annotations

import argparse
import inspect
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select

sys.path.insert(0, str(Path(__file__).resolve().parent))

from national import TICK_DAY, drop_tables, run_phase

from workplan.channels.config import DeliverySettings
from workplan.notices.outbox import tick_if_changed
from workplan.notices.templates import Templates
from workplan.service import Service
from workplan.store import db as store
from workplan.store.tables import T_EVAL, T_NOTICE, T_SEQUENCE

MORNING = datetime(TICK_DAY.year, TICK_DAY.month, TICK_DAY.day, 9, tzinfo=ZoneInfo("Asia/Shanghai"))


def build(url: str, counties: int) -> None:
    if url.startswith("postgresql"):
        drop_tables(url)
    run_phase("load", url, counties)
    run_phase("setup", url, counties)


def reset(engine: Any) -> None:
    """Forget the day's evaluation, as before the first one of the morning."""
    with engine.begin() as conn:
        for table in (T_NOTICE, T_EVAL, T_SEQUENCE):
            conn.execute(delete(table))
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE notice, evaluation")


def run_service(engine: Any, outbox: Path) -> int:
    service = Service(
        engine,
        DeliverySettings(None, outbox),
        Templates(None),
        owner="benchmark",
        now=lambda: MORNING,
    )
    clocks = service.plans()
    if "clocks" in inspect.signature(service.catch_up).parameters:
        service.catch_up(clocks, starting=True)
    else:  # an earlier version's service, plan by plan (for a figure before the change)
        for clock in clocks:
            service.catch_up(clock, starting=True)  # type: ignore[arg-type]
    return stored(engine)


def run_tick(engine: Any) -> int:
    with engine.connect() as conn:
        tick_if_changed(conn, TICK_DAY, MORNING)
    return stored(engine)


def stored(engine: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(T_NOTICE)).scalar_one())


def spread(values: list[float], digits: int = 3) -> str:
    return " / ".join(
        f"{v:.{digits}f}" for v in (min(values), statistics.median(values), max(values))
    )


def measure(url: str, pairs: int, outbox: Path) -> dict[str, Any]:
    engine = store.open_store(url)
    runs: dict[str, list[float]] = {"service": [], "tick": []}
    notices: dict[str, set[int]] = {"service": set(), "tick": set()}
    for _ in range(pairs + 1):
        for name, run in (
            ("service", lambda: run_service(engine, outbox)),
            ("tick", lambda: run_tick(engine)),
        ):
            reset(engine)
            started = time.perf_counter()
            notices[name].add(run())
            runs[name].append(time.perf_counter() - started)
    engine.dispose()
    return {"runs": {k: v[1:] for k, v in runs.items()}, "notices": notices}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--counties", type=int, default=175)
    parser.add_argument("--url", help="a PostgreSQL URL to measure beside SQLite")
    parser.add_argument("--keep", type=Path, help="the SQLite file to build once and reuse")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument("--pairs", type=int, default=5, help="pairs counted (after one more)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="workplan-service-") as scratch:
        path = args.keep or Path(scratch) / "national.db"
        urls = [] if args.no_sqlite else [f"sqlite:///{path}"]
        if not args.no_sqlite and not path.exists():
            print(f"building {args.counties} counties on SQLite …", file=sys.stderr)
            build(urls[0], args.counties)
        if args.url:
            print(f"building {args.counties} counties on PostgreSQL …", file=sys.stderr)
            build(args.url, args.counties)
            urls.append(args.url)
        for url in urls:
            found = measure(url, args.pairs, Path(scratch) / "outbox")
            service, tick = found["runs"]["service"], found["runs"]["tick"]
            ratios = [s / t for s, t in zip(service, tick, strict=True)]
            name = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
            counts = found["notices"]
            same = counts["service"] == counts["tick"] and len(counts["tick"]) == 1
            print(
                f"{name}, {args.counties} counties, {TICK_DAY}: "
                f"{', '.join(map(str, sorted(counts['tick'])))} notices stored by the tick"
                f"{'' if same else ', NOT the same by the service: ' + str(counts['service'])}"
            )
            print(f"  {args.pairs} pairs (after one not counted), min / median / max")
            print(f"  service        {spread(service)} s")
            print(f"  tick           {spread(tick)} s")
            print(f"  service / tick {spread(ratios, 2)}")


if __name__ == "__main__":
    main()
