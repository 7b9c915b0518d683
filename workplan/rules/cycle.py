"""The notices the office's cycle owes (pure): a 交办件's 交办单 to each of its departments
until it is signed for; one not signed for (签收) within the plan's
``cycle.receipt_days`` working days is followed up at once, before its deadline's own
reminders; an extension request (延期申请) left unanswered ``cycle.answer_days`` working days
reminds the office.  Their kinds are in the registry (:mod:`workplan.rules.kinds`); the
facts come from :func:`workplan.store.cycle_read.cycle_facts`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from workplan.plan.calendar import WorkCalendar
from workplan.rules.evaluate import Intent
from workplan.rules.kinds import ANSWER, ASSIGN, RECEIPT, RuleKind
from workplan.store.cycle_read import CycleFacts, Unsigned, Waiting


def _intent(
    plan_id: int,
    about: Unsigned | Waiting,
    kind: RuleKind,
    department: str,
    since: date,
    facts: dict[str, Any],
) -> Intent:
    return Intent(
        plan_id=plan_id,
        task_id=about.task_id,
        task=about.task,
        subject=f"{kind.name[0]}{about.obligation_id}",
        obligation_id=about.obligation_id,
        metric_id=None,
        department=department,
        rule=kind.name,
        level=0,
        level_name=kind.level_name or kind.name,
        period=since.isoformat(),
        due=about.deadline,
        stage=kind.stage,
        roles=("office",) if kind is ANSWER else ("owners",),
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
    return out
