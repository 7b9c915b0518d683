"""Plan validation reports every mistake at once, each precisely placed.

Each case maps an input (a file under tests/plans/invalid/, a near-copy of
tests/plans/valid/minimal.yaml with one or two mistakes, or a generated file) to the full list
of problem lines, ``file:line:col: field: message``, in the order they are printed.  In an
expected line, ANY stands for any text (for a message whose full wording another module owns).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from workplan.cli.commands import cli
from workplan.errors import Problem
from workplan.plan.validate import read_plan, validate_files

TESTS = Path(__file__).resolve().parent.parent
MINIMAL = TESTS / "plans" / "valid" / "minimal.yaml"
EXAMPLE = TESTS.parent / "plans" / "example.yaml"
LINE = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<field>[\w.\[\]]+): \S")


ANY = "<any text>"


def lines(problems: list[Problem]) -> list[str]:
    return [str(p) for p in problems]


def assert_lines(got: list[str], expected: list[str]) -> None:
    """Compare problem lines exactly; ANY in an expected line stands for any text."""
    assert len(got) == len(expected), "\n".join(got)
    for g, e in zip(got, expected, strict=True):
        pattern = ".*".join(re.escape(part) for part in e.split(ANY))
        assert re.fullmatch(pattern, g), f"{g!r} does not match {e!r}"


@pytest.fixture
def in_tests(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run from tests/ so that problem lines name files as plans/invalid/x.yaml."""
    monkeypatch.chdir(TESTS)
    return TESTS


# --------------------------------------------------------------------------------------------
# The committed invalid plans: every problem of each file, at once.

T = "chapters[0].tasks[0]"

