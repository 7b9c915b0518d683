"""What an uploaded return form costs, and that the service keeps sending meanwhile.

    .venv/bin/python benchmarks/upload.py            # about a minute
    .venv/bin/python benchmarks/upload.py --runs 9

1. Reading: the worst workbook the department page accepts (a header and 4,999 rows, just
   under the row limit, each row a full report: 事项, 指标, 数值, 日期, 报送单位) and the
   bomb the issue found (600,000 tiny rows), each read as the page reads it
   (``ledger.read_rows`` with the return form's limits), min / median / max.
2. Beside the service: the Banan plan is loaded into a scratch SQLite database and a thread
   uploads the worst accepted workbook through the real pages (Starlette's test client, the
   write in the page's own transaction) again and again, while the main thread runs the
   service's mornings (`workplan run --once --now DAYT09:00 --outbox DIR`) for two weeks of
   June 2023, then the same mornings again with no upload.  It prints each morning's wall
   time (min / median / max) both ways, and how many mornings failed (the issue: "database is
   locked" while a 227 KB upload was parsed for 33-57 s).
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from click.testing import CliRunner  # noqa: E402

from tests.helpers import PLANS, make_site, tiny_rows_xlsx  # noqa: E402
from workplan.cli.commands import cli  # noqa: E402
from workplan.errors import InvalidInput  # noqa: E402
from workplan.store import ledger  # noqa: E402

HEADER = ("事项", "指标", "数值", "日期", "报送单位")


def worst_accepted() -> bytes:
    """A return form of 区财政局 at the row limit: every row a report of item 16's funds."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("报送表")
    sheet.append(list(HEADER))
    for n in range(ledger.RETURN_FORM_LIMITS.rows - 1):
        sheet.append(["16", "central-disbursement", f"{30 + n % 40}%", "2023-06-01", "区财政局"])
    with tempfile.NamedTemporaryFile(suffix=".xlsx") as out:
        book.save(out.name)
        return Path(out.name).read_bytes()


def spread(values: list[float]) -> str:
    return f"{min(values):.3f} / {statistics.median(values):.3f} / {max(values):.3f} s"


def read_once(data: bytes) -> float:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "upload.xlsx"
        path.write_bytes(data)
        start = time.perf_counter()
        with contextlib.suppress(InvalidInput):  # the bomb is refused: the time is the point
            ledger.read_rows(path, "upload.xlsx", ledger.RETURN_FORM_LIMITS)
        return time.perf_counter() - start


def mornings(db: str, outbox: Path, days: list[date]) -> tuple[list[float], int]:
    runner, times, failed = CliRunner(), [], 0
    for day in days:
        start = time.perf_counter()
        result = runner.invoke(
            cli,
            ["run", "--once", "--now", f"{day}T09:00", "--outbox", str(outbox), "--db", db],
        )
        times.append(time.perf_counter() - start)
        failed += result.exit_code != 0
    return times, failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    worst, bomb = worst_accepted(), tiny_rows_xlsx(600_000)
    print(
        f"worst accepted workbook: {len(worst) // 1024} KB, {ledger.RETURN_FORM_LIMITS.rows - 1:,} rows"
    )
    print("  read:", spread([read_once(worst) for _ in range(args.runs)]))
    print(f"bomb: {len(bomb) // 1024} KB, 600,000 rows")
    print("  refused in:", spread([read_once(bomb) for _ in range(args.runs)]))

    days = [date(2023, 6, 5) + timedelta(days=n) for n in range(14)]
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        db = f"sqlite:///{tmp / 'workplan.db'}"
        site = make_site(db, tmp, PLANS / "banan-2023.yaml", date(2023, 6, 5))
        stop, uploads = threading.Event(), []

        def keep_uploading() -> None:
            with site.client:
                site.enter("区财政局")
                while not stop.is_set():
                    start = time.perf_counter()
                    token = site.form()
                    site.client.post(
                        "/d/import",
                        data={"form": token},
                        files={"ledger": ("报送表.xlsx", worst, "application/octet-stream")},
                    )
                    uploads.append(time.perf_counter() - start)

        worker = threading.Thread(target=keep_uploading)
        worker.start()
        try:
            busy, busy_failed = mornings(db, tmp / "outbox", days[:7])
        finally:
            stop.set()
            worker.join()
        quiet, quiet_failed = mornings(db, tmp / "outbox", days[7:])
    print(f"uploads beside the service: {len(uploads)}, each {spread(uploads)}")
    print(f"service mornings during uploads: {spread(busy)}, failed {busy_failed} of {len(busy)}")
    print(
        f"service mornings without:        {spread(quiet)}, failed {quiet_failed} of {len(quiet)}"
    )


if __name__ == "__main__":
    main()
