"""A plan's settings: one typed record, written with the plan row and read back whole."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from workplan.plan.events import TriggerInfo, Within
from workplan.plan.policy import Rules, Step
from workplan.plan.settings import (
    BriefStyle,
    CalendarSpec,
    NoticeSettings,
    NumberFormats,
    PlanSettings,
    Schedule,
)
from workplan.plan.validate import read_plan

ROOT = Path(__file__).resolve().parents[2]
D = date

EVERYTHING = PlanSettings(
    calendar=CalendarSpec(
        "CN",
        (D(2023, 7, 3),),
        (D(2023, 7, 8),),
        (Schedule(2027, (D(2027, 1, 1), D(2027, 2, 8)), (D(2027, 2, 6),)),),
    ),
    leadership=(("区长", "mayor@example.gov.cn"), (None, "deputy@example.gov.cn")),
    notices=NoticeSettings(digest=False, hours=(9, 17), run_at="07:45", return_form=True),
    issuer="区委农办",
    chase_from=D(2023, 5, 9),
    closes_on=D(2024, 1, 31),
    period=(D(2023, 1, 1), D(2023, 12, 31)),
    numbering=NumberFormats({"督办": "巴南乡振督〔{year}〕{n}号"}, "第{n}期"),
    brief=BriefStyle(colours="deadline", near=3, ranking=True),
    events={"flood-warning": "气象部门发布暴雨预警"},
    triggers=(
        TriggerInfo(
            3,
            "push-forecast",
            "flood-warning",
            "推送暴雨预报",
            Within(1, True),
            ("区乡村振兴局",),
            Rules((1,), ("owners",), (Step(1, "催办", 1, ("owners",)),)),
            ("预报",),
        ),
    ),
)


def test_every_setting_survives_the_plan_row() -> None:
    text = json.dumps(EVERYTHING.to_json(), ensure_ascii=False, sort_keys=True)
    assert PlanSettings.from_json(text) == EVERYTHING
    assert PlanSettings.from_json(json.loads(text)) == EVERYTHING


def test_a_row_without_settings_reads_as_the_plan_file_defaults() -> None:
    """A database written by an earlier version may lack any key."""
    assert PlanSettings.from_json("{}") == PlanSettings()
    assert PlanSettings.from_json('{"notices": {"digest": false}}').notices == NoticeSettings(
        digest=False
    )


def test_the_row_keeps_only_the_brief_settings_that_differ() -> None:
    assert "brief" not in PlanSettings().to_json()
    assert PlanSettings(brief=BriefStyle(near=3)).to_json()["brief"] == {"near": 3}


def test_the_compiled_plans_settings_read_back_equal() -> None:
    for path in (ROOT / "plans" / "banan-2023.yaml", ROOT / "tests/plans/valid/forms.yaml"):
        compiled = read_plan(path).compiled
        assert compiled is not None
        stored = json.dumps(compiled.settings.to_json(), sort_keys=True)
        assert PlanSettings.from_json(stored) == compiled.settings
