"""Dispatch throughput to a local SMTP server (aiosmtpd in a process of its own).

Run:  python benchmarks/dispatch.py              (about 3,000 messages)
      python benchmarks/dispatch.py --counties 20

It measures, over one reused connection each:
  smtplib            a trivial message sent N times with plain smtplib (the ceiling)
  smtplib, new conn  the same with a new connection per message
  workplan           dispatch of N real notices: claim, render (Jinja2, zh-CN, text + HTML),
                     compose MIME, send, record each outcome in the database
"""

from __future__ import annotations

import argparse
import smtplib
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from national import phase_load, phase_setup

from workplan.channels.smtp import SmtpChannel, SmtpSettings
from workplan.notices.dispatch import DispatchSettings, dispatch
from workplan.notices.outbox import tick
from workplan.notices.templates import Templates
from workplan.store import db as store

SERVER = """
import asyncio, sys
from aiosmtpd.controller import Controller
class Count:
    n = 0
    async def handle_DATA(self, server, session, envelope):
        Count.n += 1
        return "250 OK"
c = Controller(Count(), hostname="127.0.0.1", port=int(sys.argv[1]))
c.start()
print("ready", flush=True)
sys.stdin.read()
c.stop()
"""


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def plain(port: int, n: int, reuse: bool) -> float:
    body = b"Subject: hello\r\n\r\n" + (b"x" * 70 + b"\r\n") * 30
    started = time.perf_counter()
    smtp = smtplib.SMTP("127.0.0.1", port) if reuse else None
    for _ in range(n):
        if smtp is None:
            with smtplib.SMTP("127.0.0.1", port) as one:
                one.sendmail("a@example.org", ["b@example.org"], body)
        else:
            smtp.sendmail("a@example.org", ["b@example.org"], body)
    if smtp is not None:
        smtp.quit()
    return n / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--counties", type=int, default=100)
    parser.add_argument(
        "--connections", type=int, default=2, help="SMTP connections used in parallel"
    )
    args = parser.parse_args()
    connections = args.connections
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(port)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None and server.stdin is not None
    server.stdout.readline()
    try:
        with tempfile.TemporaryDirectory(prefix="workplan-dispatch-") as scratch:
            url = f"sqlite:///{Path(scratch) / 'dispatch.db'}"
            phase_load(url, args.counties)
            phase_setup(url)
            engine = store.open_store(url)
            day = date(2023, 11, 15)
            with engine.begin() as conn:
                owed = tick(conn, day, datetime(2023, 11, 15, 1, 0, tzinfo=UTC))
            n = len(owed.added)
            ceiling = plain(port, 2000, reuse=True)
            fresh = plain(port, 500, reuse=False)
            channels = [
                SmtpChannel(SmtpSettings("127.0.0.1", port, "none")) for _ in range(connections)
            ]
            started = time.perf_counter()
            result = dispatch(
                engine,
                channels,
                Templates(None),
                now=lambda: datetime(2023, 11, 15, 2, 0, tzinfo=UTC),
                wall=lambda: datetime.now(UTC),
                owner="bench",
                settings=DispatchSettings(batch=500, record_every=200),
            )
            seconds = time.perf_counter() - started
            for channel in channels:
                channel.close()
            engine.dispose()
    finally:
        server.stdin.close()
        server.wait(timeout=30)
    print(f"smtplib, one connection      {ceiling:,.0f} messages/s")
    print(f"smtplib, new connection each  {fresh:,.0f} messages/s")
    print(
        f"workplan, {connections} connection(s)   {result.sent / seconds:,.0f} messages/s "
        f"({result.sent:,} messages for {n:,} notices in {seconds:.2f} s, rendering and recording included)"
    )


if __name__ == "__main__":
    main()
