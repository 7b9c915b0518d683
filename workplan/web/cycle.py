"""The office's cycle on the pages (workplan.store.cycle), each act the library function of
its command: the office creates a 交办件 (`assign`), answers an extension request
(`answer`), reviews a report (`review`), decides a problem (`problem decide`), pauses and
resumes (`pause`, `resume`); a department signs for its 交办件 (`receipt`: opening a letter's
link signs for every 交办件 of the department not signed for yet, and the page has a 签收
button), asks for more time (`request`) and raises a problem (`problem raise`).

Every step is recorded with the link or the login it came through and the client's address.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from workplan.errors import NotFound, Refused
from workplan.i18n import L_
from workplan.plan.compiled import ASSIGNED, item_label
from workplan.store import assign, cycle, links, refs, review
from workplan.store.cycle_read import history, problems
from workplan.store.pending import pending_of
from workplan.store.tables import T_CYCLE, T_OBL, T_OWNER, T_TASK
from workplan.web.base import Visitor
from workplan.web.department import Department
from workplan.web.forms import Form
from workplan.web.office import Office
from workplan.web.session import Session

OFFICE_ACTS = {
    "approve": "同意延期",
    "refuse": "不同意延期",
    "accept": "复核通过",
    "return": "退回",
    "pause": "挂起",
    "resume": "恢复",
    "decide": "作出决定",
}
DEPARTMENT_ACTS = {"receipt": "签收", "request": "申请延期", "problem": "提出问题"}


def _actor(request: Request, visitor: Visitor) -> cycle.Actor:
    host = request.client.host if request.client else "-"
    forwarded = request.headers.get("x-forwarded-for")
    via = "link" if visitor.via.startswith("link") else "web"
    address = f"{host} (X-Forwarded-For {forwarded})" if forwarded else host
    return cycle.Actor(visitor.department, visitor.via, via, address)


def unsigned(conn: Connection, plan: refs.PlanRef, department: str) -> list[str]:
    """The 交办件 of a department it has not signed for (their item numbers, as typed)."""
    mine = select(T_OWNER.c.task_id).where(T_OWNER.c.department == department)
    signed = select(T_CYCLE.c.task_id).where(
        T_CYCLE.c.step == "receipt", T_CYCLE.c.department == department
    )
    rows = conn.execute(
        select(T_TASK.c.number).where(
            T_TASK.c.plan_id == plan.id,
            T_TASK.c.number > ASSIGNED,
            T_TASK.c.active,
            T_TASK.c.signed_off_at.is_(None),
            T_TASK.c.id.in_(mine),
            T_TASK.c.id.not_in(signed),
        )
    ).scalars()
    return [str(n) for n in rows]


class CycleSession(Session):
    """A letter's link opened: the department signs for its 交办件, then goes on."""

    def arrive(self, request: Request) -> Response:
        response = super().arrive(request)
        token = request.path_params["token"]
        with self.web.store.begin() as conn:
            grant = links.verify(conn, self.web.settings.secret, token, self.web.now())
            plan = refs.find_plan(conn, grant.plan_key)
            visitor = Visitor(plan, grant.department, f"link {grant.nonce}", "")
            today = self.web.today(plan)
            for number in unsigned(conn, plan, grant.department):
                cycle.receipt(
                    conn,
                    plan.key,
                    number,
                    _actor(request, visitor),
                    today=today,
                    now=self.web.now(),
                )
        return response


class CycleDepartment(Department):
    """A department's page with its 签收, 延期申请 and 问题 forms."""

    def more(self, conn: Connection, visitor: Visitor) -> dict[str, Any]:
        waiting = {int(n) for n in unsigned(conn, visitor.plan, visitor.department)}
        return {"cycle": {"unsigned": waiting}}

    async def act(self, request: Request) -> Response:
        kind = request.path_params["kind"]
        if kind not in DEPARTMENT_ACTS:
            raise NotFound(L_("no action “{kind}”", kind=kind))
        async with request.form(max_files=0, max_fields=20, max_part_size=64 * 1024) as data:
            form = Form({k: str(v) for k, v in data.items()})

        def action(conn: Connection, visitor: Visitor) -> None:
            plan, now = visitor.plan, self.web.now()
            today, actor, ref = self.web.today(plan), _actor(request, visitor), form["ref"]
            if kind == "receipt":
                cycle.receipt(conn, plan.key, ref, actor, today=today, now=now)
            elif kind == "request":
                to = form.day("to")
                if to is None:
                    raise Refused(L_("give the day asked for"), field="to")
                cycle.request_extension(
                    conn, plan.key, ref, actor, to=to, reason=form["reason"], today=today, now=now
                )
            else:
                cycle.raise_problem(
                    conn, plan.key, ref, actor, text=form["text"], today=today, now=now
                )

        await run_in_threadpool(self.write, request, form, action)
        return RedirectResponse("/d", status_code=303)


