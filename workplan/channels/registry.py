"""The channels, by name: what the configuration, the alert, the service and the command line
iterate over.

Each entry names a channel, the class that implements it (imported when first used, so that
naming the channels costs nothing, as APScheduler resolves its triggers and job stores through
one plugin table), the config table its settings live in, and its name for people in each
language.  The e-mail goes by SMTP when a server is configured, else to the outbox folder;
the posting channels are configured per endpoint, as ``[robots.NAME]`` with ``kind`` one of
their names.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from workplan.channels.robot import Robot, RobotSettings


@dataclass(frozen=True)
class Entry:
    """One channel: its name, its class, its config table and its words."""

    name: str
    """as the config's ``kind``, the command line's ``--channel`` and a pause name it"""
    target: str
    """the class, as ``module:Class``"""
    section: str
    """the config table holding its settings"""
    zh: str
    en: str
    """its name in each language; ``{}`` is the configured endpoint's name"""

    def load(self) -> type:
        """Import the channel's class."""
        module, _, name = self.target.partition(":")
        found: type = getattr(importlib.import_module(module), name)
        return found

    def label(self, locale: str, endpoint: str = "") -> str:
        """The channel's name for people, in the plan's language."""
        return (self.zh if locale == "zh-CN" else self.en).format(endpoint)


CHANNELS: tuple[Entry, ...] = (
    Entry("smtp", "workplan.channels.smtp:SmtpChannel", "smtp", "邮件（SMTP）通道", "e-mail (SMTP) channel"),
    Entry("outbox folder", "workplan.channels.folder:FolderChannel", "outbox", "发件文件夹", "outbox folder"),
    Entry("dingtalk", "workplan.channels.dingtalk:DingTalkRobot", "robots", "群机器人“{}”", "robot {}"),
    Entry("wecom", "workplan.channels.wecom:WeComRobot", "robots", "群机器人“{}”", "robot {}"),
    Entry("feishu", "workplan.channels.feishu:FeishuRobot", "robots", "群机器人“{}”", "robot {}"),
    Entry("webhook", "workplan.channels.webhook:Webhook", "robots", "接口“{}”", "webhook {}"),
)  # fmt: skip

MAIL = tuple(e.name for e in CHANNELS if e.section != "robots")
"""the e-mail's channels: SMTP, or the outbox folder"""
POSTING = tuple(e.name for e in CHANNELS if e.section == "robots")
"""the kinds of ``[robots.NAME]`` endpoint: each posts a department's messages after its e-mail"""


def entry(name: str) -> Entry:
    """Return the channel of that name; KeyError when there is none."""
    for found in CHANNELS:
        if found.name == name:
            return found
    raise KeyError(name)


def robot_class(kind: str) -> type[Robot]:
    """The class of a posting channel's kind."""
    from workplan.channels.robot import Robot

    found = entry(kind).load() if kind in POSTING else None
    if found is None or not issubclass(found, Robot):
        raise KeyError(kind)
    return found


def open_robot(settings: RobotSettings) -> Robot:
    """Return the posting channel the settings describe."""
    return robot_class(settings.kind)(settings)
