"""The pages under load: requests a second and latency at 1, 10 and 50 clients, against a bare
Starlette page on the same server.

    .venv/bin/python benchmarks/pages.py                      # demo database, 5 s a step
    .venv/bin/python benchmarks/pages.py --seconds 10 --clients 1,10,50 --rounds 3

The demo database is made first (`workplan demo`). `workplan serve --as-of 2023-07-03` then
runs in a process of its own, as an office runs it (uvicorn, one worker, on 127.0.0.1), and
so does the floor: a Starlette application with one route answering a short HTML page, served
by uvicorn with the same options.  Each step opens N keep-alive connections and sends GETs on
each, one after another, for the given seconds (plain asyncio streams in this process: the
load generator itself costs little of the two cores it shares with the server).  Pages:

  /d            区财政局's page (its cookie from a link, as a letter's link gives it)
  /office       the office's dashboard (its cookie from a sign-in)
  floor         the bare page

Each line gives requests a second, p50 and p99 latency, the ratio of the page's requests a
second to the floor's at the same number of clients, the server's processor time a request
and the floor's over the page's (the figure a loaded machine stretches least).  With
``--rounds N`` the steps run N times, floor and pages in turn each time, and each figure is
the median of the rounds, the ratios with their min-max.  The load average is printed
before and after: the machine may be shared.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORKPLAN = Path(sys.executable).parent / "workplan"
SECRET = "benchmark-secret-0123456789abcdef"
PASSWORD = "benchmark-pass"

FLOOR = """
import uvicorn
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

async def page(request):
    return HTMLResponse("<!doctype html><title>ok</title><p>ok</p>")

uvicorn.run(Starlette(routes=[Route("/", page)]), host="127.0.0.1", port={port},
            access_log=False, log_level="warning")
"""


TICKS = os.sysconf("SC_CLK_TCK")


def cpu(pid: int) -> float:
    """Return the processor time a process has used (user + system), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(port: int) -> None:
    for _ in range(200):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"nothing answers on port {port}")


async def _request(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, raw: bytes
) -> tuple[int, bytes, dict[str, str]]:
    writer.write(raw)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers: dict[str, str] = {}
    cookies = []
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
            if k.strip().lower() == "set-cookie":
                cookies.append(v.strip().split(";")[0])
    headers["cookies"] = "; ".join(cookies)
    length = int(headers.get("content-length", "0"))
    body = await reader.readexactly(length) if length else b""
    return status, body, headers


def _get(port: int, path: str, cookie: str = "") -> bytes:
    extra = f"Cookie: {cookie}\r\n" if cookie else ""
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{extra}\r\n".encode()


async def _one(port: int, raw: bytes) -> tuple[int, bytes, dict[str, str]]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        return await _request(reader, writer, raw)
    finally:
        writer.close()


async def _client(port: int, raw: bytes, until: float, latencies: list[float]) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    errors = 0
    try:
        while time.perf_counter() < until:
            start = time.perf_counter()
            status, _, _ = await _request(reader, writer, raw)
            latencies.append(time.perf_counter() - start)
            errors += status != 200
    finally:
        writer.close()
    return errors


async def load(
    port: int, pid: int, raw: bytes, clients: int, seconds: float
) -> tuple[float, float, float, float, int]:
    """Return requests a second, p50 and p99 latency, the server's processor time a
    request, and the errors."""
    latencies: list[float] = []
    await asyncio.gather(
        *(_client(port, raw, time.perf_counter() + 0.5, []) for _ in range(clients))
    )
    used = cpu(pid)
    until = time.perf_counter() + seconds
    errors = await asyncio.gather(*(_client(port, raw, until, latencies) for _ in range(clients)))
    used = cpu(pid) - used
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return (
        len(latencies) / seconds, statistics.median(ordered), p99, used / len(latencies),
        sum(errors),
    )  # fmt: skip


def _mid(runs: list[tuple[float, float, float, float, int]], field: int) -> float:
    return statistics.median(r[field] for r in runs)


def _spread(ratios: list[float]) -> str:
    """A ratio's median, with its min-max when there were several rounds."""
    mid = statistics.median(ratios)
    if len(ratios) == 1:
        return f"{mid:.3f}"
    return f"{mid:.3f} ({min(ratios):.3f}-{max(ratios):.3f})"


