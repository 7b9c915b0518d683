"""The channel seam: every message leaves through a :class:`Channel`.

A message is composed once for one recipient and day (:class:`Composed`: its subject, its
plain text and the letter data its templates render); that is the only source of every
channel's words.  A channel renders it for its medium, in one or more parts (a MIME message;
a robot's markdown, split where too long; a JSON document), and sends each part:
``send(rendered, now) -> Outcome``, as httpx's transports answer ``handle_request``.  A
channel never raises for a delivery problem; the outcome decides the message's fate:

* ``sent``: accepted (a recipient refused while others were accepted is recorded, not lost);
* ``temporary``: try again later (a 4xx reply, connection refused or timed out);
* ``permanent``: give up (a 5xx reply; one to the message's own data is marked ``ours``);
* ``unknown``: the message data went out but no reply came; retried with the same Message-ID
  and flagged as a possible duplicate;
* ``channel``: the channel or its configuration failed, not the message (no connection, a
  refused login, a 554 greeting, a refused sender, TLS, a broken template): the channel
  pauses, the office is told, and the notices wait, still owed, however long it lasts.

Adding a channel is adding a module beside this one, its template in ``notifications/`` and
a line in ``registry.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Literal, Protocol, TypeVar

from workplan.errors import WorkplanError

if TYPE_CHECKING:
    from jinja2 import Environment

Status = Literal["sent", "temporary", "permanent", "unknown", "channel"]


@dataclass(frozen=True)
class Party:
    """A sender or recipient: a department or a person, with addresses."""

    name: str
    emails: tuple[str, ...]


class Letters(Protocol):
    """The letter data a message's templates render (``workplan.notices.letters.Message``):
    what a channel reads of it itself; its templates may read the rest."""

    @property
    def locale(self) -> str: ...

    @property
    def department(self) -> Party: ...

    @property
    def letters(self) -> Sequence[object]: ...

    @property
    def report_url(self) -> str | None: ...


@dataclass(frozen=True)
class Mail:
    """What only the e-mail of a message has: its HTML part, its envelope, its date, the
    conversation it answers, the notices it carries and its attachments."""

    html: str
    sender: Party
    to: tuple[Party, ...]
    date: datetime
    in_reply_to: str | None = None
    notices: tuple[str, ...] = ()
    attachments: tuple[tuple[str, str, bytes], ...] = ()
    """file name, content type, bytes"""


@dataclass(frozen=True)
class Composed:
    """One message for one recipient and day, composed once: every channel's words."""

    message_id: str
    subject: str
    """the message's one-line heading (the e-mail's subject: its 文号, first item, count)"""
    text: str
    """the whole letter as plain text (the e-mail's text part)"""
    letter: Letters
    """the letter data: the department, the items, the report link"""
    mail: Mail | None = None
    """the e-mail's own parts, while the e-mail is being sent (not kept for later channels)"""


@dataclass(frozen=True)
class Outgoing:
    """A message ready to go: envelope and the bytes of the MIME message (CRLF line ends)."""

    message_id: str
    sender: str
    recipients: tuple[str, ...]
    data: bytes


@dataclass(frozen=True)
class Outcome:
    """What became of one message."""

    status: Status
    code: int | None = None
    detail: str = ""
    refused: dict[str, str] = field(default_factory=dict)
    """recipients refused while others were accepted: address -> "code reply" """
    ours: bool = False
    """the refusal is of the bytes workplan built (a 5xx answer to the message's data, every
    recipient accepted): a fault of workplan's, not of the recipient; the office is alerted"""


R = TypeVar("R")


class Channel(Protocol[R]):
    """Where messages go: renders a composed message for its medium, sends each part."""

    name: str

    def render(self, message: Composed, templates: Environment) -> tuple[R, ...]:
        """Render the message for this medium, in one part or more (``templates``: the
        office's, then the shipped ones); raise RenderError when it cannot be."""

    def send(self, rendered: R, now: datetime) -> Outcome:
        """Deliver one rendered part at ``now``; report, never raise, what happened."""

    def close(self) -> None:
        """Release connections."""


class ConfigError(WorkplanError):
    """Delivery settings that cannot work (an unknown security mode, a bad port)."""

    exit_code = 2


class RenderError(WorkplanError):
    """A message a channel cannot render: its template is broken, or what it renders cannot
    be sent (a line break in a header, an item too long for the medium)."""
