"""The CLI's words for people: Chinese for a Chinese plan (or --lang zh-CN), English as written."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from workplan import i18n
from workplan.i18n import N_
from workplan.rules.words import STATE_WORDS

LANGUAGES = ("zh-CN", "en")


# The CLI's words for people, for the catalog (workplan/locale): English is the word itself.
WORDS = (
    N_("ID"),
    N_("Item"),
    N_("Title"),
    N_("Lead"),
    N_("State"),
    N_("Done"),
    N_("Next due"),
    N_("Overdue"),
    N_("Metric"),
    N_("Latest"),
    N_("Next checkpoint"),
    N_("Target"),
    N_("序时进度"),
    N_("Date"),
    N_("Notice"),
    N_("About"),
    N_("To"),
    N_("Detail"),
    N_("Owed on"),
    N_("Department"),
    N_("Status"),
    N_("Sent (real, UTC)"),
    N_("No."),
    N_("Dated"),
    N_("Error"),
    N_("Channel"),
    N_("Robot"),
    N_("Parts"),
    N_("Subject"),
    N_("Month"),
    N_("All"),
    N_("Notices"),
    N_("Metrics"),
    N_("Deadline"),
    N_("Left"),
    N_("Due"),
    N_("Aim"),
    N_("Departments"),
    N_("(done)"),
    N_("Outcome"),
    N_("Outcomes"),
    N_("pending"),
    N_("claimed"),
    N_("sent"),
    N_("failed"),
    N_("retrying"),
    N_("superseded"),
    N_("closed"),
    N_("written"),
    N_("unconfirmed"),
)
# the states of items, metrics and outcomes: the rules' own table of their Chinese
ZH = dict(STATE_WORDS)


@dataclass(frozen=True)
class Words:
    """The CLI's words for people in one language."""

    lang: str = "en"
    zone: str = "UTC"
    """the plan's time zone: a clerk reading Chinese reads times there, not in UTC"""

    @property
    def zh(self) -> bool:
        return self.lang == "zh-CN"

    def __call__(self, word: str) -> str:
        if not self.zh:
            return word
        return ZH.get(word) or i18n.gettext(word, "zh")

    def time(self, instant: datetime) -> str:
        """Show an instant (aware, or naive in UTC): in the plan's zone for Chinese, in UTC
        for English (the tables' headers say which)."""
        aware = instant if instant.tzinfo else instant.replace(tzinfo=UTC)
        shown = aware.astimezone(ZoneInfo(self.zone)) if self.zh else aware.astimezone(UTC)
        return f"{shown:%Y-%m-%d %H:%M}"

    def days(self, n: int) -> str:
        if n == 0:
            return "今天" if self.zh else "today"
        if self.zh:
            return f"{n}个工作日" if n > 0 else f"逾期{-n}个工作日"
        return f"{n} wd" if n > 0 else f"{-n} wd late"


EN = Words("en")
