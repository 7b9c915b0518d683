"""The grammar of plan phrases, phrase by phrase, with the traps other readers fall into.

Each row is a real phrase (most from seed 003 or plans like it) and what the grammar must read
from it: the kind of phrase, the words, and the value in the plan language.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from workplan.plan.draft import grammar as g
from workplan.plan.draft.numerals import number


def read(text: str) -> list[tuple[str, str, Any]]:
    out: list[tuple[str, str, Any]] = []
    for p in g.read_clause(text, 2023):
        if isinstance(p, g.Deadline):
            out.append(("due", p.words, p.due))
        elif isinstance(p, g.Cadence):
            out.append(("every", p.words, (p.every, p.day)))
        elif isinstance(p, g.Checkpoints):
            out.append(("checkpoints", p.words, (p.subject, p.points, p.unit)))
        elif isinstance(p, g.Figure):
            out.append(("figure", p.words, (p.value, p.unit, p.direction, p.level, p.subject)))
        elif isinstance(p, g.Triggered):
            out.append(("triggered", p.words, (p.condition, p.act, p.within)))
        elif isinstance(p, g.Ledger | g.Result):
            out.append((type(p).__name__.lower(), p.words, p.what))
        else:
            out.append((type(p).__name__.lower(), p.words, None))
    return out


DEADLINES = [
    ("6月底前完成", "6月底前", "2023-06"),
    ("六月底前完成", "六月底前", "2023-06"),
    ("11月30日前报送", "11月30日前", date(2023, 11, 30)),
    ("十一月三十日前报送", "十一月三十日前", date(2023, 11, 30)),
    ("9月15号前", "9月15号前", date(2023, 9, 15)),
    ("7月上旬前", "7月上旬前", date(2023, 7, 10)),
    ("7月中旬", "7月中旬", date(2023, 7, 20)),
    ("7月下旬前", "7月下旬前", "2023-07"),
    ("第一季度", "第一季度", "Q1"),
    ("二季度末", "二季度末", "Q2"),
    ("第四季度开展信息采集", "第四季度", "Q4"),
    ("上半年完成", "上半年", "H1"),
    ("下半年启动", "下半年", "H2"),
    ("年底前完成", "年底前", "year-end"),
    ("年内建成", "年内", "year-end"),
    ("全年实现", "全年", "year-end"),
    ("2023年底前", "2023年底前", "year-end"),
    ("2024年6月底前", "2024年6月底前", "2024-06"),
    ("2024年底前", "2024年底前", date(2024, 12, 31)),
    ("次年3月底前", "次年3月底前", date(2024, 3, 31)),
    ("明年1月", "明年1月", date(2024, 1, 31)),
    ("2023年打造3个示范村", "2023年", "year-end"),
    ("每年3月底前报送", "每年3月底前", "2023-03"),
]


@pytest.mark.parametrize(("text", "words", "due"), DEADLINES, ids=[t for t, _, _ in DEADLINES])
def test_deadline(text: str, words: str, due: Any) -> None:
    assert ("due", words, due) in read(text)


UNREAD = ["春节前完成", "汛期前完成排查", "年中完成", "3个月内完成", "国庆期间"]


@pytest.mark.parametrize("text", UNREAD)
def test_no_silent_date(text: str) -> None:
    """A phrase that is no calendar date is read as unread, never given a date."""
    dues = [p for p in g.read_clause(text, 2023) if isinstance(p, g.Deadline)]
    assert len(dues) == 1
    assert dues[0].due is None
    assert dues[0].reason


CADENCES = [
    ("每月调度1次", "每月", ("month", None)),
    ("每个月调度", "每个月", ("month", None)),
    ("每月5日前报送", "每月5日前", ("month", 5)),
    ("每月25号报送工作进展", "每月25号", ("month", 25)),
    ("每月上旬报送", "每月上旬", ("month", 10)),
    ("每月底报送", "每月底", ("month", None)),
    ("每季度召开一次专题会议", "每季度", ("quarter", None)),
    ("每季度最后一个月20日前报送", "每季度最后一个月20日前", ("quarter", 20)),
    ("每半年开展一次集中排查", "每半年", ("half-year", None)),
    ("每学期开展1次控辍保学排查工作", "每学期", ("term", None)),
    ("每周五报送", "每周五", ("week", "fri")),
    ("每周一调度", "每周一", ("week", "mon")),
    ("每星期报送", "每星期", ("week", None)),
    ("每年开展一次", "每年", ("year", None)),
    ("每两个月通报一次", "每两个月", ("2 months", None)),
    ("双月调度", "双月", ("2 months", None)),
    ("每天跟踪", "每天", ("working-day", None)),
    ("制定季度重点工作任务清单", "季度", ("quarter", None)),
    ("编制月度工作计划", "月度", ("month", None)),
    ("每旬调度", "每旬", (None, None)),
    ("每季度首月10日前报送上季度情况", "每季度首月10日前", (None, None)),
]


@pytest.mark.parametrize(("text", "words", "every"), CADENCES, ids=[t for t, _, _ in CADENCES])
def test_cadence(text: str, words: str, every: tuple[Any, Any]) -> None:
    assert ("every", words, every) in read(text)


def test_a_reporting_day_is_not_days_ago() -> None:
    """jionlp reads 每月5日前报送 as five days ago: here it is the 5th of every month."""
    assert read("每月5日前报送") == [("every", "每月5日前", ("month", 5))]


def test_a_cadence_day_is_never_a_deadline() -> None:
    assert [k for k, _, _ in read("每月15日前报送上月工作进展")] == ["every"]


CHECKPOINTS = [
    (
        "中央衔接资金支出进度4月、6月和9月分别达到30%、50%、75%",
        ("中央衔接资金支出进度", (("2023-04", 30.0), ("2023-06", 50.0), ("2023-09", 75.0)), "%"),
    ),
    ("分别于6月、9月达到40%、80%", ("", (("2023-06", 40.0), ("2023-09", 80.0)), "%")),
    (
        "7月中旬、10月中旬三级衔接资金支出进度达到全国平均水平或序时进度",
        (
            "三级衔接资金支出进度",
            ((date(2023, 7, 20), "pace-or-benchmark"), (date(2023, 10, 20), "pace-or-benchmark")),
            "%",
        ),
    ),
    ("7月中旬达到序时进度", ("", ((date(2023, 7, 20), "pace"),), "%")),
    (
        "6月底、12月底分别完成50%、100%",
        ("", (("2023-06", 50.0), ("2023-12", 100.0)), "%"),
    ),
]


@pytest.mark.parametrize(("text", "expected"), CHECKPOINTS, ids=[t for t, _ in CHECKPOINTS])
def test_checkpoints(text: str, expected: tuple[Any, ...]) -> None:
    found = [v for k, _, v in read(text) if k == "checkpoints"]
    assert found == [expected]


FIGURES = [
    ("比重达到60%以上", "达到60%以上", (60.0, "%", "at_least", False, "")),
    ("全年实现消费帮扶1.2亿元以上", "1.2亿元以上", (1.2, "亿元", "at_least", False, "")),
    ("不低于500万元", "不低于500万元", (500.0, "万元", "at_least", False, "")),
    ("控制在5%以内", "控制在5%以内", (5.0, "%", "at_most", False, "")),
    ("不超过3000人", "不超过3000人", (3000.0, "人", "at_most", False, "")),
    ("就业规模稳定在4927人", "稳定在4927人", (4927.0, "人", "at_least", True, "")),
    ("监测范围调整为8000元", "调整为8000元", (8000.0, "元", "at_least", True, "")),
    ("力争新增帮扶车间1家", "1家", (1.0, "家", "at_least", False, "")),
    ("新增就业200户", "新增就业200户" if False else "200户", (200.0, "户", "at_least", False, "")),
    ("打造3个市级示范村", "3个", (3.0, "个", "at_least", False, "")),
    ("驻村干部每月2/3以上时间在村", "2/3以上", (66.67, "%", "at_least", False, "")),
]


@pytest.mark.parametrize(("text", "words", "figure"), FIGURES, ids=[t for t, _, _ in FIGURES])
def test_figure(text: str, words: str, figure: tuple[Any, ...]) -> None:
    assert ("figure", words, figure) in read(text)


def test_figures_respectively_take_their_subjects() -> None:
    """文明村、文明镇占比分别达到67%75% (the 、 lost on the web page, put back when read)."""
    found = [v for k, _, v in read("推动区级以上文明村、文明镇(街道)占比分别达到67%、75%")]
    assert found == [
        (67.0, "%", "at_least", False, "推动区级以上文明村占比"),
        (75.0, "%", "at_least", False, "文明镇(街道)占比"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "每学期开展1次排查",
        "每月调度1次",
        "12317等平台",
        "第二批全国试点",
        "发现问题后5个工作日内整改",
    ],
)
def test_no_figure_in_counts_of_times_names_or_spans(text: str) -> None:
    assert not [k for k, _, _ in read(text) if k == "figure"]


STANDING = [
    ("常态化推进扫黑除恶", "常态化推进"),
    ("常态化宣传巩固拓展脱贫攻坚成果", "常态化宣传"),
    ("长期坚持", "长期坚持"),
    ("持续开展消费帮扶", "持续开展"),
    ("定期收集各镇街典型经验做法", "定期收集"),
]


@pytest.mark.parametrize(("text", "words"), STANDING)
def test_standing_duty_has_no_invented_cadence(text: str, words: str) -> None:
    """ChineseTimeNLP gives today's date for 长期坚持: here there is no date and no cadence."""
    found = read(text)
    assert ("standing", words, None) in found
    assert not [k for k, _, _ in found if k in ("due", "every")]


