"""Read an issued document (.docx, .txt in UTF-8 or GBK, .pdf with a text layer) into
paragraphs of normalised text that still know where each character was written.

PDFs from government sites carry spaces inside words (“到 2020 年底”), lost separators
(“30%50%75%”), half-width punctuation and Kangxi radicals in place of ideographs (⼯ for 工):
the text the grammar reads is normalised, while the words quoted back to the office are the
document's own.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from workplan.errors import InvalidInput, Problem
from workplan.i18n import L_

SUFFIXES = (".docx", ".txt", ".pdf")
MAX_BYTES = 20 * 1024 * 1024
_MARKER = re.compile(
    r"^\s*(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)]|\d{1,2}[.．、](?!\d))"
)
_END = "。！？；：）)”"
_HALF = {",": "，", ";": "；", ":": "：", "(": "（", ")": "）", "!": "！", "?": "？", "％": "%"}


@dataclass(frozen=True)
class Line:
    """A line of the document as a person finds it: where it is, and its text."""

    where: str
    text: str


@dataclass
class Paragraph:
    """Normalised text, with the (line, column) each character came from."""

    text: str
    origin: list[tuple[int, int]]
    lines: list[Line] = field(repr=False)

    def where(self, index: int) -> str:
        """Return where the character at ``index`` was written, e.g. 第57行."""
        line, _ = self.origin[min(index, len(self.origin) - 1)]
        return self.lines[line].where

    def words(self, start: int, end: int) -> str:
        """Return the document's own words for the span ``start:end`` of the normalised text."""
        if start >= end:
            return ""
        first_line, first_col = self.origin[start]
        last_line, last_col = self.origin[end - 1]
        if first_line == last_line:
            return self.lines[first_line].text[first_col : last_col + 1]
        parts = [self.lines[first_line].text[first_col:]]
        parts += [self.lines[n].text for n in range(first_line + 1, last_line)]
        parts.append(self.lines[last_line].text[: last_col + 1])
        return "".join(p.strip() for p in parts)


@dataclass(frozen=True)
class Document:
    """The paragraphs of a document, and its name for messages."""

    name: str
    paragraphs: list[Paragraph]


def _wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F")


def _fold(char: str) -> str:
    """Kangxi radicals, compatibility ideographs and full-width digits to their plain forms."""
    code = ord(char)
    if 0x2E80 <= code <= 0x2FDF or 0xF900 <= code <= 0xFAFF or 0xFF10 <= code <= 0xFF19:
        return unicodedata.normalize("NFKC", char)
    return _HALF.get(char, char)


_LOST = [
    (re.compile(r"(?<=\d%)(?=\d+(?:\.\d+)?%)"), "、"),  # 30%50%75%
    (re.compile(r"(?<=\d%)(?=\d{1,2}月)"), "，"),  # 75%7月中旬
]


def normalise(lines: list[Line], numbers: list[int]) -> Paragraph:
    """Join ``lines`` (by their indices ``numbers``) into one paragraph of normalised text."""
    chars: list[str] = []
    origin: list[tuple[int, int]] = []
    for n in numbers:
        text = lines[n].text
        for col, raw in enumerate(text):
            char = _fold(raw)
            before = text[col - 1] if col else ""
            after = text[col + 1] if col + 1 < len(text) else ""
            if char in ",:" and before.isdigit() and after.isdigit():
                char = raw
            if char.isspace():
                prev = chars[-1] if chars else ""
                nxt = after.lstrip()[:1] if after else ""
                if not prev or not (
                    prev.isascii() and prev.isalnum() and nxt.isascii() and nxt.isalnum()
                ):
                    continue
                if chars[-1] == " ":
                    continue
                char = " "
            chars.append(char)
            origin.append((n, col))
    text = "".join(chars).strip()
    offset = len("".join(chars)) - len("".join(chars).lstrip())
    origin = origin[offset : offset + len(text)]
    for pattern, mark in _LOST:
        spots = [m.start() for m in pattern.finditer(text)]
        for spot in reversed(spots):
            text = text[:spot] + mark + text[spot:]
            origin.insert(spot, origin[spot - 1])
    return Paragraph(text, origin, lines)


