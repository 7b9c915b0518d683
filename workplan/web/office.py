"""The office family, behind its login: every item's standing, one item's history, the
notices record, evidence files, and the office's acts on an item (progress, an extension, a
sign-off), each the library function of its command (`progress record`, `extend`,
`signoff`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response

from workplan.errors import NotFound, Refused
from workplan.i18n import L_
from workplan.store import records, refs
from workplan.store.tables import T_WEB_REPORT
from workplan.web import pages, progress
from workplan.web.base import Back, SignedInView, Visitor
from workplan.web.forms import Form
from workplan.web.session import office_of

ACTIONS = {"progress": "记录", "extend": "批准延期", "signoff": "销号"}
"""what the office does on an item: /office/item/N/{kind}, and its verb"""


class Office(SignedInView):
    """The office's pages."""

    def visitor(self, conn: Connection, request: Request) -> Visitor:
        return office_of(self.web, conn, request)

    def back(self, request: Request) -> Back:
        number = request.path_params.get("number")
        doing = ACTIONS.get(request.path_params.get("kind", ""), "打开")
        if number is not None and request.method == "POST":
            return Back(f"/office/item/{number}", "返回事项页", doing)
        return Back("/office", "返回全部事项", doing)

    def dashboard(self, request: Request) -> Response:
        """Every item's standing today."""
        with self.reading(request) as (conn, visitor):
            plan, day = visitor.plan, self.web.today(visitor.plan)
            page = self.web.kept(
                conn,
                visitor,
                (visitor.via, day),
                "office.html",
                lambda: {
                    "plan": plan,
                    "view": pages.standing(conn, plan, day, None),
                    "user": visitor.via,
                    **self.more(conn, visitor, None),
                },
            )
        return self.web.filled(page, visitor.session)

    def more(
        self, conn: Connection, visitor: Visitor, item: dict[str, Any] | None
    ) -> dict[str, Any]:
        """What a family built on this one adds to the dashboard (``item`` None) or to an
        item's page (the cycle's: web/cycle.py)."""
        return {}

    def item(self, request: Request) -> Response:
        """One item's record, and the office's forms for it."""
        with self.reading(request) as (conn, visitor):
            history = pages.item_history(conn, visitor.plan, request.path_params["number"])
            more = self.more(conn, visitor, history)
        return self.web.render(
            "item.html",
            plan=visitor.plan,
            h=history,
            form=lambda: self.web.token(visitor.session),
            today=self.web.today(visitor.plan),
            **more,
        )

    def notices(self, request: Request) -> Response:
        """The notices record, filtered as `workplan notices` filters it."""
        q = Form(request.query_params)
        with self.reading(request) as (conn, visitor):
            item = q.optional("item")
            rows = pages.notices(
                conn,
                visitor.plan,
                status=q.optional("status"),
                department=q.optional("department"),
                item=refs.parse_number(item) if item else None,
            )
        return self.web.render("notices.html", plan=visitor.plan, rows=rows, q=request.query_params)

    def evidence(self, request: Request) -> Response:
        """An evidence file (佐证), for the office only."""
        with self.reading(request) as (conn, visitor):
            row = (
                conn.execute(
                    select(T_WEB_REPORT).where(
                        T_WEB_REPORT.c.id == request.path_params["id"],
                        T_WEB_REPORT.c.plan_id == visitor.plan.id,
                    )
                )
                .mappings()
                .first()
            )
        if row is None or not row["evidence_path"]:
            raise NotFound(L_("no such evidence file"))
        return FileResponse(
            row["evidence_path"],
            filename=row["evidence_name"],
            media_type="application/octet-stream",
            content_disposition_type="attachment",
        )

    async def post(self, request: Request) -> Response:
        """Record progress, grant an extension or sign the item off."""
        number = str(request.path_params["number"])
        kind = request.path_params["kind"]
        if kind not in ACTIONS:
            raise NotFound(f"no action {kind}", zh="没有这个操作。")
        async with request.form(max_files=0, max_fields=20, max_part_size=64 * 1024) as data:
            form = Form({**{k: str(v) for k, v in data.items()}, "task": number})
        if kind == "progress":
            await run_in_threadpool(progress.report, self, request, form)
        else:
            await run_in_threadpool(self._act, request, number, kind, form)
        return RedirectResponse(f"/office/item/{number}", status_code=303)

    def _act(self, request: Request, number: str, kind: str, form: Form) -> None:
        def action(conn: Connection, visitor: Visitor) -> None:
            plan = visitor.plan
            task = refs.find_task(conn, plan, number)
            if kind == "extend":
                to = form.day("to")
                if to is None:
                    raise Refused(L_("give the new deadline"), field="to")
                records.extend(
                    conn,
                    plan_key=plan.key,
                    ref=f"{number}/{form['obligation']}",
                    to=to,
                    by=plan.office,
                    reason=form["reason"],
                    now=self.web.now(),
                )
            else:
                records.signoff(
                    conn,
                    plan_key=plan.key,
                    task_ref=number,
                    by=plan.office,
                    note=form.optional("note"),
                    force=form["force"] == "on",
                    as_of=self.web.today(plan),
                    now=self.web.now(),
                )
            self.audit(conn, visitor, request, action=kind, task_id=task["id"])

        self.write(request, form, action)
