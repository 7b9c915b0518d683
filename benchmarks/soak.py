"""Soak: several `workplan run` processes on one PostgreSQL database, over a simulated year.

Run:  python benchmarks/soak.py --url postgresql+psycopg://postgres@127.0.0.1:5432/test
      python benchmarks/soak.py --url ... --counties 175 --processes 2,4   (1/16 national)

The national benchmark's county plans (benchmarks/national.py: 30 items each, a monthly duty
and a metric per item, a year of reports, most duties done) are loaded into the database
(its tables are dropped first).  Then, for each working day of the year in turn, N processes
``workplan run --once --now DAYT09:00`` start together: each catches up the evaluation of
every plan and sends what is due, sharing the work through the database, to a local SMTP sink
(aiosmtpd, in this process).  At the end every notice the database says was sent must have
arrived, under its letter's Message-ID, exactly once; nothing may still wait.

On a server whose autovacuum is off, the soak stands in for it after each day (outside the
day's time, reported apart): VACUUM ANALYZE of each table whose dead rows pass autovacuum's
default threshold (50 + 20% of its live rows).  Without it the outbox's dead rows made a day
four times slower by July.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent))

from national import YEAR, drop_tables, run_phase

from workplan.plan.calendar import WorkCalendar
from workplan.store import db as store
from workplan.store.tables import T_NOTICE


class Sink:
    """An SMTP server that counts the Message-IDs it accepts."""

    def __init__(self) -> None:
        self.ids: Counter[str] = Counter()
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        head = envelope.original_content.split(b"\r\n\r\n", 1)[0]
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"message-id:"):
                with self.lock:
                    self.ids[line.split(b":", 1)[1].strip().decode()] += 1
                break
        return "250 OK"


def working_days(first: date, last: date) -> list[date]:
    calendar = WorkCalendar("CN", years=[first.year])
    days, day = [], first
    while day <= last:
        if calendar.is_working_day(day):
            days.append(day)
        day += timedelta(days=1)
    return days


def soak(url: str, counties: int, processes: int, days: list[date]) -> dict[str, Any]:
    drop_tables(url)
    run_phase("load", url, counties)
    run_phase("setup", url, counties)
    sink = Sink()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    env = {
        **os.environ,
        "WORKPLAN_SMTP_HOST": "127.0.0.1",
        "WORKPLAN_SMTP_PORT": str(port),
        "WORKPLAN_SMTP_SECURITY": "none",
    }
    seconds: list[float] = []
    vacuum_seconds = 0.0
    failures = 0
    engine = store.make_engine(url)
    with engine.connect() as conn:
        vacuum = conn.exec_driver_sql("SHOW autovacuum").scalar_one() == "off"
    try:
        for number, day in enumerate(days, 1):
            started = time.perf_counter()
            command = [sys.executable, "-m", "workplan", "run", "--once"]
            pool = [
                subprocess.Popen(
                    [*command, "--now", f"{day.isoformat()}T09:00", "--db", url],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                for _ in range(processes)
            ]
            for process in pool:
                _, err = process.communicate(timeout=600)
                if process.returncode != 0:
                    failures += 1
                    print(f"{day}: exit {process.returncode}: {err[-2000:]}", file=sys.stderr)
            seconds.append(time.perf_counter() - started)
            if vacuum:
                # the server's autovacuum is off (as on this CI machine): stand in for it, with
                # its default threshold (a table whose dead rows pass 50 + 20% of its live
                # ones), outside the timed day
                started = time.perf_counter()
                with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    for (table,) in conn.exec_driver_sql(
                        "SELECT relname FROM pg_stat_user_tables "
                        "WHERE n_dead_tup > 50 + 0.2 * n_live_tup"
                    ).all():
                        conn.exec_driver_sql(f'VACUUM (ANALYZE) "{table}"')
                vacuum_seconds += time.perf_counter() - started
            if number % 20 == 0:
                with sink.lock:
                    twice = sum(n - 1 for n in sink.ids.values() if n > 1)
                print(
                    f"  {processes} processes, {day}: {sum(sink.ids.values()):,} messages "
                    f"arrived, {twice} twice, {statistics.median(seconds):.2f} s a day",
                    file=sys.stderr,
                    flush=True,
                )
    finally:
        controller.stop()
        engine.dispose()
    engine = store.open_store(url)
    with engine.connect() as conn:
        by_status = dict(
            conn.execute(select(T_NOTICE.c.status, func.count()).group_by(T_NOTICE.c.status)).all()
        )
        sent_ids = set(
            conn.execute(
                select(T_NOTICE.c.message_id).where(T_NOTICE.c.status == "sent").distinct()
            ).scalars()
        )
    engine.dispose()
    arrived = set(sink.ids)
    return {
        "processes": processes,
        "days": len(days),
        "notices": by_status,
        "messages_sent": len(sent_ids),
        "messages_arrived": sum(sink.ids.values()),
        "lost": len(sent_ids - arrived)
        + sum(by_status.get(s, 0) for s in ("pending", "retrying", "claimed")),
        "duplicated": sum(n - 1 for n in sink.ids.values() if n > 1),
        "unknown_arrivals": len(arrived - sent_ids),
        "failed_runs": failures,
        "day_median_s": round(statistics.median(seconds), 2),
        "day_p95_s": round(sorted(seconds)[int(0.95 * (len(seconds) - 1))], 2),
        "total_s": round(sum(seconds)),
        "vacuum_s": round(vacuum_seconds),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", required=True, help="a PostgreSQL URL (its tables are dropped)")
    parser.add_argument(
        "--url2",
        help="a second PostgreSQL database: the runs (e.g. 2 and 4 processes) go side by side, "
        "one on each database, instead of one after the other",
    )
    parser.add_argument("--counties", type=int, default=175, help="175 = 1/16 of the nation")
    parser.add_argument("--processes", default="2,4", help="the runs to make, e.g. 2,4")
    parser.add_argument("--days", type=int, default=365, help="the first N days of the year")
    parser.add_argument(
        "--every",
        type=int,
        default=1,
        help="start the processes every Nth working day (and on the last); each run catches "
        "up the days between, as a service that was down would",
    )
    args = parser.parse_args()
    first = date(YEAR, 1, 1)
    every = working_days(first, first + timedelta(days=args.days - 1))
    days = every[args.every - 1 :: args.every]
    if days[-1] != every[-1]:
        days.append(every[-1])
    print(
        f"{args.counties} county plans, {args.days} days simulated ({len(every)} working days); "
        f"on {len(days)} of them N `workplan run --once` processes start together"
    )
    print(
        f"{'processes':>9} {'notices sent':>12} {'superseded':>10} {'messages':>8} "
        f"{'arrived':>8} {'lost':>5} {'twice':>5} {'s/day (median, p95)':>20} {'total':>7}"
    )
    runs = [int(p) for p in args.processes.split(",")]
    if args.url2:
        if len(runs) != 2:
            parser.error("--url2 runs two soaks side by side: give two --processes, e.g. 2,4")
        with ThreadPoolExecutor(2) as pool:
            both = list(
                pool.map(
                    lambda a: soak(a[0], args.counties, a[1], days),
                    zip((args.url, args.url2), runs, strict=True),
                )
            )
    else:
        both = [soak(args.url, args.counties, n, days) for n in runs]
    for n, r in zip(runs, both, strict=True):
        print(
            f"{n:>9} {r['notices'].get('sent', 0):>12,} {r['notices'].get('superseded', 0):>10,} "
            f"{r['messages_sent']:>8,} {r['messages_arrived']:>8,} {r['lost']:>5} "
            f"{r['duplicated']:>5} {r['day_median_s']:>9} s, {r['day_p95_s']} s "
            f"{r['total_s']:>6} s"
            + (f"  (+{r['vacuum_s']} s of VACUUM)" if r["vacuum_s"] else "")
            + (f"  ({r['failed_runs']} runs failed)" if r["failed_runs"] else "")
            + (f"  ({r['unknown_arrivals']} unknown)" if r["unknown_arrivals"] else "")
        )


if __name__ == "__main__":
    main()
