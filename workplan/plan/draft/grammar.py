"""The phrases work plans use for dates, cadences, figures and the strength of a duty.

Rule-based and written for this vocabulary: each rule is a regular expression over one clause
of normalised text (full-width punctuation, no spaces inside words) and yields a phrase with
its span.  What a rule cannot read is returned as unread (``due=None`` with a reason), never
as a guessed date: 每月5日前报送 is a reporting day of every month, not five days ago; 长期坚持
has no date at all.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date

from workplan.plan.draft.numerals import number
from workplan.plan.periods import month_end

_M = r"(?:1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])"
_D = r"(?:3[01]|[12]\d|0?[1-9]|三十一?|二十[一二三四五六七八九]?|十[一二三四五六七八九]?|[一二三四五六七八九])"
_BEFORE = r"(?:前|之前|以前|止)?"
_TENTH = {"上旬": 10, "中旬": 20, "下旬": -1}
_WEEKDAY = {"一": "mon", "二": "tue", "三": "wed", "四": "thu", "五": "fri", "六": "sat"}
_WEEKDAY |= {"日": "sun", "天": "sun"}

Due = date | str
"""A due date in the plan language: a date, ``2023-06``, ``Q1``, ``H2``, ``year-end``."""


@dataclass(frozen=True)
class Phrase:
    """Words of a clause that the grammar read; ``start``/``end`` index the clause."""

    start: int
    end: int
    words: str


@dataclass(frozen=True)
class Deadline(Phrase):
    """By when: a due value, or None with the reason it cannot be read as a date."""

    due: Due | None
    reason: str = ""


@dataclass(frozen=True)
class Cadence(Phrase):
    """How often: an ``every`` of the plan language and its due day, or None with a reason."""

    every: str | None
    day: int | str | None = None
    reason: str = ""


Value = float | str
"""A checkpoint's value: a number, ``pace`` (序时进度), or ``pace-or-benchmark``."""


@dataclass(frozen=True)
class Checkpoints(Phrase):
    """Cumulative milestones: 4月、6月和9月分别达到30%、50%、75%."""

    subject: str
    points: tuple[tuple[Due, Value], ...]
    unit: str


@dataclass(frozen=True)
class Figure(Phrase):
    """A quantity: 达到60%以上, 控制在5%以内, 稳定在4927人, 新增1家."""

    value: float
    unit: str
    direction: str = "at_least"
    level: bool = False
    """A level to hold (稳定在, 保持在, 调整为), not a cumulative count."""
    subject: str = ""
    """What the figure measures, when the words say it apart (A、B占比分别达到X、Y)."""


@dataclass(frozen=True)
class Standing(Phrase):
    """A standing duty (常态化, 持续, 长期坚持, 定期): no date, and no cadence to invent."""


@dataclass(frozen=True)
class Triggered(Phrase):
    """A duty an event starts (立即, 及时, 第一时间): the condition, the act, and the span when
    the text gives one (发现问题后5个工作日内)."""

    condition: str
    act: str
    within: str | None = None


@dataclass(frozen=True)
class Aim(Phrase):
    """力争, 争取, 积极争取, 原则上, 适时: an aim, shown and reminded, never escalated."""


@dataclass(frozen=True)
class Ledger(Phrase):
    """建立…台账/清单: a deliverable whose entries come during the year."""

    what: str


@dataclass(frozen=True)
class Result(Phrase):
    """A one-off result without a date in the words: 制定…方案, 完成…建设, 开展一次…."""

    what: str


@dataclass
class _Reader:
    text: str
    year: int
    found: list[Phrase] = field(default_factory=list)

    def free(self, start: int, end: int) -> bool:
        return all(end <= p.start or start >= p.end for p in self.found)

    def scan(
        self, pattern: re.Pattern[str], make: Callable[[re.Match[str]], Phrase | None]
    ) -> None:
        for m in pattern.finditer(self.text):
            if m.end() > m.start() and self.free(m.start(), m.end()):
                phrase = make(m)
                if phrase is not None:
                    self.found.append(phrase)


def _year(m: re.Match[str], plan_year: int, key: str = "y") -> int:
    written = m.groupdict().get(key)
    return int(written) if written else plan_year


def _in_year(year: int, plan_year: int, due: date | str) -> Due | None:
    """Return ``due`` in the plan language for ``year``; dates of other years stay dates."""
    if year == plan_year:
        return due
    if isinstance(due, date):
        return due
    if due == "year-end":
        return date(year, 12, 31)
    if len(due) == 7:  # 2023-06
        return due
    return f"{year}-{due}"


