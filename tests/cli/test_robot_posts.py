"""The group robots' posts through the command line: each delivery's own status listed by
channel, a post the robot refuses is failed and visible, and sent once after `notices
resend` — over the three contract servers (tests/robots.py), with the report links."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.helpers import run
from tests.robots import DEMO, DEMO_SECRETS, RobotServer
from workplan.store.db import open_store
from workplan.store.tables import T_DELIVERY

BANAN = str(Path(__file__).resolve().parents[2] / "plans" / "banan-2023.yaml")
WRONG = {"dingtalk": 460101, "wecom": 40008, "feishu": 19002}
"""a code of each robot that says this request is wrong (not the robot's settings)"""
MORNING = "2023-06-26T09:00"
"""a morning when each of the three departments with a robot is owed a digest"""


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[dict[str, RobotServer]]:
    made = {name: RobotServer(kind, DEMO_SECRETS[kind]).start() for name, kind in DEMO.items()}
    lines = []
    for name, server in made.items():
        lines += [f'[robots."{name}"]', f'kind = "{server.kind}"', f'url = "{server.url}"']
        if server.secret:
            lines.append(f'secret = "{server.secret}"')
        if server.kind == "dingtalk":
            lines.append('msgtype = "actionCard"')
    (tmp_path / "robots.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    yield made
    for server in made.values():
        server.stop()


def _clear_of_feishus_busy_minutes() -> None:
    """Feishu's robot is not posted to in the minute of :00 or :30 (real time: the service's
    clock is the wall's); wait until a run cannot reach one, at most two minutes."""
    while (now := datetime.now(UTC)).minute % 30 in (29, 0):
        time.sleep(60.5 - now.second - now.microsecond / 1e6)


def _send(db: str, tmp_path: Path) -> str:
    _clear_of_feishus_busy_minutes()
    config, outbox = str(tmp_path / "robots.toml"), str(tmp_path / "outbox")
    return run(
        "run", "--once", "--now", MORNING, "--outbox", outbox, "--config", config, "--db", db
    ).output


def _deliveries(db: str) -> list[dict[str, object]]:
    engine = open_store(db)
    with engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(select(T_DELIVERY)).mappings()]
    engine.dispose()
    return rows


def test_a_refused_post_is_failed_listed_by_channel_and_sent_once_after_resend(
    db_url: str, tmp_path: Path, servers: dict[str, RobotServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WORKPLAN_BASE_URL", "https://dc.banan.example/")
    monkeypatch.setenv("WORKPLAN_LINK_SECRET", "link-secret-0123456789abcdef")
    for server in servers.values():
        server.fail_next = [(200, WRONG[server.kind])]  # the first post each robot gets
    run("load", BANAN, "--db", db_url)
    out = _send(db_url, tmp_path)
    assert "3 failed" in out, out

    # failed and visible: listed per channel, each with the robot's own words
    listed = run("notices", "--channel", "robots", "--status", "failed", "--db", db_url).output
    for name, server in servers.items():
        assert name in listed and server.kind in listed
    assert "460101" in listed and "40008" in listed and "19002" in listed
    only = run(
        "notices", "--channel", "dingtalk", "--status", "failed", "--format", "json",
        "--db", db_url,
    ).output  # fmt: skip
    assert '"channel": "dingtalk"' in only and "wecom" not in only and "feishu" not in only
    status = run("status", "--as-of", "2023-06-26", "--db", db_url).output
    assert "robot posts: dingtalk 0 wait, 1 failed; feishu 0 wait, 1 failed; wecom 0 wait" in (
        status
    )
    assert "`workplan notices --channel robots --status failed`" in status
    failed = {d["id"]: d for d in _deliveries(db_url) if d["status"] == "failed"}
    assert len(failed) == 3
    posted_before = {name: len(s.accepted) for name, s in servers.items()}

    # the fault fixed (the servers answer normally now): resend, then the next run posts them
    said = run("notices", "resend", "--db", db_url).output
    assert "0 failed notice(s) and 3 failed robot post(s) queued again" in said
    _send(db_url, tmp_path)
    after = {d["id"]: d for d in _deliveries(db_url)}
    assert {after[i]["status"] for i in failed} == {"sent"}
    assert {after[i]["message_id"] for i in failed} == {d["message_id"] for d in failed.values()}
    resent = {str(after[i]["robot"]): int(str(after[i]["parts"])) for i in failed}
    for name, server in servers.items():
        texts = [a.text for a in server.accepted]
        assert len(texts) == len(set(texts)), "a post was sent twice"
        assert len(texts) == posted_before[name] + resent[name], "the resent post went once"
        assert all(len(a.links) == 1 for a in server.accepted), "each post has its link"
    card = servers["乡村振兴局工作群"].accepted[-1]
    assert card.body["msgtype"] == "actionCard" and card.buttons[0][0] == "填报/查看"
    assert "robot posts" not in run("status", "--as-of", "2023-06-26", "--db", db_url).output
    listed = run("notices", "--channel", "robots", "--db", db_url).output
    assert "已发送" in listed and "发送失败" not in listed


def test_resend_by_channel_queues_only_that_robots_posts(
    db_url: str, tmp_path: Path, servers: dict[str, RobotServer]
) -> None:
    for server in servers.values():
        server.fail_next = [(200, WRONG[server.kind])]
    run("load", BANAN, "--db", db_url)
    _send(db_url, tmp_path)
    said = run("notices", "resend", "--channel", "wecom", "--db", db_url).output
    assert said.startswith("1 failed robot post(s) queued again")
    statuses = {(d["channel"], d["status"]) for d in _deliveries(db_url) if d["status"] != "sent"}
    assert statuses == {("wecom", "retrying"), ("dingtalk", "failed"), ("feishu", "failed")}
    assert (
        "no failed notice matches: nothing queued"
        in run("notices", "resend", "--channel", "email", "--db", db_url).output
    )
    assert (
        "never when sent"
        in run(
            "notices", "resend", "--status", "sent", "--channel", "robots", "--db", db_url
        ).output
    )
    run("notices", "--channel", "wecom", "--kind", "reminder", "--db", db_url, code=2)
