"""The Banan year's letters as sent, read as the office, a department and the leadership read them.

Run:  .venv/bin/python benchmarks/letters_year.py                      (three scenarios)
      .venv/bin/python benchmarks/letters_year.py --scenario ledger --days 70
      .venv/bin/python benchmarks/letters_year.py --json > letters.json
      .venv/bin/python benchmarks/letters_year.py --keep /tmp/year     (keep databases, outboxes)

Each scenario loads plans/banan-2023.yaml into a scratch SQLite database and starts the service
every morning, as cron would: ``workplan run --once --now DAYT09:00 --outbox DIR --db DB`` (the
CLI's own command, in this process through click; ``--subprocess`` starts a process a day).
The service itself decides what a day is: on a day off it evaluates and sends nothing.

  ledger       plans/banan-2023-ledger.csv imported; every morning 2023-05-09 .. 2024-03-09
  empty        nothing reported; every morning 2023-05-09 .. 2024-03-09
  first-start  the ledger imported, nothing run before 2023-09-25; every morning to 2024-03-09

Then it reads the letters back **as sent**: the .eml files of the outbox (To, Subject, the
text part), and, where the letters cannot tell, the office's record (``workplan notices
--format json``: which obligation each line is about, numbers of letters never sent), the plan
file (office, leadership, directory, number formats, ladder) and the ledger the scenario
imported (what was reported, and when).  Every check is a small pure function over the parsed
letters, in benchmarks/letters_checks.py, so a test can call it on a handful of letters;
tests/test_protocol.py pins the issue's cases with them.  What neither the letters nor the
record can decide is printed as such (lines not matched to a notice, claims not judged).

Time: about 25 s of mornings a scenario in this process (75 s for the three, with the reading
back) on 2 busy cores; ``--subprocess`` takes 1-2 s a morning (a year: several minutes).
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from letters_checks import (
    LEADERSHIP,
    PAGE_CHARS,
    PAGE_LINES,
    Letter,
    PlanFacts,
    Reported,
    Row,
    acts_with_several_numbers,
    by_occurrence,
    by_series,
    cited_not_received,
    display_width,
    due_today_claims,
    group_numbers,
    head_orders,
    lag_without_data,
    lapse_for_shortfall,
    leadership_months,
    lines_per_level,
    missing_benchmark_words,
    natural,
    number_gaps,
    numbers_on_several_acts,
    office_letters,
    per_level,
    per_month,
    per_recipient,
    read_ledger,
    read_outbox,
    read_plan,
    skipped_rungs,
    to_leadership,
    unreported_claims,
    withdrawn_numbers,
)

ROOT = Path(__file__).resolve().parent.parent
PLAN = ROOT / "plans" / "banan-2023.yaml"
LEDGER = ROOT / "plans" / "banan-2023-ledger.csv"

# --------------------------------------------------------------------------------------------
# the scenarios


@dataclass(frozen=True)
class Scenario:
    """One way of running the year: which reports are imported, which mornings run."""

    name: str
    ledger: bool
    first: date
    last: date
    title: str

    def days(self, limit: int | None = None) -> list[date]:
        count = (self.last - self.first).days + 1
        if limit is not None:
            count = min(count, limit)
        return [self.first + timedelta(days=n) for n in range(count)]


SCENARIOS = {
    s.name: s
    for s in (
        Scenario("ledger", True, date(2023, 5, 9), date(2024, 3, 9), "the ledger imported"),
        Scenario("empty", False, date(2023, 5, 9), date(2024, 3, 9), "nothing reported"),
        Scenario(
            "first-start", True, date(2023, 9, 25), date(2024, 3, 9), "the ledger, a first start"
        ),
    )
}

# --------------------------------------------------------------------------------------------
# running the service


class Workplan:
    """The `workplan` command line, in this process (click) or as a process of its own."""

    def __init__(self, processes: bool) -> None:
        self.processes = processes
        self.exe = shutil.which("workplan", path=str(Path(sys.executable).parent)) or "workplan"
        # `run` configures logging at INFO once; a handler here keeps its lines out of the output
        logging.getLogger().addHandler(logging.NullHandler())

    def __call__(self, *args: str) -> str:
        if self.processes:
            done = subprocess.run([self.exe, *args], capture_output=True, text=True, check=False)
            if done.returncode:
                raise SystemExit(f"workplan {' '.join(args)}: {done.stderr or done.stdout}")
            return done.stdout
        from click.testing import CliRunner

        from workplan.cli import cli

        result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
        if result.exit_code:
            raise SystemExit(f"workplan {' '.join(args)}: {result.output}")
        return result.output


@dataclass
class Run:
    scenario: Scenario
    letters: list[Letter]
    rows: list[Row]
    reported: Reported
    mornings: int
    seconds: float


def run_scenario(
    scenario: Scenario, folder: Path, workplan: Workplan, days: int | None, plan_file: Path
) -> Run:
    """Load the plan (and the ledger), start the service each morning, read what it sent."""
    db, outbox = str(folder / "workplan.db"), folder / "outbox"
    workplan("load", str(plan_file), "--db", db)
    if scenario.ledger:
        workplan("progress", "import", str(LEDGER), "--db", db)
    started = time.perf_counter()
    mornings = scenario.days(days)
    for day in mornings:
        workplan("run", "--once", "--now", f"{day}T09:00", "--outbox", str(outbox), "--db", db)
    seconds = time.perf_counter() - started
    record = json.loads(workplan("notices", "--format", "json", "--limit", "100000000", "--db", db))
    rows = [Row.of(r) for r in record]
    plan = read_plan(plan_file)
    letters = read_outbox(outbox, plan, rows) if outbox.exists() else []
    reported = read_ledger(LEDGER) if scenario.ledger else Reported()
    return Run(scenario, letters, rows, reported, len(mornings), seconds)


# --------------------------------------------------------------------------------------------
# the figures


def examples(found: Sequence[object], n: int = 3) -> list[str]:
    return [str(f) for f in found[:n]]


def figures(run: Run, plan: PlanFacts) -> dict[str, Any]:
    """Every figure of one scenario, as JSON-able data."""
    letters, rows, reported = run.letters, run.rows, run.reported
    pattern = plan.number_pattern
    leaders = to_leadership(letters, plan.office, pattern)
    office = office_letters(letters, plan.office)
    office_all = office_letters(letters, plan.office, kinds=sorted({x.kind for x in letters}))
    occ = skipped_rungs(letters, plan.ladder, by_occurrence)
    ser = skipped_rungs(letters, plan.ladder, by_series)
    cites = cited_not_received(letters, pattern)
    lead_cites = cited_not_received(
        [x for x in letters if x.recipient == LEADERSHIP], pattern, leadership=True
    )
    lags, lag_undecided = lag_without_data(letters, plan, reported)
    lapses = lapse_for_shortfall(letters, plan, reported)
    unreported = unreported_claims(letters, plan, reported)
    today = due_today_claims(letters)
    gaps = number_gaps(x.number for x in letters if x.number)
    several = acts_with_several_numbers(letters)
    heads = head_orders(letters)
    heads_bulletin = head_orders(letters, "通报")
    ladder_lines = [
        line
        for x in letters
        for line in x.lines
        if line.level in plan.ladder and x.recipient != LEADERSHIP
    ]
    return {
        "scenario": run.scenario.name,
        "title": run.scenario.title,
        "mornings": run.mornings,
        "first": str(run.scenario.first),
        "seconds": round(run.seconds, 1),
        "letters": len(letters),
        "notices_in_record": len(rows),
        "per_level": dict(per_level(letters).most_common()),
        "lines_per_level": dict(lines_per_level(letters).most_common()),
        "per_month": {m: dict(c) for m, c in per_month(letters).items()},
        "per_recipient": {r: dict(c) for r, c in per_recipient(letters).items()},
        "leadership": {
            "letters": [
                {
                    "day": str(x.day),
                    "kind": x.kind,
                    "number": x.number,
                    "items": x.items,
                    "office_items": x.office_items,
                    "most_cited_in_a_line": x.most_cited,
                    "chars": x.page.chars,
                    "lines": x.page.lines,
                    "rows": x.page.rows,
                    "pages": x.page.pages,
                }
                for x in leaders
            ],
            "per_month": dict(sorted(leadership_months(leaders).items())),
            "months_over_one": sum(c > 1 for c in leadership_months(leaders).values()),
            "over_one_page": sum(x.page.rows > PAGE_LINES for x in leaders),
            "numbered_as": dict(Counter(x.kind for x in leaders)),
            "cites_unreceived_by_leadership": len(lead_cites),
        },
        "office": {
            "name": plan.office,
            "as_recipient": sum(x.shape != "copies" for x in office),
            "own_only": sum(x.shape == "own" for x in office),
            "mixed": sum(x.shape == "mixed" for x in office),
            "copies_only": sum(x.shape == "copies" for x in office),
            "by_kind": {
                k: dict(Counter(x.shape for x in office if x.kind == k)) for k in ("督办", "通报")
            },
            "mixed_any_kind": sum(x.shape == "mixed" for x in office_all),
            "examples": [
                f"{x.day} {x.kind} {x.number}: {x.own} own, {x.others} others'"
                for x in office
                if x.shape != "copies"
            ][:4],
        },
        "rungs_skipped": {
            "ladder": list(plan.ladder),
            "ladder_lines": len(ladder_lines),
            "unmatched_lines": sum(not line.about for line in ladder_lines),
            "by_occurrence": len(occ),
            "by_series": len(ser),
            "first_word": sum(s.first_word for s in occ),
            "by_level": dict(Counter(f"{s.level} without {s.missing}" for s in occ)),
            "recipients": len({s.recipient for s in occ}),
            "examples": examples(occ),
        },
        "cited_not_received": {
            "letters": len({(c.day, c.recipient, c.number) for c in cites}),
            "citations": len(cites),
            "all_citations": sum(
                len(x.cited(pattern)) for x in letters if x.recipient != LEADERSHIP
            ),
            "never_sent": sum(not c.went_to for c in cites),
            "examples": examples(cites),
        },
        "numbers": {
            "series": {
                s: {"highest": max(natural(n)[1] for n in nums) if nums else 0}
                for s, nums in group_numbers(letters).items()
            },
            "gaps": {s: g for s, g in gaps.items() if g},
            "gap_count": sum(len(g) for g in gaps.values()),
            "on_several_acts": numbers_on_several_acts(letters),
            "acts_with_several_numbers": len(several),
            "extra_numbers": sum(len(v) - 1 for v in several.values()),
            "most_numbers_one_act": max((len(v) for v in several.values()), default=1),
            "busiest_act": max(several.items(), key=lambda kv: len(kv[1]), default=("", []))[0],
            "withdrawn": withdrawn_numbers(rows, letters),
            "per_office": "not measured here (one plan): tests/test_protocol.py loads two plans of one office",
        },
        "false_words": {
            "due_today_not_today": len(today),
            "due_today_letters": len({(c.day, c.recipient, c.number) for c in today}),
            "due_today_examples": examples(today),
            "lag_without_data": len(lags),
            "lag_undecided": lag_undecided,
            "lag_examples": examples(lags),
            "lapse_for_shortfall": len(lapses),
            "lapse_examples": examples(lapses),
            "not_reported_but_reported": len(unreported),
            "not_reported_examples": examples(unreported),
            "benchmark_as_not_reported": missing_benchmark_words(letters),
        },
        "heads": {
            "most_督办_to_one_head": heads.most_common(1)[0][1] if heads else 0,
            "督办_to_heads": dict(heads.most_common()),
            "通报_to_heads": dict(heads_bulletin.most_common()),
        },
    }


# --------------------------------------------------------------------------------------------
# printing


def pad(text: str, width: int, right: bool = False) -> str:
    gap = " " * max(0, width - display_width(text))
    return gap + text if right else text + gap


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[str(c) for c in headers], *[[str(c) for c in r] for r in rows]]
    widths = [max(display_width(r[i]) for r in cells) for i in range(len(headers))]
    out = []
    for n, r in enumerate(cells):
        out.append(
            "  ".join(pad(c, widths[i], right=i > 0 and n > 0) for i, c in enumerate(r)).rstrip()
        )
        if n == 0:
            out.append("  ".join("─" * w for w in widths))
    return "\n".join(out)


ORDER = ("工作提醒", "提醒", "提示函", "催办", "督办", "通报", "报告")
"""the kinds of letters in the tables' order: up the ladder, then the report up"""


