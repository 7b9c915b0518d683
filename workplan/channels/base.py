"""The channel seam: every message leaves through a :class:`Channel`.

A channel takes one :class:`Outgoing` message and returns an :class:`Outcome`; it never
raises for a delivery problem.  The outcome decides the notice's fate:

* ``sent``: accepted (a recipient refused while others were accepted is recorded, not lost);
* ``temporary``: try again later (a 4xx reply, connection refused or timed out);
* ``permanent``: give up (a 5xx reply);
* ``unknown``: the message data went out but no reply came; retried with the same Message-ID
  and flagged as a possible duplicate;
* ``channel``: the channel or its configuration failed, not the message (no connection, a
  refused login, a 554 greeting, a refused sender, TLS, a broken template): the channel
  pauses, the office is told, and the notices wait, still owed, however long it lasts.

Adding a channel is adding a module beside this one and a line in ``config.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

from workplan.errors import WorkplanError

Status = Literal["sent", "temporary", "permanent", "unknown", "channel"]


@dataclass(frozen=True)
class Party:
    """A sender or recipient: a department or a person, with addresses."""

    name: str
    emails: tuple[str, ...]


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


class Channel(Protocol):
    """Where messages go."""

    name: str

    def send(self, message: Outgoing) -> Outcome:
        """Deliver one message; report, never raise, what happened."""

    def close(self) -> None:
        """Release connections."""


class ConfigError(WorkplanError):
    """Delivery settings that cannot work (an unknown security mode, a bad port)."""

    exit_code = 2
