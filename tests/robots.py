"""Small local servers that implement the group robots' documented contracts, for the tests.

Each checks what the real service checks and answers with the real error codes:

* DingTalk custom robot — https://open.dingtalk.com/document/orgapp/custom-robots-send-group-messages
  and https://open.dingtalk.com/document/orgapp/customize-robot-security-settings : the
  access_token; 加签 (``timestamp`` in ms within an hour, ``sign`` = urlencode(base64(
  HmacSHA256(secret, timestamp + "\\n" + secret)))) -> 310000; a keyword missing -> 310000;
  more than 20 messages in a minute -> 130101, and the robot then throttled for 10 minutes
  (410100).  The message shapes of https://open.dingtalk.com/document/orgapp/custom-robot-access
  (消息类型及数据格式): ``markdown`` needs ``title`` and ``text``; ``actionCard`` needs
  ``title``, ``text`` and either ``singleTitle`` with ``singleURL`` (one button) or ``btns``
  (each with ``title`` and ``actionURL``); ``btnOrientation`` is "0" or "1"; anything else
  -> 40035 (a required parameter is missing) or 400105 (an unsupported message type).  The
  documentation names no size; we refuse a text over 20,000 bytes with its 460101 (too long).
* WeCom group robot — https://developer.work.weixin.qq.com/document/path/91770 : the key
  (93000 if wrong); markdown content over 4,096 bytes -> 40058; more than 20 a minute -> 45009.
* Feishu custom robot — https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot :
  the hook token (19001); ``timestamp`` (s) within an hour and ``sign`` = base64(HmacSHA256(
  key=timestamp + "\\n" + secret, msg="")) -> 19021; keyword -> 19024; over 100 a minute or 5
  a second -> 11232; a body over 20 KB -> 9499; a card (卡片 JSON 1.0) whose elements are not
  markdown or an ``action`` of buttons with ``text`` and an http(s) ``url`` -> 19002.

The server's clock is a parameter, so a test can run a busy morning in a moment; it keeps every
accepted message and every breach of a limit (the sender must never cause one).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import io
import json
import re
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

TOKEN = "test-token-0123"
GROUP = "全区群"
PLANS = Path(__file__).resolve().parent.parent / "plans"


@dataclass
class Accepted:
    at: datetime
    body: dict[str, Any]

    @property
    def text(self) -> str:
        if "markdown" in self.body:
            md = self.body["markdown"]
            return str(md.get("text", md.get("content", "")))
        if "actionCard" in self.body:
            return str(self.body["actionCard"]["text"])
        return str(self.body["card"]["elements"][0]["content"])

    @property
    def title(self) -> str:
        if "markdown" in self.body:
            return str(self.body["markdown"].get("title", ""))
        if "actionCard" in self.body:
            return str(self.body["actionCard"]["title"])
        return str(self.body["card"]["header"]["title"]["content"])

    @property
    def buttons(self) -> list[tuple[str, str]]:
        """The (label, URL) of each button the message shows."""
        if "actionCard" in self.body:
            card = self.body["actionCard"]
            if "singleURL" in card:
                return [(card["singleTitle"], card["singleURL"])]
            return [(b["title"], b["actionURL"]) for b in card["btns"]]
        if "card" in self.body:
            return [
                (a["text"]["content"], a["url"])
                for e in self.body["card"]["elements"]
                if e["tag"] == "action"
                for a in e["actions"]
            ]
        return []

    @property
    def links(self) -> list[str]:
        """Every address the message points to: its buttons' and its markdown links'."""
        return [url for _, url in self.buttons] + re.findall(r"\]\((\S+?)\)", self.text)


@dataclass(frozen=True)
class Raw:
    """An answer that is not the contract's JSON: a body as it is (an HTML page, nothing), or
    no answer at all after the post was read (``after``: "silence" or "reset")."""

    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    after: str | None = None


SILENCE = 1.5
"""seconds a silent endpoint keeps the connection open without answering, then closes it"""

Answer = Callable[[str, dict[str, str], bytes], tuple[int, "dict[str, Any] | Raw"]]
"""a contract's answer to a POST: from its path, headers and body, the HTTP status and JSON
(or a Raw answer)"""


def json_endpoint(answer: Answer, lock: threading.Lock, delay: Callable[[], float] = float) -> Any:
    """A local HTTP server (not started) that answers each POST with ``answer``, one request
    at a time under ``lock``, after ``delay()`` seconds (a slow endpoint)."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            time.sleep(delay())
            with lock:
                status, reply = answer(self.path, dict(self.headers.items()), raw)
            if isinstance(reply, Raw):
                self.raw(status, reply)
                return
            data = json.dumps(reply).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def raw(self, status: int, reply: Raw) -> None:
            self.close_connection = True
            if reply.after == "silence":  # no answer: the client times out
                time.sleep(SILENCE)
                return
            if reply.after == "reset":  # the connection reset (RST) instead of an answer
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                self.rfile.close()
                self.wfile.close()
                self.connection.close()  # the last reference: the socket closes, with a RST
                self.rfile, self.wfile = io.BytesIO(), io.BytesIO()  # what the server closes
                return
            self.send_response(status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)

        def log_message(self, *_: Any) -> None:
            pass

    return ThreadingHTTPServer(("127.0.0.1", 0), Handler)


