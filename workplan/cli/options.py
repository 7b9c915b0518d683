"""What every command shares: the clock, the error handling, the common options."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import replace
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import click

from workplan import i18n
from workplan.errors import InvalidInput, WorkplanError
from workplan.i18n import N_, _

ENV_URL = "WORKPLAN_DATABASE_URL"
DEFAULT_DB = "workplan.db"

F = TypeVar("F", bound=Callable[..., Any])


def now_utc() -> datetime:
    """Read the clock: the current instant in UTC."""
    return datetime.now(UTC)


def local_time(instant: datetime, zone: ZoneInfo) -> str:
    """Show an instant (aware, or naive in UTC as SQLite gives it) as a local time in ``zone``."""
    aware = instant if instant.tzinfo else instant.replace(tzinfo=UTC)
    return f"{aware.astimezone(zone):%Y-%m-%d %H:%M}"


def today_in(zone: str) -> date:
    """Read the clock: today's date in a plan's time zone."""
    return datetime.now(ZoneInfo(zone)).date()


class WorkplanGroup(click.Group):
    """Turn the library's typed errors into one-line messages and exit codes, in the language
    spoken (--lang, else the plan's, else LANG's)."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        if parent is None:
            i18n.reset()  # a new command: nothing asked, no plan seen yet
            localise_help(self, i18n.language())  # `--help` before --lang is read: LANG's
        return super().make_context(info_name, args, parent, **extra)

    def main(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().main(*args, **kwargs)
        finally:
            i18n.reset()  # what this command spoke is not the next caller's

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            if i18n.language() == "en":
                raise  # click's own words
            say_usage_error(exc)
            sys.exit(exc.exit_code)
        except InvalidInput as exc:
            for problem in exc.problems:
                click.echo(problem.message_for(i18n.plan_locale()), err=True)
            count = len(exc.problems)
            click.echo(
                i18n.ngettext("{n} problem found", "{n} problems found", count).format(n=count),
                err=True,
            )
            sys.exit(exc.exit_code)
        except WorkplanError as exc:
            # a message not yet in the catalog stays whole in its English
            said = _("error: {message}", message=exc) if exc.translated else f"error: {exc}"
            click.echo(said, err=True)
            sys.exit(exc.exit_code)
        except Exception as exc:
            if not type(exc).__module__.startswith("sqlalchemy"):
                raise  # click's own exits and errors, or a bug: not ours to reword
            from sqlalchemy.exc import OperationalError

            if not isinstance(exc, OperationalError):
                raise
            click.echo(_("error: the database refused: {reason}", reason=exc.orig), err=True)
            sys.exit(1)


# click's messages on a command line it cannot take, as Chinese reads them
_CLICK_SAID = (
    (r"Missing option '(?P<name>[^']+)'\.(?P<rest>.*)", N_("missing option {name}{rest}")),
    (r"Missing argument '(?P<name>[^']+)'\.(?P<rest>.*)", N_("missing {name}{rest}")),
    (r"No such option: (?P<name>\S+)(?P<rest>.*)", N_("no option {name}{rest}")),
    (r"No such option '(?P<name>[^']+)'\.(?P<rest>.*)", N_("no option {name}{rest}")),
    (r"No such command '(?P<name>[^']+)'\.(?P<rest>.*)", N_("no command {name}{rest}")),
    (r"Got unexpected extra arguments? \((?P<name>.*)\)(?P<rest>)", N_("extra words {name}{rest}")),
    (
        r"Option '(?P<name>[^']+)' requires an argument\.(?P<rest>)",
        N_("{name} needs a value{rest}"),
    ),
    (r"Invalid value for (?P<name>'[^:]+'): (?P<rest>.*)", N_("{name}: {rest}")),
    (r" Did you mean '(?P<name>[^']+)'\?", N_("; did you mean {name}?")),
    (r" \(Possible options: (?P<name>[^)]*)\)", N_("; did you mean {name}?")),
    (r"Choose from:(?P<name>.*)", N_("; one of {name}")),
)


def _click_said(message: str) -> str:
    """Return click's message on a bad command line in the language spoken."""
    for pattern, said in _CLICK_SAID:
        found = re.search(pattern, message, flags=re.S)
        if found:
            parts = found.groupdict()
            name = _quoted(parts.get("name", ""))
            rest = _click_said(parts.get("rest", "")) if parts.get("rest") else ""
            told = _(said, name=name, rest=rest)
            return message[: found.start()] + told + message[found.end() :]
    return _(message)


def _quoted(names: str) -> str:
    """'--a' / '--b' as Chinese quotes them: “--a”/“--b”."""
    words = re.findall(r"'([^']*)'", names) or [w.strip() for w in re.split(r"[,\t\n]+", names)]
    return "、".join(f"“{w}”" for w in words if w)


def say_usage_error(exc: click.UsageError) -> None:
    """Print a command line click cannot take, as click does, in the language spoken."""
    ctx = exc.ctx
    if ctx is not None:
        click.echo(ctx.get_usage(), err=True)
        click.echo(_("Try “{command} --help” for help.", command=ctx.command_path), err=True)
        click.echo("", err=True)
    message = exc.format_message() if isinstance(exc, click.BadParameter) else exc.message
    click.echo(_("error: {message}", message=_click_said(message)), err=True)


def db_option(func: F) -> F:
    return click.option(
        "--db",
        metavar="PATH|URL",
        help="SQLite file or SQLAlchemy URL [env WORKPLAN_DATABASE_URL; default ./workplan.db]",
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
        type=Words(FORMAT_WORDS),
        default="table",
        show_default=True,
        help="table for people, json or csv for scripts",
    )(func)


LANG_ASKED = "workplan.lang"


def _ask_lang(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None:
        i18n.ask(value)
        ctx.meta[LANG_ASKED] = value  # for the commands a command runs (the demo's steps)
    localise_help(ctx.command, i18n.language())
    return value


def _lang(func: F, *, expose: bool) -> F:
    return click.option(
        "--lang",
        type=Words(LANG_WORDS),
        is_eager=True,
        expose_value=expose,
        callback=_ask_lang,
        help="language of what is printed: zh or en [default: the plan's locale, else LANG]",
    )(func)


def lang_option(func: F) -> F:
    """--lang on a command: the same as the top-level --lang, given after the command."""
    return _lang(func, expose=True)


def top_lang_option(func: F) -> F:
    """--lang on the top-level command: every command speaks it."""
    return _lang(func, expose=False)


_HELP = "_workplan_help"
# click's own words in a help page, for the catalog
CLICK_WORDS = (
    N_("Usage: "),
    N_("Options"),
    N_("Commands"),
    N_("Show this message and exit."),
    N_("Show the version and exit."),
    N_("[OPTIONS]"),
    N_("COMMAND [ARGS]..."),
)
_NOTES = (N_("[default: "), N_("[required]"), N_("[env var: "))


# the names of the values a command takes (click's TEXT, DATE; our TASK[/OBLIGATION])
METAVARS = (
    N_("TEXT"),
    N_("INTEGER"),
    N_("FLOAT"),
    N_("RANGE"),
    N_("PATH"),
    N_("URL"),
    N_("FILE"),
    N_("FILES"),
    N_("DIRECTORY"),
    N_("DATE"),
    N_("MONTH"),
    N_("YYYY-MM-DDTHH:MM"),
    N_("TASK"),
    N_("OBLIGATION"),
    N_("ITEM"),
    N_("TITLE"),
    N_("NAME"),
    N_("NUMBER"),
    N_("DECISION"),
    N_("DOCUMENT"),
    N_("TABLE"),
    N_("ROBOT"),
    N_("DEPT"),
    N_("ID"),
    N_("N"),
    N_("Q"),
    N_("PLAN"),
    N_("METRIC"),
    N_("COMMAND"),
    N_("ARGS"),
)


def _metavars(text: str) -> str:
    """Name the values in the language spoken: TASK[/OBLIGATION] → 事项[/任务]."""
    return re.sub(
        r"\b[A-Z][A-Z:-]*[A-Z]\b|\b[NQ]\b",
        lambda m: _(m[0]) if m[0] in METAVARS else m[0],
        text,
    )


class _Formatter(click.HelpFormatter):
    """click's help page, its own words (Usage, Options, [default: …]) in the language spoken."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        for word in ("[OPTIONS]", "COMMAND [ARGS]..."):
            args = args.replace(word, _(word))
        args = _metavars(args)
        super().write_usage(prog, args, _("Usage: ") if prefix is None else prefix)

    def write_heading(self, heading: str) -> None:
        super().write_heading(_(heading))

    def write_dl(self, rows: Any, col_max: int = 30, col_spacing: int = 2) -> None:
        said = []
        for term, text in rows:
            text = _(text) if text in CLICK_WORDS else text
            if i18n.language() != "en":  # a choice's default in its Chinese word
                text = re.sub(r"(?<=default: )[^;\]]+", lambda m: _CHOSEN.get(m[0], m[0]), text)
            for note in _NOTES:
                text = text.replace(note, _(note))
            said.append((_metavars(term), text))
        super().write_dl(said, col_max, col_spacing)


class _Context(click.Context):
    formatter_class = _Formatter


def _help_in(text: str | None, lang: i18n.Language) -> str | None:
    if not text or lang == "en":
        return text
    from workplan.cli.helptext import msgid

    key = msgid(text.split("\f", 1)[0])
    translated = i18n.gettext(key, lang)
    return translated if translated != key else text


def localise_help(command: click.Command, lang: i18n.Language) -> None:
    """Put every command's and option's help text in ``lang``, keeping the English to
    translate again (one process may run commands in both languages)."""
    texts = getattr(command, _HELP, None)
    if texts is None:
        texts = (
            command.help,
            command.short_help,
            [getattr(p, "help", None) for p in command.params],
        )
        setattr(command, _HELP, texts)
    help_text, short, params = texts
    command.context_class = _Context
    command.help = _help_in(help_text, lang)
    command.short_help = _help_in(short, lang)
    for param, text in zip(command.params, params, strict=True):
        if isinstance(param, click.Option):
            param.help = _help_in(text, lang)
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            localise_help(sub, lang)


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


class _Read(click.ParamType):  # type: ignore[type-arg]
    """A parameter read with the one input grammar (``store.cells``), as ledgers and the web
    forms read it: 2023-07-28, 2023/7/28, 2023.7.28, 2023年7月28日; 2023-07, 2023年7月."""

    def __init__(self, name: str, reader: Callable[[Any], date]) -> None:
        self.name = name
        self.reader = reader

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        from workplan.errors import Unreadable

        if isinstance(value, date):
            return value
        try:
            return self.reader(value)
        except Unreadable as exc:
            chinese = exc.zh if i18n.language() == "zh" else None
            self.fail(chinese or i18n.said(exc.message), param, ctx)


def _day(value: Any) -> date:
    from workplan.store.cells import read_day

    return read_day(value)


def _month(value: Any) -> date:
    from workplan.store.cells import read_month

    return read_month(value)


def _moment(value: Any) -> datetime:
    """A local time: a day as the grammar writes it, then HH:MM (2023/7/28 09:00, 2023-07-28T09:00)."""
    from workplan.errors import Unreadable

    found = re.fullmatch(r"\s*(.+?)[T\s]+(\d{1,2}):(\d{2})\s*", str(value))
    if not found or int(found[2]) > 23 or int(found[3]) > 59:
        raise Unreadable(
            f"'{value}' is not a local time like 2023-07-28T09:00 or '2023/7/28 09:00'",
            f"“{value}”不是时间：请写成 2023-07-28T09:00 或 “2023年7月28日 09:00”",
        )
    return datetime.combine(_day(found[1]), time(int(found[2]), int(found[3])))


DAY = _Read("DATE", _day)
MONTH = _Read("MONTH", _month)
MOMENT = _Read("YYYY-MM-DDTHH:MM", _moment)


_CHOSEN: dict[str, str] = {}  # each choice's value and its Chinese word, for the help


class Words(click.Choice):  # type: ignore[type-arg]
    """A choice that takes each value's Chinese words too (--kind 督办, --status 已发送) and
    gives the command the value itself."""

    def __init__(self, words: Mapping[str, tuple[str, ...]]) -> None:
        super().__init__(list(words))
        self.aliases = {alias: value for value, names in words.items() for alias in names}

        self.words = {value: names[0] if names else value for value, names in words.items()}
        _CHOSEN.update(self.words)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        text = str(value).strip()
        value = self.aliases.get(text, text)
        if value in self.choices:
            return value
        self.fail(
            _("“{value}” is not one of {choices}", value=text, choices=self._listed()), param, ctx
        )

    def _listed(self) -> str:
        if i18n.language() == "en":
            return ", ".join(f"'{c}'" for c in self.choices)
        return "、".join(self.words[str(c)] for c in self.choices)

    def get_metavar(self, param: click.Parameter, ctx: click.Context) -> str | None:
        if i18n.language() == "en":
            return super().get_metavar(param, ctx)
        return "[" + "|".join(self.words[str(c)] for c in self.choices) + "]"


STATUS_WORDS = {
    "pending": ("待发送",),
    "claimed": ("发送中",),
    "sent": ("已发送",),
    "written": ("已写入",),
    "retrying": ("待重试",),
    "failed": ("发送失败", "失败"),
    "superseded": ("已撤销",),
    "unconfirmed": ("可能已送达", "未确认"),
}
KIND_WORDS = {
    "reminder": ("提醒",),
    "warning": ("提示函",),
    "overdue": ("催办",),
    "escalation": ("督办",),
    "bulletin": ("通报",),
}
CHANNEL_WORDS = {
    "email": ("邮件", "电子邮件"),
    "dingtalk": ("钉钉",),
    "wecom": ("企业微信", "企微"),
    "feishu": ("飞书",),
    "webhook": (),
    "robots": ("群机器人",),
}
FORMAT_WORDS = {"table": ("表格",), "json": (), "csv": ()}
LANG_WORDS = {"zh-CN": ("中文", "zh"), "en": ("英文",)}


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


def delivery_settings(config: Path | None, outbox: Path | None, db: str | None) -> Any:
    """Read the delivery settings, with --outbox over the configured folder; settings that
    cannot work are refused in the language of the database's plans."""
    from workplan.channels.base import ConfigError
    from workplan.channels.config import load_settings
    from workplan.errors import WorkplanError
    from workplan.store import db as store
    from workplan.store import refs

    try:
        settings = load_settings(config)
    except ConfigError:
        with suppress(WorkplanError), store.connected(db) as engine, store.reading(engine) as conn:
            refs.all_plans(conn, None)  # read for its language: the refusal is said in it
        raise
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
        type=MOMENT,
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
