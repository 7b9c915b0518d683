"""The message catalogs: every message marked in the code is in the Chinese catalog and
translated, the compiled .mo says what the .po says, and the language follows --lang, the
plan's locale and LANG."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from tests.helpers import ROOT, VALID, run
from workplan import i18n

PO = ROOT / "workplan" / "locale" / "zh_CN" / "LC_MESSAGES" / "workplan.po"
MO = PO.with_suffix(".mo")
UPDATE = (
    "run: pybabel extract -F babel.cfg -k L_ --no-location --sort-output -o workplan/locale/workplan.pot . && "
    "pybabel update -i workplan/locale/workplan.pot -d workplan/locale -D workplan, "
    "translate, then pybabel compile -d workplan/locale -D workplan"
)


def _key(message_id: str | tuple[str, ...]) -> str:
    return message_id if isinstance(message_id, str) else message_id[0]


def _translated(string: str | tuple[str, ...]) -> bool:
    return bool(string) if isinstance(string, str) else all(string)


def test_every_marked_message_is_translated() -> None:
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    extracted = {
        _key(found[2])
        for found in extract_from_dir(
            str(ROOT),
            method_map,
            options_map,
            keywords={"_": None, "N_": None, "L_": None, "gettext": None, "ngettext": (1, 2)},
        )
    }
    catalog = read_po(PO.open("rb"))
    translated = {_key(m.id) for m in catalog if m.id and _translated(m.string)}
    missing = sorted(extracted - translated)
    assert missing == [], f"not in the Chinese catalog ({UPDATE}): {missing[:10]}"


def _text(string: str | tuple[str, ...] | list[str]) -> str:
    return string if isinstance(string, str) else "\x00".join(string)


def test_the_compiled_catalog_says_what_the_po_says() -> None:
    po = {(_key(m.id), _text(m.string)) for m in read_po(PO.open("rb")) if m.id and m.string}
    mo = {(_key(m.id), _text(m.string)) for m in read_mo(io.BytesIO(MO.read_bytes())) if m.id}
    assert po == mo, (
        "workplan.mo is older than workplan.po: pybabel compile -d workplan/locale -D workplan"
    )


def test_the_catalogs_are_package_data() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '"locale/*/LC_MESSAGES/*.mo"' in pyproject
    assert Path(i18n.LOCALE_DIR, "zh_CN", "LC_MESSAGES", "workplan.mo").is_file()


@pytest.mark.parametrize(
    ("asked", "plan", "env", "spoken"),
    [
        (None, "zh-CN", "C.UTF-8", "zh"),
        (None, "en", "zh_CN.UTF-8", "zh"),
        (None, "en", "en_US.UTF-8", "en"),
        (None, None, None, "en"),
        ("en", "zh-CN", "zh_CN.UTF-8", "en"),
        ("zh", "en", "C", "zh"),
    ],
)
def test_the_language_spoken(
    asked: str | None,
    plan: str | None,
    env: str | None,
    spoken: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    if env:
        monkeypatch.setenv("LANG", env)
    with i18n.speaking(asked):
        assert i18n.language(plan) == spoken


def test_the_cli_speaks_the_plans_language_and_lang_overrides(tmp_path: Path) -> None:
    plan = VALID / "forms.yaml"
    said = run("validate", str(plan)).output
    assert "检查通过" in said and " ok: " not in said
    said = run("--lang", "en", "validate", str(plan)).output
    assert " ok: " in said and "检查通过" not in said


def test_help_in_chinese_and_english() -> None:
    assert "按时推进年度工作要点" in run("--lang", "zh", "--help").output
    assert "查看每个事项的进展" in run("--lang", "zh", "status", "--help").output
    assert "Show where every item stands" in run("--lang", "en", "status", "--help").output
