"""Signed links to a department's report page: issue, check, revoke.

A token names a plan and a department, when it was issued and until when it is valid, and a
random nonce that identifies the link in the record.  It is signed with HMAC-SHA256 under the
office's secret and compared in constant time; it is never valid for another department
(the department is inside what is signed).  The office revokes links in the database: every
link of a department issued up to a moment, or one link by its nonce.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, and_, bindparam, insert, or_, select

from workplan.errors import Refused
from workplan.i18n import L_
from workplan.store.tables import T_LINK_REVOKED

SECRET_ENV = "WORKPLAN_LINK_SECRET"
BASE_URL_ENV = "WORKPLAN_BASE_URL"
DAYS_ENV = "WORKPLAN_LINK_DAYS"
DEFAULT_DAYS = 45


@dataclass(frozen=True)
class LinkSettings:
    """What letters need to carry a link: the page's address and the signing secret."""

    base_url: str
    secret: str
    days: int = DEFAULT_DAYS
    """how long a link in a letter stays valid"""
    issued_at: datetime | None = None
    """the real moment links are issued at, when letters are dated otherwise (`run --now`)"""

    def url_for(self, plan_key: str, department: str, now: datetime) -> str:
        """Return a fresh link to the department's page, valid for ``days`` from ``now``."""
        start = self.issued_at or now
        token = issue(self.secret, plan_key, department, start, timedelta(days=self.days))
        return f"{self.base_url.rstrip('/')}/r/{token}"


def link_settings(
    env: dict[str, str] | None = None, issued_at: datetime | None = None
) -> LinkSettings | None:
    """Read the link settings from the environment; None when either part is missing."""
    environ = dict(os.environ if env is None else env)
    secret = environ.get(SECRET_ENV, "")
    base = environ.get(BASE_URL_ENV, "")
    if not secret or not base:
        return None
    days = int(environ.get(DAYS_ENV) or DEFAULT_DAYS)
    return LinkSettings(base, secret, days, issued_at)


@dataclass(frozen=True)
class Grant:
    """What a valid token allows: one department's page of one plan, until it expires."""

    plan_key: str
    department: str
    nonce: str
    issued: datetime
    expires: datetime


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def mac(secret: str, message: str) -> str:
    """Return the HMAC-SHA256 of ``message`` under ``secret``, base64url."""
    return _b64(hmac.digest(secret.encode(), message.encode(), hashlib.sha256))


def issue(
    secret: str,
    plan_key: str,
    department: str,
    now: datetime,
    valid: timedelta,
    nonce: str | None = None,
) -> str:
    """Return a signed token for a department's page of a plan."""
    if not secret:
        raise Refused(L_("no link secret: set {name}", name=SECRET_ENV))
    body = {
        "p": plan_key,
        "d": department,
        # to the microsecond: a link issued in the second of a revocation, after it, is good
        "i": round(now.timestamp(), 6),
        "e": int((now + valid).timestamp()),
        "n": nonce or secrets.token_hex(8),
    }
    payload = _b64(json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode())
    return f"{payload}.{mac(secret, payload)}"


def read(secret: str, token: str, now: datetime) -> Grant:
    """Check a token's signature (in constant time) and expiry; return what it grants."""
    payload, _, signature = token.partition(".")
    if not payload or not signature or not hmac.compare_digest(signature, mac(secret, payload)):
        raise Refused(
            L_(
                "this link is not valid (it was changed or cut short): ask the office for a new one"
            ),
        )
    try:
        body = json.loads(_unb64(payload))
        grant = Grant(
            str(body["p"]),
            str(body["d"]),
            str(body["n"]),
            datetime.fromtimestamp(float(body["i"]), UTC),
            datetime.fromtimestamp(int(body["e"]), UTC),
        )
    except (ValueError, KeyError, TypeError, OverflowError, OSError):
        # OverflowError, OSError: a time the platform cannot represent (a signed token with a
        # made-up time is still a token the office never issued as such)
        raise Refused(
            L_("this link is not valid: ask the office for a new one"),
        ) from None
    if now >= grant.expires:
        raise Refused(
            L_(
                "this link expired on {day}: the next letter carries a new one, or ask the office",
                day=grant.expires.date(),
            )
        )
    return grant


REVOKED = (
    select(T_LINK_REVOKED.c.id)
    .where(
        T_LINK_REVOKED.c.plan_key == bindparam("plan_key"),
        or_(
            T_LINK_REVOKED.c.nonce == bindparam("nonce"),
            and_(
                T_LINK_REVOKED.c.nonce.is_(None),
                or_(
                    T_LINK_REVOKED.c.department.is_(None),
                    T_LINK_REVOKED.c.department == bindparam("department"),
                ),
                T_LINK_REVOKED.c.revoked_before >= bindparam("issued"),
            ),
        ),
    )
    .limit(1)
)
"""whether a link is withdrawn: built once, run with the link's values (every page asks)"""


def verify(conn: Connection, secret: str, token: str, now: datetime) -> Grant:
    """Check a token, then that the office has not revoked it."""
    grant = read(secret, token, now)
    revoked = conn.execute(
        REVOKED,
        {
            "plan_key": grant.plan_key,
            "nonce": grant.nonce,
            "department": grant.department,
            "issued": grant.issued,
        },
    ).first()
    if revoked is not None:
        raise Refused(
            L_("the office has withdrawn this link: ask it for a new one"),
        )
    return grant


def revoke(
    conn: Connection,
    *,
    plan_key: str,
    department: str | None,
    nonce: str | None,
    by: str,
    now: datetime,
) -> None:
    """Withdraw links: one by its nonce, or every link of a department (or of the plan)
    issued up to ``now``."""
    conn.execute(
        insert(T_LINK_REVOKED).values(
            plan_key=plan_key,
            department=department,
            nonce=nonce,
            revoked_before=now,
            by=by,
            at=now,
        )
    )
