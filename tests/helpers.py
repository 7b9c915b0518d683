"""What the tests share: where the plan files are, and running a command as a user types it.

Import from here, never from another test module: a test module is free to change its own
helpers, and pytest imports each module under one name only.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Mapping
from pathlib import Path

from click.testing import CliRunner, Result

ROOT = Path(__file__).resolve().parent.parent
PLANS = ROOT / "plans"
VALID = ROOT / "tests" / "plans" / "valid"
FORMS = VALID / "forms.yaml"
POSTGRES = os.environ.get("WORKPLAN_TEST_POSTGRES_URL")


def run(
    *args: str,
    code: int = 0,
    columns: int | None = None,
    env: Mapping[str, str | None] | None = None,
) -> Result:
    """Run a workplan command in this process; check its exit status, and that it ended with
    a message rather than an exception.

    ``columns`` is the terminal's width, which tables wrap to; without it the output is as if
    piped (a row a line).  ``env`` sets environment variables, or unsets those given None; the
    delivery settings of the shell running the tests (an SMTP server, a config, the outbox,
    the TLS trust) never reach the command unless ``env`` gives them.
    """
    from workplan.channels.config import ENV
    from workplan.cli.commands import cli

    isolated = {name: None for name in (*ENV.values(), "WORKPLAN_CONFIG", "SSL_CERT_FILE")}
    width = {"COLUMNS": str(columns) if columns else None}
    result = CliRunner().invoke(cli, list(args), env={**isolated, **width, **(env or {})})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(
            result.output + "".join(traceback.format_exception(*result.exc_info or ()))
        )
    assert "Traceback" not in result.output, result.output
    assert result.exit_code == code, result.output
    return result


def banan_live_from(folder: Path, day: str = "2023-01-01") -> Path:
    """A copy of the Banan plan that is chased from ``day`` rather than its issue date (9 May):
    as if the office had put its plan live in January.  The tests of delivery use it to have a
    busy spring morning; the real plan's own behaviour is tested on the real file."""
    text = (PLANS / "banan-2023.yaml").read_text(encoding="utf-8")
    text = text.replace("\nissued: 2023-05-09\n", f"\nissued: 2023-05-09\nchase_from: {day}\n", 1)
    (folder / "banan-departments.yaml").write_text(
        (PLANS / "banan-departments.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    path = folder / "banan-2023.yaml"
    path.write_text(text, encoding="utf-8")
    return path
