"""The notice templates: every kind in both languages, escaping, an office's own folder."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest

from workplan.channels.base import Party
from workplan.notices.letters import DayOff, Letter, Message
from workplan.notices.templates import (
    BUDGET_SECONDS,
    LOCALES,
    TemplateError,
    Templates,
    check,
    cn_days_off,
    en_days_off,
    render_bounded,
    sample_messages,
)


def test_the_shipped_templates_check_clean() -> None:
    assert check(None) == []


@pytest.mark.parametrize("locale", LOCALES)
def test_every_kind_renders_and_says_what_matters(locale: str) -> None:
    templates = Templates(None)
    kinds = set()
    for message in sample_messages(locale):
        rendered = templates.render(message)
        kinds.add(message.kind)
        assert "\n" not in rendered.subject and rendered.subject
        L = message.letters[0]
        for part in (rendered.text, rendered.html):
            assert L.item_label in part
            assert message.department.name in part
            assert message.office.emails[0] in part
        assert rendered.html.lstrip().startswith("<!DOCTYPE html>")
    assert kinds == {
        "reminder",
        "warning",
        "overdue",
        "escalation",
        "bulletin",
        "digest",
        "report",
    }


def test_a_shortfall_says_未达到_with_the_gap_and_asks_for_the_reason() -> None:
    """A figure reported on time but short is 未达到, not 逾期未办: the letter names the gap, asks
    for the reason and the next period's correction, and never says 立即办理 of a past month."""
    text = _text("zh-CN", "overdue", 2)
    assert "【" not in text.splitlines()[0]
    assert "以下1项工作到期未达到目标，特此催办" in text
    assert "到期时为25%，差5个百分点" in text
    assert "请分析未达到目标的原因，明确下一期的改进措施" in text
    # the ladder as it climbs: by letters sent, each rung after the one below went unmet
    assert (
        "依据：数值按期报送但未达到目标，提示函发出4个工作日后仍未达到目标，发催办（本计划对未达到"
        "目标的事项，到期后1个工作日起首次发提示函；提示函发出4个工作日后仍未达到目标的，发催办）"
    ) in text
    for lapse in ("逾期未办", "立即办理", "已逾期"):
        assert lapse not in text
    assert "short of the target" in _text("en", "overdue", 2)


def test_the_report_to_the_leadership_is_counts_and_names_on_one_page() -> None:
    text = _text("zh-CN", "report")
    assert "在督办的事项4项：催办3项、督办（未达到）1项" in text
    assert "1. （十六）中央衔接资金支出进度（区乡村振兴局等，督办·未达到）" in text
    assert "全部4项见附件《督办事项清单》" in text
    assert len(text.strip().splitlines()) <= 22


def _text(locale: str, kind: str, index: int = 0) -> str:
    messages = [m for m in sample_messages(locale) if m.kind == kind]
    return Templates(None).render(messages[index]).text


def test_a_warning_explains_itself_in_chinese() -> None:
    text = _text("zh-CN", "warning")
    assert "中央衔接资金支出进度应于2023年4月30日（星期日）前达到30%" in text
    assert "目前为25%，差5个百分点；按目前进度，预计到期时为27.27%" in text
    # 30 April 2023 is a Sunday: the letter names the last working day before it
    assert "到期日为休息日，请于4月28日（星期五）前办理，还有2个工作日" in text
    assert "本计划在到期日前3、1个工作日发出提醒" in text
    assert "为周末" not in text  # an ordinary weekend explains nothing


def test_an_escalation_names_the_ladder_and_the_holidays() -> None:
    text = _text("zh-CN", "escalation")
    assert "已逾期6个工作日" in text
    # the ladder climbs by letters sent, and the letter says so (issue 22)
    assert (
        "依据：催办发出4个工作日后仍未办结，发督办（本计划逐级督办：逾期1个工作日起首次发催办；"
        "催办发出4个工作日后仍未办结的，发督办；督办发出5个工作日后仍未办结的，发通报）" in text
    )
    assert "5月1日至5月3日为节假日（劳动节）" in text
    assert "现予督办" in text
    # the document's number, and the history the record shows (never an invented one)
    assert text.startswith("巴南乡振督〔2023〕7号\n\n区财政局（局长）：")
    assert "此前：经2023年5月4日催办（巴南乡振督〔2023〕3号），仍未完成" in text
    assert "抄送" not in text  # the office gets its own letter of the day's 督办


