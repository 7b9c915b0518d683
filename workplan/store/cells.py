"""Read values and dates as offices write them, in a ledger cell or on the command line.

A percent-formatted Excel cell arrives as the text it shows ("35%"); numbers may carry
thousands separators, full-width digits and a 万/亿 unit that matches the metric's; dates may be
written 2023-5-4, 2023/5/4, 2023.5.4, 2023年5月4日 or 20230504.  Anything else is refused with
a message that says how to write it.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from workplan.plan.units import is_percent, split_unit

_NUMBER = re.compile(r"^([+-]?)(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?$|^([+-]?)(\.\d+)$")
_DAY_FORMS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})[日号]?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
DAY_HELP = "write it like 2023-05-04, 2023/5/4 or 2023年5月4日"


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
    """Return the day a cell or an argument names; raise ValueError saying how to write it."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = text_of(value)
    if text is None:
        raise ValueError("the date is missing")
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
                raise ValueError(f"'{text}' is not a real date ({exc})") from None
    raise ValueError(f"'{text}' is not a date: {DAY_HELP}")


@dataclass(frozen=True)
class Reading:
    """A number as written: its value in the metric's unit, and how it was written."""

    value: float
    percent_sign: bool = False
    """written with a % sign (or shown by a percent-formatted cell)"""


def read_number(value: Any, unit: str, name: str = "the metric") -> Reading:
    """Read a value for a metric counted in ``unit``; raise ValueError saying what is wrong.

    "1.2亿", "12,000万元" and "1.2亿元" are all 1.2 for a metric in 亿元; "35%" is 35 for a
    percentage, and refused for a metric that is not one.  ``name`` is the metric as
    messages call it.
    """
    if isinstance(value, bool):
        raise ValueError(f"'{value}' is not a number")
    if isinstance(value, int | float):
        number = float(value)
        if not math.isfinite(number):
            raise ValueError(f"'{value}' is not a number")
        return Reading(number)
    text = text_of(value)
    if text is None:
        raise ValueError("the value is missing")
    plain = normalise(text).replace(" ", "").replace("，", ",")
    found = re.match(r"^([+-]?[\d.,]+)(.*)$", plain)
    if not found:
        raise ValueError(f"'{text}' is not a number")
    digits, suffix = found.groups()
    match = _NUMBER.match(digits)
    if not match:
        raise ValueError(f"'{text}' is not a number")
    number = float(digits.replace(",", ""))
    if not suffix:
        return Reading(number)
    if suffix == "%":
        if not is_percent(unit):
            raise ValueError(f"'{text}' is a percentage, but {name} is counted in {unit}")
        return Reading(number, percent_sign=True)
    factor, base = split_unit(suffix)
    metric_factor, metric_base = split_unit(unit)
    # "21个" for a metric in 个镇街: the measure word alone is enough
    if base and not (metric_base and metric_base.startswith(base)):
        raise ValueError(f"'{text}' is in {suffix}, but {name} is counted in {unit}")
    return Reading(round(number * factor / metric_factor, 10))
