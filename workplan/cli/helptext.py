"""The Babel extractor of the CLI: the messages marked with ``_``, and the help texts click
shows (commands' docstrings, options' ``help=``), which `--help` translates when it prints.

Named in ``babel.cfg``; Babel calls :func:`extract` for each module of workplan/cli.
"""

from __future__ import annotations

import ast
import inspect
import io
from collections.abc import Iterator
from typing import Any, BinaryIO

HELP_CALLS = {
    "option",
    "argument",
    "command",
    "group",
    "version_option",
    "output_option",
    "password_option",
}
COMMAND_DECORATORS = {"command", "group"}


def msgid(help_text: str) -> str:
    """Return the catalog's key of a help text: the text as click shows it (dedented)."""
    return inspect.cleandoc(help_text)


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def help_texts(source: str) -> Iterator[tuple[int, str]]:
    """Yield the line and text of every help text in a module of the CLI."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and _name(node) in HELP_CALLS:
            for keyword in node.keywords:
                value = keyword.value
                if (
                    keyword.arg in ("help", "short_help")
                    and isinstance(value, ast.Constant)
                    and isinstance(value.value, str)
                    and value.value
                ):
                    yield value.lineno, msgid(value.value)
        elif isinstance(node, ast.FunctionDef) and any(
            _name(d) in COMMAND_DECORATORS for d in node.decorator_list
        ):
            doc = ast.get_docstring(node, clean=False)
            if doc:
                yield node.body[0].lineno, msgid(doc.split("\f", 1)[0])


def extract(fileobj: BinaryIO, keywords: Any, comment_tags: Any, options: Any) -> Iterator[Any]:
    """Yield what Babel's Python extractor finds, then the help texts."""
    from babel.messages.extract import extract_python

    data = fileobj.read()
    yield from extract_python(io.BytesIO(data), keywords, comment_tags, options)
    for line, text in help_texts(data.decode(options.get("encoding", "utf-8"))):
        yield line, None, text, []
