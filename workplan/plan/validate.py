"""Validate plan files: every problem at once, each with file, line, column and field path."""

from __future__ import annotations

import difflib
import types
import typing
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TypeVar, Union

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from workplan.errors import InvalidInput, Problem, Unreadable
from workplan.i18n import L_, Text
from workplan.plan import yamlsource
from workplan.plan.compiled import CompiledPlan
from workplan.plan.draft import pending
from workplan.plan.expand import compile_plan
from workplan.plan.model import CalendarFile, Directory, Plan
from workplan.plan.yamlsource import PathKey, Source

Model = TypeVar("Model", bound=BaseModel)


@dataclass(frozen=True)
class LoadedPlan:
    """A valid plan: the compiled content and the text it came from."""

    compiled: CompiledPlan
    path: Path
    text: str
    directory_files: tuple[Path, ...]


def _unwrap(annotation: Any) -> list[Any]:
    """Return the concrete types an annotation may hold (through Optional, Annotated, list)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        return [t for arg in typing.get_args(annotation) for t in _unwrap(arg)]
    return [annotation]


def _model_at(model: type[BaseModel], loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """Return the model class that holds the field at ``loc``, following lists and unions."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            candidates = [
                typing.get_args(t)[0]
                for t in _unwrap(current)
                if typing.get_origin(t) is list and typing.get_args(t)
            ]
            current = candidates[0] if candidates else None
        else:
            models = [
                t for t in _unwrap(current) if isinstance(t, type) and issubclass(t, BaseModel)
            ]
            if not models:
                return None
            fields = {(f.alias or name): f for name, f in models[0].model_fields.items()}
            if part not in fields:
                return None
            current = fields[part].annotation
        if current is None:
            return None
    models = [t for t in _unwrap(current) if isinstance(t, type) and issubclass(t, BaseModel)]
    return models[0] if models else None


def _type_name(value: Any) -> str | Text:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return L_("a number")
    if isinstance(value, dict):
        return L_("a mapping")
    if isinstance(value, list):
        return L_("a list")
    if value is None:
        return L_("nothing")
    return type(value).__name__


_DATES = ("date_type", "date_parsing", "date_from_datetime_parsing", "date_from_datetime_inexact")
REVIEW_FLAG = L_(
    "'review' is a standing duty's cadence (review: quarter); for reports the office must "
    "accept (复核), write 'needs_review: true'"
)


def _message(error: ErrorDetails, model: type[BaseModel]) -> tuple[str | Text, bool]:
    """Return a plain message for one pydantic error, and whether it points at a key."""
    kind = error["type"]
    loc = tuple(error["loc"])
    value = error.get("input")
    if loc and loc[-1] == "review" and isinstance(value, bool):
        return REVIEW_FLAG, True
    if kind == "extra_forbidden":
        key = str(loc[-1])
        holder = _model_at(model, loc[:-1])
        known = [f.alias or n for n, f in holder.model_fields.items()] if holder else []
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        if close:
            return L_("unknown key '{key}'; did you mean '{close}'?", key=key, close=close[0]), True
        if holder:
            return L_("unknown key '{key}' (known keys: {known})", key=key, known=known), True
        return L_("unknown key '{key}'", key=key), True
    if kind == "missing":
        return L_("missing required key '{key}'", key=str(loc[-1])), True
    if kind == "string_type":
        if isinstance(value, int | float | date):
            return L_("expected text, got {what}; put it in quotes", what=_type_name(value)), False
        return L_("expected text, got {what}", what=_type_name(value)), False
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return L_("expected a whole number, got {value!r}", value=value), False
    if kind in ("float_type", "float_parsing"):
        return L_("expected a number, got {value!r}", value=value), False
    if kind in ("bool_type", "bool_parsing"):
        return L_("expected true or false, got {value!r}", value=value), False
    if kind in _DATES:
        return L_("expected a date like 2023-06-30, got {value!r}", value=value), False
    if kind in ("literal_error", "enum"):
        expected = error.get("ctx", {}).get("expected", "")
        return L_(
            "{value!r} is not allowed; expected {expected}", value=value, expected=expected
        ), False
    if kind in ("list_type", "tuple_type"):
        return L_("expected a list, got {what}", what=_type_name(value)), False
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return L_("expected a mapping of keys, got {what}", what=_type_name(value)), False
    if kind == "value_error":
        raised = error.get("ctx", {}).get("error")
        if isinstance(raised, Unreadable):
            return raised.message, False
        return str(raised if raised is not None else error["msg"]), False
    return L_("not valid here: {reason}", reason=error["msg"]), False


