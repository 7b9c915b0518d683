"""Periods and recurrences: "Q1", "by the end of June", "every month", RFC 5545 rules."""

from __future__ import annotations

import calendar as _cal
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from itertools import islice

from dateutil.rrule import rrule, rrulestr

MAX_OCCURRENCES = 400
RRULE_SECONDS = 0.5
DUE_PATTERN = r"^(\d{4}-)?(Q[1-4]|H[12])$|^\d{4}-(0[1-9]|1[0-2])$|^year-end$"
_DUE = re.compile(DUE_PATTERN)
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Window:
    """When an obligation can be met: it opens (if it has a start) and it is due."""

    opens: date | None
    due: date


@dataclass(frozen=True)
class Occurrence:
    """One dated occurrence of a recurring duty, labelled by its period (2023-06, 2023-Q2)."""

    label: str
    opens: date
    due: date


def is_due_text(text: str) -> bool:
    """Return True when ``text`` names a period a deadline can fall at."""
    return bool(_DUE.match(text))


def month_end(year: int, month: int) -> date:
    """Return the last day of a month."""
    return date(year, month, _cal.monthrange(year, month)[1])


def resolve_due(value: date | str, year: int) -> Window:
    """Turn a written due date or period into a window (``Q1`` -> 1 Jan .. 31 Mar)."""
    if isinstance(value, date):
        return Window(None, value)
    text = value
    if text == "year-end":
        return Window(None, date(year, 12, 31))
    if len(text) == 7 and text[4] == "-" and text[5:].isdigit():
        y, m = int(text[:4]), int(text[5:])
        return Window(date(y, m, 1), month_end(y, m))
    if "-" in text:
        year, text = int(text[:4]), text[5:]
    if text[0] == "Q":
        q = int(text[1])
        return Window(date(year, 3 * q - 2, 1), month_end(year, 3 * q))
    h = int(text[1])
    return Window(date(year, 6 * h - 5, 1), month_end(year, 6 * h))


def _clamp_day(year: int, month: int, day: int | None) -> date:
    last = _cal.monthrange(year, month)[1]
    if day is None or day == -1:
        return date(year, month, last)
    return date(year, month, min(day, last))