FILES: dict[str, list[str]] = {
    "keys.yaml": [
        "plans/invalid/keys.yaml:5:11: timezone: unknown time zone 'Asia/Chongqing-West'"
        " (e.g. Asia/Shanghai)",
        f"plans/invalid/keys.yaml:18:9: {T}.titel: unknown key 'titel'; did you mean 'title'?",
        f"plans/invalid/keys.yaml:22:14: {T}.co[0]: unknown department '区财政委';"
        " did you mean '区财政局'?",
        f"plans/invalid/keys.yaml:23:9: {T}.colour: unknown key 'colour' (known keys: number,"
        " title, text, lead, co, policy, deliverables, recurring, standing, metrics, triggered, strength, key,"
        " needs_review)",
        f"plans/invalid/keys.yaml:28:13: {T}.deliverables[0].due: duplicate key 'due' (first"
        " written at line 27); YAML would silently keep only the last one",
    ],
    "missing.yaml": [
        "plans/invalid/missing.yaml:2:5: id: 'Missing_2023' is not an id: use lower-case"
        " letters, digits and '-', e.g. 'monthly-report'",
        "plans/invalid/missing.yaml:4:7: year: expected a whole number, got 'twenty'",
        f"plans/invalid/missing.yaml:13:9: {T}.text: missing required key 'text'",
        # the wording is plan.py's: the test asks for the place and the example it gives
        f"plans/invalid/missing.yaml:19:18: {T}.deliverables[0].due: {ANY}date (2023-06-30){ANY}",
    ],
    "traps.yaml": [
        "plans/invalid/traps.yaml:6:9: issued: 2023-02-30 is not a real date"
        " (day is out of range for month)",
        "plans/invalid/traps.yaml:11:15: departments[0].aliases[0]: YAML 1.1 reads no as false;"
        " write 'no' in quotes for text, or true/false for a yes/no setting",
        "plans/invalid/traps.yaml:15:11: notices.run_at: YAML 1.1 reads 10:00 as the number 600;"
        " write it in quotes: '10:00'",
        f"plans/invalid/traps.yaml:24:13: {T}.co[0]: unknown department '区财政委';"
        " did you mean '区财政局'?",
        f"plans/invalid/traps.yaml:27:20: {T}.deliverables[0].title: YAML 1.1 reads 0755 as the"
        " octal number 493; write it in quotes ('0755') or without the leading zero",
    ],
    "dates.yaml": [
        "plans/invalid/dates.yaml:14:5: policy.escalate: escalation levels must be distinct and"
        " ascending (1, 2, 3 …), not 2, 1",
        f"plans/invalid/dates.yaml:28:18: {T}.deliverables[0].due: due date 2024-01-15 is outside"
        " the plan's period 2023-01-01 – 2023-12-31; widen 'period:' if this is intended",
        f"plans/invalid/dates.yaml:31:17: {T}.deliverables[0].policy.escalate: each level must"
        " come more working days after the due date than the one before, not after: 5, 3",
        f"plans/invalid/dates.yaml:35:18: {T}.deliverables[1].due: due date 2024-03-31 is outside"
        " the plan's period 2023-01-01 – 2023-12-31; widen 'period:' if this is intended",
        f"plans/invalid/dates.yaml:42:41: {T}.metrics[0].checkpoints[1].value: a cumulative"
        " value goes down: 45 after 50; correct it, or write 'cumulative: false'",
        f"plans/invalid/dates.yaml:48:41: {T}.metrics[1].checkpoints[0].value: value 'pace'"
        " (序时进度) needs the metric's 'target:' and 'pace:'",
        f"plans/invalid/dates.yaml:55:19: {T}.metrics[2].pace: pace (序时进度) needs the"
        " metric's 'target:'",
    ],
    "recurrences.yaml": [
        f"plans/invalid/recurrences.yaml:20:20: {T}.recurring[0].every: every: term needs the"
        " school terms under calendar.terms",
        f"plans/invalid/recurrences.yaml:23:20: {T}.recurring[1].rrule: FREQ=HOURLY is finer"
        " than a day: use DAILY, WEEKLY, MONTHLY or YEARLY",
        f"plans/invalid/recurrences.yaml:26:20: {T}.recurring[2].rrule: the rule has no"
        " occurrence between 2023-01-01 and 2023-12-31 (are its filters possible?)",
        f"plans/invalid/recurrences.yaml:29:20: {T}.recurring[3].rrule: the rule gives more than"
        " 400 occurrences, the limit for one duty; end it sooner with UNTIL=, COUNT= or 'until:'",
        f"plans/invalid/recurrences.yaml:32:20: {T}.recurring[4].rrule: the rule never ends:"
        " add UNTIL=, COUNT= or 'until:'",
        f"plans/invalid/recurrences.yaml:35:20: {T}.recurring[5].rrule: not a valid RRULE"
        " (invalid 'BYMONTHDAY': BANANA)",
    ],
    "linebreaks.yaml": [
        "plans/invalid/linebreaks.yaml:7:12: leadership[0].name: must be a single line:"
        " it contains a line break or NUL",
        "plans/invalid/linebreaks.yaml:11:11: departments[1].name: must be a single line:"
        " it contains a line break or NUL",
        "plans/invalid/linebreaks.yaml:12:32: departments[1].email[1]: must be a single line:"
        " it contains a line break or NUL",
        "plans/invalid/linebreaks.yaml:13:18: departments[1].head.name: must be a single line:"
        " it contains a line break or NUL",
        "plans/invalid/linebreaks.yaml:13:35: departments[1].head.email: must be a single line:"
        " it contains a line break or NUL",
        f"plans/invalid/linebreaks.yaml:19:16: {T}.title: must be a single line:"
        " it contains a line break or NUL",
    ],
    "duplicates.yaml": [
        "plans/invalid/duplicates.yaml:12:11: departments[2].name: department '区财政局' is"
        " named twice (first at line 10)",
        "plans/invalid/duplicates.yaml:16:15: departments[3].aliases[0]: department '区乡村振兴局'"
        " is named twice (first at line 8)",
        f"plans/invalid/duplicates.yaml:27:18: {T}.deliverables[1].id: id 'project-library' is"
        " used twice in item 1",
        "plans/invalid/duplicates.yaml:28:17: chapters[0].tasks[1].number: item 1 is repeated"
        " (first at line 21)",
        "plans/invalid/duplicates.yaml:31:15: chapters[0].tasks[1].lead[0]: unknown department"
        " '区财政委'; did you mean '区财政局'?",
    ],
    # the directory file's own mistakes name the directory file
    "directory.yaml": [
        f"plans/invalid/directory.yaml:15:14: {T}.co[0]: unknown department '区财政委';"
        " did you mean '区财政局'?",
        "plans/invalid/dirs/departments.yaml:5:5: departments[0].heda: unknown key 'heda';"
        " did you mean 'head'?",
        "plans/invalid/dirs/departments.yaml:8:11: departments[2].name: department '区乡村振兴局'"
        " is named twice (first at line 3)",
    ],
}


