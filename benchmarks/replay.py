"""SQLite's tick against its floor: the same statements, replayed raw through sqlite3.

Run:  python benchmarks/replay.py                        (2,800 counties; builds the database)
      python benchmarks/replay.py --counties 700 --keep /tmp/national-700.db
      python benchmarks/replay.py --keep /tmp/national-2800.db --pairs 7

The national set of ``national.py`` (its load and setup phases, in processes of their own) is
built once into ``--keep`` (reused when it is there; any notices and evaluations stored in it
are deleted first, so the tick is the day's first).  One tick of 15 November is run with every
statement it sends to SQLite recorded, with its parameters as the driver got them.  Then, in
one process, pairs in turn, A B A B …, after one pair not counted:

  tick    ``tick`` of the day in a transaction (BEGIN IMMEDIATE), as `workplan tick` runs it
  replay  the recorded statements, executed by a bare sqlite3 connection with the same
          settings, every row fetched: the least those statements cost

Both are timed from BEGIN to the end of the last statement, then rolled back, so every run
starts from the same database (no COMMIT in either: its fsync would be the same in both).
The figure is tick/replay, pair by pair: what workplan's Python adds to its own SQL; in wall
time, and in the processor time of the process (SQLite runs inside it), which a machine busy
with other work stretches less.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, event

sys.path.insert(0, str(Path(__file__).resolve().parent))

from national import TICK_DAY, YEAR

from workplan.notices.outbox import tick
from workplan.plan.settings import _parsed
from workplan.store import db as store
from workplan.store.tables import T_EVAL, T_NOTICE, T_SEQUENCE

NATIONAL = Path(__file__).with_name("national.py")

NOW = datetime(YEAR, 11, 15, 0, 30, tzinfo=UTC)


def build(path: Path, counties: int) -> None:
    """Load the national set's first ``counties`` plans and a year of reports into ``path``."""
    url = f"sqlite:///{path}"
    for phase in ("load", "setup"):
        command = [sys.executable, str(NATIONAL), "--phase", phase, "--db", url]
        subprocess.run([*command, "--counties", str(counties)], check=True, capture_output=True)


Statement = tuple[str, Any, bool]


def record(url: str) -> tuple[list[Statement], int]:
    """Forget any evaluation of the day stored earlier (committed), then tick once, recording
    every statement sent to the driver; roll that back."""
    engine = store.open_store(url)
    with engine.begin() as conn:
        for table in (T_NOTICE, T_EVAL, T_SEQUENCE):
            conn.execute(delete(table))
    sent: list[Statement] = []

    def _sent(_c: Any, _cursor: Any, sql: str, params: Any, _ctx: Any, many: bool) -> None:
        sent.append((sql, params, many))

    with engine.connect() as conn:
        trans = conn.begin()
        event.listen(engine, "before_cursor_execute", _sent)
        try:
            result = tick(conn, TICK_DAY, NOW)
        finally:
            event.remove(engine, "before_cursor_execute", _sent)
            trans.rollback()
    engine.dispose()
    return sent, len(result.added)


Timing = tuple[float, float]
"""wall seconds, and the processor seconds of this process (SQLite works inside it)"""


def time_tick(engine: Any) -> Timing:
    _parsed.cache_clear()  # each plan's settings parsed in the tick, as by `workplan tick`
    with engine.connect() as conn:
        started, used = time.perf_counter(), time.process_time()
        trans = conn.begin()
        try:
            tick(conn, TICK_DAY, NOW)
            return time.perf_counter() - started, time.process_time() - used
        finally:
            trans.rollback()


def time_replay(path: Path, statements: list[Statement]) -> Timing:
    raw = sqlite3.connect(path, isolation_level=None, timeout=10)
    for pragma in ("foreign_keys=ON", "journal_mode=WAL", "synchronous=FULL", "cache_size=-65536"):
        raw.execute(f"PRAGMA {pragma}")
    try:
        started, used = time.perf_counter(), time.process_time()
        raw.execute("BEGIN IMMEDIATE")
        for sql, params, many in statements:
            if many:
                raw.executemany(sql, params)
            else:
                raw.execute(sql, params).fetchall()
        timing = time.perf_counter() - started, time.process_time() - used
        raw.execute("ROLLBACK")
        return timing
    finally:
        raw.close()


def spread(values: list[float], digits: int = 3) -> str:
    low, mid, high = min(values), statistics.median(values), max(values)
    return f"{low:.{digits}f} / {mid:.{digits}f} / {high:.{digits}f}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--counties", type=int, default=2800)
    parser.add_argument("--keep", type=Path, help="the database file to build once and reuse")
    parser.add_argument("--pairs", type=int, default=5, help="pairs counted (after one more)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="workplan-replay-") as scratch:
        path = args.keep or Path(scratch) / "national.db"
        if not path.exists():
            print(f"building {args.counties} counties into {path} …", file=sys.stderr)
            build(path, args.counties)
        url = f"sqlite:///{path}"
        statements, added = record(url)
        rows = sum(len(p) for _, p, many in statements if many)
        print(
            f"{path.name}: the tick of {TICK_DAY} sends {len(statements)} statements "
            f"({rows:,} rows by executemany) and adds {added:,} notices"
        )
        engine = store.open_store(url)
        ticks: list[Timing] = []
        replays: list[Timing] = []
        for _ in range(args.pairs + 1):
            ticks.append(time_tick(engine))
            replays.append(time_replay(path, statements))
        engine.dispose()
    print(f"{args.pairs} pairs (after one not counted), min / median / max:")
    for i, label in ((0, "wall"), (1, "processor")):
        tick_s = [t[i] for t in ticks[1:]]
        replay_s = [r[i] for r in replays[1:]]
        ratios = [t / r for t, r in zip(tick_s, replay_s, strict=True)]
        print(f"  {label} time")
        print(f"    tick            {spread(tick_s)} s")
        print(f"    replay (floor)  {spread(replay_s)} s")
        print(f"    tick / replay   {spread(ratios, 2)}")


if __name__ == "__main__":
    main()
