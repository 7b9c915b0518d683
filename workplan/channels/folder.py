"""The outbox folder: each message an .eml file, the default when no SMTP server is set."""

from __future__ import annotations

import os
import re
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from workplan.channels import mail
from workplan.channels.base import Composed, Outcome, Outgoing

if TYPE_CHECKING:
    from jinja2 import Environment


def _file_name(message_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9._@-]", "_", message_id.strip("<>")) + ".eml"


class FolderChannel:
    """Write each message as an .eml file: the default when no SMTP server is configured.

    The file is named after the Message-ID and written atomically, so sending again after a
    crash replaces the same file rather than adding a copy.  Files are created owner-only
    (0600) and a new folder 0700; a folder the operator made keeps its mode.
    """

    name = "outbox folder"

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def render(self, message: Composed, templates: Environment) -> tuple[Outgoing]:
        """The message's e-mail, as an SMTP server would receive it."""
        return (mail.render(message),)

    def send(self, rendered: Outgoing, now: datetime) -> Outcome:
        """Write the message's file (replacing the one a crashed run may have left)."""
        message = rendered
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            target = self.folder / _file_name(message.message_id)
            partial = target.with_suffix(".eml.part")
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(message.data)
            os.replace(partial, target)
        except OSError as exc:  # the folder is the channel: it waits until it can be written
            return Outcome("channel", None, f"cannot write to {self.folder}: {exc.strerror}")
        return Outcome("sent", None, str(target))

    def close(self) -> None:
        return None
