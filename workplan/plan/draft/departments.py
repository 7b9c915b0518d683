"""Who answers for an item, as documents write it, and the names matched to a directory.

Conventions read: “（牵头单位：X；责任单位：Y、Z）”, “X牵头，Y配合”, “由X会同Y负责”,
“（X、Y等牵头负责）”, “（X、Y、Z等按职责分工负责）” (no lead named: the first listed is drafted
as lead and flagged), a document-wide “排名第一的为牵头单位”, and groups (各镇街,
领导小组成员单位) matched to the directory's groups.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

_SPLIT = re.compile(r"[、，,；;]")
_LEAD_FIRST = re.compile(r"排名第一的?为牵头单位|第一个?单位为牵头单位|排在首位的为牵头")
_LABELLED = re.compile(
    r"牵头(?:单位|部门)[：:](?P<lead>[^；;]+)(?:[；;，,]\s*(?:责任|配合|参与)(?:单位|部门)[：:](?P<co>.+))?"
)
_LEADS_HELPED = re.compile(
    r"^(?:由)?(?P<lead>.+?)(?:牵头负责|牵头(?!单位)|会同)[，,]?(?P<co>.+?)(?:配合|参与|协助|负责落实|负责)?$"
)
_ALL_LEAD = re.compile(r"^(?P<names>.+?)等(?:共同)?牵头负责$|^(?P<one>[^、，,]+?)牵头负责$")
_REMIT = re.compile(r"^(?P<names>.+?)等?(?:按职责分工|按职责|按照职责分工|分别)?负责(?:落实)?$")
OWNERS = re.compile(r"负责|牵头|配合|责任单位|牵头单位")


@dataclass(frozen=True)
class Owners:
    """The departments of an item: leads, co-responsible, and whether the lead is a guess."""

    lead: tuple[str, ...]
    co: tuple[str, ...]
    lead_guessed: bool
    convention: str


def _names(text: str) -> tuple[str, ...]:
    out = []
    for part in _SPLIT.split(text):
        name = re.sub(r"(?:等|等单位|等部门)$", "", part.strip(" 　"))
        if name:
            out.append(name)
    return tuple(out)


def lead_first(text: str) -> bool:
    """Return True when the document says the first listed department leads."""
    return bool(_LEAD_FIRST.search(text))


def read_owners(words: str, first_leads: bool = False) -> Owners | None:
    """Read the departments of an item from the words of its parenthesis (without brackets)."""
    words = words.strip().rstrip("。")
    if m := _LABELLED.search(words):
        co = _names(m["co"]) if m["co"] else ()
        return Owners(_names(m["lead"]), co, False, "牵头单位：…；责任单位：…")
    if m := _ALL_LEAD.match(words):
        return Owners(_names(m["names"] or m["one"]), (), False, "…等牵头负责")
    if (m := _LEADS_HELPED.match(words)) and re.search(r"会同|配合|牵头(?!单位)", words):
        return Owners(_names(m["lead"]), _names(m["co"]), False, "X牵头，Y配合")
    if m := _REMIT.match(words):
        names = _names(m["names"])
        if not names:
            return None
        how = "排名第一的为牵头单位" if first_leads else "…等按职责分工负责"
        return Owners(names[:1], names[1:], not first_leads and len(names) > 1, how)
    return None


def trailing_parenthesis(text: str) -> tuple[int, str] | None:
    """Return the start and inner words of a parenthesis closing ``text`` that names owners."""
    stripped = text.rstrip("。 ")
    if not stripped.endswith("）"):
        return None
    depth = 0
    for i in range(len(stripped) - 1, -1, -1):
        if stripped[i] == "）":
            depth += 1
        elif stripped[i] == "（":
            depth -= 1
            if depth == 0:
                inner = stripped[i + 1 : -1]
                return (i, inner) if OWNERS.search(inner) else None
    return None


@dataclass(frozen=True)
class Match:
    """A name as written, the directory's name for it (or None), and a near match."""

    written: str
    known: str | None
    suggestion: str | None


def match_name(written: str, names: dict[str, str]) -> Match:
    """Match ``written`` against ``names`` (each name or alias → the directory's name)."""
    if written in names:
        return Match(written, names[written], None)
    bare = written.removeprefix("各")
    for candidate in (bare, bare.replace("（", "").replace("）", ""), f"区{bare}"):
        if candidate in names:
            return Match(written, names[candidate], None)
    close = difflib.get_close_matches(written, list(names), n=1, cutoff=0.6)
    return Match(written, None, names[close[0]] if close else None)
