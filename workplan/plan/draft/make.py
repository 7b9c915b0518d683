"""`workplan draft`: a document in, a plan in the plan language out, with one row per sentence
saying what was drafted and what is left for the office."""

from __future__ import annotations

import os
from pathlib import Path

from workplan.errors import InvalidInput, Problem
from workplan.i18n import L_
from workplan.plan.draft import grammar
from workplan.plan.draft.document import read_document
from workplan.plan.draft.drafter import Directory, Draft, Drafter, Row, _Task
from workplan.plan.draft.emit import Map, Text, Val, emit
from workplan.plan.draft.pending import PENDING
from workplan.plan.draft.structure import Item


def read_directory_names(path: Path, cite: str) -> Directory:
    """Read a department directory for matching names: each name, alias and group."""
    from workplan.plan.validate import read_directory

    directory = read_directory(path)
    names: dict[str, str] = {}
    for dept in directory.departments:
        for name in (dept.name, *dept.aliases):
            names[name] = dept.name
    for group in directory.groups:
        names[group.name] = group.name
    return Directory(names, cite)


def _item_node(d: Drafter, item: Item, number: int) -> Map:
    paragraph = item.paragraph
    where = paragraph.where(0)
    title_words = paragraph.words(item.body, item.title_end)
    node = Map(
        [("number", Val(number, f"{where} “{item.label}”" if number != item.number else where))]
    )
    node.add("title", title_words.rstrip("。.") or "（待命名）")
    node.add("text", Text(paragraph.words(item.body, len(paragraph.text))))
    task = _Task(node)
    owner_row = Row(
        paragraph.where(item.owners_at or 0),
        item.label,
        f"（{item.owners_words}）" if item.owners_words else "（未写明责任单位）",
    )
    d.owners(item, node, owner_row)
    for sentence in item.sentences:
        row = Row(sentence.paragraph.where(sentence.start), item.label, sentence.text)
        if sentence.paragraph is paragraph and sentence.start == item.body:
            row.drafted.append("事项标题")
        for offset, clause in grammar.clauses(sentence.text):
            d.clause(task, sentence, offset, clause, row)
        if not row.drafted and not row.left:
            row.drafted.append("—（保留在事项正文中）")
        d.rows.append(row)
    d.rows.append(owner_row)
    for kind in ("deliverables", "recurring", "standing", "metrics", "triggered"):
        if kind in task.lists:
            node.add(kind, task.lists[kind])
    return node


def _header(d: Drafter, plan: Map, whole: Row) -> None:
    shape = d.shape
    plan.add(
        "id",
        f"plan-{d.year}" if d.year else "plan",
        "a short id of lower-case letters, digits and -: choose your own",
    )
    title_at = shape.title_at.where(0) if shape.title_at else ""
    if shape.title:
        plan.add("title", shape.title, title_at)
    else:
        plan.add("title", d.pending(whole, "标题"), "待定: no title found")
    if shape.year:
        plan.add("year", shape.year, title_at)
    else:
        plan.add("year", d.pending(whole, "年度"), "待定: no year in the title")
    if shape.issued:
        plan.add("issued", shape.issued, shape.issued_at.where(0) if shape.issued_at else "")
    if shape.issuer:
        plan.add("issuer", shape.issuer)
    plan.add("timezone", "Asia/Shanghai")
    plan.add("locale", "zh-CN")
    office = None
    if d.directory is not None and shape.issuer:
        office = d.directory.names.get(shape.issuer)
    if office:
        plan.add("office", office, "the issuer")
    else:
        plan.add(
            "office",
            d.pending(whole, "牵头督办的办公室（office）"),
            f"待定: the department that tracks the plan (the issuer: {shape.issuer or 'not found'})",
        )
    if d.directory is not None:
        plan.add("directory", d.directory.cite)


def draft_document(path: Path, directory: Path | None = None, output: Path | None = None) -> Draft:
    """Draft a plan from the document at ``path``; names are matched to ``directory`` and cited
    relative to ``output`` (where the plan will be written).  Raise InvalidInput."""
    document = read_document(path)
    cite = None
    if directory is not None:
        base = (output.parent if output else Path.cwd()).resolve()
        cite = Directory({}, os.path.relpath(directory.resolve(), base))
        cite = read_directory_names(directory, cite.cite)
    d = Drafter(document, cite)
    whole = Row(
        d.shape.title_at.where(0) if d.shape.title_at else "", "—", d.shape.title or path.name
    )
    whole.drafted.append("计划：标题、年度、印发日期、印发单位")
    if not any(chapter.items for chapter in d.shape.chapters):
        raise InvalidInput(
            [
                Problem(
                    str(path),
                    0,
                    0,
                    "",
                    L_("no numbered items found (（一）… or 1. …): is this the plan's text?"),
                )
            ]
        )
    plan = Map()
    _header(d, plan, whole)
    d.rows.append(whole)
    chapters: list[Map] = []
    numbers = [item.number for chapter in d.shape.chapters for item in chapter.items]
    restart = len(set(numbers)) != len(numbers)  # （一） again in each chapter: number on
    count = 0
    for i, chapter in enumerate(d.shape.chapters, 1):
        title_at = chapter.paragraph.where(0) if chapter.paragraph else ""
        node = Map(
            [
                ("number", Val(i, title_at)),
                ("title", Val(chapter.title or d.shape.title or "（待命名）")),
            ]
        )
        items = []
        for item in chapter.items:
            count += 1
            items.append(_item_node(d, item, count if restart else item.number))
        node.add("tasks", items)
        chapters.append(node)
    if d.undated:
        plan.items.insert(
            5,
            (
                "default_due",
                Val(
                    d.pending(whole, "无时限成果的默认时限（default_due）"),
                    f"待定: {d.undated} results have no date in the text (制定…方案, 建立…台账): the office's default, e.g. year-end",
                ),
            ),
        )
    if d.events:
        plan.add("events", Map([(ident, Val(what, where)) for ident, what, where in d.events]))
    if d.terms:
        terms = d.pending(whole, "每学期：学期起止日期")
        plan.add(
            "calendar",
            Map(
                [
                    (
                        "terms",
                        Val(
                            terms,
                            f"{d.terms} 每学期 待定: the school terms, as [{{name, start, end}}]",
                        ),
                    )
                ]
            ),
        )
    if d.directory is None:
        departments = [
            Map(
                [
                    ("name", Val(name, where)),
                    ("email", Val(PENDING, "待定: the department's mailbox")),
                ]
            )
            for name, where in d.named.items()
        ]
        d.flags += len(departments)
        whole.left += [f"{name}：邮箱" for name in d.named]
        plan.add("departments", departments)
    plan.add("chapters", chapters)
    header = [
        "yaml-language-server: $schema=workplan-plan.schema.json",
        f"Drafted by `workplan draft` from {path.name}: {count} items, {d.flags} values left for the office.",
        "Each drafted value names the line and the words it came from. 待定 marks a value to decide,",
        "待确认： a guess to confirm (delete the mark to accept it). `workplan validate` names each one",
        "until all are decided.",
        "",
    ]
    return Draft(emit(plan, header), d.rows, count, d.flags)
