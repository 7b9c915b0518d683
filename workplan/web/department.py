"""The department family, behind the link in its letters: what it owes, its reports, a
duty or deliverable done with its evidence (佐证), and its return form (报送表) down and up.

Every write is the library function the CLI calls for the same act, with the same checks,
attributed to the link it came through.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from workplan.errors import NotFound, Refused
from workplan.i18n import L_
from workplan.store import ledger, records, refs, returnform
from workplan.store.files import save_private
from workplan.web import pages, progress
from workplan.web.base import Back, SignedInView, Visitor
from workplan.web.forms import Form, Upload, check_text
from workplan.web.security import RETURN_FORM_TYPES, check_evidence
from workplan.web.session import department_of

RETURN_FORM_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ACTIONS = {"report": "报送", "nochange": "报送", "done": "报完成", "import": "上传报送表"}
"""what a department sends from its page: /d/{kind}, and what it is doing"""


class Department(SignedInView):
    """A department's pages: one page to read and answer on, its return form, its posts."""

    def visitor(self, conn: Connection, request: Request) -> Visitor:
        return department_of(self.web, conn, request)

    def back(self, request: Request) -> Back:
        if request.method == "POST":
            doing = ACTIONS.get(request.path_params.get("kind", ""), "提交")
        else:
            doing = "下载报送表" if request.url.path == "/d/form.xlsx" else "打开"
        return Back("/d", "返回报送页", doing)

    def page(self, request: Request) -> Response:
        """What the department owes, where its metrics stand, and its latest reports."""
        with self.reading(request) as (conn, visitor):
            plan, department = visitor.plan, visitor.department
            day = self.web.today(plan)
            page = self.web.kept(
                conn,
                visitor,
                (department, day),
                "department.html",
                lambda: {
                    "plan": plan,
                    "department": department,
                    "view": pages.standing(conn, plan, day, department),
                    "recent": pages.recent_reports(conn, plan, department, day),
                    **self.more(conn, visitor),
                },
            )
        return self.web.filled(page, visitor.session)

    def more(self, conn: Connection, visitor: Visitor) -> dict[str, Any]:
        """What a family built on this one adds to the page (the cycle's: web/cycle.py)."""
        return {}

    def return_form(self, request: Request) -> Response:
        """The department's own return form (报送表) for a month (?month=2023-06), as .xlsx."""
        with self.reading(request) as (conn, visitor):
            asked = Form(request.query_params).month("month")
            first = asked or self.web.today(visitor.plan).replace(day=1)
            form = returnform.owed(conn, visitor.plan, visitor.department, first)
        buffer = io.BytesIO()
        returnform.write(form, buffer)
        name = f"{visitor.department}-{form.first:%Y-%m}.xlsx"
        return Response(
            buffer.getvalue(),
            media_type=RETURN_FORM_TYPE,
            headers={
                "content-disposition": (
                    f'attachment; filename="return-form-{form.first:%Y-%m}.xlsx"; '
                    f"filename*=UTF-8''{quote(name)}"
                )
            },
        )

    async def post(self, request: Request) -> Response:
        """A report, "no change", a duty done, or a return form sent back."""
        kind = request.path_params["kind"]
        if kind not in ACTIONS:
            raise NotFound(f"no action {kind}", zh="没有这个操作。")
        async with request.form(max_files=1, max_fields=20, max_part_size=64 * 1024) as data:
            form = Form({k: v for k, v in data.items() if not isinstance(v, UploadFile)})
            sent = data.get("ledger" if kind == "import" else "evidence")
            upload = None
            if isinstance(sent, UploadFile) and sent.filename:
                upload = Upload(
                    check_text("file", sent.filename or ""),
                    sent.content_type or "",
                    await sent.read(),
                )
        if kind == "import":
            imported = await run_in_threadpool(self._import, request, form, upload)
            return self.web.render("imported.html", result=imported)
        if kind == "done":
            await run_in_threadpool(self._done, request, form, upload)
        else:
            await run_in_threadpool(
                progress.report, self, request, form, unchanged=kind == "nochange"
            )
        return RedirectResponse("/d#recent", status_code=303)

    def _done(self, request: Request, form: Form, upload: Upload | None) -> None:
        """Mark a duty or deliverable done, with a note and one evidence file."""
        settings = self.web.settings
        ext = (
            check_evidence(upload.name, upload.type, upload.data, settings.max_upload)
            if upload
            else None
        )
        stored: list[Path] = []

        def action(conn: Connection, visitor: Visitor) -> None:
            plan = visitor.plan
            today = self.web.today(plan)
            note = form["note"][:500] or None
            done = records.mark_done(
                conn,
                plan_key=plan.key,
                ref=form["ref"],
                department=visitor.department,
                on=today,
                note=note,
                today=today,
            )
            task = refs.find_task(conn, plan, str(done.task))
            obligation = refs.find_obligation(conn, task, done.what, today)
            records.check_account(obligation["kind"], note)
            evidence = None
            if upload is not None and ext is not None:
                path = save_private(settings.files, plan.key, ext, upload.data)
                stored.append(path)
                evidence = {
                    "evidence_name": Path(upload.name).name[:200],
                    "evidence_path": str(path),
                    "evidence_type": upload.type[:100],
                    "evidence_size": len(upload.data),
                }
            self.audit(
                conn,
                visitor,
                request,
                action="done",
                task_id=task["id"],
                obligation_id=obligation["id"],
                evidence=evidence,
            )

        try:
            self.write(request, form, action)
        except BaseException:
            for path in stored:
                path.unlink(missing_ok=True)
            raise

    def _import(self, request: Request, form: Form, upload: Upload | None) -> ledger.ImportResult:
        """Record a return form sent back: every row checked as `workplan progress import`
        checks it, all or nothing, each report attributed to the link."""
        if upload is None:
            raise Refused(L_("choose the filled-in return form (.xlsx)"))
        check_evidence(
            upload.name,
            upload.type,
            upload.data,
            self.web.settings.max_upload,
            kinds=RETURN_FORM_TYPES,
            what="报送表",
        )

        # read the workbook before any transaction opens, once the sender is known: it may
        # take seconds, and the service and the other pages write meanwhile (the write below
        # is short); the limits bound what a workbook can cost
        with self.reading(request):
            pass
        name = Path(upload.name).name[:200]
        with tempfile.TemporaryDirectory(prefix="workplan-") as folder:
            path = Path(folder) / "upload.xlsx"
            path.write_bytes(upload.data)
            parsed = ledger.read_rows(path, name, ledger.RETURN_FORM_LIMITS)

        def action(conn: Connection, visitor: Visitor) -> ledger.ImportResult:
            plan = visitor.plan
            result = ledger.import_ledger(
                conn,
                Path(name),
                plan_key=plan.key,
                now=self.web.now(),
                today=self.web.today(plan),
                sender=visitor.department,
                name=name,
                parsed=parsed,
            )
            for kind, recorded in result.recorded:
                task = refs.find_task(conn, plan, str(recorded.task))
                on_obligation = kind == "done"
                self.audit(
                    conn,
                    visitor,
                    request,
                    action="import",
                    task_id=task["id"],
                    progress_id=None if on_obligation else recorded.row_id,
                    obligation_id=recorded.row_id if on_obligation else None,
                )
            return result

        return self.write(request, form, action)
