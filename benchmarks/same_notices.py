"""The notices a tick stores, written out to compare two versions of workplan.

Run:  python benchmarks/same_notices.py --db sqlite:////tmp/national-700.db --save old.jsonl
      (another checkout)  python benchmarks/same_notices.py --db … --against old.jsonl

On a database of the national set (``national.py``'s load and setup phases, or ``replay.py
--keep``), every notice and evaluation stored earlier is deleted (committed; on PostgreSQL the ids start from 1 again), then one tick of
15 November runs in a transaction; every column of every notice it stored (but the batch, a
random id of the call) is read back, and the transaction is rolled back.  ``--save`` writes
them, one JSON line a notice in the order of their ids; ``--against`` compares them with a
file saved so, and exits 1 at the first difference.  A change that makes the tick faster
must leave this file the same, byte for byte.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import delete, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent))

from national import TICK_DAY, YEAR

from workplan.notices.outbox import tick
from workplan.store import db as store
from workplan.store.tables import T_EVAL, T_NOTICE, T_SEQUENCE

NOW = datetime(YEAR, 11, 15, 0, 30, tzinfo=UTC)  # as replay.py's tick


def stored_notices(url: str) -> list[str]:
    """The day's first tick's notices, one JSON text each, in the order of their ids."""
    engine = store.open_store(url)
    with engine.begin() as conn:
        for table in (T_NOTICE, T_EVAL, T_SEQUENCE):
            conn.execute(delete(table))
        if conn.dialect.name == "postgresql":  # ids from 1, as on SQLite (Message-IDs use them)
            conn.execute(text("SELECT setval(pg_get_serial_sequence('notice', 'id'), 1, false)"))
    columns = [c for c in T_NOTICE.c if c.name != "batch"]
    with engine.connect() as conn:
        trans = conn.begin()
        try:
            tick(conn, TICK_DAY, NOW)
            rows = conn.execute(select(*columns).order_by(T_NOTICE.c.id)).all()
        finally:
            trans.rollback()
    engine.dispose()
    names = [c.name for c in columns]
    return [json.dumps(dict(zip(names, row, strict=True)), default=str) for row in rows]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", required=True, help="SQLAlchemy URL of a national set")
    way = parser.add_mutually_exclusive_group(required=True)
    way.add_argument("--save", type=Path, help="write the notices to this file")
    way.add_argument("--against", type=Path, help="compare the notices with this file")
    args = parser.parse_args()
    lines = stored_notices(args.db)
    if args.save:
        args.save.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
        print(f"{len(lines):,} notices saved to {args.save}")
        return
    saved = args.against.read_text(encoding="utf-8").splitlines()
    for n, (old, new) in enumerate(zip(saved, lines, strict=False)):
        if old != new:
            print(f"notice {n + 1} differs:\n  saved {old}\n  now   {new}")
            sys.exit(1)
    if len(saved) != len(lines):
        print(f"{len(saved):,} notices saved, {len(lines):,} now")
        sys.exit(1)
    print(f"the same {len(lines):,} notices as {args.against}")


if __name__ == "__main__":
    main()