def _month_due(year: int, month: int, day: int | None, plan_year: int) -> Due | None:
    if day is None or day == -1:
        end = month_end(year, month)
        return end if day == -1 and year != plan_year else f"{year}-{month:02d}"
    try:
        return date(year, month, day)
    except ValueError:
        return None


# --- cadences: read first, so that 每月5日前 is never a date ------------------------------------

_EVERY_MONTH = re.compile(rf"每个?月(?:(?P<d>{_D})[日号]{_BEFORE}|(?P<t>上旬|中旬|下旬)|底|末)?")
_EVERY_QUARTER_FIRST = re.compile(
    rf"每个?季度(?:首月|第一个月|结束后|后)(?:(?P<d>{_D})[日号]|\d+个?工作日|\d+日)[前内]?"
)
_EVERY_QUARTER = re.compile(rf"每个?季度(?:末|底|最后一个月(?P<d>{_D})[日号]{_BEFORE})?")
_EVERY_OTHER = re.compile(r"每半年|每学期|每年度?|每(?:两|2)个月|双月|每个?工作日|每天|每日|逐日")
_EVERY_WEEK = re.compile(r"每个?(?:周|星期)(?P<w>[一二三四五六日天])?")
_EVERY_TENTH = re.compile(r"每旬|每十天|每10天")
_PERIODIC_LIST = re.compile(r"(?:制定|编制|报送|形成|召开)(?P<c>月度|季度)")
_OTHER = {"每半年": "half-year", "每学期": "term", "每年": "year", "每年度": "year"}
_OTHER |= {"每两个月": "2 months", "每2个月": "2 months", "双月": "2 months"}
_OTHER |= {"每工作日": "working-day", "每个工作日": "working-day", "每天": "working-day"}
_OTHER |= {"每日": "working-day", "逐日": "working-day"}


def _cadences(r: _Reader) -> None:
    y = r.year

    # 每年3月底前: in a plan of one year, once, by that day
    def every_year(m: re.Match[str]) -> Phrase:
        day = number(m["d"]) if m["d"] else None
        return Deadline(m.start(), m.end(), m[0], _month_due(y, number(m["m"]), day, y))

    r.scan(_EVERY_YEAR_MONTH, every_year)

    def month(m: re.Match[str]) -> Phrase:
        day: int | None = None
        if m["d"]:
            day = number(m["d"])
        elif m["t"]:
            day = _TENTH[m["t"]]
        return Cadence(m.start(), m.end(), m[0], "month", None if day == -1 else day)

    r.scan(
        _EVERY_QUARTER_FIRST,
        lambda m: Cadence(
            m.start(),
            m.end(),
            m[0],
            None,
            reason="a day counted from the quarter's start or end: say it as a day of the "
            "quarter's last month (every: quarter, day: N) or an rrule",
        ),
    )
    r.scan(_EVERY_MONTH, month)
    r.scan(
        _EVERY_QUARTER,
        lambda m: Cadence(m.start(), m.end(), m[0], "quarter", number(m["d"]) if m["d"] else None),
    )
    r.scan(_EVERY_OTHER, lambda m: Cadence(m.start(), m.end(), m[0], _OTHER[m[0]]))
    r.scan(
        _EVERY_WEEK,
        lambda m: Cadence(m.start(), m.end(), m[0], "week", _WEEKDAY[m["w"]] if m["w"] else None),
    )
    r.scan(
        _EVERY_TENTH,
        lambda m: Cadence(
            m.start(),
            m.end(),
            m[0],
            None,
            reason="every ten days (每旬) is no cadence of the plan language: choose one, or an rrule",
        ),
    )
    r.scan(
        _PERIODIC_LIST,
        lambda m: Cadence(
            m.start("c"), m.end("c"), m["c"], "month" if m["c"] == "月度" else "quarter"
        ),
    )


# --- checkpoints: dates and values in pairs ----------------------------------------------------

