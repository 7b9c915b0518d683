"""The CLI's words for people: Chinese for a Chinese plan (or --lang zh-CN), English as written."""

from __future__ import annotations

from dataclasses import dataclass

from workplan.rules.words import STATE_WORDS

LANGUAGES = ("zh-CN", "en")


# The CLI's words for people, in Chinese; English is the key itself.
ZH = {
    # headers
    "ID": "ID",
    "Item": "事项",
    "Title": "内容",
    "Lead": "牵头单位",
    "State": "状态",
    "Done": "完成",
    "Next due": "下一期限",
    "Overdue": "逾期",
    "Metric": "指标",
    "Latest": "最新报告",
    "Next checkpoint": "下一节点",
    "Target": "年度目标",
    "序时进度": "序时进度",
    "Date": "日期",
    "Notice": "通知",
    "About": "涉及",
    "To": "发往",
    "Detail": "说明",
    "Owed on": "应发日",
    "Department": "单位",
    "Status": "发送状态",
    "Sent (real, UTC)": "实际发送(UTC)",
    "No.": "文号",
    "Dated": "成文日期",
    "Error": "错误",
    "Channel": "渠道",
    "Robot": "群机器人",
    "Parts": "条数",
    "Subject": "标题",
    "Month": "月份",
    "All": "合计",
    "Notices": "通知数",
    "Metrics": "指标",
    "Deadline": "期限",
    "Left": "剩余",
    "Due": "应办事项",
    "Aim": "目标值",
    "Departments": "责任单位",
    "(done)": "（已完成）",
    **STATE_WORDS,
    "Outcome": "成果",
    "Outcomes": "成果（是否达成）",
    # notice states
    "pending": "待发送",
    "claimed": "发送中",
    "sent": "已发送",
    "written": "已写入",
    "failed": "发送失败",
    "retrying": "待重试",
    "superseded": "已撤销",
    "unconfirmed": "可能已送达",
}


@dataclass(frozen=True)
class Words:
    """The CLI's words for people in one language."""

    lang: str = "en"

    @property
    def zh(self) -> bool:
        return self.lang == "zh-CN"

    def __call__(self, word: str) -> str:
        return ZH.get(word, word) if self.zh else word

    def days(self, n: int) -> str:
        if n == 0:
            return "今天" if self.zh else "today"
        if self.zh:
            return f"{n}个工作日" if n > 0 else f"逾期{-n}个工作日"
        return f"{n} wd" if n > 0 else f"{-n} wd late"


EN = Words("en")
