"""Dispatch throughput against its floor: smtplib and the email package building and sending
the same letters, over one reused connection to a local SMTP server (aiosmtpd, in a process
of its own).

Run:  python benchmarks/dispatch.py                       (100 counties: 1,100 letters)
      python benchmarks/dispatch.py --counties 20 --rounds 5

Each round, pairs interleaved (which goes first alternates), on the same letters:
  workplan   dispatch of the day's notices from a fresh copy of the database: claim, compose
             (the letter rendered once: Jinja2, zh-CN, text and HTML), render the MIME bytes,
             send, keep the message and record each outcome, over ``--connections``
  floor      the letters workplan sent, as the server received them, taken apart beforehand
             (outside the clock) into sender, recipients, subject, Message-ID, text and HTML;
             then, timed, each built again with the email package (EmailMessage, set_content,
             add_alternative) and sent with smtplib's send_message over one connection
It prints each one's letters per second as min / median / max over the rounds, and the
ratio workplan / floor of each round (min / median / max).
"""

from __future__ import annotations

import argparse
import email
import email.policy
import pickle
import shutil
import smtplib
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.message import EmailMessage
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from national import phase_load, phase_setup

from workplan.channels.smtp import SmtpChannel, SmtpSettings
from workplan.notices.dispatch import DispatchSettings, dispatch
from workplan.notices.outbox import tick
from workplan.notices.templates import Templates
from workplan.store import db as store

SERVER = """
import pickle, sys
from aiosmtpd.controller import Controller
class Keep:
    got = []
    async def handle_DATA(self, server, session, envelope):
        Keep.got.append(envelope.original_content)
        return "250 OK"
c = Controller(Keep(), hostname="127.0.0.1", port=int(sys.argv[1]))
c.start()
print("ready", flush=True)
for line in sys.stdin:  # "dump PATH": write what came since the last dump
    with open(line.split(" ", 1)[1].strip(), "wb") as out:
        pickle.dump(Keep.got, out)
    Keep.got = []
    print("dumped", flush=True)
c.stop()
"""


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Letter:
    """A letter as the floor builds it again: its parts, taken apart outside the clock."""

    sender: str
    to: str
    subject: str
    message_id: str
    date: str
    text: str
    html: str


def taken_apart(data: bytes) -> Letter:
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    text, html = parsed.get_body(("plain",)), parsed.get_body(("html",))
    assert text is not None and html is not None
    return Letter(
        str(parsed["From"]),
        str(parsed["To"]),
        str(parsed["Subject"]),
        str(parsed["Message-ID"]),
        str(parsed["Date"]),
        str(text.get_content()),  # type: ignore[attr-defined]
        str(html.get_content()),  # type: ignore[attr-defined]
    )


def floor(port: int, letters: list[Letter]) -> float:
    """Build each letter with the email package and send it with smtplib; letters/s."""
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for one in letters:
            message = EmailMessage()
            message["From"] = one.sender
            message["To"] = one.to
            message["Subject"] = one.subject
            message["Date"] = one.date
            message["Message-ID"] = one.message_id
            message["Auto-Submitted"] = "auto-generated"
            message.set_content(one.text)
            message.add_alternative(one.html, subtype="html")
            smtp.send_message(message)
    return len(letters) / (time.perf_counter() - started)


def workplan(url: str, port: int, connections: int) -> tuple[float, int]:
    """Dispatch the day's notices; letters/s and how many letters."""
    engine = store.open_store(url)
    channels = [SmtpChannel(SmtpSettings("127.0.0.1", port, "none")) for _ in range(connections)]
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
    assert result.sent == result.messages and not result.failed, result
    return result.sent / seconds, result.sent


def spread(values: list[float], unit: str = "") -> str:
    return (
        f"{min(values):,.2f}{unit} / {statistics.median(values):,.2f}{unit} /"
        f" {max(values):,.2f}{unit}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--counties", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--connections", type=int, default=1, help="workplan's SMTP connections in parallel"
    )
    args = parser.parse_args()
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(port)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None and server.stdin is not None
    server.stdout.readline()

    def received(scratch: Path) -> list[bytes]:
        assert server.stdout is not None and server.stdin is not None
        dump = scratch / "received.pickle"
        server.stdin.write(f"dump {dump}\n")
        server.stdin.flush()
        server.stdout.readline()
        got: list[bytes] = pickle.loads(dump.read_bytes())
        return got

    ours: list[float] = []
    floors: list[float] = []
    ratios: list[float] = []
    try:
        with tempfile.TemporaryDirectory(prefix="workplan-dispatch-") as folder:
            scratch = Path(folder)
            template = scratch / "template.db"
            phase_load(f"sqlite:///{template}", args.counties)
            phase_setup(f"sqlite:///{template}")
            engine = store.open_store(f"sqlite:///{template}")
            with engine.begin() as conn:
                owed = tick(conn, date(2023, 11, 15), datetime(2023, 11, 15, 1, 0, tzinfo=UTC))
            engine.dispose()
            # a first run, not counted: it warms up and gives the letters the floor sends
            shutil.copy(template, scratch / "warm.db")
            workplan(f"sqlite:///{scratch / 'warm.db'}", port, args.connections)
            letters = [taken_apart(data) for data in received(scratch)]
            for n in range(args.rounds):
                copy = scratch / f"round{n}.db"
                shutil.copy(template, copy)
                for ours_first in [n % 2 == 0, n % 2 == 1]:
                    if ours_first:
                        rate, sent = workplan(f"sqlite:///{copy}", port, args.connections)
                        assert sent == len(letters)
                        ours.append(rate)
                    else:
                        floors.append(floor(port, letters))
                    received(scratch)
                ratios.append(ours[-1] / floors[-1])
    finally:
        server.stdin.close()
        server.wait(timeout=30)
    print(
        f"{len(letters):,} letters for {len(owed.added):,} notices, {args.rounds} rounds,"
        " pairs interleaved; letters/s min / median / max"
    )
    print(f"floor: email + smtplib, one connection   {spread(floors)}")
    print(f"workplan, {args.connections} connection(s)              {spread(ours)}")
    print(f"ratio workplan / floor                   {spread(ratios, '×')}")


if __name__ == "__main__":
    main()
