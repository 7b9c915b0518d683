"""The web application: routes over the same library functions the CLI calls.

A department arrives through the link in its letter (/r/TOKEN); the token is checked and
exchanged for a cookie, and the browser is sent on to /d, so the token never stays in the
address bar, a log or a Referer.  The office logs in with a password (or is named by a reverse
proxy's header).  Every form carries a one-time token signed for the session (CSRF; a
replayed form is refused); every write is one transaction.
"""

from __future__ import annotations

import io
import os
import secrets
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import Connection, Engine, insert, select
from sqlalchemy.exc import IntegrityError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from workplan.errors import InvalidInput, NotFound, Refused, WorkplanError
from workplan.plan.units import figure
from workplan.rules.words import STATE_WORDS
from workplan.store import ledger, links, records, refs, returnform
from workplan.store.db import open_store
from workplan.store.tables import T_FORM_USED, T_METRIC, T_PROGRESS, T_WEB_REPORT
from workplan.web import auth, pages
from workplan.web.security import RETURN_FORM_TYPES, Guard, check_evidence

DEPT_COOKIE = "wp_link"
OFFICE_COOKIE = "wp_office"
PRE_COOKIE = "wp_pre"
OFFICE_HOURS = timedelta(hours=8)


@dataclass(frozen=True)
class WebSettings:
    """How the pages run: the database, the secret, who the office is, where files go."""

    db_url: str
    secret: str
    files: Path
    plan_key: str | None = None
    office_password_hash: str | None = None
    office_header: str | None = None
    """a reverse proxy's identity header (e.g. X-Remote-User): trusted when set"""
    as_of: date | None = None
    """pretend today is this day (demos and tests)"""
    max_upload: int = 10 * 1024 * 1024
    secure_cookies: bool = False

    @classmethod
    def from_env(
        cls,
        *,
        db_url: str,
        plan_key: str | None,
        files: Path,
        as_of: date | None = None,
        env: dict[str, str] | None = None,
    ) -> WebSettings:
        """Read the secret and the office's login from the environment."""
        environ = dict(os.environ if env is None else env)
        secret = environ.get(links.SECRET_ENV, "")
        if len(secret) < 16:
            raise Refused(
                f"set {links.SECRET_ENV} to a long random secret (e.g. `openssl rand -hex 32`): "
                "it signs the links in letters and the sessions"
            )
        password = environ.get("WORKPLAN_OFFICE_PASSWORD_HASH") or None
        header = environ.get("WORKPLAN_OFFICE_HEADER") or None
        if not password and not header:
            raise Refused(
                "set WORKPLAN_OFFICE_PASSWORD_HASH (from `workplan password-hash`) or "
                "WORKPLAN_OFFICE_HEADER (behind a reverse proxy that logs the office in)"
            )
        max_mb = float(environ.get("WORKPLAN_MAX_UPLOAD_MB") or 10)
        base = environ.get(links.BASE_URL_ENV, "")
        return cls(
            db_url=db_url,
            secret=secret,
            files=files,
            plan_key=plan_key,
            office_password_hash=password,
            office_header=header,
            as_of=as_of,
            max_upload=int(max_mb * 1024 * 1024),
            secure_cookies=base.startswith("https://"),
        )


class Denied(Exception):
    """No valid session for the page: show why, with this status."""

    def __init__(self, message: str, status: int = 403) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Visitor:
    """Who is asking: a department through a link, or the office."""

    plan: refs.PlanRef
    department: str
    via: str
    session: str
    """what form tokens are bound to"""


STATUS_OF = {InvalidInput: 400, NotFound: 404, Refused: 403}


