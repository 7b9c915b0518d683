"""Write a plan as YAML text a clerk edits: block style, Chinese as is, a comment beside a value.

PyYAML cannot write comments; the draft's comments (where each value came from, what is left
to decide) are its point, so the few forms a plan needs are written here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import yaml


@dataclass
class Val:
    """A scalar, or a short list written in flow style, with a comment."""

    value: Any
    note: str = ""


@dataclass
class Text:
    """A long text, written as a literal block (``|-``)."""

    value: str


@dataclass
class Map:
    """An ordered mapping, with a comment on its first line when it is a list item."""

    items: list[tuple[str, Any]] = field(default_factory=list)
    note: str = ""

    def add(self, key: str, value: Any, note: str = "") -> None:
        self.items.append(
            (key, value if isinstance(value, Val | Map | Text | list) else Val(value, note))
        )
        if isinstance(value, Val | Map) and note:
            value.note = note


def scalar(value: Any) -> str:
    """Return ``value`` as a YAML scalar: plain where that reads back the same, else quoted."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, int | date):
        return str(value) if not isinstance(value, date) else value.isoformat()
    text = str(value)
    plain = "#" not in text and "\n" not in text and text == text.strip() and text != ""
    if plain:
        try:
            plain = yaml.safe_load(f"k: {text}") == {"k": text}
        except yaml.YAMLError:
            plain = False
    return text if plain else json.dumps(text, ensure_ascii=False)


def _flow(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_flow(v)}" for k, v in value.items()) + "}"
    return scalar(value)


def _comment(note: str) -> str:
    return f"  # {' '.join(note.split())}" if note else ""


def _lines(node: Map, indent: int, first_prefix: str = "") -> list[str]:
    out: list[str] = []
    pad = " " * indent
    for n, (key, value) in enumerate(node.items):
        lead = first_prefix if n == 0 and first_prefix else pad
        note = node.note if n == 0 and first_prefix else ""
        if isinstance(value, Val):
            text = f"{lead}{key}: {_flow(value.value)}"
            out.append(text + _comment(" ".join(x for x in (value.note, note) if x)))
        elif isinstance(value, Text):
            out.append(f"{lead}{key}: |-" + _comment(note))
            out += [f"{pad}  {line}" if line else "" for line in value.value.split("\n")]
        elif isinstance(value, Map):
            out.append(f"{lead}{key}:" + _comment(" ".join(x for x in (value.note, note) if x)))
            out += _lines(value, indent + 2)
        else:  # a list of mappings
            out.append(f"{lead}{key}:" + _comment(note))
            for item in value:
                out += _lines(item, indent + 4, first_prefix=f"{pad}  - ")
    return out


def emit(plan: Map, header: list[str]) -> str:
    """Return the YAML text of ``plan`` with ``header`` as comment lines above it."""
    return "\n".join([*(f"# {line}" if line else "#" for line in header), *_lines(plan, 0)]) + "\n"
