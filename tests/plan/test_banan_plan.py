"""The 巴南区 2023 plan compiles to the items, owners and dates it states."""

from __future__ import annotations

import calendar
from collections import Counter
from datetime import date
from functools import cache
from pathlib import Path

import pytest

from workplan.plan.compiled import CompiledPlan, MetricInfo, ObligationInfo
from workplan.plan.validate import read_plan

PLAN = Path(__file__).resolve().parents[2] / "plans" / "banan-2023.yaml"
D = date


@cache
def plan() -> CompiledPlan:
    return read_plan(PLAN).compiled


def obligation(task: int, key: str) -> ObligationInfo:
    found = [o for o in plan().obligations if o.task == task and o.key == key]
    assert len(found) == 1, f"item {task}: expected one obligation '{key}', found {len(found)}"
    return found[0]


def occurrences(task: int, source: str) -> list[ObligationInfo]:
    return [o for o in plan().obligations if o.task == task and o.source == source]


def metric(task: int, key: str) -> MetricInfo:
    found = [m for m in plan().metrics if m.task == task and m.key == key]
    assert len(found) == 1, f"item {task}: expected one metric '{key}', found {len(found)}"
    return found[0]


MONTH_ENDS = [D(2023, m, calendar.monthrange(2023, m)[1]) for m in range(1, 13)]
QUARTER_ENDS = [D(2023, 3, 31), D(2023, 6, 30), D(2023, 9, 30), D(2023, 12, 31)]
YEAR_END = D(2023, 12, 31)


def pace(day: date) -> float:
    """序时进度 of a 100% year target: the elapsed share of 2023, in points."""
    return round(((day - D(2023, 1, 1)).days + 1) / 365 * 100, 2)


# -- metadata, chapters and items ---------------------------------------------------------


def test_metadata() -> None:
    p = plan()
    assert p.id == "banan-2023"
    assert p.title == "巴南区2023年巩固拓展脱贫攻坚成果同乡村振兴有效衔接工作要点"
    assert (p.year, p.issued) == (2023, D(2023, 5, 9))
    assert p.settings.issuer == "中共重庆市巴南区委农村工作暨实施乡村振兴战略领导小组办公室"
    assert (p.timezone, p.locale, p.settings.calendar.country) == ("Asia/Shanghai", "zh-CN", "CN")
    assert p.office == "区委农办"
    assert len(p.settings.leadership) == 1


def test_policy_is_plan_wide() -> None:
    rules = plan().obligations[0].rules
    assert rules.remind == (3, 1)
    assert [(s.name, s.after, s.to) for s in rules.escalate] == [
        ("催办", 1, ("owners",)),
        ("督办", 5, ("lead", "heads", "office")),
        ("通报", 10, ("owners", "heads", "leadership")),
    ]


CHAPTERS = [
    (1, "实施脱贫成果巩固提升行动", range(1, 7)),
    (2, "实施防返贫保增收计划行动", range(7, 12)),
    (3, "实施宜居宜业和美乡村示范创建行动", range(12, 15)),
    (4, "强化支撑保障", range(15, 21)),
    (5, "坚持党建统领", range(21, 26)),
]


def test_25_items_under_5_chapters() -> None:
    tasks = plan().tasks
    assert [t.number for t in tasks] == list(range(1, 26))
    for chapter, title, numbers in CHAPTERS:
        inside = [t for t in tasks if t.chapter == chapter]
        assert [t.number for t in inside] == list(numbers)
        assert {t.chapter_title for t in inside} == {title}


def test_titles_and_full_texts() -> None:
    by_number = {t.number: t for t in plan().tasks}
    assert by_number[1].title == "实施“双线监测”,坚决守牢规模性返贫底线"
    assert by_number[16].title == "强化衔接资金和项目管理"
    for t in plan().tasks:
        assert t.text.startswith(t.title), t.number
        assert t.text.endswith("负责)"), t.number  # the department list closes every item
    assert "调整为8000元" in by_number[1].text
    assert "4月、6月和9月分别达到30%50%75%" in by_number[16].text  # as published


LEADS = [
    # item, lead, co (names separated by spaces)
    (
        1,
        "区乡村振兴局",
        "区教委 区民政局 区人力社保局 区住房城乡建委 区卫生健康委 区水利局 区医保局",
    ),
    (3, "区乡村振兴局 区委组织部", ""),  # 牵头负责: both lead
    (4, "区乡村振兴局", "区农业农村委 区工商联 区民政局 帮扶集团牵头单位"),
    (10, "区农业农村委", ""),
    (11, "区委农办", "区农业农村委 区乡村振兴局 区人力社保局 区民政局"),
    (16, "区乡村振兴局", "区财政局"),
    (17, "区乡村振兴局", "区农业农村委 区大数据发展局 区科技局"),
    (23, "区委农办", "区乡村振兴局"),
    (24, "区委组织部", "区纪委监委机关 区人力社保局 区乡村振兴局 区农业农村委"),
]