_POINT = rf"{_M}月(?:{_D}[日号]|上旬|中旬|下旬|底|末)?"
_POINTS = rf"(?P<dates>{_POINT}(?:(?:、|和|及|与|，){_POINT})*)(?![上中下]旬|\d|[日号])(?:底|末)?{_BEFORE}"
_VALUE = r"(?:\d+(?:\.\d+)?%?|全国平均水平或序时进度|序时进度或全国平均水平|序时进度)"
_VALUES = rf"(?P<values>{_VALUE}(?:(?:、|和|及|，){_VALUE})*)"
_VERB = r"(?:达到|达|完成|不低于)"
_RESPECTIVELY = re.compile(
    rf"(?:分别于|分别在)?{_POINTS}(?P<subj>[^，。；]{{0,30}}?)分别{_VERB}?{_VALUES}"
)
_RESPECTIVELY_AT = re.compile(rf"分别于{_POINTS}{_VERB}{_VALUES}")
_SAME_VALUE = re.compile(rf"^{_POINTS}(?P<subj>[^，。；\d]{{0,40}}?){_VERB}(?P<values>{_VALUE})")
_ONE_POINT = re.compile(rf"(?P<m>{_M})月(?:(?P<d>{_D})[日号]|(?P<t>上旬|中旬|下旬))?")


def _point(text: str, year: int) -> Due | None:
    m = _ONE_POINT.fullmatch(text.rstrip("底末"))
    if m is None:
        return None
    day = number(m["d"]) if m["d"] else _TENTH.get(m["t"] or "")
    return _month_due(year, number(m["m"]), day if day != -1 else None, year)


def _value(text: str) -> tuple[Value, str]:
    if text == "序时进度":
        return "pace", "%"
    if "全国平均水平" in text:
        return "pace-or-benchmark", "%"
    if text.endswith("%"):
        return float(text[:-1]), "%"
    return float(text), ""


def _split(text: str) -> list[str]:
    return [p for p in re.split(r"、|和|及|与|，", text) if p]


def _checkpoints(r: _Reader) -> None:
    def make(m: re.Match[str]) -> Phrase | None:
        dates = [_point(t, r.year) for t in _split(m["dates"])]
        values = [_value(v) for v in _split(m["values"])]
        if len(values) == 1 and len(dates) > 1:
            values = values * len(dates)
        if len(dates) != len(values) or any(d is None for d in dates):
            return None
        units = {u for _, u in values if u}
        subject = (m.groupdict().get("subj") or "").strip()
        if not subject:
            subject = r.text[: m.start()].strip("，、 ")
        points = tuple((d, v) for d, (v, _) in zip(dates, values, strict=True) if d is not None)
        return Checkpoints(m.start(), m.end(), m[0], subject, points, units.pop() if units else "")

    r.scan(_RESPECTIVELY_AT, make)
    r.scan(_RESPECTIVELY, make)
    r.scan(_SAME_VALUE, make)


# --- deadlines ---------------------------------------------------------------------------------

_Y = r"(?:(?P<y>\d{4})年)?"
_DATE = re.compile(rf"{_Y}(?P<m>{_M})月(?P<d>{_D})[日号]{_BEFORE}")
_TENTH_OF = re.compile(rf"{_Y}(?P<m>{_M})月份?(?P<t>上旬|中旬|下旬){_BEFORE}")
_MONTH = re.compile(rf"{_Y}(?P<m>{_M})月份?(?:底|末)?{_BEFORE}")
_QUARTER = re.compile(rf"{_Y}第?(?P<q>[一二三四1-4])季度(?:末|底)?(?:前|内|之前|以前)?")
_HALF = re.compile(rf"{_Y}(?P<h>上|下)半年(?:前|内|末|底)?")
_YEAR_END = re.compile(
    r"(?P<y>\d{4})年(?:底|末|内)(?:前|之前|以前)?|(?:今年|本年|年)(?:底|末|内)(?:前|之前|以前)?"
    r"|本?年度内|全年"
)
_NEXT_YEAR = re.compile(
    rf"(?:次年|明年|下一?年度?)(?P<m>{_M})月(?:(?P<d>{_D})[日号]|底|末)?{_BEFORE}"
)
_YEAR_AT_START = re.compile(r"^(?:到|在|于|力争|确保|争取)?(?P<y>\d{4})年(?![度\d、和至到])")
_EVERY_YEAR_MONTH = re.compile(rf"每年(?P<m>{_M})月(?:(?P<d>{_D})[日号]|底|末)?{_BEFORE}")
_VAGUE = re.compile(
    r"年中|(?:春节|元旦|清明|五一|端午|中秋|国庆|汛期|汛前|开学|秋收|年终)(?:前|后|期间)"
    r"|(?:\d+|[一二三四五六七八九十]+)个?(?:月|季度)内"
)


