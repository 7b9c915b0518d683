"""Units of measure as plans write them: 亿元 is 元 counted in hundreds of millions, 个镇街 a count.

Pure and small: the plan's validation and the store's reading of reported values both ask
what a unit means.
"""

from __future__ import annotations

MULTIPLIERS = {"万": 1e4, "亿": 1e8}
# measure words (量词): a unit that starts with one counts things, which are never negative
COUNT_WORDS = frozenset("个人家户次项名所座处件场期篇台辆套间批村镇条份张本位支队")
PERCENT = frozenset({"%", "％"})


def split_unit(unit: str) -> tuple[float, str]:
    """Return a unit's multiplier and base: 亿元 -> (1e8, 元), 万人 -> (1e4, 人), % -> (1, %)."""
    text = unit.strip()
    if text[:1] in MULTIPLIERS:
        return MULTIPLIERS[text[0]], text[1:]
    return 1.0, text


def is_percent(unit: str) -> bool:
    """Return True for a percentage (%, ％)."""
    return unit.strip() in PERCENT


def is_count(unit: str) -> bool:
    """Return True for a unit that counts things (人, 个镇街, 家, 万人 …)."""
    _, base = split_unit(unit)
    return base[:1] in COUNT_WORDS


def figure(value: float | None, missing: str = "–") -> str:
    """Say a number as tables, forms and letters show it: 4,927, 27.27, 1 (never 1.0), with at
    most two decimals; ``missing`` when there is none."""
    if value is None:
        return missing
    return f"{value:,.2f}".rstrip("0").rstrip(".")
