"""The plan forms of issue 11: each owner its own duty, unit groups, working-day and two-month
cadences, standing duties, undated deliverables with the plan's default date."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from tests.helpers import FORMS, forms_variant, run
from workplan.plan.compiled import CompiledPlan, ObligationInfo
from workplan.plan.validate import read_plan

TOWNS = ("南泉街道", "一品街道", "姜家镇")
D = date


def plan() -> CompiledPlan:
    return read_plan(FORMS).compiled


def of(source_prefix: str) -> list[ObligationInfo]:
    return [o for o in plan().obligations if o.source.startswith(source_prefix)]


def test_each_owner_has_its_own_occurrences() -> None:
    push = of("push")
    assert {o.source for o in push} == {"push:区卫生健康委", "push:区医保局"}
    assert len(push) == 24
    june = [o for o in push if o.key.endswith("@2023-06")]
    assert [(o.key, o.owners, o.due) for o in june] == [
        ("push:区卫生健康委@2023-06", ("区卫生健康委",), D(2023, 6, 10)),
        ("push:区医保局@2023-06", ("区医保局",), D(2023, 6, 10)),
    ]
    assert june[0].title == "推送预警信息（区卫生健康委）"


def test_a_unit_group_is_cited_like_a_department() -> None:
    p = plan()
    task = p.tasks[0]
    assert task.co == ("区卫生健康委", "区医保局", *TOWNS)
    assert {d.name for d in p.departments} >= set(TOWNS)
    assert {o.owners for o in of("screening")} == {(town,) for town in TOWNS}


def test_every_working_day_follows_the_plans_calendar() -> None:
    days = sorted({o.due for o in of("daily-tracking")})
    # 29 September - 6 October 2023 are the Mid-Autumn and National Day holidays; Saturday 7
    # and Sunday 8 October are swapped working days (调休)
    assert days == [
        D(2023, 9, 25),
        D(2023, 9, 26),
        D(2023, 9, 27),
        D(2023, 9, 28),
        D(2023, 10, 7),
        D(2023, 10, 8),
        D(2023, 10, 9),
        D(2023, 10, 10),
    ]
    assert len(of("daily-tracking")) == 8 * len(TOWNS)


def test_every_two_months_from_the_anchor_month() -> None:
    assert [(o.key, o.opens, o.due) for o in of("dispatch")] == [
        ("dispatch@2023-02~03", D(2023, 2, 1), D(2023, 3, 31)),
        ("dispatch@2023-04~05", D(2023, 4, 1), D(2023, 5, 31)),
        ("dispatch@2023-06~07", D(2023, 6, 1), D(2023, 7, 31)),
        ("dispatch@2023-08~09", D(2023, 8, 1), D(2023, 9, 30)),
        ("dispatch@2023-10~11", D(2023, 10, 1), D(2023, 11, 30)),
    ]


def test_a_standing_duty_is_reviewed_at_its_cadence() -> None:
    nanquan = [o for o in of("screening:南泉街道")]
    assert [(o.key, o.due) for o in nanquan] == [
        ("screening:南泉街道@2023-Q1", D(2023, 3, 31)),
        ("screening:南泉街道@2023-Q2", D(2023, 6, 30)),
        ("screening:南泉街道@2023-Q3", D(2023, 9, 30)),
        ("screening:南泉街道@2023-Q4", D(2023, 12, 31)),
    ]
    assert nanquan[0].title == "常态化开展监测排查：报送本季度开展情况（常态化工作）（南泉街道）"


def test_an_undated_deliverable_takes_the_default_and_says_so() -> None:
    [work_plan] = of("work-plan")
    assert work_plan.due == D(2023, 6, 30)
    assert work_plan.title == "制定监测工作方案（办公室默认时限）"


def test_each_metric_is_one_metric_per_owner() -> None:
    metrics = {m.key: m for m in plan().metrics if m.task == 1}
    assert set(metrics) == {f"coverage:{t}" for t in TOWNS}
    assert metrics["coverage:姜家镇"].owners == ("姜家镇",)
    keys = {o.key for o in plan().obligations if o.kind == "checkpoint" and o.task == 1}
    assert keys == {f"coverage:{t}#target" for t in TOWNS}


def test_new_keys_are_validated_with_positions(tmp_path: Path) -> None:
    T = "chapters[0].tasks[0]"
    assert forms_variant(tmp_path, ("default_due: Q2", "default_due: Q5")) == [
        "forms.yaml:9:14: default_due: 'Q5' is not a due date: write a date (2023-06-30) or a "
        "period: Q1-Q4, H1, H2, a month (2023-06 for the end of June), or year-end",
        f"forms.yaml:44:13: {T}.deliverables[0]: the deliverable has no 'due': give one, or set "
        "the plan's 'default_due' (the office's default, marked as such)",
    ]
    assert forms_variant(tmp_path, ("default_due: Q2", "")) == [
        f"forms.yaml:44:13: {T}.deliverables[0]: the deliverable has no 'due': give one, or set "
        "the plan's 'default_due' (the office's default, marked as such)"
    ]
    assert forms_variant(
        tmp_path, ("every: working-day", "every: working-day\n            day: 5")
    ) == [
        f"forms.yaml:29:18: {T}.recurring[1].day: 'day' goes with every: "
        "week/month/2 months/quarter/half-year/year"
    ]
    assert forms_variant(tmp_path, ("review: quarter", "review: quartr")) == [
        f"forms.yaml:40:21: {T}.standing[0].review: 'quartr' is not allowed; expected 'week', "
        "'month', 'quarter', 'half-year' or 'year'"
    ]
    assert forms_variant(tmp_path, ("each: true", "eech: true")) == [
        f"forms.yaml:25:13: {T}.recurring[0].eech: unknown key 'eech'; did you mean 'each'?"
    ]
    assert forms_variant(tmp_path, ("owners: [镇街]", "owners: [镇街道]")) == [
        f"forms.yaml:31:22: {T}.recurring[1].owners[0]: unknown department '镇街道'; "
        "did you mean '镇街'?"
    ]


def test_each_form_goes_through_tick_and_status(db_url: str) -> None:
    db = ("--db", db_url)
    run("load", str(FORMS), *db)
    # a duty's id alone marks its earliest open occurrence: 25 September's
    run("done", "1/daily-tracking:南泉街道", "--by", "南泉街道", "--on", "2023-09-25", *db)
    run("done", "1/push:区卫生健康委", "--by", "区卫生健康委", "--on", "2023-01-10", *db)
    owed = json.loads(run("tick", "--as-of", "2023-01-11", "--format", "json", *db).stdout)
    late = {(n["about"], n["department"]) for n in owed if n["rule"] == "overdue"}
    # only 区医保局's push is late: 区卫生健康委 did its own
    assert late == {("push:区医保局@2023-01", "区医保局")}

    owed = json.loads(run("tick", "--as-of", "2023-09-27", "--format", "json", *db).stdout)
    tracking = {
        (n["about"], n["department"])
        for n in owed
        if n["about"].startswith("daily-tracking") and n["rule"] == "overdue"
    }
    # 25 September was done by 南泉街道 only; 26 September by none: the missed days of each
    # town are one series, chased as one notice (its oldest open day's) naming both days
    assert tracking == {
        ("daily-tracking:南泉街道@2023-09-26", "南泉街道"),
        ("daily-tracking:一品街道@2023-09-25", "一品街道"),
        ("daily-tracking:姜家镇@2023-09-25", "姜家镇"),
    }
    status = json.loads(
        run(
            "status", "--as-of", "2023-06-28", "--department", "姜家镇", "--format", "json", *db
        ).stdout
    )
    item = status["items"][0]
    assert item["next_due"]["key"] == "work-plan"
    overdue = [o["key"] for o in item["overdue"]]
    assert "screening:姜家镇@2023-Q1" in overdue
    assert not [k for k in overdue if "南泉街道" in k or "push" in k]


def test_ratio_and_any_of_keys_are_validated_with_positions(tmp_path: Path) -> None:
    M = "chapters[0].tasks[1].metrics[0]"
    bench = "{benchmark: national-average}"
    # one part only
    problems = forms_variant(
        tmp_path,
        (
            "            denominator: {id: allocated, title: 已下达, unit: 万元}  # reported on its own\n",
            "",
        ),
    )
    assert problems == [f"forms.yaml:60:13: {M}: a ratio needs both parts: add 'denominator:'"]
    assert forms_variant(tmp_path, ("title: 已下达, unit: 万元", "title: 已下达, unit: 元")) == [
        f"forms.yaml:65:60: {M}.denominator.unit: both parts of a ratio share a unit: the "
        "numerator is in 万元"
    ]
    assert forms_variant(
        tmp_path,
        (
            'unit: "%"\n            target: 100\n            numerator',
            "unit: 万元\n            target: 100\n            numerator",
        ),
    ) == [f"forms.yaml:62:19: {M}.unit: a ratio (numerator ÷ denominator) is in '%'"]
    assert forms_variant(tmp_path, (bench, "{benchmark: national-averge}")) == [
        f"forms.yaml:71:41: {M}.checkpoints[1].value: unknown benchmark 'national-averge' for "
        "衔接资金支出进度; did you mean 'national-average'? (declared: national-average)"
    ]
    assert forms_variant(tmp_path, (f"[pace, {bench}]", "[pace, 60]")) == [
        f"forms.yaml:71:41: {M}.checkpoints[1].value: any_of takes one number or 'pace' and "
        "one {benchmark: id}, e.g. {any_of: [pace, {benchmark: national-average}]}"
    ]
    assert forms_variant(
        tmp_path, ("numerator: {id: spent,", "numerator: {id: spent, unti: 万元,")
    ) == [f"forms.yaml:64:36: {M}.numerator.unti: unknown key 'unti'; did you mean 'unit'?"]
    assert forms_variant(
        tmp_path, ("{id: national-average, title", "{id: national average, title")
    ) == [
        f"forms.yaml:67:22: {M}.benchmarks[0].id: 'national average' is not an id: use "
        "lower-case letters, digits and '-', e.g. 'monthly-report'"
    ]