def _decode(path: Path, raw: bytes) -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInput([Problem(str(path), 0, 0, "", L_("neither UTF-8 nor GBK text"))])


def _txt(path: Path, raw: bytes) -> tuple[list[Line], list[list[int]]]:
    lines = [
        Line(f"第{n}行", text.rstrip("\r"))
        for n, text in enumerate(_decode(path, raw).split("\n"), 1)
    ]
    return lines, [[n] for n, line in enumerate(lines) if line.text.strip()]


def _docx(path: Path) -> tuple[list[Line], list[list[int]]]:
    import zipfile

    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table
    from docx.text.paragraph import Paragraph as DocxParagraph

    try:
        document = docx.Document(str(path))
    except (zipfile.BadZipFile, PackageNotFoundError, KeyError, ValueError) as exc:
        raise InvalidInput(
            [
                Problem(
                    str(path),
                    0,
                    0,
                    "",
                    L_("not a Word document (.docx): {reason}", reason=str(exc)),
                )
            ]
        ) from None
    texts: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, DocxParagraph):
            texts.append(block.text)
        elif isinstance(block, Table):
            for row in block.rows:
                texts.append("　".join(cell.text for cell in row.cells))
    lines = [Line(f"第{n}段", text) for n, text in enumerate(texts, 1)]
    return lines, [[n] for n, line in enumerate(lines) if line.text.strip()]


def _pdf(path: Path) -> tuple[list[Line], list[list[int]]]:
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTTextBox, LTTextLine
    from pdfminer.pdfparser import PDFSyntaxError

    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    lines: list[Line] = []
    groups: list[list[int]] = []
    try:
        for page_number, page in enumerate(extract_pages(str(path)), 1):
            count = 0
            top = (
                True  # the first box of a page may go on with the last paragraph of the one before
            )
            for box in page:
                if not isinstance(box, LTTextBox):
                    continue
                for index, item in enumerate(
                    i for i in box if isinstance(i, LTTextLine) and i.get_text().strip()
                ):
                    count += 1
                    text = item.get_text().rstrip("\n")
                    lines.append(Line(f"第{page_number}页第{count}行", text))
                    prev = lines[groups[-1][-1]].text.rstrip() if groups else ""
                    goes_on = index > 0 or (top and page_number > 1 and prev[-1:] not in _END)
                    if groups and goes_on and not _MARKER.match(text):
                        groups[-1].append(len(lines) - 1)
                    else:
                        groups.append([len(lines) - 1])
                top = False
    except PDFSyntaxError as exc:
        raise InvalidInput(
            [Problem(str(path), 0, 0, "", L_("not a PDF: {reason}", reason=str(exc)))]
        ) from None
    if not lines:
        raise InvalidInput(
            [
                Problem(
                    str(path),
                    0,
                    0,
                    "",
                    L_("the PDF has no text layer (a scan?): run OCR first, or give the .docx"),
                )
            ]
        )
    return lines, groups


def read_document(path: Path) -> Document:
    """Read a .docx, .txt or .pdf into normalised paragraphs; raise InvalidInput."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise InvalidInput(
            [
                Problem(
                    str(path),
                    0,
                    0,
                    "",
                    L_("give the document as .docx, .txt (UTF-8 or GBK) or .pdf with a text layer"),
                )
            ]
        )
    if not path.is_file():
        raise InvalidInput([Problem(str(path), 0, 0, "", L_("no such file"))])
    if path.stat().st_size > MAX_BYTES:
        raise InvalidInput([Problem(str(path), 0, 0, "", L_("larger than 20 MB: not a work plan"))])
    if suffix == ".txt":
        lines, groups = _txt(path, path.read_bytes())
    elif suffix == ".docx":
        lines, groups = _docx(path)
    else:
        lines, groups = _pdf(path)
    paragraphs = [normalise(lines, group) for group in groups]
    return Document(path.name, [p for p in paragraphs if p.text])