@pytest.mark.parametrize("name", sorted(FILES))
def test_invalid_file_reports_every_problem(in_tests: Path, name: str) -> None:
    plans, problems = validate_files([Path("plans/invalid") / name])
    assert plans == []
    assert_lines(lines(problems), FILES[name])


def test_every_committed_invalid_file_has_a_case() -> None:
    committed = {p.name for p in (TESTS / "plans" / "invalid").glob("*.yaml")}
    assert committed == set(FILES)


def test_problems_of_several_files_come_together(in_tests: Path) -> None:
    names = ["keys.yaml", "dates.yaml", "traps.yaml"]
    plans, problems = validate_files([Path("plans/invalid") / n for n in names])
    assert plans == []
    assert_lines(lines(problems), [line for n in names for line in FILES[n]])


# --------------------------------------------------------------------------------------------
# Valid plans.


@pytest.mark.parametrize("path", [MINIMAL, EXAMPLE], ids=["minimal", "example"])
def test_valid_plan_passes(path: Path) -> None:
    plans, problems = validate_files([path])
    assert problems == []
    assert [p.path for p in plans] == [path]


def test_minimal_plan_compiles_to_its_obligations() -> None:
    compiled = read_plan(MINIMAL).compiled
    assert compiled.office == "区乡村振兴局"
    assert [d.name for d in compiled.departments] == ["区乡村振兴局", "区财政局"]
    due = {o.key: o.due.isoformat() for o in compiled.obligations}
    assert due["project-library"] == "2023-12-31"
    assert due["dispatch@2023-02"] == "2023-02-25"
    assert due["disbursement#1"] == "2023-06-30"
    assert due["disbursement#target"] == "2023-12-31"
    assert len(due) == 1 + 12 + 2


# --------------------------------------------------------------------------------------------
# Near-copies of minimal.yaml: (id, replacements in its text, expected lines with {f} for the
# file).  An empty list of lines means the changed plan is valid.

Change = tuple[str, str]

