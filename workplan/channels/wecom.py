"""The WeCom (企业微信) group robot.

The contract, from WeCom's developer documentation, 群机器人配置说明:
https://developer.work.weixin.qq.com/document/path/91770 (a POST of JSON to the webhook URL,
whose ``key`` is the only credential, so the whole URL is a secret; markdown content at most
4,096 bytes and text at most 2,048 bytes of UTF-8; 20 messages a minute per robot) and the
global error codes, https://developer.work.weixin.qq.com/document/path/90313.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import parse_qs, urlsplit

from workplan.channels.base import Outcome
from workplan.channels.robot import Post, Robot, deliver, url_problems

RETRY_LATER = {
    -1: "WeCom is busy",
    45009: "API frequency out of limit (over 20 a minute)",
    45033: "too many concurrent calls",
}
WRONG = {
    93000: "invalid webhook URL (the key is wrong or the robot was removed)",
    40008: "invalid message type",
    44004: "empty content",
    40058: "invalid parameter (for instance content over the size limit)",
    45002: "content over the size limit",
}
BROKEN = frozenset({93000})
"""the codes that say the robot's settings are wrong: every message to it would fail alike"""


class WeComRobot(Robot):
    """Send markdown messages to a WeCom group; a link is a markdown link in the text."""

    kind = "wecom"
    limits = ((19, 60.0),)
    """one below the documented 20 a minute"""
    broken = BROKEN
    max_bytes = 4096
    """markdown content, in UTF-8 bytes, as documented"""

    def problems(self, now: datetime) -> list[str]:
        problems = url_problems(self.settings.url, ("weixin.qq.com",), "/cgi-bin/webhook/send")
        if not parse_qs(urlsplit(self.settings.url).query).get("key"):
            problems.append("the URL has no key")
        if self.settings.secret:
            problems.append("WeCom robots have no secret: the key in the URL is the secret")
        return problems

    def send(self, rendered: Post, now: datetime) -> Outcome:
        body = {"msgtype": "markdown", "markdown": {"content": rendered.text}}
        return deliver(self, self.settings.url, body, ("errcode", "errmsg"), RETRY_LATER, WRONG)