def _deadlines(r: _Reader) -> None:
    y = r.year

    def date_of(m: re.Match[str]) -> Phrase:
        due = _month_due(_year(m, y), number(m["m"]), number(m["d"]), y)
        reason = "" if due else "no such day"
        return Deadline(m.start(), m.end(), m[0], due, reason)

    def tenth(m: re.Match[str]) -> Phrase:
        year = _year(m, y)
        due = _month_due(year, number(m["m"]), _TENTH[m["t"]], y)
        if due is not None and m["t"] == "下旬":
            due = f"{year}-{number(m['m']):02d}" if year == y else due
        return Deadline(m.start(), m.end(), m[0], due)

    r.scan(
        _NEXT_YEAR,
        lambda m: Deadline(
            m.start(),
            m.end(),
            m[0],
            _month_due(y + 1, number(m["m"]), number(m["d"]) if m["d"] else -1, y),
        ),
    )
    r.scan(_DATE, date_of)
    r.scan(_TENTH_OF, tenth)
    r.scan(
        _QUARTER,
        lambda m: Deadline(
            m.start(), m.end(), m[0], _in_year(_year(m, y), y, f"Q{number(m['q'])}")
        ),
    )
    r.scan(
        _HALF,
        lambda m: Deadline(
            m.start(), m.end(), m[0], _in_year(_year(m, y), y, "H1" if m["h"] == "上" else "H2")
        ),
    )
    r.scan(
        _YEAR_END,
        lambda m: Deadline(m.start(), m.end(), m[0], _in_year(_year(m, y), y, "year-end")),
    )
    r.scan(
        _MONTH,
        lambda m: Deadline(
            m.start(), m.end(), m[0], _month_due(_year(m, y), number(m["m"]), None, y)
        ),
    )
    r.scan(
        _YEAR_AT_START,
        lambda m: Deadline(
            m.start("y"),
            m.end(),
            m[0][m.start("y") - m.start() :],
            _in_year(int(m["y"]), y, "year-end"),
        ),
    )
    r.scan(
        _VAGUE,
        lambda m: Deadline(
            m.start(), m.end(), m[0], None, reason="not a calendar date: the office decides the day"
        ),
    )


# --- figures -----------------------------------------------------------------------------------

_UNITS = "%|‰|万元|亿元|元|万人次|万人|人次|人|万户|户|个|家|所|座|公里|千米|万亩|亩|项|条|名|吨|批"
_FIGURE = re.compile(
    r"(?P<pre>达到|达|不低于|不少于|超过|高于|突破|控制在|稳定在|保持在|低于|不超过|不高于|调整为|新增|实现|完成)?"
    rf"(?P<v>\d+(?:\.\d+)?)(?P<u>{_UNITS})(?!工作日|月|小时|季度)(?P<post>及以上|以上|以内|以下|左右)?"
)
_EACH = re.compile(
    r"(?P<subj>[^，。；]{2,60}?)分别(?P<pre>达到|达|不低于|不少于|控制在)"
    r"(?P<values>\d+(?:\.\d+)?%?(?:、\d+(?:\.\d+)?%?)+)(?P<post>以上|以内|以下)?"
)
_FRACTION = re.compile(
    r"(?P<pre>不低于|不少于|超过|达到)?(?P<a>\d+)/(?P<b>\d+)(?P<post>及以上|以上|以内|以下)"
)
_AT_MOST = {"控制在", "低于", "不超过", "不高于", "以内", "以下"}
_LEVEL = {"稳定在", "保持在", "调整为"}


def _figure(m: re.Match[str], value: float, unit: str) -> Phrase | None:
    if unit == "批":
        return None
    words = {m["pre"], m["post"]}
    return Figure(
        m.start(),
        m.end(),
        m[0],
        value,
        unit,
        "at_most" if words & _AT_MOST else "at_least",
        bool(words & _LEVEL),
    )


def _each(r: _Reader) -> None:
    """A、B占比分别达到X、Y: one figure per subject, each titled with the shared ending."""
    for m in _EACH.finditer(r.text):
        subjects = [s for s in re.split(r"、|和", m["subj"]) if s]
        values = m["values"].split("、")
        if len(subjects) != len(values) or not r.free(m.start(), m.end()):
            continue
        ending = re.search(r"(?:占比|比例|比重|覆盖率|率)$", subjects[-1])
        at = m.start("values")
        for subject, value in zip(subjects, values, strict=True):
            if ending and not subject.endswith(ending[0]):
                subject += ending[0]
            unit = "%" if value.endswith("%") else ""
            start = r.text.index(value, at)
            at = start + len(value)
            words = {m["pre"], m["post"]}
            r.found.append(
                Figure(
                    start,
                    at,
                    value,
                    float(value.rstrip("%")),
                    unit,
                    "at_most" if words & _AT_MOST else "at_least",
                    subject=subject,
                )
            )