def create_app(settings: WebSettings, *, engine: Engine | None = None) -> Guard:
    """Return the ASGI application (wrapped in its guard) for ``settings``."""
    store = engine or open_store(settings.db_url)
    env = Environment(
        loader=PackageLoader("workplan.web", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.tests["standing"] = lambda ob: ob.kind == "standing"
    env.filters["state"] = lambda v: STATE_WORDS.get(v, v)  # the pages speak Chinese
    env.filters["num"] = figure
    css = (Path(__file__).parent / "templates" / "style.css").read_bytes()

    def now() -> datetime:
        return datetime.now(UTC)

    def today(plan: refs.PlanRef) -> date:
        return settings.as_of or datetime.now(ZoneInfo(plan.timezone)).date()

    def page(name: str, status: int = 200, **values: Any) -> HTMLResponse:
        return HTMLResponse(env.get_template(name).render(**values), status_code=status)

    def failure(exc: Exception) -> HTMLResponse:
        if isinstance(exc, Denied):
            return page("error.html", exc.status, message=str(exc))
        if isinstance(exc, IntegrityError):
            return page(
                "error.html", 409, message="这张表单已经提交过，不会重复记录。请刷新页面后再填。"
            )
        status = next((s for t, s in STATUS_OF.items() if isinstance(exc, t)), 400)
        return page("error.html", status, message=str(exc))

    def address(request: Request) -> str:
        host = request.client.host if request.client else "-"
        forwarded = request.headers.get("x-forwarded-for")
        return f"{host} (X-Forwarded-For {forwarded})" if forwarded else host

    def cookie(response: Response, name: str, value: str, max_age: int) -> None:
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            httponly=True,
            samesite="lax",
            secure=settings.secure_cookies,
            path="/",
        )

    # who is asking --------------------------------------------------------------------
    def department_of(conn: Connection, request: Request) -> Visitor:
        token = request.cookies.get(DEPT_COOKIE)
        if not token:
            raise Denied("请通过函件中的链接打开本页。", 401)
        grant = links.verify(conn, settings.secret, token, now())
        if settings.plan_key and grant.plan_key != settings.plan_key:
            raise Denied("这个链接不属于本系统的计划。")
        plan = refs.find_plan(conn, grant.plan_key)
        return Visitor(plan, grant.department, f"link {grant.nonce}", f"d|{grant.nonce}")

    def office_of(conn: Connection, request: Request) -> Visitor:
        plan = refs.find_plan(conn, settings.plan_key)
        if settings.office_header:
            user = request.headers.get(settings.office_header)
            if user:
                return Visitor(plan, plan.office, f"office {user}", f"o|{user}")
        signed = request.cookies.get(OFFICE_COOKIE, "")
        value = auth.unsign_value(settings.secret, signed) if signed else None
        if value is None:
            raise Denied("请先登录。", 401)
        user, _, until = value.partition("|")
        if not until.isdigit() or int(until) < now().timestamp():
            raise Denied("登录已过期，请重新登录。", 401)
        return Visitor(plan, plan.office, f"office {user}", f"o|{value}")

    def reading(who: Callable[[Connection, Request], Visitor], request: Request) -> Any:
        conn = store.connect().execution_options(readonly=True)
        conn.begin()
        try:
            return conn, who(conn, request)
        except BaseException:
            conn.close()
            raise

    def write(
        request: Request,
        who: Callable[[Connection, Request], Visitor],
        form: dict[str, Any],
        action: Callable[[Connection, Visitor], str | None],
    ) -> None:
        """Check the session and the form token, then do ``action`` in one transaction."""
        with store.begin() as conn:
            visitor = who(conn, request)
            nonce = auth.check_form_token(
                settings.secret, visitor.session, str(form.get("form") or "")
            )
            if nonce is None:
                raise Denied("表单已失效（CSRF 校验未通过）：请刷新页面后再提交。")
            conn.execute(insert(T_FORM_USED).values(nonce=nonce, at=now()))
            action(conn, visitor)

    def audit(
        conn: Connection,
        visitor: Visitor,
        request: Request,
        *,
        action: str,
        task_id: int,
        progress_id: int | None = None,
        obligation_id: int | None = None,
        evidence: dict[str, Any] | None = None,
    ) -> None:
        conn.execute(
            insert(T_WEB_REPORT).values(
                plan_id=visitor.plan.id,
                task_id=task_id,
                department=visitor.department,
                via=visitor.via,
                action=action,
                progress_id=progress_id,
                obligation_id=obligation_id,
                address=address(request),
                at=now(),
                **(evidence or {}),
            )
        )

    def report_value(
        request: Request, form: dict[str, Any], *, unchanged: bool = False
    ) -> Callable[[Connection, Visitor], str | None]:
        def action(conn: Connection, visitor: Visitor) -> None:
            task_ref, metric = str(form.get("task", "")), str(form.get("metric", "")) or None
            plan = visitor.plan
            if unchanged:
                if metric is None:
                    raise Refused("choose the metric")
                value: float | None = pages.last_value(conn, plan, task_ref, metric)
                note: str | None = "本月无变化"
            else:
                value = _number(form.get("value"))
                note = str(form.get("note") or "").strip() or None
            at = now()
            done = records.record_progress(
                conn,
                plan_key=plan.key,
                task_ref=task_ref,
                metric_key=metric,
                value=value,
                as_of=_day(form.get("as_of")) or today(plan),
                department=str(form.get("department") or visitor.department),
                note=note,
                now=at,
            )
            task = refs.find_task(conn, plan, str(done.task))
            audit(
                conn,
                visitor,
                request,
                action="nochange" if unchanged else "progress",
                task_id=task["id"],
                # the same report already recorded that day adds no row (nothing to point at)
                progress_id=done.row_id,
            )

        return action

    # departments ------------------------------------------------------------------------
    def arrive(request: Request) -> Response:
        token = request.path_params["token"]
        try:
            with store.connect() as conn:
                reader = conn.execution_options(readonly=True)
                with reader.begin():
                    links.verify(reader, settings.secret, token, now())
        except WorkplanError as exc:
            return failure(exc)
        response = RedirectResponse("/d", status_code=303)
        cookie(response, DEPT_COOKIE, token, 60 * 60 * 24 * 45)
        return response

    def department_page(request: Request) -> Response:
        try:
            conn, visitor = reading(department_of, request)
        except (WorkplanError, Denied) as exc:
            return failure(exc)
        with conn:
            day = today(visitor.plan)
            view = pages.standing(conn, visitor.plan, day, visitor.department)
            mine = conn.execute(
                select(
                    T_PROGRESS.c.as_of,
                    T_PROGRESS.c.value,
                    T_PROGRESS.c.note,
                    T_METRIC.c.title.label("metric"),
                    T_METRIC.c.unit,
                )
                .select_from(
                    T_PROGRESS.outerjoin(T_METRIC, T_METRIC.c.id == T_PROGRESS.c.metric_id)
                )
                .where(
                    T_PROGRESS.c.plan_id == visitor.plan.id,
                    T_PROGRESS.c.department == visitor.department,
                    T_PROGRESS.c.as_of <= day,
                )
                .order_by(T_PROGRESS.c.id.desc())
                .limit(5)
            ).all()
        return page(
            "department.html",
            plan=visitor.plan,
            department=visitor.department,
            view=view,
            recent=mine,
            form=lambda: auth.form_token(settings.secret, visitor.session),
        )

    def return_form(request: Request) -> Response:
        """The department's own return form (报送表) for a month (?month=2023-06), as .xlsx."""
        try:
            conn, visitor = reading(department_of, request)
        except (WorkplanError, Denied) as exc:
            return failure(exc)
        with conn:
            try:
                first = _month(request.query_params.get("month")) or today(visitor.plan)
                form = returnform.owed(conn, visitor.plan, visitor.department, first.replace(day=1))
            except WorkplanError as exc:
                return failure(exc)
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

    async def department_post(request: Request) -> Response:
        kind = request.path_params["kind"]
        async with request.form(max_files=1, max_fields=20, max_part_size=64 * 1024) as data:
            form = {k: v for k, v in data.items() if not isinstance(v, UploadFile)}
            upload = data.get("ledger" if kind == "import" else "evidence")
            file = None
            if isinstance(upload, UploadFile) and upload.filename:
                file = (upload.filename, upload.content_type or "", await upload.read())
        try:
            imported = await run_in_threadpool(_department_write, request, kind, form, file)
        except InvalidInput as exc:
            return page("imported.html", 400, problems=exc.problems, result=None)
        except (WorkplanError, Denied, IntegrityError) as exc:
            return failure(exc)
        if imported is not None:
            return page("imported.html", problems=[], result=imported)
        return RedirectResponse("/d#recent", status_code=303)

    def _department_write(
        request: Request,
        kind: str,
        form: dict[str, Any],
        file: tuple[str, str, bytes] | None,
    ) -> ledger.ImportResult | None:
        form = {**form, "department": None}  # a department reports for itself only
        if kind in ("report", "nochange"):
            write(
                request,
                department_of,
                form,
                report_value(request, form, unchanged=kind == "nochange"),
            )
            return None
        if kind == "import":
            return _import(request, form, file)
        if kind != "done":
            raise Denied("没有这个操作。", 404)
        ext = check_evidence(file[0], file[1], file[2], settings.max_upload) if file else None
        stored: list[Path] = []

        def action(conn: Connection, visitor: Visitor) -> None:
            ref = str(form.get("ref", ""))
            plan = visitor.plan
            note = str(form.get("note") or "").strip()[:500] or None
            done = records.mark_done(
                conn,
                plan_key=plan.key,
                ref=ref,
                department=visitor.department,
                on=today(plan),
                note=note,
            )
            task = refs.find_task(conn, plan, str(done.task))
            obligation = refs.find_obligation(conn, task, done.what, today(plan))
            records.check_account(obligation["kind"], note)
            evidence = None
            if file is not None and ext is not None:
                folder = settings.files / plan.key
                folder.mkdir(parents=True, exist_ok=True)
                path = folder / f"{secrets.token_hex(16)}{ext}"
                path.write_bytes(file[2])
                stored.append(path)
                evidence = {
                    "evidence_name": Path(file[0]).name[:200],
                    "evidence_path": str(path),
                    "evidence_type": file[1][:100],
                    "evidence_size": len(file[2]),
                }
            audit(
                conn,
                visitor,
                request,
                action="done",
                task_id=task["id"],
                obligation_id=obligation["id"],
                evidence=evidence,
            )

        try:
            write(request, department_of, form, action)
        except BaseException:
            for path in stored:
                path.unlink(missing_ok=True)
            raise
        return None

    def _import(
        request: Request, form: dict[str, Any], file: tuple[str, str, bytes] | None
    ) -> ledger.ImportResult:
        """Record a return form sent back from the page: every row checked as the CLI's
        import checks it, all or nothing, each report attributed to the link."""
        if file is None:
            raise Refused("请选择填好的报送表（.xlsx）")
        check_evidence(
            file[0], file[1], file[2], settings.max_upload, kinds=RETURN_FORM_TYPES, what="报送表"
        )
        done: list[ledger.ImportResult] = []

        def action(conn: Connection, visitor: Visitor) -> None:
            plan = visitor.plan
            at = now()
            with tempfile.TemporaryDirectory(prefix="workplan-") as folder:
                path = Path(folder) / "upload.xlsx"
                path.write_bytes(file[2])
                result = ledger.import_ledger(
                    conn,
                    path,
                    plan_key=plan.key,
                    now=at,
                    today=today(plan),
                    sender=visitor.department,
                    name=Path(file[0]).name[:200],
                )
            for kind, recorded in result.recorded:
                task = refs.find_task(conn, plan, str(recorded.task))
                on_obligation = kind == "done"
                audit(
                    conn,
                    visitor,
                    request,
                    action="import",
                    task_id=task["id"],
                    progress_id=None if on_obligation else recorded.row_id,
                    obligation_id=recorded.row_id if on_obligation else None,
                )
            done.append(result)

        write(request, department_of, form, action)
        return done[0]

    # the office ---------------------------------------------------------------------------
    def login_page(request: Request) -> Response:
        pre = request.cookies.get(PRE_COOKIE) or secrets.token_hex(16)
        response = page(
            "login.html",
            header=settings.office_header,
            password=bool(settings.office_password_hash),
            form=auth.form_token(settings.secret, f"pre|{pre}"),
        )
        cookie(response, PRE_COOKIE, pre, 3600)
        return response

    async def login(request: Request) -> Response:
        async with request.form(max_files=0, max_fields=5, max_part_size=4096) as data:
            form = {k: str(v) for k, v in data.items()}
        pre = request.cookies.get(PRE_COOKIE, "")
        if (
            not pre
            or auth.check_form_token(settings.secret, f"pre|{pre}", form.get("form", "")) is None
        ):
            return failure(Denied("表单已失效（CSRF 校验未通过）：请刷新页面后再登录。"))
        hashed = settings.office_password_hash
        if not hashed or not auth.check_password(form.get("password", ""), hashed):
            return failure(Denied("密码不对。", 401))
        until = int((now() + OFFICE_HOURS).timestamp())
        response = RedirectResponse("/office", status_code=303)
        cookie(
            response,
            OFFICE_COOKIE,
            auth.sign_value(settings.secret, f"office|{until}"),
            int(OFFICE_HOURS.total_seconds()),
        )
        response.delete_cookie(PRE_COOKIE, path="/")
        return response

    def office_page(request: Request) -> Response:
        try:
            conn, visitor = reading(office_of, request)
        except Denied as exc:
            if exc.status == 401:
                return RedirectResponse("/office/login", status_code=303)
            return failure(exc)
        except WorkplanError as exc:
            return failure(exc)
        with conn:
            try:
                return office_view(request, conn, visitor)
            except WorkplanError as exc:
                return failure(exc)

    def office_view(request: Request, conn: Connection, visitor: Visitor) -> Response:
        plan = visitor.plan
        form = lambda: auth.form_token(settings.secret, visitor.session)  # noqa: E731
        name = request.path_params.get("view", "status")
        if "number" in request.path_params:
            history = pages.item_history(conn, plan, int(request.path_params["number"]))
            return page(
                "item.html",
                plan=plan,
                h=history,
                form=form,
                today=today(plan),
            )
        if name == "notices":
            q = request.query_params
            item = q.get("item") or None
            number = refs.parse_number(item) if item else None
            rows = pages.notices(
                conn,
                plan,
                status=q.get("status") or None,
                department=q.get("department") or None,
                item=number,
            )
            return page("notices.html", plan=plan, rows=rows, q=q)
        view = pages.standing(conn, plan, today(plan), None)
        return page("office.html", plan=plan, view=view, user=visitor.via)

    async def office_post(request: Request) -> Response:
        async with request.form(max_files=0, max_fields=20, max_part_size=64 * 1024) as data:
            form = {k: str(v) for k, v in data.items()}
        number = str(request.path_params["number"])
        kind = request.path_params["kind"]
        try:
            await run_in_threadpool(_office_write, request, number, kind, form)
        except Denied as exc:
            return failure(exc)
        except (WorkplanError, IntegrityError) as exc:
            return failure(exc)
        return RedirectResponse(f"/office/item/{number}", status_code=303)

    def _office_write(request: Request, number: str, kind: str, form: dict[str, Any]) -> None:
        if kind == "progress":
            write(
                request,
                office_of,
                {**form, "task": number},
                report_value(request, {**form, "task": number}),
            )
            return

        def action(conn: Connection, visitor: Visitor) -> None:
            plan = visitor.plan
            task = refs.find_task(conn, plan, number)
            if kind == "extend":
                to = _day(form.get("to"))
                if to is None:
                    raise Refused("give the new deadline")
                records.extend(
                    conn,
                    plan_key=plan.key,
                    ref=f"{number}/{form.get('obligation', '')}",
                    to=to,
                    by=plan.office,
                    reason=str(form.get("reason", "")),
                    now=now(),
                )
            elif kind == "signoff":
                records.signoff(
                    conn,
                    plan_key=plan.key,
                    task_ref=number,
                    by=plan.office,
                    note=form.get("note") or None,
                    force=form.get("force") == "on",
                    as_of=today(plan),
                    now=now(),
                )
            else:
                raise Denied("没有这个操作。", 404)
            audit(conn, visitor, request, action=kind, task_id=task["id"])

        write(request, office_of, form, action)

    def evidence(request: Request) -> Response:
        try:
            conn, visitor = reading(office_of, request)
        except (WorkplanError, Denied) as exc:
            return failure(exc)
        with conn:
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
            return failure(NotFound("没有这个附件。"))
        return FileResponse(
            row["evidence_path"],
            filename=row["evidence_name"],
            media_type="application/octet-stream",
            content_disposition_type="attachment",
        )

    def logout(request: Request) -> Response:
        response = RedirectResponse("/office/login", status_code=303)
        response.delete_cookie(OFFICE_COOKIE, path="/")
        return response

    def style(_request: Request) -> Response:
        return Response(css, media_type="text/css")

    def home(_request: Request) -> Response:
        return page(
            "error.html",
            200,
            message="部门请通过函件中的链接打开报送页；办公室请登录：",
            login=True,
        )

    routes = [
        Route("/", home),
        Route("/style.css", style),
        Route("/r/{token}", arrive),
        Route("/d", department_page),
        Route("/d/form.xlsx", return_form),
        Route("/d/{kind}", department_post, methods=["POST"]),
        Route("/office/login", login_page),
        Route("/office/login", login, methods=["POST"]),
        Route("/office/logout", logout, methods=["POST"]),
        Route("/office", office_page),
        Route("/office/{view:str}", office_page),
        Route("/office/item/{number:int}", office_page),
        Route("/office/item/{number:int}/{kind}", office_post, methods=["POST"]),
        Route("/office/evidence/{id:int}", evidence),
    ]
    app = Starlette(routes=routes)
    return Guard(app, settings.max_upload + 256 * 1024)


RETURN_FORM_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _month(text: str | None) -> date | None:
    raw = (text or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(f"{raw}-01")
    except ValueError:
        raise Refused(f"“{text}” is not a month like 2023-06") from None


def _number(text: Any) -> float | None:
    raw = str(text or "").strip().rstrip("%").replace(",", "")
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        raise Refused(f"“{text}” is not a number") from None


def _day(text: Any) -> date | None:
    raw = str(text or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise Refused(f"“{text}” is not a date like 2023-06-30") from None