def test_the_leadership_gets_a_summary_naming_the_departments() -> None:
    text = _text("zh-CN", "bulletin", 1)
    assert text.startswith("领导小组：")
    assert "以下1项工作逾期未办，已分别通报责任单位，现报告如下" in text
    assert "责任单位：区乡村振兴局、区财政局" in text
    assert "经2023年5月4日催办（巴南乡振督〔2023〕3号）、2023年5月10日督办" in text
    assert "请贵单位" not in text  # a report to leadership, not an order


def test_english_letters() -> None:
    text = _text("en", "warning")
    assert "is to reach 30% by Sunday 30 April 2023" in text
    assert "now 25%, 5 points short; at the pace so far, 27.27% by the deadline" in text
    assert "the deadline is a day off: please act by Friday 28 April 2023" in text
    assert "weekend" not in text
    overdue = _text("en", "escalation")
    assert "1 May – 3 May are holidays (Labor Day); Saturday 6 May is a working day" in overdue
    assert "by Wednesday 17 May 2023 (within 5 working days)" in overdue
    assert "supervision order" in overdue


def test_a_digest_lists_every_letter_most_urgent_first() -> None:
    text = _text("zh-CN", "digest")
    assert "共4项" not in text  # the count is in the subject
    assert text.index("1.【提示函】") < text.index("2.【序时进度提示】") < text.index("3.【提醒】")
    assert "全年消费帮扶金额2023年4月数据应于2023年4月30日（星期日）前报送" in text
    subject = (
        Templates(None)
        .render(next(m for m in sample_messages("zh-CN") if m.kind == "digest"))
        .subject
    )
    assert subject == "【工作提醒】区财政局 2023年4月26日 共4项"


def test_plan_text_is_data_never_template_code() -> None:
    message = sample_messages("zh-CN")[0]
    hostile = replace(message.letters[0], item_title="{{ 7*7 }}<script>alert(1)</script>")
    rendered = Templates(None).render(replace(message, letters=(hostile,)))
    assert "{{ 7*7 }}<script>alert(1)</script>" in rendered.text
    assert "<script>" not in rendered.html
    assert "{{ 7*7 }}&lt;script&gt;alert(1)&lt;/script&gt;" in rendered.html
    assert "49" not in rendered.text


def test_an_office_folder_overrides_and_falls_back(tmp_path: Path) -> None:
    (tmp_path / "zh-CN").mkdir()
    (tmp_path / "zh-CN" / "reminder.subject.j2").write_text(
        "【温馨提示】{{ L.item_label }}{{ L.about }}\n", encoding="utf-8"
    )
    templates = Templates(tmp_path)
    rendered = templates.render(sample_messages("zh-CN")[0])
    assert rendered.subject == "【温馨提示】（十六）完成2024年项目库建设"
    assert "区财政局：" in rendered.text  # the body falls back to the shipped template
    assert check(tmp_path) == []


def test_check_finds_broken_templates_with_their_line(tmp_path: Path) -> None:
    (tmp_path / "zh-CN").mkdir()
    (tmp_path / "zh-CN" / "warning.txt.j2").write_text(
        "{{ m.department.name }}：\n\n{{ m.departmnet.name }}\n", encoding="utf-8"
    )
    (tmp_path / "zh-CN" / "overdue.html.j2").write_text(
        "<p>{% if L.level %}</p>\n", encoding="utf-8"
    )
    problems = check(tmp_path)
    messages = {(Path(p.file).name, p.line, p.field): str(p.message) for p in problems}
    assert ("overdue.html.j2", 1, "zh-CN/overdue.html.j2") in messages
    assert "syntax" in messages[("overdue.html.j2", 1, "zh-CN/overdue.html.j2")]
    assert ("warning.txt.j2", 3, "zh-CN/warning.txt.j2") in messages
    assert "departmnet" in messages[("warning.txt.j2", 3, "zh-CN/warning.txt.j2")]


def test_a_subject_with_a_line_break_is_refused(tmp_path: Path) -> None:
    (tmp_path / "zh-CN").mkdir()
    (tmp_path / "zh-CN" / "reminder.subject.j2").write_text("第一行\n第二行\n", encoding="utf-8")
    with pytest.raises(TemplateError, match="line break into the subject"):
        Templates(tmp_path).render(sample_messages("zh-CN")[0])
    assert any("subject" in p.message for p in check(tmp_path))


