"""The site every web test starts from: the Banan plan, on 1 June 2023, on each backend; and
a check that every error page a test meets had words of its own in the plan's language."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import PLANS, TODAY, Site, make_site


@pytest.fixture
def site(db_url: str, tmp_path: Path) -> Iterator[Site]:
    made = make_site(db_url, tmp_path, PLANS / "banan-2023.yaml", TODAY)
    with made.client:
        yield made


@pytest.fixture(autouse=True)
def said_in_the_plans_language(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Fail a test whose pages fell back to a status's sentence for want of Chinese words."""
    with caplog.at_level(logging.WARNING, logger="workplan.web"):
        yield
    missing = [r.getMessage() for r in caplog.records if "no Chinese words" in r.getMessage()]
    assert not missing, missing
