"""What every command shares: the clock, the error handling, the common options."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import click

from workplan.errors import InvalidInput, WorkplanError

ENV_URL = "WORKPLAN_DATABASE_URL"
DEFAULT_DB = "workplan.db"

F = TypeVar("F", bound=Callable[..., Any])


def now_utc() -> datetime:
    """Read the clock: the current instant in UTC."""
    return datetime.now(UTC)


def today_in(zone: str) -> date:
    """Read the clock: today's date in a plan's time zone."""
    return datetime.now(ZoneInfo(zone)).date()


class WorkplanGroup(click.Group):
    """Turn the library's typed errors into one-line messages and exit codes."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except InvalidInput as exc:
            for problem in exc.problems:
                click.echo(str(problem), err=True)
            count = len(exc.problems)
            click.echo(f"{count} problem{'s' if count != 1 else ''} found", err=True)
            sys.exit(exc.exit_code)
        except WorkplanError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except Exception as exc:
            if not type(exc).__module__.startswith("sqlalchemy"):
                raise  # click's own exits and errors, or a bug: not ours to reword
            from sqlalchemy.exc import OperationalError

            if not isinstance(exc, OperationalError):
                raise
            click.echo(f"error: the database refused: {exc.orig}", err=True)
            sys.exit(1)


def db_option(func: F) -> F:
    return click.option(
        "--db",
        metavar="PATH|URL",
        help=f"SQLite file or SQLAlchemy URL [env {ENV_URL}; default ./{DEFAULT_DB}]",
    )(func)


def plan_option(func: F) -> F:
    return click.option(
        "--plan",
        "plan_key",
        metavar="ID",
        help="plan id; needed only when the database holds several",
    )(func)


def format_option(func: F) -> F:
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(["table", "json", "csv"]),
        default="table",
        show_default=True,
        help="table for people, json or csv for scripts",
    )(func)


def lang_option(func: F) -> F:
    return click.option(
        "--lang",
        type=click.Choice(["zh-CN", "en"]),
        help="language of the table's headers and state words [default: the plan's locale]",
    )(func)


def table_width() -> int | None:
    """Return the width to wrap tables to: $COLUMNS, else the terminal's; None when piped."""
    import os
    import shutil

    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    if sys.stdout.isatty():
        return shutil.get_terminal_size().columns
    return None


class _Day(click.ParamType):  # type: ignore[type-arg]
    name = "DATE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            self.fail(f"'{value}' is not a date like 2023-06-30", param, ctx)


DAY = _Day()


class _Month(click.ParamType):  # type: ignore[type-arg]
    """A month as offices write it (2023-07, 2023/7, 2023年7月), read by the ledger's reader."""

    name = "YYYY-MM"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        from workplan.errors import Unreadable
        from workplan.store.cells import read_month

        if isinstance(value, date):
            return value
        try:
            return read_month(value)
        except Unreadable as exc:
            self.fail(str(exc), param, ctx)


MONTH = _Month()


def config_option(func: F) -> F:
    return click.option(
        "--config",
        type=click.Path(path_type=Path),
        envvar="WORKPLAN_CONFIG",
        help="delivery settings (TOML: [smtp] host, port, security, user, password) "
        "[env WORKPLAN_CONFIG; WORKPLAN_SMTP_* override it]",
    )(func)


def outbox_option(func: F) -> F:
    return click.option(
        "--outbox",
        "outbox_dir",
        type=click.Path(path_type=Path, file_okay=False),
        help="write .eml files here when no SMTP server is configured [env WORKPLAN_OUTBOX; default ./outbox]",
    )(func)


def delivery_settings(config: Path | None, outbox: Path | None) -> Any:
    """Read the delivery settings, with --outbox over the configured folder."""
    from workplan.channels.config import load_settings

    settings = load_settings(config)
    return replace(settings, outbox=outbox, outbox_set=True) if outbox else settings


def templates_option(func: F) -> F:
    return click.option(
        "--templates",
        "templates_dir",
        type=click.Path(path_type=Path, file_okay=False),
        envvar="WORKPLAN_TEMPLATES",
        help="the office's own template folder; missing templates fall back to the shipped ones",
    )(func)


def renderer(folder: Path | None) -> Any:
    """Return the templates: the office's folder, then the shipped ones."""
    from workplan.notices.templates import Templates

    return Templates(folder)


def owner_name() -> str:
    """Name this process for claims: host and pid."""
    import os
    import socket

    return f"{socket.gethostname()}:{os.getpid()}"


def now_option(func: F) -> F:
    return click.option(
        "--now",
        "pinned",
        type=click.DateTime(formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]),
        help="act as if it were this local time in the plans' zone (a replay, a backfill); "
        "real time still times claims and is kept as the send time",
    )(func)


def business_clock(pinned: datetime | None, db: str | None) -> Callable[[], datetime]:
    """Return the business clock: real time, or the --now pinned in the plans' zone."""
    if pinned is None:
        return now_utc
    from workplan.store import db as store
    from workplan.store import refs

    with store.connected(db) as engine, store.reading(engine) as conn:
        zone = ZoneInfo(refs.all_plans(conn, None)[0].timezone)
    fixed = pinned.replace(tzinfo=zone)
    return lambda: fixed
