"""`workplan draft` on the real Banan notice (seed 003) and on small documents of each
convention: the draft's shape, its marks refused by validate one line each, and, once the
office has decided each mark, a plan that loads."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from workplan.cli.commands import cli
from workplan.plan.draft.departments import Owners, match_name, read_owners
from workplan.plan.draft.make import draft_document
from workplan.plan.draft.remits import by_remit
from workplan.plan.validate import read_plan, validate_files

ROOT = Path(__file__).resolve().parents[2]
NOTICE = ROOT / "plans" / "banan-2023-notice.txt"
DIRECTORY = ROOT / "plans" / "banan-departments.yaml"

# What an office writes in place of each mark, by the key it stands at.
DECIDED = {
    "due": "year-end",
    "by": "year-end",
    "default_due": "year-end",
    "every": "month",
    "review": "quarter",
    "within": "5 working days",
    "target": "100",
    "email": "office@example.org",
    "office": "区委农办",
}
TERMS = "[{name: 春季学期, start: 2023-02-13, end: 2023-07-07}, {name: 秋季学期, start: 2023-09-01, end: 2024-01-19}]"


def decide(text: str) -> str:
    """Decide every mark as an office would: accept each 待确认 guess, write each 待定 value."""
    out = []
    for line in text.splitlines():
        line = line.replace("待确认：", "")
        if m := re.match(r"^(\s*)(\w+): 待定(\s|$)", line):
            if m[2] == "terms":
                out.append(f"{m[1]}terms: {TERMS}")
                out.append("period: {start: 2023-01-01, end: 2024-01-31}")
                continue
            line = f"{m[1]}{m[2]}: {DECIDED[m[2]]}"
        out.append(line)
    return "\n".join(out) + "\n"


@pytest.fixture(scope="module")
def banan() -> str:
    return draft_document(NOTICE, DIRECTORY, ROOT / "plans" / "draft.yaml").text


def test_the_banan_notice_drafts_its_25_items_in_5_chapters(banan: str) -> None:
    data = yaml.safe_load(banan)
    chapters = data["chapters"]
    assert [c["title"] for c in chapters] == [
        "实施脱贫成果巩固提升行动",
        "实施防返贫保增收计划行动",
        "实施宜居宜业和美乡村示范创建行动",
        "强化支撑保障",
        "坚持党建统领",
    ]
    tasks = [t for c in chapters for t in c["tasks"]]
    assert [t["number"] for t in tasks] == list(range(1, 26))
    assert tasks[15]["title"] == "强化衔接资金和项目管理"
    assert data["title"] == "巴南区2023年巩固拓展脱贫攻坚成果同乡村振兴有效衔接工作要点"
    assert (data["year"], str(data["issued"])) == (2023, "2023-05-09")
    assert data["directory"] == "banan-departments.yaml"


def test_every_value_says_where_its_words_are(banan: str) -> None:
    for line in banan.splitlines():
        if re.match(r"^\s+(due|every|target|within|review|by): ", line):
            assert re.search(r"# 第\d+行", line), line
    assert "every: month  # 第79行 “每月”" in banan
    assert "- by: 2023-04  # 第63行 “4月、6月和9月分别达到30%50%75%”" in banan


def test_the_banan_draft_reads_its_dates_and_cadences(banan: str) -> None:
    tasks = {t["number"]: t for c in yaml.safe_load(banan)["chapters"] for t in c["tasks"]}
    assert [r["every"] for r in tasks[23]["recurring"]] == ["month", "quarter", "month", "quarter"]
    assert [d.get("due") for d in tasks[11]["deliverables"]] == ["Q1", "Q4"]
    assert tasks[11]["deliverables"][0]["strength"] == "aim"  # 原则上
    central = tasks[16]["metrics"][1]
    assert central["title"] == "中央衔接资金支出进度"
    assert [str(c["by"]) for c in central["checkpoints"]] == [
        "2023-04",
        "2023-06",
        "2023-07-20",
        "2023-09",
        "2023-10-20",
    ]
    assert [t["title"] for t in tasks[16]["metrics"][2:]] == [
        "市级衔接资金支出进度",
        "区级衔接资金支出进度",
    ]
    assert tasks[3]["lead"] == ["区乡村振兴局", "区委组织部"]  # 等牵头负责: both lead, no mark
    assert tasks[1]["lead"] == ["待确认：区乡村振兴局"]  # 等按职责分工负责: the first, marked


def test_a_draft_with_marks_fails_validate_one_line_each(banan: str, tmp_path: Path) -> None:
    path = tmp_path / "draft.yaml"
    path.write_text(banan.replace("directory: banan-departments.yaml", f"directory: {DIRECTORY}"))
    _, problems = validate_files([path])
    marked_lines = [
        n
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r": (\[.*)?(待定|待确认：)", line.split("  # ")[0])
    ]
    assert sorted({p.line for p in problems}) == marked_lines
    assert all(p.message.startswith(("待定:", "待确认:")) for p in problems)
    header = re.search(r"from banan-2023-notice.txt: 25 items, (\d+) values left", banan)
    assert header is not None and int(header[1]) == len(problems)


def test_decided_it_validates_and_loads(banan: str, tmp_path: Path) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text(
        decide(banan.replace("directory: banan-departments.yaml", f"directory: {DIRECTORY}"))
    )
    loaded = read_plan(path)
    assert len(loaded.compiled.tasks) == 25
    db = tmp_path / "workplan.db"
    result = CliRunner().invoke(cli, ["load", str(path), "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "已载入 plan-2023（新计划）：事项25项" in result.output


OWNERS = [
    (
        "区乡村振兴局、区教委等按职责分工负责",
        False,
        Owners(("区乡村振兴局",), ("区教委",), True, "…等按职责分工负责"),
    ),
    (
        "区乡村振兴局、区教委等按职责分工负责",
        True,
        Owners(("区乡村振兴局",), ("区教委",), False, "排名第一的为牵头单位"),
    ),
    (
        "区农业农村委等按职责分工负责",
        False,
        Owners(("区农业农村委",), (), False, "…等按职责分工负责"),
    ),
    (
        "区乡村振兴局、区委组织部等牵头负责",
        False,
        Owners(("区乡村振兴局", "区委组织部"), (), False, "…等牵头负责"),
    ),
    (
        "牵头单位：区财政局；责任单位：区农业农村委、区乡村振兴局",
        False,
        Owners(("区财政局",), ("区农业农村委", "区乡村振兴局"), False, "牵头单位：…；责任单位：…"),
    ),
    (
        "区财政局牵头，区农业农村委、区乡村振兴局配合",
        False,
        Owners(("区财政局",), ("区农业农村委", "区乡村振兴局"), False, "X牵头，Y配合"),
    ),
    (
        "由区财政局会同区农业农村委负责",
        False,
        Owners(("区财政局",), ("区农业农村委",), False, "X牵头，Y配合"),
    ),
    (
        "区乡村振兴局、帮扶集团牵头单位等按职责分工负责",
        False,
        Owners(("区乡村振兴局",), ("帮扶集团牵头单位",), True, "…等按职责分工负责"),
    ),
    ("各镇街负责", False, Owners(("各镇街",), (), False, "…等按职责分工负责")),
]


@pytest.mark.parametrize(("words", "first_leads", "owners"), OWNERS, ids=[w for w, _, _ in OWNERS])
def test_owners(words: str, first_leads: bool, owners: Owners) -> None:
    assert read_owners(words, first_leads) == owners


ITEM_2 = ["区教委", "区卫生健康委", "区医保局", "区住房城乡建委", "区水利局", "区乡村振兴局"]
ITEM_8 = ["区人力社保局", "区发展改革委", "区财政局", "区农业农村委", "区乡村振兴局"]
REMITS = [
    # (a duty's words, the item's departments 按职责分工, the owners proposed, the words)
    ("每学期开展1次控辍保学排查工作", ITEM_2, ["区教委"], ["控辍保学"]),
    (
        "每月核查比对低收入人群和脱贫人口参保情况",
        ITEM_2,
        ["区医保局", "区乡村振兴局"],
        ["参保", "脱贫人口"],
    ),
    (
        "每月监测脱贫人口就业及务工收入情况",
        ITEM_8,
        ["区人力社保局", "区乡村振兴局"],
        ["就业", "务工", "脱贫人口"],
    ),
    # the roster's words alone name no remit: the whole item answers
    ("每月核实脱贫人口收入状况", ITEM_8, [], []),
    # no remit named at all
    ("每月开展排查", ITEM_2, [], []),
    # every listed department's remit named: the whole item answers
    ("落实参保资助政策，做好家庭医生履约服务", ["区医保局", "区卫生健康委"], [], []),
    # a department the table does not know is never proposed
    ("每月调度乡村旅游项目", ["区文化旅游委", "区某某中心"], ["区文化旅游委"], ["乡村旅游"]),
]


@pytest.mark.parametrize(("text", "names", "chosen", "found"), REMITS, ids=[r[0] for r in REMITS])
def test_owners_proposed_by_remit(
    text: str, names: list[str], chosen: list[str], found: list[str]
) -> None:
    assert by_remit(text, names) == (chosen, found)


def test_a_duty_of_one_remit_is_drafted_with_its_owners_to_confirm(banan: str) -> None:
    """（二）按职责分工负责: 控辍保学 is drafted for 区教委 alone, marked for the office."""
    assert "owners: [待确认：区教委]" in banan
    assert "owners: [待确认：区医保局, 区乡村振兴局]" in banan


def test_names_matched_with_near_suggestions() -> None:
    names = {
        "区财政局": "区财政局",
        "财政局": "区财政局",
        "镇街": "镇街",
        "区大数据发展局": "区大数据发展局",
        "区大数据局": "区大数据发展局",
    }
    assert match_name("区大数据局", names).known == "区大数据发展局"
    assert match_name("各镇街", names).known == "镇街"
    near = match_name("区财政委", names)
    assert (near.known, near.suggestion) == (None, "区财政局")
    assert match_name("区气象局", names).suggestion is None


SMALL = """示例区2023年乡村振兴工作要点
排名第一的为牵头单位。
一、强化资金管理
（一）加快资金支出。中央衔接资金支出进度6月底前达到50%。每月5日前报送支出情况。春节前完成慰问。（区财政委、区乡村振兴局等按职责分工负责）
"""


def test_cli_draft_explain_csv(tmp_path: Path) -> None:
    doc = tmp_path / "要点.txt"
    doc.write_text(SMALL, encoding="utf-8")
    out = tmp_path / "plan.yaml"
    result = CliRunner().invoke(
        cli,
        [
            "draft",
            str(doc),
            "--directory",
            str(DIRECTORY),
            "-o",
            str(out),
            "--explain",
            "--format",
            "csv",
        ],
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout.lstrip("\ufeff"))))
    assert rows[0] == ["位置", "事项", "原文", "起草", "留待办公室"]
    by_sentence = {r[2]: r for r in rows[1:]}
    assert by_sentence["每月5日前报送支出情况。"][3] == "周期 month（每月5日前）"
    assert "春节前" in by_sentence["春节前完成慰问。"][4]
    owners = by_sentence["（区财政委、区乡村振兴局等按职责分工负责）"]
    assert (
        owners[4] == "区财政委：目录中没有，可能是区财政局"
    )  # 排名第一的为牵头单位: lead not marked
    text = out.read_text()
    assert (
        "lead: [待确认：区财政局]  # 第4行 “（区财政委、区乡村振兴局等按职责分工负责）” 区财政委: not in the directory; did you mean 区财政局?"
        in text
    )
    assert "day: 5" in text
    assert "due: 待定  # 第4行 “春节前” 待定: not a calendar date" in text
    validated = CliRunner().invoke(cli, ["validate", str(out)])
    assert validated.exit_code == 2
    assert (
        "due: 待定: left for the office to decide: write the value (第4行 “春节前”"
        in validated.output
    )


def test_cli_draft_without_directory_lists_departments_to_fill(tmp_path: Path) -> None:
    doc = tmp_path / "要点.txt"
    doc.write_text(SMALL, encoding="utf-8")
    result = CliRunner().invoke(cli, ["draft", str(doc)])
    assert result.exit_code == 0, result.output
    data = yaml.safe_load(result.stdout)
    assert data["departments"] == [
        {"name": "区财政委", "email": "待定"},
        {"name": "区乡村振兴局", "email": "待定"},
    ]


def test_cli_draft_of_no_plan(tmp_path: Path) -> None:
    doc = tmp_path / "信.txt"
    doc.write_text("各位同事：\n请于周五前报送材料。\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["draft", str(doc)])
    assert result.exit_code == 2
    assert result.output.startswith(f"{doc}: no numbered items found")
    assert "Traceback" not in result.output


def test_the_benchmark_figures_hold() -> None:
    """benchmarks/draft_accuracy.py's figures, as the README gives them, do not slip."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "draft_accuracy", ROOT / "benchmarks" / "draft_accuracy.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    figures = module.measure()
    assert figures["items found"] == (25, 25)
    assert figures["department lists"] == (25, 25)
    assert figures["explicit obligations, same due or cadence"] == (26, 27)
    assert figures["explicit obligations, and same owners"] == (25, 27)
    assert figures["unflagged dates that differ"] == (0, 0)