class CycleOffice(Office):
    """The office's pages with the cycle: create a 交办件, act on an item's cycle."""

    def more(
        self, conn: Connection, visitor: Visitor, item: dict[str, Any] | None
    ) -> dict[str, Any]:
        if item is None:
            names = sorted(set(refs.department_names(conn, visitor.plan).values()))
            found = problems(conn, visitor.plan.id)
            return {
                "cycle": {
                    "departments": names,
                    "sources": assign.SOURCES,
                    "problems": [(item_label(p.raised.task), p) for p in found],
                },
            }
        steps = history(conn, item["task"]["id"])
        waiting = [
            s
            for o in _obligations(conn, item["task"]["id"])
            if (s := cycle.open_request(conn, o)) is not None
        ]
        accepted = {s.obligation for s in steps if s.step == "accept"}
        # one box per obligation, its latest report (a report sent back and made again has a
        # row for each)
        latest: dict[str, Any] = {}
        for d in item["done"]:
            kept = latest.get(d["key"])
            if d["key"] not in accepted and (
                kept is None or (d["web_id"] or 0) > (kept["web_id"] or 0)
            ):
                latest[d["key"]] = d
        to_review = list(latest.values())
        values = pending_of(conn, item["task"]["id"])
        return {"cycle": {"steps": steps, "requests": waiting, "done": to_review, "values": values}}

    async def create(self, request: Request) -> Response:
        """Create a 交办件 from the dashboard's form."""
        async with request.form(max_files=0, max_fields=30, max_part_size=64 * 1024) as data:
            fields: dict[str, Any] = {k: str(v) for k, v in data.items()}
            co = [str(v) for v in data.getlist("co") if str(v)]
        form = Form(fields)

        def action(conn: Connection, visitor: Visitor) -> assign.Assigned:
            order = assign.Order(
                form["title"],
                form["source"],
                (form["lead"],) if form["lead"] else (),
                tuple(c for c in co if c != form["lead"]),
                form.day("due"),
                document=form.optional("document"),
                leader=form.optional("leader"),
                review=form["review"] == "on",
            )
            plan = visitor.plan
            return assign.assign(
                conn, plan.key, order, _actor(request, visitor),
                today=self.web.today(plan), now=self.web.now(),
            )  # fmt: skip

        made = await run_in_threadpool(self.write, request, form, action)
        return RedirectResponse(f"/office/item/{made.number}", status_code=303)

    async def act(self, request: Request) -> Response:
        number = str(request.path_params["number"])
        kind = request.path_params["kind"]
        if kind not in OFFICE_ACTS:
            raise NotFound(L_("no action “{kind}”", kind=kind))
        async with request.form(max_files=0, max_fields=20, max_part_size=64 * 1024) as data:
            form = Form({k: str(v) for k, v in data.items()})

        def action(conn: Connection, visitor: Visitor) -> None:
            plan, now, today = visitor.plan, self.web.now(), self.web.today(visitor.plan)
            actor, why = _actor(request, visitor), form.optional("reason")
            ref = f"{number}/{form['obligation']}" if form["obligation"] else number
            if kind in ("approve", "refuse"):
                cycle.answer_request(
                    conn, plan.key, ref, actor, approve=kind == "approve", reason=why,
                    today=today, now=now,
                )  # fmt: skip
            elif kind in ("accept", "return"):
                review.review(
                    conn, plan.key, ref, actor, accept=kind == "accept", reason=why,
                    today=today, now=now,
                )  # fmt: skip
                if kind == "accept":
                    where = cycle.locate(conn, plan.key, number)
                    cycle.close_if_all_accepted(conn, where, plan.office, now)
            elif kind in ("pause", "resume"):
                cycle.pause(
                    conn, plan.key, ref, actor, reason=why, resume=kind == "resume",
                    today=today, now=now,
                )  # fmt: skip
            else:
                cycle.decide_problem(
                    conn, plan.key, int(form["problem"] or 0), actor,
                    decision=form["decision"], today=today, now=now,
                )  # fmt: skip

        await run_in_threadpool(self.write, request, form, action)
        return RedirectResponse(f"/office/item/{number}", status_code=303)


def _obligations(conn: Connection, task_id: int) -> list[int]:
    query = select(T_OBL.c.id).where(T_OBL.c.task_id == task_id, T_OBL.c.active)
    return list(conn.execute(query).scalars())
