"""What a notice says: the data a template renders, built from stored notices.

A *letter* is one notice as its recipient reads it: which item, what is due or short, by when,
why it was sent (the rule and the working-day arithmetic) and what to do.  A *message* is one
e-mail: a single letter (escalations go on their own) or a department's daily digest of
letters.  Templates receive only these plain values; plan text is data, never template code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from workplan.channels.base import Party
from workplan.plan.calendar import WorkCalendar
from workplan.plan.compiled import PERIODIC, item_label
from workplan.rules.kinds import rule_kind


@dataclass(frozen=True)
class DayOff:
    """A day that is not a working day, with the holiday's name when it has one, or a weekend
    day that is one (``working``: 调休上班)."""

    day: date
    name: str | None
    working: bool = False


@dataclass(frozen=True)
class Earlier:
    """A document about the same thing sent before: its name, date and number."""

    level_name: str
    day: date
    number: str | None


@dataclass(frozen=True)
class Letter:
    """One notice, as its recipient reads it."""

    kind: str
    """reminder, warning, overdue, escalation or bulletin (``rules.kinds.LETTER_KINDS``)"""
    rule: str
    """remind, warn, pace, report, overdue, report-overdue or backlog: why it was sent"""
    topic: str
    """what the line is about: a deadline, a report, the pace or the backlog (the templates
    branch on it; ``rules.kinds.Topic``)"""
    level: int
    level_name: str
    """提醒, 提示函, 序时进度提示, 报送提醒, 催办, 督办, 通报 … as the plan names the level"""
    item: int
    item_label: str
    """（十六）"""
    item_title: str
    about: str
    """the obligation's or metric's title, e.g. 中央衔接资金支出进度"""
    key: str
    """the obligation's key (central-disbursement#1) or the metric's (central-disbursement)"""
    due: date
    """the deadline concerned (for a missing report, the end of the period without one)"""
    planned: date | None
    """the deadline as planned, when an extension moved it"""
    working_days: int
    """working days from today to the deadline: positive before it, negative after"""
    days_off: tuple[DayOff, ...]
    """the days between today and the deadline that are not working days"""
    facts: dict[str, Any] = field(default_factory=dict)
    """the numbers: value, target, unit, shortfall, projected, expected, gap, tolerance,
    period, cadence, reported_on, working_days_late …"""
    remind_days: tuple[int, ...] = ()
    """the plan's reminder policy: working days before a deadline"""
    ladder: tuple[tuple[int, str, int], ...] = ()
    """the plan's escalation ladder: (level, name, working days after the deadline)"""
    occurrence: str = ""
    """the period of a recurring duty's occurrence (2023-04, 2023-Q2 …), "" for the rest"""
    owners: tuple[str, ...] = ()
    """the departments that answer for it"""
    copy: bool = False
    """the recipient does not answer for it: the office's or leadership's line, for supervision"""
    history: tuple[Earlier, ...] = ()
    """the documents about it sent before, oldest first, as the record shows them"""
    act_on: date | None = None
    """the last working day on or before the deadline: the day to act on when the deadline
    falls on a day off (30 September 2023, 中秋: 28 September)"""
    act_by: date | None = None
    """the calendar date the recipient is asked to act or answer by: for a reminder or a
    提示函, the day to act on; for a letter of the ladder, ``reply_days`` working days from the
    letter's day"""
    reply_days: int | None = None
    """working days given to answer a letter sent after the deadline (催办 3, 督办 5, 通报 10)"""
    today: date | None = None
    """the day the letter is dated"""
    asks: str = ""
    """what the letter asks, where its kind says it (``RuleKind.asks``: the office's cycle)"""

    @property
    def due_today(self) -> bool:
        """Whether the letter is dated on the deadline itself (今天到期)."""
        return self.today == self.due

    @property
    def reported(self) -> bool:
        """Whether a figure was reported for the line (no figure: nothing is behind, or
        projected; the line says 未报送)."""
        return self.facts.get("value") is not None


def _asks(asks: tuple[str, str], locale: str, reason: str | None) -> str:
    """What a cycle letter asks, with the reason the office gave where it says ``{why}``."""
    if locale == "en":
        return asks[1].replace("{why}", f" (the reason: {reason})" if reason else "")
    return asks[0].replace("{why}", f"（退回理由：{reason}）" if reason else "")


REPLY_DAYS: dict[str, int] = {"overdue": 3, "escalation": 5, "bulletin": 10}
"""working days a letter after the deadline gives to answer, by letter kind"""
SHORTFALL_REPLY = 5
"""working days a shortfall's 提示函 gives to explain why the target was not reached"""


