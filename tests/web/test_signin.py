"""The office's sign-in as an attacker tries it (issue 27): guessed passwords are throttled per
address and locked per account, a session lives on the server and ends when the office logs
out or changes its password, a login form serves one attempt; and the edges a bad day finds:
a NUL byte in a field, a signed link with an impossible time, a link issued in the second of a
revocation."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from tests.helpers import PASSWORD, PLANS, SECRET, TODAY, run
from tests.smtp import SmtpServer
from workplan.store import links, signins
from workplan.store.db import open_store
from workplan.web import throttle
from workplan.web.app import WebSettings, create_app
from workplan.web.auth import hash_password


class Clock:
    """The instant the pages see: set by the test, moved on by it."""

    def __init__(self) -> None:
        self.at = datetime(2023, 6, 1, 2, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.at

    def move(self, **delta: float) -> None:
        self.at += timedelta(**delta)


def _settings(db: str, tmp_path: Path, password: str = PASSWORD) -> WebSettings:
    return WebSettings(
        db_url=db,
        secret=SECRET,
        files=tmp_path / "evidence",
        office_password_hash=hash_password(password, iterations=1000),
        as_of=TODAY,
    )


@pytest.fixture
def db(db_url: str) -> str:
    run("load", str(PLANS / "banan-2023.yaml"), "--db", db_url)
    return db_url


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def client(db: str, tmp_path: Path, clock: Clock) -> Iterator[TestClient]:
    with TestClient(create_app(_settings(db, tmp_path), clock=clock)) as made:
        yield made


def _token(client: TestClient) -> str:
    page = client.get("/office/login")
    assert page.status_code == 200
    return re.findall(r'name="form" value="([^"]+)"', page.text)[0]


def _sign_in(client: TestClient, password: str, token: str | None = None) -> int:
    response = client.post(
        "/office/login",
        data={"form": token or _token(client), "password": password},
        follow_redirects=False,
    )
    return response.status_code


def _office(client: TestClient) -> int:
    return client.get("/office", follow_redirects=False).status_code


def test_guessing_from_one_address_is_slowed_down(client: TestClient, clock: Clock) -> None:
    """The issue: 30 wrong passwords in 5.4 s, then the right one worked."""
    answers = []
    for _ in range(30):
        answers.append(_sign_in(client, "guess"))
        clock.move(seconds=0.18)
    assert answers[: throttle.FREE] == [401] * throttle.FREE
    assert set(answers[throttle.FREE :]) <= {401, 429} and answers.count(429) >= 20
    held = client.post(
        "/office/login", data={"form": _token(client), "password": PASSWORD}, follow_redirects=False
    )
    assert held.status_code == 429  # held: the password is not even checked
    assert int(held.headers["retry-after"]) >= 1 and "秒后再试" in held.text
    clock.move(minutes=16)  # the window has passed
    assert _sign_in(client, PASSWORD) == 303 and _office(client) == 200


def test_the_wait_doubles_after_the_free_failures() -> None:
    at = datetime(2023, 6, 1, tzinfo=UTC)
    failures = [at + timedelta(seconds=s) for s in range(throttle.FREE)]
    last = failures[-1]
    assert throttle.wait(failures[:-1], [], last) is None
    held = throttle.wait(failures, [], last)
    assert held is not None and held.until == last + timedelta(seconds=1) and not held.locked
    more = [*failures, last + timedelta(seconds=1), last + timedelta(seconds=3)]
    held = throttle.wait(more, [], more[-1])
    assert held is not None and held.until == more[-1] + timedelta(seconds=4)
    assert throttle.per_minute() == 10


def test_the_account_locks_after_failures_from_many_addresses(
    db: str, client: TestClient, clock: Clock
) -> None:
    engine = open_store(db)
    with engine.begin() as conn:
        for n in range(throttle.ACCOUNT):
            signins.record(
                conn, address=f"10.0.0.{n}", ok=False, now=clock() - timedelta(minutes=1)
            )
    engine.dispose()
    assert _sign_in(client, PASSWORD) == 429  # locked for everyone, the right password too
    locked = client.post(
        "/office/login", data={"form": _token(client), "password": PASSWORD}, follow_redirects=False
    )
    assert "已暂时锁定" in locked.text
    clock.move(minutes=15)
    assert _sign_in(client, PASSWORD) == 303


def test_a_login_form_serves_one_attempt(client: TestClient) -> None:
    """The issue: the login form's token was reusable for its hour."""
    token = _token(client)
    assert _sign_in(client, "guess", token) == 401
    again = client.post(
        "/office/login", data={"form": token, "password": PASSWORD}, follow_redirects=False
    )
    assert again.status_code == 403 and "已经用过" in again.text
    assert _office(client) == 303


def test_logging_out_ends_the_session_on_the_server(client: TestClient) -> None:
    """The issue: a copied cookie still opened /office for up to 8 hours after logout."""
    assert _sign_in(client, PASSWORD) == 303
    copied = client.cookies["wp_office"]
    assert _office(client) == 200
    page = client.get("/office").text
    form = re.findall(r'action="/office/logout".*?name="form" value="([^"]+)"', page, re.S)
    client.post("/office/logout", data={"form": form[0] if form else ""}, follow_redirects=False)
    client.cookies.set("wp_office", copied)
    assert _office(client) == 303