MUTATIONS: list[tuple[str, list[Change], list[str]]] = [
    (
        "control-characters-in-names",
        [
            ("head: {name: 局长,", 'head: {name: "局\\v长",'),
            ("title: 强化衔接资金管理", 'title: "强化\\x1c衔接\\x1d资金\\x1e管理"'),
            ("title: 完成项目库建设", 'title: "完成项目库建设\\f"'),
            ("title: 资金管理", 'title: "资金\\u2029管理"'),
        ],
        [
            "{f}:9:18: departments[0].head.name: must be a single line: it contains the control"
            " character U+000B",
            "{f}:14:12: chapters[0].title: must be a single line: it contains a line break or NUL",
            f"{{f}}:17:16: {T}.title: must be a single line: it contains the control character"
            " U+001C",
            f"{{f}}:23:20: {T}.deliverables[0].title: must be a single line: it contains the"
            " control character U+000C",
        ],
    ),
    (
        "period-allows-next-year",
        [
            ("year: 2023\n", "year: 2023\nperiod: {start: 2023-01-01, end: 2024-03-31}\n"),
            ("due: year-end", "due: 2024-Q1"),
        ],
        [],
    ),
    (
        "without-period-next-year-is-outside",
        [("due: year-end", "due: 2024-Q1")],
        [
            f"{{f}}:24:18: {T}.deliverables[0].due: due date 2024-03-31 is outside the plan's"
            " period 2023-01-01 – 2023-12-31; widen 'period:' if this is intended"
        ],
    ),
    (
        "checkpoint-before-the-year",
        [("{by: 2023-06-30, value: 50}", "{by: 2022-12-31, value: 50}")],
        [
            f"{{f}}:35:22: {T}.metrics[0].checkpoints[0].by: checkpoint 2022-12-31 is outside"
            " the plan's period 2023-01-01 – 2023-12-31; widen 'period:' if this is intended"
        ],
    ),
    (
        "until-past-the-year",
        [("day: 25\n", "day: 25\n            until: 2024-06-30\n")],
        [
            f"{{f}}:30:20: {T}.recurring[0].until: date 2024-06-30 is outside the plan's period"
            " 2023-01-01 – 2023-12-31; widen 'period:' if this is intended"
        ],
    ),
    (
        "terms-given",
        [
            (
                "departments:\n",
                "period: {start: 2023-01-01, end: 2024-01-31}\n"
                "calendar:\n  terms:\n"
                "    - {name: 春季学期, start: 2023-02-13, end: 2023-07-07}\n"
                "    - {name: 秋季学期, start: 2023-09-01, end: 2024-01-19}\n"
                "departments:\n",
            ),
            ("every: month\n            day: 25", "every: term"),
        ],
        [],
    ),
    (
        "term-ends-next-year-without-period",
        [
            (
                "departments:\n",
                "calendar:\n  terms:\n"
                "    - {name: 春季学期, start: 2023-02-13, end: 2023-07-07}\n"
                "    - {name: 秋季学期, start: 2023-09-01, end: 2024-01-19}\n"
                "departments:\n",
            ),
            ("every: month\n            day: 25", "every: term"),
        ],
        [
            f"{{f}}:32:20: {T}.recurring[0].every: occurrence 2024-01-19 is outside the plan's"
            " period 2023-01-01 – 2023-12-31; widen 'period:' if this is intended"
        ],
    ),
    (
        "rrule-weekly-until",
        [("every: month\n            day: 25", "rrule: FREQ=WEEKLY;BYDAY=FR;UNTIL=20231229")],
        [],
    ),
    (
        "rrule-count-runs-past-the-year",
        [("every: month\n            day: 25", "rrule: FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=24")],
        [
            f"{{f}}:28:20: {T}.recurring[0].rrule: the rule runs past 2023-12-31 (to"
            " 2024-12-31), the end of the plan's period; end it earlier with UNTIL= or COUNT=,"
            " or widen 'period:'"
        ],
    ),
    (
        "rrule-line-break",
        [("every: month\n            day: 25", 'rrule: "FREQ=DAILY;\\nCOUNT=3"')],
        [f"{{f}}:28:20: {T}.recurring[0].rrule: an RRULE is one line"],
    ),
    (
        "every-and-rrule",
        [("day: 25", "rrule: FREQ=MONTHLY;COUNT=3")],
        [f"{{f}}:26:13: {T}.recurring[0]: give exactly one of 'every' and 'rrule'"],
    ),
    (
        "every-misspelt",
        [("every: month", "every: monthly")],
        [
            f"{{f}}:28:20: {T}.recurring[0].every: 'monthly' is not allowed; expected"
            " 'working-day', 'week', 'month', '2 months', 'quarter', 'half-year', 'year' or 'term'"
        ],
    ),
    (
        "target-below-last-checkpoint",
        [("target: 100", "target: 40")],
        [
            f"{{f}}:36:21: {T}.metrics[0].target: a cumulative value goes down: 40 after 50;"
            " correct it, or write 'cumulative: false'"
        ],
    ),
    (
        "at-most-goes-up",
        [("target: 100", "target: 60\n            direction: at_most")],
        [
            f"{{f}}:36:21: {T}.metrics[0].target: a cumulative value goes up: 60 after 50;"
            " correct it, or write 'cumulative: false'"
        ],
    ),
    (
        "not-cumulative-may-go-down",
        [("target: 100", "target: 40\n            cumulative: false")],
        [],
    ),
    (
        "office-misspelt",
        [("office: 区乡村振兴局", "office: 区乡村振兴")],
        ["{f}:5:9: office: unknown department '区乡村振兴'; did you mean '区乡村振兴局'?"],
    ),
    (
        "department-unknown-without-suggestion",
        [("co: [区财政局]", "co: [区公安分局]")],
        [f"{{f}}:20:14: {T}.co[0]: unknown department '区公安分局'"],
    ),
    (
        "email-not-an-address",
        [("email: czj@example.org", "email: czj.example.org")],
        [
            "{f}:11:12: departments[1].email[0]: 'czj.example.org' is not an e-mail address: write it like name@example.org"
        ],
    ),
    (
        "number-where-text-is-meant",
        [("title: 完成项目库建设", "title: 2024")],
        [f"{{f}}:23:20: {T}.deliverables[0].title: expected text, got a number; put it in quotes"],
    ),
    (
        "missing-keys-at-the-top",
        [("id: minimal-2023\n", ""), ("office: 区乡村振兴局\n", "")],
        [
            "{f}:2:1: id: missing required key 'id'",
            "{f}:2:1: office: missing required key 'office'",
        ],
    ),
    (
        "escalation-levels-repeated-in-a-task",
        [
            (
                "co: [区财政局]\n",
                "co: [区财政局]\n        policy:\n          escalate:\n"
                "            - {level: 1, name: 催办, after: 1, to: [owners]}\n"
                "            - {level: 1, name: 督办, after: 5, to: [heads]}\n",
            )
        ],
        [
            f"{{f}}:23:13: {T}.policy.escalate: escalation levels must be distinct and ascending"
            " (1, 2, 3 …), not 1, 1"
        ],
    ),
    (
        "hour-unquoted",
        [("departments:\n", "notices: {run_at: 8:30}\ndepartments:\n")],
        [
            "{f}:6:19: notices.run_at: YAML 1.1 reads 8:30 as the number 510;"
            " write it in quotes: '8:30'"
        ],
    ),
    (
        "hour-quoted",
        [("departments:\n", "notices: {run_at: '10:00'}\ndepartments:\n")],
        [],
    ),
    (
        "yes-as-a-name",
        [("title: 专班调度", "title: yes")],
        [
            f"{{f}}:27:20: {T}.recurring[0].title: YAML 1.1 reads yes as true;"
            " write 'yes' in quotes for text, or true/false for a yes/no setting"
        ],
    ),
    (
        "impossible-date-in-a-checkpoint",
        [("{by: 2023-06-30, value: 50}", "{by: 2023-06-31, value: 50}")],
        [
            f"{{f}}:35:22: {T}.metrics[0].checkpoints[0].by: 2023-06-31 is not a real date"
            " (day is out of range for month)"
        ],
    ),
    (
        "merge-key",
        [("  - name: 区财政局\n", "  - <<: {email: x@example.org}\n    name: 区财政局\n")],
        ["{f}:10:5: departments[1]: merge keys (<<) are not supported; write the keys out"],
    ),
    (
        "not-valid-yaml",
        [("co: [区财政局]", "co: [区财政局")],
        [
            "{f}:21:21: not valid YAML: while parsing a flow sequence (begun at line 20,"
            " column 13) expected ',' or ']', but got ':'"
        ],
    ),
    (
        "strength-aim",
        [("            due: year-end\n", "            due: year-end\n            strength: aim\n")],
        [],
    ),
    (
        "strength-unknown",
        [
            (
                "            due: year-end\n",
                "            due: year-end\n            strength: soft\n",
            )
        ],
        [
            f"{{f}}:25:23: {T}.deliverables[0].strength: 'soft' is not allowed; expected 'firm' or 'aim'"
        ],
    ),
    (
        "directory-file-missing",
        [("departments:\n", "directory: nowhere.yaml\ndepartments:\n")],
        ["{f}:6:12: directory[0]: no such directory file: {d}/nowhere.yaml"],
    ),
]


