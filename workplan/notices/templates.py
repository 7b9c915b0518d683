"""Render notices with Jinja2: the shipped templates in ``notifications/``, or an office's own.

Templates run in Jinja2's sandbox with undefined variables as errors and HTML autoescaping;
they receive a :class:`~workplan.letters.Message` as data.  Plan text is never compiled as a
template.  ``check`` renders every template against sample data, so that a broken template is
found before a morning run.
"""

from __future__ import annotations

import re
import threading
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import ChoiceLoader, FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment, safe_range
from markupsafe import Markup, escape

import notifications
from workplan.channels.base import Party
from workplan.errors import Problem, WorkplanError
from workplan.i18n import L_, Text
from workplan.notices.letters import DayOff, Earlier, Letter, Message
from workplan.notices.samples import sample_messages
from workplan.plan.compiled import item_label
from workplan.plan.units import figure
from workplan.rules.kinds import (
    LETTER_KINDS,
)

SHIPPED = Path(notifications.__file__).parent
LOCALES = ("zh-CN", "en")
MESSAGE_KINDS = (*LETTER_KINDS, "digest")
PARTS = ("subject", "txt", "html")
_UNSAFE = re.compile("[\r\n\x00\u2028\u2029\x85]")
_WEEKDAYS_CN = "一二三四五六日"


class TemplateError(WorkplanError):
    """A template that cannot render, or renders a subject that cannot be a header."""


BUDGET_SECONDS = 2.0
"""the most CPU time one part of one message may take to render: the thread's own time, not
the clock's, so a busy machine (several services on two cores) never stops a sound template"""
BUDGET_CHARS = 1_000_000
"""the most text one part of one message may render"""
_DEADLINE = threading.local()


def _over_time() -> bool:
    deadline = getattr(_DEADLINE, "at", None)
    return deadline is not None and time.thread_time() > deadline


def _bounded_range(*args: int) -> Iterator[int]:
    """The sandbox's range, stopping a runaway loop at the render's deadline."""
    for i, value in enumerate(safe_range(*args)):
        if i % 1024 == 0 and _over_time():
            raise TemplateError(f"stopped after {BUDGET_SECONDS:g} s of CPU: a runaway loop?")
        yield value


def render_bounded(template: jinja2.Template, context: dict[str, Any]) -> str:
    """Render within the time and size budget; raise TemplateError past either."""
    _DEADLINE.at = time.thread_time() + BUDGET_SECONDS
    try:
        out: list[str] = []
        size = 0
        for chunk in template.generate(context):
            out.append(chunk)
            size += len(chunk)
            if size > BUDGET_CHARS:
                raise TemplateError(f"stopped at {BUDGET_CHARS:,} characters: a runaway loop?")
            if _over_time():
                raise TemplateError(f"stopped after {BUDGET_SECONDS:g} s of CPU: a runaway loop?")
        return "".join(out)
    finally:
        _DEADLINE.at = None


@dataclass(frozen=True)
class Rendered:
    """A rendered message: a one-line subject, a plain-text part and an HTML part."""

    subject: str
    text: str
    html: str


def number(value: Any) -> str:
    """1.0 -> 1, 27.27 -> 27.27, 4927 -> 4,927."""
    if value is None:
        return "—"
    if isinstance(value, int | float):
        return figure(value)
    return str(value)


def _as_day(day: date | str) -> date:
    return date.fromisoformat(day) if isinstance(day, str) else day


def plain(value: Any) -> Markup:
    """Escape a macro's output for HTML, once: the HTML environment compiles every template,
    macro files included, with autoescaping, so a macro's output arrives already escaped
    (Markup) and passes through; anything else is escaped here."""
    return escape(value)


def cn_date(day: date | str) -> str:
    day = _as_day(day)
    return f"{day.year}年{day.month}月{day.day}日"


def cn_md(day: date) -> str:
    return f"{day.month}月{day.day}日"


def cn_weekday(day: date) -> str:
    return "星期" + _WEEKDAYS_CN[day.weekday()]


def en_date(day: date | str) -> str:
    day = _as_day(day)
    return f"{day.day} {day:%B %Y}"


def en_md(day: date) -> str:
    return f"{day.day} {day:%B}"


def en_weekday(day: date) -> str:
    return f"{day:%A}"


def _runs(days: list[Any]) -> list[list[Any]]:
    runs: list[list[Any]] = []
    for off in days:
        if runs and off.day - runs[-1][-1].day == timedelta(days=1):
            runs[-1].append(off)
        else:
            runs.append([off])
    return runs


def _main_names(run: list[Any]) -> list[str]:
    names: list[str] = []
    for off in run:
        name = off.name or ""
        if (
            not name
            or "调休" in name
            or "补假" in name
            or "substituted" in name
            or "observed" in name
        ):
            continue
        if name not in names:
            names.append(name)
    return names


