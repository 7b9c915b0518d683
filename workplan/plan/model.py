"""The plan file: pydantic models of what a coordination office writes, and its JSON Schema.

These are input models only (STYLE.md 4): they validate what was written.  Dates are resolved
and obligations expanded by :mod:`workplan.expand`; rows are written by :mod:`workplan.store`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    WithJsonSchema,
)

from workplan.errors import Unreadable
from workplan.i18n import L_
from workplan.plan import addresses
from workplan.plan.events import WITHIN_PATTERN, parse_within
from workplan.plan.periods import DUE_PATTERN, is_due_text

_BREAKS = re.compile("[\r\n\x00\u2028\u2029\x85]")
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
Role = Literal["owners", "lead", "heads", "office", "leadership"]
Cadence = Literal["week", "month", "quarter", "half-year", "year"]
Every = Literal["working-day", "week", "month", "2 months", "quarter", "half-year", "year", "term"]
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _one_line(value: str) -> str:
    if _BREAKS.search(value):
        raise Unreadable(L_("must be a single line: it contains a line break or NUL"))
    if found := _CONTROLS.search(value):
        raise Unreadable(
            L_(
                "must be a single line: it contains the control character U+{code:04X}",
                code=ord(found[0]),
            )
        )
    if not value.strip():
        raise Unreadable(L_("must not be empty"))
    return value


def _email(value: str) -> str:
    return addresses.check(_one_line(value))


def _slug(value: str) -> str:
    if not _SLUG.match(value):
        raise Unreadable(
            L_(
                "'{value}' is not an id: use lower-case letters, digits and '-', "
                "e.g. 'monthly-report'",
                value=value,
            )
        )
    return value


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise Unreadable(
            L_("unknown time zone '{value}' (e.g. Asia/Shanghai)", value=value)
        ) from None
    return value


def _due(value: Any) -> date | str:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and is_due_text(value.strip()):
        return value.strip()
    raise Unreadable(
        L_(
            "{value!r} is not a due date: write a date (2023-06-30) or a period: Q1-Q4, H1, H2, "
            "a month (2023-06 for the end of June), or year-end",
            value=value,
        )
    )


_NUMBER_FORMAT = re.compile(r"^[^{}]*(\{(year|n)\}[^{}]*)*$")


def _number_format(value: str) -> str:
    _one_line(value)
    if not _NUMBER_FORMAT.match(value) or "{n}" not in value:
        raise Unreadable(
            L_(
                "'{value}' is not a document number format: write the text with {{n}} for the "
                "sequence and optionally {{year}}, e.g. 巴南乡振督〔{{year}}〕{{n}}号",
                value=value,
            )
        )
    return value


def _checkpoint_value(value: Any) -> float | str | AnyOf:
    if isinstance(value, bool):
        raise Unreadable(L_("expected a number or 'pace'"))
    if isinstance(value, int | float):
        return float(value)
    if value == "pace":
        return "pace"
    if isinstance(value, dict) and "any_of" in value:
        return _any_of(value)
    raise Unreadable(
        L_(
            "expected a number, 'pace' for the time-elapsed schedule (序时进度), or "
            "{{any_of: [pace, {{benchmark: id}}]}}"
        )
    )


@dataclass(frozen=True)
class AnyOf:
    """A checkpoint met by any of its alternatives: a number, 'pace', or a benchmark's id."""

    values: tuple[float | str, ...]
    benchmarks: tuple[str, ...]


def _checkpoint_dump(value: float | str | AnyOf) -> Any:
    if isinstance(value, AnyOf):
        return {"any_of": [*value.values, *({"benchmark": b} for b in value.benchmarks)]}
    return value


