"""What the README tells a new user holds on a new user's machine: every command it names is
one of workplan's, every `workplan` line it shows runs as written after `workplan demo`, the
demo's closing hint runs where the venv is not active, and a test that needs a system package
the machine lacks says which.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import click
import pytest

from tests.helpers import ROOT, installed, needs
from workplan.cli.commands import cli

README = ROOT / "README.md"
VENV_BIN = Path(sys.executable).parent

# The lines the test does not run, each with the reason: what they need is the reader's own.
CAPTURED = "captured on a database of its own, with the robots' contract servers told to fail"
ILLUSTRATIVE = {
    "python3 -m venv .venv && .venv/bin/pip install -q -e . && .venv/bin/workplan demo": (
        "installs with pip; the test runs in the installed package and starts with the "
        "line's last command"
    ),
    "workplan load banan-2023-amended.yaml --dry-run --db demo/workplan.db": "an amended plan the reader has made",
    "workplan validate plans/banan-decided.yaml": "the draft once the office has decided its marks",
    "workplan load plans/banan-decided.yaml --db draft.db": (
        "the draft once the office has decided its marks"
    ),
    'workplan run --once --now "2023-05-10 09:00" --db draft.db --outbox outbox': (
        "the decided draft's database"
    ),
    "workplan progress import ledger-july.csv": "a department's ledger, with its mistakes",
    "workplan channels check --config demo/robots.toml --db demo/workplan.db": (
        "the config the robots' contract servers write (python -m tests.robots)"
    ),
    "WORKPLAN_BASE_URL=https://dc.banan.example/ "
    "WORKPLAN_LINK_SECRET=demo-link-secret-0123456789abcdef "
    "workplan demo --config demo/robots.toml": "posts to the robots' contract servers",
    "workplan run --once --now 2023-06-26T09:00 --outbox outbox --config robots.toml --db w.db": (
        CAPTURED
    ),
    "workplan notices --channel dingtalk --status failed --db w.db": CAPTURED,
    "workplan status --as-of 2023-06-26 --db w.db": CAPTURED,
    "workplan notices resend --db w.db": CAPTURED,
    "workplan run --db /var/lib/workplan/workplan.db --config /etc/workplan/workplan.toml": (
        "the service on the office's server, until it is stopped"
    ),
    "ExecStart=/opt/workplan/.venv/bin/workplan run --config /etc/workplan/workplan.toml": (
        "a systemd unit"
    ),
    ".venv/bin/workplan serve --db demo/workplan.db --as-of 2023-07-03 &": (
        "the web server on port 8000, until it is stopped"
    ),
    "ExecStart=/opt/workplan/.venv/bin/workplan serve --host 127.0.0.1 --port 8000 "
    "--files /var/lib/workplan/evidence": "a systemd unit",
}
# Lines that show a refusal: their exit status, and the README shows their first line.
REFUSED = {
    "workplan validate tests/plans/invalid/keys.yaml tests/plans/invalid/traps.yaml": 2,
    "workplan status --db plans/banan-2023.yaml": 1,
    "workplan validate plans/banan-draft.yaml": 2,
    "workplan review 交办1 --accept --by 区委农办 --on 2023-09-01 --db demo/workplan.db": 2,
}
PDF = ("chromium", "fonts-noto-cjk")
NEEDS = {
    "workplan brief --month 2023-07 -o brief.pdf --db demo/workplan.db": PDF,
    "workplan bulletin --month 2023-07 -o bulletin.pdf --db demo/workplan.db": PDF,
}

PROGRAM = re.compile(r"(?:^|&&\s*|\$\(|ExecStart=)(?:[A-Z_]+=\S*\s+)*(?:\S*/)?workplan\s+[a-z]")


@dataclass(frozen=True)
class Line:
    """A command line of the README, continuation lines joined, and what it prints after it."""

    number: int
    text: str
    shown: str


def code_lines() -> list[Line]:
    """Every command line in the README's code blocks: in a shell block each line; in a
    transcript the lines after `$ `; in a systemd unit its ExecStart."""
    found: list[Line] = []
    language: str | None = None
    lines = README.read_text(encoding="utf-8").splitlines()
    number = 0
    while number < len(lines):
        line = lines[number]
        number += 1
        if line.startswith("```"):
            language = None if language is not None else line[3:].strip()
            continue
        if language is None:
            continue
        start = number
        while line.endswith("\\") and number < len(lines):
            line = line[:-1].rstrip() + " " + lines[number].strip()
            number += 1
        shown = lines[number] if number < len(lines) else ""
        if language in ("sh", "bash") and not line.startswith("#"):
            found.append(Line(start, line.split("  #")[0].strip(), shown))
        elif language in ("text", "") and line.startswith("$ "):
            found.append(Line(start, line[2:].split("  #")[0].strip(), shown))
        elif language == "ini" and line.startswith("ExecStart="):
            found.append(Line(start, line, shown))
    return found


def workplan_lines() -> list[Line]:
    """The README's command lines that run workplan."""
    return [line for line in code_lines() if PROGRAM.search(line.text)]


