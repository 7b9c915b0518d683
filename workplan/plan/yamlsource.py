"""Read YAML into plain data with the position of every value, closing YAML 1.1's traps.

PyYAML alone keeps the last of duplicate keys, reads ``10:00`` as 600 and ``no`` as False,
raises a bare ValueError on 2023-02-30 and expands alias bombs without limit.  Here each of
those becomes a positioned :class:`~workplan.errors.Problem`.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from workplan.errors import InvalidInput, Problem
from workplan.i18n import L_, Text

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_NODES = 200_000

PathKey = tuple[str | int, ...]

_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_MERGE = "tag:yaml.org,2002:merge"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_OCTAL = re.compile(r"^[-+]?0[0-7_]+$")


@dataclass
class Source:
    """A YAML document as plain data, with where each value and key was written."""

    file: str
    data: Any
    values: dict[PathKey, tuple[int, int]] = field(default_factory=dict)
    keys: dict[PathKey, tuple[int, int]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def position(self, path: PathKey, *, key: bool = False) -> tuple[int, int]:
        """Return (line, column) of the value at ``path``, or of its nearest written ancestor."""
        table = self.keys if key else self.values
        probe = tuple(path)
        while probe:
            if probe in table:
                return table[probe]
            if not key and probe in self.keys:
                return self.keys[probe]
            probe = probe[:-1]
        return self.values.get((), (1, 1))

    def problem(self, path: PathKey, message: str | Text, *, key: bool = False) -> Problem:
        """Build a Problem positioned at ``path``."""
        line, column = self.position(path, key=key)
        return Problem(self.file, line, column, format_path(path), message)


def format_path(path: PathKey) -> str:
    """Render a path as ``chapters[0].tasks[2].lead``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


