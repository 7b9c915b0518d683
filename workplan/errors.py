"""Typed errors raised by the library; each shell maps them once: the CLI to a message and an
exit code, the web pages to a page in the plan's language and an HTTP status.

A message is written in English and kept for the catalog (``L_("…", name=value)`` of
workplan.i18n): the CLI says it in the language it speaks, a page in its plan's, through
:meth:`message_for`; its values are said as a clerk reads them (a day 2023年7月28日, a number
6,000).  A few of the web pages' messages, given as a plain string, still carry a Chinese
wording of their own (``zh``), from before the catalogs, until they are marked too.
"""

from __future__ import annotations

from dataclasses import dataclass

from workplan.i18n import Text, normalise, said


def _in(locale: str, english: str | Text, chinese: str | None) -> str:
    lang = normalise(locale) or "en"
    if isinstance(english, Text):
        return english.said(lang)
    return chinese if chinese is not None and lang == "zh" else english


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with an input file, positioned for a human to fix."""

    file: str
    line: int
    column: int
    field: str
    message: str | Text

    def __str__(self) -> str:
        return self._at(said(self.message, "en"))

    def message_for(self, locale: str) -> str:
        """Return the problem, positioned, in ``locale`` (zh-CN or en)."""
        return self._at(_in(locale, self.message, None))

    def _at(self, message: str) -> str:
        where = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        field = f" {self.field}:" if self.field else ""
        return f"{where}:{field} {message}"


class Unreadable(ValueError):
    """A value or a date that cannot be read as written (a ValueError): its message kept for
    the catalog, or (the command line's last plain one) a string with its ``zh``."""

    def __init__(self, message: str | Text, zh: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.zh = zh

    def __str__(self) -> str:
        return said(self.message, "en")


class WorkplanError(Exception):
    """Base class of every error a user can cause; the CLI prints it without a traceback."""

    exit_code = 1
    http_status = 400

    def __init__(
        self, message: str | Text = "", *, field: str | None = None, zh: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.zh = zh

    def __str__(self) -> str:
        return said(self.message, "en")

    @property
    def translated(self) -> bool:
        """Whether the message is said in the language asked (a kept message, or a ``zh``)."""
        return isinstance(self.message, Text) or self.zh is not None

    def message_for(self, locale: str) -> str:
        """Return the message in ``locale``: a kept message translated, else its ``zh``."""
        return _in(locale, self.message, self.zh)


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
