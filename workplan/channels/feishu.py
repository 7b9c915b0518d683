"""The Feishu (飞书) custom robot.

The contract, from Feishu's 自定义机器人使用指南,
https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot : a POST of JSON to the
webhook URL; messages text, post or interactive (a card, whose markdown element we use);
signing puts ``timestamp`` (seconds) and ``sign`` = base64(HmacSHA256(key=timestamp + "\\n" +
secret, message="")) in the body, and the timestamp must be within an hour; 100 requests a
minute and 5 a second per robot; the request body at most 20 KB; and "avoid sending on the
hour and half hour, such as 10:00 and 17:30", when the system may answer 11232 (throttled).
A card's button is an ``action`` element holding a ``button`` with a plain-text ``text`` and
a ``url``, as in the same guide's interactive-card example (卡片 JSON 1.0).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timedelta

from workplan.channels.base import Outcome
from workplan.channels.robot import Post, Robot, deliver, signing, url_problems

RETRY_LATER = {
    11232: "throttled (frequency limited)",
    9499: "Feishu could not take the request now",
}
WRONG = {
    19021: "the signature does not match, or the timestamp is not within an hour",
    19022: "the sender's IP is not allowed",
    19024: "the message does not contain the robot's keyword",
    19001: "invalid parameter (the webhook token is wrong)",
    19002: "invalid message (msg_type or content)",
}
BROKEN = frozenset({19021, 19022, 19024, 19001})
"""the codes that say the robot's settings are wrong: every message to it would fail alike"""


def sign(secret: str, timestamp: int) -> str:
    """Return Feishu's signature for a timestamp in seconds."""
    key = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


class FeishuRobot(Robot):
    """Send markdown cards to a Feishu group; a link is the card's button."""

    kind = "feishu"
    buttons = True
    limits = ((95, 60.0), (4, 1.0))
    """below the documented 100 a minute and 5 a second"""
    broken = BROKEN
    max_bytes = 12000
    """the card's markdown, in UTF-8 bytes: the body, JSON and all, must stay under 20 KB"""

    def problems(self, now: datetime) -> list[str]:
        problems = url_problems(
            self.settings.url, ("feishu.cn", "larksuite.com"), "/open-apis/bot/v2/hook/"
        )
        if not self.settings.secret and not self.settings.keyword:
            problems.append(
                "neither a secret (签名校验) nor a keyword: anyone with the URL can post"
            )
        secret = self.settings.secret
        if secret:
            problems += signing(lambda: sign(secret, int(now.timestamp())))
        return problems

    def send(self, rendered: Post, now: datetime) -> Outcome:
        title, text, button = rendered.title, rendered.text, rendered.button
        elements: list[dict[str, object]] = [{"tag": "markdown", "content": text}]
        if button is not None:
            elements.append(
                {
                    "tag": "action",
                    "actions": [
                        {
                            "tag": "button",
                            "text": {"tag": "plain_text", "content": button.label},
                            "type": "primary",
                            "url": button.url,
                        }
                    ],
                }
            )
        body: dict[str, object] = {
            "msg_type": "interactive",
            "card": {
                "header": {"title": {"tag": "plain_text", "content": title}},
                "elements": elements,
            },
        }
        if self.settings.secret:
            timestamp = int(now.timestamp())
            body |= {"timestamp": str(timestamp), "sign": sign(self.settings.secret, timestamp)}
        # the answer is {"code": 0, "msg": "success", …}
        return deliver(self, self.settings.url, body, ("code", "msg"), RETRY_LATER, WRONG)

    def not_before(self, now: datetime) -> datetime:
        """Not in the minute of the hour or the half hour (the documented busy moments)."""
        if now.minute in (0, 30):
            return now.replace(second=0, microsecond=0) + timedelta(minutes=1)
        return now