class _Reader:
    def __init__(self, name: str) -> None:
        self.name = name
        self.problems: list[Problem] = []
        self.values: dict[PathKey, tuple[int, int]] = {}
        self.keys: dict[PathKey, tuple[int, int]] = {}
        self.count = 0
        self.constructor = yaml.SafeLoader("")

    def at(self, node: Node, path: PathKey, message: str | Text) -> None:
        mark = node.start_mark
        self.problems.append(
            Problem(self.name, mark.line + 1, mark.column + 1, format_path(path), message)
        )

    def walk(self, node: Node, path: PathKey, stack: tuple[int, ...]) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise _TooBig
        self.values[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if id(node) in stack:
            self.at(
                node, path, L_("an alias refers to the node that contains it; remove the cycle")
            )
            return None
        if isinstance(node, ScalarNode):
            return self.scalar(node, path)
        inner = (*stack, id(node))
        if isinstance(node, SequenceNode):
            return [self.walk(item, (*path, i), inner) for i, item in enumerate(node.value)]
        if isinstance(node, MappingNode):
            return self.mapping(node, path, inner)
        self.at(node, path, L_("unsupported YAML node"))
        return None

    def mapping(self, node: MappingNode, path: PathKey, stack: tuple[int, ...]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        seen: dict[str, Node] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                self.at(key_node, path, L_("merge keys (<<) are not supported; write the keys out"))
                continue
            if not isinstance(key_node, ScalarNode):
                self.at(key_node, path, L_("a key must be plain text"))
                continue
            key = str(key_node.value)
            child = (*path, key)
            if key in seen:
                first = seen[key].start_mark
                self.at(
                    key_node,
                    child,
                    L_(
                        "duplicate key '{key}' (first written at line {line}); "
                        "YAML would silently keep only the last one",
                        key=key,
                        line=first.line + 1,
                    ),
                )
                continue
            seen[key] = key_node
            self.keys[child] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            out[key] = self.walk(value_node, child, stack)
        return out

    def scalar(self, node: ScalarNode, path: PathKey) -> Any:
        try:
            return self.typed(node, path)
        except Exception:  # an unknown tag (!foo, !!python/…), or !!int on text that is none
            tag = node.tag.replace("tag:yaml.org,2002:", "!!")
            self.at(
                node,
                path,
                L_("cannot read {value!r} as {tag}; remove the tag", value=node.value, tag=tag),
            )
            return node.value

    def typed(self, node: ScalarNode, path: PathKey) -> Any:
        text = node.value
        plain = node.style is None
        if plain and node.tag in (_INT, _FLOAT) and ":" in text:
            self.at(
                node,
                path,
                L_(
                    "YAML 1.1 reads {text} as the number {number}; write it in quotes: '{text}'",
                    text=text,
                    number=self.construct(node),
                ),
            )
            return text
        if plain and node.tag == _BOOL and text.lower() not in ("true", "false"):
            self.at(
                node,
                path,
                L_(
                    "YAML 1.1 reads {text} as {boolean}; "
                    "write '{text}' in quotes for text, or true/false for a yes/no setting",
                    text=text,
                    boolean=str(self.construct(node)).lower(),
                ),
            )
            return text
        if plain and node.tag == _INT and _OCTAL.match(text):
            self.at(
                node,
                path,
                L_(
                    "YAML 1.1 reads {text} as the octal number {number}; "
                    "write it in quotes ('{text}') or without the leading zero",
                    text=text,
                    number=self.construct(node),
                ),
            )
            return text
        if node.tag == _TIMESTAMP:
            try:
                return self.construct(node)
            except ValueError as exc:
                self.at(
                    node,
                    path,
                    L_("{text} is not a real date ({reason})", text=text, reason=str(exc)),
                )
                return text
        return self.construct(node)

    def construct(self, node: ScalarNode) -> Any:
        return self.constructor.construct_object(node, deep=True)


class _TooBig(Exception):
    pass


def read_text(path: Path) -> str:
    """Read a file as UTF-8, refusing oversized or undecodable files with a positioned problem.

    The limit counts the bytes actually read, never the size the file system reports (0 for
    a device or a pipe such as /dev/zero).
    """
    name = str(path)
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise InvalidInput(
            [Problem(name, 0, 0, "", L_("cannot read: {reason}", reason=exc.strerror))]
        ) from None
    if len(raw) > MAX_FILE_BYTES:
        raise InvalidInput(
            [
                Problem(
                    name,
                    0,
                    0,
                    "",
                    L_("file is larger than the limit of {limit} bytes", limit=MAX_FILE_BYTES),
                )
            ]
        )
    return decode(name, raw)


def decode(name: str, raw: bytes) -> str:
    """Decode UTF-8 (with or without BOM), naming the line and column of the first bad byte."""
    # without the BOM: utf-8-sig would count the error's position after it
    body = raw[len(codecs.BOM_UTF8) :] if raw.startswith(codecs.BOM_UTF8) else raw
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = body[: exc.start]
        line = before.count(b"\n") + 1
        # the column in characters, as an editor shows it: what precedes is valid UTF-8
        column = len(before[before.rfind(b"\n") + 1 :].decode("utf-8")) + 1
        raise InvalidInput(
            [
                Problem(
                    name,
                    line,
                    column,
                    "",
                    L_(
                        "not UTF-8 (byte 0x{byte:02x}); save the file as UTF-8",
                        byte=body[exc.start],
                    ),
                )
            ]
        ) from None


def parse(name: str, text: str) -> Source:
    """Parse one YAML document into a :class:`Source`.

    Syntax errors and refusals raise InvalidInput; the traps (duplicate keys, ``10:00``, ``no``,
    impossible dates) are collected in ``Source.problems`` so that later checks can add theirs.
    """
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        context = exc.context
        begun = exc.context_mark
        if context and begun and mark and begun.line != mark.line:
            context += f" (begun at line {begun.line + 1}, column {begun.column + 1})"
        what = " ".join(p for p in (context, exc.problem) if p)
        message = L_("not valid YAML: {what}", what=what)
        raise InvalidInput([Problem(name, line, column, "", message)]) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        raise InvalidInput(
            [
                Problem(
                    name,
                    line,
                    column,
                    "",
                    L_(
                        "not valid YAML: the control character #x{character:04x} is not"
                        " allowed; remove it",
                        character=exc.character,
                    ),
                )
            ]
        ) from None
    except yaml.YAMLError as exc:
        what = " ".join(str(exc).split())
        message = L_("not valid YAML: {what}", what=what)
        raise InvalidInput([Problem(name, 0, 0, "", message)]) from None
    if node is None:
        raise InvalidInput([Problem(name, 1, 1, "", L_("the file is empty"))])
    reader = _Reader(name)
    try:
        data = reader.walk(node, (), ())
    except _TooBig:
        raise InvalidInput(
            [
                Problem(
                    name,
                    1,
                    1,
                    "",
                    L_(
                        "refused: the document expands to more than {limit} values "
                        "(aliases that multiply?)",
                        limit=MAX_NODES,
                    ),
                )
            ]
        ) from None
    return Source(name, data, reader.values, reader.keys, reader.problems)


def load(path: Path) -> Source:
    """Read and parse a YAML file."""
    return parse(str(path), read_text(path))