def _any_of(value: dict[str, Any]) -> AnyOf:
    if set(value) != {"any_of"} or not isinstance(value["any_of"], list):
        raise Unreadable(
            L_("write {{any_of: [pace, {{benchmark: id}}]}}: a list under 'any_of' only")
        )
    values: list[float | str] = []
    benchmarks: list[str] = []
    for item in value["any_of"]:
        if (
            isinstance(item, dict)
            and set(item) == {"benchmark"}
            and isinstance(item["benchmark"], str)
        ):
            benchmarks.append(_slug(item["benchmark"]))
        elif isinstance(item, dict):
            raise Unreadable(
                L_("{item} is not an alternative: write {{benchmark: id}}", item=str(item))
            )
        else:
            values.append(_checkpoint_value(item))  # type: ignore[arg-type]
    if len(values) != 1 or len(benchmarks) != 1:
        raise Unreadable(
            L_(
                "any_of takes one number or 'pace' and one {{benchmark: id}}, e.g. "
                "{{any_of: [pace, {{benchmark: national-average}}]}}"
            )
        )
    return AnyOf(tuple(values), tuple(benchmarks))


def _within(value: Any) -> str:
    if not isinstance(value, str):
        raise Unreadable(
            L_("{value!r} is not a span: write 'N working days' or 'N days'", value=value)
        )
    parse_within(value)
    return value.strip()


