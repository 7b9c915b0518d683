"""The notices the office's cycle owes (pure): a 交办件 not signed for (签收) within the plan's
``cycle.receipt_days`` working days is followed up at once, before its deadline's own
reminders; an extension request (延期申请) left unanswered ``cycle.answer_days`` working days
reminds the office.  Their kinds are in the registry (:mod:`workplan.rules.kinds`); the
facts come from :func:`workplan.store.cycle_read.cycle_facts`.
"""

from __future__ import annotations

from datetime import date

from workplan.plan.calendar import WorkCalendar
from workplan.rules.evaluate import Intent
from workplan.rules.kinds import ANSWER, RECEIPT
from workplan.store.cycle_read import CycleFacts


def cycle_intents(
    plan_id: int, office: str, facts: CycleFacts | None, as_of: date, cal: WorkCalendar
) -> list[Intent]:
    """Return the cycle's notices owed on ``as_of`` for one plan."""
    if facts is None:
        return []
    out: list[Intent] = []
    for u in facts.unsigned:
        if as_of < cal.after(u.assigned_on, facts.receipt_days) or as_of > u.deadline:
            continue  # still in time to sign; once overdue, the ladder speaks
        out.append(
            Intent(
                plan_id=plan_id,
                task_id=u.task_id,
                task=u.task,
                subject=f"r{u.task_id}",
                obligation_id=u.obligation_id,
                metric_id=None,
                department=u.department,
                rule=RECEIPT.name,
                level=0,
                level_name=RECEIPT.level_name or RECEIPT.name,
                period=u.assigned_on.isoformat(),
                due=u.deadline,
                stage=RECEIPT.stage,
                roles=("owners",),
                facts={
                    "title": u.title,
                    "kind": "deliverable",
                    "deadline": u.deadline,
                    "owners": list(u.owners),
                    "assigned_on": u.assigned_on,
                    "working_days": cal.count(as_of, u.deadline),
                },
            )
        )
    for w in facts.waiting:
        if as_of < cal.after(w.asked_on, facts.answer_days):
            continue
        out.append(
            Intent(
                plan_id=plan_id,
                task_id=w.task_id,
                task=w.task,
                subject=f"x{w.obligation_id}",
                obligation_id=w.obligation_id,
                metric_id=None,
                department=office,
                rule=ANSWER.name,
                level=0,
                level_name=ANSWER.level_name or ANSWER.name,
                period=w.asked_on.isoformat(),
                due=w.deadline,
                stage=ANSWER.stage,
                roles=("office",),
                facts={
                    "title": w.title,
                    "kind": "deliverable",
                    "deadline": w.deadline,
                    "owners": [w.department],
                    "asked_by": w.department,
                    "asked_on": w.asked_on,
                    "asked_to": w.to,
                    "working_days": cal.count(as_of, w.deadline),
                },
            )
        )
    return out
