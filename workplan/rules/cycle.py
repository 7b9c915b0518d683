"""The notices the office's cycle owes (pure): a 交办件's 交办单 to each of its departments
until it is signed for; one not signed for (签收) within the plan's
``cycle.receipt_days`` working days is followed up at once, before its deadline's own
reminders; an extension request (延期申请) left unanswered ``cycle.answer_days`` working days
reminds the office; a report waiting for the office's review (复核) ``cycle.review_days``
working days reminds the office, and a report sent back (退回) is told to its department
until it reports again.  Their kinds are in the registry (:mod:`workplan.rules.kinds`); the
facts come from :func:`workplan.store.cycle_read.cycle_facts`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from workplan.plan.calendar import WorkCalendar
from workplan.rules.evaluate import Intent
from workplan.rules.kinds import ANSWER, ASSIGN, RECEIPT, RETURNED, REVIEW, RuleKind
from workplan.store.cycle_read import CycleFacts, Unsigned, Waiting
from workplan.store.pending import Review


def _intent(
    plan_id: int,
    about: Unsigned | Waiting | Review,
    kind: RuleKind,
    department: str,
    since: date,
    facts: dict[str, Any],
    *,
    subject: str | None = None,
) -> Intent:
    """A notice of the cycle about one obligation (or, a value's review, one metric)."""
    return Intent(
        plan_id=plan_id,
        task_id=about.task_id,
        task=about.task,
        subject=subject or f"{kind.name[0]}{about.obligation_id}",
        obligation_id=about.obligation_id,
        metric_id=about.metric_id if isinstance(about, Review) else None,
        department=department,
        rule=kind.name,
        level=0,
        level_name=kind.level_name or kind.name,
        period=since.isoformat(),
        due=about.deadline,
        stage=kind.stage,
        roles=("office",) if kind in (ANSWER, REVIEW) else ("owners",),
        facts={"title": about.title, "kind": "deliverable", "deadline": about.deadline, **facts},
    )


def cycle_intents(
    plan_id: int, office: str, facts: CycleFacts | None, as_of: date, cal: WorkCalendar
) -> list[Intent]:
    """Return the cycle's notices owed on ``as_of`` for one plan."""
    if facts is None:
        return []
    out: list[Intent] = []
    for u in facts.unsigned:
        if as_of > u.deadline:
            continue  # once overdue, the ladder speaks
        # the 交办单 until it is signed for, or the days to sign have passed: then a 签收提醒
        late = as_of >= cal.after(u.assigned_on, facts.receipt_days)
        more = {"owners": list(u.owners), "assigned_on": u.assigned_on}
        more["working_days"] = cal.count(as_of, u.deadline)
        kind = RECEIPT if late else ASSIGN
        out.append(_intent(plan_id, u, kind, u.department, u.assigned_on, more))
    for w in facts.waiting:
        if as_of < cal.after(w.asked_on, facts.answer_days):
            continue
        more = {"owners": [w.department], "asked_by": w.department, "asked_on": w.asked_on}
        more.update(asked_to=w.to, working_days=cal.count(as_of, w.deadline))
        out.append(_intent(plan_id, w, ANSWER, office, w.asked_on, more))
    for r in facts.awaiting:
        if as_of >= cal.after(r.since, facts.review_days):
            more = {"owners": [r.department], "reported_by": r.department, "reported_on": r.since}
            out.append(_review_intent(plan_id, r, REVIEW, office, more))
    for r in facts.returned:
        more = {"owners": [r.department], "reason": r.reason, "returned_on": r.since}
        more["working_days"] = cal.count(as_of, r.deadline)
        out.append(_review_intent(plan_id, r, RETURNED, r.department, more))
    return out


def _review_intent(
    plan_id: int, r: Review, kind: RuleKind, department: str, facts: dict[str, Any]
) -> Intent:
    """The office reminded of a report waiting for its review (复核) past the plan's
    ``cycle.review_days``; a department told its report was sent back (退回), until it
    reports again."""
    about = f"o{r.obligation_id}" if r.obligation_id is not None else f"m{r.metric_id}"
    subject = f"{'v' if kind is REVIEW else 'b'}{about}"
    return _intent(plan_id, r, kind, department, r.since, {"key": r.key, **facts}, subject=subject)
