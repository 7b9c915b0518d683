"""The site every web test starts from: the Banan plan, on 1 June 2023, on each backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import PLANS, TODAY, Site, make_site


@pytest.fixture
def site(db_url: str, tmp_path: Path) -> Iterator[Site]:
    made = make_site(db_url, tmp_path, PLANS / "banan-2023.yaml", TODAY)
    with made.client:
        yield made
