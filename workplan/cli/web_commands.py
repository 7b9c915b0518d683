"""Commands of the web pages: serve them, and issue or withdraw departments' links."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from workplan.cli.options import DAY, db_option, local_time, now_utc, plan_option
from workplan.i18n import _


@click.group()
def links() -> None:
    """Links to a department's report page: print one, or withdraw them."""


@links.command("new")
@click.option("--department", required=True, help="the department the link is for")
@click.option("--days", type=click.IntRange(1, 366), default=45, show_default=True)
@click.option(
    "--base-url", envvar="WORKPLAN_BASE_URL", help="the page's address [env WORKPLAN_BASE_URL]"
)
@click.option(
    "--secret",
    envvar="WORKPLAN_LINK_SECRET",
    required=True,
    help="the secret links are signed with [env WORKPLAN_LINK_SECRET]",
)
@plan_option
@db_option
def links_new(
    department: str,
    days: int,
    base_url: str | None,
    secret: str,
    plan_key: str | None,
    db: str | None,
) -> None:
    """Print a link to a department's report page (letters carry one of their own)."""
    from datetime import timedelta

    from workplan.store import db as store
    from workplan.store import links as signed
    from workplan.store import refs

    with store.connected(db) as engine, store.reading(engine) as conn:
        plan = refs.find_plan(conn, plan_key)
        who = refs.find_department(conn, plan, department)
    token = signed.issue(secret, plan.key, who, now_utc(), timedelta(days=days))
    base = (base_url or "http://127.0.0.1:8000").rstrip("/")
    click.echo(f"{base}/r/{token}")


@links.command("revoke")
@click.option("--department", help="withdraw every link of this department issued until now")
@click.option("--token", help="withdraw this one link (the part after /r/)")
@click.option("--all", "everyone", is_flag=True, help="withdraw every department's links")
@click.option(
    "--secret",
    envvar="WORKPLAN_LINK_SECRET",
    help="the secret links are signed with [env WORKPLAN_LINK_SECRET]",
)
@plan_option
@db_option
def links_revoke(
    department: str | None,
    token: str | None,
    everyone: bool,
    secret: str | None,
    plan_key: str | None,
    db: str | None,
) -> None:
    """Withdraw links: a department's, one link, or all; new letters carry new ones."""
    from workplan.store import db as store
    from workplan.store import links as signed
    from workplan.store import refs

    if [department is not None, token is not None, everyone].count(True) != 1:
        raise click.UsageError(_("give one of --department, --token or --all"))
    now = now_utc()
    with store.connected(db) as engine, engine.begin() as conn:
        plan = refs.find_plan(conn, plan_key)
        nonce = None
        who = refs.find_department(conn, plan, department) if department else None
        if token is not None:
            if not secret:
                raise click.UsageError(
                    _("--token needs the secret (--secret or WORKPLAN_LINK_SECRET)")
                )
            grant = signed.read(secret, token, now)
            nonce, who = grant.nonce, grant.department
        signed.revoke(conn, plan_key=plan.key, department=who, nonce=nonce, by=plan.office, now=now)
    if nonce:
        what = _("link {nonce} of {department}", nonce=nonce, department=who)
    else:
        what = _("every link of {department}", department=who or _("every department"))
    from zoneinfo import ZoneInfo

    until = local_time(now, ZoneInfo(plan.timezone))
    click.echo(
        _("revoked: {what} ({plan}), issued until {until}", what=what, plan=plan.key, until=until)
    )


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8000, show_default=True)
@click.option(
    "--files",
    "files_dir",
    type=click.Path(path_type=Path, file_okay=False),
    envvar="WORKPLAN_FILES",
    help="where evidence files (佐证) are kept, outside any web root [env WORKPLAN_FILES; default ./evidence]",
)
@click.option("--as-of", type=DAY, help="pretend today is this day (demos and tests)")
@plan_option
@db_option
def serve(
    host: str,
    port: int,
    files_dir: Path | None,
    as_of: date | None,
    plan_key: str | None,
    db: str | None,
) -> None:
    """Serve the departments' report pages and the office's dashboard.

    Configuration from the environment: WORKPLAN_LINK_SECRET (signs links and sessions),
    WORKPLAN_OFFICE_PASSWORD_HASH (from `workplan password-hash`) and/or
    WORKPLAN_OFFICE_HEADER (a reverse proxy's identity header), WORKPLAN_BASE_URL.
    """
    import logging

    import uvicorn

    from workplan.store import db as store
    from workplan.web.app import WebSettings, create_app

    settings = WebSettings.from_env(
        db_url=store.database_url(db),
        plan_key=plan_key,
        files=files_dir or Path("evidence"),
        as_of=as_of,
    )
    app = create_app(settings)
    # our own access log (workplan.web) redacts link tokens; uvicorn's would not
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    uvicorn.run(app, host=host, port=port, access_log=False, log_level="info")


@click.command("password-hash")
@click.password_option(help="the office's password (asked for when not given)")
def password_hash(password: str) -> None:
    """Print the hash of the office's password, for WORKPLAN_OFFICE_PASSWORD_HASH."""
    from workplan.web.auth import hash_password

    click.echo(hash_password(password))
