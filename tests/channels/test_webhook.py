"""The JSON webhook channel against a local endpoint that keeps its contract
(workplan/channels/webhook.py): every post signed, recent and within the webhook's own limit;
each the letter its e-mail carried; a wrong secret pauses it; a slow endpoint is tried again."""

from __future__ import annotations

import email
import email.policy
import hashlib
import hmac
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from tests.robots import json_endpoint, write_plan
from workplan.channels.base import Composed
from workplan.channels.registry import open_robot
from workplan.channels.robot import RobotSettings
from workplan.cli.commands import cli
from workplan.notices.templates import Templates, sample_messages

NAME = "政务平台"
SECRET = "webhook-secret-0123"


@dataclass
class Endpoint:
    """A receiver that checks what the webhook promises: the JSON body, the timestamp within
    five minutes, the signature over timestamp and body, and no more than ``per_minute``."""

    secret: str = SECRET
    per_minute: int = 60
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    delay: float = 0.0
    fail_next: list[int] = field(default_factory=list)
    accepted: list[tuple[datetime, str, dict[str, Any]]] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)
    breaches: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self.http = json_endpoint(self.handle, self.lock, lambda: self.delay)
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http.server_address[1]}/api/notify"

    def stop(self) -> None:
        self.http.shutdown()
        self.http.server_close()

    def handle(self, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, dict[str, Any]]:
        now = self.clock()
        if self.fail_next:
            return self.fail_next.pop(0), {"error": "told to fail"}
        status, why = self.check(headers, raw, now)
        if status != 200:
            self.refused.append((status, why))
            return status, {"error": why}
        self.accepted.append((now, headers.get("Idempotency-Key", ""), json.loads(raw)))
        return 200, {"message": "ok"}

    def check(self, headers: dict[str, str], raw: bytes, now: datetime) -> tuple[int, str]:
        if headers.get("Content-Type") != "application/json; charset=utf-8":
            return 415, "not JSON"
        stamp = headers.get("X-Workplan-Timestamp", "")
        if not stamp.isdigit() or abs(now.timestamp() - int(stamp)) > 300:
            return 401, "the timestamp is not within five minutes"
        mac = hmac.new(self.secret.encode(), stamp.encode() + b"." + raw, hashlib.sha256)
        if not hmac.compare_digest(
            headers.get("X-Workplan-Signature", ""), "sha256=" + mac.hexdigest()
        ):
            return 401, "the signature does not match"
        try:
            json.loads(raw.decode("utf-8"))
        except ValueError:
            return 400, "the body is not JSON"
        if (
            sum(1 for at, _, _ in self.accepted if at > now - timedelta(seconds=60))
            >= self.per_minute
        ):
            self.breaches.append(f"{now}: over {self.per_minute} a minute")
            return 429, "too many"
        return 200, ""


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    made = Endpoint(per_minute=5)
    yield made
    made.stop()


def run(*args: str, code: int = 0) -> Result:
    result = CliRunner().invoke(cli, list(args), env={"COLUMNS": "200"})
    assert result.exit_code == code, result.output
    return result


def config(tmp_path: Path, endpoint: Endpoint, secret: str = SECRET) -> str:
    path = tmp_path / "delivery.toml"
    path.write_text(
        f'[robots."{NAME}"]\nkind = "webhook"\nurl = "{endpoint.url}"\nsecret = "{secret}"\n'
        "per_minute = 4\ntimeout = 5\n",
        encoding="utf-8",
    )
    path.chmod(0o600)  # it holds the secret
    return str(path)


def morning(db: str, tmp_path: Path, settings: str) -> str:
    out = tmp_path / "outbox"
    return run(
        "--lang", "en", "run", "--once", "--now", "2023-07-21T09:00", "--outbox", str(out), "--config", settings,
        "--db", db,
    ).output  # fmt: skip


