"""Errors mapped once for the pages: Starlette's exception handlers, built from the error
hierarchy.  Each error is answered with its ``http_status`` and a page in the plan's
language: a title and a sentence a clerk understands (the library's own words, as the CLI
prints them in English), and a link back to the page the visitor came from, which the page
family that raised it names (:meth:`View.back`).  A value that only a correction may replace
is answered with the form again, as a correction (更正).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Match
from starlette.types import Scope

from workplan.errors import Conflict, InvalidInput, WorkplanError
from workplan.web.base import Back, FormUsed, NotSignedIn, Retry, TooMany, View, Web

log = logging.getLogger("workplan.web")

HOME = Back("/", "返回首页", "打开")
TITLES = {
    401: ("需要登录", "Please log in"),
    404: ("没有找到", "Not found"),
    405: ("没有找到", "Not found"),
    409: ("已有记录", "Already recorded"),
    413: ("文件过大", "Too large"),
    429: ("请稍后再试", "Try again later"),
    500: ("系统出错", "Something went wrong"),
    503: ("暂时无法使用", "Unavailable"),
}
SAID = {
    # what a page says for an error without words of its own in the plan's language
    400: ("提交的内容有误，未能办理。", "What was sent cannot be used."),
    401: ("请先登录。", "Please log in."),
    403: ("这项操作未被接受。", "This was not accepted."),
    404: ("没有这个页面。", "There is no such page."),
    405: ("没有这个页面。", "There is no such page."),
    409: ("已有记录。", "This is recorded already."),
    413: ("请求过大：附件不能超过规定大小。", "The request is too large: files have a size limit."),
    429: ("尝试次数过多，请稍后再试。", "Too many attempts: try again later."),
    500: (
        "系统出了错，这次没有办成。请稍后再试；如果仍然不行，请告诉办公室。",
        "Something went wrong and nothing was done. Try again later, or tell the office.",
    ),
    503: ("系统暂时无法使用，请稍后再试。", "The system is unavailable; try again later."),
}


def _zh(locale: str) -> bool:
    return locale.startswith("zh")


class ErrorPages:
    """The page answering each error; ``routes`` are the application's, to find which family
    a request was for."""

    def __init__(self, web: Web, routes: Sequence[BaseRoute]) -> None:
        self.web = web
        self.routes = routes

    def handlers(self) -> dict[Any, Callable[..., Any]]:
        """Return Starlette's ``exception_handlers``: every error the pages can meet."""
        return {WorkplanError: self.refused, HTTPException: self.http, Exception: self.failed}

    def refused(self, request: Request, exc: Exception) -> Response:
        """A typed error from the library or the pages: its status, its words."""
        if not isinstance(exc, WorkplanError):  # Starlette looks handlers up by class
            raise exc
        if isinstance(exc, NotSignedIn) and exc.login and request.method == "GET":
            return RedirectResponse(exc.login, status_code=303)
        back = self._back(request)
        if isinstance(exc, NotSignedIn):
            back = Back(exc.login or "/", "返回登录页" if exc.login else "返回首页", back.doing)
        locale = self.web.locale()
        retry = getattr(request.state, "retry", None)
        if not isinstance(exc, Conflict) or isinstance(exc, FormUsed):
            retry = None
        problems = (
            [p.message_for(locale) for p in exc.problems] if isinstance(exc, InvalidInput) else []
        )
        if problems:
            count = len(problems)
            message = (
                f"有 {count} 处问题，全部未记录。请改正后重新提交："
                if _zh(locale)
                else f"{count} problem{'s' if count != 1 else ''}: nothing was recorded; "
                "correct them and send it again:"
            )
        else:
            message = self._said(exc, locale)
        page = self._page(
            request,
            exc.http_status,
            locale,
            back,
            message,
            title=self._title(exc, back, locale, retry is not None),
            problems=problems,
            retry=retry,
        )
        if isinstance(exc, TooMany):
            page.headers["retry-after"] = str(exc.retry_after)
        return page

    def http(self, request: Request, exc: Exception) -> Response:
        """Starlette's own: no such page (404), not so (405)."""
        status = exc.status_code if isinstance(exc, HTTPException) else 404
        locale = self.web.locale()
        message = SAID.get(status, SAID[400])[0 if _zh(locale) else 1]
        return self._page(request, status, locale, self._back(request), message)

    def failed(self, request: Request, exc: Exception) -> Response:
        """A bug or a broken database: say so plainly (the server logs the traceback)."""
        locale = self.web.locale()
        return self._page(
            request, 500, locale, self._back(request), SAID[500][0 if _zh(locale) else 1]
        )

    async def too_large(self, scope: Scope) -> Response:
        """The page for a request refused for its size before any page saw it (413)."""
        request = Request(self._routed(scope))
        locale = await run_in_threadpool(self.web.locale)
        message = SAID[413][0 if _zh(locale) else 1]
        return self._page(request, 413, locale, self._back(request), message)

    def _routed(self, scope: Scope) -> Scope:
        for route in self.routes:
            match, child = route.matches(scope)
            if match == Match.FULL:
                return {**scope, **child}
        return scope

    def _back(self, request: Request) -> Back:
        view = getattr(request.scope.get("endpoint"), "__self__", None)
        return view.back(request) if isinstance(view, View) else HOME

    def _said(self, exc: WorkplanError, locale: str) -> str:
        if not _zh(locale) or exc.translated:
            return exc.message_for(locale)
        # words missing: the status's sentence, and the English for whoever reads the log
        log.warning("no Chinese words for %s: %s", type(exc).__name__, exc)
        return SAID.get(exc.http_status, SAID[400])[0]

    def _title(self, exc: WorkplanError, back: Back, locale: str, retry: bool) -> str:
        zh = _zh(locale)
        if retry:
            return "需要更正" if zh else "A correction is needed"
        if isinstance(exc, FormUsed):
            return "已经提交过" if zh else "Sent already"
        if isinstance(exc, NotSignedIn) and exc.login is None:
            return "无法打开本页" if zh else "This page cannot be opened"
        if exc.http_status in TITLES:
            return TITLES[exc.http_status][0 if zh else 1]
        return f"未能{back.doing}" if zh else "Not done"

    def _page(
        self,
        request: Request,
        status: int,
        locale: str,
        back: Back,
        message: str,
        *,
        title: str | None = None,
        problems: list[str] | None = None,
        retry: Retry | None = None,
    ) -> Response:
        zh = _zh(locale)
        return self.web.render(
            "error.html",
            status,
            lang=locale,
            title=title or TITLES.get(status, ("出错了", "Error"))[0 if zh else 1],
            message=message,
            problems=problems or [],
            back=back if zh else Back(back.href, "Back", back.doing),
            retry=retry,
            token=self.web.token(retry.session) if retry else "",
        )
