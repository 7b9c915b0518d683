"""The day's letters: which waiting notices go into one letter (a recipient, a kind and a
day), the document each letter is (催办, 督办, the day's 通报, the office's 抄送, the leadership's
report), and the letters formed before delivery takes them.  ``tick`` (outbox.py) stores the
notices; this puts them in their letters.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, bindparam, select, update

from workplan.channels.mail import domain_of, message_id
from workplan.notices.numbers import REPORT
from workplan.plan.settings import NumberFormats, PlanSettings
from workplan.rules.evaluate import LEADERSHIP, Intent
from workplan.rules.kinds import STAGE_OVERDUE, STAGE_WARN, WARN_NAME
from workplan.store.tables import T_DEPT, T_NOTICE, T_PLAN


def owns(intent: Intent) -> bool:
    """Whether a notice's recipient answers for its item (not a copy for supervision)."""
    owners = intent.facts.get("owners")
    return owners is None or intent.department in owners


COPIES = "抄送"
"""the office's summary of the copies it is sent (never merged with its own items)"""


def letter_document(
    plan: _PlanLetters, department: str, rule: str, stage: int, level_name: str, own: bool
) -> str:
    """Return the document a notice is a line of, for its recipient: the office never writes to
    itself (its own items go in its daily list, its copies in a 抄送 summary of their own), and
    the leadership receives the plan's report (督查专报), never a 通报."""
    document = document_of(rule, stage, level_name)
    if stage < STAGE_WARN:
        return document
    if department == LEADERSHIP:
        return plan.report
    if department == plan.office:
        return DIGEST if own else COPIES
    return document


def document_of(rule: str, stage: int, level_name: str) -> str:
    """Return the kind of letter a notice is a line of: the day's digest of reminders, a
    提示函, or the document of its level on the ladder (催办, 督办, 通报 …)."""
    if stage < STAGE_WARN:
        return DIGEST
    if stage < STAGE_OVERDUE:
        return WARN_NAME
    return level_name


def form_letters(conn: Connection, plan_ids: list[int], day: date) -> int:
    """Group the notices not yet in a letter into letters: one per recipient, kind and day.

    A letter still waiting to go (none of it claimed) takes the day's later notices of its kind;
    otherwise a new letter is made, with its Message-ID and, where the plan numbers that kind
    of document, the next number (taken in this transaction).  Return the letters made.
    """
    if not plan_ids:
        return 0
    loose = conn.execute(
        select(
            T_NOTICE.c.id,
            T_NOTICE.c.plan_id,
            T_NOTICE.c.department,
            T_NOTICE.c.rule,
            T_NOTICE.c.stage,
            T_NOTICE.c.level_name,
            T_NOTICE.c.facts,
        )
        .where(
            T_NOTICE.c.plan_id.in_(plan_ids),
            T_NOTICE.c.status == "pending",
            T_NOTICE.c.message_id.is_(None),
        )
        .order_by(T_NOTICE.c.id)
    ).all()
    if not loose:
        return 0
    plans = plan_letters(conn, sorted({r.plan_id for r in loose}))
    groups = letter_groups(
        [
            (*r[:6], r.department != plans[r.plan_id].office or _owned_by(r.facts, r.department))
            for r in loose
        ],
        plans,
    )
    made = 0
    params = []
    for found in letters_of(conn, groups, plans, day):
        made += found.new
        params += [
            {"nid": i, "mid": found.mid, "doc": found.kind, "num": found.number} for i in found.ids
        ]
    _put_in_letters(conn, params)
    return made


@dataclass(frozen=True, slots=True)
class _Letter:
    """The letter a group of notices goes in: a waiting one of the day, or a new one."""

    plan_id: int
    ids: list[int]
    kind: str
    mid: str
    number: str | None
    """the waiting letter's document number"""
    new: bool


def letters_of(
    conn: Connection,
    groups: dict[tuple[int, str, str], list[int]],
    plans: dict[int, _PlanLetters],
    day: date,
) -> list[_Letter]:
    """Find or make the letter of each group: the day's letter still waiting takes it, or a
    new one gets its Message-ID (from its plan, recipient, kind, day and first notice)."""
    waiting = _waiting_letters(conn, sorted(plans), day)
    out = []
    for (plan_id, department, document), ids in groups.items():
        plan = plans[plan_id]
        kind = document.split(":")[0]
        found = waiting.get((plan_id, department, document))
        if found is not None:
            out.append(_Letter(plan_id, ids, kind, found[0], found[1], False))
            continue
        parts = [plan.key, department, kind, day.isoformat(), str(ids[0])]
        out.append(_Letter(plan_id, ids, kind, message_id(parts, plan.domain), None, True))
    return out


