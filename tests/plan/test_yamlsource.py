"""workplan.yamlsource: YAML with the position of every value and key, and its traps closed."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from workplan.errors import InvalidInput, Problem
from workplan.plan import yamlsource
from workplan.plan.yamlsource import MAX_FILE_BYTES, MAX_NODES, Source, format_path, parse

DOC = """\
id: demo
chapters:
  - number: 1
    tasks:
      - {number: 16, lead: 区财政局}
      - number: 17
        lead: [区乡村振兴局, 区财政局]
"""


def refused(text: str, name: str = "f.yaml") -> list[str]:
    with pytest.raises(InvalidInput) as info:
        parse(name, text)
    return [str(p) for p in info.value.problems]


# --------------------------------------------------------------------------------------------
# Positions.


@pytest.mark.parametrize(
    ("path", "position"),
    [
        ((), (1, 1)),
        (("id",), (1, 5)),
        (("chapters",), (3, 3)),
        (("chapters", 0), (3, 5)),
        (("chapters", 0, "number"), (3, 13)),
        (("chapters", 0, "tasks", 0), (5, 9)),
        (("chapters", 0, "tasks", 0, "number"), (5, 18)),
        (("chapters", 0, "tasks", 0, "lead"), (5, 28)),
        (("chapters", 0, "tasks", 1, "lead", 0), (7, 16)),
        (("chapters", 0, "tasks", 1, "lead", 1), (7, 24)),
    ],
)
def test_value_positions(path: tuple[str | int, ...], position: tuple[int, int]) -> None:
    source = parse("f.yaml", DOC)
    assert source.problems == []
    assert source.values[path] == position
    assert source.position(path) == position


@pytest.mark.parametrize(
    ("path", "position"),
    [
        (("id",), (1, 1)),
        (("chapters",), (2, 1)),
        (("chapters", 0, "number"), (3, 5)),
        (("chapters", 0, "tasks"), (4, 5)),
        (("chapters", 0, "tasks", 0, "lead"), (5, 22)),
        (("chapters", 0, "tasks", 1, "lead"), (7, 9)),
    ],
)
def test_key_positions(path: tuple[str | int, ...], position: tuple[int, int]) -> None:
    source = parse("f.yaml", DOC)
    assert source.keys[path] == position
    assert source.position(path, key=True) == position


def test_position_falls_back_to_the_nearest_written_ancestor() -> None:
    source = parse("f.yaml", DOC)
    # a key that was not written (a missing key) is placed at its mapping
    assert source.position(("chapters", 0, "tasks", 0, "text")) == (5, 9)
    # a scalar read as a one-item list: lead[0] is the scalar itself
    assert source.position(("chapters", 0, "tasks", 0, "lead", 0)) == (5, 28)
    assert source.position(("nowhere", 3)) == (1, 1)
    assert source.position(("chapters", 0, "tasks", 9), key=True) == (4, 5)


def test_problem_is_positioned_and_names_the_field() -> None:
    source = parse("plan.yaml", DOC)
    problem = source.problem(("chapters", 0, "tasks", 1, "lead", 1), "unknown department")
    assert problem == Problem(
        "plan.yaml", 7, 24, "chapters[0].tasks[1].lead[1]", "unknown department"
    )
    assert str(problem) == "plan.yaml:7:24: chapters[0].tasks[1].lead[1]: unknown department"


def test_problem_without_position_or_field() -> None:
    assert str(Problem("plan.yaml", 0, 0, "", "cannot read")) == "plan.yaml: cannot read"
    assert str(Problem("plan.yaml", 3, 1, "", "the file is empty")) == (
        "plan.yaml:3:1: the file is empty"
    )


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ((), ""),
        (("id",), "id"),
        ((0,), "[0]"),
        (("chapters", 0, "tasks", 2, "lead"), "chapters[0].tasks[2].lead"),
        (("a", "b", 1, 2), "a.b[1][2]"),
    ],
)
def test_format_path(path: tuple[str | int, ...], text: str) -> None:
    assert format_path(path) == text


def test_plain_data() -> None:
    source = parse("f.yaml", DOC)
    assert source.data == {
        "id": "demo",
        "chapters": [
            {
                "number": 1,
                "tasks": [
                    {"number": 16, "lead": "区财政局"},
                    {"number": 17, "lead": ["区乡村振兴局", "区财政局"]},
                ],
            }
        ],
    }


# --------------------------------------------------------------------------------------------
# The traps, one at a time: (text, the value kept, the problems).

TRAPS: list[tuple[str, str, object, list[str]]] = [
    (
        "duplicate-key",
        "a: 1\nb: 2\na: 3\n",
        {"a": 1, "b": 2},
        [
            "f.yaml:3:1: a: duplicate key 'a' (first written at line 1); YAML would silently"
            " keep only the last one"
        ],
    ),
    (
        "duplicate-key-nested",
        "x:\n  - {due: Q1, due: Q2}\n",
        {"x": [{"due": "Q1"}]},
        [
            "f.yaml:2:15: x[0].due: duplicate key 'due' (first written at line 2); YAML would"
            " silently keep only the last one"
        ],
    ),
    (
        "time-as-number",
        "run_at: 10:00\n",
        {"run_at": "10:00"},
        ["f.yaml:1:9: run_at: YAML 1.1 reads 10:00 as the number 600; write it in quotes: '10:00'"],
    ),
    (
        "time-with-seconds",
        "at: 1:30:00\n",
        {"at": "1:30:00"},
        [
            "f.yaml:1:5: at: YAML 1.1 reads 1:30:00 as the number 5400;"
            " write it in quotes: '1:30:00'"
        ],
    ),
    (
        "sexagesimal-float",
        "at: 1:30.5\n",
        {"at": "1:30.5"},
        ["f.yaml:1:5: at: YAML 1.1 reads 1:30.5 as the number 90.5; write it in quotes: '1:30.5'"],
    ),
    (
        "no-as-false",
        "name: no\n",
        {"name": "no"},
        [
            "f.yaml:1:7: name: YAML 1.1 reads no as false; write 'no' in quotes for text,"
            " or true/false for a yes/no setting"
        ],
    ),
    (
        "on-in-a-list",
        "words: [On, off]\n",
        {"words": ["On", "off"]},
        [
            "f.yaml:1:9: words[0]: YAML 1.1 reads On as true; write 'On' in quotes for text,"
            " or true/false for a yes/no setting",
            "f.yaml:1:13: words[1]: YAML 1.1 reads off as false; write 'off' in quotes for text,"
            " or true/false for a yes/no setting",
        ],
    ),
    (
        "octal",
        "code: 0755\n",
        {"code": "0755"},
        [
            "f.yaml:1:7: code: YAML 1.1 reads 0755 as the octal number 493; write it in quotes"
            " ('0755') or without the leading zero"
        ],
    ),
    (
        "impossible-day",
        "issued: 2023-02-30\n",
        {"issued": "2023-02-30"},
        ["f.yaml:1:9: issued: 2023-02-30 is not a real date (day is out of range for month)"],
    ),
    (
        "impossible-month",
        "issued: 2023-13-01\n",
        {"issued": "2023-13-01"},
        ["f.yaml:1:9: issued: 2023-13-01 is not a real date (month must be in 1..12)"],
    ),
    (
        "merge-key",
        "base: &b {x: 1}\nuse:\n  <<: *b\n  y: 2\n",
        {"base": {"x": 1}, "use": {"y": 2}},
        ["f.yaml:3:3: use: merge keys (<<) are not supported; write the keys out"],
    ),
    (
        "complex-key",
        "? [a, b]\n: 1\n",
        {},
        ["f.yaml:1:3: a key must be plain text"],
    ),
    (
        "recursive-alias",
        "a: &x\n  b: *x\n",
        {"a": {"b": None}},
        ["f.yaml:1:4: a.b: an alias refers to the node that contains it; remove the cycle"],
    ),
    (
        "unknown-tag",
        "a: !foo x\n",
        {"a": "x"},
        ["f.yaml:1:4: a: cannot read 'x' as !foo; remove the tag"],
    ),
    (
        "python-tag",
        "a: !!python/object/apply:os.system ['true']\nb: !!python/name:os.system x\n",
        {"a": ["true"], "b": "x"},
        ["f.yaml:2:4: b: cannot read 'x' as !!python/name:os.system; remove the tag"],
    ),
    (
        "int-tag-on-text",
        "a: !!int abc\n",
        {"a": "abc"},
        ["f.yaml:1:4: a: cannot read 'abc' as !!int; remove the tag"],
    ),
    (
        "bool-tag-on-text",
        "a: !!bool maybe\n",
        {"a": "maybe"},
        ["f.yaml:1:4: a: cannot read 'maybe' as !!bool; remove the tag"],
    ),
]


@pytest.mark.parametrize(
    ("text", "data", "expected"), [t[1:] for t in TRAPS], ids=[t[0] for t in TRAPS]
)
def test_trap(text: str, data: object, expected: list[str]) -> None:
    source = parse("f.yaml", text)
    assert source.data == data
    assert [str(p) for p in source.problems] == expected


NOT_TRAPS: list[tuple[str, object]] = [
    ("run_at: '10:00'\n", {"run_at": "10:00"}),
    ('run_at: "10:00"\n', {"run_at": "10:00"}),
    ("run_at: !!str 10:00\n", {"run_at": "10:00"}),
    ("run_at: 08:30\n", {"run_at": "08:30"}),
    ("name: 'no'\n", {"name": "no"}),
    ("digest: true\nother: False\n", {"digest": True, "other": False}),
    ("n: 0\nm: 10\nk: 1_000\n", {"n": 0, "m": 10, "k": 1000}),
    ("rate: 2.5\n", {"rate": 2.5}),
    ("code: '0755'\n", {"code": "0755"}),
    ("issued: 2023-02-28\n", {"issued": date(2023, 2, 28)}),
    ("issued: 2024-02-29\n", {"issued": date(2024, 2, 29)}),
    ("at: 2023-03-01 10:00:00\n", {"at": datetime(2023, 3, 1, 10, 0)}),
    ("due: 2023-06\n", {"due": "2023-06"}),
    ("a: [b, &x c, *x]\n", {"a": ["b", "c", "c"]}),
    ("a: ~\nb:\n", {"a": None, "b": None}),
    ("名称: 区财政局\n", {"名称": "区财政局"}),
]


@pytest.mark.parametrize(("text", "data"), NOT_TRAPS)
def test_not_a_trap(text: str, data: object) -> None:
    source = parse("f.yaml", text)
    assert source.problems == []
    assert source.data == data


# --------------------------------------------------------------------------------------------
# Documents refused as a whole.


def billion_laughs(levels: int, width: int) -> str:
    rows = ['a0: &a0 "lol"']
    for i in range(1, levels + 1):
        rows.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    return "\n".join(rows) + "\n"


def test_alias_bomb_is_refused() -> None:
    # 10**9 values if expanded: returning at all proves the refusal
    assert refused(billion_laughs(9, 10)) == [
        f"f.yaml:1:1: refused: the document expands to more than {MAX_NODES} values"
        " (aliases that multiply?)"
    ]


def test_mapping_alias_bomb_is_refused() -> None:
    rows = ["a0: &a0 {x: lol, y: lol}"]
    for i in range(1, 10):
        rows.append(f"a{i}: &a{i} {{" + ", ".join(f"k{j}: *a{i - 1}" for j in range(10)) + "}")
    assert refused("\n".join(rows) + "\n") == [
        f"f.yaml:1:1: refused: the document expands to more than {MAX_NODES} values"
        " (aliases that multiply?)"
    ]


def test_small_alias_use_is_fine() -> None:
    source = parse("f.yaml", billion_laughs(3, 10))
    assert source.problems == []
    assert len(source.data["a3"]) == 10
    assert source.data["a3"][9][9][9] == "lol"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "f.yaml:1:1: the file is empty"),
        ("# only a comment\n", "f.yaml:1:1: the file is empty"),
        (
            "id: [unclosed\ntitle: x\n",
            "f.yaml:2:6: not valid YAML: while parsing a flow sequence (begun at line 1,"
            " column 5) expected ',' or ']', but got ':'",
        ),
        (
            "id: x\n\ttitle: y\n",
            "f.yaml:2:1: not valid YAML: while scanning for the next token found character"
            " '\\t' that cannot start any token",
        ),
        (
            "a: 1\n---\nb: 2\n",
            "f.yaml:2:1: not valid YAML: expected a single document in the stream (begun at"
            " line 1, column 1) but found another document",
        ),
        (
            "a: *nowhere\n",
            "f.yaml:1:4: not valid YAML: found undefined alias 'nowhere'",
        ),
        (
            "a: 1\nb: x\x00y\n",
            "f.yaml:2:5: not valid YAML: the control character #x0000 is not allowed; remove it",
        ),
        (
            "a: 区\x07\n",
            "f.yaml:1:5: not valid YAML: the control character #x0007 is not allowed; remove it",
        ),
    ],
    ids=["empty", "comment", "unclosed", "tab", "two-documents", "undefined-alias", "nul", "bell"],
)
def test_refused_document(text: str, expected: str) -> None:
    assert refused(text) == [expected]


# --------------------------------------------------------------------------------------------
# Bytes: UTF-8 with or without BOM; anything else refused with the position of the bad byte.


def test_utf8_with_bom_is_accepted() -> None:
    assert yamlsource.decode("f.yaml", b"\xef\xbb\xbfa: \xe5\x8c\xba\n") == "a: 区\n"


def test_utf8_without_bom() -> None:
    assert yamlsource.decode("f.yaml", "标题: 区财政局\n".encode()) == "标题: 区财政局\n"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            "title: 测试区\n".encode("gbk"),
            "f.yaml:1:8: not UTF-8 (byte 0xb2); save the file as UTF-8",
        ),
        (
            "id: x\ntitle: 测试区".encode() + b"\xff\n",
            "f.yaml:2:11: not UTF-8 (byte 0xff); save the file as UTF-8",
        ),
        (b"\xef\xbb\xbfab\xc0\n", "f.yaml:1:3: not UTF-8 (byte 0xc0); save the file as UTF-8"),
        (b"a\nb\nc: \xe5\x8c\n", "f.yaml:3:4: not UTF-8 (byte 0xe5); save the file as UTF-8"),
        ("a: é\n".encode("latin-1"), "f.yaml:1:4: not UTF-8 (byte 0xe9); save the file as UTF-8"),
    ],
    ids=["gbk", "after-chinese", "after-bom", "truncated", "latin-1"],
)
def test_bad_byte_is_positioned(raw: bytes, expected: str) -> None:
    with pytest.raises(InvalidInput) as info:
        yamlsource.decode("f.yaml", raw)
    assert [str(p) for p in info.value.problems] == [expected]


def test_oversized_file_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(b"#" * (MAX_FILE_BYTES + 1))
    with pytest.raises(InvalidInput) as info:
        yamlsource.read_text(path)
    assert [str(p) for p in info.value.problems] == [
        f"{path}: file is larger than the limit of {MAX_FILE_BYTES} bytes"
    ]


def test_file_at_the_limit_is_read(tmp_path: Path) -> None:
    path = tmp_path / "edge.yaml"
    path.write_bytes(b"a: 1\n#" + b"x" * (MAX_FILE_BYTES - 7) + b"\n")
    assert path.stat().st_size == MAX_FILE_BYTES
    assert yamlsource.load(path).data == {"a": 1}


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.yaml"
    with pytest.raises(InvalidInput) as info:
        yamlsource.load(path)
    assert [str(p) for p in info.value.problems] == [
        f"{path}: cannot read: No such file or directory"
    ]


def test_load_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "plan.yaml"
    path.write_bytes(b"\xef\xbb\xbfa: 10:00\n")
    source = yamlsource.load(path)
    assert isinstance(source, Source)
    assert source.file == str(path)
    assert [str(p) for p in source.problems] == [
        f"{path}:1:4: a: YAML 1.1 reads 10:00 as the number 600; write it in quotes: '10:00'"
    ]
