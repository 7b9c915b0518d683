"""Several dispatchers on one PostgreSQL database, a slow SMTP server: each message once?

Run:  python benchmarks/instances.py postgresql+psycopg://postgres@127.0.0.1:5432/test
      python benchmarks/instances.py URL --instances 4 --counties 10 --delay 0.02 --lease 2

It loads ``--counties`` generated county plans into a schema of their own, evaluates one
morning, starts an SMTP server (aiosmtpd, in a process of its own) that takes ``--delay``
seconds to answer each message and counts every Message-ID it accepts, then starts
``--instances`` ``workplan run --once`` processes at once (two SMTP connections each, claims of
200, a lease of ``--lease`` seconds: far shorter than a batch takes, so only the heartbeat
keeps the claims).  It reports what each process sent, the messages lost (owed but never
accepted), sent twice, and flagged as possible duplicates.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from dispatch import free_port
from national import phase_load, phase_setup
from sqlalchemy import create_engine, select, text

from workplan.notices.outbox import tick
from workplan.store import db as store
from workplan.store.tables import T_NOTICE

SERVER = """
import asyncio, sys
from aiosmtpd.controller import Controller
delay = float(sys.argv[2])
class Sink:
    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(delay)
        for line in envelope.original_content.split(b"\\r\\n"):
            if line.lower().startswith(b"message-id:"):
                print(line.split(b":", 1)[1].strip().decode(), flush=True)
                break
        return "250 OK"
controller = Controller(Sink(), hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start()
print("ready", flush=True)
sys.stdin.read()
controller.stop()
"""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("url", help="a PostgreSQL URL (a schema of its own is made and dropped)")
    parser.add_argument("--instances", type=int, default=4)
    parser.add_argument("--counties", type=int, default=10)
    parser.add_argument("--delay", type=float, default=0.02, help="seconds the server takes")
    parser.add_argument("--lease", type=float, default=2.0)
    args = parser.parse_args()
    schema = f"wp_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(args.url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in args.url else "?"
    url = f"{args.url}{sep}options=-csearch_path%3D{schema}"
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(port), str(args.delay)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None and server.stdin is not None
    server.stdout.readline()
    try:
        phase_load(url, args.counties)
        phase_setup(url)
        engine = store.open_store(url)
        with engine.begin() as conn:
            owed = tick(conn, date(2023, 11, 15), datetime(2023, 11, 15, 1, tzinfo=UTC))
        env = {
            **os.environ,
            "WORKPLAN_SMTP_HOST": "127.0.0.1",
            "WORKPLAN_SMTP_PORT": str(port),
            "WORKPLAN_SMTP_SECURITY": "none",
        }
        command = [sys.executable, "-m", "workplan", "run", "--once", "--lease", str(args.lease)]
        command += ["--now", "2023-11-15T10:00", "--db", url]
        started = time.perf_counter()
        processes = [
            subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for _ in range(args.instances)
        ]
        outputs = [p.communicate(timeout=3600) for p in processes]
        seconds = time.perf_counter() - started
        for process, (out, err) in zip(processes, outputs, strict=True):
            if process.returncode != 0:
                sys.exit(f"a dispatcher failed:\n{out.decode()}{err.decode()}")
        with engine.connect() as conn:
            rows = conn.execute(
                select(T_NOTICE.c.status, T_NOTICE.c.message_id, T_NOTICE.c.possible_duplicate)
            ).all()
        engine.dispose()
    finally:
        server.stdin.close()
        arrived = Counter(line.strip() for line in server.stdout if line.strip())
        server.wait(timeout=60)
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    owed_ids = {r.message_id for r in rows}
    statuses = Counter(r.status for r in rows)
    lost = owed_ids - set(arrived)
    twice = {mid for mid, n in arrived.items() if n > 1}
    flagged = {r.message_id for r in rows if r.possible_duplicate}
    for n, (out, err) in enumerate(outputs, 1):
        print(f"dispatcher {n}: {out.decode().strip().splitlines()[0]}")
        for line in err.decode().splitlines():
            if " WARNING " in line or " ERROR " in line:
                print(f"  {line}")
    print(
        f"{args.instances} dispatchers, {len(owed.added):,} notices in {len(owed_ids):,} messages,"
        f" server {args.delay * 1000:.0f} ms a message, lease {args.lease:g} s: {seconds:.1f} s;"
        f" statuses {dict(statuses)}; {len(lost)} lost, {len(twice)} sent twice,"
        f" {len(flagged)} flagged"
    )
    if lost or twice:
        sys.exit(1)


if __name__ == "__main__":
    main()
