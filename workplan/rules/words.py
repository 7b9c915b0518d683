"""The words a clerk reads for the states the rules give, in Chinese."""

from __future__ import annotations

STATE_WORDS: dict[str, str] = {
    # item states
    "on track": "正常推进",
    "due soon": "临近期限",
    "overdue": "逾期",
    "done": "已完成",
    "signed off": "已销号",
    "no deadline": "无期限",
    "awaiting review": "待复核",
    # metric states
    "met": "已达标",
    "behind": "落后",
    "missed": "未达标",
    "no report": "未报告",
    "no checkpoint": "无节点",
    # yes/no outcomes
    "achieved": "已达成",
    "not achieved": "未达成",
}
"""the states of items, metrics and outcomes in Chinese (the CLI's tables and the web pages)"""
