"""Event-triggered duties end to end: record the event, tick, a real letter, done, the ladder stops."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from tests.helpers import FORMS, VALID, run
from tests.smtp import SmtpServer
from workplan.errors import NotFound, Refused
from workplan.store import db as store
from workplan.store import events

NOW = datetime(2023, 6, 16, 1, 0, tzinfo=UTC)


def owed(day: str, db: tuple[str, str]) -> set[tuple[str, str, str]]:
    notices = json.loads(run("tick", "--as-of", day, "--format", "json", *db).stdout)
    return {(n["about"], n["department"], n["rule"]) for n in notices}


def item_2(day: str, db: tuple[str, str]) -> dict[str, object]:
    items = json.loads(run("status", "--as-of", day, "--format", "json", *db).stdout)["items"]
    [item] = [i for i in items if i["number"] == 2]
    return dict(item)


def test_an_event_starts_a_duty_that_is_reminded_escalated_and_done(
    db_url: str, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    db = ("--db", db_url)
    run("load", str(FORMS), *db)
    assert not {n for n in owed("2023-06-16", db) if "push-forecast" in n[0]}

    out = run("event", "record", "flood-warning", "--on", "2023-06-16", "--note", "橙色预警", *db)
    assert out.stdout.splitlines() == [
        "recorded: forms-2023 flood-warning (气象部门发布暴雨预警) on 2023-06-16 by 区乡村振兴局",
        "  item 2 push-forecast@2023-06-16 due 2023-06-19 (区乡村振兴局)",
    ]
    # the same event on the same day again: refused, nothing changes
    again = run("event", "record", "flood-warning", "--on", "2023-06-16", *db, code=2)
    assert again.stderr.startswith("错误：flood-warning已于2023年6月16日登记过（区乡村振兴局，")
    assert again.stderr.rstrip().endswith("本次未登记：同一事件每天只登记一次")
    again = run(
        "--lang", "en", "event", "record", "flood-warning", "--on", "2023-06-16", *db, code=2
    )
    assert again.stderr.startswith("error: flood-warning was already recorded for 2023-06-16 (by ")
    assert again.stderr.rstrip().endswith("nothing recorded: an event is recorded once a day")
    typo = run("--lang", "en", "event", "record", "flod-warning", "--on", "2023-06-16", *db, code=2)
    assert typo.stderr == (
        "error: plan forms-2023 has no event 'flod-warning'; did you mean 'flood-warning'? "
        "(its events: flood-warning, problem-found)\n"
    )
    typo = run("event", "record", "flod-warning", "--on", "2023-06-16", *db, code=2)
    assert typo.stderr == (
        "错误：计划中没有事件“flod-warning”；是否是“flood-warning”？"
        "（已定义的事件：flood-warning、problem-found）\n"
    )
    outside = run("event", "record", "flood-warning", "--on", "2022-12-30", *db, code=2)
    assert outside.stderr == (
        "错误：2022年12月30日不在计划期内（2023年1月1日至2023年12月31日）：年份是否写错了？\n"
    )

    # Friday 16 June, due Monday 19 June: reminded the working day before, on the day itself
    assert ("push-forecast@2023-06-16", "区乡村振兴局", "remind") in owed("2023-06-16", db)
    sent = run(
        "dispatch", "--now", "2023-06-16T09:00", *db, env=smtp_server.env()
    ).stdout.splitlines()
    assert sent, "dispatch said nothing"
    texts = [r.message.get_body(("plain",)).get_content() for r in smtp_server.received]  # type: ignore[union-attr]
    [letter] = [t for t in texts if "第一时间推送暴雨预报" in t]
    assert (
        "“第一时间推送暴雨预报（气象部门发布暴雨预警）（2023年6月16日）”应于2023年6月19日" in letter
    )

    assert ("push-forecast@2023-06-16", "区乡村振兴局", "overdue") in owed("2023-06-20", db)
    item = item_2("2023-06-20", db)
    assert [o["key"] for o in item["overdue"]] == ["push-forecast@2023-06-16"]  # type: ignore[attr-defined,index]

    run("done", "2/push-forecast@2023-06-16", "--by", "区乡村振兴局", "--on", "2023-06-20", *db)
    # five working days late is 督办: not for a duty done
    assert not {n for n in owed("2023-06-27", db) if "push-forecast" in n[0]}
    assert item_2("2023-06-27", db)["overdue"] == []
    listed = run("event", "list", *db).stdout
    assert "2023-06-16  flood-warning  气象部门发布暴雨预警  区乡村振兴局" in listed
    assert "2/push-forecast@2023-06-16 2023-06-19到期" in listed and "1/1" in listed
    english = run("event", "list", "--lang", "en", *db).stdout
    assert "2/push-forecast@2023-06-16 due 2023-06-19" in english

    # a reload keeps the occurrences of the events recorded, with the plan's current span
    text = FORMS.read_text(encoding="utf-8").replace(
        "within: 1 working day", "within: 2 working days"
    )
    moved = tmp_path / "forms.yaml"
    moved.write_text(text, encoding="utf-8")
    directory = VALID / "forms-directory.yaml"
    (tmp_path / directory.name).write_text(directory.read_text(encoding="utf-8"), encoding="utf-8")
    out = run("load", str(moved), *db).stdout
    assert "date moved （二） push-forecast@2023-06-16: 2023-06-19 → 2023-06-20" in out
    assert "obligation dropped" not in out
    assert item_2("2023-06-27", db)["done"] == 1


def test_recording_checks_the_day_against_today_and_the_plan(db_url: str) -> None:
    run("load", str(FORMS), "--db", db_url)
    with store.connected(db_url) as engine, engine.begin() as conn:

        def record(on: date, today: date, name: str = "problem-found") -> events.EventRecord:
            return events.record_event(
                conn, plan_key=None, name=name, on=on, note=None, by=None, today=today, now=NOW
            )

        with pytest.raises(Refused, match=r"2023-06-21 is after today \(2023-06-20\)"):
            record(date(2023, 6, 21), date(2023, 6, 20))
        with pytest.raises(NotFound, match="has no event 'flood'; did you mean 'flood-warning'"):
            record(date(2023, 6, 21), date(2023, 6, 21), "flood")
        # found on Saturday 17 June: 立即 is Monday; the account is due a week on (Saturday
        # 24 June is the Dragon Boat holiday, so Sunday 25 June, a swapped working day)
        made = record(date(2023, 6, 17), date(2023, 6, 21)).made
        assert [(m.key, m.due, m.owners) for m in made] == [
            ("fix:南泉街道@2023-06-17", date(2023, 6, 19), ("南泉街道",)),
            ("fix:一品街道@2023-06-17", date(2023, 6, 19), ("一品街道",)),
            ("fix:姜家镇@2023-06-17", date(2023, 6, 19), ("姜家镇",)),
            (
                "report-fix@2023-06-17",
                date(2023, 6, 25),
                ("区乡村振兴局", "南泉街道", "一品街道", "姜家镇"),
            ),
        ]
        # another day is another event, with occurrences of its own
        assert len(record(date(2023, 6, 20), date(2023, 6, 21)).made) == 4
        listed = events.list_events(conn, plan_key=None)
        assert [(e.on, len(e.made), e.done) for e in listed] == [
            (date(2023, 6, 17), 4, 0),
            (date(2023, 6, 20), 4, 0),
        ]


def test_a_database_from_before_events_is_upgraded_to_record_them(db_url: str) -> None:
    from sqlalchemy import text

    from workplan.store.db import make_engine
    from workplan.store.tables import T_META

    db = ("--db", db_url)
    run("load", str(FORMS), *db)
    engine = make_engine(db_url)
    with engine.begin() as conn:  # as an earlier workplan left it: no table of events
        conn.execute(text("DROP TABLE recorded_event"))
        conn.execute(T_META.update().where(T_META.c.key == "schema").values(value="1"))
    engine.dispose()
    refused = run("event", "record", "flood-warning", "--on", "2023-06-16", *db, code=1)
    assert "run `workplan upgrade`" in refused.stderr
    assert run("upgrade", "--dry-run", *db).stdout.splitlines() == [
        "  table recorded_event added",
        "1 change(s) would be made; nothing was changed",
    ]
    run("upgrade", *db)
    out = run("event", "record", "flood-warning", "--on", "2023-06-16", *db).stdout
    assert "push-forecast@2023-06-16 due 2023-06-19" in out
