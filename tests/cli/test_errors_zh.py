"""Every refusal a clerk can meet in the store and the reports is said through the catalog:
in Chinese for a zh-CN plan, its days as 2023年7月28日 and its numbers as tables show them, and
in English under --lang en (issue 26).  One table, one row per message, each reached through
the command a clerk types."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.helpers import PLANS, run

OFFICE = "区委农办"
# what each command is given unless the case says otherwise
DEFAULTS = {
    "progress": ("--as-of", "2023-06-05", "--by", "区财政局"),
    "done": ("--on", "2023-07-20"),
    "assign": ("--by", OFFICE, "--on", "2023-07-03"),
    "extend": ("--reason", "等待项目批复"),
    **{
        step: ("--on", "2023-07-21")
        for step in ("receipt", "answer", "review", "problem", "pause", "resume")
    },
    "request": ("--on", "2023-07-21", "--reason", "需要更多时间"),
}


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The Banan plan with what the refusals answer: a value and duties reported, a 交办件
    with an extension asked, a problem raised and decided, an item paused, one signed off."""
    path = str(tmp_path_factory.mktemp("errors") / "workplan.db")
    steps: list[tuple[str, ...]] = [
        ("load", str(PLANS / "banan-2023.yaml")),
        ("progress", "record", "16", "区级衔接资金支出进度", "--value", "40"),
        ("--as-of", "2023-06-01", "--by", "区财政局"),
        ("done", "1/concentrated-inspection", "--by", "区乡村振兴局", "--on", "2023-05-01"),
        ("done", "2/monthly-inspection", "--by", "区教委", "--on", "2023-04-20"),
        ("assign", "排查农村危房", "--source", "领导批示", "--leader", "张三"),
        ("--lead", "区住房城乡建委", "--due", "2023-08-31", "--by", OFFICE, "--on", "2023-07-03"),
        ("request", "交办1", "--by", "区住房城乡建委", "--to", "2023-09-30"),
        ("--reason", "需要更多时间", "--on", "2023-07-10"),
        ("problem", "raise", "16", "资金拨付不到位", "--by", "区财政局", "--on", "2023-07-10"),
        ("problem", "decide", "3", "由区财政局统筹", "--by", OFFICE, "--on", "2023-07-20"),
        ("pause", "16", "--reason", "等待市级审核", "--by", OFFICE, "--on", "2023-07-20"),
        ("signoff", "17", "--by", OFFICE),
    ]
    args: list[str] = []
    for step in steps:
        if step[0].startswith("--"):  # the rest of the step above
            args.extend(step)
            continue
        if args:
            run(*args, "--db", path)
        args = list(step)
    run(*args, "--db", path)
    return path


def _files(folder: Path) -> dict[str, str]:
    """Ledgers and a list a clerk may send wrong."""
    from openpyxl import Workbook

    files = {
        "no-header.csv": "甲,乙\n1,2\n",
        "no-date-column.csv": "事项,指标,数值,日子,报送单位\n16,区级衔接资金支出进度,40,2023-06-01,区财政局\n",
        "rows.csv": (
            "事项,指标,任务,数值,日期,报送单位\n"
            ",区级衔接资金支出进度,,41,2023-06-02,区财政局\n"
            "16,区级衔接资金支出进度,,41,2023-06-02,\n"
            "16,区级衔接资金支出进度,,,2023-06-02,区财政局\n"
            "16,区级衔接资金支出进度,,41,2023-6-31,区财政局\n"
            "16,区级衔接资金支出进度,,41,,区财政局\n"
        ),
        "empty.csv": ",,\n",
        "ledger.ods": "x",
    }
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["事项", "牵头单位", "完成时限"])
    sheet.append(["", "", "2023年13月1日"])
    book.save(folder / "list.xlsx")
    return {name: str(folder / name) for name in [*files, "list.xlsx"]}


