"""Typed errors raised by the library; each shell maps them once: the CLI to a message and an
exit code, the web pages to a page in the plan's language and an HTTP status.

A message is written in English (what the CLI prints); an error a department or the office
can meet on a page also carries its Chinese wording (``zh``), said by :meth:`message_for`
for a plan in Chinese.  Remedies that are a command-line flag (``--correct``, ``--force``)
belong to the English only: a page offers its own (a 更正 button).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass


def _in(locale: str, english: str, chinese: str | None) -> str:
    return chinese if chinese is not None and locale.startswith("zh") else english


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with an input file, positioned for a human to fix."""

    file: str
    line: int
    column: int
    field: str
    message: str
    zh: str | None = dataclasses.field(default=None, compare=False)
    """the message in Chinese, when a page may show it"""

    def __str__(self) -> str:
        return self._at(self.message)

    def message_for(self, locale: str) -> str:
        """Return the problem, positioned, in ``locale`` (zh-CN or en)."""
        return self._at(_in(locale, self.message, self.zh))

    def _at(self, message: str) -> str:
        where = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        field = f" {self.field}:" if self.field else ""
        return f"{where}:{field} {message}"


class Unreadable(ValueError):
    """A value or a date that cannot be read as written (a ValueError, with its Chinese)."""

    def __init__(self, message: str, zh: str) -> None:
        super().__init__(message)
        self.zh = zh


class WorkplanError(Exception):
    """Base class of every error a user can cause; the CLI prints it without a traceback."""

    exit_code = 1
    http_status = 400

    def __init__(
        self, message: str = "", *, field: str | None = None, zh: str | None = None
    ) -> None:
        super().__init__(message)
        self.field = field
        self.zh = zh

    def message_for(self, locale: str) -> str:
        """Return the message in ``locale``: its Chinese for a plan in Chinese, when it has one."""
        return _in(locale, str(self), self.zh)


class InvalidInput(WorkplanError):
    """One or more problems in files the user gave us."""

    exit_code = 2
    http_status = 400

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    def message_for(self, locale: str) -> str:
        return "\n".join(p.message_for(locale) for p in self.problems)


class NotFound(WorkplanError):
    """A plan, task, obligation, metric or department that does not exist."""

    exit_code = 2
    http_status = 404


class Refused(WorkplanError):
    """An action the rules of the office do not allow (e.g. sign-off by a department)."""

    exit_code = 2
    http_status = 403


class Conflict(Refused):
    """What is recorded says otherwise (another value for the day, another day done): only a
    correction replaces it, and the earlier stays in the history."""

    http_status = 409


class StoreError(WorkplanError):
    """The database cannot be used as asked (not initialised, locked, another service running)."""

    exit_code = 1
    http_status = 503