def walk_through() -> list[Line]:
    """The lines of the README's walk-through, which is the demo's own output."""
    text = README.read_text(encoding="utf-8").splitlines()
    start = text.index("## A walk-through") + 1
    end = next(n for n in range(start, len(text)) if text[n].startswith("## "))
    return [line for line in workplan_lines() if start < line.number <= end]


def named_commands() -> set[tuple[tuple[str, ...], tuple[str, ...]]]:
    """Every `workplan X Y` the README names, in code or in a code span, with its options."""
    text = README.read_text(encoding="utf-8")
    spans = re.findall(r"`([^`\n]+)`", text)
    named = set()
    for source in [*spans, *(line.text for line in workplan_lines())]:
        for found in re.finditer(
            r"(?:^|&&\s*|\$\(|ExecStart=)(?:[A-Z_]+=\S*\s+)*(?:\S*/)?workplan"
            r"((?: +[a-z][a-z-]*(?= |$))+)(.*)",
            source,
        ):
            rest = re.split(r"\s#|&&", found[2])[0]
            options = re.findall(r"(?:^|[\s\[(|])(--?[a-zA-Z][a-z-]*)", rest)
            named.add((tuple(found[1].split()), tuple(options)))
    return named


def test_every_command_the_readme_names_is_one_with_help_and_those_options() -> None:
    named = named_commands()
    assert len(named) > 50  # the parse found the README's commands
    for words, options in sorted(named):
        command: click.Command = cli
        path: list[str] = []
        for word in words:
            if not isinstance(command, click.Group):
                break  # the rest are arguments
            assert word in command.commands, f"README names `workplan {' '.join(words)}`"
            command = command.commands[word]
            path.append(word)
            assert command.help and command.help.strip(), f"workplan {' '.join(path)}: no help"
        known = {"--help"} | {o for p in command.params for o in (*p.opts, *p.secondary_opts)}
        unknown = [o for o in options if o not in known]
        assert not unknown, f"README gives `workplan {' '.join(path)}` {unknown}"


def test_the_lists_of_lines_not_run_as_written_are_lines_of_the_readme() -> None:
    shown = {line.text for line in workplan_lines()}
    assert set(ILLUSTRATIVE) | set(REFUSED) | set(NEEDS) <= shown


