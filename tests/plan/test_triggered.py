"""Event-triggered duties (issue 11, form 5): the rule, the plan keys and their checks."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tests.helpers import FORMS, forms_variant
from workplan.plan.calendar import calendar_for
from workplan.plan.events import Within, event_due, parse_within
from workplan.plan.settings import CalendarSpec
from workplan.plan.validate import read_plan

D = date
CN_2023 = calendar_for(CalendarSpec("CN"), 2023)


@pytest.mark.parametrize(
    ("on", "within", "due"),
    [
        # a Friday: the next working day is Monday
        (D(2023, 6, 16), "1 working day", D(2023, 6, 19)),
        # the Wednesday before the Dragon Boat Festival (22-24 June): Sunday 25 June is a
        # swapped working day (调休上班)
        (D(2023, 6, 21), "1 working day", D(2023, 6, 25)),
        # the Thursday before Mid-Autumn and National Day (29 September - 6 October): Saturday
        # 7 October is the next working day
        (D(2023, 9, 28), "1 working day", D(2023, 10, 7)),
        (D(2023, 9, 28), "2 working days", D(2023, 10, 8)),
        # 立即: the same day, or the next working day when it happens on a day off
        (D(2023, 6, 21), "0 working days", D(2023, 6, 21)),
        (D(2023, 10, 1), "0 working days", D(2023, 10, 7)),
        (D(2023, 6, 17), "0 working days", D(2023, 6, 19)),
        # an event on a holiday counts its working days from the next working day
        (D(2023, 10, 2), "1 working day", D(2023, 10, 8)),
        # calendar days; a deadline on a day off moves to the next working day (顺延)
        (D(2023, 6, 16), "3 days", D(2023, 6, 19)),
        (D(2023, 9, 28), "7 days", D(2023, 10, 7)),
        (D(2023, 6, 12), "7 days", D(2023, 6, 19)),
        (D(2023, 6, 12), "1 day", D(2023, 6, 13)),
        # over the year end: 2024's New Year holiday is 30 December - 1 January
        (D(2023, 12, 29), "1 working day", D(2024, 1, 2)),
    ],
)
def test_an_events_duty_is_due_on_the_plans_working_days(on: date, within: str, due: date) -> None:
    assert event_due(on, parse_within(within), CN_2023.is_working_day) == due


def test_within_reads_days_and_refuses_the_rest() -> None:
    assert parse_within("1 working day") == Within(1, True)
    assert parse_within("10 working days") == Within(10, True)
    assert parse_within("7 days") == Within(7, False)
    assert str(Within(1, True)) == "1 working day" and str(Within(3, False)) == "3 days"
    with pytest.raises(ValueError, match="counts in days, not hours"):
        parse_within("24 hours")
    for wrong in ("1 week", "one day", "-1 days", "1 workday", "1000 days"):
        with pytest.raises(ValueError, match="is not a span"):
            parse_within(wrong)


def test_the_plan_declares_events_and_the_duties_they_start() -> None:
    plan = read_plan(FORMS).compiled
    assert plan.settings.events == {
        "flood-warning": "气象部门发布暴雨预警",
        "problem-found": "监测发现返贫风险问题",
    }
    assert [(t.key, t.event, str(t.within), t.owners) for t in plan.settings.triggers] == [
        ("push-forecast", "flood-warning", "1 working day", ("区乡村振兴局",)),
        ("fix:南泉街道", "problem-found", "0 working days", ("南泉街道",)),
        ("fix:一品街道", "problem-found", "0 working days", ("一品街道",)),
        ("fix:姜家镇", "problem-found", "0 working days", ("姜家镇",)),
        (
            "report-fix",
            "problem-found",
            "7 days",
            ("区乡村振兴局", "南泉街道", "一品街道", "姜家镇"),
        ),
    ]
    # nothing is owed before an event is recorded
    assert not [o for o in plan.obligations if o.source.startswith(("push-forecast", "fix"))]


def _line(text: str) -> int:
    return FORMS.read_text(encoding="utf-8").splitlines().index(text) + 1


def test_event_keys_are_validated_with_positions(tmp_path: Path) -> None:
    T = "chapters[1].tasks[0].triggered[0]"
    at = _line(
        "            on_event: flood-warning      # one occurrence each time the office "
        "records a warning"
    )
    assert forms_variant(tmp_path, ("on_event: flood-warning", "on_event: flod-warning")) == [
        f"forms.yaml:{at}:23: {T}.on_event: unknown event 'flod-warning'; did you mean "
        "'flood-warning'? (declared: flood-warning, problem-found)"
    ]
    assert forms_variant(tmp_path, ("within: 1 working day", "within: 24 hours")) == [
        f"forms.yaml:{at + 1}:21: {T}.within: '24 hours': workplan counts in days, not hours; "
        "write '0 working days' for the same day (立即), '1 working day' for the next"
    ]
    assert forms_variant(tmp_path, ("within: 1 working day", "within: 2 weeks")) == [
        f"forms.yaml:{at + 1}:21: {T}.within: '2 weeks' is not a span: write 'N working days' "
        "(e.g. 1 working day) or 'N days' (e.g. 7 days)"
    ]
    assert forms_variant(tmp_path, ("within: 1 working day", "withn: 1 working day")) == [
        f"forms.yaml:{at - 2}:13: {T}.within: missing required key 'within'",
        f"forms.yaml:{at + 1}:13: {T}.withn: unknown key 'withn'; did you mean 'within'?",
    ]
    events = _line("  flood-warning: 气象部门发布暴雨预警")
    assert forms_variant(tmp_path, ("  flood-warning: 气象", "  Flood_Warning: 气象")) == [
        f"forms.yaml:{events}:3: events.Flood_Warning: 'Flood_Warning' is not an id: use "
        "lower-case letters, digits and '-', e.g. 'monthly-report'"
    ]
