"""Working days: a country's statutory holidays and swapped working days, plus a plan's own."""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from datetime import date, timedelta
from functools import cached_property, lru_cache
from pathlib import Path
from types import ModuleType
from typing import Any

import holidays

from workplan.plan.settings import CalendarSpec

CHINA = ("CN", "CHN")
_CHINA_MODULE = "holidays.countries.china"
_loading = threading.Lock()


def _china() -> ModuleType:
    """Return the ``holidays`` package's module of China, imported on its own.

    Importing it the usual way runs ``holidays.countries``' ``__init__``, which imports every
    one of the package's 250 countries (40 ms of a `workplan status`, to read one).  China's
    module imports none of them: it is read from its file under its own name, so a later
    import of the whole package finds it already there.
    """
    with _loading:
        found = sys.modules.get(_CHINA_MODULE)
        if found is not None:
            return found
        path = Path(holidays.__file__).parent / "countries" / "china.py"
        spec = importlib.util.spec_from_file_location(_CHINA_MODULE, path)
        if spec is None or spec.loader is None or not path.is_file():
            return importlib.import_module(_CHINA_MODULE)  # another layout: the usual way
        module = importlib.util.module_from_spec(spec)
        sys.modules[_CHINA_MODULE] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[_CHINA_MODULE]
            raise
        return module


def country_holidays(country: str, years: Iterable[int], language: str | None = None) -> Any:
    """Return a country's holidays for ``years`` (``holidays.country_holidays``; China's
    without importing every other country)."""
    if country.upper() in CHINA:
        return _china().China(years=years, language=language)
    return holidays.country_holidays(country, years=years, language=language)


