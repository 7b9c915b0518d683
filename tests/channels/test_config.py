"""Delivery settings are checked whole before anything is claimed: one line, exit 2."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.helpers import run
from workplan.channels.base import ConfigError
from workplan.channels.config import load_settings
from workplan.cli.commands import cli

BAD: list[tuple[str, bytes, str]] = [
    ("typo", b'[smtp]\nhots = "mail.example.org"\n', "unknown key 'hots'; did you mean 'host'?"),
    ("table-typo", b'[smpt]\nhost = "m"\n', "unknown key 'smpt'; did you mean 'smtp'?"),
    ("timeout-negative", b'[smtp]\nhost = "m"\ntimeout = -1\n', "SMTP timeout must be"),
    ("timeout-nan", b'[smtp]\nhost = "m"\ntimeout = nan\n', "SMTP timeout must be"),
    ("timeout-inf", b'[smtp]\nhost = "m"\ntimeout = inf\n', "SMTP timeout must be"),
    ("timeout-text", b'[smtp]\nhost = "m"\ntimeout = "soon"\n', "SMTP timeout must be"),
    ("port-range", b'[smtp]\nhost = "m"\nport = 70000\n', "SMTP port must be"),
    ("port-bool", b'[smtp]\nhost = "m"\nport = true\n', "SMTP port must be"),
    ("host-number", b"[smtp]\nhost = 12\n", "SMTP host must be text"),
    ("security", b'[smtp]\nhost = "m"\nsecurity = "startls"\n', "did you mean 'starttls'?"),
    ("smtp-string", b'smtp = "mail.example.org"\n', "'smtp' must be a table: write [smtp]"),
    ("outbox-string", b'outbox = "/var/mail"\n', "'outbox' must be a table: write [outbox]"),
    ("outbox-number", b"[outbox]\ndir = 3\n", "[outbox] dir: must be text"),
    ("not-utf8", '[smtp]\nhost = "邮件"\n'.encode("gb18030"), "not UTF-8"),
    ("not-toml", b"[smtp\n", "not valid TOML"),
    (
        "plaintext-auth",
        b'[smtp]\nhost = "m"\nsecurity = "none"\nuser = "u"\n',
        "would send the password in clear text",
    ),
    ("flag", b'[smtp]\nhost = "m"\nallow_plaintext_auth = "maybe"\n', "true or false"),
    (
        "sender",
        b'[mail]\nfrom = "office at example dot org"\n',
        "[mail] from: 'office at example dot org' is not an e-mail address",
    ),
    ("sender-two", b'[mail]\nfrom = "a@b.org, c@d.org"\n', "is not an e-mail address"),
]

# issue 27.6: the environment's values were taken unchecked (a sender of
# "office at example dot org" failed every notice, exit 0, no pause, no alert)
BAD_ENV: list[tuple[str, str, str]] = [
    ("WORKPLAN_MAIL_FROM", "office at example dot org", "is not an e-mail address"),
    ("WORKPLAN_MAIL_FROM", "office@", "is not an e-mail address"),
    ("WORKPLAN_SMTP_PORT", "seventy", "SMTP port must be"),
    ("WORKPLAN_SMTP_TIMEOUT", "-3", "SMTP timeout must be"),
    ("WORKPLAN_SMTP_SECURITY", "ssl", "use starttls, tls or none"),
    ("WORKPLAN_SMTP_ALLOW_PLAINTEXT_AUTH", "perhaps", "true or false"),
]


@pytest.mark.parametrize(("text", "message"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_a_bad_config_is_one_line_and_exit_2(
    tmp_path: Path, text: bytes, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in os.environ:
        if name.startswith(("WORKPLAN_SMTP_", "WORKPLAN_MAIL_", "WORKPLAN_OUTBOX")):
            monkeypatch.delenv(name)
    config = tmp_path / "workplan.toml"
    config.write_bytes(text)
    result = CliRunner().invoke(
        cli, ["dispatch", "--db", str(tmp_path / "never.db"), "--config", str(config)]
    )
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert message in result.output
    assert not (tmp_path / "never.db").exists()  # refused before the store was opened


def test_security_defaults_to_starttls() -> None:
    for port in ("25", "587", "2525"):
        settings = load_settings(None, env={"WORKPLAN_SMTP_HOST": "m", "WORKPLAN_SMTP_PORT": port})
        assert settings.smtp is not None and settings.smtp.security == "starttls"
    settings = load_settings(None, env={"WORKPLAN_SMTP_HOST": "m", "WORKPLAN_SMTP_PORT": "465"})
    assert settings.smtp is not None and settings.smtp.security == "tls"


def test_plaintext_auth_only_when_the_operator_says_so() -> None:
    env = {"WORKPLAN_SMTP_HOST": "m", "WORKPLAN_SMTP_SECURITY": "none", "WORKPLAN_SMTP_USER": "u"}
    with pytest.raises(ConfigError, match="clear text"):
        load_settings(None, env=env)
    allowed = load_settings(None, env=env | {"WORKPLAN_SMTP_ALLOW_PLAINTEXT_AUTH": "1"})
    assert allowed.smtp is not None and allowed.smtp.user == "u"


def test_a_password_others_can_read_is_refused_as_ssh_does(tmp_path: Path) -> None:
    config = tmp_path / "workplan.toml"
    config.write_text('[smtp]\nhost = "m"\nuser = "u"\npassword = "s3cret"\n', encoding="utf-8")
    config.chmod(0o644)
    with pytest.raises(
        ConfigError, match=f"others can read it \\(mode 0644\\); run: chmod 600 {config}"
    ):
        load_settings(config, env={})
    config.chmod(0o600)
    settings = load_settings(config, env={})
    assert settings.smtp is not None and settings.smtp.password == "s3cret"
    # without a password, the file may be readable
    config.write_text('[smtp]\nhost = "m"\n', encoding="utf-8")
    config.chmod(0o644)
    assert load_settings(config, env={}).smtp is not None


ROBOTS = {
    "secret": (
        '[robots."钉钉群"]\nkind = "dingtalk"\nurl_env = "DINGTALK_URL"\nsecret = "SECs3cret"\n',
        "holds the secret of robot 钉钉群",
    ),
    "url": (
        '[robots."企微群"]\nkind = "wecom"\n'
        'url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"\n',
        "holds the URL of robot 企微群 (its token is a secret)",
    ),
}


@pytest.mark.parametrize("held", sorted(ROBOTS))
def test_a_robot_secret_others_can_read_is_refused_as_the_smtp_password_is(
    tmp_path: Path, held: str
) -> None:
    text, said = ROBOTS[held]
    env = {"DINGTALK_URL": "https://oapi.dingtalk.com/robot/send?access_token=t"}
    config = tmp_path / "workplan.toml"
    config.write_text(text, encoding="utf-8")
    config.chmod(0o644)
    with pytest.raises(ConfigError) as refused:
        load_settings(config, env=env)
    assert str(refused.value) == (
        f"{config}: {said} but others can read it (mode 0644); run: chmod 600 {config}"
    )
    config.chmod(0o600)
    (robot,) = load_settings(config, env=env).robots.values()
    assert robot.url.startswith("https://")


def test_robot_secrets_read_from_the_environment_leave_the_file_public(tmp_path: Path) -> None:
    config = tmp_path / "workplan.toml"
    config.write_text(
        '[robots."钉钉群"]\nkind = "dingtalk"\nurl_env = "U"\nsecret_env = "S"\n', encoding="utf-8"
    )
    config.chmod(0o644)
    env = {"U": "https://oapi.dingtalk.com/robot/send?access_token=t", "S": "SECs"}
    assert load_settings(config, env=env).robots["钉钉群"].secret == "SECs"


def test_a_robots_section_not_in_utf8_is_one_line(tmp_path: Path) -> None:
    config = tmp_path / "workplan.toml"
    config.write_bytes('[robots."钉钉群"]\nkind = "dingtalk"\n'.encode("gb18030"))
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_settings(config, env={})


@pytest.mark.parametrize(("name", "value", "message"), BAD_ENV, ids=[b[0] for b in BAD_ENV])
@pytest.mark.parametrize("command", [("dispatch",), ("run", "--once")])
def test_the_environment_is_checked_with_the_file_rules(
    tmp_path: Path, name: str, value: str, message: str, command: tuple[str, ...]
) -> None:
    env = {"WORKPLAN_SMTP_HOST": "127.0.0.1", name: value}
    result = run(*command, "--db", str(tmp_path / "never.db"), code=2, env=env)
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert f"{name}: " in result.output and message in result.output
    assert not (tmp_path / "never.db").exists()  # refused before the store was opened