def test_each_post_is_its_letter_signed_and_within_the_webhooks_own_limit(
    db_url: str, tmp_path: Path, endpoint: Endpoint
) -> None:
    settings = config(tmp_path, endpoint)
    run("--lang", "en", "load", str(write_plan(tmp_path, [NAME])), "--db", db_url)
    checked = run("--lang", "en", "channels", "check", "--config", settings, "--db", db_url).output
    assert f"{NAME} (webhook)" in checked and "4/60s" in checked
    assert "every configured robot checks out" in checked
    out = morning(db_url, tmp_path, settings)
    assert "robots: 4 message(s) delivered in 4 post(s)" in out, out
    assert endpoint.refused == [] and endpoint.breaches == []
    letters = {}
    for path in (tmp_path / "outbox").glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        body = message.get_body(("plain",))
        assert body is not None
        text = body.get_content().replace("\r\n", "\n")  # the MIME part has CRLF line ends
        letters[str(message["Message-ID"])] = (str(message["Subject"]), text)
    assert len(endpoint.accepted) == 4
    for _, key, document in endpoint.accepted:
        subject, text = letters[document["id"]]
        assert key == document["id"], "the Message-ID names the post on every retry"
        assert (document["subject"], document["text"]) == (subject, text)
        assert document["count"] == len(document["items"]) > 0
        for item in document["items"]:
            assert item["item"] in text and item["level"] in text
            assert item["what"] is None or item["what"] in text.replace("\n", "")
        assert document["to"] in text


def test_a_wrong_secret_pauses_the_webhook_and_the_office_is_told(
    db_url: str, tmp_path: Path, endpoint: Endpoint
) -> None:
    run("--lang", "en", "load", str(write_plan(tmp_path, [NAME])), "--db", db_url)
    out = morning(db_url, tmp_path, config(tmp_path, endpoint, secret="wrong"))
    assert len(endpoint.refused) == 1 and endpoint.accepted == []
    assert "attempt 1: permanent: HTTP 401 the signature does not match" in out, out
    status = run("--lang", "en", "status", "--as-of", "2023-07-21", "--db", db_url).output
    assert f"the robot {NAME} channel is paused since" in status
    alerts = [
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
        for p in (tmp_path / "outbox").glob("*.eml")
    ]
    (alert,) = [a for a in alerts if "通知暂停" in str(a["Subject"])]
    assert str(alert["Subject"]).startswith(f"【通知暂停】接口“{NAME}”不可用")


def _post(timeout: float, url: str) -> tuple[Any, Any]:
    webhook = open_robot(RobotSettings(NAME, "webhook", url, SECRET, timeout=timeout))
    message = sample_messages("zh-CN")[-1]
    (post,) = webhook.render(
        Composed("<wp.t@example.org>", "【工作提醒】", "全文", message), Templates().env
    )
    return webhook, post


def test_a_slow_endpoint_times_out_and_is_tried_again() -> None:
    endpoint = Endpoint(delay=2.0)
    try:
        webhook, post = _post(0.5, endpoint.url)
        late = webhook.send(post, datetime.now(UTC))
        # sent, then no answer: the endpoint may have taken it (retried once, flagged)
        assert late.status == "unknown" and "timed out" in late.detail
        endpoint.delay = 0
        assert webhook.send(post, datetime.now(UTC)).status == "sent"
    finally:
        endpoint.stop()


@pytest.mark.parametrize(
    ("status", "outcome"),
    [(200, "sent"), (202, "sent"), (408, "temporary"), (429, "temporary"), (503, "temporary"),
     (400, "permanent"), (401, "permanent"), (404, "permanent")],
)  # fmt: skip
def test_the_answer_decides_the_posts_fate(status: int, outcome: str) -> None:
    endpoint = Endpoint(fail_next=[] if status == 200 else [status])
    try:
        webhook, post = _post(5, endpoint.url)
        assert webhook.send(post, datetime.now(UTC)).status == outcome
    finally:
        endpoint.stop()
    assert (status in webhook.broken) == (status in (401, 403))