def cookies(port: int, db: str) -> tuple[str, str]:
    env = {**os.environ, "WORKPLAN_LINK_SECRET": SECRET}
    link = subprocess.run(
        [str(WORKPLAN), "links", "new", "--department", "区财政局", "--base-url",
         f"http://127.0.0.1:{port}", "--db", db],
        capture_output=True, text=True, check=True, env=env,
    ).stdout.split()[-1]  # fmt: skip
    path = link.split(f":{port}", 1)[1]
    _, _, headers = asyncio.run(_one(port, _get(port, path)))
    department = headers["cookies"]
    _, page, headers = asyncio.run(_one(port, _get(port, "/office/login")))
    pre = headers["cookies"]
    token = re.findall(rb'name="form" value="([^"]+)"', page)[0].decode()
    body = f"form={token}&password={PASSWORD}".encode()
    raw = (
        f"POST /office/login HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: {pre}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    status, _, headers = asyncio.run(_one(port, raw))
    assert status == 303, status
    return department, headers["cookies"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", default="1,10,50")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    steps = [int(n) for n in args.clients.split(",")]

    folder = Path(tempfile.mkdtemp(prefix="workplan-pages-"))
    servers = []
    try:
        subprocess.run(
            [str(WORKPLAN), "demo", "--plan-file", str(ROOT / "plans" / "banan-2023.yaml"),
             "--ledger", str(ROOT / "plans" / "banan-2023-ledger.csv")],
            cwd=folder, check=True, capture_output=True,
        )  # fmt: skip
        db = str(folder / "demo" / "workplan.db")
        hashed = subprocess.run(
            [str(WORKPLAN), "password-hash", "--password", PASSWORD],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        page_port, floor_port = free_port(), free_port()
        env = {
            **os.environ,
            "WORKPLAN_LINK_SECRET": SECRET,
            "WORKPLAN_OFFICE_PASSWORD_HASH": hashed,
        }
        servers.append(
            subprocess.Popen(
                [
                    str(WORKPLAN),
                    "serve",
                    "--db",
                    db,
                    "--as-of",
                    "2023-07-03",
                    "--port",
                    str(page_port),
                    "--files",
                    str(folder / "evidence"),
                ],
                cwd=folder,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        servers.append(
            subprocess.Popen(
                [sys.executable, "-c", FLOOR.format(port=floor_port)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        wait_for(page_port)
        wait_for(floor_port)
        department, office = cookies(page_port, db)
        page_pid, floor_pid = servers[0].pid, servers[1].pid
        print(f"load average before: {os.getloadavg()[0]:.1f}")
        print(
            f"{'page':8} {'clients':>7} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7}"
            f" {'/ floor (min-max)':>19} {'cpu ms':>7} {'floor cpu / cpu (min-max)':>27} errors"
        )
        pages = (
            ("/d", _get(page_port, "/d", department)),
            ("/office", _get(page_port, "/office", office)),
        )
        for clients in steps:
            runs: dict[str, list[tuple[float, float, float, float, int]]] = {}
            for _ in range(args.rounds):
                floor = asyncio.run(
                    load(floor_port, floor_pid, _get(floor_port, "/"), clients, args.seconds)
                )
                runs.setdefault("floor", []).append(floor)
                for name, raw in pages:
                    got = asyncio.run(load(page_port, page_pid, raw, clients, args.seconds))
                    runs.setdefault(name, []).append(got)
            floors = runs["floor"]
            for name, _ in pages:
                seen = runs[name]
                rate = [g[0] / f[0] for g, f in zip(seen, floors, strict=True)]
                used = [f[3] / g[3] for g, f in zip(seen, floors, strict=True)]
                print(
                    f"{name:8} {clients:7} {_mid(seen, 0):7.1f} {_mid(seen, 1) * 1000:7.1f}"
                    f" {_mid(seen, 2) * 1000:7.1f} {_spread(rate):>19}"
                    f" {_mid(seen, 3) * 1000:7.2f} {_spread(used):>27} {sum(g[4] for g in seen)}"
                )
            print(
                f"{'floor':8} {clients:7} {_mid(floors, 0):7.1f} {_mid(floors, 1) * 1000:7.1f}"
                f" {_mid(floors, 2) * 1000:7.1f} {'':19} {_mid(floors, 3) * 1000:7.2f}"
            )
        print(f"load average after: {os.getloadavg()[0]:.1f}")
    finally:
        for server in servers:
            server.terminate()
            server.wait()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
