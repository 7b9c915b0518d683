"""The outbox folder: each message an .eml file, the default when no SMTP server is set."""

from __future__ import annotations

import os
import re
from pathlib import Path

from workplan.channels.base import Outcome, Outgoing


def _file_name(message_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9._@-]", "_", message_id.strip("<>")) + ".eml"


class FolderChannel:
    """Write each message as an .eml file: the default when no SMTP server is configured.

    The file is named after the Message-ID and written atomically, so sending again after a
    crash replaces the same file rather than adding a copy.
    """

    name = "outbox folder"

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, message: Outgoing) -> Outcome:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            target = self.folder / _file_name(message.message_id)
            partial = target.with_suffix(".eml.part")
            partial.write_bytes(message.data)
            os.replace(partial, target)
        except OSError as exc:
            return Outcome("temporary", None, f"cannot write to {self.folder}: {exc.strerror}")
        return Outcome("sent", None, str(target))

    def close(self) -> None:
        return None
