"""An upload cannot stall the office (issue 27): a return form is read before any write
transaction opens, within limits of unpacked size, rows and time, so a workbook of 600,000
tiny rows is refused at once, and the service's writes never wait on it."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from tests.helpers import Site, tiny_rows_xlsx, upload
from workplan.store import ledger
from workplan.store.db import open_store

HEADER = ("事项", "指标", "数值", "日期", "报送单位")


def test_a_workbook_of_600000_tiny_rows_is_refused_at_once(site: Site) -> None:
    site.enter("区财政局")
    response = upload(site, tiny_rows_xlsx(600_000))
    assert response.status_code == 400
    assert "工作簿解压后有 40 MB，超过上限 16 MB：请只保留要报送的行" in response.text


def test_a_workbook_over_the_row_limit_is_refused_by_its_rows(site: Site) -> None:
    site.enter("区财政局")
    rows = ledger.RETURN_FORM_LIMITS.rows
    response = upload(site, tiny_rows_xlsx(rows + 1, HEADER))
    assert response.status_code == 400 and "超过 500 行：请只保留要报送的行" in response.text
    # at the limit, the rows are read (and refused row by row for what they say)
    at_limit = upload(site, tiny_rows_xlsx(rows - 1, HEADER))
    assert "超过" not in at_limit.text


def test_the_workbook_is_read_while_another_writer_holds_the_database(
    site: Site, tmp_path: Path
) -> None:
    """The issue: the upload was parsed inside the write transaction, and `workplan run
    --once` and `progress record` failed with "database is locked" meanwhile.  Here the
    service holds the write lock; the upload is still read and answered, and no write of the
    page's waited for the lock to be refused."""
    if not site.db.startswith("sqlite"):
        return  # PostgreSQL writers do not lock the database: nothing to wait for
    site.enter("区财政局")
    engine = open_store(site.db)
    with engine.begin() as writer:  # BEGIN IMMEDIATE, as the service's tick takes it
        writer.execute(text("UPDATE meta SET value = value WHERE key = 'schema'"))
        response = upload(site, tiny_rows_xlsx(600_000))
    engine.dispose()
    assert response.status_code == 400 and "工作簿解压后有" in response.text