ANSWERS = ("429", "500", "503", "rate", "busy", "silence", "reset", "html", "empty")
"""the answer modes a contract server can be told to give (``RobotServer.answers``): HTTP
429, 500 and 503; the robot's rate-limit code and its busy code (HTTP 200, refused); and,
after the post was taken (it reached the group): silence, a reset connection, an HTML page
with HTTP 200, an empty HTTP 200"""

TAKEN = ("silence", "reset", "html", "empty")
"""the modes in which the post reached the group before the odd answer"""

RATE = {"dingtalk": 130101, "wecom": 45009, "feishu": 11232}
BUSY = {"dingtalk": -1, "wecom": -1, "feishu": 9499}


@dataclass
class RobotServer:
    """One robot's endpoint: kind is dingtalk, wecom or feishu."""

    kind: str
    secret: str | None = None
    keyword: str | None = None
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    accepted: list[Accepted] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)
    breaches: list[str] = field(default_factory=list)
    fail_next: list[tuple[int, int]] = field(default_factory=list)
    """(HTTP status, code) answers to give to the next requests, whatever they are"""
    blocked_until: datetime | None = None
    on_accept: Callable[[Accepted], None] | None = None
    answers: list[str] = field(default_factory=list)
    """answer modes (ANSWERS) for the next requests, in order, whatever they are"""

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self.http = json_endpoint(lambda path, _, raw: self.handle(path, raw), self.lock)
        self.thread = threading.Thread(target=self.http.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        port = self.http.server_address[1]
        path = {
            "dingtalk": f"/robot/send?access_token={TOKEN}",
            "wecom": f"/cgi-bin/webhook/send?key={TOKEN}",
            "feishu": f"/open-apis/bot/v2/hook/{TOKEN}",
        }[self.kind]
        return f"http://127.0.0.1:{port}{path}"

    def start(self) -> RobotServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.http.shutdown()
        self.http.server_close()

    # the contract ---------------------------------------------------------------------------
    def handle(self, path: str, raw: bytes) -> tuple[int, dict[str, Any] | Raw]:
        now = self.clock()
        if self.fail_next:
            status, code = self.fail_next.pop(0)
            return status, self.reply(code, "told to fail")
        if self.answers:
            return self.odd(self.answers.pop(0), raw, now)
        body = json.loads(raw)
        check = {"dingtalk": self.dingtalk, "wecom": self.wecom, "feishu": self.feishu}[self.kind]
        code, why = check(path, body, raw, now)
        if code:
            self.refused.append((code, why))
            return 200, self.reply(code, why)
        self.accepted.append(Accepted(now, body))
        if self.on_accept:
            self.on_accept(self.accepted[-1])
        return 200, self.reply(0, "ok")

    def odd(self, mode: str, raw: bytes, now: datetime) -> tuple[int, dict[str, Any] | Raw]:
        """Answer as told (one of ANSWERS); a post taken first is in ``accepted``."""
        if mode in ("429", "500", "503"):
            return int(mode), Raw(f"<html><body>{mode}</body></html>".encode())
        if mode in ("rate", "busy"):
            code = (RATE if mode == "rate" else BUSY)[self.kind]
            return 200, self.reply(code, f"told to answer {mode}")
        self.accepted.append(Accepted(now, json.loads(raw)))
        if mode == "html":
            return 200, Raw(b"<!DOCTYPE html><html><body>ok</body></html>")
        if mode == "empty":
            return 200, Raw(b"", "application/json")
        return 200, Raw(after=mode)

    def reply(self, code: int, message: str) -> dict[str, Any]:
        if self.kind == "feishu":
            return {"code": code, "msg": message, "data": {}}
        return {"errcode": code, "errmsg": message}

    def sent_within(self, now: datetime, seconds: float) -> int:
        since = now - timedelta(seconds=seconds)
        return sum(1 for a in self.accepted if a.at > since)

    def over(self, now: datetime, count: int, seconds: float) -> bool:
        if self.sent_within(now, seconds) >= count:
            self.breaches.append(f"{now}: over {count} in {seconds}s")
            return True
        return False

    def dingtalk(
        self, path: str, body: dict[str, Any], raw: bytes, now: datetime
    ) -> tuple[int, str]:
        query = parse_qs(urlsplit(path).query)
        if query.get("access_token") != [TOKEN]:
            return 300001, "token is not exist"
        if self.blocked_until and now < self.blocked_until:
            self.breaches.append(f"{now}: sent while throttled")
            return 410100, "send too fast, the robot is throttled for 10 minutes"
        if self.secret:
            timestamp = query.get("timestamp", ["0"])[0]
            if abs(now.timestamp() * 1000 - int(timestamp)) > 3600_000:
                return 310000, "invalid timestamp"
            to_sign = f"{timestamp}\n{self.secret}".encode()
            digest = hmac.new(self.secret.encode(), to_sign, hashlib.sha256).digest()
            # parse_qs has already URL-decoded the sign
            if query.get("sign") != [base64.b64encode(digest).decode()]:
                return 310000, "sign not match"
        shape = dingtalk_shape(body)
        if shape:
            return shape
        message = body[body["msgtype"]]
        if len(message["text"].encode("utf-8")) > 20000:
            return 460101, "message too long"
        if self.keyword and self.keyword not in message["text"] + message["title"]:
            return 310000, "keywords not in content"
        if self.over(now, 20, 60):
            self.blocked_until = now + timedelta(minutes=10)
            return 130101, "send too fast, exceed 20 times per minute"
        return 0, ""

    def wecom(self, path: str, body: dict[str, Any], raw: bytes, now: datetime) -> tuple[int, str]:
        if parse_qs(urlsplit(path).query).get("key") != [TOKEN]:
            return 93000, "invalid webhook url"
        content = body.get("markdown", {}).get("content", "")
        if not content:
            return 44004, "empty content"
        if len(content.encode("utf-8")) > 4096:
            return 40058, "markdown.content exceed max length 4096"
        if self.over(now, 20, 60):
            return 45009, "api freq out of limit"
        return 0, ""

    def feishu(self, path: str, body: dict[str, Any], raw: bytes, now: datetime) -> tuple[int, str]:
        if not urlsplit(path).path.endswith(f"/{TOKEN}"):
            return 19001, "param invalid: incoming webhook access token invalid"
        if len(raw) > 20 * 1024:
            return 9499, "Bad Request: the body is over 20 KB"
        if self.secret:
            timestamp = str(body.get("timestamp", "0"))
            if abs(now.timestamp() - int(timestamp)) > 3600:
                return (
                    19021,
                    "sign match fail or timestamp is not within one hour from current time",
                )
            key = f"{timestamp}\n{self.secret}".encode()
            expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
            if body.get("sign") != expected:
                return (
                    19021,
                    "sign match fail or timestamp is not within one hour from current time",
                )
        if body.get("msg_type") == "interactive" and not card_shape(body.get("card")):
            return 19002, "params error, msg_type need interactive with a valid card"
        if self.keyword and self.keyword not in json.dumps(body, ensure_ascii=False):
            return 19024, "Key Words Not Found"
        if self.over(now, 100, 60) or self.over(now, 5, 1):
            return 11232, "frequency limited psm[lark.oapi.app_platform_runtime]appID[1]"
        return 0, ""


def _texts(value: Any, *names: str) -> bool:
    return isinstance(value, dict) and all(
        isinstance(value.get(n), str) and value[n].strip() for n in names
    )


def _web(url: Any) -> bool:
    return isinstance(url, str) and urlsplit(url).scheme in ("http", "https")


def dingtalk_shape(body: dict[str, Any]) -> tuple[int, str] | None:
    """What is wrong with a DingTalk message's shape (markdown or actionCard), as DingTalk
    answers it; None when it is right."""
    kind = body.get("msgtype")
    if kind not in ("markdown", "actionCard"):
        return 400105, f"unsupported msgtype {kind}"
    message = body.get(kind)
    if not _texts(message, "title", "text"):
        return 40035, f"missing parameter {kind}.title or {kind}.text"
    if kind == "markdown":
        return None
    if message.get("btnOrientation", "0") not in ("0", "1"):
        return 40035, "btnOrientation must be 0 or 1"
    if "singleURL" in message or "singleTitle" in message:
        if not (_texts(message, "singleTitle") and _web(message.get("singleURL"))):
            return 40035, "missing parameter actionCard.singleTitle or actionCard.singleURL"
        return None
    buttons = message.get("btns")
    if not (
        isinstance(buttons, list)
        and buttons
        and all(_texts(b, "title") and _web(b.get("actionURL")) for b in buttons)
    ):
        return 40035, "missing parameter actionCard.singleURL or actionCard.btns"
    return None


def card_shape(card: Any) -> bool:
    """Whether a Feishu card is one we may send: a plain-text header title, markdown elements
    and action elements of buttons, each with a plain-text label and an http(s) url."""
    if not isinstance(card, dict) or not _texts(card.get("header", {}).get("title"), "content"):
        return False
    elements = card.get("elements")
    if not isinstance(elements, list) or not elements:
        return False
    for element in elements:
        if element.get("tag") == "markdown":
            if not _texts(element, "content"):
                return False
        elif element.get("tag") == "action":
            actions = element.get("actions")
            if not isinstance(actions, list) or not actions:
                return False
            for button in actions:
                if button.get("tag") != "button" or not _texts(button.get("text"), "content"):
                    return False
                if not _web(button.get("url")):
                    return False
        else:
            return False
    return True


def write_plan(folder: Path, robots: list[str]) -> Path:
    """The Banan plan, every department's notices also to these group robots."""
    directory = (PLANS / "banan-departments.yaml").read_text(encoding="utf-8")
    directory = re.sub(r"^\s+robots: .*\n", "", directory, flags=re.M)
    named = ", ".join(robots)
    directory = re.sub(
        r"^(\s+)email: (.*)$", rf"\1email: \2\n\1robots: [{named}]", directory, flags=re.M
    )
    (folder / "banan-departments.yaml").write_text(directory, encoding="utf-8")
    plan = (PLANS / "banan-2023.yaml").read_text(encoding="utf-8")
    path = folder / "banan-2023.yaml"
    path.write_text(plan, encoding="utf-8")
    return path


DEMO = {"乡村振兴局工作群": "dingtalk", "财政局企微群": "wecom", "农业农村委飞书群": "feishu"}
DEMO_SECRETS = {
    "dingtalk": "SECdemo-dingtalk-secret",
    "wecom": None,
    "feishu": "demo-feishu-secret",
}


def main() -> None:
    """Serve one contract server of each kind for `workplan demo --config`, write the config
    naming them, and print each message as it arrives (Ctrl-C or SIGTERM to stop)."""
    import signal
    import sys

    config = Path(sys.argv[1] if len(sys.argv) > 1 else "demo/robots.toml")
    config.parent.mkdir(parents=True, exist_ok=True)
    servers, lines = [], []
    for name, kind in DEMO.items():
        server = RobotServer(kind, DEMO_SECRETS[kind])
        lines += [f'[robots."{name}"]', f'kind = "{kind}"', f'url = "{server.url}"']
        if DEMO_SECRETS[kind]:
            lines.append(f'secret = "{DEMO_SECRETS[kind]}"')
        if kind == "dingtalk":
            lines.append('msgtype = "actionCard"  # a button to the report page, with links on')
        lines.append("")
        servers.append((name, server))

    def show(name: str, server: RobotServer) -> Callable[[Accepted], None]:
        def printed(accepted: Accepted) -> None:
            kind = accepted.body.get("msgtype") or accepted.body.get("msg_type")
            print(f"--- {server.kind} robot {name} received ({kind}): {accepted.title}")
            print(accepted.text)
            for label, url in accepted.buttons:
                print(f"[button {label}] -> {url}")
            print(flush=True)

        return printed

    for name, server in servers:
        server.on_accept = show(name, server)
        server.start()
    config.write_text("\n".join(lines), encoding="utf-8")
    config.chmod(0o600)  # it holds the robots' URLs and secrets
    print(f"contract servers for {', '.join(DEMO)}; config written to {config}", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        signal.pause()
    for _, server in servers:
        server.stop()


if __name__ == "__main__":
    main()
