"""What the tests share: the plan files, running a command as a user types it, the system
packages some tests need, the notices stored, and the web pages' site, link and return form.

Import from here, never from another test module: a test module is free to change its own
helpers, and pytest imports each module under one name only.
"""

from __future__ import annotations

import email
import email.policy
import html
import io
import os
import re
import shutil
import subprocess
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select

from workplan.store import links
from workplan.store.db import open_store
from workplan.store.tables import T_METRIC, T_NOTICE

if TYPE_CHECKING:
    from starlette.testclient import TestClient

ROOT = Path(__file__).resolve().parent.parent
PLANS = ROOT / "plans"
VALID = ROOT / "tests" / "plans" / "valid"
FORMS = VALID / "forms.yaml"
POSTGRES = os.environ.get("WORKPLAN_TEST_POSTGRES_URL")


def run(
    *args: str,
    code: int = 0,
    columns: int | None = None,
    env: Mapping[str, str | None] | None = None,
) -> Result:
    """Run a workplan command in this process; check its exit status, and that it ended with
    a message rather than an exception.

    ``columns`` is the terminal's width, which tables wrap to; without it the output is as if
    piped (a row a line).  ``env`` sets environment variables, or unsets those given None; the
    delivery settings of the shell running the tests (an SMTP server, a config, the outbox,
    the TLS trust) never reach the command unless ``env`` gives them.
    """
    from workplan.channels.config import ENV
    from workplan.cli.commands import cli

    isolated = {name: None for name in (*ENV.values(), "WORKPLAN_CONFIG", "SSL_CERT_FILE")}
    width = {"COLUMNS": str(columns) if columns else None}
    result = CliRunner().invoke(cli, list(args), env={**isolated, **width, **(env or {})})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(result.output + "".join(traceback.format_exception(result.exception)))
    assert "Traceback" not in result.output, result.output
    assert result.exit_code == code, result.output
    return result


def demo_database(folder: Path) -> str:
    """Run `workplan demo` into ``folder`` as a user runs it; return its database."""
    run(
        "demo",
        "--plan-file",
        str(PLANS / "banan-2023.yaml"),
        "--ledger",
        str(PLANS / "banan-2023-ledger.csv"),
        "--dir",
        str(folder),
    )
    return str(folder / "workplan.db")


def installed(package: str) -> bool:
    """Whether a Debian package some tests need is usable here: Chromium on PATH (where
    workplan looks for it), a Chinese font fontconfig knows (Chromium draws with those), or
    poppler's pdftotext on PATH."""
    if package == "chromium":
        from workplan.errors import WorkplanError
        from workplan.reports.output import chromium

        try:
            chromium()
        except WorkplanError:
            return False
        return True
    if package == "fonts-noto-cjk":
        if shutil.which("fc-list") is None:
            return False
        listed = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True)
        return bool(listed.stdout.strip())
    if package == "poppler-utils":
        return shutil.which("pdftotext") is not None
    raise ValueError(f"no check for the package {package!r}")


def needs(*packages: str) -> None:
    """Skip the test unless these Debian packages are installed, saying in one line which to
    install; under CI=true, where .ci/run installs them, fail instead."""
    __tracebackhide__ = True  # a skip is reported at the test's line
    missing = [p for p in packages if not installed(p)]
    if not missing:
        return
    line = f"needs {', '.join(missing)}: apt-get install {' '.join(missing)}"
    if os.environ.get("CI", "").lower() in ("true", "1"):
        pytest.fail(f"{line} (CI=true: .ci/run installs them)")
    pytest.skip(line)


