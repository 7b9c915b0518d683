"""What every posting channel shares (the group robots, a webhook): the interface, settings,
the HTTP post, the answer's mapping and the size split.

A robot is a webhook into one group chat (DingTalk, WeCom or Feishu); a webhook channel posts
to any HTTP endpoint.  Each is configured by a ``[robots.NAME]`` section of the delivery
config (its URL and secret, or the environment variables holding them), never by the plan:
the plan's department directory only names it.  One module per kind implements
:class:`Robot`; ``registry.py`` names them.
"""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

import jinja2

from workplan.channels.base import Composed, Outcome, RenderError

if TYPE_CHECKING:
    from jinja2 import Environment


@dataclass(frozen=True)
class RobotSettings:
    """One robot (or webhook) as the config describes it."""

    name: str
    kind: str
    """its channel in the registry: dingtalk, wecom, feishu, webhook"""
    url: str
    secret: str | None = None
    """the signing secret (DingTalk 加签, Feishu 签名校验, a webhook's HMAC key); WeCom has
    none: its URL is the key"""
    keyword: str | None = None
    """the robot's security keyword, when it has one: every message must contain it"""
    per_minute: int | None = None
    """send fewer than the robot's own limit (a robot shared with another system)"""
    msgtype: str = "markdown"
    """DingTalk only: ``actionCard`` posts a card whose button opens the report link"""
    timeout: float = 10.0
    """seconds to wait for the endpoint's answer"""


@dataclass(frozen=True)
class Button:
    """A link a robot shows as a button (a DingTalk ActionCard's, a Feishu card's)."""

    label: str
    url: str


@dataclass(frozen=True)
class Post:
    """One part of a message as a robot posts it: a title, the text, and the report link as
    a button when the robot shows links so (else the link is in the text)."""

    title: str
    text: str
    button: Button | None = None
    key: str | None = None
    """the post's identity (its message's Message-ID, and its part), the same on every retry:
    for an endpoint that drops a second copy"""


class Robot(ABC):
    """A channel that posts each message to one endpoint, within its limits.

    A subclass names its kind, limits and size, and how it sends a post; by default it posts
    the markdown digest of ``{locale}/robot.md.j2``, split between items where too long.
    """

    kind: ClassVar[str]
    limits: ClassVar[tuple[tuple[int, float], ...]]
    """(messages, seconds): never more than so many in any window of so many seconds"""
    max_bytes: ClassVar[int]
    """the largest message text, in UTF-8 bytes"""
    broken: ClassVar[frozenset[int]] = frozenset()
    """the answer codes that mean the settings (URL, secret, keyword) are wrong: every message
    to it would fail alike, so the endpoint pauses"""
    msgtypes: ClassVar[tuple[str, ...]] = ("markdown",)
    """the message types it may be configured for (the first is the default)"""
    url_is_secret: ClassVar[bool] = True
    """the URL carries the credential (a token or key): a file holding it must be private"""
    template: ClassVar[str] = "robot.md.j2"
    """the template it renders, in the message's language folder"""
    buttons: bool = False
    """whether a link goes in a button (else it is a markdown link in the text)"""

    def __init__(self, settings: RobotSettings) -> None:
        self.settings = settings
        self.name = settings.name

    def render(self, message: Composed, templates: Environment) -> tuple[Post, ...]:
        """Render the message's digest in its language, split into parts that fit, never
        inside an item; raise RenderError if it cannot be.

        The department's report link is a button when the robot shows links as buttons and
        the template names one (its ``button`` macro), else a markdown link.
        """
        letter = message.letter
        name = f"{letter.locale}/{self.template}"
        keyword = self.settings.keyword
        link = letter.report_url
        try:
            module: Any = templates.get_template(name).make_module({})
            button = None
            if link and self.buttons and hasattr(module, "button"):
                button = Button(str(module.button(letter)).strip(), link)
            items = [str(module.item(letter, one, n)) for n, one in enumerate(letter.letters, 1)]
            footer = str(module.footer(letter, None if button else link))
            if keyword and keyword not in footer:
                footer += f"\n\n{keyword}"

            def header(part: int, parts: int) -> str:
                return str(module.header(letter, message.subject, part, parts))

            title = str(module.title(letter, message.subject)).strip()
            parts = split(header, items, footer, self.max_bytes)
        except (jinja2.TemplateError, ValueError) as exc:
            raise RenderError(f"{name}: {exc}") from None
        if keyword and keyword not in title:
            title = f"{title} {keyword}"
        keys = (
            [message.message_id]
            if len(parts) == 1
            else [f"{message.message_id}#{n}" for n in range(1, len(parts) + 1)]
        )
        return tuple(Post(title, part, button, key) for part, key in zip(parts, keys, strict=True))

    def plain(self, title: str, text: str) -> Post:
        """A plain notice (the office's alert) as this robot posts it: the title as a heading
        too (some robots show no title), and the keyword when the robot has one."""
        body = f"### {title}\n\n{text}"
        keyword = self.settings.keyword
        if keyword and keyword not in body:
            body += f"\n\n{keyword}"
        return Post(title, body)

    @abstractmethod
    def send(self, rendered: Post, now: datetime) -> Outcome:
        """Send one part signed at ``now``; report, never raise, what happened."""

    def problems(self, now: datetime) -> list[str]:
        """What is wrong with the settings (URL shape, secret, signing), sending nothing."""
        return []

    def not_before(self, now: datetime) -> datetime:
        """The earliest time the robot should be used (Feishu avoids :00 and :30)."""
        return now

    def close(self) -> None:
        """Nothing to release: each post is one request."""
        return None


