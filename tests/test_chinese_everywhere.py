"""Everything a clerk reads is Chinese when the plan is: every command's output after
`workplan demo` (the plan's locale zh-CN) and the office's pages hold no English word but
names, numbers, units, file names and 文号; `--lang en` gives English."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.helpers import PLANS, TODAY, make_site, run

PLAN, LEDGER = str(PLANS / "banan-2023.yaml"), str(PLANS / "banan-2023-ledger.csv")

# what may stay in Latin letters: the words a clerk types or a machine reads back
ALLOWED = {
    "ID",  # the notices' number column, as `notices --show ID` takes it
    "SMTP",
    "TOML",
    "Message-ID",  # a letter's headers, as it was sent
    "From",
    "To",
    "Subject",
}
NAMES = [
    r"\S+@\S+",  # e-mail addresses
    r"https?://\S+",
    r"\bworkplan(?: [a-z][a-z-]*)*",  # a command to type, and its subcommands
    r"--[a-z][a-z-]*",  # its options
    r"\bWORKPLAN_[A-Z_]+",  # the environment's settings
    r"[\w.-]*[/\\][\w./\\-]*",  # paths
    r"\b[\w.-]+\.(?:yaml|csv|xlsx|html|pdf|db|eml|toml)\b",  # file names
    r"banan-2023",  # the plan's id
    r"\[smtp\]|\[robots\.[^\]]*\]",  # the config's sections
    r"\b[a-z]+(?:-[a-z0-9]+)+(?:[#@][\w-]+)?",  # a key in the plan (project-library-2025)
]


def english_words(text: str) -> list[str]:
    """Return the words in Latin letters that are neither a name nor allowed."""
    for pattern in NAMES:
        text = re.sub(pattern, " ", text)
    return [w for w in re.findall(r"[A-Za-z][A-Za-z-]+", text) if w not in ALLOWED]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    run("demo", "--plan-file", PLAN, "--ledger", LEDGER, "--dir", str(folder))
    return folder


def _commands(folder: Path) -> list[tuple[tuple[str, ...], int]]:
    db = ("--db", str(folder / "workplan.db"))
    out = str(folder / "out")
    return [
        (("validate", PLAN), 0),
        (("status", "--as-of", "2023-07-21", *db), 0),
        (("status", "--as-of", "2023-07-21", "--department", "区财政局", *db), 0),
        (("tick", "--as-of", "2023-07-24", *db), 0),
        (("notices", "--limit", "12", *db), 0),
        (("notices", "--show", _a_notice(folder), *db), 0),
        (("agenda", "--from", "2023-07-21", "--to", "2023-08-10", *db), 0),
        (("progress", "record", "16", "区级衔接资金支出进度", "--value", "60%"), 0),
        (("progress", "import", LEDGER, *db), 0),
        (("ledger", "template", "--department", "区财政局", "--month", "2023-07"), 0),
        (("brief", "--month", "2023-07", "-o", f"{out}-brief.html", *db), 0),
        (("bulletin", "--month", "2023-07", "-o", f"{out}-bulletin.html", *db), 0),
        (("channels", "check", *db), 2),
        (("dispatch", "--dry-run", "--now", "2023-07-24T09:00", "--outbox", out, *db), 0),
        (("run", "--once", "--now", "2023-07-24T09:00", "--outbox", out, *db), 0),
        (("upgrade", "--dry-run", *db), 0),
        (("progress", "record", "99", "x", "--value", "1", "--by", "区财政局", *db), 2),
        (("status", "--plan", "banan-2024", *db), 2),
    ]


def _a_notice(folder: Path) -> str:
    """The id of a notice the demo stored, for `notices --show`."""
    listed = run("notices", "--format", "json", "--limit", "1", "--db", str(folder / "workplan.db"))
    return str(json.loads(listed.stdout)[0]["id"])


def _with_db(args: tuple[str, ...], folder: Path) -> tuple[str, ...]:
    if "--db" in args or args[0] in ("validate", "templates"):
        return args
    extra: tuple[str, ...] = ("--db", str(folder / "workplan.db"))
    if args[:2] == ("progress", "record"):
        extra += ("--as-of", "2023-07-21", "--by", "区财政局")
    if args[:2] == ("ledger", "template"):
        extra += ("-o", str(folder / "form.xlsx"))
    return (*args, *extra)


def test_every_command_speaks_chinese_after_the_demo(demo: Path) -> None:
    found = {}
    for args, code in _commands(demo):
        result = run(*_with_db(args, demo), code=code, columns=200)
        english = english_words(result.output)
        if english:
            found[" ".join(args[:2])] = english[:8]
    assert found == {}


def test_without_a_plan_lang_decides(demo: Path) -> None:
    """No plan at hand (the templates): the environment's LANG, or --lang, decides."""
    said = run("templates", "check", env={"LANG": "zh_CN.UTF-8"}).output
    assert english_words(said) == [], said
    assert run("templates", "check", env={"LANG": "C.UTF-8"}).output.startswith("templates ok")
    assert "模板检查通过" in run("--lang", "zh", "templates", "check").output


def test_lang_en_speaks_english(demo: Path) -> None:
    db = ("--db", str(demo / "workplan.db"))
    said = run("--lang", "en", "tick", "--as-of", "2023-07-24", *db).output
    assert "notices owed" in said and "应发通知" not in said
    said = run("--lang", "en", "status", "--plan", "banan-2024", *db, code=2).output
    assert said == "error: no plan 'banan-2024'; did you mean 'banan-2023'?\n"


@pytest.mark.db
def test_the_office_pages_speak_chinese(db_url: str, tmp_path: Path) -> None:
    site = make_site(db_url, tmp_path, PLANS / "banan-2023.yaml", TODAY)
    run("progress", "import", LEDGER, "--db", db_url)
    run("tick", "--as-of", "2023-05-31", "--db", db_url)
    run("dispatch", "--now", "2023-05-31T09:00", "--outbox", str(tmp_path / "out"), "--db", db_url)
    with site.client:
        site.login()
        pages = ["/office", "/office/notices", "/office/notices?status=sent", "/office/item/16"]
        found = {}
        for page in pages:
            response = site.client.get(page)
            assert response.status_code == 200, response.text
            text = re.sub(
                r"<[^>]+>",
                " ",
                re.sub(r"<(script|style)[^>]*>.*?</\1>", "", response.text, flags=re.S),
            )
            english = english_words(text)
            if english:
                found[page] = english[:8]
        assert found == {}


def test_the_briefs_workbook_says_yes_no_and_the_leadership_by_name(demo: Path) -> None:
    from openpyxl import load_workbook

    target = demo / "brief.xlsx"
    run("brief", "--month", "2023-07", "-o", str(target), "--db", str(demo / "workplan.db"))
    book = load_workbook(target)
    cells = [c.value for ws in book.worksheets for row in ws.iter_rows() for c in row]
    assert not any(isinstance(v, bool) for v in cells)  # 是/否, never TRUE/FALSE
    assert {"是", "否"} & set(cells)
    recipients = [row[1] for row in book["本月通知"].iter_rows(min_row=2, values_only=True)]
    assert "@leadership" not in recipients
    html = demo / "brief.html"
    run("brief", "--month", "2023-07", "-o", str(html), "--db", str(demo / "workplan.db"))
    assert "@leadership" not in html.read_text(encoding="utf-8")
