"""`workplan channels check` as a set-up tool (issue 26, item 4; issue 27, item 7): a test post
to each robot and its answer, against the local contract servers; configuration errors that
name the fix (a Chinese key to quote, a near-match robot name, a malformed URL, a file others
can read); and its tables complete at 80 columns."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.cells import cell_len

from tests.helpers import run
from tests.robots import GROUP, TOKEN, RobotServer, write_plan


@pytest.fixture
def loaded(tmp_path: Path) -> str:
    db = str(tmp_path / "workplan.db")
    run("load", str(write_plan(tmp_path, [GROUP])), "--db", db)
    return db


@pytest.fixture
def servers() -> Iterator[tuple[RobotServer, RobotServer]]:
    dingtalk = RobotServer("dingtalk", "SECsecret").start()
    wecom = RobotServer("wecom").start()
    yield dingtalk, wecom
    dingtalk.stop()
    wecom.stop()


def config(tmp_path: Path, text: str, mode: int = 0o600) -> Path:
    path = tmp_path / "robots.toml"
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def two_robots(tmp_path: Path, dingtalk: RobotServer, wecom: RobotServer, token: str) -> Path:
    return config(
        tmp_path,
        f'[robots."{GROUP}"]\nkind = "dingtalk"\nurl = "{dingtalk.url}"\nsecret = "SECsecret"\n'
        f'[robots."财政局企微群"]\nkind = "wecom"\nurl = "{wecom.url.replace(TOKEN, token)}"\n',
    )


def test_send_test_posts_to_each_robot_and_reports_its_answer(
    loaded: str, tmp_path: Path, servers: tuple[RobotServer, RobotServer]
) -> None:
    dingtalk, wecom = servers
    path = two_robots(tmp_path, dingtalk, wecom, TOKEN)
    out = run(
        "--lang", "en", "channels", "check", "--send-test", "--config", str(path), "--db", loaded
    ).output
    assert f"test post to {GROUP}: accepted" in out and "test post to 财政局企微群: accepted" in out
    assert "2 test post(s) accepted" in out
    assert [a.title for a in dingtalk.accepted] == ["workplan 测试消息"]
    assert "测试消息" in wecom.accepted[0].text


def test_send_test_shows_a_wrong_token_now(
    loaded: str, tmp_path: Path, servers: tuple[RobotServer, RobotServer]
) -> None:
    dingtalk, wecom = servers
    path = two_robots(tmp_path, dingtalk, wecom, "a-wrong-token")
    out = run("--lang", "en", "channels", "check", "--send-test", "财政局企微群", "--config", str(path),
              "--db", loaded, code=2).output  # fmt: skip
    assert "test post to 财政局企微群: permanent: 93000 invalid webhook URL" in out, out
    assert "robot 财政局企微群: the test post was refused" in out
    assert not dingtalk.accepted  # only the robot named


def test_send_test_to_a_robot_not_configured_names_the_near_one(
    loaded: str, tmp_path: Path, servers: tuple[RobotServer, RobotServer]
) -> None:
    path = two_robots(tmp_path, *servers, TOKEN)
    out = run("--lang", "en", "channels", "check", "--send-test", "财政局企业微信群", "--config", str(path),
              "--db", loaded, code=2).output  # fmt: skip
    assert "no robot '财政局企业微信群' in the config; did you mean '财政局企微群'?" in out, out


def test_a_robot_the_directory_names_near_a_configured_one_is_named(
    loaded: str, tmp_path: Path
) -> None:
    path = config(
        tmp_path,
        f'[robots."{GROUP}1"]\nkind = "wecom"\n'
        'url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc"\n',
    )
    out = run(
        "--lang", "en", "channels", "check", "--config", str(path), "--db", loaded, code=2
    ).output
    assert (
        f"robot {GROUP}: named in the directory but not in the config; did you mean '{GROUP}1'?"
        in out
    ), out


@pytest.mark.parametrize(
    ("text", "fix"),
    [
        ('[robots.财政局企微群]\nkind = "wecom"\n', 'write [robots."财政局企微群"]'),
        ('[robots."群"]\n种类 = "wecom"\n', 'write "种类" = "wecom"'),
    ],
)
def test_an_unquoted_chinese_key_says_to_quote_it(tmp_path: Path, text: str, fix: str) -> None:
    path = config(tmp_path, text)
    out = run("channels", "check", "--config", str(path), code=2).output
    assert out.count("\n") == 1 and "not valid TOML" in out, out
    assert f"a name in Chinese goes in quotes: {fix}" in out, out


@pytest.mark.parametrize(
    "url", ["http://[::1/cgi-bin/webhook/send?key=abc", "https://qyapi.weixin.qq.com:99999/x"]
)
def test_a_malformed_robot_url_is_one_line_naming_the_robot(
    loaded: str, tmp_path: Path, url: str
) -> None:
    path = config(tmp_path, f'[robots."财政局企微群"]\nkind = "wecom"\nurl = "{url}"\n')
    for command in (
        ("channels", "check"),
        ("run", "--once", "--now", "2023-05-09T09:00", "--outbox", str(tmp_path / "o")),
    ):
        out = run(*command, "--config", str(path), "--db", loaded, code=2).output
        assert out.count("\n") == 1, out  # in the language of the database's plan
        assert "[robots.财政局企微群]：地址" in out and "不是网址" in out, out
        assert "key=abc" not in out  # the URL's key is a secret
        said = run("--lang", "en", *command, "--config", str(path), "--db", loaded, code=2)
        assert "[robots.财政局企微群]: url" in said.output, said.output
        assert "is not a web address" in said.output and "key=abc" not in said.output


def test_a_robots_config_others_can_read_is_refused_with_the_fix(tmp_path: Path) -> None:
    path = config(
        tmp_path,
        '[robots."群"]\nkind = "dingtalk"\n'
        'url = "https://oapi.dingtalk.com/robot/send?access_token=abc"\nsecret = "SECx"\n',
        mode=0o644,
    )
    out = run("channels", "check", "--config", str(path), code=2).output
    assert f"others can read it (mode 0644); run: chmod 600 {path}" in out, out


def test_the_tables_are_complete_at_80_columns(
    loaded: str, tmp_path: Path, servers: tuple[RobotServer, RobotServer]
) -> None:
    dingtalk, _ = servers
    path = config(
        tmp_path,
        f'[robots."{GROUP}"]\nkind = "dingtalk"\nurl = "{dingtalk.url}"\nsecret = "SECsecret"\n'
        'msgtype = "actionCard"\n'
        '[robots."农业农村委飞书工作群"]\nkind = "feishu"\n'
        'url = "https://open.feishu.cn/open-apis/bot/v2/hook/abc"\nsecret = "s"\n'
        'keyword = "工作提醒"\n',
    )
    out = run(
        "--lang", "en", "channels", "check", "--config", str(path), "--db", loaded, columns=80
    ).output
    table = out.split("posts carry no report link")[0] + out.split("notices go")[1]
    assert max(cell_len(line) for line in table.splitlines()) <= 80, table
    assert " …" not in table and "…\n" not in table.replace("/…", ""), table  # nothing cut
    assert "农业农村委飞" in table and "书工作群" in table and "95/60s," in table