def _explaining(days: Any) -> list[tuple[str, list[Any]]]:
    """The days that explain a count of working days, in order: each run of days off that
    holds a holiday (an ordinary weekend explains nothing) and each weekend day that is a
    working day (调休), as ("holiday", run) or ("swapped", [day])."""
    days = list(days)
    out: list[tuple[str, list[Any]]] = []
    for run in _runs([d for d in days if not getattr(d, "working", False)]):
        if any(off.name or off.day.weekday() < 5 for off in run):
            out.append(("holiday", run))
    out += [("swapped", [d]) for d in days if getattr(d, "working", False)]
    return sorted(out, key=lambda part: part[1][0].day)


def cn_days_off(days: Any) -> str:
    """4月29日至5月3日为节假日（劳动节）；5月6日（星期六）调休上班.  Ordinary weekends are left
    out: the reader counts them."""
    parts = []
    for what, run in _explaining(days):
        if what == "swapped":
            parts.append(f"{cn_md(run[0].day)}（{cn_weekday(run[0].day)}）调休上班")
            continue
        span = cn_md(run[0].day) if len(run) == 1 else f"{cn_md(run[0].day)}至{cn_md(run[-1].day)}"
        names = _main_names(run)
        parts.append(f"{span}为节假日" + (f"（{'、'.join(names)}）" if names else ""))
    return "；".join(parts)


def en_days_off(days: Any) -> str:
    """29 April – 3 May are holidays (Labor Day); Saturday 6 May is a working day (swapped).
    Ordinary weekends are left out."""
    parts = []
    for what, run in _explaining(days):
        if what == "swapped":
            parts.append(f"{en_weekday(run[0].day)} {en_md(run[0].day)} is a working day (swapped)")
            continue
        span = en_md(run[0].day) if len(run) == 1 else f"{en_md(run[0].day)} – {en_md(run[-1].day)}"
        names = _main_names(run)
        verb = "is a holiday" if len(run) == 1 else "are holidays"
        parts.append(f"{span} {verb}" + (f" ({', '.join(names)})" if names else ""))
    return "; ".join(parts)


_CN_NUMBERS = "零一二三四"


def cn_period(label: Any) -> str:
    """2023-04 -> 2023年4月; 2023-Q2 -> 2023年第二季度; 2023-H1 -> 2023年上半年; 2023-W17 -> 2023年第17周."""
    text = str(label or "")
    if m := re.fullmatch(r"(\d{4})-(\d{2})", text):
        return f"{m[1]}年{int(m[2])}月"
    if m := re.fullmatch(r"(\d{4})-Q([1-4])", text):
        return f"{m[1]}年第{_CN_NUMBERS[int(m[2])]}季度"
    if m := re.fullmatch(r"(\d{4})-H([12])", text):
        return f"{m[1]}年{'上' if m[2] == '1' else '下'}半年"
    if m := re.fullmatch(r"(\d{4})-W(\d{2})", text):
        return f"{m[1]}年第{int(m[2])}周"
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return cn_date(text)  # an event's occurrence: 2023年9月27日, never an ISO date
    if re.fullmatch(r"\d{4}", text):
        return f"{text}年"
    return text


def en_period(label: Any) -> str:
    """2023-04 -> April 2023; 2023-Q2 -> Q2 2023; 2023-W17 -> week 17 of 2023."""
    text = str(label or "")
    if m := re.fullmatch(r"(\d{4})-(\d{2})", text):
        return f"{date(int(m[1]), int(m[2]), 1):%B %Y}"
    if m := re.fullmatch(r"(\d{4})-([QH][1-4])", text):
        return f"{m[2]} {m[1]}"
    if m := re.fullmatch(r"(\d{4})-W(\d{2})", text):
        return f"week {int(m[2])} of {m[1]}"
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return en_date(text)
    return text


class _Compiled(jinja2.BytecodeCache):
    """Templates compiled once per process: each template's code, by its name, its file and
    the checksum of its source (an edited template is compiled again), kept in memory for
    every ``Templates`` made after (a dispatch, a robot run, a check)."""

    def __init__(self) -> None:
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        data = self.code.get(bucket.key)
        if data is not None:
            bucket.bytecode_from_string(data)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()


_COMPILED = {False: _Compiled(), True: _Compiled()}
"""one cache per kind of environment: the HTML part's escaping code differs from the rest"""