Line = Annotated[str, AfterValidator(_one_line)]
Within = Annotated[
    str,
    PlainValidator(_within),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": WITHIN_PATTERN,
            "description": "N working days (on the plan's calendar) or N days, e.g. 1 working day",
        }
    ),
]
NumberFormat = Annotated[str, AfterValidator(_number_format)]
Email = Annotated[str, AfterValidator(_email)]
Slug = Annotated[str, AfterValidator(_slug)]
Emails = Annotated[list[Email], BeforeValidator(_as_list), Field(min_length=1)]
Names = Annotated[list[Line], BeforeValidator(_as_list)]
Due = Annotated[
    date | str,
    PlainValidator(_due),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "format": "date"},
                {"type": "string", "pattern": DUE_PATTERN},
            ],
            "description": "a date, or a period: Q1-Q4, H1, H2, a month (2023-06), year-end",
        }
    ),
]
_ALTERNATIVE = {"anyOf": [{"type": "number"}, {"const": "pace"}]}
CheckpointValue = Annotated[
    float | str | AnyOf,
    PlainValidator(_checkpoint_value),
    PlainSerializer(_checkpoint_dump),
    WithJsonSchema(
        {
            "anyOf": [
                *_ALTERNATIVE["anyOf"],
                {
                    "type": "object",
                    "description": "met by either alternative: a number or 'pace', or a "
                    "benchmark the office records (全国平均水平或序时进度)",
                    "properties": {
                        "any_of": {
                            "type": "array",
                            "items": {
                                "anyOf": [
                                    *_ALTERNATIVE["anyOf"],
                                    {
                                        "type": "object",
                                        "properties": {"benchmark": {"type": "string"}},
                                        "required": ["benchmark"],
                                        "additionalProperties": False,
                                    },
                                ]
                            },
                            "minItems": 2,
                            "maxItems": 2,
                        }
                    },
                    "required": ["any_of"],
                    "additionalProperties": False,
                },
            ]
        }
    ),
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Person(_Model):
    """Someone who receives notices: a head of department or a leader."""

    name: Line | None = None
    email: Email


class Department(_Model):
    """A department as the plan names it, with where its notices go."""

    name: Line = Field(description="the name as written in the plan, e.g. 区乡村振兴局")
    email: Emails = Field(description="one address or a list")
    head: Person | None = Field(default=None, description="receives escalations (督办)")
    aliases: list[Line] = Field(default_factory=list, description="other names for it in plans")
    robots: list[Line] = Field(
        default_factory=list,
        description="group robots (DingTalk, WeCom, Feishu) that also get its notices, by the "
        "name of a [robots.NAME] section in the delivery config; never a URL or a secret",
    )


class Group(_Model):
    """A named group of units (e.g. 镇街: the 21 towns), cited in a plan like a department."""

    name: Line = Field(description="the group's name as plans write it, e.g. 镇街")
    members: list[Department] = Field(min_length=1, description="the units, with addresses")


class Directory(_Model):
    """A department directory in a file of its own, shared by several plans."""

    departments: list[Department]
    groups: list[Group] = Field(
        default_factory=list,
        description="named groups of units; a plan citing a group means every member",
    )


class CalendarFile(_Model):
    """A year's official schedule of holidays and swapped working days, in a file of its own.

    For a year the installed holiday data does not know yet (China's schedule for the next
    year is published each November): several plans may point at the same file.
    """

    country: str = Field(default="CN", description="ISO 3166 code of the schedule")
    year: int = Field(ge=2000, le=2100)
    source: Line | None = Field(default=None, description="where the schedule was published")
    holidays: list[date] = Field(description="the days off, including days moved by 调休")
    working_days: list[date] = Field(
        default_factory=list, description="weekend days that are working days (调休上班)"
    )


class Term(_Model):
    """A school term, for duties done once per term (每学期)."""

    name: Line
    start: date
    end: date


class CalendarSpec(_Model):
    """Which days are working days."""

    country: str = Field(default="CN", description="holiday calendar, ISO 3166 code")
    files: Names = Field(
        default_factory=list,
        description="calendar files (relative to the plan) giving a year's official holidays "
        "and swapped working days, for years the installed holiday data does not know",
    )
    extra_holidays: list[date] = Field(default_factory=list)
    extra_working_days: list[date] = Field(default_factory=list)
    terms: list[Term] = Field(default_factory=list, description="school terms for 'every: term'")


class Period(_Model):
    """The span the plan's dates may fall in; the plan's year unless widened here."""

    start: date
    end: date


class EscalationStep(_Model):
    """One rung of the overdue ladder."""

    level: int = Field(ge=1, le=9)
    name: Line = Field(description="e.g. 催办, 督办, 通报, 约谈")
    after: int = Field(ge=1, le=250, description="working days after the due date")
    to: list[Role] = Field(min_length=1)


class Policy(_Model):
    """When to remind and how to escalate; plan-wide, overridable per task or obligation."""

    remind: list[Annotated[int, Field(ge=1, le=60)]] | None = Field(
        default=None, description="working days before a due date, e.g. [5, 1]"
    )
    remind_to: list[Role] | None = None
    escalate: list[EscalationStep] | None = None


DEFAULT_POLICY = Policy(
    remind=[3, 1],
    remind_to=["owners"],
    escalate=[
        EscalationStep(level=1, name="催办", after=1, to=["owners"]),
        EscalationStep(level=2, name="督办", after=5, to=["lead", "heads", "office"]),
        EscalationStep(level=3, name="通报", after=10, to=["owners", "heads", "leadership"]),
    ],
)


class _Obligation(_Model):
    id: Slug
    title: Line
    aliases: list[Line] = Field(
        default_factory=list,
        description="other names departments use for it (in ledgers and on the command line)",
    )
    owners: Names | None = Field(
        default=None, description="departments answering for this; default: the task's"
    )
    note: str | None = None
    policy: Policy | None = None
    each: bool = Field(
        default=False,
        description="one obligation per owner, chased and done by that department alone "
        "(各部门/各镇街分别报送)",
    )
    strength: Literal["firm", "aim"] | None = Field(
        default=None,
        description="'aim' for 力争/争取/积极争取/原则上/适时: shown and reminded, never "
        "escalated; 'firm' (确保/完成); default: the item's",
    )
    key: bool | None = Field(
        default=None,
        description="a key duty or metric (e.g. the funds' 序时进度): its shortfalls climb the "
        "whole ladder and the report to the leadership names it; default: the item's",
    )
    needs_review: bool | None = Field(
        default=None,
        description="a report (done, or a metric's value) counts only once the office accepts "
        "it (复核); sent back (退回), the duty is open again; default: the item's",
    )


class Deliverable(_Obligation):
    """A one-off result due on a date or by the end of a period."""

    due: Due | None = Field(
        default=None,
        description="default: the plan's default_due, marked as a default in status and letters",
    )
    outcome: Literal["yes-no"] | None = Field(
        default=None,
        description="'yes-no': a result achieved or not (创建1个省级示范县), not a count of one; "
        "reported with `workplan done`, shown as 已达成/未达成",
    )


class Recurring(_Obligation):
    """A duty that comes back: monthly reports, quarterly meetings, half-yearly inspections."""

    every: Every | None = Field(
        default=None,
        description="a shortcut ('working-day' on the plan's calendar; '2 months' from the "
        "month of 'from'); or give rrule",
    )
    rrule: str | None = Field(default=None, description="RFC 5545 RRULE, e.g. FREQ=WEEKLY;BYDAY=FR")
    day: int | str | None = Field(
        default=None,
        description="due day: of the period's last month (1-31, -1 = last), or a weekday (mon-sun)",
    )
    start: date | None = Field(
        default=None, alias="from", description="first period; default 1 Jan"
    )
    until: date | None = Field(default=None, description="last period; default 31 Dec")


class Standing(_Obligation):
    """A standing duty with no date (常态化开展, 定期研究), reviewed at a cadence the office
    chooses: each review period the owners give a one-line account."""

    review: Cadence = Field(description="how often the office asks for an account")
    start: date | None = Field(
        default=None, alias="from", description="first period; default 1 Jan"
    )
    until: date | None = Field(default=None, description="last period; default 31 Dec")


class Triggered(_Obligation):
    """A duty started by an event the office records (第一时间推送, 发现问题立即整改): each time
    the event is recorded (`workplan event record`), one occurrence due ``within`` after it."""

    on_event: Slug = Field(description="the event, one of the plan's 'events'")
    within: Within = Field(
        description="'N working days' (0: the event's day, or the next working day) or "
        "'N days' (moved to the next working day when it ends on a day off)"
    )


class Checkpoint(_Model):
    """A cumulative milestone: this value by this date."""

    by: Due
    value: CheckpointValue


class Pace(_Model):
    """序时进度: progress expected in proportion to the time elapsed."""

    start: date | None = Field(default=None, alias="from", description="default: 1 Jan")
    until: date | None = Field(default=None, description="default: the target date")
    tolerance: float = Field(default=0.0, ge=0, description="points behind before a notice")
    track: bool = Field(
        default=True,
        description="notify when behind between checkpoints; false: pace only sets the "
        "'value: pace' checkpoints (序时进度 required on given dates only)",
    )


class Part(_Model):
    """One part of a ratio metric (支出 of 支出 ÷ 下达), reported on its own."""

    id: Slug | None = Field(default=None, description="default: numerator / denominator")
    title: Line = Field(description="e.g. 已支出")
    unit: Line = Field(description="e.g. 万元; both parts share it")


class Benchmark(_Model):
    """An outside figure the office records like a metric value (全国平均水平)."""

    id: Slug
    title: Line = Field(description="e.g. 全国衔接资金平均支出进度")


class Metric(_Obligation):
    """A named quantity with checkpoints and a final target."""

    title: Line = Field(description="the metric's name, e.g. 中央衔接资金支出进度")
    unit: Line
    direction: Literal["at_least", "at_most"] = "at_least"
    cumulative: bool = Field(default=True, description="checkpoints may not go backwards")
    baseline: float = 0.0
    target: float | None = None
    by: Due | None = Field(default=None, description="when the target is due; default year-end")
    checkpoints: list[Checkpoint] = Field(default_factory=list)
    every: Cadence | None = Field(
        default=None, description="hold the target at the end of every period (e.g. month)"
    )
    pace: Pace | None = None
    report: Cadence | None = Field(default=None, description="how often progress is reported")
    numerator: Part | None = Field(
        default=None, description="a ratio in %: reported as two parts, numerator ÷ denominator"
    )
    denominator: Part | None = Field(default=None, description="the base; it may grow")
    benchmarks: list[Benchmark] = Field(
        default_factory=list, description="outside figures an any_of checkpoint may cite"
    )


class Task(_Model):
    """One numbered item of the plan."""

    number: int = Field(ge=1, le=999, description="the item number: 16 for （十六）")
    title: Line
    text: str = Field(description="the item's full original text")
    lead: Names = Field(min_length=1, description="lead department(s) (牵头)")
    co: Names = Field(default_factory=list, description="co-responsible departments (配合)")
    policy: Policy | None = None
    deliverables: list[Deliverable] = Field(default_factory=list)
    recurring: list[Recurring] = Field(default_factory=list)
    standing: list[Standing] = Field(
        default_factory=list, description="standing duties reviewed at a cadence (常态化)"
    )
    metrics: list[Metric] = Field(default_factory=list)
    triggered: list[Triggered] = Field(
        default_factory=list,
        description="duties started by an event the office records (第一时间, 立即, 及时)",
    )
    strength: Literal["firm", "aim"] = Field(
        default="firm",
        description="'aim' when the whole item is an aim (力争/争取): every duty of it is "
        "reminded and shown, never escalated",
    )
    key: bool = Field(
        default=False,
        description="a key item: its shortfalls climb the whole ladder and the report to the "
        "leadership names it",
    )
    needs_review: bool | None = Field(
        default=None,
        description="every report of the item counts only once the office accepts it (复核); "
        "default: the plan's cycle.needs_review",
    )


class Chapter(_Model):
    """A chapter (一、二、…) grouping items."""

    number: int = Field(ge=1, le=99)
    title: Line
    tasks: list[Task]


class Notices(_Model):
    """How notices are sent: digests and sending hours."""

    digest: bool = Field(default=True, description="one mail per department per day")
    hours: tuple[Annotated[int, Field(ge=0, le=23)], Annotated[int, Field(ge=1, le=24)]] = Field(
        default=(8, 18), description="send between these local hours on working days"
    )
    run_at: str = Field(default="08:30", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    return_form: bool = Field(
        default=False,
        description="attach the department's return form (报送表, .xlsx) to its first digest "
        "of each month",
    )


class Numbering(_Model):
    """How formal documents are numbered (文号): a format per kind of document."""

    documents: dict[Line, NumberFormat] = Field(
        default_factory=dict,
        description="a format per document, keyed by its name as the plan calls it (提示函, "
        "催办, 督办, 通报 …), e.g. 巴南乡振督〔{year}〕{n}号; kinds with the same format share "
        "one sequence",
    )
    bulletin: NumberFormat | None = Field(
        default=None, description="the monthly bulletin's issue number, e.g. 第{n}期"
    )
    report: Line | None = Field(
        default=None,
        description="the name of the report the leadership receives (default 督查专报; or "
        "情况报告 …): its own document, numbered by documents[name] when given, never a 通报",
    )


class BriefSettings(_Model):
    """How the monthly brief colours items (三色) and whether it ranks departments."""

    colours: Literal["pace", "deadline", "time-left"] = Field(
        default="pace",
        description="pace: red overdue, yellow behind 序时进度, blue deadline near; "
        "deadline: red overdue, blue near; time-left: red overdue, yellow near",
    )
    near: int = Field(default=5, ge=0, le=60, description="working days that make a deadline near")
    ranking: bool = Field(default=False, description="add a league table of lead departments")


class ScoringSettings(_Model):
    """考核: how departments are scored from the ledger and the letters sent (every number the
    office's choice).  Nothing is scored for a leader's 批示 or for media articles (2024
    《整治形式主义为基层减负若干规定》): the rules read only deadlines, reports and letters."""

    base: float = Field(
        default=100, ge=0, le=1000, description="each department's score before points, per period"
    )
    lead: float = Field(
        default=1, ge=0, le=10, description="weight of a point for a lead department (牵头)"
    )
    co: float = Field(
        default=0.5, ge=0, le=10, description="weight for a co-responsible department (配合)"
    )
    on_time: float = Field(
        default=0, ge=0, le=100, description="points for an obligation done by its deadline"
    )
    early: float = Field(
        default=0,
        ge=0,
        le=100,
        description="bonus for one done early_days or more working days early",
    )
    early_days: int = Field(
        default=5, ge=1, le=250, description="working days before the deadline that count as early"
    )
    late: dict[Line, Annotated[float, Field(le=0, ge=-100)]] = Field(
        default_factory=lambda: {"催办": -1.0, "督办": -2.0, "通报": -3.0},
        description="points for a late obligation by the highest rung of the ladder actually sent "
        "to the department (by the step's name); a rung not listed scores 0",
    )
    unreported: float = Field(
        default=-5,
        ge=-100,
        le=0,
        description="an obligation past its deadline with nothing reported",
    )
    returned: float = Field(
        default=-2,
        ge=-100,
        le=0,
        description="each report sent back (退回), where reports are reviewed",
    )
    cap: float = Field(
        default=10, ge=0, le=1000, description="the most one item can cost a department in a period"
    )


class Proportion(_Model):
    """How far each kind of miss climbs, and how often the leadership hears of it."""

    shortfall: Line | None = Field(
        default=None,
        description="the highest rung of the ladder a shortfall reaches (a figure reported on "
        "time, short of its checkpoint: 未达到), after its 提示函; default: the ladder's first "
        "rung (催办); a key metric's shortfall climbs the whole ladder",
    )
    standing: Line | None = Field(
        default=None,
        description="the highest rung a standing duty's review (常态化, a cadence the office "
        "chose) reaches; default: the ladder's first rung (催办); a standing duty with its own "
        "'policy: escalate' climbs that",
    )
    leadership: Literal["monthly", "off"] = Field(
        default="monthly",
        description="monthly: at most one report a month to the leadership, one page (counts, "
        "key items, lapses at the top rung), the full list attached; off: none",
    )


class CycleOptions(_Model):
    """The office's cycle around an item: 签收 and 延期申请 (workplan.store.cycle)."""

    receipt_days: int = Field(
        default=2,
        ge=1,
        le=30,
        description="working days a department has to sign for (签收) a 交办单; not signed for "
        "by then, it is followed up sooner",
    )
    answer_days: int = Field(
        default=3,
        ge=1,
        le=30,
        description="working days an extension request (延期申请) may wait for the office's "
        "answer before the office is reminded",
    )
    needs_review: bool = Field(
        default=False,
        description="every report of the plan counts only once the office accepts it (复核); "
        "an item or an obligation may say otherwise",
    )
    review_days: int = Field(
        default=3,
        ge=1,
        le=30,
        description="working days a report may wait for the office's review (待复核) before the "
        "office is reminded",
    )


class Plan(_Model):
    """An annual work plan (工作要点) as written by the coordination office."""

    id: Slug
    title: Line
    year: int = Field(ge=2000, le=2100)
    issued: date | None = None
    issuer: Line | None = None
    chase_from: date | None = Field(
        default=None,
        description="the first day the plan is chased: occurrences due before it are shown but "
        "never reminded or escalated; default: the issue date",
    )
    grace: int = Field(
        default=20,
        ge=0,
        le=250,
        description="working days after the plan's period ends during which it is still chased",
    )
    due_on_day_off: Literal["keep", "next", "previous"] = Field(
        default="keep",
        description="a deadline that falls on a day off: keep the date as written (letters "
        "name the last working day before it), move it to the next working day (next, as "
        "民法典第二百零三条 counts a period), or to the last working day before it (previous)",
    )
    numbering: Numbering = Field(default_factory=Numbering)
    default_due: Due | None = Field(
        default=None,
        description="the due date of a deliverable the plan gives no date, set by the office "
        "and marked as a default",
    )
    events: dict[Slug, Line] = Field(
        default_factory=dict,
        description="the events the office records that start a duty's clock: id and what "
        "happened, e.g. flood-warning: 气象部门发布暴雨预警",
    )
    timezone: Annotated[str, AfterValidator(_zone)] = "Asia/Shanghai"
    calendar: CalendarSpec = Field(default_factory=CalendarSpec)
    period: Period | None = Field(default=None, description="allow dates outside the year")
    locale: Literal["zh-CN", "en"] = "zh-CN"
    office: Line = Field(description="the coordination office: a department of the directory")
    leadership: list[Person] = Field(default_factory=list, description="receive 通报")
    directory: Names = Field(default_factory=list, description="department directory file(s)")
    departments: list[Department] = Field(default_factory=list)
    policy: Policy = Field(default_factory=Policy)
    notices: Notices = Field(default_factory=Notices)
    brief: BriefSettings = Field(default_factory=BriefSettings)
    scoring: ScoringSettings = Field(default_factory=ScoringSettings)
    proportion: Proportion = Field(default_factory=Proportion)
    cycle: CycleOptions = Field(default_factory=CycleOptions)
    chapters: list[Chapter] = Field(min_length=1)


def plan_json_schema() -> dict[str, Any]:
    """Return the JSON Schema of a plan file, for editors."""
    schema = Plan.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "workplan plan file"
    return schema
