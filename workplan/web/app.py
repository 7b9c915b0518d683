"""The web application: three page families over the same library functions the CLI calls,
their routes in one table, and the errors mapped once (as Datasette's ``app.py`` registers
its ``views/``).

- session (session.py): the link in a letter exchanged for a cookie, the office's login;
- department (department.py): a department's page, its reports and its return form;
- office (office.py): the dashboard, an item's history, the notices record, the office's acts.

Every form carries a one-time token signed for the session (CSRF; a replayed form is
refused); every write is one transaction (base.py); every error is a page in the plan's
language with a way back (errorpages.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime

from anyio import to_thread
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.routing import Route

from workplan.store.db import open_store
from workplan.web.base import Web
from workplan.web.cycle import CycleDepartment, CycleOffice, CycleSession
from workplan.web.errorpages import ErrorPages
from workplan.web.security import Guard
from workplan.web.settings import WebSettings

__all__ = ["WebSettings", "create_app", "routes"]

REQUEST_OVERHEAD = 256 * 1024
"""what a request may carry beside its file (fields, multipart headers)"""

THREADS = 16
"""requests whose handlers run at once (in threads: they read and write the database), each
with a database connection kept open for it; more would only take turns for the one
processor a Python process uses (anyio's default is 40, SQLAlchemy's pool keeps 5)"""


def routes(web: Web) -> list[Route]:
    """Return every page of the application, each the method of its family."""
    # each family with the office's cycle (cycle.py): 签收, 延期申请, 复核, 问题, 挂起, 交办
    session, department, office = CycleSession(web), CycleDepartment(web), CycleOffice(web)
    return [
        Route("/", session.home),
        Route("/style.css", session.style),
        Route("/r/{token}", session.arrive),
        Route("/office/login", session.login_page),
        Route("/office/login", session.login, methods=["POST"]),
        Route("/office/logout", session.logout, methods=["POST"]),
        Route("/d", department.page),
        Route("/d/form.xlsx", department.return_form),
        Route("/d/{kind}", department.post, methods=["POST"]),
        Route("/d/cycle/{kind}", department.act, methods=["POST"]),
        Route("/office", office.dashboard),
        Route("/office/notices", office.notices),
        Route("/office/item/{number:int}", office.item),
        Route("/office/item/{number:int}/{kind}", office.post, methods=["POST"]),
        Route("/office/item/{number:int}/cycle/{kind}", office.act, methods=["POST"]),
        Route("/office/assign", office.create, methods=["POST"]),
        Route("/office/evidence/{id:int}", office.evidence),
    ]


@asynccontextmanager
async def _threads(app: Starlette) -> AsyncIterator[None]:
    """Run at most THREADS handlers at once, as many as the database connections kept."""
    to_thread.current_default_thread_limiter().total_tokens = THREADS
    yield


def create_app(
    settings: WebSettings,
    *,
    engine: Engine | None = None,
    clock: Callable[[], datetime] | None = None,
) -> Guard:
    """Return the ASGI application (wrapped in its guard) for ``settings``; ``clock`` gives
    the current instant (the wall clock by default; tests pass their own)."""
    web = Web(settings, engine or open_store(settings.db_url, connections=THREADS), clock)
    table = routes(web)
    errors = ErrorPages(web, table)
    app = Starlette(routes=table, exception_handlers=errors.handlers(), lifespan=_threads)
    return Guard(app, settings.max_upload + REQUEST_OVERHEAD, errors.too_large)
