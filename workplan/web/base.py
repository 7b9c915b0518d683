"""What every page family shares, as Datasette's ``views/base.py``: the application's state
(:class:`Web`) and the base of the families (:class:`View`), whose handlers are methods of
objects holding that state, never closures.

A page reads through one connection as the CLI reads; a form is written in one transaction
that first checks who is asking and the form's one-time token (CSRF; a form sent twice is
recorded once).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import Connection, Engine, insert
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from workplan import i18n
from workplan.errors import Conflict, Refused, WorkplanError
from workplan.i18n import L_, Text
from workplan.plan.units import figure
from workplan.rules.evaluate import LEADERSHIP
from workplan.rules.words import STATE_WORDS
from workplan.store import db, refs
from workplan.store.parts import parts_of, ratio_text
from workplan.store.tables import T_FORM_USED, T_WEB_REPORT
from workplan.web import auth
from workplan.web.cache import SLOT, Kept, Views
from workplan.web.forms import Form
from workplan.web.settings import WebSettings

T = TypeVar("T")


class NotSignedIn(Refused):
    """No session for the page, or an expired one; ``login`` is where the office signs in."""

    http_status = 401

    def __init__(
        self, message: str | Text, *, zh: str | None = None, login: str | None = None
    ) -> None:
        super().__init__(message, zh=zh)
        self.login = login


class TooMany(Refused):
    """Too many attempts: wait ``retry_after`` seconds (HTTP 429 with Retry-After)."""

    http_status = 429

    def __init__(self, message: str, *, zh: str, retry_after: int) -> None:
        super().__init__(message, zh=zh)
        self.retry_after = retry_after


class FormExpired(Refused):
    """A form without a valid one-time token: forged (CSRF), or made for another session."""


class FormUsed(Conflict):
    """A form sent a second time: what it says was recorded once."""


@dataclass(frozen=True)
class Visitor:
    """Who is asking: a department through a link, or the office."""

    plan: refs.PlanRef
    department: str
    via: str
    session: str
    """what form tokens are bound to"""
    marker: int | None = None
    """the plan's change marker, read with the plan before anything else (web/cache.py)"""


@dataclass(frozen=True)
class Back:
    """Where an error page sends the visitor back to, and what was being done there."""

    href: str
    label: str
    doing: str
    """the verb of the title of a refusal: 未能{doing}"""


@dataclass(frozen=True)
class Retry:
    """A form a conflict may offer again as a correction (更正): where it is sent, what it
    said, and the session its new token is made for."""

    action: str
    fields: dict[str, str]
    session: str


