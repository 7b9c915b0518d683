"""Evidence files (佐证) kept owner-only, as the database and the letters are: each file 0600
in folders 0700, whatever the umask; a folder an earlier version made open is closed."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def private_folder(folder: Path) -> Path:
    """Make ``folder`` (and its missing parents) and leave it readable by its owner only."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    return folder


def save_private(root: Path, under: str, suffix: str, data: bytes) -> Path:
    """Write ``data`` under ``root/under`` with a random name ending in ``suffix``, readable
    by its owner only; return its path."""
    private_folder(root)
    folder = private_folder(root / under)
    path = folder / f"{secrets.token_hex(16)}{suffix}"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    return path
