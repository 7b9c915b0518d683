"""What the README tells a new user holds on a new user's machine."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import needs


def test_a_test_that_needs_a_missing_package_skips_naming_it_and_fails_under_ci(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no chromium, fc-list or pdftotext on it
    monkeypatch.delenv("CI", raising=False)
    line = (
        "needs chromium, fonts-noto-cjk, poppler-utils: "
        "apt-get install chromium fonts-noto-cjk poppler-utils"
    )
    with pytest.raises(pytest.skip.Exception) as skipped:
        needs("chromium", "fonts-noto-cjk", "poppler-utils")
    assert str(skipped.value) == line
    monkeypatch.setenv("CI", "true")  # .ci/run: they are installed, so they must run
    with pytest.raises(pytest.fail.Exception) as failed:
        needs("chromium")
    assert str(failed.value).startswith("needs chromium: apt-get install chromium")