def _clean_loc(loc: PathKey) -> PathKey:
    """Drop the type names pydantic adds to the location of a union member."""
    return tuple(
        p for p in loc if not (isinstance(p, str) and p in ("date", "str", "float", "int"))
    )


def _pydantic_problems(
    source: Source, exc: ValidationError, model: type[BaseModel]
) -> list[Problem]:
    written = {p.field for p in source.problems}
    problems = []
    seen: set[tuple[PathKey, str | Text]] = set()
    for error in exc.errors():
        loc = _clean_loc(tuple(error["loc"]))
        message, at_key = _message(error, model)
        path_text = yamlsource.format_path(loc)
        if any(
            path_text == w or path_text.startswith(w + ".") or path_text.startswith(w + "[")
            for w in written
            if w
        ):
            continue
        if (loc, message) in seen:
            continue
        seen.add((loc, message))
        if error["type"] == "missing":
            problems.append(source.problem(loc[:-1], message))
            problems[-1] = Problem(
                problems[-1].file, problems[-1].line, problems[-1].column, path_text, message
            )
        elif loc and loc[-1] == "[key]":  # a mapping's key itself is wrong (events: {Bad: …})
            problems.append(source.problem(loc[:-1], message, key=True))
        else:
            problems.append(source.problem(loc, message, key=at_key))
    return problems


def _without(data: Any, drop: list[PathKey]) -> Any:
    """Return a copy of ``data`` without the keys at ``drop`` (unknown keys), to check the rest."""
    if not drop:
        return data

    def walk(value: Any, path: PathKey) -> Any:
        if isinstance(value, dict):
            return {k: walk(v, (*path, k)) for k, v in value.items() if (*path, k) not in drop}
        if isinstance(value, list):
            return [walk(v, (*path, i)) for i, v in enumerate(value)]
        return value

    return walk(data, ())


def _covered(problem: Problem, earlier: list[Problem]) -> bool:
    """Return True when an earlier problem already speaks for this field or one enclosing it."""
    for other in earlier:
        field = other.field
        if (
            other.file == problem.file
            and field
            and (problem.field == field or problem.field.startswith((field + ".", field + "[")))
        ):
            return True
    return False


# Top-level keys that other checks read (dates against the period, names against the
# departments); a wrong value under them stops the checks that follow rather than mislead them.
_CROSS_CHECKED = ("period", "directory", "departments", "calendar", "chapters")


def _droppable(model: type[BaseModel], loc: PathKey) -> bool:
    """Return True for an optional plan-wide setting that no other check reads (timezone, …)."""
    if not loc or not isinstance(loc[-1], str) or loc[0] in _CROSS_CHECKED:
        return False
    holder = _model_at(model, loc[:-1])
    if holder is None:
        return False
    fields = {(f.alias or name): f for name, f in holder.model_fields.items()}
    return loc[-1] in fields and not fields[loc[-1]].is_required()


def _validated(source: Source, model: type[Model], problems: list[Problem]) -> Model | None:
    """Validate ``source`` against ``model``; on errors, record them and retry without unknown
    keys (and wrong optional settings) so that the rest of the file is still checked."""
    try:
        return model.model_validate(source.data)
    except ValidationError as exc:
        reported = _pydantic_problems(source, exc, model)
        problems.extend(reported)
        drop: list[PathKey] = []
        for error in exc.errors():
            loc = _clean_loc(tuple(error["loc"]))
            field = yamlsource.format_path(loc)
            said = (
                error["type"] == "extra_forbidden"
                or any(p.field == field for p in source.problems)
                or _droppable(model, loc)
            )
            if not (said and loc and isinstance(loc[-1], str)):
                return None
            drop.append(loc)
    try:
        return model.model_validate(_without(source.data, drop))
    except ValidationError:
        return None