@pytest.mark.parametrize(
    "text",
    ["研究建立常态化帮扶机制", "健全完善定期调度机制", "持续深化农村改革", "持续加大支持力度"],
)
def test_not_standing(text: str) -> None:
    """常态化 before a noun (机制) and 持续 with 深化/加大 are no duty of their own."""
    assert not [k for k, _, _ in read(text) if k == "standing"]


TRIGGERED = [
    ("发现未落实的要立即整改或暂停实施", ("发现未落实", "整改或暂停实施", None)),
    ("对失业或收入降低的要及时推荐优质岗位", ("失业或收入降低", "推荐优质岗位", None)),
    ("第一时间推送预警信息", ("", "推送预警信息", None)),
    ("发现问题后5个工作日内整改到位", ("发现问题", "整改到位", "5 working days")),
    ("收到交办件后3日内签收", ("收到交办件", "签收", "3 days")),
]


@pytest.mark.parametrize(("text", "expected"), TRIGGERED, ids=[t for t, _ in TRIGGERED])
def test_triggered(text: str, expected: tuple[Any, ...]) -> None:
    assert [v for k, _, v in read(text) if k == "triggered"] == [expected]


AIMS = [
    ("力争新增帮扶车间1家", "力争"),
    ("争取纳入试点", "争取"),
    ("积极争取纳入第二批全国乡村治理体系建设试点任务", "积极争取"),
    ("原则上第一季度讨论制定增收措施", "原则上"),
    ("适时组织召开工作现场会", "适时"),
]


