"""Letters as sent, read back and judged against 公文 practice and the facts of their day (issue 22).

The parsing and the checks of benchmarks/letters_year.py, apart from its running and printing,
so that a test can call them on a handful of letters.  A letter (``Letter``) is one .eml as its
addressee reads it: To, Subject, the text part and its numbered lines (``Line``), with the
office's record of the notices it carries (``Row``) where the words alone cannot tell which
obligation a line is about.  Each check is a pure function of such letters.

A page is GB/T 9704-2012's 公文 page: 22 lines of 28 characters on A4; a body's rows are its
text lines, each wrapped at 28 characters.
"""

from __future__ import annotations

import csv
import email
import email.policy
import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from email.message import EmailMessage
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

PAGE_LINES = 22
"""rows of text on a 公文 page (GB/T 9704-2012: 每面排22行)"""
PAGE_CHARS = 28
"""characters in a row (GB/T 9704-2012: 每行排28个字)"""

LEADERSHIP = "@leadership"
"""the recipient name this script gives the leading group (as the record does)"""

DIGEST = "提醒"
"""the level of a line in a digest (【工作提醒】) that carries no tag of its own"""

CN_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")}

# --------------------------------------------------------------------------------------------
# what the plan file, its directory and the ledger say


@dataclass(frozen=True)
class PlanFacts:
    """What the plan file says that the letters are read against."""

    office: str
    leadership: frozenset[str]
    """the leading group's addresses"""
    departments: dict[str, str]
    """address -> department, for each department's own address"""
    heads: dict[str, str]
    """address -> department, for each department head's address"""
    ladder: tuple[str, ...]
    """the escalation rungs' names, lowest first (催办, 督办, 通报)"""
    formats: tuple[str, ...]
    """the number formats (巴南乡振督〔{year}〕{n}号 …)"""
    metrics: dict[tuple[int, str], str]
    """(item, metric id) -> title"""

    @property
    def number_pattern(self) -> re.Pattern[str]:
        """A 文号 of one of the plan's formats (巴南乡振督〔2023〕7号)."""
        shapes = {
            re.escape(f).replace(re.escape("{year}"), r"\d{4}").replace(re.escape("{n}"), r"\d+")
            for f in self.formats
        }
        if not shapes:
            return re.compile(r"(?!x)x")
        return re.compile("|".join(sorted(shapes, key=len, reverse=True)))

    def metric_of(self, item: int | None, about: str | None) -> str | None:
        """The metric a record's ``about`` names (in-village-time@2023-06 -> in-village-time)."""
        if item is None or not about:
            return None
        key = series_of(about)
        return key if (item, key) in self.metrics else None

    def metric_titled(self, item: int | None, title: str) -> str | None:
        for (number, key), name in self.metrics.items():
            if number == item and name == title:
                return key
        return None


def read_plan(path: Path) -> PlanFacts:
    """Read what the checks need from a plan file and the directory it names."""
    plan = yaml.safe_load(path.read_text(encoding="utf-8"))
    directory: list[dict[str, Any]] = list(plan.get("departments") or [])
    if plan.get("directory"):
        named = yaml.safe_load((path.parent / plan["directory"]).read_text(encoding="utf-8"))
        directory += list(named.get("departments") or [])
    departments: dict[str, str] = {}
    heads: dict[str, str] = {}
    for d in directory:
        emails = d.get("email") or d.get("emails") or []
        for address in [emails] if isinstance(emails, str) else emails:
            departments[address.lower()] = d["name"]
        head = d.get("head") or {}
        if head.get("email"):
            heads[head["email"].lower()] = d["name"]
    ladder = tuple(
        str(rung["name"])
        for rung in sorted(
            (plan.get("policy") or {}).get("escalate") or [], key=lambda r: r["level"]
        )
    )
    numbering = plan.get("numbering") or {}
    formats = tuple(str(f) for f in (numbering.get("documents") or {}).values())
    metrics: dict[tuple[int, str], str] = {}
    for chapter in plan.get("chapters") or []:
        for task in chapter.get("tasks") or []:
            for metric in task.get("metrics") or []:
                metrics[(int(task["number"]), str(metric["id"]))] = str(metric["title"])
    return PlanFacts(
        office=str(plan["office"]),
        leadership=frozenset(str(x["email"]).lower() for x in plan.get("leadership") or []),
        departments=departments,
        heads=heads,
        ladder=ladder,
        formats=formats,
        metrics=metrics,
    )


