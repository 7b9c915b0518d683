"""The one input grammar: values, dates, months and item numbers as offices write them, in a
ledger cell, on the command line (its parameter types, ``cli/options.py``) or in a web form.

A percent-formatted Excel cell arrives as the text it shows ("35%"); numbers may carry
thousands separators, full-width digits and a 万/亿 unit that matches the metric's; dates may be
written 2023-5-4, 2023/5/4, 2023.5.4, 2023年5月4日 or 20230504; months 2023-07, 2023/7,
2023.7 or 2023年7月; items 16, 十六, （十六）, 十六、 or 第十六项, as the plan's own headings
write them.  Anything else is refused with a message that says how to write it.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from workplan.errors import Unreadable
from workplan.i18n import L_, Text
from workplan.plan.compiled import CHINESE_DIGITS
from workplan.plan.units import is_percent, split_unit

_NUMBER = re.compile(r"^([+-]?)(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?$|^([+-]?)(\.\d+)$")
_DAY_FORMS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})[日号]?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
_MONTH = re.compile(r"^(\d{4})(?:[-/.]|年)(\d{1,2})月?$")
_ITEM = re.compile(r"^(?:第(?P<nth>.+?)[项条]|[(（](?P<paren>.+?)[)）]|(?P<bare>.+?)[、.．]?)$")
_QUALIFIERS = ("左右", "以上", "以下", "多", "余", "大约", "约为", "约", "近", "超过", "不到")


def normalise(text: str) -> str:
    """Return text with full-width digits and signs made plain (１２，３４５％ -> 12,345%)."""
    return unicodedata.normalize("NFKC", text).strip()


def text_of(value: Any) -> str | None:
    """Return a cell as stripped text (a whole float without its .0), or None when empty."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def read_day(value: Any) -> date:
    """Return the day a cell or an argument names; raise Unreadable saying how to write it."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = text_of(value)
    if text is None:
        raise Unreadable(L_("the date is missing"))
    plain = normalise(text)
    if "年" in plain:
        plain = plain.replace(" ", "")
    for form in _DAY_FORMS:
        found = form.match(plain)
        if found:
            year, month, day = (int(g) for g in found.groups())
            try:
                return date(year, month, day)
            except ValueError as exc:
                raise Unreadable(
                    L_("'{text}' is not a real date ({reason})", text=text, reason=str(exc))
                ) from None
    raise Unreadable(
        L_("'{text}' is not a date: write it like 2023-05-04, 2023/5/4 or 2023年5月4日", text=text)
    )


def parse_month(value: Any) -> date | None:
    """Return the first day of the month written (2023-07, 2023/7, 2023年7月), or None."""
    text = text_of(value)
    found = _MONTH.match(normalise(text).replace(" ", "")) if text else None
    if found and 1 <= int(found.group(2)) <= 12:
        return date(int(found.group(1)), int(found.group(2)), 1)
    return None


def read_month(value: Any) -> date:
    """Return the first day of the month written (2023-07, 2023/7, 2023年7月); raise
    Unreadable saying how to write it."""
    month = parse_month(value)
    if month is not None:
        return month
    text = text_of(value)
    raise Unreadable(L_("'{text}' is not a month like 2023-07 or 2023年7月", text=text or ""))


def _chinese_number(core: str) -> int | None:
    """Read 一 to 九十九 written in Chinese digits (十六, 二十, 二十五)."""
    if not core or any(c not in CHINESE_DIGITS + "十" for c in core):
        return None
    if "十" not in core:
        return CHINESE_DIGITS.index(core) if len(core) == 1 and core != "零" else None
    tens_text, _, ones_text = core.partition("十")
    if len(tens_text) > 1 or len(ones_text) > 1 or "零" in tens_text + ones_text:
        return None
    tens = CHINESE_DIGITS.index(tens_text) if tens_text else 1
    ones = CHINESE_DIGITS.index(ones_text) if ones_text else 0
    return tens * 10 + ones if tens else None


def parse_item(value: Any) -> int | None:
    """Return the item number written (16, 十六, （十六）, (16), 十六、, 第十六项), or None."""
    text = text_of(value)
    if text is None:
        return None
    found = _ITEM.match(text.replace(" ", "").replace("\u3000", ""))
    if not found:
        return None
    core = normalise(next(g for g in found.groups() if g is not None))
    number = int(core) if core.isdigit() else _chinese_number(core)
    return number if number else None


def not_an_item(text: str) -> Text:
    """The message for what is not an item number, saying how to write one."""
    return L_(
        "'{text}' is not an item number (write 16, 十六, （十六）, 十六、 or 第十六项)", text=text
    )


def read_item(value: Any) -> int:
    """Return the item number written; raise Unreadable saying how to write it."""
    number = parse_item(value)
    if number is None:
        raise Unreadable(not_an_item(text_of(value) or ""))
    return number


@dataclass(frozen=True)
class Reading:
    """A number as written: its value in the metric's unit, and how it was written."""

    value: float
    percent_sign: bool = False
    """written with a % sign (or shown by a percent-formatted cell)"""