def mutate(changes: list[Change]) -> str:
    text = MINIMAL.read_text(encoding="utf-8")
    for old, new in changes:
        assert text.count(old) == 1, f"{old!r} is not once in minimal.yaml"
        text = text.replace(old, new)
    return text


@pytest.mark.parametrize(
    ("changes", "expected"), [(c, e) for _, c, e in MUTATIONS], ids=[i for i, _, _ in MUTATIONS]
)
def test_near_copy_of_minimal(tmp_path: Path, changes: list[Change], expected: list[str]) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text(mutate(changes), encoding="utf-8")
    plans, problems = validate_files([path])
    assert_lines(lines(problems), [e.format(f=path, d=tmp_path) for e in expected])
    assert len(plans) == (0 if expected else 1)


# --------------------------------------------------------------------------------------------
# Generated inputs: encodings, sizes, alias bombs.


def billion_laughs(levels: int = 9, width: int = 10) -> str:
    rows = ['a0: &a0 "lol"']
    for i in range(1, levels + 1):
        rows.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    return "\n".join(rows) + "\n"


GENERATED: list[tuple[str, bytes, list[str]]] = [
    (
        "gbk",
        "id: gbk-2023\ntitle: 测试区2023年工作要点\n".encode("gbk"),
        ["{f}:2:8: not UTF-8 (byte 0xb2); save the file as UTF-8"],
    ),
    (
        "bad-byte-after-chinese",
        "id: x\ntitle: 测试区".encode() + b"\xff\n",
        # the column counts characters, as an editor does: 'title: 测试区' is 10 of them
        ["{f}:2:11: not UTF-8 (byte 0xff); save the file as UTF-8"],
    ),
    (
        "oversized",
        b"# " + b"x" * (3 * 1024 * 1024) + b"\n",
        ["{f}: file is larger than the limit of 2097152 bytes"],
    ),
    (
        "alias-bomb",
        billion_laughs().encode(),
        [
            "{f}:1:1: refused: the document expands to more than 200000 values"
            " (aliases that multiply?)"
        ],
    ),
    (
        "alias-bomb-in-a-plan",
        (MINIMAL.read_text(encoding="utf-8") + "x-" + billion_laughs()).encode(),
        [
            "{f}:1:1: refused: the document expands to more than 200000 values"
            " (aliases that multiply?)"
        ],
    ),
    (
        "recursive-alias",
        mutate([("co: [区财政局]", "co: &co [区财政局, *co]")]).encode(),
        # an alias has no position of its own: the cycle is shown where its anchor is
        [f"{{f}}:20:13: {T}.co[1]: an alias refers to the node that contains it; remove the cycle"],
    ),
    (
        "recursive-mapping",
        mutate(
            [("head: {name: 局长, email: xczxj-", "head: &h {name: *h, email: xczxj-")]
        ).encode(),
        [
            "{f}:9:11: departments[0].head.name: an alias refers to the node that contains it;"
            " remove the cycle"
        ],
    ),
    ("empty", b"", ["{f}:1:1: the file is empty"]),
    ("only-a-comment", b"# nothing yet\n", ["{f}:1:1: the file is empty"]),
    ("a-list", b"- id: x\n", ["{f}:1:1: a plan is a mapping of keys (id, title, \u2026)"]),
    ("utf-8-bom", b"\xef\xbb\xbf" + MINIMAL.read_bytes(), []),
]


