"""Typed errors raised by the library; the CLI turns them into messages."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with an input file, positioned for a human to fix."""

    file: str
    line: int
    column: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        field = f" {self.field}:" if self.field else ""
        return f"{where}:{field} {self.message}"


class WorkplanError(Exception):
    """Base class of every error a user can cause; the CLI prints it without a traceback."""

    exit_code = 1

    def __init__(self, message: str = "", *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class InvalidInput(WorkplanError):
    """One or more problems in files the user gave us."""

    exit_code = 2

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class NotFound(WorkplanError):
    """A plan, task, obligation, metric or department that does not exist."""

    exit_code = 2


class Refused(WorkplanError):
    """An action the rules of the office do not allow (e.g. sign-off by a department)."""

    exit_code = 2


class StoreError(WorkplanError):
    """The database cannot be used as asked (not initialised, locked, another service running)."""

    exit_code = 1
