"""The shape of an issued plan: its title, issuer and date, chapters (一、), items (（一） or 1.),
each item's title, text, sentences and the parenthesis naming its departments."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from workplan.plan.draft.departments import lead_first, trailing_parenthesis
from workplan.plan.draft.document import Document, Paragraph
from workplan.plan.draft.numerals import number

_CHAPTER = re.compile(r"^(?P<n>[一二三四五六七八九十]+)、(?P<rest>.+)$")
_ITEM = re.compile(r"^（(?P<n>[一二三四五六七八九十]+)）(?P<rest>.+)$")
_NUMBERED = re.compile(r"^(?P<n>\d{1,2})[.．、](?!\d)(?P<rest>.+)$")
_NOTICE = re.compile(r"^(?P<issuer>.+?)关于印发《(?P<title>.+?)》的通知$")
_TITLE = re.compile(r"(?:工作要点|工作计划|实施方案|工作方案|行动方案|任务清单|重点任务)$")
_DATED = re.compile(
    r"日期[：:]\s*(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})|^(?P<y2>\d{4})年(?P<m2>\d{1,2})月(?P<d2>\d{1,2})日$"
)
_YEAR = re.compile(r"(?P<y>20\d\d)年")
_SENTENCE = re.compile(r"[^。！？]+[。！？]?")


@dataclass(frozen=True)
class Sentence:
    """A sentence of an item: its paragraph, its offset there and its normalised text."""

    paragraph: Paragraph
    start: int
    text: str


@dataclass
class Item:
    """A numbered item of the plan."""

    label: str
    number: int
    paragraph: Paragraph
    body: int
    """Where the item's text starts in the paragraph (after its label)."""
    title_end: int
    owners_at: int | None
    owners_words: str
    sentences: list[Sentence] = field(default_factory=list)


@dataclass
class Chapter:
    """A chapter (一、) and its items."""

    number: int
    title: str
    paragraph: Paragraph | None
    items: list[Item] = field(default_factory=list)


@dataclass
class Shape:
    """What the document says of itself, and its chapters."""

    title: str | None
    title_at: Paragraph | None
    issuer: str | None
    issued: date | None
    issued_at: Paragraph | None
    year: int | None
    first_leads: bool
    chapters: list[Chapter]
    other: list[Paragraph]
    """Paragraphs that are neither headings nor items (the preamble, the signature)."""


def _item(label: str, n: int, paragraph: Paragraph, body: int) -> Item:
    text = paragraph.text
    closing = trailing_parenthesis(text)
    owners_at, owners_words = (closing[0], closing[1]) if closing else (None, "")
    end = owners_at if owners_at is not None else len(text)
    first = text.find("。", body, end)
    title_end = first if first != -1 else end
    item = Item(label, n, paragraph, body, title_end, owners_at, owners_words)
    for m in _SENTENCE.finditer(text[body:end]):
        if m[0].strip("。 "):
            item.sentences.append(Sentence(paragraph, body + m.start(), m[0]))
    return item


def read_shape(document: Document) -> Shape:
    """Find the title, issuer, date, chapters and items of a document."""
    title = issuer = None
    title_at = issued_at = None
    issued = None
    chapters: list[Chapter] = []
    other: list[Paragraph] = []
    numbered_items = any(_ITEM.match(p.text) for p in document.paragraphs)
    for paragraph in document.paragraphs:
        text = paragraph.text
        if (m := _NOTICE.match(text)) and issuer is None:
            issuer, title = m["issuer"], title or m["title"]
            other.append(paragraph)
        elif (m := _DATED.search(text)) and issued is None and not chapters:
            y, mo, d = (m["y"] or m["y2"]), (m["m"] or m["m2"]), (m["d"] or m["d2"])
            issued, issued_at = date(int(y), int(mo), int(d)), paragraph
            other.append(paragraph)
        elif not chapters and _TITLE.search(text) and len(text) <= 80 and "《" not in text:
            title, title_at = text, paragraph
        elif m := _CHAPTER.match(text):
            chapters.append(Chapter(number(m["n"]), m["rest"].rstrip("。"), paragraph))
        elif (m := _ITEM.match(text)) or (not numbered_items and (m := _NUMBERED.match(text))):
            if not chapters:
                chapters.append(Chapter(1, "", None))
            label = text[: m.start("rest")]
            chapters[-1].items.append(_item(label, number(m["n"]), paragraph, m.start("rest")))
        elif chapters and chapters[-1].items and numbered_items and _NUMBERED.match(text):
            _extend(chapters[-1].items[-1], paragraph)
        else:
            other.append(paragraph)
    year_from = _YEAR.search(title or "")
    year = int(year_from["y"]) if year_from else (issued.year if issued else None)
    first_leads = any(lead_first(p.text) for p in document.paragraphs)
    return Shape(title, title_at, issuer, issued, issued_at, year, first_leads, chapters, other)


def _extend(item: Item, paragraph: Paragraph) -> None:
    """Read a numbered point (1. …) under an item as more sentences of it."""
    item.sentences += [
        Sentence(paragraph, m.start(), m[0])
        for m in _SENTENCE.finditer(paragraph.text)
        if m[0].strip("。 ")
    ]
