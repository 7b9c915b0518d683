"""Everything a clerk reads is Chinese when the plan is: every command's output after
`workplan demo` (the plan's locale zh-CN), its refusals and its `--help`, and the office's
and the departments' pages hold no English word but names, numbers, units, file names and 文号;
`--lang en` gives English."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import click
import pytest

from tests.english import english_words
from tests.helpers import PLANS, ROOT, run
from workplan.cli.commands import cli

PLAN, LEDGER = str(PLANS / "banan-2023.yaml"), str(PLANS / "banan-2023-ledger.csv")
NOTICE, DEPARTMENTS = str(PLANS / "banan-2023-notice.txt"), str(PLANS / "banan-departments.yaml")
LISTS = str(PLANS / "banan-2023-lists.xlsx")


def leaves(group: click.Group = cli, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Yield every command the root group holds, as typed (`event record`, `notices`)."""
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            if command.invoke_without_command:  # `notices` lists, `notices resend` resends
                yield (*path, name)
            yield from leaves(command, (*path, name))
        else:
            yield (*path, name)


def groups(group: click.Group = cli, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Yield the root and every group under it."""
    yield path
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from groups(command, (*path, name))


Arg = str | Callable[[Path], str]
Case = tuple[str, tuple[Arg, ...], int] | tuple[str, tuple[Arg, ...], int, str]
OFFICE, FINANCE, HOUSING, ALIEN = "区委农办", "区财政局", "区住房城乡建委", "区外星局"
# no plan at hand, or refused before one is read (a command line click cannot take, a file
# that is no plan): the environment's LANG decides (test_without_a_plan_lang_decides)
LANG = "LANG"
NO_PLAN = {"schema", "templates check", "password-hash"}


def _raised(folder: Path) -> str:
    """The number of the problem raised, for `problem decide`."""
    db = str(folder / "workplan.db")
    return str(json.loads(run("problem", "list", "--format", "json", "--db", db).output)[0]["编号"])


def cases(folder: Path) -> list[Case]:
    """Each command's typical success and one typical refusal, in the order they run on the
    demo's database (the cycle's steps follow one another)."""
    db = ("--db", str(folder / "workplan.db"))
    out = str(folder / "out")

    def on(day: str) -> tuple[str, ...]:
        return ("--on", day, *db)

    broken = folder / "templates"
    broken.mkdir(exist_ok=True)
    (broken / "zh-CN").mkdir(exist_ok=True)
    (broken / "zh-CN" / "reminder.txt.j2").write_text("{{ oops(", encoding="utf-8")
    return [
        ("validate", (PLAN,), 0),
        ("validate", (LISTS,), 2, LANG),
        ("schema", ("-o", f"{out}-schema.json"), 0),
        ("schema", ("-o", str(folder / "no" / "s.json")), 2),
        ("draft", (NOTICE, "--directory", DEPARTMENTS, "-o", f"{out}-draft.yaml"), 0),
        ("draft", (LEDGER,), 2, LANG),
        ("load", (PLAN, *db), 0),
        ("load", (LEDGER, *db), 2, LANG),
        ("plan export", ("-o", f"{out}-table.xlsx", *db), 0),
        ("plan export", ("-o", f"{out}-t.xlsx", "--plan", "banan-2024", *db), 2),
        (
            "plan import",
            (f"{out}-table.xlsx", "--onto", "banan-2023", "-o", f"{out}-p.yaml", *db),
            0,
        ),
        ("plan import", (LEDGER, "-o", f"{out}-p2.yaml"), 2, LANG),
        ("status", ("--as-of", "2023-07-21", *db), 0),
        ("status", ("--as-of", "2023-07-21", "--department", FINANCE, *db), 0),
        ("status", ("--plan", "banan-2024", *db), 2),
        ("tick", ("--as-of", "2023-07-24", *db), 0),
        ("tick", ("--as-of", "2023-07-24", "--db", out), 1, LANG),
        ("simulate", (PLAN, "--from", "2023-07-01", "--to", "2023-07-31", "--summary"), 0),
        ("simulate", (PLAN, "--from", "2023-07-31", "--to", "2023-07-01"), 2),
        ("agenda", ("--from", "2023-07-21", "--to", "2023-08-10", *db), 0),
        ("agenda", ("--from", "2023-08-10", "--to", "2023-07-21", *db), 2),
        ("notices", ("--limit", "12", *db), 0),
        ("notices", ("--show", "999999", *db), 2),
        (
            "progress record",
            (
                "16",
                "区级衔接资金支出进度",
                "--value",
                "60%",
                "--as-of",
                "2023-07-21",
                "--by",
                FINANCE,
                *db,
            ),
            0,
        ),
        ("progress record", ("99", "x", "--value", "1", "--by", FINANCE, *db), 2),
        ("progress import", (LEDGER, *db), 0),
        ("progress import", (NOTICE, *db), 2),
        (
            "ledger template",
            ("--department", FINANCE, "--month", "2023-07", "-o", f"{out}-form.xlsx", *db),
            0,
        ),
        (
            "ledger template",
            ("--department", ALIEN, "--month", "2023-07", "-o", f"{out}-f.xlsx", *db),
            2,
        ),
        ("event record", ("job-loss-found", "--note", "南泉街道2人失业", *on("2023-06-16")), 0),
        ("event record", ("job-loss-found", *on("2023-06-16")), 2),
        ("event list", db, 0),
        ("event list", ("--plan", "banan-2024", *db), 2),
        ("done", ("8/recommend-jobs@2023-06-16", "--by", "区人力社保局", *on("2023-06-20")), 0),
        ("done", ("8", "--by", "区人力社保局", *on("2023-06-20")), 2),
        (
            "extend",
            (
                "16/project-library-2025",
                "--to",
                "2024-01-25",
                "--by",
                OFFICE,
                "--reason",
                "市级审核时间调整",
                *db,
            ),
            0,
        ),
        (
            "extend",
            (
                "16/project-library-2025",
                "--to",
                "2024-01-30",
                "--by",
                FINANCE,
                "--reason",
                "x",
                *db,
            ),
            2,
        ),
        (
            "assign",
            (
                "排查农村危房并建立台账",
                "--source",
                "领导批示",
                "--leader",
                "张三",
                "--lead",
                HOUSING,
                "--due",
                "2023-08-31",
                "--by",
                OFFICE,
                *on("2023-07-03"),
            ),
            0,
        ),
        (
            "assign",
            (
                "排查",
                "--source",
                "领导批示",
                "--lead",
                ALIEN,
                "--due",
                "2023-08-31",
                "--by",
                OFFICE,
                *on("2023-07-03"),
            ),
            2,
        ),
        ("receipt", ("交办1", "--by", HOUSING, *on("2023-07-04")), 0),
        ("receipt", ("交办1", "--by", FINANCE, *on("2023-07-04")), 2),
        (
            "request",
            (
                "交办1",
                "--by",
                HOUSING,
                "--to",
                "2023-09-30",
                "--reason",
                "需等待市级鉴定数据",
                *on("2023-08-20"),
            ),
            0,
        ),
        (
            "request",
            ("交办1", "--by", HOUSING, "--to", "2023-09-30", "--reason", "晚了", *on("2023-09-20")),
            2,
        ),
        (
            "answer",
            ("交办1", "--refuse", "--by", OFFICE, "--reason", "时限不变", *on("2023-08-21")),
            0,
        ),
        ("answer", ("交办1", "--approve", "--by", OFFICE, *on("2023-08-22")), 2),
        ("done", ("交办1", "--by", HOUSING, *on("2023-08-25")), 0),
        (
            "review",
            (
                "交办1",
                "--return",
                "--by",
                OFFICE,
                "--reason",
                "台账缺少鉴定等级",
                *on("2023-08-28"),
            ),
            0,
        ),
        ("review", ("交办1", "--return", "--by", OFFICE, *on("2023-08-28")), 2),
        ("done", ("交办1", "--by", HOUSING, *on("2023-08-30")), 0),
        ("review", ("交办1", "--accept", "--by", OFFICE, *on("2023-08-31")), 0),
        ("problem raise", ("二", "危房鉴定机构不足", "--by", "区教委", *on("2023-07-10")), 0),
        ("problem raise", ("九十九", "x", "--by", "区教委", *on("2023-07-10")), 2),
        ("problem list", db, 0),
        ("problem list", ("--plan", "banan-2024", *db), 2),
        ("problem decide", (_raised, "由区住房城乡建委统筹", "--by", OFFICE, *on("2023-07-12")), 0),
        ("problem decide", ("99", "x", "--by", OFFICE, *db), 2),
        ("pause", ("十六", "--by", OFFICE, "--reason", "等待市级审核", *on("2023-07-03")), 0),
        ("pause", ("十六", "--by", OFFICE, "--reason", "again", *on("2023-07-04")), 2),
        ("resume", ("十六", "--by", OFFICE, *on("2023-07-10")), 0),
        ("resume", ("十六", "--by", OFFICE, *on("2023-07-11")), 2),
        ("history", ("交办1", *db), 0),
        ("history", ("交办99", *db), 2),
        ("list import", (LISTS, "--item", "二", "--by", OFFICE, *on("2023-06-01")), 0),
        ("list import", (LISTS, "--item", "九十九", "--by", OFFICE, *on("2023-06-01")), 2),
        ("signoff", ("交办2", "--by", OFFICE, "--force", *db), 0),
        ("signoff", ("十六", "--by", FINANCE, *db), 2),
        ("score", ("--month", "2023-07", "--as-of", "2023-12-31", *db), 0),
        ("score", ("--month", "2023-07", "--quarter", "2023-Q3", *db), 2, LANG),
        ("month close", ("2023-07", *db), 0),
        ("month close", ("2031-07", *db), 2),
        ("drift", db, 0),
        ("drift", ("--department", ALIEN, *db), 2),
        ("brief", ("--month", "2023-07", "-o", f"{out}-brief.html", *db), 0),
        ("brief", ("--month", "2023-07", "-o", f"{out}-brief.doc", *db), 2, LANG),
        ("bulletin", ("--month", "2023-07", "-o", f"{out}-bulletin.html", *db), 0),
        ("bulletin", ("--month", "2023-13", "-o", f"{out}-b.html", *db), 2, LANG),
        ("channels check", db, 2),
        ("channels check", ("--config", NOTICE, *db), 2),
        ("dispatch", ("--dry-run", "--now", "2023-07-24T09:00", "--outbox", out, *db), 0),
        ("dispatch", ("--now", "2023-07-24T09:00", "--config", NOTICE, *db), 2),
        ("run", ("--once", "--now", "2023-07-24T09:00", "--outbox", out, *db), 0),
        ("run", ("--once", "--config", NOTICE, *db), 2),
        ("notices resend", ("--since", "2023-07-01", *db), 0),
        ("notices resend", ("--since", "2023年13月1日", *db), 2, LANG),
        ("templates check", (), 0),
        ("templates check", ("--templates", str(broken)), 2),
        ("upgrade", ("--dry-run", *db), 0),
        ("upgrade", ("--db", str(folder / "none" / "x.db")), 1, LANG),
        ("links new", ("--department", FINANCE, *db), 0),
        ("links new", ("--department", ALIEN, *db), 2),
        ("links revoke", ("--department", FINANCE, *db), 0),
        ("links revoke", db, 2, LANG),
        ("password-hash", ("--password", "change me"), 0),
        ("password-hash", ("--password", "x", "--pasword", "y"), 2, LANG),
        ("serve", db, 2, LANG),  # it serves until stopped: its pages are walked below
        ("demo", ("--plan-file", LEDGER, "--dir", str(folder / "demo2")), 2, LANG),
    ]


ENV = {
    "WORKPLAN_LINK_SECRET": "walk-secret-0123456789abcdef",
    "WORKPLAN_BASE_URL": "https://dc.example/",
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's folder, after it ran as the office runs it; its narration in narration.txt."""
    folder = tmp_path_factory.mktemp("demo")
    said = run("demo", "--plan-file", PLAN, "--ledger", LEDGER, "--dir", str(folder), columns=200)
    (folder / "narration.txt").write_text(said.output, encoding="utf-8")
    return folder


