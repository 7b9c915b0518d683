"""What a draft leaves for the office: ``待定`` (a value to decide) and ``待确认：X`` (a drafted
guess to confirm).  A plan holding either is refused by validation, one line per mark, until
the office has decided each; the rest of the plan is still checked meanwhile."""

from __future__ import annotations

from datetime import date
from typing import Any

from workplan.errors import Problem
from workplan.plan.yamlsource import PathKey, Source

PENDING = "待定"
CONFIRM = "待确认："

# What validation reads in place of a mark while it checks the rest of the plan: a value of
# the right form for each key a draft marks (a stand-in, never written anywhere).
_STAND_IN: dict[str, Any] = {
    "due": "year-end",
    "by": "year-end",
    "default_due": "year-end",
    "every": "month",
    "review": "quarter",
    "within": "1 working day",
    "target": 100,
    "email": "pending@example.org",
    "terms": [],
    "id": "pending",
}


def _marked(value: Any) -> bool:
    return isinstance(value, str) and (value.strip() == PENDING or value.startswith(CONFIRM))


def _comment(text_lines: list[str], line: int) -> str:
    """Return the comment on a line of the plan (the draft's note), without the '#'."""
    if not 0 < line <= len(text_lines):
        return ""
    text = text_lines[line - 1]
    at = text.find("  # ")
    return " ".join(text[at + 4 :].split()) if at != -1 else ""


def marks(source: Source, text: str) -> list[Problem]:
    """Return one problem per 待定 or 待确认 mark in a parsed plan, with the note beside it."""
    found: list[Problem] = []
    lines = text.splitlines()

    def walk(value: Any, path: PathKey) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, (*path, k))
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(v, (*path, i))
        elif _marked(value):
            problem = source.problem(path, "")
            note = _comment(lines, problem.line)
            if value.startswith(CONFIRM):
                what = value.removeprefix(CONFIRM)
                message = f"待确认: '{what}' was drafted for the office to confirm: delete 待确认： to accept it, or write the right value"
            else:
                message = "待定: left for the office to decide: write the value"
            if note:
                message += f" ({note})"
            found.append(
                Problem(problem.file, problem.line, problem.column, problem.field, message)
            )

    walk(source.data, ())
    return found


def stand_in(data: Any, key: str | int = "", year: Any = None) -> Any:
    """Return ``data`` with each mark replaced by a stand-in, so the rest can be checked."""
    if isinstance(data, dict):
        year = data.get("year", year) if not key else year
        return {k: stand_in(v, k, year) for k, v in data.items()}
    if isinstance(data, list):
        return [stand_in(v, key, year) for v in data]
    if key == "terms" and _marked(data) and isinstance(year, int):
        return [{"name": PENDING, "start": date(year, 1, 1), "end": date(year, 12, 31)}]
    if isinstance(data, str) and data.startswith(CONFIRM):
        return data.removeprefix(CONFIRM)
    if _marked(data):
        return _STAND_IN.get(str(key), "pending")
    return data