def _figures(r: _Reader) -> None:
    _each(r)
    r.scan(_FRACTION, lambda m: _figure(m, round(100 * int(m["a"]) / int(m["b"]), 2), "%"))
    r.scan(_FIGURE, lambda m: _figure(m, float(m["v"]), m["u"]))


# --- strength and kind of duty -----------------------------------------------------------------

_STANDING = re.compile(
    r"长期坚持|(?:常态化|持续|定期)(?:开展|推进|实施|跟踪|督导|监测|排查|研究|宣传|走访|抓好|落实|做好|"
    r"组织|检查|调度|督促|推动|收集)(?!机制|制度)"
)
_WITHIN = re.compile(r"(?P<n>\d+|[一二三四五六七八九十]+)个?(?P<u>工作日|日|天)内")
_TRIGGER = re.compile(r"(?P<w>立即|及时|第一时间|即时|随时)(?P<act>[^，。；]*)")
_CONDITION = re.compile(
    r"(?P<cond>(?:发现|收到|接到|出现|发生)[^，。；]*?)后?"
    + _WITHIN.pattern
    + r"(?P<act>[^，。；]*)"
)
_AIM = re.compile(r"积极争取|力争|争取|原则上|适时|尽量|尽可能")
_LEDGER = re.compile(
    r"(?:建立|建好|编制|形成)(?:健全|完善)?(?P<what>[^，。；]{0,40}?)(?:台账|清单|名单|问题库|案例库|名录)(?!制)"
)
_RESULT = re.compile(
    r"(?:制定|出台|印发|修订|编制)(?P<what>[^，。；]{1,40}?(?:方案|计划|办法|细则|规划|意见|任务和项目))"
    r"|完成(?P<done>[^，。；]{1,40}?(?:建设|编制|任务))|开展一次(?P<once>[^，。；]{1,40})"
)


def _span(n: str, unit: str) -> str:
    count = number(n)
    if unit == "工作日":
        return f"{count} working day" + ("s" if count != 1 else "")
    return f"{count} day" + ("s" if count != 1 else "")


def _condition(text: str) -> str:
    return re.sub(r"^(?:对|凡|如|若)|(?:的话|的|要|应|须|必须)+$", "", text.strip("，、 "))


def _spans(r: _Reader) -> None:
    r.scan(
        _CONDITION,
        lambda m: Triggered(
            m.start(), m.end(), m[0], _condition(m["cond"]), m["act"], _span(m["n"], m["u"])
        ),
    )


def _duties(r: _Reader) -> None:
    r.scan(
        _TRIGGER,
        lambda m: Triggered(
            m.start(), m.end(), m[0], _condition(r.text[: m.start()]), m["act"].strip()
        ),
    )
    r.scan(_STANDING, lambda m: Standing(m.start(), m.end(), m[0]))
    r.scan(_AIM, lambda m: Aim(m.start(), m.end(), m[0]))
    r.scan(_LEDGER, lambda m: Ledger(m.start(), m.end(), m[0], m[0]))
    r.scan(_RESULT, lambda m: Result(m.start(), m.end(), m[0], m[0]))


def read_clause(text: str, year: int) -> list[Phrase]:
    """Return the phrases of one clause, in the order they are written.

    Cadences are read before dates (每月5日前 is a reporting day), checkpoints before figures
    (4月、6月分别达到30%、50%), and no two phrases share a character.
    """
    r = _Reader(text, year)
    for step in (_cadences, _spans, _checkpoints, _deadlines, _figures, _duties):
        step(r)
    return sorted(r.found, key=lambda p: p.start)


def clauses(sentence: str) -> Iterator[tuple[int, str]]:
    """Split a sentence into clauses at ，；：, keeping each clause's offset."""
    start = 0
    for m in re.finditer(r"[，；：]", sentence):
        if m.start() > start:
            yield start, sentence[start : m.start()]
        start = m.end()
    if start < len(sentence):
        yield start, sentence[start:]