def letter_groups(
    loose: Iterable[tuple[Any, ...]], plans: dict[int, _PlanLetters]
) -> dict[tuple[int, str, str], list[int]]:
    """Group notices (id, plan, department, rule, stage, level name, whether the recipient
    answers for it; in the order of their ids) by the letter each belongs in: its plan,
    recipient and kind of document."""
    groups: dict[tuple[int, str, str], list[int]] = {}
    for nid, plan_id, department, rule, stage, level_name, own in loose:
        document = letter_document(plans[plan_id], department, rule, stage, level_name, own)
        if document == DIGEST and not plans[plan_id].digest:
            document = f"{DIGEST}:{nid}"  # the plan asked for one letter a reminder
        groups.setdefault((plan_id, department, document), []).append(nid)
    return groups


def _waiting_letters(
    conn: Connection, plan_ids: list[int], day: date
) -> dict[tuple[int, str, str], tuple[str, str | None]]:
    """The day's letters still waiting, none of them claimed yet: they take later notices.

    On PostgreSQL their lines are locked until the evaluation commits: a dispatcher cannot
    claim and send the letter while later lines join it under the same Message-ID (they
    would go again, alone, as a second message with that Message-ID); one already claiming
    it makes this wait, and the letter, claimed, is then no longer waiting.
    """
    query = select(
        T_NOTICE.c.plan_id,
        T_NOTICE.c.department,
        T_NOTICE.c.document,
        T_NOTICE.c.message_id,
        T_NOTICE.c.doc_number,
    ).where(
        T_NOTICE.c.plan_id.in_(plan_ids),
        T_NOTICE.c.as_of == day,
        T_NOTICE.c.message_id.is_not(None),
        T_NOTICE.c.status == "pending",
        T_NOTICE.c.attempts == 0,
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(of=T_NOTICE)
    else:
        query = query.distinct()
    waiting: dict[tuple[int, str, str], tuple[str, str | None]] = {}
    for plan_id, department, document, mid, number in conn.execute(query):
        waiting[(plan_id, department, document)] = (mid, number)
    return waiting


def _put_in_letters(conn: Connection, params: list[dict[str, Any]]) -> None:
    """Write each notice's letter (Message-ID, document, number): one UPDATE from arrays on
    PostgreSQL, where an executemany costs a round trip per notice."""
    if conn.dialect.name == "postgresql" and params:
        conn.exec_driver_sql(
            "UPDATE notice SET message_id = v.mid, document = v.doc, doc_number = v.num "
            "FROM unnest(CAST(%(nid)b AS integer[]), CAST(%(mid)b AS text[]), "
            "CAST(%(doc)b AS text[]), CAST(%(num)b AS text[])) AS v(nid, mid, doc, num) "
            "WHERE notice.id = v.nid AND notice.message_id IS NULL",
            {name: [p[name] for p in params] for name in ("nid", "mid", "doc", "num")},
        )
        return
    conn.execute(
        update(T_NOTICE)
        .where(T_NOTICE.c.id == bindparam("nid"), T_NOTICE.c.message_id.is_(None))
        .values(
            message_id=bindparam("mid"), document=bindparam("doc"), doc_number=bindparam("num")
        ),
        params,
    )


DIGEST = "digest"


@dataclass(frozen=True)
class _PlanLetters:
    key: str
    domain: str
    digest: bool
    numbering: NumberFormats
    office: str = ""
    report: str = REPORT


def _owned_by(facts: str, department: str) -> bool:
    """Whether ``department`` answers for a stored notice's item (its facts' owners)."""
    owners = json.loads(facts).get("owners")
    return owners is None or department in owners


def plan_letters(conn: Connection, plan_ids: list[int]) -> dict[int, _PlanLetters]:
    """What letter-making needs of each plan: its key, mail domain, digest and numbering."""
    office_email = (
        select(T_DEPT.c.emails)
        .where(T_DEPT.c.plan_id == T_PLAN.c.id, T_DEPT.c.name == T_PLAN.c.office)
        .scalar_subquery()
    )
    out = {}
    for pid, key, settings_json, emails, office in conn.execute(
        select(T_PLAN.c.id, T_PLAN.c.key, T_PLAN.c.settings, office_email, T_PLAN.c.office).where(
            T_PLAN.c.id.in_(plan_ids)
        )
    ):
        settings = PlanSettings.from_json(settings_json)
        addresses = json.loads(emails) if emails else []
        out[pid] = _PlanLetters(
            key,
            domain_of(addresses[0] if addresses else "workplan@workplan.invalid"),
            settings.notices.digest,
            settings.numbering,
            office,
            settings.numbering.report or REPORT,
        )
    return out