class WorkCalendar:
    """Answer working-day questions for a span of years.

    China moves weekend days around its holidays: 2023-04-23 (a Sunday) was a working day and
    2023-05-02 (a Tuesday) was not.  The ``holidays`` package knows both; the plan may add its
    own days off (``extra_holidays``) and working days (``extra_working_days``).
    """

    def __init__(
        self,
        country: str = "CN",
        years: Iterable[int] = (),
        extra_holidays: Iterable[date] = (),
        extra_working_days: Iterable[date] = (),
        schedules: dict[int, tuple[frozenset[date], frozenset[date]]] | None = None,
    ) -> None:
        self.country = country
        self.extra_holidays = frozenset(extra_holidays)
        self.extra_working_days = frozenset(extra_working_days)
        self.schedules = dict(schedules or {})
        """official schedules from calendar files: year -> (days off, weekend working days)"""
        span = sorted(set(years)) or [date.today().year]
        self.first_year = span[0] - 1
        self.last_year = span[-1] + 1
        self._build()

    def _build(self) -> None:
        years = range(self.first_year, self.last_year + 1)
        self._holidays = country_holidays(self.country, years)
        self._start = date(self.first_year, 1, 1)
        self._end = date(self.last_year, 12, 31)
        days: list[int] = []
        current = self._start
        while current <= self._end:
            if self._working(current):
                days.append(current.toordinal())
            current += timedelta(days=1)
        self._days = days
        self.__dict__.pop("_day_set", None)
        # the rules ask the same few questions for thousands of obligations
        self._memo: dict[tuple[Any, ...], Any] = {}

    def _working(self, day: date) -> bool:
        if day in self.extra_working_days:
            return True
        if day in self.extra_holidays:
            return False
        schedule = self.schedules.get(day.year)
        if schedule is not None:
            days_off, working_days = schedule
            if day in working_days:
                return True
            return day.weekday() < 5 and day not in days_off
        return bool(self._holidays.is_working_day(day))

    @cached_property
    def _day_set(self) -> frozenset[int]:
        return frozenset(self._days)

    def _cover(self, day: date) -> None:
        if day < self._start:
            self.first_year = day.year - 1
            self._build()
        elif day > self._end:
            self.last_year = day.year + 1
            self._build()

    def is_working_day(self, day: date) -> bool:
        """Return True when ``day`` is a working day."""
        self._cover(day)
        return day.toordinal() in self._day_set

    def holiday_name(self, day: date, language: str | None = None) -> str | None:
        """Return the name of the holiday on ``day``, if any (``language``: e.g. zh_CN, en_US)."""
        self._cover(day)
        if day in self.extra_holidays:
            return "计划休息日" if language == "zh_CN" else "plan holiday"
        schedule = self.schedules.get(day.year)
        if schedule is not None:
            if day not in schedule[0]:
                return None
            return "法定节假日" if language == "zh_CN" else "public holiday"
        names: Any = self._holidays
        if language is not None:
            key = ("names", language, self.first_year)
            names = self._memo.get(key)
            if names is None:
                years = range(self.first_year, self.last_year + 1)
                try:
                    names = country_holidays(self.country, years, language)
                except (NotImplementedError, ValueError):
                    names = self._holidays
                self._memo[key] = names
        name = names.get(day)
        return str(name) if name else None

    def after(self, day: date, n: int = 1) -> date:
        """Return the ``n``-th working day strictly after ``day``."""
        if n < 1:
            raise ValueError("n must be at least 1")
        self._cover(day + timedelta(days=n * 3 + 30))
        index = bisect_right(self._days, day.toordinal()) + n - 1
        return date.fromordinal(self._days[index])

    def before(self, day: date, n: int = 1) -> date:
        """Return the ``n``-th working day strictly before ``day``."""
        found: date | None = self._memo.get(("before", day, n))
        if found is None:
            if n < 1:
                raise ValueError("n must be at least 1")
            self._cover(day - timedelta(days=n * 3 + 30))
            index = bisect_left(self._days, day.toordinal()) - n
            found = self._memo[("before", day, n)] = date.fromordinal(self._days[index])
        return found

    def on_or_after(self, day: date) -> date:
        """Return ``day`` if it is a working day, else the next one."""
        return day if self.is_working_day(day) else self.after(day)

    def count(self, start: date, end: date) -> int:
        """Return the number of working days in (start, end]; negative when end < start."""
        found: int | None = self._memo.get(("count", start, end))
        if found is None:
            found = self._memo[("count", start, end)] = self._count(start, end)
        return found

    def _count(self, start: date, end: date) -> int:
        self._cover(start)
        self._cover(end)
        a, b = start.toordinal(), end.toordinal()
        if b >= a:
            return bisect_right(self._days, b) - bisect_right(self._days, a)
        return -(bisect_right(self._days, a) - bisect_right(self._days, b))

    def days_off(self, start: date, end: date) -> list[date]:
        """Return the days in [start, end] that are not working days."""
        out = []
        current = start
        while current <= end:
            if not self.is_working_day(current):
                out.append(current)
            current += timedelta(days=1)
        return out


def official_through(country: str) -> int | None:
    """Return the last year whose official schedule the installed holiday data carries.

    China publishes each year's holidays and swapped working days in November of the year
    before; the ``holidays`` package computes later years by rule, without the 调休.  None
    when the country's data does not say (then nothing is claimed either way).
    """
    if country.upper() not in CHINA:
        return None
    return int(max(_china().ChinaStaticHolidays.special_public_holidays))


def unknown_years(spec: CalendarSpec, years: Iterable[int]) -> list[int]:
    """Return the years a plan's calendar would have to guess: neither the installed holiday
    data nor the plan's calendar files give their official schedule."""
    last = official_through(spec.country)
    covered = {s.year for s in spec.schedules}
    if last is None:
        return []
    return sorted({y for y in years if y > last and y not in covered})


def calendar_for(spec: CalendarSpec, year: int) -> WorkCalendar:
    """Return the working-day calendar a plan's settings describe."""
    return WorkCalendar(
        spec.country,
        years=range(year, year + 2),
        extra_holidays=spec.extra_holidays,
        extra_working_days=spec.extra_working_days,
        schedules={
            s.year: (frozenset(s.holidays), frozenset(s.working_days)) for s in spec.schedules
        },
    )


class Calendars:
    """Build each distinct calendar once: thousands of plans usually share a handful."""

    def get(self, spec: CalendarSpec, year: int) -> WorkCalendar:
        return _calendar(spec, year)


@lru_cache(maxsize=64)
def _calendar(spec: CalendarSpec, year: int) -> WorkCalendar:
    return calendar_for(spec, year)
