"""The session family: a department's link exchanged for a cookie, the office's login and
logout, and who is asking on every other page.

A department arrives through the link in its letter (/r/TOKEN); the token is checked and
exchanged for a cookie, and the browser is sent on to /d, so the token never stays in the
address bar, a log or a Referer.  The office logs in with a password (or is named by a
reverse proxy's header).
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from workplan.errors import Refused
from workplan.store import db, links, refs
from workplan.web import auth
from workplan.web.base import Back, FormExpired, NotSignedIn, View, Visitor, Web

DEPT_COOKIE = "wp_link"
OFFICE_COOKIE = "wp_office"
PRE_COOKIE = "wp_pre"
OFFICE_HOURS = timedelta(hours=8)
LINK_COOKIE_DAYS = 45
LOGIN = "/office/login"


def department_of(web: Web, conn: Connection, request: Request) -> Visitor:
    """Return the department whose link this browser was given; refuse a missing, forged,
    expired or withdrawn one."""
    token = request.cookies.get(DEPT_COOKIE)
    if not token:
        raise NotSignedIn(
            "open this page through the link in a letter", zh="请通过函件中的链接打开本页。"
        )
    grant = links.verify(conn, web.settings.secret, token, web.now())
    if web.settings.plan_key and grant.plan_key != web.settings.plan_key:
        raise Refused("this link belongs to another plan", zh="这个链接不属于本系统的计划。")
    plan = refs.find_plan(conn, grant.plan_key)
    return Visitor(plan, grant.department, f"link {grant.nonce}", f"d|{grant.nonce}")


def office_of(web: Web, conn: Connection, request: Request) -> Visitor:
    """Return the office, logged in by its password or named by the proxy's header."""
    settings = web.settings
    plan = refs.find_plan(conn, settings.plan_key)
    if settings.office_header:
        user = request.headers.get(settings.office_header)
        if user:
            return Visitor(plan, plan.office, f"office {user}", f"o|{user}")
    signed = request.cookies.get(OFFICE_COOKIE, "")
    value = auth.unsign_value(settings.secret, signed) if signed else None
    if value is None:
        raise NotSignedIn("log in first", zh="请先登录。", login=LOGIN)
    user, _, until = value.partition("|")
    if not until.isdigit() or int(until) < web.now().timestamp():
        raise NotSignedIn(
            "the login has expired: log in again", zh="登录已过期，请重新登录。", login=LOGIN
        )
    return Visitor(plan, plan.office, f"office {user}", f"o|{value}")


class Session(View):
    """The pages that start and end a session, and the pages open to anyone."""

    def back(self, request: Request) -> Back:
        if request.url.path.startswith(LOGIN):
            return Back(LOGIN, "返回登录页", "登录")
        return Back("/", "返回首页", "打开链接")

    def home(self, request: Request) -> Response:
        """Say how each kind of visitor gets in."""
        return self.web.render("home.html")

    def style(self, request: Request) -> Response:
        return Response(self.web.css, media_type="text/css")

    def arrive(self, request: Request) -> Response:
        """Exchange a letter's link for a cookie and go on to the department's page."""
        token = request.path_params["token"]
        with db.reading(self.web.store) as conn:
            links.verify(conn, self.web.settings.secret, token, self.web.now())
        response = RedirectResponse("/d", status_code=303)
        self.web.cookie(response, DEPT_COOKIE, token, 60 * 60 * 24 * LINK_COOKIE_DAYS)
        return response

    def login_page(self, request: Request) -> Response:
        settings = self.web.settings
        pre = request.cookies.get(PRE_COOKIE) or secrets.token_hex(16)
        response = self.web.render(
            "login.html",
            header=settings.office_header,
            password=bool(settings.office_password_hash),
            form=self.web.token(f"pre|{pre}"),
        )
        self.web.cookie(response, PRE_COOKIE, pre, 3600)
        return response

    async def login(self, request: Request) -> Response:
        settings = self.web.settings
        async with request.form(max_files=0, max_fields=5, max_part_size=4096) as data:
            form = {k: str(v) for k, v in data.items()}
        pre = request.cookies.get(PRE_COOKIE, "")
        if (
            not pre
            or auth.check_form_token(settings.secret, f"pre|{pre}", form.get("form", "")) is None
        ):
            raise FormExpired(
                "the form has expired (CSRF check failed): reload the page and log in again",
                zh="表单已失效（CSRF 校验未通过）：请刷新页面后再登录。",
            )
        hashed = settings.office_password_hash
        right = bool(hashed) and await run_in_threadpool(
            auth.check_password, form.get("password", ""), hashed or ""
        )
        if not right:
            raise NotSignedIn("wrong password", zh="密码不对。", login=LOGIN)
        until = int((self.web.now() + OFFICE_HOURS).timestamp())
        response = RedirectResponse("/office", status_code=303)
        self.web.cookie(
            response,
            OFFICE_COOKIE,
            auth.sign_value(settings.secret, f"office|{until}"),
            int(OFFICE_HOURS.total_seconds()),
        )
        response.delete_cookie(PRE_COOKIE, path="/")
        return response

    def logout(self, request: Request) -> Response:
        response = RedirectResponse(LOGIN, status_code=303)
        response.delete_cookie(OFFICE_COOKIE, path="/")
        return response