def banan_live_from(folder: Path, day: str = "2023-01-01") -> Path:
    """A copy of the Banan plan that is chased from ``day`` rather than its issue date (9 May):
    as if the office had put its plan live in January.  The tests of delivery use it to have a
    busy spring morning; the real plan's own behaviour is tested on the real file."""
    text = (PLANS / "banan-2023.yaml").read_text(encoding="utf-8")
    text = text.replace("\nissued: 2023-05-09\n", f"\nissued: 2023-05-09\nchase_from: {day}\n", 1)
    (folder / "banan-departments.yaml").write_text(
        (PLANS / "banan-departments.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    path = folder / "banan-2023.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def forms_variant(tmp_path: Path, *edits: tuple[str, str]) -> list[str]:
    """Validate forms.yaml with each (old, new) edit made; return its problems as printed."""
    from workplan.plan.validate import validate_files

    text = FORMS.read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text
        text = text.replace(old, new, 1)
    (tmp_path / "forms-directory.yaml").write_text(
        (VALID / "forms-directory.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    path = tmp_path / "forms.yaml"
    path.write_text(text, encoding="utf-8")
    _, problems = validate_files([path])
    return [str(p).replace(str(tmp_path) + "/", "") for p in problems]


def notice_rows(db: str) -> list[tuple[int, str, str | None, int]]:
    """Every notice of a SQLite file: id, status, Message-ID and attempts."""
    engine = open_store(f"sqlite:///{db}")
    with engine.connect() as conn:
        rows = conn.execute(
            select(T_NOTICE.c.id, T_NOTICE.c.status, T_NOTICE.c.message_id, T_NOTICE.c.attempts)
        ).all()
    engine.dispose()
    return [tuple(r) for r in rows]  # type: ignore[misc]


# The web pages

SECRET = "test-secret-0123456789abcdef"
# The Banan plan takes effect on 9 May.  On Thursday 1 June 区财政局 has not reported May's
# central-fund disbursement (report: month): the evaluation owes it a 催办; ten working days
# later, 14 June, a 通报.
TODAY = date(2023, 6, 1)
MORNINGS = ["2023-05-26", "2023-05-30", "2023-06-01"]
AFTER = [f"2023-06-{day:02d}" for day in range(2, 21)]
PASSWORD = "办公室-pass"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass
class Site:
    """The web pages of a database, and a client that keeps its session's cookie."""

    db: str
    client: TestClient
    files: Path

    def link(self, department: str, *, days: float = 30, now: datetime | None = None) -> str:
        start = now or datetime.now(UTC)
        return links.issue(SECRET, "banan-2023", department, start, timedelta(days=days))

    def enter(self, department: str) -> None:
        response = self.client.get(f"/r/{self.link(department)}", follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/d"

    def form(self, path: str = "/d", index: int = 0) -> str:
        page = self.client.get(path)
        assert page.status_code == 200, page.text
        return re.findall(r'name="form" value="([^"]+)"', page.text)[index]

    def count(self, table: object) -> int:
        engine = open_store(self.db)
        with engine.connect() as conn:
            found = conn.execute(select(func.count()).select_from(table)).scalar()  # type: ignore[arg-type]
        engine.dispose()
        return int(found or 0)

    def login(self) -> None:
        token = self.form("/office/login")
        response = self.client.post(
            "/office/login", data={"form": token, "password": PASSWORD}, follow_redirects=False
        )
        assert response.status_code == 303, response.text


def make_site(db_url: str, tmp_path: Path, plan: Path, as_of: date, **extra: object) -> Site:
    """Load a plan and serve its pages as on ``as_of``, the office's password set."""
    from starlette.testclient import TestClient

    from workplan.web.app import WebSettings, create_app
    from workplan.web.auth import hash_password

    run("load", str(plan), "--db", db_url)
    values: dict[str, object] = {
        "office_password_hash": hash_password(PASSWORD, iterations=1000),
        "as_of": as_of,
        **extra,
    }
    settings = WebSettings(db_url=db_url, secret=SECRET, files=tmp_path / "evidence", **values)  # type: ignore[arg-type]
    return Site(db_url, TestClient(create_app(settings)), tmp_path / "evidence")


def escalations(db: str, metric: str = "central-disbursement") -> list[tuple[str, int]]:
    """Return the escalations owed to 区财政局 for not reporting a metric: (name, level)."""
    engine = open_store(db)
    with engine.connect() as conn:
        rows = conn.execute(
            select(T_NOTICE.c.level_name, T_NOTICE.c.level)
            .select_from(T_NOTICE.join(T_METRIC, T_METRIC.c.id == T_NOTICE.c.metric_id))
            .where(
                T_METRIC.c.key == metric,
                T_NOTICE.c.department == "区财政局",
                T_NOTICE.c.rule == "report-overdue",
            )
            .order_by(T_NOTICE.c.id)
        ).all()
    engine.dispose()
    return [(r[0], r[1]) for r in rows]


def mornings(db: str, days: list[str]) -> None:
    """Evaluate each day, as the service does each morning."""
    for day in days:
        run("tick", "--as-of", day, "--db", db)


def delivered_link(
    db: str, outbox: Path, address: str, base_url: str = "http://127.0.0.1:8000"
) -> str:
    """Evaluate the mornings up to 1 June, send as the service would at 09:00, and return the
    link in the 催办 to ``address`` (the department's own e-mail)."""
    env = {"WORKPLAN_LINK_SECRET": SECRET, "WORKPLAN_BASE_URL": base_url}
    mornings(db, MORNINGS)
    run("run", "--once", "--now", "2023-06-01T09:00", "--outbox", str(outbox), "--db", db, env=env)
    for eml in sorted(outbox.glob("*.eml")):
        message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        assert body is not None
        text = body.get_content()
        if address in str(message["To"]) and "催办" in str(message["Subject"]):
            assert "中央衔接资金支出进度" in text
            html = message.get_body(preferencelist=("html",))
            assert html is not None
            found = re.search(r"在线报送（本单位专用链接，请勿转发）：(http://\S+)", text)
            assert found is not None, text
            assert f'<a href="{found[1]}">' in html.get_content()
            return found[1]
    raise AssertionError(f"no letter to {address} in {outbox}")


# The return form (报送表) on a department's page

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER_ROW = 4


def download(site: Site, month: str | None = None) -> Any:
    """Download the department's return form (报送表) from its page, as a workbook."""
    from openpyxl import load_workbook

    response = site.client.get("/d/form.xlsx", params={"month": month} if month else None)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == XLSX
    assert "attachment" in response.headers["content-disposition"]
    return load_workbook(io.BytesIO(response.content))


def rows(book: Any) -> list[dict[str, Any]]:
    """The form's rows by header, each with its row number."""
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[HEADER_ROW]]
    return [
        {"row": number, **dict(zip(header, (c.value for c in cells), strict=False))}
        for number, cells in enumerate(sheet.iter_rows(min_row=HEADER_ROW + 1), HEADER_ROW + 1)
    ]


def fill(book: Any, row: int, **cells: Any) -> None:
    """Fill cells of a form's row in, by their headers."""
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[HEADER_ROW]]
    for name, value in cells.items():
        sheet.cell(row, header.index(name) + 1).value = value


def saved(book: Any) -> bytes:
    """The workbook as the file a clerk would send back."""
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(site: Site, data: bytes, name: str = "报送表.xlsx", kind: str = XLSX) -> Any:
    """Upload a filled-in form on the department's page; return the response."""
    return site.client.post(
        "/d/import", data={"form": site.form()}, files={"ledger": (name, data, kind)}
    )


PAGE_ITEMS = {
    "central-disbursement.allocated": "16",
    "central-disbursement": "16",
    "central-industry-share": "16",
    "consumption-support": "7",
}
"""the items of the metrics the page tests report on"""


def report(site: Site, metric: str, value: str, **extra: str) -> Any:
    """Send the department page's own report form for ``metric`` with ``value``."""
    page = site.client.get("/d").text
    forms = re.findall(r'<form method="post" action="/d/report">(.*?)</form>', page, re.S)
    form = next(f for f in forms if f'name="metric" value="{metric}"' in f)
    token = re.search(r'name="form" value="([^"]+)"', form)
    assert token is not None
    data = {"form": token[1], "task": PAGE_ITEMS[metric], "metric": metric, "value": value, **extra}
    return site.client.post("/d/report", data=data, follow_redirects=False)


def error_page(text: str) -> tuple[str, str, list[str]]:
    """An error page's title, message and links."""
    title = re.search(r"<title>(.*?)</title>", text, re.S)
    message = re.search(r'<p class="error" id="message">(.*?)</p>', text, re.S)
    assert title is not None and message is not None, text
    return (
        html.unescape(title[1]),
        html.unescape(message[1]),
        re.findall(r'<a href="([^"]+)"', text),
    )


def tiny_rows_xlsx(rows: int, header: tuple[str, ...] = ()) -> bytes:
    """Return an .xlsx whose first sheet has ``rows`` rows of one tiny cell each (under a
    header row when given), zipped as Excel zips: a few hundred kilobytes for 600,000 rows,
    the shape of an upload meant to stall the pages (issue 27)."""
    import io
    import zipfile
    from xml.sax.saxutils import escape

    def cell(ref: str, text: str) -> str:
        return f'<c r="{ref}" t="inlineStr"><is><t>{escape(text)}</t></is></c>'

    head = "".join(cell(f"{chr(65 + i)}1", h) for i, h in enumerate(header))
    top = f'<row r="1">{head}</row>' if header else ""
    first = 2 if header else 1
    body = "".join(f'<row r="{n}">{cell(f"A{n}", "x")}</row>' for n in range(first, first + rows))
    sheet = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<sheetData>{top}{body}</sheetData>"
        "</worksheet>"
    )
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    pkg = "http://schemas.openxmlformats.org/package/2006/relationships"
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{pkg}">'
            f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>"
        ),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{main}" xmlns:r="{rel}">'
            '<sheets><sheet name="报送表" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{pkg}">'
            f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
            "</Relationships>"
        ),
        "xl/worksheets/sheet1.xml": sheet,
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for part, text in parts.items():
            archive.writestr(part, text)
    return out.getvalue()