def url_problems(url: str, host_suffixes: Sequence[str], path: str) -> list[str]:
    """Return what is wrong with a webhook URL's shape (any http(s) host is accepted for a
    local or proxied endpoint, but a public host must be the robot's own)."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return ["the URL must be an http(s) address"]
    local = parts.hostname in ("127.0.0.1", "localhost", "::1")
    problems = []
    if not local and parts.scheme != "https":
        problems.append("the URL must use https")
    if not local and host_suffixes and not any(parts.hostname.endswith(s) for s in host_suffixes):
        problems.append(f"the host {parts.hostname} is not {' or '.join(host_suffixes)}")
    if not parts.path.startswith(path):
        problems.append(f"the path must start with {path}")
    return problems


REQUEST_ERRORS = (OSError, http.client.HTTPException)
"""what a request may raise when the endpoint cannot be reached or its answer is cut short"""


def json_bytes(body: object) -> bytes:
    """A JSON body as UTF-8 bytes, Chinese as it is."""
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def post(
    url: str, data: bytes, *, timeout: float, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, Any] | None]:
    """POST a JSON body; return the HTTP status and the JSON answer (None when the answer is
    not a JSON object: an HTML page, nothing).

    Raises URLError when the request could not be sent (no connection); any other error
    (a timeout or a reset while waiting for the answer) came after it was sent."""
    request = urllib.request.Request(
        url,
        data=data,
        headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    try:
        answer = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        answer = None
    return status, answer if isinstance(answer, dict) else None


def hide(url: str) -> str:
    """The URL without its query and token, for messages (the full URL is a secret)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path.rsplit('/', 1)[0]}/…"


def answer(
    status: int,
    code: int | None,
    detail: str,
    retry_later: dict[int, str],
    wrong: dict[int, str],
) -> Outcome:
    """Map a robot's answer to an outcome: 0 is sent; a retry-later code (or HTTP 429/5xx)
    is temporary; a code that says the request is wrong, or any other, is permanent."""
    if status == 200 and code == 0:
        return Outcome("sent", 0, detail)
    if code in retry_later:
        return Outcome("temporary", code, f"{retry_later[code]} ({detail})")
    if code in wrong:
        return Outcome("permanent", code, f"{wrong[code]} ({detail})")
    if status == 429 or status >= 500:
        return Outcome("temporary", status, f"HTTP {status} {detail}".strip())
    return Outcome("permanent", code if code is not None else status, detail or f"HTTP {status}")


def deliver(
    robot: Robot,
    url: str,
    body: dict[str, Any],
    keys: tuple[str, str],
    retry_later: dict[int, str],
    wrong: dict[int, str],
) -> Outcome:
    """POST a robot's message and map its answer (``keys``: the code's and the message's
    names in the answer) to an outcome; messages name the robot's URL hidden."""
    try:
        status, reply = post(url, json_bytes(body), timeout=robot.settings.timeout)
    except REQUEST_ERRORS as exc:
        return unreachable(exc)
    if reply is None:
        if 200 <= status < 300:  # the robot took it, but its answer says nothing
            return Outcome("unknown", status, f"{UNSURE}: HTTP {status} with an answer that is"
                           f" not the robot's JSON at {hide(robot.settings.url)}")  # fmt: skip
        reply = {}
    code = reply.get(keys[0])
    detail = f"{code} {reply.get(keys[1], '')} at {hide(robot.settings.url)}"
    return answer(status, code if isinstance(code, int) else None, detail, retry_later, wrong)


UNSURE = "possibly delivered"
"""what an answer that may mean the post was taken is called (the e-mail's ``unknown``)"""


def unreachable(exc: Exception) -> Outcome:
    """A robot that could not be reached (try again later), or that did not answer once the
    post was sent: a timeout or a reset then may come after the robot took it (unknown)."""
    if isinstance(exc, urllib.error.URLError):
        return Outcome("temporary", None, f"cannot reach the robot: {exc}")
    return Outcome("unknown", None, f"{UNSURE}: no answer after the post was sent: {exc!r}")


def signing(sign: Callable[[], str]) -> list[str]:
    """Return the problem of a secret that cannot sign a request (none when it can)."""
    try:
        sign()
    except (ValueError, UnicodeError) as exc:
        return [f"cannot sign with the secret: {exc}"]
    return []


def split(
    header: Callable[[int, int], str], items: Sequence[str], footer: str, max_bytes: int
) -> list[str]:
    """Put items into as few messages as fit ``max_bytes`` (UTF-8): each is header(part,
    parts) + items + footer; never cut an item.  Raise ValueError if one item cannot fit."""
    size = len((header(99, 99) + footer).encode("utf-8"))
    groups: list[list[str]] = [[]]
    used = size
    for item in items:
        length = len(item.encode("utf-8"))
        if size + length > max_bytes:
            raise ValueError(f"one item takes {size + length} bytes, over the {max_bytes} limit")
        if used + length > max_bytes and groups[-1]:
            groups.append([])
            used = size
        groups[-1].append(item)
        used += length
    return [header(i, len(groups)) + "".join(g) + footer for i, g in enumerate(groups, 1)]
