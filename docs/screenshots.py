"""Retake the README's screenshots of the web pages (docs/department.png, docs/office.png).

Run from a clone after `workplan demo` (Debian's chromium installed; Playwright comes with
the test extras):

    .venv/bin/python docs/screenshots.py

It serves demo/workplan.db as of 3 July 2023 on a free local port, opens 区财政局's page
through a fresh link and the office's dashboard through its login, and saves the first screen
of each (1,000 × 720 pixels) as a PNG.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

from workplan.web.auth import hash_password

ROOT = Path(__file__).resolve().parents[1]
DB = f"sqlite:///{ROOT / 'demo' / 'workplan.db'}"
PASSWORD = secrets.token_urlsafe(12)
CHROMIUM = "/usr/bin/chromium"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    if not (ROOT / "demo" / "workplan.db").exists():
        sys.exit("no demo/workplan.db: run `.venv/bin/workplan demo` first")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "WORKPLAN_LINK_SECRET": secrets.token_hex(32),
        "WORKPLAN_BASE_URL": url,
        "WORKPLAN_OFFICE_PASSWORD_HASH": hash_password(PASSWORD, iterations=1000),
    }
    serve = [sys.executable, "-m", "workplan", "serve", "--port", str(port), "--db", DB]
    process = subprocess.Popen([*serve, "--as-of", "2023-07-03"], env=env)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/", timeout=1):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    sys.exit("workplan serve did not start")
                time.sleep(0.2)
        link = subprocess.run(
            [
                *(sys.executable, "-m", "workplan", "links", "new"),
                "--department",
                "区财政局",
                "--db",
                DB,
            ],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
            )
            page = browser.new_page(viewport={"width": 1000, "height": 720})
            page.goto(link)
            page.screenshot(path=str(ROOT / "docs" / "department.png"), full_page=False)
            office = browser.new_page(viewport={"width": 1000, "height": 720})
            office.goto(f"{url}/office")
            office.get_by_label("密码").fill(PASSWORD)
            office.get_by_role("button", name="登录").click()
            office.wait_for_url(f"{url}/office")
            office.screenshot(path=str(ROOT / "docs" / "office.png"), full_page=False)
            browser.close()
        print("wrote docs/department.png and docs/office.png")
    finally:
        process.terminate()
        process.wait(timeout=10)


if __name__ == "__main__":
    main()