@pytest.mark.parametrize(("number", "lead", "co"), LEADS)
def test_lead_and_co(number: int, lead: str, co: str) -> None:
    task = next(t for t in plan().tasks if t.number == number)
    assert (task.lead, task.co) == (tuple(lead.split()), tuple(co.split()))


def test_big_data_bureau_has_one_canonical_name() -> None:
    item12 = next(t for t in plan().tasks if t.number == 12)
    assert "区大数据发展局" in item12.co  # the plan writes 区大数据局 here
    assert "区大数据局" not in item12.co
    dept = next(d for d in plan().departments if d.name == "区大数据发展局")
    assert dept.aliases == ("区大数据局",)


def test_directory_is_placeholders_with_heads() -> None:
    named = {n for t in plan().tasks for n in t.owners}
    departments = {d.name: d for d in plan().departments}
    assert named == set(departments)  # every unit named in a parenthesis, and no other
    assert {"区委农办", "帮扶集团牵头单位"} <= named
    for d in departments.values():
        assert d.emails and all(e.endswith("@example.org") for e in d.emails), d.name
        assert d.head_email is not None and d.head_email.endswith("@example.org"), d.name


# -- obligations ----------------------------------------------------------------------------

# Every one-off deliverable and metric checkpoint: (item, key, due, target).
DATED = [
    # 一: 回头看 once, with the half-yearly 集中排查; the 8000元 line
    (1, "look-back-review", YEAR_END, None),
    (1, "monitoring-line#target", YEAR_END, 8000),
    (2, "work-plan", YEAR_END, None),
    (4, "group-annual-tasks", YEAR_END, None),
    (6, "risk-plan", YEAR_END, None),
    # 七: 全年实现消费帮扶1.2亿元以上
    (7, "consumption-support#target", YEAR_END, 1.2),
    (7, "courtyard-economy#target", YEAR_END, 100),
    (8, "new-workshops#target", YEAR_END, 1),
    # 十一: 第一季度 …制定增收措施, 第四季度 …信息采集
    (11, "income-measures", D(2023, 3, 31), None),
    (11, "information-collection", YEAR_END, None),
    (12, "construction-task-list", YEAR_END, None),
    (12, "model-villages#target", YEAR_END, 3),
    (13, "silian-pilot-villages#target", YEAR_END, 4),
    (13, "points-system#target", YEAR_END, 80),
    (13, "list-system#target", YEAR_END, 100),
    (13, "courtyard-pilot-villages#target", YEAR_END, 4),
    (14, "civilised-villages#target", YEAR_END, 67),
    (14, "civilised-towns#target", YEAR_END, 75),
    # 十六: 4月、6月和9月 30%、50%、75%; 7月中旬、10月中旬 序时进度 (merged in date order)
    (16, "central-disbursement#1", D(2023, 4, 30), 30),
    (16, "central-disbursement#2", D(2023, 6, 30), 50),
    (16, "central-disbursement#3", D(2023, 7, 20), pace(D(2023, 7, 20))),
    (16, "central-disbursement#4", D(2023, 9, 30), 75),
    (16, "central-disbursement#5", D(2023, 10, 20), pace(D(2023, 10, 20))),
    (16, "central-disbursement#target", YEAR_END, 100),
    (16, "municipal-disbursement#1", D(2023, 7, 20), pace(D(2023, 7, 20))),
    (16, "municipal-disbursement#2", D(2023, 10, 20), pace(D(2023, 10, 20))),
    (16, "municipal-disbursement#target", YEAR_END, 100),
    (16, "district-disbursement#1", D(2023, 7, 20), pace(D(2023, 7, 20))),
    (16, "district-disbursement#2", D(2023, 10, 20), pace(D(2023, 10, 20))),
    (16, "district-disbursement#target", YEAR_END, 100),
    (16, "central-industry-share#target", YEAR_END, 60),
    (16, "project-library-2024", YEAR_END, None),
    (16, "project-library-2025", YEAR_END, None),
    # 二十五: 对21个涉农镇街全覆盖开展暗查暗访
    (25, "secret-visits#target", YEAR_END, 21),
    # issue 11: 一: 有劳动力的至少要落实一项开发式帮扶措施 (every such household: 100%)
    (1, "development-measures#target", YEAR_END, 100),
    # 七: the three named villages' 庭院经济示范户 (undated: the plan's default)
    (7, "courtyard-demo-pingyuan", YEAR_END, None),
    (7, "courtyard-demo-tanzikou", YEAR_END, None),
    (7, "courtyard-demo-youfang", YEAR_END, None),
    # 十六: the four named key projects, each 纳入市级重点项目 or not (undated: the default)
    (16, "key-project-seedling", YEAR_END, None),
    (16, "key-project-courtyard", YEAR_END, None),
    (16, "key-project-yunjian", YEAR_END, None),
    (16, "key-project-shihei", YEAR_END, None),
    # 二十: 谋划2023年区对镇考核评估工作 (undated: the default)
    (20, "assessment-plan", YEAR_END, None),
]


