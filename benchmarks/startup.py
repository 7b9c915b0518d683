"""How long a command takes from the shell prompt: start-up plus the work, median of runs.

    .venv/bin/python benchmarks/startup.py                 # this checkout's `workplan`
    .venv/bin/python benchmarks/startup.py --runs 21
    .venv/bin/python benchmarks/startup.py --workplan /other/checkout/.venv/bin/workplan

Each command runs as a new process, as a clerk or cron would start it.  The Banan plan and its
ledger are loaded once into a scratch database first.  `python -c pass` is the floor.
"""

from __future__ import annotations

import argparse
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


def timed(command: list[str], runs: int) -> float:
    """Return the median wall time of ``runs`` runs of ``command``, in seconds."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=11, help="runs per command (median)")
    parser.add_argument(
        "--workplan",
        default=shutil.which("workplan", path=str(Path(sys.executable).parent)) or "workplan",
        help="the workplan executable to time [default: the one beside this Python]",
    )
    args = parser.parse_args()
    exe = args.workplan
    with tempfile.TemporaryDirectory(prefix="workplan-startup-") as scratch:
        db = str(Path(scratch) / "workplan.db")
        subprocess.run([exe, "load", str(PLAN), "--db", db], check=True, capture_output=True)
        subprocess.run(
            [exe, "progress", "import", str(LEDGER), "--db", db], check=True, capture_output=True
        )
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "workplan --help": [exe, "--help"],
            "workplan status --help": [exe, "status", "--help"],
            "workplan validate plans/banan-2023.yaml": [exe, "validate", str(PLAN)],
            "workplan status (Banan, 3 July 2023)": [
                exe,
                "status",
                "--as-of",
                "2023-07-03",
                "--db",
                db,
            ],
        }
        print(f"median of {args.runs} runs each, {exe}")
        for name, command in commands.items():
            print(f"  {name:<42} {timed(command, args.runs):6.3f} s")


if __name__ == "__main__":
    main()
