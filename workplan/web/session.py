"""The session family: a department's link exchanged for a cookie, the office's login and
logout, and who is asking on every other page.

A department arrives through the link in its letter (/r/TOKEN); the token is checked and
exchanged for a cookie, and the browser is sent on to /d, so the token never stays in the
address bar, a log or a Referer.  The office logs in with a password (or is named by a
reverse proxy's header): each sign-in starts a session kept on the server (store/signins.py),
ended by logging out or by a change of the password; wrong passwords are throttled per address
and per account (throttle.py), logged, and told to the office by the next run.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta

from sqlalchemy import Connection, insert
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from workplan.errors import Refused
from workplan.i18n import L_
from workplan.store import db, links, refs, signins
from workplan.store.tables import T_FORM_USED
from workplan.web import auth, throttle
from workplan.web.base import Back, FormExpired, NotSignedIn, TooMany, View, Visitor, Web
from workplan.web.forms import check_text

log = logging.getLogger("workplan.web")

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
        raise NotSignedIn(L_("open this page through the link in a letter"))
    grant = links.verify(conn, web.settings.secret, token, web.now())
    if web.settings.plan_key and grant.plan_key != web.settings.plan_key:
        raise Refused(L_("this link belongs to another plan"))
    plan, marker = refs.find_plan_marked(conn, grant.plan_key)
    return Visitor(plan, grant.department, f"link {grant.nonce}", f"d|{grant.nonce}", marker)


def office_of(web: Web, conn: Connection, request: Request) -> Visitor:
    """Return the office, logged in by its password or named by the proxy's header."""
    settings = web.settings
    plan, marker = refs.find_plan_marked(conn, settings.plan_key)
    if settings.office_header:
        user = request.headers.get(settings.office_header)
        if user:
            return Visitor(plan, plan.office, f"office {user}", f"o|{user}", marker)
    token = request.cookies.get(OFFICE_COOKIE, "")
    found = signins.find(conn, token) if token else None
    if found is None:
        raise NotSignedIn(L_("log in first"), login=LOGIN)
    if found.ended is not None:
        raise NotSignedIn(L_("this session has ended: log in again"), login=LOGIN)
    if found.until <= web.now():
        raise NotSignedIn(L_("the login has expired: log in again"), login=LOGIN)
    if found.password != signins.password_tag(settings.office_password_hash):
        raise NotSignedIn(
            L_("the office's password has changed: log in again"),
            login=LOGIN,
        )
    return Visitor(plan, plan.office, f"office {found.user}", f"o|{found.id}", marker)


def address_of(request: Request) -> str:
    """Return the address a request came from (uvicorn puts X-Forwarded-For's here for the
    proxies it trusts: ``--forwarded-allow-ips``)."""
    return request.client.host if request.client else "-"


def _held(conn: Connection, address: str, now: datetime) -> throttle.Wait | None:
    since = now - throttle.WINDOW
    return throttle.wait(signins.failures(conn, since, address), signins.failures(conn, since), now)


def _too_many(held: throttle.Wait, now: datetime) -> TooMany:
    seconds = held.seconds(now)
    if held.locked:
        return TooMany(
            f"too many wrong passwords for the office: sign-in is locked for {seconds} s",
            zh=f"办公室账号登录失败次数过多，已暂时锁定：请{(seconds + 59) // 60}分钟后再试"
            "（已记录并通知办公室）。",
            retry_after=seconds,
        )
    return TooMany(
        f"too many wrong passwords from this address: try again in {seconds} s",
        zh=f"本机登录失败次数过多：请{seconds}秒后再试。",
        retry_after=seconds,
    )


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
            form = {check_text(k, k): check_text(k, str(v)) for k, v in data.items()}
        pre = request.cookies.get(PRE_COOKIE, "")
        nonce = auth.check_form_token(settings.secret, f"pre|{pre}", form.get("form", ""))
        if not pre or nonce is None:
            raise FormExpired(
                L_("the form has expired (CSRF check failed): reload the page and log in again"),
            )
        address, now = address_of(request), self.web.now()
        with self.web.store.begin() as conn:
            held = _held(conn, address, now)
            if held is None:
                # the login form is good for one attempt, right or wrong
                try:
                    with conn.begin_nested():
                        conn.execute(insert(T_FORM_USED).values(nonce=f"login|{nonce}", at=now))
                except IntegrityError:
                    raise FormExpired(
                        L_("this login form was used already: reload the page"),
                    ) from None
        if held is not None:
            log.warning("sign-in refused from %s: held for %s s", address, held.seconds(now))
            raise _too_many(held, now)
        hashed = settings.office_password_hash
        right = bool(hashed) and await run_in_threadpool(
            auth.check_password, form.get("password", ""), hashed or ""
        )
        if not right:
            with self.web.store.begin() as conn:
                signins.record(conn, address=address, ok=False, now=now)
            log.warning("failed sign-in to the office's pages from %s", address)
            raise NotSignedIn(L_("wrong password"), login=LOGIN)
        with self.web.store.begin() as conn:
            signins.record(conn, address=address, ok=True, now=now)
            token = signins.start(
                conn,
                user="office",
                password=signins.password_tag(hashed),
                address=address,
                now=now,
                until=now + OFFICE_HOURS,
            )
        response = RedirectResponse("/office", status_code=303)
        self.web.cookie(response, OFFICE_COOKIE, token, int(OFFICE_HOURS.total_seconds()))
        response.delete_cookie(PRE_COOKIE, path="/")
        return response

    def logout(self, request: Request) -> Response:
        """End the session on the server (a copied cookie opens nothing after), then forget it."""
        token = request.cookies.get(OFFICE_COOKIE)
        if token:
            with self.web.store.begin() as conn:
                signins.end(conn, token, self.web.now())
        response = RedirectResponse(LOGIN, status_code=303)
        response.delete_cookie(OFFICE_COOKIE, path="/")
        return response
