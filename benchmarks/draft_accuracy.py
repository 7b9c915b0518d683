"""How close `workplan draft` of the Banan notice (seed 003) comes to the hand-written plan.

Run:  python benchmarks/draft_accuracy.py            (the figures)
      python benchmarks/draft_accuracy.py --list     (and every explicit obligation, matched or not)

It drafts plans/banan-2023-notice.txt against plans/banan-departments.yaml and compares the
draft with plans/banan-2023.yaml:
  items found          items of the same number in both
  department lists     items whose departments (lead and co, as a set) are the same
  explicit obligations the hand-written plan's obligations whose date or cadence the text
                       states (recurring duties, deliverables due on a stated period, dated
                       checkpoints, metrics held every period), drafted in the same item with
                       the same due date or cadence and the same owners (as a set; an
                       obligation without owners is owned by its item's departments)
  values flagged       the draft's 待定 and 待确认 marks
  unflagged dates      dates the draft wrote without a mark that are no date the hand-written
                       plan gives anything in that item (deliverable, target or checkpoint,
                       the year's end for those it leaves to the default): want 0
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from workplan.plan.draft.make import draft_document
from workplan.plan.draft.pending import CONFIRM, PENDING
from workplan.plan.periods import resolve_due

ROOT = Path(__file__).resolve().parent.parent
NOTICE = ROOT / "plans" / "banan-2023-notice.txt"
PLAN = ROOT / "plans" / "banan-2023.yaml"
DIRECTORY = ROOT / "plans" / "banan-departments.yaml"
YEAR = 2023


def _day(value: Any) -> date | None:
    if value is None or value == PENDING:
        return None
    if isinstance(value, date):
        return value
    return resolve_due(str(value), YEAR).due


def _canonical() -> dict[str, str]:
    """Each name or alias of the directory → the directory's name (区大数据局 = 区大数据发展局)."""
    data = yaml.safe_load(DIRECTORY.read_text(encoding="utf-8"))
    return {n: d["name"] for d in data["departments"] for n in (d["name"], *d.get("aliases", []))}


CANONICAL = _canonical()


def _names(values: Any) -> frozenset[str]:
    if isinstance(values, str):
        values = [values]
    names = (str(v).removeprefix(CONFIRM) for v in values or [])
    return frozenset(CANONICAL.get(n, n) for n in names)


def _tasks(data: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {t["number"]: t for c in data["chapters"] for t in c["tasks"]}


def _explicit(task: dict[str, Any]) -> list[tuple[str, Any, frozenset[str], str]]:
    """The obligations of a task whose date or cadence the text states: (kind, when, owners,
    title)."""
    owners = _names(task.get("lead")) | _names(task.get("co"))
    out = []
    for r in task.get("recurring", []):
        out.append(("every", r["every"], _names(r.get("owners")) or owners, r["title"]))
    for d in task.get("deliverables", []):
        if d.get("due") not in (None, "year-end"):
            out.append(("due", _day(d["due"]), _names(d.get("owners")) or owners, d["title"]))
    for m in task.get("metrics", []):
        who = _names(m.get("owners")) or owners
        for c in m.get("checkpoints", []):
            out.append(("checkpoint", _day(c["by"]), who, m["title"]))
        if m.get("every"):
            out.append(("held", m["every"], who, m["title"]))
    return out


def _dates(task: dict[str, Any], default: Any) -> set[date | None]:
    """Every date a task of the hand-written plan gives anything."""
    found: set[date | None] = set()
    for d in task.get("deliverables", []):
        found.add(_day(d.get("due", default)))
    for m in task.get("metrics", []):
        found.add(_day(m.get("by", "year-end")))
        found |= {_day(c["by"]) for c in m.get("checkpoints", [])}
    return found


def _emitted(task: dict[str, Any]) -> list[tuple[date, str]]:
    """The dates a drafted task writes without a mark."""
    out = []
    for d in task.get("deliverables", []):
        if d.get("due") not in (None, PENDING):
            out.append((_day(d["due"]), d["title"]))
    for m in task.get("metrics", []):
        if m.get("by") not in (None, PENDING):
            out.append((_day(m["by"]), m["title"]))
        out += [(_day(c["by"]), m["title"]) for c in m.get("checkpoints", [])]
    return [(d, t) for d, t in out if d is not None]


def measure(show: bool = False) -> dict[str, tuple[int, int]]:
    """Draft the notice, compare it with the plan, and return each figure as (got, of)."""
    drafted = draft_document(NOTICE, DIRECTORY, PLAN)
    draft = yaml.safe_load(drafted.text)
    plan = yaml.safe_load(PLAN.read_text(encoding="utf-8"))
    mine, theirs = _tasks(draft), _tasks(plan)
    same_items = sorted(set(mine) & set(theirs))
    same_owners = [
        n
        for n in same_items
        if _names(mine[n].get("lead")) | _names(mine[n].get("co"))
        == _names(theirs[n].get("lead")) | _names(theirs[n].get("co"))
    ]
    matched = timed = total = 0
    for n in sorted(theirs):
        got = _explicit(mine.get(n, {}))
        for kind, when, owners, title in _explicit(theirs[n]):
            total += 1
            hit = (kind, when, owners) in {(k, w, o) for k, w, o, _ in got}
            on_time = (kind, when) in {(k, w) for k, w, _, _ in got}
            matched += hit
            timed += on_time
            if show:
                said = "ok  " if hit else ("OWNERS" if on_time else "MISS")
                print(f"  {said} （{n}） {kind} {when} {title}")
    differ = []
    for n in same_items:
        known = _dates(theirs[n], plan.get("default_due"))
        differ += [(n, d, t) for d, t in _emitted(mine[n]) if d not in known]
    if show:
        for n, d, t in differ:
            print(f"  DIFFERS （{n}） {d} {t}")
    return {
        "items found": (len(same_items), len(theirs)),
        "department lists": (len(same_owners), len(theirs)),
        "explicit obligations, same due or cadence": (timed, total),
        "explicit obligations, and same owners": (matched, total),
        "values flagged": (drafted.flags, 0),
        "unflagged dates that differ": (len(differ), 0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true", help="list every explicit obligation")
    figures = measure(show=parser.parse_args().list)
    for name, (got, of) in figures.items():
        if name in ("values flagged", "unflagged dates that differ"):
            print(f"{name:42} {got}")
        else:
            print(f"{name:42} {got}/{of} ({100 * got / of:.0f}%)")


if __name__ == "__main__":
    main()