@pytest.mark.parametrize(("task", "key", "due", "target"), DATED)
def test_dated_obligation(task: int, key: str, due: date, target: float | None) -> None:
    o = obligation(task, key)
    assert o.due == due
    assert o.target == (pytest.approx(target) if target is not None else None)


def test_pace_values() -> None:
    assert pace(D(2023, 7, 20)) == 55.07  # 201 / 365 days
    assert pace(D(2023, 10, 20)) == 80.27  # 293 / 365 days
    assert obligation(16, "central-disbursement#3").target == 55.07


# Every recurring duty and held metric: (item, source id, due dates, held target).
RECURRING = [
    (1, "concentrated-inspection", [D(2023, 6, 30), YEAR_END], None),  # 每半年开展一次
    (2, "dropout-check", [D(2023, 7, 7), D(2024, 1, 19)], None),  # 每学期开展1次
    (2, "insurance-check", MONTH_ENDS, None),
    (2, "monthly-inspection", MONTH_ENDS, None),
    (5, "in-village-time", MONTH_ENDS, 66.67),  # 每月2/3以上时间在村
    (7, "farmer-linkage-dispatch", MONTH_ENDS, None),
    (8, "work-relief-dispatch", MONTH_ENDS, None),
    (8, "employment-monitoring", MONTH_ENDS, None),
    (8, "employment-scale", MONTH_ENDS, 4927),  # 稳定在4927人
    (10, "asset-revenue-dispatch", MONTH_ENDS, None),
    (11, "income-verification", MONTH_ENDS, None),
    (23, "task-force-dispatch", MONTH_ENDS, None),  # 每月调度1次
    (23, "task-force-meeting", QUARTER_ENDS, None),  # 每季度召开一次专题会议
    (23, "household-visits", MONTH_ENDS, None),
    (23, "quarterly-task-list", QUARTER_ENDS, None),
    (25, "progress-bulletin", MONTH_ENDS, None),  # 每月通报
    # issue 11: standing duties, an account each half-year (十二's 四项专项活动) or quarter
    (12, "village-cleaning", [D(2023, 6, 30), YEAR_END], None),
    (12, "five-clean-one-activity", [D(2023, 6, 30), YEAR_END], None),
    (12, "thousand-villages", [D(2023, 6, 30), YEAR_END], None),
    (12, "living-environment", [D(2023, 6, 30), YEAR_END], None),
    (20, "rectification", QUARTER_ENDS[1:], None),  # 一体整改, each quarter from issue
]


def test_undated_results_are_marked_as_the_offices_default() -> None:
    assert obligation(16, "key-project-seedling").title == (
        "争取数字育苗中心项目纳入市级乡村振兴重点项目（办公室默认时限）"
    )
    assert obligation(7, "courtyard-demo-pingyuan").owners == ("区农业农村委",)
    # the results the plan dated before issue 11 keep their titles
    assert obligation(16, "project-library-2024").title == "完成2024年项目库建设"


def test_standing_duties_ask_for_an_account_of_the_period() -> None:
    [first, _] = occurrences(12, "village-cleaning")
    assert first.title == "组织开展村庄清洁行动：报送本期开展情况（常态化工作）"
    assert first.key == "village-cleaning@2023-H1"


@pytest.mark.parametrize(("task", "source", "dues", "target"), RECURRING)
def test_recurring(task: int, source: str, dues: list[date], target: float | None) -> None:
    found = occurrences(task, source)
    assert [o.due for o in found] == dues
    assert {o.target for o in found} == {target}