def walk(folder: Path, *lang: str) -> list[tuple[str, int, str]]:
    """Run every case as the office types it; return each command, its exit status and what
    it said."""
    said = []
    for name, args, code, *speaks in cases(folder):
        chinese = not lang and (name in NO_PLAN or speaks == [LANG])
        env = {**ENV, "LANG": "zh_CN.UTF-8" if chinese else "C.UTF-8"}
        typed = [a(folder) if callable(a) else a for a in args]
        result = run(*lang, *name.split(), *typed, code=code, columns=200, env=env)
        said.append((name, code, result.output))
    return said


@pytest.fixture(scope="module")
def walked(demo: Path) -> list[tuple[str, int, str]]:
    """Every case, walked once on the demo's database in its plan's language."""
    narrated = (demo / "narration.txt").read_text(encoding="utf-8")
    return [("demo", 0, narrated), *walk(demo)]


def _english(walked: list[tuple[str, int, str]]) -> dict[tuple[str, int], list[list[str]]]:
    found: dict[tuple[str, int], list[list[str]]] = {}
    for name, code, output in walked:
        english = english_words(output)
        if english:
            found.setdefault((name, code), []).append(english[:8])
    return found


def test_every_command_has_its_cases(tmp_path: Path) -> None:
    """A new command without a case here fails: each is walked in Chinese and in English."""
    walked = {name for name, *_rest in cases(tmp_path)}
    assert walked == {" ".join(path) for path in leaves()}