def test_days_off_read_as_ranges() -> None:
    days = (
        DayOff(date(2023, 4, 29), None),
        DayOff(date(2023, 4, 30), None),
        DayOff(date(2023, 5, 1), "劳动节"),
        DayOff(date(2023, 5, 2), "休息日（由 2023-04-23 调休）"),
        DayOff(date(2023, 5, 3), "休息日（由 2023-05-06 调休）"),
        DayOff(date(2023, 5, 6), None, working=True),
        DayOff(date(2023, 5, 7), None),
    )
    # the weekend of 7 May explains nothing; Saturday 6 May is a working day (调休)
    assert cn_days_off(days) == "4月29日至5月3日为节假日（劳动节）；5月6日（星期六）调休上班"
    english = tuple(
        replace(
            d,
            name="Labor Day"
            if d.name == "劳动节"
            else (None if d.name is None else "Day off (substituted from 04/23/2023)"),
        )
        for d in days
    )
    assert en_days_off(english) == (
        "29 April – 3 May are holidays (Labor Day); Saturday 6 May is a working day (swapped)"
    )


def test_the_sandbox_still_guards_the_data(tmp_path: Path) -> None:
    (tmp_path / "zh-CN").mkdir()
    (tmp_path / "zh-CN" / "reminder.txt.j2").write_text(
        "{{ L.__class__.__mro__ }}\n", encoding="utf-8"
    )
    problems = check(tmp_path)
    assert any(
        p.field == "zh-CN/reminder.txt.j2" and "unsafe" in p.message.lower() for p in problems
    ), problems


_HOSTILE = '<script>alert(1)</script><a href="https://evil.example/login">'


class _Elements(HTMLParser):
    """Collect the start tags of an HTML document."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def _hostile(message: Message) -> Message:
    """Put a script and a link into every text field that comes from the plan."""
    text_facts = ("title", "unit", "metric", "key", "period", "cadence")

    def letter(L: Letter) -> Letter:
        facts = {k: _HOSTILE + k if k in text_facts else v for k, v in L.facts.items()}
        facts |= {"title": _HOSTILE + "title", "unit": _HOSTILE + "unit"}
        return replace(
            L,
            level_name=_HOSTILE + "level",
            item_title=_HOSTILE + "item",
            about=_HOSTILE + "about",
            key=_HOSTILE + "key",
            facts=facts,
            ladder=tuple((lv, _HOSTILE + name, after) for lv, name, after in L.ladder),
            days_off=tuple(replace(d, name=_HOSTILE + "holiday") for d in L.days_off),
        )

    def party(p: Party | None) -> Party | None:
        return None if p is None else Party(_HOSTILE + p.name, p.emails)

    return replace(
        message,
        plan_title=_HOSTILE + "plan",
        issuer=_HOSTILE + "issuer",
        office=Party(_HOSTILE + message.office.name, message.office.emails),
        department=Party(_HOSTILE + message.department.name, message.department.emails),
        head=party(message.head),
        copied=tuple(Party(_HOSTILE + p.name, p.emails) for p in message.copied),
        letters=tuple(letter(L) for L in message.letters),
    )


@pytest.mark.parametrize("locale", LOCALES)
def test_plan_text_is_escaped_everywhere_in_the_html_part(locale: str) -> None:
    templates = Templates(None)
    for message in sample_messages(locale):
        rendered = templates.render(_hostile(message))
        parser = _Elements()
        parser.feed(rendered.html)
        tags = {tag for tag, _ in parser.tags}
        assert "script" not in tags, (message.kind, rendered.html)
        assert "a" not in tags, (message.kind, rendered.html)
        assert "evil.example" not in str([attrs for _, attrs in parser.tags])
        assert "&lt;script&gt;" in rendered.html
        # the plain-text part carries the text as written
        assert _HOSTILE in rendered.text


def test_the_render_budget_counts_the_threads_work_not_the_clock() -> None:
    """A render that waits (a busy machine: four services on two cores) is not a runaway loop;
    one that burns the CPU still is."""
    waited = Templates().env.from_string("{{ wait() }}ok")

    def wait() -> str:
        time.sleep(BUDGET_SECONDS + 0.3)  # the clock runs, the thread does nothing
        return ""

    assert render_bounded(waited, {"wait": wait}) == "ok"
    looping = Templates().env.from_string(
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
    )
    with pytest.raises(TemplateError, match="a runaway loop"):
        render_bounded(looping, {})
