"""The kinds of rule a notice is owed by: one closed registry.

Each kind says how severe its notices are (the stage: a higher one replaces a lower one for the
same subject), what its level is called unless the plan's ladder names it, which letter
carries it, and what its line in a letter is about (its topic: the letters, the tables' detail
and the pages branch on the topic, never on a rule's name).  A new kind of rule is an entry
here, its branch in the evaluator, its detail in the tables (``cli/render``) and its words in
the two ``_letter.j2`` (zh-CN, en).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from workplan.errors import StoreError
from workplan.i18n import L_

# How severe each kind of notice is: a higher stage replaces a lower one for the same subject.
STAGE_REMIND = 10
STAGE_WARN = 20
STAGE_PACE = 30
STAGE_OVERDUE = 100

Topic = Literal["deadline", "shortfall", "report", "pace", "backlog", "summary"]
"""what a notice's line is about: a deadline (done or a checkpoint met), a checkpoint whose
figure came on time but short of it (未达到), a periodic report, the pace (序时进度), the summary
of what fell due before the plan took effect, or the month's report to the leadership"""

LetterKind = Literal["reminder", "warning", "overdue", "escalation", "bulletin", "report"]

LETTER_KINDS: tuple[LetterKind, ...] = (
    "reminder",
    "warning",
    "overdue",
    "escalation",
    "bulletin",
    "report",
)
"""The kinds of letter, each with its template: 提醒, 提示函, 催办, 督办, 通报, and the report up
to the leadership (情况报告)."""

LAPSE_LETTERS: tuple[LetterKind, ...] = ("overdue", "escalation", "bulletin")
"""the letters of a lapse's ladder, by step: 催办 at the first, 督办 at the second, 通报 beyond"""


@dataclass(frozen=True)
class RuleKind:
    """One kind of rule, as every stage after the evaluator knows it."""

    name: str
    """as stored with each notice (its key includes it)"""
    stage: int
    """the stage of its notices; a ladder kind adds the step's level"""
    level_name: str | None
    """its level's name (提醒, 提示函 …); None: the plan's ladder names each step (催办, 督办 …)"""
    letter: LetterKind | None
    """the letter its notices go in; None: the letter of its ladder step"""
    topic: Topic
    forecast: bool = False
    """the letter explains a forecast: the progress so far will not reach the target"""
    rungs: tuple[LetterKind, ...] = LAPSE_LETTERS
    """a ladder kind: the letter of each step, the last for every step above"""
    asks: tuple[str, str] = ("", "")
    """what its letter asks the recipient to do, in Chinese and English, where the topic's own
    words do not say it (the office's cycle)"""

    @property
    def ladder(self) -> bool:
        """Its notices climb the plan's escalation ladder after a missed deadline."""
        return self.level_name is None

    def stage_at(self, level: int) -> int:
        """The stage of its notice at ``level``."""
        return self.stage + level if self.ladder else self.stage

    def letter_at(self, level: int) -> LetterKind:
        """The letter its notice at ``level`` goes in: on the ladder, the step's of ``rungs``
        (a lapse: 催办 at the first step, 督办 at the second, 通报 beyond)."""
        if self.letter is not None:
            return self.letter
        return self.rungs[min(max(level, 1), len(self.rungs)) - 1]


WARN_NAME = "提示函"
"""the warning's name: its letters are one document of their own (the day's 提示函)"""
BACKLOG_NAME = "计划生效前事项"

REMIND = RuleKind("remind", STAGE_REMIND, "提醒", "reminder", "deadline")
WARN = RuleKind("warn", STAGE_WARN, WARN_NAME, "warning", "deadline", forecast=True)
PACE = RuleKind("pace", STAGE_PACE, "序时进度提示", "warning", "pace")
REPORT = RuleKind("report", STAGE_REMIND, "报送提醒", "reminder", "report")
OVERDUE = RuleKind("overdue", STAGE_OVERDUE, None, None, "deadline")
REPORT_OVERDUE = RuleKind("report-overdue", STAGE_OVERDUE, None, None, "report")
BACKLOG = RuleKind("backlog", STAGE_REMIND, BACKLOG_NAME, "reminder", "backlog")
SHORTFALL = RuleKind(
    "shortfall", STAGE_OVERDUE, None, None, "shortfall", rungs=("warning", *LAPSE_LETTERS)
)
"""a checkpoint missed by a figure reported on time: its own ladder, a 提示函 first"""
REPORT_UP_NAME = "情况报告"
REPORT_UP = RuleKind("report-up", STAGE_OVERDUE, REPORT_UP_NAME, "report", "summary")
"""the month's report to the leadership: counts, key items and lapses at the top rung"""

# the office's cycle (workplan.rules.cycle): a 交办件's 交办单 to its departments, and, not
# signed for in time, followed up before its deadline's reminders; an extension request the
# office has not answered
ASSIGN = RuleKind(
    "assign",
    STAGE_REMIND,
    "交办单",
    "reminder",
    "deadline",
    asks=(
        "现将本事项交办贵单位：请打开本函所附链接签收，按期办理，并通过台账报送办理情况。",
        "This work is assigned to you: please open the link in this letter to sign for it, "
        "see it done on time and report through the ledger.",
    ),
)
RECEIPT = RuleKind(
    "receipt",
    STAGE_REMIND,
    "签收提醒",
    "reminder",
    "deadline",
    asks=(
        "本事项已交办，贵单位尚未签收：请打开本函所附链接签收，并按期办理。",
        "This work was assigned to you and is not signed for yet: please open the link in "
        "this letter to sign for it, and see it done on time.",
    ),
)
ANSWER = RuleKind(
    "answer",
    STAGE_REMIND,
    "延期申请待批复",
    "reminder",
    "deadline",
    asks=(
        "责任单位已申请延期，尚待批复：请及时同意，或说明不同意的理由。",
        "Its department asked for an extension that waits for an answer: please approve it, "
        "or refuse it with the reason.",
    ),
)

REVIEW = RuleKind(
    "review",
    STAGE_REMIND,
    "报告待复核",
    "reminder",
    "deadline",
    asks=(
        "责任单位已报送办理情况，尚待复核：请及时复核通过，或说明理由退回。",
        "Its department reported it and the report waits for your review: please accept it, "
        "or send it back with the reason.",
    ),
)
RETURNED = RuleKind(
    "returned",
    STAGE_REMIND,
    "退回重办",
    "reminder",
    "deadline",
    asks=(
        "贵单位报送的办理情况经复核退回{why}：请按退回意见重新办理，并重新报送。",
        "The report your department made was sent back after review{why}: please do it "
        "again as asked and report again.",
    ),
)

KINDS: dict[str, RuleKind] = {
    k.name: k
    for k in (
        REMIND,
        WARN,
        PACE,
        REPORT,
        OVERDUE,
        REPORT_OVERDUE,
        BACKLOG,
        SHORTFALL,
        REPORT_UP,
        ASSIGN,
        RECEIPT,
        ANSWER,
        REVIEW,
        RETURNED,
    )
}


LADDER: tuple[str, ...] = tuple(k.name for k in KINDS.values() if k.ladder)
"""the rules whose notices climb the plan's escalation ladder"""


def rule_kind(name: str) -> RuleKind:
    """Return the kind a notice's rule names; raise StoreError for a name this version does not
    know (a notice stored by a later version)."""
    found = KINDS.get(name)
    if found is None:
        raise StoreError(
            L_(
                "the database holds notices of a rule this version does not know ('{name}'; "
                "known: {known}): upgrade workplan",
                name=name,
                known=list(KINDS),
            )
        )
    return found