def _templates() -> Environment:
    env = Environment(
        loader=PackageLoader("workplan.web", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.tests["standing"] = lambda ob: ob.kind == "standing"
    env.filters["state"] = lambda v: STATE_WORDS.get(v, v)  # the pages speak Chinese
    env.filters["num"] = figure
    # a value or a day, as an office's record keeps either (a correction's "from" and "to")
    env.filters["shown"] = lambda v: figure(v) if isinstance(v, int | float) else str(v)
    # a notice's status, its recipient, an instant and a report's note, as a clerk reads them
    env.filters["status"] = lambda v: i18n.gettext(v, "zh") if v else "全部"
    env.filters["recipient"] = lambda v: "领导小组" if v == LEADERSHIP else v
    env.filters["local"] = _local
    env.filters["note"] = _note
    return env


def _local(instant: datetime | None, zone: str) -> str:
    """Show an instant (aware, or naive in UTC as SQLite keeps it) in the plan's zone."""
    if instant is None:
        return ""
    aware = instant if instant.tzinfo else instant.replace(tzinfo=UTC)
    return f"{aware.astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M}"


def _note(note: str | None) -> str:
    """A report's note; a ratio's derived row says its parts as people check them."""
    parts = parts_of(note)
    return ratio_text(parts) if parts else (note or "")


class Web:
    """The application's state, shared by every page family: its settings, the database,
    the templates, and the clock (read here only; ``serve --as-of`` sets the day)."""

    def __init__(
        self, settings: WebSettings, store: Engine, clock: Callable[[], datetime] | None = None
    ) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock or (lambda: datetime.now(UTC))
        self.views = Views()
        self.templates = _templates()
        self.css = (Path(__file__).parent / "templates" / "style.css").read_bytes()

    def now(self) -> datetime:
        """Return the current instant (UTC): the wall clock, or the one the app was given."""
        return self.clock()

    def today(self, plan: refs.PlanRef) -> date:
        """Return today in the plan's time zone, or the day the pages were told to pretend."""
        return self.settings.as_of or datetime.now(ZoneInfo(plan.timezone)).date()

    def render(self, name: str, status: int = 200, **values: Any) -> HTMLResponse:
        """Return template ``name`` rendered with ``values``."""
        return HTMLResponse(self.templates.get_template(name).render(**values), status)

    def token(self, session: str) -> str:
        """Return a one-time form token for ``session``."""
        return auth.form_token(self.settings.secret, session)

    def kept(
        self,
        conn: Connection,
        visitor: Visitor,
        key: tuple[Any, ...],
        name: str,
        values: Callable[[], dict[str, Any]],
    ) -> Kept:
        """Return template ``name`` rendered with what ``values`` reads on ``conn``, kept
        under ``key`` while the visitor's plan's facts are unchanged (web/cache.py); its
        forms' tokens are left to :meth:`filled`."""

        def make() -> Kept:
            page = self.templates.get_template(name).render(**values(), form=lambda: SLOT)
            return Kept.cut(page)

        return self.views.get(conn, visitor.plan, (name, *key), make, visitor.marker)

    def filled(self, page: Kept, session: str) -> HTMLResponse:
        """Return a kept page with a fresh one-time token for ``session`` in each form."""
        tokens = auth.form_tokens(self.settings.secret, session, page.slots)
        return HTMLResponse(page.fill(tokens))

    def cookie(self, response: Response, name: str, value: str, max_age: int) -> None:
        """Set a session cookie: HttpOnly, SameSite=Lax, Secure behind https."""
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            httponly=True,
            samesite="lax",
            secure=self.settings.secure_cookies,
            path="/",
        )

    def locale(self) -> str:
        """Return the plan's language (zh-CN when no plan can be read)."""
        try:
            with db.reading(self.store) as conn:
                return refs.find_plan(conn, self.settings.plan_key).locale
        except (WorkplanError, SQLAlchemyError):
            return "zh-CN"


class View:
    """A family of pages: its handlers are methods, the application's state is ``web``."""

    def __init__(self, web: Web) -> None:
        self.web = web

    def back(self, request: Request) -> Back:
        """Return where an error page on this family's ``request`` leads back to."""
        return Back("/", "返回首页", "打开")


class SignedInView(View, ABC):
    """Pages behind a session: each read and write first finds who is asking."""

    @abstractmethod
    def visitor(self, conn: Connection, request: Request) -> Visitor:
        """Return who is asking; raise NotSignedIn (or Refused) when nobody valid is."""

    @contextmanager
    def reading(self, request: Request) -> Iterator[tuple[Connection, Visitor]]:
        """Read as the CLI reads, once the visitor is known."""
        with db.reading(self.web.store) as conn:
            yield conn, self.visitor(conn, request)

    def write(self, request: Request, form: Form, action: Callable[[Connection, Visitor], T]) -> T:
        """Check the session and the form's one-time token, then do ``action``, all in one
        transaction (refused, it leaves nothing behind and the form still usable)."""
        with self.web.store.begin() as conn:
            visitor = self.visitor(conn, request)
            nonce = auth.check_form_token(self.web.settings.secret, visitor.session, form["form"])
            if nonce is None:
                raise FormExpired(
                    L_(
                        "the form has expired (CSRF check failed): reload the page and send it again"
                    ),
                )
            try:
                conn.execute(insert(T_FORM_USED).values(nonce=nonce, at=self.web.now()))
            except IntegrityError:
                raise FormUsed(
                    L_("this form was sent already: it is recorded once; reload the page"),
                ) from None
            return action(conn, visitor)

    def audit(
        self,
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
        """Keep who wrote what from where: the link or login, and the address."""
        host = request.client.host if request.client else "-"
        forwarded = request.headers.get("x-forwarded-for")
        conn.execute(
            insert(T_WEB_REPORT).values(
                plan_id=visitor.plan.id,
                task_id=task_id,
                department=visitor.department,
                via=visitor.via,
                action=action,
                progress_id=progress_id,
                obligation_id=obligation_id,
                address=f"{host} (X-Forwarded-For {forwarded})" if forwarded else host,
                at=self.web.now(),
                **(evidence or {}),
            )
        )
