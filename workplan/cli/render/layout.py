"""Tables for a terminal: columns wrapped and aligned with Chinese text (two cells a character)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rich.cells import cell_len


@dataclass(frozen=True)
class Column:
    header: str
    right: bool = False
    keep: bool = False
    """Never wrapped while the others can give way: ids, dates, counts."""


_TOKEN = re.compile(
    r"[（“‘《(]*[^\s!-~][）”’》)，、。：；！？]*|[!-~]+[）”’》，、。：；！？]*|\s+|.", re.DOTALL
)
"""One Chinese character with the brackets and punctuation that must stay beside it, a run of
printable ASCII (a word, a date, a number), or a run of spaces."""


def wrap(text: str, width: int) -> list[str]:
    """Break text into lines of at most ``width`` terminal cells.

    Chinese text breaks between any two characters, Latin words and numbers at spaces;
    a word longer than the line is folded.
    """
    if width <= 0 or cell_len(text) <= width:
        return [text]
    lines: list[str] = []
    line = ""
    for token in _TOKEN.findall(text):
        if cell_len(line) + cell_len(token) <= width:
            line += token
            continue
        if token.isspace():
            lines.append(line.rstrip())
            line = ""
            continue
        if line.strip():
            lines.append(line.rstrip())
        line = ""
        for char in token:
            if cell_len(line) + cell_len(char) > width:
                lines.append(line)
                line = ""
            line += char
    if line.strip() or not lines:
        lines.append(line.rstrip())
    return lines


def _widths(natural: list[int], keep: list[bool], room: int, least: list[int]) -> list[int]:
    """Share ``room`` cells among columns: kept ones whole, the rest as evenly as they need.

    No column gets less than ``least`` (its header) nor less than four cells.
    """
    if sum(natural) <= room:
        return natural
    floor = 4
    widths = list(natural)
    flexible = [i for i, k in enumerate(keep) if not k]
    left = room - sum(natural[i] for i, k in enumerate(keep) if k)
    if left < floor * len(flexible):
        flexible = list(range(len(natural)))
        left = room
    # water-filling: the narrowest columns get what they need, the widest share the rest
    for n, i in enumerate(sorted(flexible, key=lambda i: natural[i])):
        share = max(floor, least[i], left // (len(flexible) - n))
        widths[i] = min(natural[i], share)
        left -= widths[i]
    return widths


def grid(
    title: str, columns: Sequence[Column], rows: Sequence[Sequence[str]], width: int | None
) -> str:
    """Lay out a table: full values when ``width`` is None, else wrapped to ``width`` cells.

    No column is dropped or cut short; lines carry no trailing spaces.
    """
    gap = 2
    natural = [
        max([cell_len(c.header)] + [cell_len(r[i]) for r in rows]) for i, c in enumerate(columns)
    ]
    widths = natural
    if width is not None:
        widths = _widths(
            natural,
            [c.keep for c in columns],
            width - gap * (len(columns) - 1),
            [cell_len(c.header) for c in columns],
        )

    def line(cells: Sequence[str]) -> list[str]:
        parts = [wrap(cell, w) for cell, w in zip(cells, widths, strict=True)]
        out = []
        for n in range(max(len(p) for p in parts)):
            texts = []
            for part, w, column in zip(parts, widths, columns, strict=True):
                text = part[n] if n < len(part) else ""
                pad = " " * max(0, w - cell_len(text))
                texts.append(pad + text if column.right else text + pad)
            out.append((" " * gap).join(texts).rstrip())
        return out

    lines = wrap(title, width) if width is not None else [title]
    lines += line([c.header for c in columns])
    lines.append((" " * gap).join("─" * w for w in widths))
    for row in rows:
        lines += line(row)
    return "\n".join(lines) + "\n"
