"""`workplan channels check` and the robots after `run --once`, through the command line."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.helpers import run
from tests.robots import GROUP, RobotServer, write_plan

GOOD = f"""
[robots."{GROUP}"]
kind = "dingtalk"
url = "https://oapi.dingtalk.com/robot/send?access_token=abc"
secret_env = "TEST_DINGTALK_SECRET"

[robots."区财政局群"]
kind = "wecom"
url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc"

[robots."飞书群"]
kind = "feishu"
url = "https://open.feishu.cn/open-apis/bot/v2/hook/abc"
secret = "s"
"""


@pytest.fixture
def loaded(db_url: str, tmp_path: Path) -> Iterator[str]:
    plan = write_plan(tmp_path, [GROUP])
    run("load", str(plan), "--db", db_url)
    yield db_url


def test_check_shows_each_robot_and_where_each_department_goes(
    loaded: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_DINGTALK_SECRET", "SECabc")
    config = tmp_path / "workplan.toml"
    config.write_text(GOOD, encoding="utf-8")
    config.chmod(0o600)  # it holds the robots' URLs and secrets
    out = run(
        "--lang", "en", "channels", "check", "--config", str(config), "--db", loaded, columns=160
    ).output
    assert "every configured robot checks out" in out
    assert "access_token" not in out and "key=abc" not in out, "the URL is a secret"
    assert "区财政局" in out and f"{GROUP} (dingtalk)" in out
    assert "19/60s" in out and "95/60s, 4/1s" in out
    assert "posts carry no report link" in out and "actionCard" not in out


@pytest.mark.parametrize(
    ("kind", "msgtype", "why"),
    [
        (
            "dingtalk",
            "actioncard",
            "msgtype 'actioncard': a dingtalk robot takes markdown or actionCard",
        ),
        ("wecom", "actionCard", "msgtype 'actionCard': a wecom robot takes markdown"),
    ],
)
def test_a_message_type_the_robot_does_not_take_is_a_one_line_error(
    kind: str, msgtype: str, why: str, tmp_path: Path
) -> None:
    config = tmp_path / "workplan.toml"
    config.write_text(
        f'[robots."群"]\nkind = "{kind}"\nurl = "https://x/"\nmsgtype = "{msgtype}"\n',
        encoding="utf-8",
    )
    config.chmod(0o600)  # it holds the robots' URLs and secrets
    out = run(
        "--lang", "en", "channels", "check", "--config", str(config), code=2, columns=160
    ).output
    assert out.strip() == f"error: {config}: [robots.群]: {why}"


def test_check_shows_an_action_card_robot_and_says_it_posts_links_when_the_web_is_set(
    loaded: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_DINGTALK_SECRET", "SECabc")
    monkeypatch.setenv("WORKPLAN_BASE_URL", "https://dc.example/")
    monkeypatch.setenv("WORKPLAN_LINK_SECRET", "s" * 32)
    config = tmp_path / "workplan.toml"
    config.write_text(GOOD.replace("secret_env = ", 'msgtype = "actionCard"\nsecret_env = '))
    config.chmod(0o600)  # it holds the robots' URLs and secrets
    out = run(
        "--lang", "en", "channels", "check", "--config", str(config), "--db", loaded, columns=160
    ).output
    assert "dingtalk actionCard" in out and "posts carry no report link" not in out
    assert "every configured robot checks out" in out


def test_check_names_every_problem_and_exits_2(loaded: str, tmp_path: Path) -> None:
    config = tmp_path / "workplan.toml"
    config.write_text(
        """
[robots."钉钉群"]
kind = "dingtalk"
url = "http://oapi.dingtalk.com/robot/send"

[robots."企微群"]
kind = "wecom"
url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"
""",
        encoding="utf-8",
    )
    config.chmod(0o600)  # it holds the robots' URLs and secrets
    out = run(
        "--lang",
        "en",
        "channels",
        "check",
        "--config",
        str(config),
        "--db",
        loaded,
        code=2,
        columns=160,
    ).output
    assert "the URL must use https" in out
    assert "the URL has no access_token" in out
    assert "neither a secret (加签) nor a keyword" in out
    assert "the URL has no key" in out
    assert f"{GROUP} (NOT CONFIGURED)" in out
    assert "problem(s)" in out


def test_a_config_without_the_secrets_variable_is_a_one_line_error(tmp_path: Path) -> None:
    config = tmp_path / "workplan.toml"
    config.write_text(GOOD, encoding="utf-8")
    config.chmod(0o600)  # it holds the robots' URLs and secrets
    out = run(
        "--lang", "en", "channels", "check", "--config", str(config), code=2, columns=160
    ).output
    assert "the environment variable TEST_DINGTALK_SECRET is not set" in out


def test_run_once_posts_the_morning_to_the_robot(loaded: str, tmp_path: Path) -> None:
    server = RobotServer("dingtalk", "SECsecret", None, lambda: datetime.now(UTC)).start()
    try:
        config = tmp_path / "workplan.toml"
        config.write_text(
            f'[robots."{GROUP}"]\nkind = "dingtalk"\nurl = "{server.url}"\nsecret = "SECsecret"\n',
            encoding="utf-8",
        )
        config.chmod(0o600)  # it holds the robots' URLs and secrets
        out = run(
            "--lang",
            "en",
            "run",
            "--once",
            "--now",
            "2023-05-09T09:00",
            "--outbox",
            str(tmp_path / "outbox"),
            "--config",
            str(config),
            "--db",
            loaded,
        ).output
    finally:
        server.stop()
    assert "robots: " in out and " held for the limit" in out
    assert server.refused == [] and server.breaches == []
    assert 0 < len(server.accepted) <= 19, out
    assert all(a.text.rstrip().endswith("以邮件为准。") for a in server.accepted)
