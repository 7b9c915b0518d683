"""The kinds of rule are one closed registry: every kind is said in the tables and the letters of
both languages, and nothing outside the registry tells rules apart by their names."""

from __future__ import annotations

import ast
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from workplan.channels.base import Party
from workplan.cli.render import EN, Words, notice_detail
from workplan.errors import StoreError
from workplan.notices.letters import Message, letter
from workplan.notices.templates import LOCALES, Templates, sample_messages
from workplan.plan.calendar import WorkCalendar
from workplan.rules.kinds import (
    KINDS,
    LETTER_KINDS,
    OVERDUE,
    REMIND,
    STAGE_OVERDUE,
    WARN,
    RuleKind,
    rule_kind,
)

ROOT = Path(__file__).resolve().parents[2]
DUE, TODAY = date(2023, 4, 28), date(2023, 4, 26)


def _facts_by_topic() -> dict[str, dict[str, Any]]:
    """The facts the evaluator gives a notice of each topic (as tick stores them): those of
    the templates' sample letters, and the summary of what fell due before the plan."""
    found: dict[str, dict[str, Any]] = {}
    for message in sample_messages("zh-CN"):
        for line in message.letters:
            found.setdefault(line.topic, {}).update(line.facts)
    found["backlog"] = {
        "chase_from": date(2023, 5, 9),
        "count": 1,
        "items": [{"task": 3, "key": "plan", "title": "制定方案", "deadline": date(2023, 3, 31)}],
    }
    return found


FACTS = _facts_by_topic()


def test_the_registry_is_closed_and_ordered() -> None:
    assert all(name == k.name for name, k in KINDS.items())
    assert {k.topic for k in KINDS.values()} == set(FACTS)
    assert REMIND.stage < WARN.stage < STAGE_OVERDUE <= OVERDUE.stage_at(1) < OVERDUE.stage_at(2)
    assert [OVERDUE.letter_at(n) for n in (1, 2, 3, 4)] == [
        "overdue",
        "escalation",
        "bulletin",
        "bulletin",
    ]
    assert {k.letter_at(1) for k in KINDS.values()} <= set(LETTER_KINDS)
    with pytest.raises(StoreError, match="'nag'"):
        rule_kind("nag")


@pytest.mark.parametrize("kind", KINDS.values(), ids=list(KINDS))
@pytest.mark.parametrize("words", [EN, Words("zh-CN")], ids=["en", "zh"])
def test_every_kind_is_said_in_the_tables(kind: RuleKind, words: Words) -> None:
    detail = notice_detail(kind.name, FACTS[kind.topic], words)
    assert detail and "None" not in detail


@pytest.mark.parametrize("kind", KINDS.values(), ids=list(KINDS))
@pytest.mark.parametrize("locale", LOCALES)
def test_every_kind_is_said_in_the_letters(kind: RuleKind, locale: str) -> None:
    level = 2 if kind.ladder else 1
    line = letter(
        rule=kind.name,
        level=level,
        level_name=kind.level_name or "督办",
        item=16,
        item_title="强化衔接资金和项目管理",
        due=DUE,
        facts=FACTS[kind.topic],
        today=TODAY,
        calendar=WorkCalendar("CN", years=[2023]),
        remind_days=(3, 1),
        ladder=((1, "催办", 1), (2, "督办", 5)),
        locale=locale,
    )
    assert (line.kind, line.topic) == (kind.letter_at(level), kind.topic)
    office = Party("区委农办", ("qwnb@example.org",))
    message = Message(
        kind=line.kind,
        locale=locale,
        today=TODAY,
        plan_title="工作要点",
        plan_year=2023,
        issuer="区委农办",
        office=office,
        department=Party("区财政局", ("czj@example.org",)),
        letters=(line,),
    )
    text = Templates(None).render(message).text
    assert "None" not in text
    facts = FACTS[kind.topic]
    lines = facts.get("lines") or [{}]  # the month's report names its lines' items
    said = str(facts.get("title") or lines[0].get("title") or "制定方案")
    assert said in text


def _compares_a_rule(node: ast.Compare) -> bool:
    """`x.rule == "..."`, `rule in (...)`: a rule told apart by its name."""
    sides = [node.left, *node.comparators]
    named = any(
        (isinstance(s, ast.Attribute) and s.attr == "rule")
        or (isinstance(s, ast.Name) and s.id == "rule")
        for s in sides
    )
    texts = [
        c
        for s in sides
        for c in ([s] if isinstance(s, ast.Constant) else getattr(s, "elts", []))
        if isinstance(c, ast.Constant) and isinstance(c.value, str)
    ]
    return named and bool(texts)


def test_nothing_tells_rules_apart_by_name_outside_the_registry() -> None:
    found = []
    for path in sorted((ROOT / "workplan").rglob("*.py")):
        if path.name == "kinds.py" and path.parent.name == "rules":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found += [
            f"{path.relative_to(ROOT)}:{node.lineno}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Compare) and _compares_a_rule(node)
        ]
    compared = re.compile(r"\.rule\s*(==|!=|\bin\b|\bnot in\b)")
    templates = [
        *(ROOT / "notifications").rglob("*.j2"),
        *(ROOT / "workplan").rglob("*.j2"),
        *(ROOT / "workplan").rglob("*.html"),
    ]
    for path in sorted(templates):
        for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if compared.search(text):
                found.append(f"{path.relative_to(ROOT)}:{number}")
    assert found == [], "branch on the rule's kind (rules/kinds.py), not on its name"