def test_nothing_else() -> None:
    """The tables above cover every obligation: a new one needs a row."""
    expected = Counter({(t, k): 1 for t, k, _, _ in DATED})
    for task, source, _, _ in RECURRING:
        for o in occurrences(task, source):
            expected[(task, o.key)] += 1
    assert Counter((o.task, o.key) for o in plan().obligations) == expected
    assert sum(len(d) for _, _, d, _ in RECURRING) + len(DATED) == len(plan().obligations)


def test_before_the_issue_date_kept() -> None:
    issued = plan().issued
    assert issued is not None
    early = {o.key for o in plan().obligations if o.due < issued}
    assert {"income-measures", "central-disbursement#1", "task-force-meeting@2023-Q1"} <= early
    assert "progress-bulletin@2023-04" in early


# -- metrics ----------------------------------------------------------------------------------

METRICS = [
    # item, key, unit, target, cumulative, report
    (1, "monitoring-line", "元", 8000, False, None),
    (5, "in-village-time", "%", 66.67, False, "month"),
    (7, "consumption-support", "亿元", 1.2, True, "month"),
    (8, "employment-scale", "人", 4927, False, None),
    (8, "new-workshops", "家", 1, True, None),
    (12, "model-villages", "个", 3, True, None),
    (16, "central-disbursement", "%", 100, True, "month"),
    (16, "municipal-disbursement", "%", 100, True, "month"),
    (16, "district-disbursement", "%", 100, True, "month"),
    (16, "central-industry-share", "%", 60, False, None),
    (25, "secret-visits", "个镇街", 21, True, None),
    (1, "development-measures", "%", 100, True, None),
]


@pytest.mark.parametrize(("task", "key", "unit", "target", "cumulative", "report"), METRICS)
def test_metric(
    task: int, key: str, unit: str, target: float, cumulative: bool, report: str | None
) -> None:
    m = metric(task, key)
    assert (m.unit, m.target, m.cumulative, m.report) == (unit, target, cumulative, report)
    assert m.direction == "at_least"
    assert m.target_by == YEAR_END


DISBURSEMENT = ["central-disbursement", "municipal-disbursement", "district-disbursement"]


@pytest.mark.parametrize("key", DISBURSEMENT)
def test_disbursement_paced_over_the_year(key: str) -> None:
    m = metric(16, key)
    # 序时进度 over the year sets the mid-July and mid-October checkpoints; the plan asks for
    # it on those dates only, so no pace is tracked in between (no tolerance)
    assert (m.pace_start, m.pace_until, m.pace_tolerance) == (D(2023, 1, 1), YEAR_END, None)


def test_owners_narrowed_by_duty() -> None:
    assert {o.owners for o in occurrences(2, "dropout-check")} == {("区教委",)}
    assert obligation(4, "group-annual-tasks").owners == ("帮扶集团牵头单位",)
    assert metric(8, "employment-scale").owners == ("区人力社保局", "区乡村振兴局")
    # by default the whole parenthesis answers
    assert obligation(16, "project-library-2024").owners == ("区乡村振兴局", "区财政局")


# -- issue 11: 立即/及时 duties started by an event, and yes/no results ----------------------

TRIGGERED = [
    # item, duty, the event that starts it, within, owners
    (1, "verify-clue", "clue-reported", "5 working days", ("区乡村振兴局",)),  # 及时核实处置
    (2, "water-fix", "water-problem-found", "10 working days", ("区水利局",)),  # 及时整改动态清零
    (7, "linkage-fix", "linkage-gap-found", "1 working day", ("区农业农村委",)),  # 立即整改
    (8, "recommend-jobs", "job-loss-found", "5 working days", ("区人力社保局",)),  # 及时推荐岗位
    (11, "income-protection", "income-drop-found", "1 working day", ("区乡村振兴局",)),  # 立即制定
    (11, "income-protection-done", "income-drop-found", "10 working days", ("区乡村振兴局",)),
]


def test_event_duties_wait_for_their_event() -> None:
    p = plan()
    assert [
        (t.task, t.key, t.event, str(t.within), t.owners) for t in p.settings.triggers
    ] == TRIGGERED
    assert set(p.settings.events) == {t[2] for t in TRIGGERED}
    # nothing is owed until the office records the event: no obligation of theirs yet
    assert not [o for o in p.obligations if o.source in {t[1] for t in TRIGGERED}]


def test_the_key_projects_are_yes_no_results() -> None:
    outcomes = sorted(o.key for o in plan().obligations if o.kind == "outcome")
    assert outcomes == [
        "key-project-courtyard",
        "key-project-seedling",
        "key-project-shihei",
        "key-project-yunjian",
    ]
