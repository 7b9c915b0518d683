"""Yes/no outcomes (issue 11, form 6): achieved or not, in status and in letters, never "1/1"."""

from __future__ import annotations

import email
import email.policy
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from tests.helpers import FORMS, SECRET, make_site, run
from workplan.plan.validate import read_plan


def test_an_outcome_is_compiled_as_one() -> None:
    [demo] = [o for o in read_plan(FORMS).compiled.obligations if o.source == "demo-county"]
    assert (demo.kind, demo.title, str(demo.due)) == ("outcome", "创建1个省级示范县", "2023-12-31")


def _letters(outbox: Path) -> list[str]:
    out = []
    for path in sorted(outbox.rglob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        out.append(message.get_body(("plain",)).get_content())  # type: ignore[union-attr]
    return out


def test_an_outcome_is_achieved_or_not(db_url: str, tmp_path: Path) -> None:
    db = ("--db", db_url)
    run("load", str(FORMS), *db)
    status = json.loads(run("status", "--as-of", "2023-12-27", "--format", "json", *db).stdout)
    item = next(i for i in status["items"] if i["number"] == 2)
    assert item["outcomes"] == [
        {
            "key": "demo-county",
            "title": "创建1个省级示范县",
            "due": "2023-12-31",
            "achieved": False,
            "achieved_on": None,
        }
    ]
    assert (item["done"], item["total"]) == (0, 0)
    table = run("status", "--as-of", "2023-12-27", *db).stdout
    line = next(t for t in table.splitlines() if t.startswith("（二）") and "做好汛期" in t)
    assert " 未达成 " in line and "1/1" not in line and "0/1" not in line
    assert "（二）  创建1个省级示范县  未达成  12-31前" in table

    # the reminder says the result is to be achieved, not "completed"
    run("tick", "--as-of", "2023-12-27", *db)
    outbox = tmp_path / "outbox"
    run("dispatch", "--now", "2023-12-27T09:00", "--outbox", str(outbox), *db)
    letters = [t for t in _letters(outbox) if "示范县" in t]
    assert len(letters) == 4  # the item's lead and the three towns of 镇街
    for letter in letters:
        assert "“创建1个省级示范县”应于2023年12月31日（星期日）前达成" in letter
        assert "进展：尚未报送达成情况（未达成）" in letter
        # 31 December is a Sunday: the day to act on is Friday 29 December
        assert "请抓紧推进，确保于2023年12月29日（星期五）前达成，达成后报送。" in letter

    out = run("done", "2/创建1个省级示范县", "--by", "区乡村振兴局", "--on", "2023-12-27", *db)
    assert (
        out.stdout == "已达成：forms-2023 事项（二）创建1个省级示范县，2023-12-27，区乡村振兴局\n"
    )
    table = run("status", "--as-of", "2023-12-28", *db).stdout
    assert "（二）  创建1个省级示范县  已达成  12-27" in table
    en = run("status", "--as-of", "2023-12-28", "--lang", "en", *db).stdout
    assert "（二）  创建1个省级示范县  achieved  12-27" in en
    csv = run("status", "--as-of", "2023-12-28", "--format", "csv", *db).stdout
    assert (
        "2,outcome,demo-county,创建1个省级示范县,区乡村振兴局,南泉街道、一品街道、姜家镇,achieved,,2023-12-31,"
        in csv
    )
    notices = json.loads(run("tick", "--as-of", "2023-12-29", "--format", "json", *db).stdout)
    assert not [n for n in notices if n["about"] == "demo-county"]


def test_the_web_pages_say_achieved(db_url: str, tmp_path: Path) -> None:
    from workplan.store import links

    site = make_site(db_url, tmp_path, FORMS, date(2023, 12, 27))
    with site.client:
        site.login()
        office = site.client.get("/office").text
        assert "<td>未达成</td>" in office and "0/0" not in office  # yes/no, never "0/1"
        token = links.issue(SECRET, "forms-2023", "区乡村振兴局", datetime.now(UTC), timedelta(1))
        assert site.client.get(f"/r/{token}", follow_redirects=False).status_code == 303
        page = site.client.get("/d").text
        assert 'value="2/demo-county">' in page
        assert page.count(">已达成</button>") == 1
