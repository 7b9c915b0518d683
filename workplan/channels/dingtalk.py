"""The DingTalk custom robot (自定义机器人; 渝快政 and 浙政钉 run on DingTalk).

The contract, from DingTalk's open platform documentation:
https://open.dingtalk.com/document/orgapp/custom-robots-send-group-messages (sending; markdown
messages; 20 messages a minute per robot, above which the robot is throttled for 10 minutes)
and https://open.dingtalk.com/document/orgapp/customize-robot-security-settings (加签: the
millisecond timestamp and HmacSHA256(secret, timestamp + "\\n" + secret), base64 then
URL-encoded, as ``timestamp`` and ``sign`` query parameters; the timestamp must be within an
hour of DingTalk's clock; or a keyword that every message must contain).  The message types
and their fields are in https://open.dingtalk.com/document/orgapp/custom-robot-access
(消息类型及数据格式): ``markdown`` {title, text}; ``actionCard`` {title, text (markdown),
btnOrientation, and singleTitle with singleURL for one button that opens a page}.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime
from urllib.parse import quote_plus

from workplan.channels.base import Outcome
from workplan.channels.robot import Post, Robot, RobotSettings, deliver, signing, url_problems

# errcode -> meaning, as the documentation lists them
RETRY_LATER = {
    -1: "DingTalk is busy",
    130101: "sent too fast (over 20 a minute)",
    410100: "sent too fast: the robot is throttled",
}
WRONG = {
    310000: "refused by the robot's security settings (signature, timestamp, keyword or IP)",
    300001: "no such robot (the access_token is wrong)",
    400101: "the robot does not exist",
    400102: "the robot is disabled",
    400105: "unsupported message type",
    430101: "the message contains an unsafe link",
    430102: "the message contains unsuitable text",
    460101: "the message is too long",
    40035: "a required parameter is missing",
}
BROKEN = frozenset({310000, 300001, 400101, 400102})
"""the codes that say the robot's settings are wrong: every message to it would fail alike"""


def sign(secret: str, timestamp_ms: int) -> str:
    """Return DingTalk's 加签 signature, URL-encoded."""
    to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode("utf-8"), to_sign, hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest))


class DingTalkRobot(Robot):
    """Send markdown messages to a DingTalk group, or ActionCards (``msgtype = "actionCard"``)
    whose button opens the department's report page."""

    kind = "dingtalk"
    limits = ((19, 60.0),)
    """one below the documented 20 a minute: exceeding it blocks the robot for 10 minutes"""
    broken = BROKEN
    max_bytes = 4000
    """a digest short enough to read on a phone (the API accepts longer)"""
    msgtypes = ("markdown", "actionCard")

    def __init__(self, settings: RobotSettings) -> None:
        super().__init__(settings)
        self.buttons = settings.msgtype == "actionCard"

    def problems(self, now: datetime) -> list[str]:
        problems = url_problems(self.settings.url, ("dingtalk.com",), "/robot/send")
        if "access_token=" not in self.settings.url:
            problems.append("the URL has no access_token")
        if not self.settings.secret and not self.settings.keyword:
            problems.append("neither a secret (加签) nor a keyword: the robot will refuse")
        if self.settings.secret and not self.settings.secret.startswith("SEC"):
            problems.append("the secret does not look like DingTalk's (it starts with SEC)")
        if self.settings.secret:
            problems += signing(lambda: self.url(now))
        return problems

    def url(self, now: datetime) -> str:
        if not self.settings.secret:
            return self.settings.url
        timestamp = int(now.timestamp() * 1000)
        return f"{self.settings.url}&timestamp={timestamp}&sign={sign(self.settings.secret, timestamp)}"

    def send(self, rendered: Post, now: datetime) -> Outcome:
        title, text, button = rendered.title, rendered.text, rendered.button
        body: dict[str, object] = {
            "msgtype": "markdown",
            "markdown": {"title": title, "text": text},
        }
        if self.buttons and button is not None:  # without a link, a card would have no use
            card = {"title": title, "text": text, "btnOrientation": "0"}
            body = {
                "msgtype": "actionCard",
                "actionCard": card | {"singleTitle": button.label, "singleURL": button.url},
            }
        return deliver(self, self.url(now), body, ("errcode", "errmsg"), RETRY_LATER, WRONG)
