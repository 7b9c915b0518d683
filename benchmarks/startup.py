"""How long a command takes from the shell prompt: start-up plus the work, against floors.

    .venv/bin/python benchmarks/startup.py                 # this checkout's `workplan`
    .venv/bin/python benchmarks/startup.py --runs 21
    .venv/bin/python benchmarks/startup.py --workplan /other/checkout/.venv/bin/workplan

Each command runs as a new process, as a clerk or cron would start it.  The demo database is
made first (`workplan demo`: the Banan plan, its ledger, the demo's mornings and letters).
The commands run in rounds, each round every command once in turn (A B C … A B C …), after
one round not counted, so a machine whose speed drifts slows them all alike; each command's
time, wall and processor (user + system, as the kernel counts it: what a loaded machine
stretches least), is given as min / median / max, and as its ratio, round by round, to two floors:
`python -c pass` (the interpreter alone) and `python -c "import sqlalchemy"` (what any command
that opens the database imports before it does anything).

The package's modules are compiled to bytecode first: with PYTHONDONTWRITEBYTECODE set, as on
some machines, every run would otherwise compile them anew, which no installed copy does.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLAN = ROOT / "plans" / "banan-2023.yaml"
LEDGER = ROOT / "plans" / "banan-2023-ledger.csv"
FLOOR, SQLALCHEMY = "python -c pass", "python -c 'import sqlalchemy'"


def timed(command: list[str], cwd: str) -> tuple[float, float]:
    """Run ``command``; return its wall time and the processor time it used (user + system,
    as the kernel counted it for the process), in seconds."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise subprocess.CalledProcessError(process.returncode, command)
    return wall, usage.ru_utime + usage.ru_stime


def spread(values: list[float], digits: int = 3) -> str:
    return " / ".join(
        f"{v:.{digits}f}" for v in (min(values), statistics.median(values), max(values))
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=11, help="rounds counted")
    parser.add_argument(
        "--workplan",
        default=shutil.which("workplan", path=str(Path(sys.executable).parent)) or "workplan",
        help="the workplan executable to time [default: the one beside this Python]",
    )
    args = parser.parse_args()
    exe = args.workplan
    package = Path(
        subprocess.run(
            [str(Path(exe).with_name("python")), "-c", "import workplan; print(workplan.__file__)"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    ).parent
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], check=True)
    with tempfile.TemporaryDirectory(prefix="workplan-startup-") as scratch:
        demo = Path(scratch) / "demo"
        subprocess.run(
            [exe, "demo", "--plan-file", str(PLAN), "--ledger", str(LEDGER), "--dir", str(demo)],
            check=True,
            capture_output=True,
            cwd=scratch,
        )
        db = str(demo / "workplan.db")
        brief = str(Path(scratch) / "brief.html")
        commands = {
            FLOOR: [sys.executable, "-c", "pass"],
            SQLALCHEMY: [sys.executable, "-c", "import sqlalchemy"],
            "workplan --help": [exe, "--help"],
            "workplan status --help": [exe, "status", "--help"],
            "workplan validate plans/banan-2023.yaml": [exe, "validate", str(PLAN)],
            "workplan status (the demo, 3 July 2023)": (
                [exe, "status", "--as-of", "2023-07-03", "--db", db]
            ),
            "workplan brief --month 2023-07 -o x.html": (
                [exe, "brief", "--month", "2023-07", "-o", brief, "--db", db]
            ),
        }
        walls: dict[str, list[float]] = {name: [] for name in commands}
        cpus: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs + 1):
            for name, command in commands.items():
                wall, cpu = timed(command, scratch)
                walls[name].append(wall)
                cpus[name].append(cpu)
    print(f"{args.runs} rounds (after one not counted), {exe}; min / median / max")
    for label, times in (("wall", walls), ("processor (user + system)", cpus)):
        times = {name: runs[1:] for name, runs in times.items()}
        print(f"{label} time:")
        print(f"  {'command':<42} {'seconds':<23} {'/ python -c pass':<20} / import sqlalchemy")
        for name, runs in times.items():
            floor = [r / f for r, f in zip(runs, times[FLOOR], strict=True)]
            alchemy = [r / f for r, f in zip(runs, times[SQLALCHEMY], strict=True)]
            print(f"  {name:<42} {spread(runs):<23} {spread(floor, 1):<20} {spread(alchemy, 2)}")


if __name__ == "__main__":
    main()
