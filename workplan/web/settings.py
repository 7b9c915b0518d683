"""How the pages run: read once at start from the command line and the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from workplan.errors import Refused
from workplan.i18n import L_
from workplan.store import links


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
                L_(
                    "set {name} to a long random secret (e.g. `openssl rand -hex 32`): "
                    "it signs the links in letters and the sessions",
                    name=links.SECRET_ENV,
                )
            )
        password = environ.get("WORKPLAN_OFFICE_PASSWORD_HASH") or None
        header = environ.get("WORKPLAN_OFFICE_HEADER") or None
        if not password and not header:
            raise Refused(
                L_(
                    "set WORKPLAN_OFFICE_PASSWORD_HASH (from `workplan password-hash`) or "
                    "WORKPLAN_OFFICE_HEADER (behind a reverse proxy that logs the office in)"
                )
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
