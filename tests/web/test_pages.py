"""The facts the pages show (web/pages.py), read once per page."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import Connection, event

from tests.conftest import PLANS
from tests.helpers import Site, run
from workplan.rules.evaluate import Intent, evaluate
from workplan.rules.kinds import LADDER
from workplan.rules.status import TaskStatus, task_statuses
from workplan.store import refs
from workplan.store.db import open_store
from workplan.store.facts_query import read_facts
from workplan.store.snapshot import read_tasks
from workplan.store.tables import T_WEB_REPORT
from workplan.web import auth
from workplan.web.pages import standing


def two_reads(
    conn: Connection, plan: refs.PlanRef, day: date
) -> tuple[list[TaskStatus], list[Intent]]:
    """Where the items stand as the page once read it: every fact for the table, and the
    facts that can owe a notice (the morning evaluation's) for what is owed."""
    tasks = read_tasks(conn, plan)
    everything, calendars = read_facts(conn, day, plan_ids=[plan.id], everything=True)
    owed, _ = read_facts(conn, day, plan_ids=[plan.id])
    intents = evaluate(owed[plan.id], day, calendars[plan.id])
    items = task_statuses(tasks, everything[plan.id], intents, calendars[plan.id], day)
    return items, [i for i in intents if i.rule in ("report", "report-overdue")]


def test_one_read_of_the_facts_shows_what_two_showed(db_url: str) -> None:
    # some figures reported, and item （二十五） signed off with duties still open
    run("load", str(PLANS / "banan-2023.yaml"), "--db", db_url)
    for metric, value, day in (
        ("central-disbursement", "35", "2023-06-05"),
        ("municipal-disbursement", "40", "2023-07-04"),
    ):
        run(
            *("progress", "record", "16", metric, "--value", value, "--as-of", day),
            *("--by", "区财政局", "--db", db_url),
        )
    run("signoff", "25", "--by", "区委农办", "--force", "--db", db_url)
    engine = open_store(db_url)
    reads: list[str] = []
    event.listen(
        engine,
        "before_cursor_execute",
        lambda _c, _k, sql, *_: reads.append(sql) if "candidate AS MATERIALIZED" in sql else None,
    )
    day, compared = date(2023, 5, 2), 0
    with engine.connect() as conn:
        plan = refs.find_plan(conn, None)
        while day <= date(2024, 1, 31):
            items, owed = two_reads(conn, plan, day)
            reads.clear()
            shown = standing(conn, plan, day, None)
            assert len(reads) == 1, day  # the obligations, read once
            assert shown.items == items, day
            assert sorted(i.key for v in shown.reports.values() for i in v) == sorted(
                i.key for i in owed
            ), day
            compared += bool(owed)
            day += timedelta(days=11)
    engine.dispose()
    assert compared > 5  # days on which reports were owed, not only quiet ones


def test_the_page_of_a_signed_off_item_owes_nothing(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'workplan.db'}"
    run("load", str(PLANS / "banan-2023.yaml"), "--db", db)
    engine = open_store(db)
    day = date(2023, 6, 1)
    with engine.connect() as conn:
        plan = refs.find_plan(conn, None)
        assert 16 in standing(conn, plan, day, "区财政局").reports  # May's figures are owed
    run("signoff", "16", "--by", "区委农办", "--force", "--db", db)
    with engine.connect() as conn:
        assert 16 not in standing(conn, plan, day, "区财政局").reports
    engine.dispose()


def test_a_departments_page_evaluates_its_items_alone_and_shows_what_the_whole_plan_shows(
    db_url: str,
) -> None:
    """A department's page evaluates only the items it answers for (whole, every part's
    obligations): each item's standing is the one the whole plan's evaluation gives it."""
    run("load", str(PLANS / "banan-2023.yaml"), "--db", db_url)
    run("progress", "import", str(PLANS / "banan-2023-ledger.csv"), "--db", db_url)
    engine = open_store(db_url)
    with engine.connect() as conn:
        plan = refs.find_plan(conn, None)
        tasks = read_tasks(conn, plan)
        for day in (date(2023, 6, 1), date(2023, 7, 21), date(2023, 12, 29)):
            everything, calendars = read_facts(
                conn, day, plan_ids=[plan.id], everything=True, ladder=LADDER
            )
            intents = evaluate(everything[plan.id], day, calendars[plan.id])
            for department in ("区财政局", "区乡村振兴局", "区委组织部"):
                whole = task_statuses(
                    tasks, everything[plan.id], intents, calendars[plan.id], day, department
                )
                shown = standing(conn, plan, day, department).items
                assert shown == whole, (day, department)
    engine.dispose()


def test_a_kept_page_follows_a_report_made_elsewhere(db_url: str, tmp_path: Path) -> None:
    """The pages keep what they computed while the plan's facts are unchanged; a report
    recorded by the command line (another process's write) is on the next page."""
    from tests.helpers import PLANS as plans
    from tests.helpers import TODAY, make_site

    site = make_site(db_url, tmp_path, plans / "banan-2023.yaml", TODAY)
    with site.client:
        site.enter("区财政局")
        before = site.client.get("/d").text
        assert site.client.get("/d").text.count("35%") == before.count("35%")
        run(
            *("progress", "record", "16", "central-disbursement", "--value", "35"),
            *("--as-of", "2023-05-31", "--by", "区财政局", "--db", db_url),
        )
        after = site.client.get("/d").text
    assert after.count("35%") > before.count("35%")


def test_a_kept_page_carries_fresh_one_time_tokens_in_every_response(site: Site) -> None:
    """The page is kept rendered, its forms' tokens put in for each response: no token is
    given twice, each is good for one form, and one used leaves the others good."""
    site.enter("区财政局")
    first, second = (
        re.findall(r'name="form" value="([^"]+)"', site.client.get("/d").text) for _ in range(2)
    )
    assert len(first) == len(second) > 10
    assert len(set(first) | set(second)) == 2 * len(first)
    data = {"task": "16", "metric": "", "note": "资金已拨付"}
    sent = site.client.post("/d/report", data={**data, "form": first[5]}, follow_redirects=False)
    assert sent.status_code == 303
    again = site.client.post("/d/report", data={**data, "form": first[5]}, follow_redirects=False)
    assert again.status_code == 409
    for token in (first[6], second[5]):
        sent = site.client.post("/d/report", data={**data, "form": token}, follow_redirects=False)
        assert sent.status_code == 303
    assert site.count(T_WEB_REPORT) == 3


def test_a_kept_departments_page_follows_the_cycle_written_elsewhere(site: Site) -> None:
    """A 交办件 assigned and signed for from the command line (another process's writes)
    changes the department's kept page at once: its 签收 button comes, then goes."""
    lead = "区住房城乡建委"
    site.enter(lead)
    assert "/d/cycle/receipt" not in site.client.get("/d").text
    run("assign", "排查农村危房", "--source", "上级交办", "--lead", lead, "--due", "2023-06-30",
        "--by", "区委农办", "--on", "2023-06-01", "--db", site.db)  # fmt: skip
    page = site.client.get("/d").text
    assert 'id="item-1001"' in page and "/d/cycle/receipt" in page
    run("receipt", "交办1", "--by", lead, "--on", "2023-06-01", "--db", site.db)
    page = site.client.get("/d").text
    assert 'id="item-1001"' in page and "/d/cycle/receipt" not in page


def test_the_kept_dashboard_follows_a_problem_raised_elsewhere(site: Site) -> None:
    site.login()
    assert "危房鉴定机构不足" not in site.client.get("/office").text
    run("problem", "raise", "2", "危房鉴定机构不足", "--by", "区住房城乡建委",
        "--on", "2023-06-01", "--db", site.db)  # fmt: skip
    assert "危房鉴定机构不足" in site.client.get("/office").text


def test_a_pages_form_tokens_are_signed_as_the_check_reads_them() -> None:
    """form_tokens computes HMAC-SHA256 from its inner and outer hashes; the check uses
    ``hmac``: every token checks for its session alone, with a short key and a long one."""
    for secret in ("s" * 16, "k" * 64, "a-long-secret-" * 10):
        tokens = auth.form_tokens(secret, "d|abc", 30)
        assert len({t.split(b".")[0] for t in tokens}) == 30
        for token in tokens:
            nonce = auth.check_form_token(secret, "d|abc", token.decode())
            assert nonce == token.split(b".")[0].decode()
            assert auth.check_form_token(secret, "d|abd", token.decode()) is None
            assert auth.check_form_token(secret + "x", "d|abc", token.decode()) is None
