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

# How severe each kind of notice is: a higher stage replaces a lower one for the same subject.
STAGE_REMIND = 10
STAGE_WARN = 20
STAGE_PACE = 30
STAGE_OVERDUE = 100

Topic = Literal["deadline", "report", "pace", "backlog"]
"""what a notice's line is about: a deadline (done or a checkpoint met), a periodic report,
the pace (序时进度), or the summary of what fell due before the plan took effect"""

LetterKind = Literal["reminder", "warning", "overdue", "escalation", "bulletin"]

LETTER_KINDS: tuple[LetterKind, ...] = ("reminder", "warning", "overdue", "escalation", "bulletin")
"""The kinds of letter, each with its template: 提醒, 提示函, 催办, 督办, 通报."""


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

    @property
    def ladder(self) -> bool:
        """Its notices climb the plan's escalation ladder after a missed deadline."""
        return self.level_name is None

    def stage_at(self, level: int) -> int:
        """The stage of its notice at ``level``."""
        return self.stage + level if self.ladder else self.stage

    def letter_at(self, level: int) -> LetterKind:
        """The letter its notice at ``level`` goes in: on the ladder, 催办 at the first step,
        督办 at the second, 通报 beyond."""
        if self.letter is not None:
            return self.letter
        return "overdue" if level <= 1 else "escalation" if level == 2 else "bulletin"


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

KINDS: dict[str, RuleKind] = {
    k.name: k for k in (REMIND, WARN, PACE, REPORT, OVERDUE, REPORT_OVERDUE, BACKLOG)
}


LADDER: tuple[str, ...] = tuple(k.name for k in KINDS.values() if k.ladder)
"""the rules whose notices climb the plan's escalation ladder"""


def rule_kind(name: str) -> RuleKind:
    """Return the kind a notice's rule names; raise StoreError for a name this version does not
    know (a notice stored by a later version)."""
    found = KINDS.get(name)
    if found is None:
        raise StoreError(
            f"the database holds notices of a rule this version does not know ('{name}'; "
            f"known: {', '.join(KINDS)}): upgrade workplan"
        )
    return found