# (the command, then the error in Chinese and in English: exactly as the clerk reads it)
CASES: list[tuple[tuple[str, ...], str, str]] = [
    # refs: which item, metric, obligation, occurrence
    (
        ("done", "abc", "--by", "区乡村振兴局"),
        "“abc”不是事项序号（可写 16、十六、（十六）、十六、或 第十六项）",
        "'abc' is not an item number (write 16, 十六, （十六）, 十六、 or 第十六项)",
    ),
    (
        ("progress", "record", "16", "区级衔接资金支出进度", "--part", "x", "--value", "1"),
        "事项（十六）：区级衔接资金支出进度没有分项“x”（分项：已下达、全国平均水平、已支出）",
        "item （十六）: 区级衔接资金支出进度 has no part 'x' (allocated (denominator), "
        "national-average (benchmark), spent (numerator))",
    ),
    (
        ("done", "16", "--by", "区财政局"),
        "事项（十六）有多项待完成的任务（key-project-courtyard、key-project-seedling、"
        "key-project-shihei、key-project-yunjian、project-library-2024、project-library-2025）"
        "：请指明一项，写成 16/任务编号",
        "item （十六） has several open obligations (key-project-courtyard, "
        "key-project-seedling, key-project-shihei, key-project-yunjian, project-library-2024, "
        "project-library-2025): write 16/ID",
    ),
    (
        ("done", "2/monthly-inspection", "--by", "区教委", "--on", "2023-04-25"),
        "事项（二）：2023年4月25日所在的一期（2023-04）已于2023年4月20日由区教委报完成；"
        "未完成的期次：2023-01、2023-02、2023-03、2023-05、2023-06、2023-07 …；"
        "写法如 2/monthly-inspection@2023-01 或 --period 2023-01",
        "item （二）: the occurrence 2023-04, which 2023-04-25 falls in, was already marked "
        "done on 2023-04-20 by 区教委; open: 2023-01, 2023-02, 2023-03, 2023-05, 2023-06, "
        "2023-07 …; name one: 2/monthly-inspection@2023-01 or --period 2023-01",
    ),
    (
        ("done", "2/monthly-inspection", "--by", "区教委", "--period", "2023-13"),
        "事项（二）：排查“三保障”及饮水安全问题,建立问题、责任、时限三张清单没有2023-13这一期"
        "（期次从2023-01到2023-12）",
        "item （二）: 排查“三保障”及饮水安全问题,建立问题、责任、时限三张清单 has no occurrence "
        "2023-13 (they run from 2023-01 to 2023-12)",
    ),
    (
        ("receipt", "2/monthly-inspection", "--by", "区教委"),
        "事项（二）：排查“三保障”及饮水安全问题,建立问题、责任、时限三张清单是定期任务，须指明哪一期；"
        "未完成的期次：2023-01、2023-02、2023-03、2023-05、2023-06、2023-07 …；"
        "写法如 2/monthly-inspection@2023-01 或 --period 2023-01",
        "item （二）: 排查“三保障”及饮水安全问题,建立问题、责任、时限三张清单 is a recurring duty: "
        "say which occurrence; open: 2023-01, 2023-02, 2023-03, 2023-05, 2023-06, 2023-07 …; "
        "name one: 2/monthly-inspection@2023-01 or --period 2023-01",
    ),
    (
        ("done", "1/look-back-review", "--by", "区乡村振兴局", "--period", "2023-05"),
        "事项（一）：全覆盖开展一次防止返贫监测帮扶“回头看”不是定期任务，没有期次2023-05",
        "item （一）: 全覆盖开展一次防止返贫监测帮扶“回头看” is not a recurring duty; it has no "
        "period 2023-05",
    ),
    (
        ("done", "5", "--by", OFFICE),
        "事项（五）没有待完成的任务",
        "item （五）: nothing open to mark done",
    ),
    (
        ("request", "1", "--by", "区乡村振兴局", "--to", "2023-12-30", "--reason", "x"),
        "事项（一）有 2 项任务（concentrated-inspection@2023-H2、look-back-review）："
        "请指明是哪一项，写成 事项/任务编号",
        "item （一） has 2 obligations (concentrated-inspection@2023-H2, look-back-review): "
        "name one as TASK/OBLIGATION",
    ),
    (
        ("request", "2/monthly-inspection@2023-01", "--by", "区教委", "--to", "2023-12-30"),
        "排查“三保障”及饮水安全问题,建立问题、责任、时限三张清单的时限是2023年1月31日，"
        "已经逾期（今天是2023年7月21日）：延期须在时限前申请",
        "排查“三保障”及饮水安全问题,建立问题、责任、时限三张清单 was due 2023-01-31: an "
        "extension is asked before the deadline, not after it (today is 2023-07-21)",
    ),
    # records and checks: a value, a day, who may report
    (
        ("done", "1/monitoring-line#target", "--by", "区乡村振兴局"),
        "防止返贫监测对象监测范围是指标节点，由报送的数值判定，无需标记完成"
        "（报送数值：workplan progress record 1 monitoring-line --value …）",
        "防止返贫监测对象监测范围 is a metric checkpoint: it is met by the values reported "
        "(workplan progress record 1 monitoring-line --value …)",
    ),
    (
        ("done", "1/concentrated-inspection", "--by", "区乡村振兴局", "--period", "2023-H1"),
        "事项（一）的防止返贫监测帮扶集中排查(全覆盖走访全部农户)已于2023年5月1日由区乡村振兴局"
        "报完成；本次为2023年7月20日。如要改为本次日期，请作更正",
        "防止返贫监测帮扶集中排查(全覆盖走访全部农户) of item （一） was already marked done on "
        "2023-05-01 by 区乡村振兴局; this says 2023-07-20: to replace the day, record the "
        "correction with --correct",
    ),
    (
        (
            "progress",
            "record",
            "16",
            "区级衔接资金支出进度",
            "--value",
            "45",
            "--as-of",
            "2023-6-1",
        ),
        "区级衔接资金支出进度截至2023年6月1日的数值已报送为 40（区财政局）；本次为 45。"
        "如要以本次数值替换，请作更正（原数值保留在记录中）",
        "区级衔接资金支出进度 was reported as 40 for 2023-06-01 (by 区财政局); this says 45: "
        "to replace the earlier value, record the correction with --correct",
    ),
    (
        ("progress", "record", "16", "区级衔接资金支出进度", "--value", "0.3"),
        "区级衔接资金支出进度是百分比，0.3 像是小数：30% 请填 30；如确实不到百分之一，请填 0.3%；"
        "区级衔接资金支出进度是累计数，不能减少：2023年6月1日已报 40，本次为 0.3。请核对后重新填写",
        "区级衔接资金支出进度 is a percentage and 0.3 looks like a fraction: write 30 for 30%, "
        "or 0.3% when less than one per cent is meant; 区级衔接资金支出进度 is cumulative and "
        "cannot go down: 0.3 after 40 reported for 2023-06-01; to record it anyway, use --force",
    ),
    (
        ("progress", "record", "16", "区级衔接资金支出进度", "--value", "3000"),
        "区级衔接资金支出进度是百分比：3,000 超过了 100。请核对后重新填写",
        "区级衔接资金支出进度 is a percentage: 3,000 is above 100; to record it anyway, use --force",
    ),
    (
        ("progress", "record", "16", "区级衔接资金支出进度", "--value", "约30%"),
        "“约30%”带有“约”：数值请只写数字（如 30%），“约”等说明写在备注里",
        "'约30%' says '约': write the figure alone (30%) and put '约' in the note",
    ),
    (
        ("progress", "record", "16", "区级衔接资金支出进度", "--value", "abc"),
        "“abc”不是数值：请写数字，金额可写 1.2亿、4,400万，百分比可写 35 或 35%",
        "'abc' is not a number: write digits; an amount may be written 1.2亿 or 4,400万, "
        "a percentage 35 or 35%",
    ),
    (
        ("progress", "record", "16", "区级衔接资金支出进度", "--value", "30人"),
        "“30人”的单位是人，但区级衔接资金支出进度的单位是%",
        "'30人' is in 人, but 区级衔接资金支出进度 is counted in %",
    ),
    (
        (
            "progress",
            "record",
            "16",
            "区级衔接资金支出进度",
            "--value",
            "30",
            "--as-of",
            "2024-06-05",
        ),
        "2024年6月5日不在计划期内（2023年1月1日至2024年3月4日）：年份是否写错了？",
        "2024-06-05 is outside the plan's period (2023-01-01 – 2024-03-04): is the year right?",
    ),
    (
        ("progress", "record", "16", "区级衔接资金支出进度", "--value", "30", "--by", "区教委"),
        "区教委不是事项（十六）的责任单位（责任单位：区乡村振兴局、区财政局），"
        "只有责任单位或区委农办可以报送",
        "区教委 does not answer for item （十六） (its departments: 区乡村振兴局, 区财政局); "
        "only they or the office (区委农办) may report on it",
    ),
    (
        ("extend", "16/project-library-2024", "--to", "2023-01-01", "--by", OFFICE),
        "完成2024年项目库建设的时限是2023年12月31日；延期只能延后，不能改为2023年1月1日",
        "完成2024年项目库建设 is due 2023-12-31; an extension moves it later, not to 2023-01-01",
    ),
    (
        ("extend", "16/project-library-2024", "--to", "2023-12-31", "--by", "区财政局"),
        "只有区委农办可以批准延期，区财政局不可以",
        "only the coordination office (区委农办) may grant an extension; 区财政局 may not",
    ),
    (
        ("signoff", "16", "--by", OFFICE),
        "事项（十六）还有 6 项任务未办结（key-project-courtyard、key-project-seedling、"
        "key-project-shihei、key-project-yunjian、project-library-2024 …）；"
        "确需销号的，请选择“仍有未办结事项也销号”（--force）",
        "item （十六） still has 6 open obligation(s) (key-project-courtyard, "
        "key-project-seedling, key-project-shihei, key-project-yunjian, project-library-2024 …)"
        "; sign off anyway with --force",
    ),
    # the cycle
    (
        ("receipt", "交办1", "--by", "区财政局", "--on", "2023-07-04"),
        "区财政局不是事项（交办1）的责任单位（责任单位：区住房城乡建委），不能签收",
        "区财政局 does not answer for item （交办1） (its departments: 区住房城乡建委): "
        "it cannot sign for it",
    ),
    (
        ("request", "交办1", "--by", "区住房城乡建委", "--to", "2023-08-20", "--reason", "x"),
        "排查农村危房的时限是2023年8月31日；申请的新时限须晚于此日，不能是2023年8月20日",
        "排查农村危房 is due 2023-08-31: ask for a later day than that, not 2023-08-20",
    ),
    (
        ("request", "交办1", "--by", "区住房城乡建委", "--to", "2023-09-30", "--reason", " "),
        "请填写延期理由",
        "give the reason for the extension: --reason",
    ),
    (
        ("request", "交办1", "--by", "区住房城乡建委", "--to", "2023-09-30", "--reason", "x"),
        "区住房城乡建委已于2023年7月10日申请延期至2023年9月30日，尚待批复",
        "区住房城乡建委 asked on 2023-07-10 already (to 2023-09-30); the office has not "
        "answered yet",
    ),
    (
        ("answer", "交办1", "--approve", "--by", "区财政局"),
        "只有区委农办可以批复延期申请，区财政局不可以",
        "only the coordination office (区委农办) may answer an extension request; 区财政局 may not",
    ),
    (
        ("answer", "交办1", "--refuse", "--by", OFFICE),
        "请填写不同意的理由",
        "give the reason for refusing: --reason",
    ),
    (
        ("review", "交办1", "--accept", "--by", OFFICE),
        "排查农村危房没有待复核的报告",
        "排查农村危房 has no report waiting for review",
    ),
    (
        ("problem", "raise", "16", "资金", "--by", "区教委"),
        "区教委不是事项（十六）的责任单位（责任单位：区乡村振兴局、区财政局），不能就此事项提出问题",
        "区教委 does not answer for item （十六） (its departments: 区乡村振兴局, 区财政局): "
        "it cannot raise a problem on it",
    ),
    (
        ("problem", "decide", "99", "统筹", "--by", OFFICE),
        "没有编号为99的问题",
        "plan banan-2023 has no problem 99",
    ),
    (
        ("problem", "decide", "3", "统筹", "--by", OFFICE),
        "问题3已于2023年7月20日作出决定",
        "problem 3 was decided on 2023-07-20",
    ),
    (
        ("pause", "16", "--reason", "等待", "--by", OFFICE),
        "事项（十六）已于2023年7月20日挂起（等待市级审核）",
        "item （十六） is paused since 2023-07-20 (等待市级审核)",
    ),
    (
        ("resume", "15", "--by", OFFICE),
        "事项（十五）没有挂起",
        "item （十五） is not paused",
    ),
    (
        ("pause", "15", "--reason", "等待", "--by", "区财政局"),
        "只有区委农办可以挂起或恢复事项，区财政局不可以",
        "only the coordination office (区委农办) may pause or resume an item; 区财政局 may not",
    ),
    # 交办
    (
        ("assign", "排查", "--source", "领导批示", "--lead", "区财政局", "--due", "2023-08-31"),
        "领导批示须写明批示领导",
        "a 领导批示 names the leader who gave it (--leader)",
    ),
    (
        ("assign", "排查", "--source", "会议议定事项", "--lead", "区财政局"),
        "请填写办理时限或报送周期",
        "give the 交办件 a due date (--due), a cadence (--every) or both",
    ),
    (
        ("assign", "排查", "--source", "会议议定事项", "--lead", "区财政局", "--due", "2023-06-01"),
        "办理时限2023年6月1日早于今天（2023年7月3日）",
        "the due date 2023-06-01 has passed (today is 2023-07-03)",
    ),
    (
        ("links", "new", "--department", "区财政局", "--secret", ""),
        "未设置链接密钥（WORKPLAN_LINK_SECRET）",
        "no link secret: set WORKPLAN_LINK_SECRET",
    ),
    (
        ("notices", "--show", "99999"),
        "没有编号为99999的通知（可用 workplan notices 查看）",
        "plan banan-2023 has no notice 99999 (see `workplan notices`)",
    ),
    # the month's record, the return form
    (
        ("month", "close", "2023-07", "--today", "2023-07-20"),
        "2023年7月尚未结束（今天是2023年7月20日）：月末之后才能存档",
        "2023-07 has not ended yet (today is 2023-07-20): a month is closed after its last day",
    ),
    (
        ("ledger", "template", "--department", "区财政局", "--month", "2025-07"),
        "2025年7月不在计划期内（2023年1月1日至2024年3月4日）",
        "2025-07 is outside the plan's period (2023-01-01 – 2024-03-04)",
    ),
]