@pytest.mark.parametrize(("text", "words"), AIMS)
def test_aim(text: str, words: str) -> None:
    assert ("aim", words, None) in read(text)


LEDGERS = [
    ("建立完善学生资助情况台账", "建立完善学生资助情况台账"),
    ("建立问题、责任、时限三张清单", "建立问题、责任、时限三张清单"),
    ("编制乡村建设任务和责任清单", "编制乡村建设任务和责任清单"),
    ("建立典型案例库", "建立典型案例库"),
]


@pytest.mark.parametrize(("text", "words"), LEDGERS)
def test_ledger(text: str, words: str) -> None:
    assert ("ledger", words, words) in read(text)


def test_a_list_system_is_no_list() -> None:
    """推广“清单制”: a way of working, not a list to build."""
    assert not [k for k, _, _ in read("100%行政村推广清单制") if k == "ledger"]


RESULTS = [
    ("制定“三保障”及饮水安全成果巩固提升工作方案", "制定“三保障”及饮水安全成果巩固提升工作方案"),
    ("完成2024年、2025年项目库建设", "完成2024年、2025年项目库建设"),
    ("全覆盖开展一次防止返贫监测帮扶“回头看”", "开展一次防止返贫监测帮扶“回头看”"),
]


@pytest.mark.parametrize(("text", "words"), RESULTS)
def test_result(text: str, words: str) -> None:
    found = read(text)
    assert ("result", words, words) in found
    assert not [k for k, _, _ in found if k == "due"], "a year inside a name is no deadline"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("5", 5),
        ("12", 12),
        ("五", 5),
        ("十", 10),
        ("十二", 12),
        ("二十", 20),
        ("三十一", 31),
        ("两", 2),
    ],
)
def test_numerals(text: str, value: int) -> None:
    assert number(text) == value


@pytest.mark.parametrize("text", ["百", "十十", "一二", ""])
def test_not_numerals(text: str) -> None:
    with pytest.raises(ValueError):
        number(text)


def test_clauses_keep_their_offsets() -> None:
    sentence = "每月调度1次，每季度召开一次专题会议；常态化研究推进各项工作。"
    parts = list(g.clauses(sentence))
    assert [text for _, text in parts] == [
        "每月调度1次",
        "每季度召开一次专题会议",
        "常态化研究推进各项工作。",
    ]
    assert all(sentence[start : start + len(text)] == text for start, text in parts)
