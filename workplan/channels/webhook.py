"""A generic JSON webhook: each message as one signed JSON document to an HTTP endpoint (a
政务 platform's integration such as 渝快政's or 浙政钉's, an SMS gateway's relay).

The contract, ours to keep (a receiver checks it as ``tests/channels/test_webhook.py``'s
server does): a POST of ``application/json`` (UTF-8) rendered from
``notifications/json/webhook.json.j2``, with the headers

* ``X-Workplan-Timestamp``: the Unix time of sending, in seconds;
* ``X-Workplan-Signature``: ``sha256=`` and the hex HMAC-SHA256, under the configured
  secret, of the timestamp, a full stop and the body's bytes: the receiver checks that the
  body is ours, unchanged, and recent (five minutes either way);
* ``Idempotency-Key``: the message's Message-ID, the same on every retry, so a receiver can
  drop a second copy.

Any 2xx answer is sent; 408, 429 and 5xx, or no answer within ``timeout``, are tried again
later; 401 and 403 say the secret or the URL is wrong (the webhook pauses and the office is
told); any other answer refuses that message.  At most ``per_minute`` posts a minute (60 by
default), kept by every process together.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from typing import TYPE_CHECKING

import jinja2

from workplan.channels.base import Composed, Outcome, RenderError
from workplan.channels.robot import (
    REQUEST_ERRORS,
    Post,
    Robot,
    hide,
    json_bytes,
    post,
    unreachable,
    url_problems,
)

if TYPE_CHECKING:
    from jinja2 import Environment


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header's value for a body sent at ``timestamp``."""
    digest = hmac.new(secret.encode("utf-8"), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


class Webhook(Robot):
    """Post each message as a signed JSON document."""

    kind = "webhook"
    limits = ((60, 60.0),)
    """its own limit: 60 a minute, lowered by ``per_minute``"""
    max_bytes = 512 * 1024
    broken = frozenset({401, 403})
    url_is_secret = False
    template = "webhook.json.j2"

    def render(self, message: Composed, templates: Environment) -> tuple[Post, ...]:
        """The message as one JSON document (validated, then written compactly)."""
        name = f"json/{self.template}"
        try:
            text = templates.get_template(name).render(
                m=message.letter,
                subject=message.subject,
                message_id=message.message_id,
                text=message.text,
            )
            body = json_bytes(json.loads(text))
        except (jinja2.TemplateError, ValueError) as exc:
            raise RenderError(f"{name}: {exc}") from None
        if len(body) > self.max_bytes:
            raise RenderError(f"{name}: {len(body)} bytes, over the {self.max_bytes} limit")
        return (Post(message.subject, body.decode("utf-8"), key=message.message_id),)

    def plain(self, title: str, text: str) -> Post:
        """The office's alert as a JSON document of its own kind."""
        body = {"kind": "alert", "subject": title, "text": text}
        return Post(title, json_bytes(body).decode("utf-8"))

    def send(self, rendered: Post, now: datetime) -> Outcome:
        data = rendered.text.encode("utf-8")
        timestamp = str(int(now.timestamp()))
        headers = {"X-Workplan-Timestamp": timestamp}
        if rendered.key:
            headers["Idempotency-Key"] = rendered.key
        if self.settings.secret:
            headers["X-Workplan-Signature"] = sign(self.settings.secret, timestamp, data)
        try:
            status, reply = post(
                self.settings.url, data, timeout=self.settings.timeout, headers=headers
            )
        except REQUEST_ERRORS as exc:
            return unreachable(exc)
        said = (reply or {}).get("message") or (reply or {}).get("error") or ""
        detail = f"HTTP {status} {said} at {hide(self.settings.url)}".replace("  ", " ")
        if 200 <= status < 300:
            return Outcome("sent", status, detail)
        if status in (408, 429) or status >= 500:
            return Outcome("temporary", status, detail)
        return Outcome("permanent", status, detail)

    def problems(self, now: datetime) -> list[str]:
        problems = url_problems(self.settings.url, (), "/")
        if not self.settings.secret:
            problems.append("no secret: the endpoint cannot tell these posts from anyone's")
        return problems
