"""The web pages' guards: security headers, a body-size limit, an access log without secrets,
and the checks on evidence files (佐证)."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import PurePath
from typing import Any

from starlette.responses import Response

from workplan.errors import Refused
from workplan.i18n import L_, N_

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
Refusal = Callable[[Scope], Awaitable[Response]]

log = logging.getLogger("workplan.web")

HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        b"frame-ancestors 'none'; base-uri 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
    (b"cross-origin-opener-policy", b"same-origin"),
]

TOKEN_IN_PATH = re.compile(r"^/r/[^/]+")


def redact(path: str) -> str:
    """Return a request path fit for a log: a link's token is replaced."""
    return TOKEN_IN_PATH.sub("/r/…", path)


class Guard:
    """Add the security headers, refuse bodies over ``limit`` bytes (413, with the page
    ``too_large`` makes), and log each request with its path redacted (uvicorn's own access
    log is off: it would log tokens)."""

    def __init__(self, app: ASGIApp, limit: int, too_large: Refusal) -> None:
        self.app = app
        self.limit = limit
        self.too_large = too_large

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = {"code": 0}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message["headers"] = [*message.get("headers", []), *HEADERS]
            await send(message)

        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await (await self.too_large(scope))(scope, receive, send_with_headers)
            self._log(scope, status["code"])
            return
        # read the whole body first (at most ``limit`` bytes, with or without a declared
        # length), so that a request over the limit is answered 413 before the app sees it
        chunks: list[bytes] = []
        size = 0
        more = scope["method"] not in ("GET", "HEAD")
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.limit:
                await (await self.too_large(scope))(scope, receive, send_with_headers)
                self._log(scope, status["code"])
                return
            more = message.get("more_body", False)
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send_with_headers)
        self._log(scope, status["code"])

    @staticmethod
    def _log(scope: Scope, code: int) -> None:
        client = scope.get("client") or ("-", 0)
        log.info('%s "%s %s" %s', client[0], scope["method"], redact(scope["path"]), code)


# extension: (content types a browser may declare, the file's first bytes)
EVIDENCE_TYPES: dict[str, tuple[frozenset[str], bytes]] = {
    ".pdf": (frozenset({"application/pdf"}), b"%PDF-"),
    ".png": (frozenset({"image/png"}), b"\x89PNG\r\n\x1a\n"),
    ".jpg": (frozenset({"image/jpeg"}), b"\xff\xd8\xff"),
    ".jpeg": (frozenset({"image/jpeg"}), b"\xff\xd8\xff"),
    ".docx": (
        frozenset({"application/vnd.openxmlformats-officedocument.wordprocessingml.document"}),
        b"PK\x03\x04",
    ),
    ".xlsx": (
        frozenset({"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}),
        b"PK\x03\x04",
    ),
}
GENERIC = frozenset({"application/octet-stream", ""})


RETURN_FORM_TYPES = {".xlsx": EVIDENCE_TYPES[".xlsx"]}
"""a return form (报送表) sent back from the department's page"""


def check_evidence(
    name: str,
    declared: str,
    data: bytes,
    limit: int,
    *,
    kinds: dict[str, tuple[frozenset[str], bytes]] = EVIDENCE_TYPES,
    what: str = N_("attachment"),
) -> str:
    """Return the file's extension when it is an allowed file (by default an evidence file:
    one of ``kinds``, named ``what`` in messages); refuse it otherwise."""
    if len(data) > limit:
        raise Refused(
            L_(
                "the {what} is too large: {size} KB, at most {limit} KB",
                what=L_(what),
                size=len(data) // 1024,
                limit=limit // 1024,
            )
        )
    if not data:
        raise Refused(L_("the {what} is empty", what=L_(what)))
    ext = PurePath(name).suffix.lower()
    allowed = kinds.get(ext)
    if allowed is None:
        raise Refused(
            L_(
                "a {what} of this kind is not taken: only {kinds}",
                what=L_(what),
                kinds=" ".join(sorted(kinds)),
            )
        )
    types, magic = allowed
    declared = declared.split(";")[0].strip().lower()
    if (declared not in types and declared not in GENERIC) or not data.startswith(magic):
        raise Refused(
            L_("the {what}'s content does not match its type ({ext})", what=L_(what), ext=ext)
        )
    return ext