@pytest.mark.parametrize(
    ("data", "expected"), [(d, e) for _, d, e in GENERATED], ids=[i for i, _, _ in GENERATED]
)
def test_generated_input(tmp_path: Path, data: bytes, expected: list[str]) -> None:
    path = tmp_path / "plan.yaml"
    path.write_bytes(data)
    plans, problems = validate_files([path])
    assert_lines(lines(problems), [e.format(f=path) for e in expected])
    assert len(plans) == (0 if expected else 1)


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.yaml"
    _, problems = validate_files([path])
    assert lines(problems) == [f"{path}: cannot read: No such file or directory"]


def test_directory_file_not_utf8_is_named(tmp_path: Path) -> None:
    (tmp_path / "depts.yaml").write_bytes("departments:\n  - name: 区财政局\n".encode("gbk"))
    plan = tmp_path / "plan.yaml"
    plan.write_text(mutate([("departments:\n", "directory: depts.yaml\ndepartments:\n")]))
    _, problems = validate_files([plan])
    assert lines(problems) == [
        f"{tmp_path}/depts.yaml:2:11: not UTF-8 (byte 0xc7); save the file as UTF-8"
    ]


# --------------------------------------------------------------------------------------------
# Every problem line has the documented shape.


def test_every_problem_line_names_file_line_column_and_field(in_tests: Path) -> None:
    _, problems = validate_files([Path("plans/invalid") / n for n in sorted(FILES)])
    assert len(problems) == sum(len(v) for v in FILES.values())
    for problem in problems:
        text = str(problem)
        assert "\n" not in text
        match = LINE.match(text)
        assert match, text
        assert problem.line >= 1 and problem.column >= 1, text
        assert problem.field, text