@dataclass(frozen=True)
class Reported:
    """What the departments reported (the ledger a scenario imported), by the day it is dated."""

    values: dict[tuple[int, str], tuple[date, ...]] = field(default_factory=dict)
    """(item, metric id) -> the days a value was reported"""
    done: dict[tuple[int, str], date] = field(default_factory=dict)
    """(item, obligation or occurrence key) -> the day it was reported done"""

    def value_by(self, item: int, metric: str, day: date) -> bool:
        """Whether a value of the metric was reported on or before ``day``."""
        return any(d <= day for d in self.values.get((item, metric), ()))

    def done_by(self, item: int, key: str, day: date) -> bool:
        found = self.done.get((item, key))
        return found is not None and found <= day


def read_ledger(path: Path) -> Reported:
    """Read a ledger CSV as ``workplan progress import`` takes it (事项,指标,任务,数值,日期,…)."""
    values: dict[tuple[int, str], list[date]] = defaultdict(list)
    done: dict[tuple[int, str], date] = {}
    with path.open(encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            item, day = int(row["事项"]), date.fromisoformat(row["日期"])
            if row.get("指标"):
                values[(item, row["指标"])].append(day)
            elif row.get("任务"):
                done[(item, row["任务"])] = min(day, done.get((item, row["任务"]), day))
    return Reported({k: tuple(sorted(v)) for k, v in values.items()}, done)


# --------------------------------------------------------------------------------------------
# the letters as sent


@dataclass(frozen=True)
class Row:
    """One notice of the office's record (``workplan notices --format json``)."""

    id: int
    department: str
    level: str
    item: int | None
    about: str
    title: str
    due: date | None
    status: str
    number: str | None
    message_id: str | None

    @classmethod
    def of(cls, raw: dict[str, Any]) -> Row:
        return cls(
            id=int(raw["id"]),
            department=str(raw["department"]),
            level=str(raw["notice"]),
            item=raw.get("item"),
            about=str(raw.get("about") or ""),
            title=str(raw.get("title") or ""),
            due=date.fromisoformat(raw["due"]) if raw.get("due") else None,
            status=str(raw["status"]),
            number=raw.get("number"),
            message_id=raw.get("message_id"),
        )


@dataclass(frozen=True)
class Line:
    """One numbered line of a letter: one item, as the addressee reads it."""

    level: str
    """the rung it is at: the letter's kind, or the line's own 【tag】 in a digest"""
    label: str
    """the item's label, （十六）"""
    item: int | None
    text: str
    """the whole line, its continuation lines included"""
    what: str
    """事项: the item and what is due or short"""
    owners: tuple[str, ...]
    """责任单位 as listed (none listed: the addressee's own)"""
    due: date | None
    """the date in 时限"""
    when: str
    """what 时限 says after the date (今天到期, 已逾期5个工作日 …)"""
    progress: str
    """进展"""
    about: str = ""
    """the record's obligation or metric key (district-disbursement#1), when matched"""
    listed: tuple[tuple[int | None, str], ...] = ()
    """the sub-list of an issue-day list: (item, title) of each entry"""

    def own(self, recipient: str) -> bool:
        """Whether the recipient answers for this line (it is not a copy of others' work)."""
        return not self.owners or recipient in self.owners


@dataclass(frozen=True)
class Letter:
    """One message as sent: who, what kind, its number, its text and its numbered lines."""

    message_id: str
    day: date
    recipient: str
    """the department addressed (LEADERSHIP for the leading group)"""
    head: bool
    """addressed to the department's head (主要负责同志) too"""
    kind: str
    """the word in the subject's 【】: 工作提醒, 提示函, 催办, 督办, 通报 …"""
    number: str | None
    subject: str
    body: str
    lines: tuple[Line, ...]
    rows: tuple[Row, ...] = ()

    @cached_property
    def frame(self) -> str:
        """The letter's words outside its numbered lines: subject, opening and closing."""
        inside = set()
        for line in self.lines:
            inside.update(line.text.splitlines())
        outside = [t for t in self.body.splitlines() if t not in inside]
        return self.subject + "\n" + "\n".join(outside)

    def cited(self, pattern: re.Pattern[str]) -> list[str]:
        """The document numbers the letter names, other than its own, in order."""
        seen: list[str] = []
        for found in pattern.findall(self.body):
            if found != self.number and found not in seen:
                seen.append(found)
        return seen


FIELD = re.compile(r"^\s*(事项|责任单位|时限|进展|此前|依据)：(.*)$")
START = re.compile(r"^(\d+)\.\s?(?:【([^】]+)】)?(.*)$")
LABEL = re.compile(r"（([一二三四五六七八九十]+)）")
DAY = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")
LISTED = re.compile(
    r"^\s*\d+\.\s*第（([一二三四五六七八九十]+)）项\s*(.+?)（\d{4}年\d{1,2}月\d{1,2}日到期"
)


def cn_number(text: str) -> int | None:
    """（十六） -> 16: the Chinese numerals of item labels (1..99)."""
    if not text:
        return None
    if "十" not in text:
        return CN_DIGITS.get(text) if len(text) == 1 else None
    tens, _, ones = text.partition("十")
    return (CN_DIGITS.get(tens, 0) if tens else 1) * 10 + (CN_DIGITS.get(ones, 0) if ones else 0)


def cn_date(text: str) -> date | None:
    found = DAY.search(text)
    return date(*(int(g) for g in found.groups())) if found else None


def series_of(about: str) -> str:
    """An obligation's or a metric's key without its occurrence or checkpoint."""
    return re.split(r"[@#]", about, maxsplit=1)[0]


def parse_lines(body: str, kind: str) -> tuple[Line, ...]:
    """The numbered lines of a letter's text, each with its indented continuation."""
    blocks: list[tuple[str | None, list[str]]] = []
    for text in body.splitlines():
        start = START.match(text)
        if start:
            blocks.append((start.group(2), [text]))
        elif blocks and text.startswith((" ", "\t")) and blocks[-1][1]:
            blocks[-1][1].append(text)
        elif blocks and not text.strip():
            continue
        elif blocks:
            blocks.append((None, []))  # the closing: later unindented text is not a line
    lines = []
    for tag, texts in blocks:
        if not texts:
            continue
        fields: dict[str, str] = {}
        first = START.match(texts[0])
        rest = first.group(3) if first else texts[0]
        for text in [rest, *texts[1:]]:
            found = FIELD.match(text)
            if found and found.group(1) not in fields:
                fields[found.group(1)] = found.group(2).strip()
        what = fields.get("事项", rest)
        label = LABEL.search(what)
        limit = fields.get("时限", "")
        listed = tuple(
            (cn_number(m.group(1)), m.group(2).strip())
            for m in (LISTED.match(t) for t in texts[1:])
            if m
        )
        lines.append(
            Line(
                level=tag or (DIGEST if kind == "工作提醒" else kind),
                label=f"（{label.group(1)}）" if label else "",
                item=cn_number(label.group(1)) if label else None,
                text="\n".join(texts),
                what=what,
                owners=tuple(o for o in re.split("[、,，]", fields.get("责任单位", "")) if o),
                due=cn_date(limit),
                when=limit.split("，", 1)[1] if "，" in limit else "",
                progress=fields.get("进展", ""),
                listed=listed,
            )
        )
    return tuple(lines)


def match_line(line: Line, rows: Sequence[Row]) -> str:
    """The record's key for a line: the notice of its item and due day whose title it names."""
    found = [
        r
        for r in rows
        if r.item == line.item
        and r.title
        and r.title in line.text
        and (line.due is None or r.due == line.due)
    ]
    found.sort(key=lambda r: len(r.title), reverse=True)
    return found[0].about if found else ""


def parse_letter(raw: bytes, plan: PlanFacts, rows: Sequence[Row] = ()) -> Letter:
    """Read one .eml as its addressee reads it, with the record's notices it carries."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    if not isinstance(message, EmailMessage):
        raise TypeError("the default policy reads an EmailMessage")
    part = message.get_body(("plain",))
    body = str(part.get_content()) if part is not None else ""
    subject = str(message["Subject"] or "")
    addresses = [a.addr_spec.lower() for a in message["To"].addresses] if message["To"] else []
    if any(a in plan.leadership for a in addresses):
        recipient = LEADERSHIP
    else:
        named = [plan.departments.get(a) or plan.heads.get(a) for a in addresses]
        recipient = next((n for n in named if n), addresses[0] if addresses else "?")
    head = any(plan.heads.get(a) == recipient for a in addresses)
    tag = re.match(r"^【([^】]+)】", subject)
    kind = tag.group(1) if tag else "?"
    number = plan.number_pattern.search(subject) or plan.number_pattern.search(
        body.split("\n", 1)[0]
    )
    message_id = str(message["Message-ID"] or "").strip()
    sent = message["Date"].datetime.date() if message["Date"] else date.min
    mine = tuple(r for r in rows if r.message_id == message_id)
    lines = tuple(replace(line, about=match_line(line, mine)) for line in parse_lines(body, kind))
    return Letter(
        message_id=message_id,
        day=sent,
        recipient=recipient,
        head=head,
        kind=kind,
        number=number.group(0) if number else None,
        subject=subject,
        body=body,
        lines=lines,
        rows=mine,
    )


def read_outbox(folder: Path, plan: PlanFacts, rows: Sequence[Row] = ()) -> list[Letter]:
    """Every letter of an outbox folder, in the order they were sent (day, then recipient)."""
    by_id: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        by_id[row.message_id or ""].append(row)
    letters = []
    for path in sorted(folder.glob("*.eml")):
        raw = path.read_bytes()
        head = email.message_from_bytes(raw.split(b"\r\n\r\n", 1)[0], policy=email.policy.default)
        letters.append(parse_letter(raw, plan, by_id.get(str(head["Message-ID"] or ""), [])))
    return sorted(letters, key=lambda x: (x.day, x.recipient, x.kind, x.number or ""))


# --------------------------------------------------------------------------------------------
# the checks: each a pure function of parsed letters


def per_level(letters: Iterable[Letter]) -> Counter[str]:
    """Letters per kind (the word in the subject's 【】)."""
    return Counter(x.kind for x in letters)


def lines_per_level(letters: Iterable[Letter]) -> Counter[str]:
    """Numbered lines per rung (a digest's lines by their own tag)."""
    return Counter(line.level for x in letters for line in x.lines)


def per_month(letters: Iterable[Letter]) -> dict[str, Counter[str]]:
    """Letters per month and kind."""
    out: dict[str, Counter[str]] = defaultdict(Counter)
    for x in letters:
        out[f"{x.day:%Y-%m}"][x.kind] += 1
    return dict(sorted(out.items()))


def per_recipient(letters: Iterable[Letter]) -> dict[str, Counter[str]]:
    """Letters per recipient and kind."""
    out: dict[str, Counter[str]] = defaultdict(Counter)
    for x in letters:
        out[x.recipient][x.kind] += 1
    return dict(sorted(out.items(), key=lambda kv: (-sum(kv[1].values()), kv[0])))


@dataclass(frozen=True)
class Page:
    """A body's size: characters, text lines, 28-character rows and 公文 pages."""

    chars: int
    lines: int
    rows: int

    @property
    def pages(self) -> float:
        return round(self.rows / PAGE_LINES, 1)


def page_of(body: str) -> Page:
    """Measure a letter's text part (its whole text, from number to contact line)."""
    texts = body.strip().splitlines()
    rows = sum(max(1, math.ceil(display_width(t.strip()) / 2 / PAGE_CHARS)) for t in texts)
    chars = sum(len(t.strip()) for t in texts)
    return Page(chars, len(texts), rows)


@dataclass(frozen=True)
class ToLeadership:
    day: date
    kind: str
    number: str | None
    items: int
    office_items: int
    """lines naming the office among those that answer for them"""
    most_cited: int
    """the most document numbers one line's history lists"""
    page: Page


def to_leadership(
    letters: Iterable[Letter], office: str, pattern: re.Pattern[str]
) -> list[ToLeadership]:
    """Each letter to the leading group, with its size."""
    return [
        ToLeadership(
            day=x.day,
            kind=x.kind,
            number=x.number,
            items=len(x.lines),
            office_items=sum(office in line.owners for line in x.lines),
            most_cited=max((len(pattern.findall(line.text)) for line in x.lines), default=0),
            page=page_of(x.body),
        )
        for x in letters
        if x.recipient == LEADERSHIP
    ]


def leadership_months(found: Iterable[ToLeadership]) -> Counter[str]:
    return Counter(f"{x.day:%Y-%m}" for x in found)


@dataclass(frozen=True)
class OfficeLetter:
    """A letter addressed to the office, with its own lines and others' lines counted."""

    day: date
    kind: str
    number: str | None
    own: int
    others: int

    @property
    def shape(self) -> str:
        if self.own and self.others:
            return "mixed"
        return "own" if self.own else "copies"


def office_letters(
    letters: Iterable[Letter], office: str, kinds: Sequence[str] = ("督办", "通报")
) -> list[OfficeLetter]:
    """The letters of these kinds addressed to the office, each split into own and others' lines."""
    return [
        OfficeLetter(
            x.day,
            x.kind,
            x.number,
            own=sum(line.own(office) for line in x.lines),
            others=sum(not line.own(office) for line in x.lines),
        )
        for x in letters
        if x.recipient == office and x.kind in kinds
    ]


@dataclass(frozen=True)
class Skip:
    """A rung sent to a recipient about a series without the rung below it sent first."""

    day: date
    recipient: str
    level: str
    number: str | None
    series: str
    missing: str
    """the rung that should have come first"""
    first_word: bool
    """nothing at all on the ladder had been sent to the recipient about it before"""

    def __str__(self) -> str:
        first = " (the first word about it)" if self.first_word else ""
        return (
            f"{self.day} {self.recipient} {self.level} {self.number or ''} about "
            f"{self.series}: no {self.missing} before{first}"
        )


def skipped_rungs(
    letters: Sequence[Letter], ladder: Sequence[str], key: Callable[[Line], str]
) -> list[Skip]:
    """Each own line at a rung whose previous rung was never sent, on an earlier day, to the
    same recipient about the same ``key`` (an occurrence, or a whole series).  Copies (lines
    of others' items) and the leadership's report are not rungs of a ladder."""
    sent: dict[tuple[str, str], dict[str, date]] = defaultdict(dict)
    skips: list[Skip] = []
    for x in sorted(letters, key=lambda x: x.day):
        if x.recipient == LEADERSHIP:
            continue
        for line in x.lines:
            if line.level not in ladder or not line.own(x.recipient):
                continue
            k = key(line)
            if not k:
                continue
            before = sent[(x.recipient, k)]
            rung = ladder.index(line.level)
            below = ladder[rung - 1] if rung else None
            if below is not None and not (below in before and before[below] < x.day):
                earlier = any(d < x.day for d in before.values())
                skips.append(Skip(x.day, x.recipient, line.level, x.number, k, below, not earlier))
            before.setdefault(line.level, x.day)
    return skips


def by_occurrence(line: Line) -> str:
    return f"{line.item}/{line.about}" if line.about else ""


def by_series(line: Line) -> str:
    return f"{line.item}/{series_of(line.about)}" if line.about else ""


@dataclass(frozen=True)
class Citation:
    """A document number a letter names that its addressee never received."""

    day: date
    recipient: str
    kind: str
    number: str | None
    cited: str
    went_to: tuple[str, ...]
    """who did receive it (nobody: a number never sent)"""

    def __str__(self) -> str:
        went = "、".join(self.went_to) or "nobody"
        return f"{self.day} {self.recipient} {self.kind} {self.number or ''} cites {self.cited} (sent to {went})"


def cited_not_received(
    letters: Sequence[Letter], pattern: re.Pattern[str], *, leadership: bool = False
) -> list[Citation]:
    """Each number a letter cites that no letter to its addressee carried, on or before its day.

    The leadership's report may list the day's documents as what was issued: it is left out
    unless ``leadership``."""
    received: dict[str, dict[str, date]] = defaultdict(dict)
    holders: dict[str, set[str]] = defaultdict(set)
    for x in letters:
        if x.number:
            received[x.recipient].setdefault(x.number, x.day)
            received[x.recipient][x.number] = min(x.day, received[x.recipient][x.number])
            holders[x.number].add(x.recipient)
    out = []
    for x in letters:
        if x.recipient == LEADERSHIP and not leadership:
            continue
        for cited in x.cited(pattern):
            got = received[x.recipient].get(cited)
            if got is None or got > x.day:
                out.append(
                    Citation(
                        x.day, x.recipient, x.kind, x.number, cited, tuple(sorted(holders[cited]))
                    )
                )
    return out


def split_number(number: str) -> tuple[str, int] | None:
    """巴南乡振督〔2023〕7号 -> (巴南乡振督〔2023〕, 7)."""
    found = re.match(r"^(.*〔\d{4}〕\D*?)(\d+)(\D*)$", number)
    return (found.group(1) + "{n}" + found.group(3), int(found.group(2))) if found else None


def number_gaps(numbers: Iterable[str]) -> dict[str, list[int]]:
    """Per series (prefix, year), the numbers below the highest used that no letter carries."""
    used: dict[str, set[int]] = defaultdict(set)
    for number in numbers:
        parts = split_number(number)
        if parts:
            used[parts[0]].add(parts[1])
    return {
        series: [n for n in range(1, max(ns) + 1) if n not in ns]
        for series, ns in sorted(used.items())
    }


SHARED = ("通报",)
"""kinds whose letters of one day are one act: the day's 通报 names several departments (主送)
and its copies go to each; a 督办单, a 催办 or a 提示函 is an act of its own per department"""


def act_of(letter: Letter, shared: Sequence[str] = SHARED) -> str:
    """The act a letter is a copy of: the day's document of its kind, or the letter itself."""
    return f"{letter.day} {letter.kind}" if letter.kind in shared else letter.message_id


def numbers_on_several_acts(
    letters: Iterable[Letter], shared: Sequence[str] = SHARED
) -> dict[str, int]:
    """Numbers given to more than one act, with how many acts carry each."""
    acts: dict[str, set[str]] = defaultdict(set)
    for x in letters:
        if x.number:
            acts[x.number].add(act_of(x, shared))
    return {n: len(a) for n, a in sorted(acts.items()) if len(a) > 1}


def acts_with_several_numbers(
    letters: Iterable[Letter], shared: Sequence[str] = SHARED
) -> dict[str, list[str]]:
    """Acts sent under more than one number (one act: one number), with their numbers.

    Today the leadership's report is a 通报 of the day: it counts as the day's act."""
    out: dict[str, set[str]] = defaultdict(set)
    for x in letters:
        if x.number:
            out[act_of(x, shared)].add(x.number)
    return {k: sorted(v, key=natural) for k, v in sorted(out.items()) if len(v) > 1}


def withdrawn_numbers(rows: Iterable[Row], letters: Iterable[Letter]) -> list[str]:
    """Numbers the record gave to notices never sent, carried by no letter sent."""
    sent = {x.number for x in letters}
    return sorted(
        {r.number for r in rows if r.number and r.status != "sent" and r.number not in sent},
        key=natural,
    )


@dataclass(frozen=True)
class Claim:
    """Words in a letter against the facts of its day."""

    day: date
    recipient: str
    kind: str
    number: str | None
    label: str
    words: str
    fact: str

    def __str__(self) -> str:
        return f"{self.day} {self.recipient} {self.kind} {self.number or ''} {self.label}: {self.words} ({self.fact})"


def claim(x: Letter, line: Line, words: str, fact: str) -> Claim:
    return Claim(x.day, x.recipient, x.kind, x.number, line.label, words, fact)


def due_today_claims(letters: Iterable[Letter]) -> list[Claim]:
    """今天到期 on a day that is not the due day."""
    return [
        claim(x, line, "今天到期", f"时限 {line.due}, letter of {x.day}")
        for x in letters
        for line in x.lines
        if "今天到期" in line.when and line.due != x.day
    ]


LAG = ("进度滞后", "预计", "落后序时进度")


def lag_without_data(
    letters: Iterable[Letter], plan: PlanFacts, reported: Reported
) -> tuple[list[Claim], int]:
    """进度滞后/预计/落后 for a metric nothing was reported for by the letter's day.

    A line's claim is its own words or its letter's (a 提示函's subject and opening say
    进度滞后 of every line).  Returns the claims and the lines that could not be decided (not
    matched to a metric)."""
    out, undecided = [], 0
    for x in letters:
        frame = [w for w in LAG if w in x.frame]
        for line in x.lines:
            words = [w for w in LAG if w in line.text] or frame
            if not words:
                continue
            metric = plan.metric_of(line.item, line.about)
            if metric is None or line.item is None:
                if "尚未报送" in line.progress:
                    out.append(claim(x, line, "、".join(words), "its own 进展: 尚未报送"))
                else:
                    undecided += 1
                continue
            if not reported.value_by(line.item, metric, x.day):
                out.append(claim(x, line, "、".join(words), f"{metric}: nothing reported"))
    return out, undecided


LAPSE = ("逾期未办", "请立即办理")


def lapse_for_shortfall(
    letters: Iterable[Letter], plan: PlanFacts, reported: Reported
) -> list[Claim]:
    """逾期未办/请立即办理 about a checkpoint whose figure was reported on time, short of it."""
    out = []
    for x in letters:
        for line in x.lines:
            words = [w for w in LAPSE if w in line.text or w in x.frame]
            metric = plan.metric_of(line.item, line.about)
            checkpoint = "达到" in line.what and "序时进度截至" not in line.what
            if not words or not checkpoint or metric is None or line.item is None:
                continue
            if line.due is None or "尚未报送" in line.progress:
                continue
            if reported.value_by(line.item, metric, line.due):
                out.append(claim(x, line, "、".join(words), f"{metric} reported by {line.due}"))
    return out


def unreported_claims(
    letters: Iterable[Letter], plan: PlanFacts, reported: Reported
) -> list[Claim]:
    """尚未报送 (进展, or an issue-day list's 尚未报送完成) about something reported by then.

    An issue-day list's entries are judged where they name a metric (by its title); its
    duties are not (their titles do not name the occurrence the ledger reports)."""
    out = []
    for x in letters:
        for line in x.lines:
            if line.listed and "尚未报送" in line.text:
                for item, title in line.listed:
                    metric = plan.metric_titled(item, title)
                    if item is not None and metric and reported.value_by(item, metric, x.day):
                        out.append(claim(x, line, "尚未报送完成", f"{title}: reported"))
            if "尚未报送" not in line.progress or line.item is None or not line.about:
                continue
            metric = plan.metric_of(line.item, line.about)
            if metric is not None and reported.value_by(line.item, metric, x.day):
                out.append(claim(x, line, line.progress, f"{metric}: reported"))
            elif metric is None and reported.done_by(line.item, line.about, x.day):
                out.append(claim(x, line, line.progress, f"{line.about}: reported done"))
    return out


def missing_benchmark_words(letters: Iterable[Letter]) -> int:
    """Lines that say a benchmark the office records is 尚未报送 (as if the department's)."""
    return sum("（尚未报送，暂按序时进度衡量）" in line.text for x in letters for line in x.lines)


def head_orders(letters: Iterable[Letter], kind: str = "督办") -> Counter[str]:
    """Letters of a kind addressed to each department's head (主要负责同志)."""
    return Counter(x.recipient for x in letters if x.kind == kind and x.head)


def natural(number: str) -> tuple[str, int]:
    parts = split_number(number)
    return parts if parts else (number, 0)


def group_numbers(letters: Iterable[Letter]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for x in letters:
        parts = split_number(x.number) if x.number else None
        if parts and x.number:
            out[parts[0]].append(x.number)
    return dict(sorted(out.items()))


def display_width(text: str) -> int:
    """Columns a text takes in a terminal (a Chinese character takes two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