@pytest.fixture(scope="module")
def after_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """A fresh folder holding what a clone has (the plans, the test plans, .venv) after
    `.venv/bin/workplan demo`, run where the venv is not active; and the demo's output."""
    folder = tmp_path_factory.mktemp("clone")
    shutil.copytree(ROOT / "plans", folder / "plans")
    shutil.copytree(ROOT / "tests" / "plans", folder / "tests" / "plans")
    (folder / ".venv").symlink_to(VENV_BIN.parent, target_is_directory=True)
    done = subprocess.run(
        [".venv/bin/workplan", "demo"],
        cwd=folder,
        env=shell(active=False),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    yield folder, done.stdout


def shell(*, active: bool) -> dict[str, str]:
    """The environment of a new user's shell: the venv active or not, no workplan settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WORKPLAN_", "VIRTUAL_ENV"))}
    paths = [
        p
        for p in env.get("PATH", os.defpath).split(os.pathsep)
        if p and not (Path(p).is_dir() and os.path.samefile(p, VENV_BIN))
    ]
    env["PATH"] = os.pathsep.join([str(VENV_BIN), *paths] if active else paths)
    env.pop("COLUMNS", None)
    return env


def test_the_demos_closing_hint_runs_where_the_venv_is_not_active(
    after_demo: tuple[Path, str],
) -> None:
    folder, output = after_demo
    hint = output.rstrip().splitlines()[-1]
    assert "；可以试试：" in hint, hint  # the plan's language
    command = hint.split("；可以试试：", 1)[1]
    done = subprocess.run(
        ["bash", "-c", command],
        cwd=folder,
        env=shell(active=False),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, (command, done.stdout[-2000:], done.stderr[-2000:])
    assert "截至2023-10-23" in done.stdout


@pytest.mark.slow
def test_every_workplan_line_of_the_readme_runs_as_written_after_the_demo(
    after_demo: tuple[Path, str],
) -> None:
    """The walk-through is the demo's own: the demo ran its lines.  The others run in README
    order, in one shell with the venv active, as a reader would type them; a line setting the
    environment (`export …`) runs too, for the lines after it rely on it."""
    folder, output = after_demo
    demo = [line[2:] for line in output.splitlines() if line.startswith("$ ")]
    walked = walk_through()
    assert [line.text for line in walked] == demo
    exported = [line for line in code_lines() if line.text.startswith("export ")]
    runnable = sorted(
        {
            *(line for line in workplan_lines() if line.text not in ILLUSTRATIVE),
            *exported,
        }
        - set(walked),
        key=lambda line: line.number,
    )
    missing = sorted({p for line in runnable for p in NEEDS.get(line.text, ()) if not installed(p)})
    ran = [line for line in runnable if not set(NEEDS.get(line.text, ())) & set(missing)]
    out = folder / "readme-lines"
    out.mkdir()
    script = "".join(
        f"{{ {line.text}\n}} >{out}/{line.number}.txt 2>&1 </dev/null; echo $? >{out}/{line.number}.rc\n"
        for line in ran
    )
    subprocess.run(
        ["bash", "-c", script], cwd=folder, env=shell(active=True), check=True, timeout=900
    )
    wrong = []
    for line in ran:
        printed = (out / f"{line.number}.txt").read_text(encoding="utf-8", errors="replace")
        status = int((out / f"{line.number}.rc").read_text())
        first = printed.splitlines()[0] if printed else ""
        if status != REFUSED.get(line.text, 0) or (line.text in REFUSED and first != line.shown):
            wrong.append(
                f"README line {line.number}: {line.text}\n  exit {status}: {printed[-800:]}"
            )
    assert not wrong, "\n".join(wrong)
    assert len(ran) >= 15
    if missing:
        needs(*missing)


def test_a_test_that_needs_a_missing_package_skips_naming_it_and_fails_under_ci(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no chromium, fc-list or pdftotext on it
    monkeypatch.delenv("CI", raising=False)
    line = (
        "needs chromium, fonts-noto-cjk, poppler-utils: "
        "apt-get install chromium fonts-noto-cjk poppler-utils"
    )
    with pytest.raises(pytest.skip.Exception) as skipped:
        needs("chromium", "fonts-noto-cjk", "poppler-utils")
    assert str(skipped.value) == line
    monkeypatch.setenv("CI", "true")  # .ci/run: they are installed, so they must run
    with pytest.raises(pytest.fail.Exception) as failed:
        needs("chromium")
    assert str(failed.value).startswith("needs chromium: apt-get install chromium")
