"""The language people read: gettext catalogs, and which one speaks now.

Every message is written in English in the code and marked for extraction: ``_("…")``
translates now (a summary the CLI prints, a page being drawn), ``L_("…", name=value)`` keeps
the message and its values and translates when said (an error said by the CLI and by a page,
each in its own language).  The Chinese is in ``workplan/locale/zh_CN/LC_MESSAGES/workplan.po``,
compiled to the ``.mo`` beside it; ``babel.cfg`` says what ``pybabel extract`` reads.

The language is Chinese when ``--lang zh`` was asked, else when the plan at hand is in
Chinese (locale zh-CN) or the environment's ``LANG`` is zh_CN; English otherwise.  A base
module every stage may import: it imports nothing of workplan.
"""

from __future__ import annotations

import gettext as _gettext
import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any, Literal

Language = Literal["zh", "en"]

DOMAIN = "workplan"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
CATALOG_LOCALES: dict[Language, str] = {"zh": "zh_CN", "en": "en"}
PLAN_LOCALES: dict[Language, str] = {"zh": "zh-CN", "en": "en"}

_asked: ContextVar[Language | None] = ContextVar("workplan_lang_asked", default=None)
_plan: ContextVar[Language | None] = ContextVar("workplan_lang_plan", default=None)


def normalise(name: str | None) -> Language | None:
    """Read a language as people write it: zh, zh-CN, zh_CN.UTF-8, 中文 → zh; en… → en."""
    if not name:
        return None
    text = name.strip().lower().replace("_", "-")
    if text.startswith("zh") or text in ("中文", "汉语", "chinese"):
        return "zh"
    if text.startswith("en") or text in ("英文", "english"):
        return "en"
    return None


def environment_language() -> Language | None:
    """Return zh when the environment's locale (LC_ALL, LC_MESSAGES, LANG) is Chinese."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name)
        if value:
            return "zh" if normalise(value) == "zh" else None
    return None


def language(plan_locale: str | None = None) -> Language:
    """Return the language to speak: the one asked, else the plan's or the environment's
    Chinese, else English."""
    asked = _asked.get()
    if asked is not None:
        return asked
    if normalise(plan_locale) == "zh" or _plan.get() == "zh":
        return "zh"
    return environment_language() or "en"


def plan_locale(plan_locale: str | None = None) -> str:
    """Return the language to speak as a plan's locale (zh-CN or en), for the words' tables."""
    return PLAN_LOCALES[language(plan_locale)]


def ask(name: str | None) -> None:
    """Speak ``name`` (zh or en, as --lang gives it) whatever the plan's locale; None forgets."""
    _asked.set(normalise(name))


def follow_plan(locale: str | None) -> None:
    """Note the locale of the plan at hand: a Chinese plan is answered in Chinese."""
    _plan.set(normalise(locale))


def reset() -> None:
    """Forget what was asked and which plan was seen (a new command in the same process)."""
    _asked.set(None)
    _plan.set(None)


@contextmanager
def speaking(name: str | None) -> Iterator[None]:
    """Speak ``name`` within the block (a page for a plan in that locale)."""
    token = _asked.set(normalise(name))
    try:
        yield
    finally:
        _asked.reset(token)


@cache
def translations(lang: Language) -> _gettext.NullTranslations:
    """Return the catalog of ``lang``; English is the messages as written."""
    if lang == "en":
        return _gettext.NullTranslations()
    return _gettext.translation(DOMAIN, LOCALE_DIR, languages=[CATALOG_LOCALES[lang]])


def gettext(message: str, lang: Language | None = None) -> str:
    """Return ``message`` in ``lang`` (default: the language spoken now)."""
    return translations(lang or language()).gettext(message)


def ngettext(singular: str, plural: str, n: int, lang: Language | None = None) -> str:
    """Return the singular or plural of a message, in ``lang`` (default: spoken now)."""
    return translations(lang or language()).ngettext(singular, plural, n)


def _(message: str, /, **values: Any) -> str:
    """Translate ``message`` into the language spoken now, filling in ``values`` (a kept
    message or an error among them is said in that language too)."""
    lang = language()
    text = gettext(message, lang)
    return text.format(**{k: _value(v, lang) for k, v in values.items()}) if values else text


def _value(value: Any, lang: Language) -> Any:
    if isinstance(value, Text):
        return value.said(lang)
    message_for = getattr(value, "message_for", None)  # a WorkplanError, a Problem
    return message_for(PLAN_LOCALES[lang]) if callable(message_for) else value


def N_(message: str) -> str:
    """Mark ``message`` for the catalog; it is translated where it is shown."""
    return message


class Text:
    """A message kept with its values, said in the language asked when it is shown."""

    __slots__ = ("message", "values")

    def __init__(self, message: str, values: dict[str, Any]) -> None:
        self.message = message
        self.values = values

    def said(self, lang: Language | None = None) -> str:
        """Return the message in ``lang`` (default: the language spoken now), its values as a
        clerk reads them (:func:`shown`)."""
        lang = lang or language()
        values = {k: shown(v, lang) for k, v in self.values.items()}
        return gettext(self.message, lang).format(**values)

    def __str__(self) -> str:
        return self.said("en")  # logs and tracebacks: the message as written

    def __repr__(self) -> str:
        return f"Text({self.message!r})"

    def __eq__(self, other: object) -> bool:
        return str(self) == str(other)

    def __lt__(self, other: object) -> bool:
        return str(self) < str(other)

    def __hash__(self) -> int:
        return hash(self.message)


def shown(value: Any, lang: Language) -> Any:
    """Return a value of a kept message as people read it in ``lang``: a day as 2023年7月28日
    in Chinese (2023-07-28 in English), a number as tables show it (6,000, 27.5, never 6000.0; what two decimals would
    round away kept),
    a list as a sentence lists (区财政局、区教委; a, b), a kept message translated; anything
    else as it is."""
    if isinstance(value, Text):
        return value.said(lang)
    if isinstance(value, list | tuple):
        return ("、" if lang == "zh" else ", ").join(str(shown(v, lang)) for v in value)
    if isinstance(value, date) and not isinstance(value, datetime):
        return f"{value.year}年{value.month}月{value.day}日" if lang == "zh" else value.isoformat()
    if isinstance(value, float):
        text = f"{value:,.2f}" if round(value, 2) == value else f"{value:,.6f}"  # 0.005 stays
        return text.rstrip("0").rstrip(".") if "." in text else text
    return value


def month_of(day: date) -> Text:
    """The month ``day`` falls in, as people write it: 2023年7月 in Chinese, 2023-07 in
    English."""
    return L_("{year}-{month:02}", year=day.year, month=day.month)


def L_(message: str, /, **values: Any) -> Text:
    """Keep ``message`` and its ``values``, to be translated when said (an error)."""
    return Text(message, values)


def said(text: str | Text, lang: Language | None = None) -> str:
    """Return a message in ``lang``: a kept one is translated, a plain string is as it is."""
    return text.said(lang) if isinstance(text, Text) else text
