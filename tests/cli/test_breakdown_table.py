"""The 任务分解表 both ways: `plan export` of the loaded Banan plan, `plan import` of it back
(the same obligations, owners and dates), and a table laid out the way an office makes one."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook, load_workbook

from tests.conftest import PLANS
from workplan.cli.commands import cli
from workplan.plan.draft.table import HEADERS
from workplan.plan.validate import read_plan


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def obligations(path: Path) -> set[tuple[str, str, tuple[str, ...]]]:
    compiled = read_plan(path).compiled
    return {
        (f"{o.task}/{o.key}", o.due.isoformat(), tuple(sorted(o.owners)))
        for o in compiled.obligations
    }


@pytest.fixture
def exported(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(PLANS.parent)
    code, out = run("load", "plans/banan-2023.yaml", "--db", db_url)
    assert code == 0, out
    table = tmp_path / "分解表.xlsx"
    code, out = run("plan", "export", "--db", db_url, "-o", str(table))
    assert code == 0, out
    assert out == f"已写入 {table}：banan-2023，共70行\n"
    return table


def test_export_writes_the_office_layout(exported: Path) -> None:
    sheet = load_workbook(exported)["任务分解表"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "巴南区2023年巩固拓展脱贫攻坚成果同乡村振兴有效衔接工作要点任务分解表"
    assert (
        rows[1] == HEADERS
    )  # 序号, 重点任务, 具体工作, 牵头单位, 责任单位, 完成时限, 节点目标, 备注, 编号
    assert sheet.freeze_panes == "A3"
    by_work = {r[2]: r for r in rows[2:]}
    assert by_work["控辍保学排查"][3:6] == ("区教委", None, "每学期")
    assert by_work["帮扶干部与帮扶对象讨论制定增收措施"][5] == "2023年第一季度"
    assert by_work["巩固拓展脱贫攻坚工作专班专题会议"][5] == "每季度"
    assert by_work["中央衔接资金支出进度"][6] == (
        "2023年4月底前达到30%；2023年6月底前达到50%；2023年7月20日前达到序时进度或全国平均水平；"
        "2023年9月底前达到75%；2023年10月20日前达到序时进度或全国平均水平；目标100%"
    )
    assert by_work["国家、市级考核评估反馈问题和区级督查检查发现问题整改"][5] == (
        "常态化（每季度报送开展情况）（自2023年5月9日起）"
    )
    assert by_work["为失业或收入降低的脱贫人口推荐优质岗位"][5] == "事件发生后5个工作日内"
    merged = {str(r) for r in sheet.merged_cells.ranges}
    assert "A1:I1" in merged and "A3:B3" not in merged
    assert any(r.startswith("A3:A") for r in merged)  # （一）'s cell spans its rows
    assert sheet.data_validations.dataValidation[0].formula1 == "=单位!$A$1:$A$35"


def test_export_then_import_gives_the_same_obligations(exported: Path, tmp_path: Path) -> None:
    back = tmp_path / "plan.yaml"
    code, out = run("plan", "import", str(exported), "-o", str(back))
    assert code == 0, out
    assert obligations(back) == obligations(PLANS / "banan-2023.yaml")


def test_an_edited_table_imports_onto_the_loaded_plan(
    exported: Path, tmp_path: Path, db_url: str
) -> None:
    book = load_workbook(exported)
    sheet = book["任务分解表"]
    for row in sheet.iter_rows(min_row=3):
        if row[2].value == "巩固拓展脱贫攻坚工作专班调度":
            row[5].value = "每月25日前"
        if row[2].value == "帮扶干部与帮扶对象讨论制定增收措施":
            row[5].value = "2023年6月底前"
    book.save(exported)
    back = tmp_path / "plan.yaml"
    code, out = run(
        "--lang",
        "en",
        "plan",
        "import",
        str(exported),
        "--onto",
        "banan-2023",
        "--db",
        db_url,
        "-o",
        str(back),
    )
    assert code == 0, out
    assert "would load banan-2023 version 2" in out
    assert "date moved" in out
    moved = {k: d for k, d, _ in obligations(back)}
    assert moved["11/income-measures"] == "2023-06-30"
    assert moved["23/task-force-dispatch@2023-06"] == "2023-06-25"


def test_a_problem_is_named_by_sheet_row_and_column(exported: Path, tmp_path: Path) -> None:
    book = load_workbook(exported)
    sheet = book["任务分解表"]
    sheet["F12"] = "六月中"
    book.save(exported)
    code, out = run("plan", "import", str(exported), "-o", str(tmp_path / "plan.yaml"))
    assert code == 2
    assert out.splitlines()[0].startswith(
        f"{exported}:任务分解表:12:F: 完成时限 “六月中” is not a span"
    )
    assert "Traceback" not in out


def office_table(path: Path) -> None:
    """A table as an office makes one: a merged title, its own header words, a chapter row,
    序号 and 重点任务 merged over their rows, several departments in a cell."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Sheet1"
    sheet.append(["示例区2023年乡村振兴重点工作任务分解表"])
    sheet.merge_cells("A1:F1")
    sheet.append(["序号", "主要任务", "工作措施", "牵头部门", "配合单位", "完成时间"])
    sheet.append(["一、强化衔接资金管理"])
    sheet.merge_cells("A3:F3")
    sheet.append(
        ["1", "加快资金支出", "完成2024年项目库建设", "区乡村振兴局", "区财政局", "2023年6月底前"]
    )
    sheet.append([None, None, "专班调度", "区乡村振兴局", "区财政局，区农业农村委", "每月5日前"])
    sheet.append([None, None, "控辍保学排查", "区教委", "", "每学期"])
    sheet.merge_cells("A4:A6")
    sheet.merge_cells("B4:B6")
    sheet.append(["2", "稳岗就业", "召开专题会议", "区人力社保局", "", "每季度"])
    book.save(path)


def test_a_table_made_by_an_office_imports(tmp_path: Path) -> None:
    table = tmp_path / "分解表.xlsx"
    office_table(table)
    out_path = tmp_path / "plan.yaml"
    code, out = run(
        "plan",
        "import",
        str(table),
        "-o",
        str(out_path),
        "--directory",
        str(PLANS / "banan-departments.yaml"),
    )
    assert code == 0, out
    text = out_path.read_text()
    assert "title: 示例区2023年乡村振兴重点工作" in text
    code, out = run("validate", str(out_path))
    assert code == 2
    problems = out.splitlines()[:-1]
    assert len(problems) == 2, out  # the office to name, and the school terms
    assert all("待定" in p for p in problems)
    filled = text.replace("office: 待定", "office: 区委农办").replace(
        "terms: 待定", "terms: [{name: 秋季学期, start: 2023-09-01, end: 2023-12-31}]"
    )
    out_path.write_text(filled)
    compiled = read_plan(out_path).compiled
    assert [t.number for t in compiled.tasks] == [1, 2]
    keys = {f"{o.task}/{o.key}": (o.due.isoformat(), tuple(o.owners)) for o in compiled.obligations}
    assert keys["1/result-1"] == ("2023-06-30", ("区乡村振兴局", "区财政局"))
    assert keys["1/recurring-1@2023-07"][0] == "2023-07-05"
    assert set(keys["1/recurring-1@2023-07"][1]) == {"区乡村振兴局", "区财政局", "区农业农村委"}
    assert [v for k, v in keys.items() if k.startswith("1/recurring-2@")] == [
        ("2023-12-31", ("区教委",))
    ]
    assert keys["2/recurring-1@2023-Q4"][0] == "2023-12-31"