class Templates:
    """The notice templates: an office's folder first, then the shipped ones."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder
        loaders: list[jinja2.BaseLoader] = []
        if folder is not None:
            loaders.append(FileSystemLoader(str(folder)))
        loaders.append(FileSystemLoader(str(SHIPPED)))
        # The HTML part autoescapes every template it reaches, the shared macro files it
        # imports included: a macro compiled without escaping returns its output marked safe
        # when called from an escaping template, which let plan text through unescaped.
        self.env = self._environment(loaders, autoescape=False)
        self.html_env = self._environment(loaders, autoescape=True)

    @staticmethod
    def _environment(loaders: list[jinja2.BaseLoader], *, autoescape: bool) -> _Sandbox:
        env = _Sandbox(
            loader=ChoiceLoader(loaders),
            undefined=StrictUndefined,
            autoescape=autoescape,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            bytecode_cache=_COMPILED[autoescape],
        )
        env.globals["range"] = _bounded_range
        env.filters.update(
            number=number,
            cn_date=cn_date,
            cn_md=cn_md,
            cn_weekday=cn_weekday,
            cn_days_off=cn_days_off,
            en_date=en_date,
            en_md=en_md,
            en_weekday=en_weekday,
            en_days_off=en_days_off,
            cn_period=cn_period,
            en_period=en_period,
            item_label=item_label,
            plain=plain,
        )
        return env

    def template(self, name: str) -> jinja2.Template:
        """Return a template: HTML parts from the escaping environment, the rest plain."""
        env = self.html_env if name.endswith(".html.j2") else self.env
        return env.get_template(name)

    def render(self, message: Message) -> Rendered:
        """Render a message's subject, text and HTML; raise TemplateError on any failure."""
        context = context_of(message)
        parts = []
        for part in PARTS:
            name = f"{message.locale}/{message.kind}.{part}.j2"
            try:
                parts.append(render_bounded(self.template(name), context))
            except jinja2.TemplateNotFound:
                raise TemplateError(f"no template {name}") from None
            except (jinja2.TemplateError, TemplateError) as exc:
                raise TemplateError(f"{name}: {exc}") from None
        subject = " ".join(parts[0].split())
        if _UNSAFE.search(parts[0].strip()):
            raise TemplateError(
                f"{message.locale}/{message.kind}.subject.j2 rendered a line break into the subject"
            )
        if not subject:
            raise TemplateError(
                f"{message.locale}/{message.kind}.subject.j2 rendered an empty subject"
            )
        return Rendered(subject, parts[1], parts[2])


def context_of(message: Message) -> dict[str, Any]:
    """The template context of a message: m (the message), letters, and L (the first letter)."""
    return {"m": message, "letters": message.letters, "L": message.letters[0]}


class _Sandbox(SandboxedEnvironment):
    """Jinja2's sandbox, with a fast path for the declared fields of workplan's data classes.

    Letters, messages, parties and days off are frozen data with no methods to reach; their
    fields need not pass the sandbox's per-attribute safety check, which would otherwise cost
    as much as the rest of a letter's rendering.  Anything else takes the full check.
    """

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) in _DATA and attribute in _DATA[type(obj)]:
            return getattr(obj, attribute)
        return super().getattr(obj, attribute)


_DATA = {
    cls: frozenset(cls.__dataclass_fields__) for cls in (Letter, Message, Party, DayOff, Earlier)
}


def _syntax(exc: jinja2.TemplateSyntaxError) -> Text:
    """A template's syntax error, as Jinja words it."""
    return L_("syntax: {reason}", reason=exc.message)


def _where(exc: BaseException, folder: Path | None) -> tuple[str, int]:
    """Find the template file and line an exception was raised in."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return exc.filename or exc.name or "", exc.lineno or 0
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.endswith(".j2"):
            return frame.filename, frame.lineno or 0
    return "", 0


def check(folder: Path | None = None) -> list[Problem]:
    """Render every template of every kind and locale against sample data; return the problems."""
    problems: list[Problem] = []
    templates = Templates(folder)
    for locale in LOCALES:
        for kind in MESSAGE_KINDS:
            for part in PARTS:
                name = f"{locale}/{kind}.{part}.j2"
                try:
                    templates.template(name)
                except jinja2.TemplateNotFound:
                    problems.append(
                        Problem(str(folder or SHIPPED), 0, 0, name, L_("missing template"))
                    )
                except jinja2.TemplateSyntaxError as exc:
                    file, line = _where(exc, folder)
                    problems.append(Problem(file or name, line, 0, name, _syntax(exc)))
        for message in sample_messages(locale):
            for part in PARTS:
                name = f"{locale}/{message.kind}.{part}.j2"
                try:
                    render_bounded(templates.template(name), context_of(message))
                except jinja2.TemplateNotFound as exc:
                    if exc.name != name:  # the template itself is reported above
                        problem = Problem(
                            str(folder or SHIPPED),
                            0,
                            0,
                            name,
                            L_("includes a missing template {name}", name=exc.name),
                        )
                        if problem not in problems:
                            problems.append(problem)
                    continue
                except jinja2.TemplateSyntaxError as exc:
                    if exc.name != name:  # an included template with a syntax error
                        file, line = _where(exc, folder)
                        problem = Problem(file or name, line, 0, name, _syntax(exc))
                        if problem not in problems:
                            problems.append(problem)
                    continue
                except Exception as exc:  # any error a template raises is a problem to report
                    file, line = _where(exc, folder)
                    problem = Problem(file or name, line, 0, name, f"{type(exc).__name__}: {exc}")
                    if problem not in problems:
                        problems.append(problem)
            try:
                templates.render(message)
            except TemplateError as exc:
                if "subject" in str(exc):
                    problems.append(
                        Problem(
                            str(folder or SHIPPED),
                            0,
                            0,
                            f"{locale}/{message.kind}.subject.j2",
                            str(exc),
                        )
                    )
    return problems