def _given(args: tuple[str, ...], db: str) -> tuple[str, ...]:
    extra = [
        a
        for option, value in zip(*[iter(DEFAULTS.get(args[0], ()))] * 2, strict=True)
        if option not in args
        for a in (option, value)
    ]
    return (*args, *extra, "--db", db)


@pytest.mark.parametrize(("args", "chinese", "english"), CASES, ids=lambda v: None)
def test_each_refusal_in_chinese_and_in_english(
    db: str, args: tuple[str, ...], chinese: str, english: str
) -> None:
    assert run(*_given(args, db), code=2).stderr == f"错误：{chinese}\n"
    assert run("--lang", "en", *_given(args, db), code=2).stderr == f"error: {english}\n"


# a file sent wrong: each problem on its line, then how many (Chinese, English)
FILE_CASES: list[tuple[str, tuple[str, ...], list[str], list[str]]] = [
    (
        "no-header.csv",
        ("progress", "import"),
        ["1:1: 前 20 行中没有表头：请写一行表头：事项、指标、数值、日期、报送单位"],
        [
            "1:1: no header row in the first 20 rows: write one with 事项, 指标, 数值, 日期, "
            "报送单位 (or item, metric, value, as_of, department)"
        ],
    ),
    (
        "no-date-column.csv",
        ("progress", "import"),
        ["1:1: 日期: 缺少“日期”列（或写作“as_of”）"],
        ["1:1: 日期: missing column '日期' (or 'as_of')"],
    ),
    (
        "rows.csv",
        ("progress", "import"),
        [
            "2:1: 事项: 没有填写事项序号",
            "3:6: 报送单位: 没有填写报送单位",
            "4:4: 数值: 请填写数值、完成的任务或备注",
            "5:5: 日期: “2023-6-31”不是真实存在的日期",
            "6:5: 日期: 没有填写日期",
        ],
        [
            "2:1: 事项: the item number is missing",
            "3:6: 报送单位: the reporting department is missing",
            "4:4: 数值: give a value, an obligation done, or a note",
            "5:5: 日期: '2023-6-31' is not a real date (day is out of range for month)",
            "6:5: 日期: the date is missing",
        ],
    ),
    ("empty.csv", ("progress", "import"), ["1:1: 表中没有内容"], ["1:1: the ledger is empty"]),
    (
        "ledger.ods",
        ("progress", "import"),
        [" 台账须为 .csv 或 .xlsx 文件"],
        [" a ledger is a .csv or .xlsx file"],
    ),
    (
        "list.xlsx",
        ("list", "import", "--item", "1", "--by", OFFICE, "--on", "2023-07-03"),
        [
            "2:1: 事项: 该条目没有内容",
            "2:1: 完成时限: “2023年13月1日”不是真实存在的日期",
            "2:1: 牵头单位: 该条目没有写明牵头单位",
        ],
        [
            "2:1: 事项: the entry has no text",
            "2:1: 完成时限: '2023年13月1日' is not a real date (month must be in 1..12)",
            "2:1: 牵头单位: the entry names no lead department",
        ],
    ),
]


