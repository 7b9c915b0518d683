"""A user's mistake is a message and a non-zero exit, never a traceback (issue 9, item 10)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import PLANS, run


def test_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    fake = tmp_path / "notes.db"
    fake.write_text("these are my notes, not a database\n" * 100, encoding="utf-8")
    result = run("--lang", "en", "status", "--db", str(fake), code=1)
    (line,) = result.output.strip().splitlines()
    assert line.startswith(f"error: {fake}") and "not a database" in line


@pytest.mark.parametrize("url", ["mysql://user:secret@host/db", "foo://somewhere"])
def test_a_database_url_workplan_cannot_use(url: str) -> None:
    result = run("--lang", "en", "status", "--db", url, code=1)
    (line,) = result.output.strip().splitlines()
    assert line.startswith("error: ") and url.split("://")[0] in line
    assert "secret" not in line


def test_a_csv_cell_over_the_field_limit(tmp_path: Path) -> None:
    db = str(tmp_path / "workplan.db")
    run("load", str(PLANS / "banan-2023.yaml"), "--db", db)
    ledger = tmp_path / "ledger.csv"
    ledger.write_text(
        "事项,指标,任务,数值,日期,报送单位,备注\n"
        f"16,central-disbursement,,25,2023-04-20,区财政局,{'备' * 140_000}\n",
        encoding="utf-8",
    )
    result = run("progress", "import", str(ledger), "--db", db, code=2)
    assert "不是可以读取的 CSV 文件：有单元格超过 131,072 个字符" in result.output
    result = run("--lang", "en", "progress", "import", str(ledger), "--db", db, code=2)
    assert "not a readable CSV file: a cell is longer than 131,072 characters" in result.output


LEDGER = (
    "事项,指标,任务,数值,日期,报送单位,备注\n16,central-disbursement,,25,2023-04-20,区财政局,\n"
)


def _import(tmp_path: Path, name: str, data: bytes | None, code: int) -> str:
    db = str(tmp_path / "workplan.db")
    run("load", str(PLANS / "banan-2023.yaml"), "--db", db)
    ledger = tmp_path / name
    if data is not None:
        ledger.write_bytes(data)
    result = run("--lang", "en", "progress", "import", str(ledger), "--db", db, code=code)
    return result.output


def test_importing_a_missing_ledger_is_one_line(tmp_path: Path) -> None:
    """Issue 27.7: a missing file was a traceback (FileNotFoundError)."""
    output = _import(tmp_path, "missing.csv", None, 2)
    line, count = output.strip().splitlines()
    assert count == "1 problem found"
    assert "missing.csv" in line and "cannot read: No such file or directory" in line


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_a_utf16_ledger_is_read(tmp_path: Path, encoding: str) -> None:
    """Issue 27.7: a UTF-16 CSV (Excel's "Unicode text", with its byte-order mark; tabs
    between cells) was a traceback; it is read as it is."""
    text = LEDGER if encoding == "utf-16" else LEDGER.replace(",", "\t")
    bom = {"utf-16": b"", "utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff"}[encoding]
    output = _import(tmp_path, "ledger.csv", bom + text.encode(encoding), 0)
    assert ": 1 values, 0 obligations done" in output, output


def test_a_ledger_over_the_limit_says_the_limit(tmp_path: Path) -> None:
    """Issue 27.7: a UTF-8 CSV over 2 MB was a traceback (the size refusal was taken for an
    encoding problem and the file decoded again as GB18030)."""
    row = "16,central-disbursement,,25,2023-04-20,区财政局,\n"
    data = (LEDGER + row * (2 * 1024 * 1024 // len(row.encode()) + 10)).encode()
    output = _import(tmp_path, "big.csv", data, 2)
    line, count = output.strip().splitlines()
    assert count == "1 problem found"
    assert "big.csv" in line and "over the 2 MB limit" in line and "split it" in line


def test_validate_a_device_reads_no_more_than_the_limit() -> None:
    result = run("validate", "/dev/zero", code=2)
    assert "/dev/zero: file is larger than the limit of 2097152 bytes" in result.output


@pytest.mark.parametrize(
    "body",
    [
        "{% for i in range(10000) %}{% for j in range(1000) %}x{% endfor %}{% endfor %}",
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    ],
    ids=["output", "silent"],
)
def test_templates_check_stops_a_runaway_template(tmp_path: Path, body: str) -> None:
    (tmp_path / "zh-CN").mkdir()
    (tmp_path / "zh-CN" / "digest.txt.j2").write_text(body + "\n", encoding="utf-8")
    result = run("templates", "check", "--templates", str(tmp_path), code=2)
    assert "a runaway loop?" in result.output
    assert "zh-CN/digest.txt.j2" in result.output


def test_templates_check_finds_a_missing_include(tmp_path: Path) -> None:
    (tmp_path / "zh-CN").mkdir()
    (tmp_path / "zh-CN" / "digest.txt.j2").write_text(
        '{% include "zh-CN/letterhead.j2" %}\n', encoding="utf-8"
    )
    result = run("templates", "check", "--templates", str(tmp_path), code=2)
    assert "includes a missing template zh-CN/letterhead.j2" in result.output
    zh = {"LANG": "zh_CN.UTF-8"}
    result = run("templates", "check", "--templates", str(tmp_path), env=zh, code=2)
    assert "引用的模板 zh-CN/letterhead.j2 不存在" in result.output
