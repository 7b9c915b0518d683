"""A progress report sent from a page, a department's or the office's: the library's
``record_progress`` with the CLI's checks, dated no later than today, and a correction (更正)
only when asked for, exactly as `workplan progress record [--correct]` records them."""

from __future__ import annotations

from sqlalchemy import Connection
from starlette.requests import Request

from workplan.errors import Refused
from workplan.i18n import L_
from workplan.store import records, refs
from workplan.web import pages
from workplan.web.base import Retry, SignedInView, Visitor
from workplan.web.forms import Form

FIELDS = ("task", "metric", "value", "note", "as_of", "department")
"""what a report form says: offered again, with ``correct``, when a correction is needed"""


def report(
    view: SignedInView, request: Request, form: Form, *, unchanged: bool = False
) -> records.Recorded:
    """Record the value (or the words) ``form`` reports; with ``unchanged``, the metric's
    last value again, today ("本月无变化")."""

    def action(conn: Connection, visitor: Visitor) -> records.Recorded:
        plan = visitor.plan
        today = view.web.today(plan)
        task_ref, metric = form["task"], form.optional("metric")
        if unchanged:
            if metric is None:
                raise Refused(L_("choose the metric"))
            value: str | float | None = pages.last_value(conn, plan, task_ref, metric)
            note: str | None = "本月无变化"
        else:
            value, note = form.optional("value"), form.optional("note")
            # refused because another value stands for that day: this form, as a correction
            request.state.retry = Retry(request.url.path, form.sent(*FIELDS), visitor.session)
        # the office reports for any of the item's departments; a department for itself
        office = visitor.department == plan.office
        done = records.record_progress(
            conn,
            plan_key=plan.key,
            task_ref=task_ref,
            metric_key=metric,
            value=value,
            as_of=form.day("as_of") or today,
            department=(form.optional("department") if office else None) or visitor.department,
            note=note,
            now=view.web.now(),
            today=today,
            correct=form["correct"] == "1",
        )
        task = refs.find_task(conn, plan, str(done.task))
        corrected = done.outcome == "corrected"
        view.audit(
            conn,
            visitor,
            request,
            action="nochange" if unchanged else "correct" if corrected else "progress",
            task_id=task["id"],
            # the same report already recorded that day adds no row (nothing to point at)
            progress_id=done.row_id,
        )
        return done

    return view.write(request, form, action)