@pytest.mark.parametrize(("name", "command", "chinese", "english"), FILE_CASES)
def test_each_problem_of_a_file_in_chinese_and_in_english(
    db: str,
    tmp_path: Path,
    name: str,
    command: tuple[str, ...],
    chinese: list[str],
    english: list[str],
) -> None:
    path = _files(tmp_path)[name]
    shown = name if command[0] == "list" else path  # a list's problems name the file alone
    args = (command[0], command[1], path, *command[2:], "--db", db)
    said = run(*args, code=2).stderr.splitlines()
    assert said == [*(f"{shown}:{line}" for line in chinese), f"共{len(chinese)}处问题"]
    said = run("--lang", "en", *args, code=2).stderr.splitlines()
    count = f"{len(english)} problem{'s' if len(english) > 1 else ''} found"
    assert said == [*(f"{shown}:{line}" for line in english), count]


def test_an_item_signed_off_says_the_day_it_was(db: str) -> None:
    """The day of an instant (the sign-off's, taken now) is the plan's local day."""
    said = run("signoff", "17", "--by", OFFICE, "--db", db, code=2).stderr
    assert re.fullmatch(r"错误：事项（十七）已于\d{4}年\d{1,2}月\d{1,2}日由区委农办销号\n", said), (
        said
    )
    said = run("--lang", "en", "signoff", "17", "--by", OFFICE, "--db", db, code=2).stderr
    assert re.fullmatch(
        r"error: item （十七） was signed off on \d{4}-\d\d-\d\d by 区委农办\n", said
    )


def test_a_database_not_there_or_not_one_is_said_in_the_language_of_lang(tmp_path: Path) -> None:
    """No plan at hand: the environment's LANG (or --lang) decides."""
    zh = {"LANG": "zh_CN.UTF-8"}
    missing = tmp_path / "none.db"
    said = run("status", "--db", str(missing), env=zh, code=1).stderr
    assert said == (
        f"错误：{missing} 处没有数据库：请先载入计划（workplan load PLAN.yaml --db {missing}）\n"
    )
    said = run("--lang", "en", "status", "--db", str(missing), env=zh, code=1).stderr
    assert said == (
        f"error: no database at {missing}: load a plan first "
        f"(workplan load PLAN.yaml --db {missing})\n"
    )
    said = run("status", "--db", str(tmp_path), env=zh, code=1).stderr
    assert said == f"错误：{tmp_path} 是文件夹，不是数据库：请用 --db 指定一个文件\n"
    (tmp_path / "notes.db").write_text("not a database", encoding="utf-8")
    said = run("status", "--db", str(tmp_path / "notes.db"), env=zh, code=1).stderr
    assert said.startswith(f"错误：{tmp_path / 'notes.db'} 不是数据库文件（SQLite 无法读取："), said