def test_every_command_speaks_chinese_after_the_demo(walked: list[tuple[str, int, str]]) -> None:
    found = _english(walked)
    assert found == {}


@pytest.mark.parametrize("path", [*groups(), *leaves()], ids=" ".join)
def test_every_help_speaks_chinese(path: tuple[str, ...]) -> None:
    said = run(*path, "--help", env={"LANG": "zh_CN.UTF-8"}).output
    assert english_words(said) == [], said
    english = run("--lang", "en", *path, "--help", env={"LANG": "zh_CN.UTF-8"}).output
    assert english.startswith("Usage: ") and "用法" not in english and "选项" not in english


def _catalog_chinese(typed: str) -> set[str]:
    """The Chinese of the catalog's messages, in runs of four characters or more, less those
    the plan's own files or the cases ``typed`` hold (a title is said as written, in any
    language)."""
    from babel.messages.pofile import read_po

    po = ROOT / "workplan" / "locale" / "zh_CN" / "LC_MESSAGES" / "workplan.po"
    runs = {
        run
        for message in read_po(po.open("rb"))
        for string in ([message.string] if isinstance(message.string, str) else message.string)
        for run in re.findall(r"[\u4e00-\u9fff]{4,}", string)
    }
    data = "".join(Path(f).read_text(encoding="utf-8") for f in (PLAN, LEDGER, DEPARTMENTS))
    data += typed
    return {r for r in runs if r not in data}


def test_lang_en_walks_in_english(tmp_path: Path) -> None:
    """The same walk with --lang en: no Chinese of the catalog's (the plan's names stay)."""
    narrated = run(
        "--lang", "en", "demo", "--plan-file", PLAN, "--ledger", LEDGER, "--dir", str(tmp_path)
    ).output
    chinese = _catalog_chinese(" ".join(str(a) for case in cases(tmp_path) for a in case[1]))
    found = {}
    for name, _code, output in [("demo", 0, narrated), *walk(tmp_path, "--lang", "en")]:
        output = re.sub(r"(?ms)^Subject: .*?(?=^\$ |\Z)", "", output)  # a letter, as it was sent
        said = sorted(c for c in chinese if c in output)
        if said:
            found.setdefault(name, []).append(said[:4])
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
