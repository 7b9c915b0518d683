"""Draft a plan from a document: each item's obligations from the grammar's phrases, each value
with the line and words it came from, and what is left for the office marked 待定 or 待确认."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from workplan.plan.draft import grammar as g
from workplan.plan.draft.departments import Match, match_name, read_owners
from workplan.plan.draft.document import Document, Paragraph
from workplan.plan.draft.emit import Map, Val
from workplan.plan.draft.pending import CONFIRM, PENDING
from workplan.plan.draft.remits import by_remit
from workplan.plan.draft.structure import Item, Sentence, Shape, read_shape
from workplan.plan.periods import resolve_due

_LEADING = re.compile(
    r"^(?:并|要|同时|确保|力争|争取|积极|原则上|进一步|认真|扎实|全力|着力|大力|切实|按要求|全面|深入|"
    r"推动|实现|全年|帮扶干部|的|在|于|到)+"
)
_TRAILING = re.compile(r"(?:1次|一次|工作|的|等)+$")
_THREE_LEVELS = ("中央", "市级", "区级")
_STRONG_AIM = re.compile(r"争取|积极争取")
_YEARS = re.compile(r"(?P<years>\d{4}年(?:、\d{4}年)+)")


def _day(due: Any) -> date:
    """The day a due value falls on, to keep checkpoints in order."""
    if isinstance(due, date):
        return due
    return resolve_due(due, 2000 if not str(due)[:4].isdigit() else int(str(due)[:4])).due


def _each_year(what: str) -> list[str]:
    """完成2024年、2025年项目库建设: one result a year."""
    m = _YEARS.search(what)
    if m is None:
        return [what]
    return [what.replace(m["years"], year) for year in m["years"].split("、")]


@dataclass
class Row:
    """One sentence of the document: where, its words, what was drafted, what is left."""

    where: str
    item: str
    sentence: str
    drafted: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)


@dataclass
class Draft:
    """A drafted plan: its YAML text, one row per sentence, and its counts."""

    text: str
    rows: list[Row]
    items: int
    flags: int


@dataclass
class Directory:
    """The names a directory knows (name or alias → name, groups too), and its path as the
    plan will cite it."""

    names: dict[str, str]
    cite: str


def _note(where: str, words: str, extra: str = "") -> str:
    quoted = f"{where} “{words}”"
    return f"{quoted} {extra}".strip()


def _title(text: str, drop: list[str]) -> str:
    for words in drop:
        text = text.replace(words, "", 1)
    text = _TRAILING.sub("", _LEADING.sub("", text.strip("，；：、。 ")))
    return text.strip("，；：、。 ") or "（待命名）"


@dataclass
class _Task:
    """The obligations drafted for one item, and the counters of their ids."""

    node: Map
    lists: dict[str, list[Map]] = field(default_factory=dict)
    metrics: dict[str, Map] = field(default_factory=dict)

    def add(self, kind: str, node: Map) -> str:
        items = self.lists.setdefault(kind, [])
        ident = f"{kind.rstrip('s').replace('deliverable', 'result')}-{len(items) + 1}"
        node.items.insert(0, ("id", Val(ident)))
        items.append(node)
        return ident


class Drafter:
    """Turns a document's shape into a plan tree, counting what it leaves to decide."""

    def __init__(self, document: Document, directory: Directory | None) -> None:
        self.document = document
        self.shape: Shape = read_shape(document)
        self.directory = directory
        self.year = self.shape.year or 0
        self.flags = 0
        self.rows: list[Row] = []
        self.events: list[tuple[str, str, str]] = []
        self.named: dict[str, str] = {}  # department as drafted → first place it was named
        self.undated = 0
        self.terms: str | None = None
        # the departments of the item being drafted, where it says only 按职责分工负责
        self.shared: list[str] = []

    # --- values left to the office ------------------------------------------------------------

    def pending(self, row: Row | None, what: str) -> str:
        self.flags += 1
        if row is not None:
            row.left.append(what)
        return PENDING

    def confirm(self, value: str, row: Row | None, what: str) -> str:
        self.flags += 1
        if row is not None:
            row.left.append(what)
        return f"{CONFIRM}{value}"

    # --- departments ------------------------------------------------------------------------

    def department(self, name: str, where: str, row: Row) -> tuple[str, str]:
        """Return the name to draft for ``name`` (marked when unknown) and a note."""
        if self.directory is None:
            self.named.setdefault(name, where)
            return name, ""
        found: Match = match_name(name, self.directory.names)
        if found.known is not None:
            return found.known, "" if found.known == name else f"{name} = {found.known}"
        if found.suggestion is not None:
            value = self.confirm(
                found.suggestion, row, f"{name}：目录中没有，可能是{found.suggestion}"
            )
            return value, f"{name}: not in the directory; did you mean {found.suggestion}?"
        value = self.confirm(name, row, f"{name}：目录中没有")
        return value, f"{name}: not in the directory: add it there, or name the department"

    def owners(self, item: Item, task: Map, row: Row) -> None:
        where = item.paragraph.where(item.owners_at or 0)
        owners = (
            read_owners(item.owners_words, self.shape.first_leads) if item.owners_words else None
        )
        if owners is None:
            task.add(
                "lead",
                Val(
                    [self.pending(row, "牵头单位：文中未写明")],
                    f"{where} the text names no department",
                ),
            )
            return
        words = item.paragraph.words(item.owners_at or 0, len(item.paragraph.text))
        self.shared = []
        leads, notes = [], []
        for name in owners.lead:
            value, note = self.department(name, where, row)
            leads.append(value)
            notes += [note] if note else []
        if owners.lead_guessed:
            what = f"牵头单位：文中未写明，暂以排名第一的{owners.lead[0]}为牵头"
            if leads[0].startswith(CONFIRM):
                row.left.append(what)  # already marked for its name: one mark, two reasons
            else:
                leads[0] = self.confirm(leads[0], row, what)
            notes.insert(
                0,
                "the text names no lead: the first listed is drafted as lead; delete 待确认： to confirm, or name the lead",
            )
        task.add("lead", Val(leads, _note(where, words, "; ".join(notes))))
        co, co_notes = [], []
        for name in owners.co:
            value, note = self.department(name, where, row)
            co.append(value)
            co_notes += [note] if note else []
        if co:
            task.add("co", Val(co, "; ".join(co_notes)))
        if owners.convention == "…等按职责分工负责":
            self.shared = [v.removeprefix(CONFIRM) for v in (*leads, *co)]
        row.drafted.append(
            f"牵头 {'、'.join(owners.lead)}"
            + (f"；责任 {'、'.join(owners.co)}" if owners.co else "")
        )

    # --- obligations --------------------------------------------------------------------------

    def due(self, phrase: g.Deadline, where: str, words: str, row: Row) -> Val:
        if phrase.due is None:
            return Val(
                self.pending(row, f"完成时限：“{words}” {phrase.reason}"),
                _note(where, words, f"待定: {phrase.reason}"),
            )
        if (
            isinstance(phrase.due, date)
            and phrase.due.year != self.year
            and phrase.due.year != self.year + 1
        ):
            return Val(
                self.pending(row, f"完成时限：“{words}”不在本年度"),
                _note(where, words, "待定: outside the plan's year"),
            )
        return Val(phrase.due, _note(where, words))

    def clause(self, task: _Task, sentence: Sentence, offset: int, text: str, row: Row) -> None:
        paragraph: Paragraph = sentence.paragraph
        base = sentence.start + offset
        phrases = g.read_clause(text, self.year)
        if not phrases:
            return
        where = paragraph.where(base)

        def words(p: g.Phrase) -> str:
            return paragraph.words(base + p.start, base + p.end)

        def at(p: g.Phrase) -> str:
            return paragraph.where(base + p.start)

        aim = any(isinstance(p, g.Aim) for p in phrases)
        kinds: dict[type, list[Any]] = {}
        for p in phrases:
            kinds.setdefault(type(p), []).append(p)
        cadence = (kinds.get(g.Cadence) or [None])[0]
        deadline = (kinds.get(g.Deadline) or [None])[0]
        drop = [
            p.words
            for p in phrases
            if not isinstance(p, g.Figure | g.Result | g.Ledger | g.Standing)
        ]
        nodes: list[tuple[str, Map]] = []

        if g.Checkpoints in kinds:
            for p in kinds[g.Checkpoints]:
                self.checkpoints(task, p, at(p), words(p), row, text)
            return
        figures = kinds.get(g.Figure, [])
        if (
            cadence is not None
            and figures
            and cadence.every in ("week", "month", "quarter", "half-year", "year")
        ):
            for f in figures:
                node = self.metric(task, f, at(f), words(f), text, drop, row)
                node.add("every", cadence.every, _note(at(cadence), words(cadence)))
                node.add("cumulative", False)
                nodes.append(("metrics", node))
        elif cadence is not None:
            node = Map([("title", Val(_title(text, drop), where))])
            if cadence.every is None:
                node.add(
                    "every",
                    self.pending(row, f"周期：“{words(cadence)}” {cadence.reason}"),
                    _note(at(cadence), words(cadence), f"待定: {cadence.reason}"),
                )
            else:
                node.add("every", cadence.every, _note(at(cadence), words(cadence)))
                if cadence.every == "term":
                    self.terms = self.terms or at(cadence)
            if cadence.day is not None:
                node.add("day", cadence.day)
            nodes.append(("recurring", node))
            row.drafted.append(f"周期 {cadence.every or '待定'}（{words(cadence)}）")
        elif figures:
            for f in figures:
                node = self.metric(task, f, at(f), words(f), text, drop, row)
                if deadline is not None:
                    node.add("by", self.due(deadline, at(deadline), words(deadline), row))
                else:
                    node.add(
                        "by",
                        self.pending(row, f"“{words(f)}”的时限：文中未写明"),
                        f"{where} 待定: no date in the text (an annual plan: year-end?)",
                    )
                nodes.append(("metrics", node))
        elif deadline is not None:
            node = Map([("title", Val(_title(text, drop), where))])
            node.add("due", self.due(deadline, at(deadline), words(deadline), row))
            nodes.append(("deliverables", node))
            row.drafted.append(f"时限 {deadline.due or '待定'}（{words(deadline)}）")
        elif g.Triggered in kinds:
            for p in kinds[g.Triggered]:
                nodes.append(("triggered", self.triggered(p, at(p), words(p), row)))
        elif g.Standing in kinds:
            p = kinds[g.Standing][0]
            node = Map([("title", Val(_title(text, drop), _note(at(p), words(p))))])
            node.add(
                "review",
                self.pending(row, f"常态化工作“{words(p)}”：多久报送一次开展情况由办公室定"),
                _note(
                    at(p),
                    words(p),
                    "待定: no cadence in the text; the office chooses how often it asks for an account (week, month, quarter, half-year, year), or deletes the duty",
                ),
            )
            nodes.append(("standing", node))
            row.drafted.append(f"常态化（{words(p)}）")
        elif g.Ledger in kinds:
            for p in kinds[g.Ledger]:
                node = Map([("title", Val(_title(p.what, []), _note(at(p), words(p))))])
                node.add("note", "清单/台账：条目在年内陆续形成")
                self.undated += 1
                nodes.append(("deliverables", node))
                row.drafted.append(f"台账/清单（{words(p)}）")
        elif g.Result in kinds:
            for p in kinds[g.Result]:
                for what in _each_year(p.what):
                    nodes.append(
                        (
                            "deliverables",
                            Map([("title", Val(_title(what, []), _note(at(p), words(p))))]),
                        )
                    )
                    self.undated += 1
                row.drafted.append(f"成果（{words(p)}）")
        elif aim and _STRONG_AIM.search(text):
            node = Map([("title", Val(_title(text, drop), where)), ("outcome", Val("yes-no"))])
            self.undated += 1
            nodes.append(("deliverables", node))
            row.drafted.append("争取事项（是否达成）")
        for kind, node in nodes:
            if kind != "standing":
                self.remit(node, text, where, row)
            if aim:
                node.add(
                    "strength",
                    "aim",
                    _note(where, next(words(p) for p in phrases if isinstance(p, g.Aim))),
                )
            if kind != "metrics" or node not in task.metrics.values():
                task.add(kind, node)
        if aim and nodes:
            row.drafted.append("力争（aim）")

    def remit(self, node: Map, text: str, where: str, row: Row) -> None:
        """Propose the owners of a duty of a 按职责分工 item: the departments whose remit its
        words name, marked for the office to confirm."""
        if not self.shared or any(key == "owners" for key, _ in node.items):
            return
        chosen, found = by_remit(text, self.shared)
        if not chosen:
            return
        named = "、".join(f"“{w}”" for w in found)
        what = f"责任单位：按职责分工，暂定为{'、'.join(chosen)}（文中{named}）"
        node.add(
            "owners",
            Val(
                [self.confirm(chosen[0], row, what), *chosen[1:]],
                f"{where} 按职责分工: the words {'/'.join(found)} are these departments' remit; delete 待确认： to confirm, or list the owners",
            ),
        )
        row.drafted.append(f"责任 {'、'.join(chosen)}（按职责）")

    def metric(
        self, task: _Task, f: g.Figure, where: str, words: str, text: str, drop: list[str], row: Row
    ) -> Map:
        title = _title(f.subject or text, [*drop, f.words])
        node = Map([("title", Val(title, where))])
        node.add("unit", f.unit or "项")
        node.add("target", f.value, _note(where, words))
        if f.direction == "at_most":
            node.add("direction", "at_most")
        if f.level:
            node.add("cumulative", False)
            if re.search("稳定在|保持在", words):
                node.add(
                    "every",
                    self.pending(row, f"“{words}”：保持水平，按什么周期核对由办公室定"),
                    _note(
                        where,
                        words,
                        "待定: a level to hold; how often is it checked (month, quarter)?",
                    ),
                )
        row.drafted.append(f"指标 {title} {f.words}")
        return node

    def checkpoints(
        self, task: _Task, p: g.Checkpoints, where: str, words: str, row: Row, text: str
    ) -> None:
        subject = _title(p.subject or text[: p.start], [])
        subjects = [subject]
        if subject.startswith("三级"):
            subjects = [f"{level}{subject.removeprefix('三级')}" for level in _THREE_LEVELS]
        for title in subjects:
            node = task.metrics.get(title)
            if node is None:
                node = Map(
                    [
                        (
                            "title",
                            Val(
                                title,
                                _note(
                                    where,
                                    words,
                                    "三级: 中央、市级、区级" if len(subjects) > 1 else "",
                                ),
                            ),
                        )
                    ]
                )
                node.add("unit", p.unit or "%")
                task.metrics[title] = node
                task.add("metrics", node)
            points = next((v for k, v in node.items if k == "checkpoints"), None)
            if points is None:
                points = []
                node.add("checkpoints", points)
            for due, value in p.points:
                point = Map(
                    [("by", Val(due)), ("value", Val(self.value(node, value, row, where)))],
                    _note(where, words),
                )
                points.append(point)
            points.sort(key=lambda point: _day(point.items[0][1].value))
            row.drafted.append(f"节点目标 {title}（{words}）")

    def value(self, node: Map, value: g.Value, row: Row, where: str) -> Any:
        if isinstance(value, float):
            return value
        keys = [k for k, _ in node.items]
        if "target" not in keys:
            node.items.insert(
                2,
                (
                    "target",
                    Val(
                        self.pending(row, "序时进度需要全年目标值"),
                        f"{where} 待定: 序时进度 needs the year's target (100 for a share spent in full?)",
                    ),
                ),
            )
            node.add("pace", {"track": False}, "序时进度 required on the checkpoints' dates only")
        if value == "pace":
            return "pace"
        if "benchmarks" not in keys:
            node.add("benchmarks", Val([{"id": "national-average", "title": "全国平均水平"}]))
        return {"any_of": ["pace", {"benchmark": "national-average"}]}

    def triggered(self, p: g.Triggered, where: str, words: str, row: Row) -> Map:
        ident = f"event-{len(self.events) + 1}"
        event = p.condition if len(p.condition) > 2 else f"需要{_title(p.act, [])}"
        self.events.append((ident, event, where))
        node = Map([("title", Val(_title(p.act, []), _note(where, words)))])
        node.add("on_event", ident)
        if p.within:
            node.add("within", p.within, _note(where, words))
        else:
            hint = "1 working day" if "立即" in words or "第一时间" in words else "5 working days"
            node.add(
                "within",
                self.pending(row, f"“{words}”：从事件起多少个工作日内由办公室定"),
                _note(where, words, f"待定: how long after the event? (e.g. {hint})"),
            )
        row.drafted.append(f"事件触发（{words}）")
        return node