def read_plan(path: Path) -> LoadedPlan:
    """Read, validate and compile a plan file and its directory files; raise InvalidInput."""
    problems: list[Problem] = []
    text = yamlsource.read_text(path)
    source = yamlsource.parse(str(path), text)
    if marked := pending.marks(source, text):  # a draft's 待定/待确认: refused, the rest checked
        source.problems.extend(marked)
        source.data = pending.stand_in(source.data)
    problems.extend(source.problems)
    if not isinstance(source.data, dict):
        raise InvalidInput(
            [*problems, source.problem((), L_("a plan is a mapping of keys (id, title, …)"))]
        )
    plan = _validated(source, Plan, problems)
    complete = plan is not None
    directories, ok = _side_files(
        source,
        path,
        plan.directory if plan else [],
        ("directory",),
        "directory",
        Directory,
        problems,
    )
    calendars, ok_calendars = _side_files(
        source,
        path,
        plan.calendar.files if plan else [],
        ("calendar", "files"),
        "calendar",
        CalendarFile,
        problems,
    )
    complete = complete and ok and ok_calendars
    directory_files = [
        (path.parent / name).resolve()
        for name in [*(plan.directory if plan else []), *(plan.calendar.files if plan else [])]
    ]
    if plan is not None and complete:
        compiled, more = compile_plan(plan, source, list(directories), calendars)
        problems.extend(p for p in more if not _covered(p, problems))
        if compiled is not None and not problems:
            return LoadedPlan(compiled, path, text, tuple(directory_files))
    raise InvalidInput(problems)


def _side_files(
    source: Source,
    path: Path,
    names: list[str],
    where: PathKey,
    what: str,
    model: type[Model],
    problems: list[Problem],
) -> tuple[list[tuple[Source, Model]], bool]:
    """Read the files a plan points to (department directories, calendar files), relative to
    the plan; return the valid ones, and whether every one was."""
    found: list[tuple[Source, Model]] = []
    complete = True
    for i, name in enumerate(names):
        shown = path.parent / name  # as the user would write it in problems
        if not shown.resolve().is_file():
            problems.append(source.problem((*where, i), _no_such(what, shown)))
            complete = False
            continue
        try:
            side = yamlsource.load(shown)
        except InvalidInput as exc:
            problems.extend(exc.problems)
            complete = False
            continue
        problems.extend(side.problems)
        valid = _validated(side, model, problems)
        if valid is None:
            complete = False
        else:
            found.append((side, valid))
    return found, complete


def _no_such(what: str, shown: Path) -> Text:
    if what == "directory":
        return L_("no such directory file: {file}", file=str(shown))
    return L_("no such calendar file: {file}", file=str(shown))


def read_directory(path: Path) -> Directory:
    """Read and validate a department directory file on its own; raise InvalidInput."""
    problems: list[Problem] = []
    source = yamlsource.load(path)
    problems.extend(source.problems)
    directory = _validated(source, Directory, problems)
    if directory is not None:
        seen: dict[str, int] = {}
        for i, dept in enumerate(directory.departments):
            for name in (dept.name, *dept.aliases):
                if name in seen:
                    problems.append(
                        source.problem(
                            ("departments", i, "name"),
                            L_("department '{name}' is named twice", name=name),
                        )
                    )
                seen[name] = i
    if directory is None or problems:
        raise InvalidInput(problems)
    return directory


def is_directory_file(path: Path) -> bool:
    """Return True for a file that holds only a department directory (top-level departments)."""
    try:
        source = yamlsource.load(path)
    except InvalidInput:
        return False
    return isinstance(source.data, dict) and set(source.data) == {"departments"}


def validate_files(
    paths: list[Path],
) -> tuple[list[LoadedPlan | tuple[Path, Directory]], list[Problem]]:
    """Validate plan files (and directory files given on their own); return what is valid and
    every problem of the rest."""
    valid: list[LoadedPlan | tuple[Path, Directory]] = []
    problems: list[Problem] = []
    for path in paths:
        try:
            if path.is_file() and is_directory_file(path):
                valid.append((path, read_directory(path)))
            else:
                valid.append(read_plan(path))
        except InvalidInput as exc:
            problems.extend(exc.problems)
    return valid, problems