# --------------------------------------------------------------------------------------------
# The command line.


def run_cli(*args: str) -> Result:
    result = CliRunner().invoke(cli, ["validate", *args])
    assert "Traceback" not in result.output
    assert "Traceback" not in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result


def test_cli_valid(in_tests: Path) -> None:
    result = run_cli("plans/valid/minimal.yaml", "../plans/example.yaml")
    assert result.exit_code == 0
    assert result.stderr == ""
    assert result.stdout.splitlines() == [
        "plans/valid/minimal.yaml：检查通过：minimal-2023，事项1项，有时限的任务15项，指标1个，单位2个",
        "../plans/example.yaml：检查通过：example-2023，事项1项，有时限的任务17项，指标1个，单位2个",
    ]


@pytest.mark.parametrize("name", sorted(FILES))
def test_cli_invalid(in_tests: Path, name: str) -> None:
    result = run_cli(f"plans/invalid/{name}")
    assert result.exit_code == 2
    assert result.stdout == ""
    *problem_lines, count = result.stderr.splitlines()
    assert_lines(problem_lines, FILES[name])
    assert count == f"{len(FILES[name])} problems found"


def test_cli_valid_and_invalid_together(in_tests: Path) -> None:
    result = run_cli("plans/valid/minimal.yaml", "plans/invalid/recurrences.yaml")
    assert result.exit_code == 2
    assert result.stdout.startswith("plans/valid/minimal.yaml：检查通过：")
    *problem_lines, count = result.stderr.splitlines()
    assert_lines(problem_lines, FILES["recurrences.yaml"])
    assert count == "共6处问题"


@pytest.mark.parametrize(
    ("data", "expected"),
    [(d, e) for _, d, e in GENERATED if e],
    ids=[i for i, _, e in GENERATED if e],
)
def test_cli_generated(tmp_path: Path, data: bytes, expected: list[str]) -> None:
    path = tmp_path / "plan.yaml"
    path.write_bytes(data)
    result = run_cli(str(path))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        *(e.format(f=path) for e in expected),
        "1 problem found",
    ]


def test_cli_missing_file(tmp_path: Path) -> None:
    result = run_cli(str(tmp_path / "absent.yaml"))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"{tmp_path}/absent.yaml: cannot read: No such file or directory",
        "1 problem found",
    ]