def print_figures(f: dict[str, Any]) -> None:
    print(
        f"== {f['scenario']}: {f['title']} ({f['mornings']} mornings from {f['first']}, {f['seconds']} s)"
    )
    print(f"{f['letters']} letters carrying {f['notices_in_record']} notices of the record\n")
    kinds = sorted(f["per_level"], key=lambda k: (ORDER.index(k) if k in ORDER else len(ORDER), k))
    print("Letters per month and level (the subject's 【】)")
    months = f["per_month"]
    print(
        table(
            ["month", *kinds, "total"],
            [[m, *(c.get(k, "") for k in kinds), sum(c.values())] for m, c in months.items()]
            + [["total", *(f["per_level"][k] for k in kinds), f["letters"]]],
        )
    )
    print("\nLines per rung: " + ", ".join(f"{k} {v}" for k, v in f["lines_per_level"].items()))
    print("\nLetters per recipient")
    print(
        table(
            ["recipient", *kinds, "total"],
            [
                [r, *(c.get(k, "") for k in kinds), sum(c.values())]
                for r, c in f["per_recipient"].items()
            ],
        )
    )
    lead = f["leadership"]
    print(
        f"\nTo the leadership: {len(lead['letters'])} letters, numbered as "
        f"{lead['numbered_as'] or '–'}; months with more than one: {lead['months_over_one']}; "
        f"over one page ({PAGE_LINES} rows of {PAGE_CHARS} characters): {lead['over_one_page']}"
    )
    if lead["letters"]:
        print(
            table(
                [
                    "day",
                    "number",
                    "items",
                    "office's",
                    "most cited",
                    "chars",
                    "lines",
                    "rows",
                    "pages",
                ],
                [
                    [
                        x["day"],
                        x["number"] or "–",
                        x["items"],
                        x["office_items"],
                        x["most_cited_in_a_line"],
                        x["chars"],
                        x["lines"],
                        x["rows"],
                        x["pages"],
                    ]
                    for x in lead["letters"]
                ],
            )
        )
    o = f["office"]
    print(
        f"\nThe office ({o['name']}) as a 督办/通报 recipient: {o['as_recipient']} letters "
        f"({o['own_only']} of its own items only, {o['mixed']} mixed with others' items); "
        f"{o['copies_only']} copies-only summaries numbered as 督办/通报; by kind {o['by_kind']}; "
        f"letters of any kind to it mixing others' items: {o['mixed_any_kind']}"
    )
    for e in o["examples"]:
        print(f"  {e}")
    r = f["rungs_skipped"]
    print(
        f"\nRungs skipped (ladder {'→'.join(r['ladder'])}; {r['ladder_lines']} own ladder lines, "
        f"{r['unmatched_lines']} not matched to the record and not judged): "
        f"{r['by_occurrence']} by occurrence, {r['by_series']} by series; "
        f"{r['first_word']} were the first word to the recipient about it; "
        f"{r['recipients']} recipients; {r['by_level']}"
    )
    for e in r["examples"]:
        print(f"  {e}")
    c = f["cited_not_received"]
    print(
        f"\nCited documents the addressee never received: {c['citations']} of "
        f"{c['all_citations']} citations, in {c['letters']} letters ({c['never_sent']} never "
        f"sent to anyone); the leadership's report: {lead['cites_unreceived_by_leadership']} "
        "(allowed: it lists what was issued)"
    )
    for e in c["examples"]:
        print(f"  {e}")
    n = f["numbers"]
    series = ", ".join(f"{s} (to {v['highest']})" for s, v in n["series"].items())
    print(f"\n文号: series {series or '–'}")
    print(
        f"  gaps: {n['gap_count']} {n['gaps'] or ''}; numbers given to several acts: "
        f"{len(n['on_several_acts'])}; withdrawn numbers: {len(n['withdrawn'])} {n['withdrawn'][:8] or ''}"
    )
    print(
        f"  one day's 通报 under several numbers: {n['acts_with_several_numbers']} days, "
        f"{n['extra_numbers']} numbers beyond one per act; at most {n['most_numbers_one_act']} "
        f"({n['busiest_act'] or '–'}); series per office: {n['per_office']}"
    )
    w = f["false_words"]
    print("\nWords against the facts")
    print(
        f"  今天到期 not on the due day: {w['due_today_not_today']} lines in "
        f"{w['due_today_letters']} letters"
    )
    for e in w["due_today_examples"]:
        print(f"    {e}")
    print(
        f"  进度滞后/预计/落后 with nothing reported: {w['lag_without_data']} lines "
        f"({w['lag_undecided']} undecided: no metric matched)"
    )
    for e in w["lag_examples"]:
        print(f"    {e}")
    print(
        f"  逾期未办/请立即办理 about a figure reported on time (a shortfall): {w['lapse_for_shortfall']}"
    )
    for e in w["lapse_examples"]:
        print(f"    {e}")
    print(f"  尚未报送 about something reported: {w['not_reported_but_reported']}")
    for e in w["not_reported_examples"]:
        print(f"    {e}")
    print(f"  a missing benchmark worded 尚未报送: {w['benchmark_as_not_reported']} lines")
    h = f["heads"]
    print(
        f"\n督办 to a department's head: at most {h['most_督办_to_one_head']} to one head; "
        f"{h['督办_to_heads']}"
    )
    print(f"通报 to heads: {h['通报_to_heads']}\n")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--scenario",
        action="append",
        choices=sorted(SCENARIOS),
        help="run only this scenario (repeatable) [default: all three]",
    )
    parser.add_argument("--days", type=int, help="only the first N mornings of each scenario")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--keep", type=Path, help="keep each scenario's database and outbox here")
    parser.add_argument(
        "--subprocess",
        action="store_true",
        help="start `workplan run --once` as a process each day",
    )
    parser.add_argument("--plan", type=Path, default=PLAN, help="the plan file [default: Banan]")
    args = parser.parse_args()
    workplan = Workplan(args.subprocess)
    plan = read_plan(args.plan)
    out = []
    for name in args.scenario or list(SCENARIOS):
        with tempfile.TemporaryDirectory(prefix=f"letters-{name}-") as scratch:
            folder = (args.keep / name) if args.keep else Path(scratch)
            if args.keep:
                shutil.rmtree(folder, ignore_errors=True)
                folder.mkdir(parents=True)
            run = run_scenario(SCENARIOS[name], folder, workplan, args.days, args.plan)
            found = figures(run, plan)
        out.append(found)
        if not args.json:
            print_figures(found)
            sys.stdout.flush()
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
