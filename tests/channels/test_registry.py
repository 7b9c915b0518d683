"""The registry names every channel once, and each name reaches its class."""

from __future__ import annotations

from workplan.channels.registry import CHANNELS, MAIL, POSTING, robot_class
from workplan.channels.robot import Robot


def test_each_channel_loads_and_answers_to_its_name() -> None:
    assert len({e.name for e in CHANNELS}) == len(CHANNELS)
    for entry in CHANNELS:
        cls = entry.load()
        if entry.name in POSTING:
            assert issubclass(cls, Robot) and cls.kind == entry.name == robot_class(entry.name).kind
            assert entry.section == "robots"
        else:
            assert entry.name in MAIL and cls.name == entry.name
        assert entry.label("zh-CN", "群") and entry.label("en", "group")