@dataclass(frozen=True)
class Message:
    """One e-mail: what every template of a message may use."""

    kind: str
    """a letter kind, or "digest" for a department's daily digest"""
    locale: str
    today: date
    plan_title: str
    plan_year: int
    issuer: str
    """who signs the letter: the plan's issuer, else the office"""
    office: Party
    department: Party
    """the department the message is for"""
    letters: tuple[Letter, ...]
    """the lines of the letter: one per item (a digest's reminders; a 催办单's overdue items)"""
    head: Party | None = None
    """the department's head, when the notice goes to heads too"""
    copied: tuple[Party, ...] = ()
    """who is copied (nobody by default: the office and the leadership get letters of their own)"""
    number: str | None = None
    """the document number (文号), when the plan numbers this kind of document"""
    summary: bool = False
    """a summary for the office or the leadership rather than a department's own letter"""
    report_url: str | None = None
    """the department's own signed link to its report page, when the web pages are set up"""
    document: str | None = None
    """the document it is (催办, 通报, 督查专报, 抄送, digest …), as the office's record keeps it"""
    return_form: str | None = None
    """the file name of the return form attached, when the letter carries one"""
    addressees: tuple[str, ...] = ()
    """主送: the departments the act names, when one document goes to several (the day's 通报)"""

    @property
    def letter(self) -> Letter:
        """The first (for a single notice, the only) letter."""
        return self.letters[0]


LANGUAGES = {"zh-CN": "zh_CN", "en": "en_US"}


def days_off_between(
    calendar: WorkCalendar, start: date, end: date, locale: str = "zh-CN"
) -> tuple[DayOff, ...]:
    """Return the non-working days between two days (in either order, the later included),
    named in the locale's language, and the weekend days among them that are working days
    (调休上班), in order of the calendar."""
    low, high = (start, end) if start <= end else (end, start)
    if (high - low).days > 62:
        return ()
    language = LANGUAGES.get(locale)
    out = []
    day = low + timedelta(days=1)
    while day <= high:
        working = calendar.is_working_day(day)
        if not working:
            out.append(DayOff(day, calendar.holiday_name(day, language)))
        elif day.weekday() >= 5:
            out.append(DayOff(day, None, working=True))
        day += timedelta(days=1)
    return tuple(out)


def act_on(calendar: WorkCalendar, due: date) -> date:
    """The day to act on for a deadline: the deadline, or the last working day before it when
    it falls on a day off."""
    return due if calendar.is_working_day(due) else calendar.before(due)


def letter(
    *,
    rule: str,
    level: int,
    level_name: str,
    item: int,
    item_title: str,
    due: date,
    facts: dict[str, Any],
    today: date,
    calendar: WorkCalendar,
    remind_days: tuple[int, ...] = (),
    ladder: tuple[tuple[int, str, int], ...] = (),
    locale: str = "zh-CN",
    recipient: str | None = None,
    history: tuple[Earlier, ...] = (),
) -> Letter:
    """Build a letter from a stored notice's fields."""
    planned = facts.get("planned")
    key = str(facts.get("key") or "")
    owners = tuple(facts.get("owners") or ())
    kind = rule_kind(rule)
    letter_kind = kind.letter_at(level)
    last_day = act_on(calendar, due)
    reply = REPLY_DAYS.get(letter_kind) or (SHORTFALL_REPLY if kind.topic == "shortfall" else None)
    return Letter(
        kind=letter_kind,
        rule=rule,
        topic=kind.topic,
        level=level,
        level_name=level_name,
        item=item,
        item_label=item_label(item),
        item_title=item_title,
        about=str(facts.get("title", "")),
        key=str(facts.get("key") or facts.get("metric") or ""),
        due=due,
        planned=date.fromisoformat(planned) if isinstance(planned, str) else planned,
        working_days=calendar.count(today, due),
        days_off=days_off_between(calendar, today, due, locale),
        facts=dict(facts),
        remind_days=remind_days,
        ladder=ladder,
        occurrence=key.partition("@")[2] if facts.get("kind") in PERIODIC else "",
        owners=owners,
        copy=recipient is not None and bool(owners) and recipient not in owners,
        history=history,
        act_on=last_day,
        act_by=calendar.after(today, reply) if reply else last_day,
        reply_days=reply,
        today=today,
        asks=_asks(kind.asks, locale, facts.get("reason")),
    )