def _not_a_number(value: Any) -> Unreadable:
    return Unreadable(
        L_(
            "'{value}' is not a number: write digits; an amount may be written 1.2亿 or 4,400万, "
            "a percentage 35 or 35%",
            value=value,
        )
    )


def _qualified(text: str, qualifier: str, figure: str) -> Unreadable:
    """The message for a figure with a qualifier (60%左右, 约60%): what to write instead."""
    return Unreadable(
        L_(
            "'{text}' says '{qualifier}': write the figure alone ({figure}) and put "
            "'{qualifier}' in the note",
            text=text,
            qualifier=qualifier,
            figure=figure,
        )
    )


def read_number(value: Any, unit: str, name: str | None = None) -> Reading:
    """Read a value for a metric counted in ``unit``; raise Unreadable saying what is wrong.

    "1.2亿", "12,000万元" and "1.2亿元" are all 1.2 for a metric in 亿元; "35%" is 35 for a
    percentage, and refused for a metric that is not one.  ``name`` is the metric as
    messages call it (its title).
    """
    if isinstance(value, bool):
        raise _not_a_number(value)
    if isinstance(value, int | float):
        number = float(value)
        if not math.isfinite(number):
            raise _not_a_number(value)
        return Reading(number)
    text = text_of(value)
    if text is None:
        raise Unreadable(L_("the value is missing"))
    plain = normalise(text).replace(" ", "").replace("，", ",")
    qualifier = next((q for q in _QUALIFIERS if plain.startswith(q)), None)
    if qualifier is not None and re.match(r"^[+-]?\d", plain[len(qualifier) :]):
        raise _qualified(text, qualifier, plain[len(qualifier) :])
    found = re.match(r"^([+-]?[\d.,]+)(.*)$", plain)
    if not found or not _NUMBER.match(found.group(1)):
        raise _not_a_number(text)
    digits, suffix = found.groups()
    number = float(digits.replace(",", ""))
    if not suffix:
        return Reading(number)
    qualifier = next((q for q in _QUALIFIERS if suffix.endswith(q)), None)
    if qualifier is not None:
        raise _qualified(text, qualifier, digits + suffix[: -len(qualifier)])
    if suffix == "%":
        if not is_percent(unit):
            raise Unreadable(
                L_(
                    "'{text}' is a percentage, but {metric} is counted in {unit}",
                    text=text,
                    metric=name or L_("the metric"),
                    unit=unit,
                )
            )
        return Reading(number, percent_sign=True)
    factor, base = split_unit(suffix)
    metric_factor, metric_base = split_unit(unit)
    # "21个" for a metric in 个镇街: the measure word alone is enough
    if base and not (metric_base and metric_base.startswith(base)):
        raise Unreadable(
            L_(
                "'{text}' is in {suffix}, but {metric} is counted in {unit}",
                text=text,
                suffix=suffix,
                metric=name or L_("the metric"),
                unit=unit,
            )
        )
    return Reading(round(number * factor / metric_factor, 10))