def test_a_new_password_ends_every_session(
    db: str, tmp_path: Path, client: TestClient, clock: Clock
) -> None:
    assert _sign_in(client, PASSWORD) == 303
    copied = client.cookies["wp_office"]
    changed = _settings(db, tmp_path, password="新的-pass")
    with TestClient(create_app(changed, clock=clock)) as after:
        after.cookies.set("wp_office", copied)
        assert after.get("/office", follow_redirects=False).status_code == 303
        denied = after.post("/office/item/16/signoff", data={"form": "x"}, follow_redirects=False)
        assert denied.status_code == 401 and "密码已更改" in denied.text


def test_each_login_is_its_own_session(db: str, tmp_path: Path, clock: Clock) -> None:
    """The issue: two logins in one second got the same cookie."""
    app = create_app(_settings(db, tmp_path), clock=clock)
    with TestClient(app) as one, TestClient(app) as two:
        assert _sign_in(one, PASSWORD) == 303 and _sign_in(two, PASSWORD) == 303
        assert one.cookies["wp_office"] != two.cookies["wp_office"]


def test_a_session_runs_out(client: TestClient, clock: Clock) -> None:
    assert _sign_in(client, PASSWORD) == 303
    clock.move(hours=8, seconds=1)
    assert _office(client) == 303


def test_a_nul_byte_in_a_field_is_refused_with_words(db: str, client: TestClient) -> None:
    """The issue: on PostgreSQL a NUL byte in a form field was a 500 with a traceback."""
    assert _sign_in(client, PASSWORD) == 303
    page = client.get("/office/item/16").text
    token = re.findall(r'name="form" value="([^"]+)"', page)[2]
    response = client.post("/office/item/16/signoff", data={"form": token, "note": "核验\x00完毕"})
    assert response.status_code == 403
    assert "控制字符（U+0000）" in response.text
    assert _sign_in(client, "a\x00b") == 403


def _forged(**body: object) -> str:
    payload = (
        base64.urlsafe_b64encode(json.dumps(body, separators=(",", ":")).encode())
        .decode()
        .rstrip("=")
    )
    return f"{payload}.{links.mac(SECRET, payload)}"


@pytest.mark.parametrize("when", [10**20, -(10**20), 1e300])
def test_a_signed_link_with_an_impossible_time_is_refused(client: TestClient, when: float) -> None:
    """The issue: a signed token with an out-of-range time gave a 500."""
    token = _forged(p="banan-2023", d="区财政局", i=when, e=when, n="abc")
    response = client.get(f"/r/{token}", follow_redirects=False)
    assert response.status_code == 403 and "这个链接无效" in response.text


def test_a_link_issued_just_after_a_revocation_in_the_same_second_is_good(db: str) -> None:
    """The issue: a link issued in the same second as a revoke was already revoked."""
    engine = open_store(db)
    revoked_at = datetime(2023, 6, 1, 2, 0, 0, 100_000, tzinfo=UTC)
    before = links.issue(
        SECRET,
        "banan-2023",
        "区财政局",
        revoked_at - timedelta(microseconds=50_000),
        timedelta(days=30),
    )
    with engine.begin() as conn:
        links.revoke(
            conn,
            plan_key="banan-2023",
            department="区财政局",
            nonce=None,
            by="office",
            now=revoked_at,
        )
    after = links.issue(
        SECRET,
        "banan-2023",
        "区财政局",
        revoked_at + timedelta(milliseconds=300),
        timedelta(days=30),
    )
    with engine.connect() as conn:
        assert links.verify(conn, SECRET, after, revoked_at + timedelta(seconds=1)).department
        with pytest.raises(Exception, match=r"收回|withdrawn"):
            links.verify(conn, SECRET, before, revoked_at + timedelta(seconds=1))
    engine.dispose()


def test_the_next_dispatch_tells_the_office_of_failed_sign_ins(
    db: str, client: TestClient, clock: Clock, smtp_server: SmtpServer
) -> None:
    """Failed sign-ins are logged, and sent to the office through its own channels."""
    for _ in range(throttle.FREE + 2):
        _sign_in(client, "guess")
        clock.move(minutes=1)
    sent = run("dispatch", "--now", "2023-06-01T10:00", "--db", db, env=smtp_server.env()).output
    assert "told 区委农办 of 7 failed sign-in(s), via smtp" in sent
    (alert,) = [r.message for r in smtp_server.received if "安全提醒" in str(r.message["Subject"])]
    assert alert["Subject"] == "【安全提醒】办公室账号登录失败7次"
    body = alert.get_body(("plain",))
    assert body is not None and "testclient：7 次" in body.get_content()
    again = run("dispatch", "--now", "2023-06-01T11:00", "--db", db, env=smtp_server.env())
    assert "failed sign-in" not in again.output