def _months(step: int, start: date, until: date, day: int | None) -> Iterator[Occurrence]:
    labels = {1: "{y}-{m:02d}", 3: "{y}-Q{q}", 6: "{y}-H{h}", 12: "{y}"}
    year, month = start.year, 1
    while True:
        last_month = month + step - 1
        due = _clamp_day(year, last_month, day)
        opens = date(year, month, 1)
        if due > until and opens > until:
            return
        if due >= start and opens <= until:
            label = labels[step].format(y=year, m=month, q=(month + 2) // 3, h=(month + 5) // 6)
            yield Occurrence(label, opens, due)
        month += step
        if month > 12:
            year, month = year + 1, month - 12


def _weeks(start: date, until: date, weekday: int) -> Iterator[Occurrence]:
    monday = start - timedelta(days=start.weekday())
    while monday <= until:
        due = monday + timedelta(days=weekday)
        if start <= due <= until:
            iso = due.isocalendar()
            yield Occurrence(f"{iso.year}-W{iso.week:02d}", monday, due)
        monday += timedelta(days=7)


def _two_months(start: date, until: date, day: int | None) -> Iterator[Occurrence]:
    """Two-month periods (双月) from the month of ``start``: 2023-01~02, 2023-03~04 …; a
    period that ends after ``until`` is left out."""
    year, month = start.year, start.month
    while True:
        end_year, end_month = (year, month + 1) if month < 12 else (year + 1, 1)
        opens = date(year, month, 1)
        due = _clamp_day(end_year, end_month, day)
        if due > until:  # a period running past the duty's end is left out
            return
        yield Occurrence(f"{year}-{month:02d}~{end_month:02d}", opens, due)
        year, month = (end_year, end_month + 1) if end_month < 12 else (end_year + 1, 1)


def working_days(start: date, until: date, is_working: Callable[[date], bool]) -> list[Occurrence]:
    """Expand ``every: working-day``: one occurrence on each working day, labelled by its date."""
    out: list[Occurrence] = []
    day = start
    while day <= until:
        if is_working(day):
            out.append(Occurrence(day.isoformat(), day, day))
            if len(out) > MAX_OCCURRENCES:
                raise RecurrenceError(f"more than {MAX_OCCURRENCES} occurrences")
        day += timedelta(days=1)
    return out


def weekday_index(day: int | str | None) -> int:
    """Return 0 (Monday) .. 6 (Sunday) from 'fri' or 1..7; Friday when not given."""
    if day is None:
        return 4
    if isinstance(day, str):
        return _WEEKDAYS.index(day.lower()[:3])
    return day - 1


class RecurrenceError(ValueError):
    """A recurrence that cannot be expanded: unparseable, unbounded or too dense."""


def shortcut(every: str, start: date, until: date, day: int | str | None) -> list[Occurrence]:
    """Expand ``every: month`` (week, quarter, half-year, year) between two dates."""
    if every == "week":
        items = list(islice(_weeks(start, until, weekday_index(day)), MAX_OCCURRENCES + 1))
    elif every == "2 months":
        month_day = day if isinstance(day, int) else None
        items = list(islice(_two_months(start, until, month_day), MAX_OCCURRENCES + 1))
    else:
        step = {"month": 1, "quarter": 3, "half-year": 6, "year": 12}[every]
        month_day = day if isinstance(day, int) else None
        items = list(islice(_months(step, start, until, month_day), MAX_OCCURRENCES + 1))
    if len(items) > MAX_OCCURRENCES:
        raise RecurrenceError(f"more than {MAX_OCCURRENCES} occurrences")
    return items


_FREQ = re.compile(r"FREQ=(\w+)")
_COUNT = re.compile(r";?COUNT=(\d+)")


def expand_rrule(rule: str, start: date, until: date | None, horizon: date) -> list[Occurrence]:
    """Expand an RFC 5545 RRULE from ``start``; it must end (UNTIL, COUNT or ``until``).

    Expansion never looks past ``horizon``, so a rule whose filters never match cannot spin.
    """
    text = rule.strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    if any(c in text for c in "\r\n"):
        raise RecurrenceError("an RRULE is one line")
    upper = text.upper()
    freq = _FREQ.search(upper)
    if freq is None:
        raise RecurrenceError("not a valid RRULE: FREQ= is missing")
    if freq.group(1) not in ("DAILY", "WEEKLY", "MONTHLY", "YEARLY"):
        fine = freq.group(1) in ("HOURLY", "MINUTELY", "SECONDLY")
        raise RecurrenceError(
            f"FREQ={freq.group(1)} is {'finer than a day' if fine else 'not a frequency'}:"
            " use DAILY, WEEKLY, MONTHLY or YEARLY"
        )
    if "UNTIL=" not in upper and "COUNT=" not in upper and until is None:
        raise RecurrenceError("the rule never ends: add UNTIL=, COUNT= or 'until:'")
    count_match = _COUNT.search(upper)
    count = int(count_match.group(1)) if count_match else None
    if count_match:
        text = (text[: count_match.start()] + text[count_match.end() :]).strip(";")
    end = min(until or horizon, horizon)
    try:
        parsed = rrulestr(text, dtstart=datetime.combine(start, datetime.min.time()))
        if not isinstance(parsed, rrule):  # a set (RDATE, EXDATE…): not one rule
            raise ValueError("one RRULE only")
        if "UNTIL=" not in upper:
            # without 'until:', look a year past the horizon so that a COUNT= running past it
            # is reported rather than silently cut
            stop = end if until is not None else horizon + timedelta(days=366)
            parsed = parsed.replace(until=datetime.combine(stop, datetime.max.time()))
    except (ValueError, TypeError) as exc:
        raise RecurrenceError(f"not a valid RRULE ({exc})") from None
    limit = MAX_OCCURRENCES + 1 if count is None else min(count, MAX_OCCURRENCES + 1)
    nothing = (
        f"the rule has no occurrence between {start.isoformat()} and {end.isoformat()} "
        "(are its filters possible?)"
    )
    try:
        moments = _bounded(parsed, limit)
    except RecurrenceError:
        raise RecurrenceError(nothing) from None
    if len(moments) > MAX_OCCURRENCES:
        raise RecurrenceError(
            f"the rule gives more than {MAX_OCCURRENCES} occurrences, the limit for one duty; "
            "end it sooner with UNTIL=, COUNT= or 'until:'"
        )
    beyond = [m.date() for m in moments if m.date() > end]
    if beyond and until is None:
        raise RecurrenceError(
            f"the rule runs past {horizon.isoformat()} (to {beyond[-1].isoformat()}), the end of "
            "the plan's period; end it earlier with UNTIL= or COUNT=, or widen 'period:'"
        )
    out = [Occurrence(m.date().isoformat(), m.date(), m.date()) for m in moments if m.date() <= end]
    if not out:
        raise RecurrenceError(nothing)
    return out


def _bounded(rule: Iterable[datetime], limit: int) -> list[datetime]:
    """Take at most ``limit`` items from a rule, giving up after RRULE_SECONDS.

    dateutil checks UNTIL only on dates that pass the rule's filters; a rule whose filters
    never match (FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30) walks on to the year 9999.  It runs in a
    daemon thread so that such a rule is reported at once rather than after seconds.
    """
    box: list[list[datetime]] = []
    worker = threading.Thread(target=lambda: box.append(list(islice(rule, limit))), daemon=True)
    worker.start()
    worker.join(RRULE_SECONDS)
    if not box:
        raise RecurrenceError("the rule finds no day in its span (are its filters possible?)")
    return box[0]


@lru_cache(maxsize=4096)
def period_of(cadence: str, day: date) -> tuple[str, date, date]:
    """Return the label, first and last day of the reporting period that contains ``day``."""
    if cadence == "week":
        start = day - timedelta(days=day.weekday())
        iso = day.isocalendar()
        return f"{iso.year}-W{iso.week:02d}", start, start + timedelta(days=6)
    months = {"month": 1, "quarter": 3, "half-year": 6, "year": 12}[cadence]
    first_month = (day.month - 1) // months * months + 1
    start = date(day.year, first_month, 1)
    end = month_end(day.year, first_month + months - 1)
    label = {
        1: f"{day.year}-{first_month:02d}",
        3: f"{day.year}-Q{(first_month + 2) // 3}",
        6: f"{day.year}-H{(first_month + 5) // 6}",
        12: f"{day.year}",
    }[months]
    return label, start, end


_LABEL = re.compile(r"^(\d{4})(?:-(\d{2})|-Q([1-4])|-H([12])|-W(\d{2}))?$")


def label_span(label: str) -> tuple[date, date] | None:
    """Return the first and last day of the period an occurrence label names (2023-04, 2023-Q2,
    2023-H1, 2023, 2023-W05), or None for a label that is not a period (a term, a date)."""
    found = _LABEL.match(label)
    if not found:
        return None
    year, month, quarter, half, week = found.groups()
    y = int(year)
    if month:
        return date(y, int(month), 1), month_end(y, int(month))
    if quarter:
        q = int(quarter)
        return date(y, 3 * q - 2, 1), month_end(y, 3 * q)
    if half:
        h = int(half)
        return date(y, 6 * h - 5, 1), month_end(y, 6 * h)
    if week:
        monday = date.fromisocalendar(y, int(week), 1)
        return monday, monday + timedelta(days=6)
    return date(y, 1, 1), date(y, 12, 31)
