"""Issue 8: every letter owed, true on the day it is read, and in proportion.

Each test is one case seen when the tool was tried as a new user would, through the command
line on real plan files: it failed before the change and passes after.
"""

from __future__ import annotations

import email
import email.policy
import json
import re
from collections import Counter
from email.message import EmailMessage
from pathlib import Path

from tests.helpers import PLANS, banan_live_from, run

BANAN = str(PLANS / "banan-2023.yaml")
EXAMPLE = str(PLANS / "example.yaml")


def mails(outbox: Path) -> list[EmailMessage]:
    out = []
    for path in sorted(outbox.glob("*.eml")):
        parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        out.append(parsed)
    return out


def body(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def recipients(message: EmailMessage) -> list[str]:
    headers = [message[field] for field in ("To", "Cc") if message[field] is not None]
    return [a.addr_spec for header in headers for a in header.addresses]


# 1. a metric that has never been reported is chased --------------------------------------------

EVERY_KIND = """\
id: kinds-2023
title: 每种指标
year: 2023
issued: 2023-01-01
office: 区委农办
departments:
  - {name: 区委农办, email: office@example.org}
  - {name: 区财政局, email: czj@example.org}
chapters:
  - number: 1
    title: 指标
    tasks:
      - number: 1
        title: 各类指标
        text: 各类指标，均从未报送。
        lead: 区财政局
        metrics:
          - {id: cumulative, title: 累计, unit: "%", target: 100, report: month}
          - {id: paced, title: 序时, unit: "%", target: 100, pace: {tolerance: 5}, report: month}
          - id: checkpoints
            title: 节点
            unit: "%"
            checkpoints: [{by: 2023-06-30, value: 50}]
            target: 100
            report: quarter
          - {id: level, title: 水平, unit: 人, target: 4927, cumulative: false, every: month, report: month}
          - {id: ceiling, title: 上限, unit: 起, target: 3, direction: at_most, cumulative: false, report: month}
"""


def test_a_metric_never_reported_is_chased(tmp_path: Path) -> None:
    """Silence is the loudest case: 消费帮扶 (report: month, no pace) was never chased in 2023."""
    rows = json.loads(run("simulate", BANAN, "--format", "json").stdout)
    chased = Counter(r["rule"] for r in rows if r["about"] == "consumption-support")
    assert chased["report"] > 0, "a 报送提醒 before each month ends"
    assert chased["report-overdue"] > 0, "and the ladder after it"

    plan = tmp_path / "kinds.yaml"
    plan.write_text(EVERY_KIND, encoding="utf-8")
    rows = json.loads(run("simulate", str(plan), "--format", "json").stdout)
    for metric in ("cumulative", "paced", "checkpoints", "level", "ceiling"):
        rules = {r["rule"] for r in rows if r["about"] == metric or r["about"].startswith(metric)}
        assert {"report", "report-overdue"} <= rules, (metric, rules)


# 2. the first morning does not flood ---------------------------------------------------------


def test_the_first_morning_sends_each_recipient_at_most_two_messages(tmp_path: Path) -> None:
    """Banan loaded on its issue day with nothing reported: no 通报, no 督办, no flood."""
    db, outbox = str(tmp_path / "w.db"), tmp_path / "outbox"
    load = run("--lang", "en", "load", BANAN, "--db", db).stdout
    assert "52 obligation(s) fall due before the plan takes effect on 2023-05-09" in load
    owed = json.loads(
        run("--lang", "en", "tick", "--as-of", "2023-05-09", "--format", "json", "--db", db).stdout
    )
    assert {r["rule"] for r in owed} <= {"remind", "report", "warn", "backlog"}
    sent = run(
        "--lang",
        "en",
        "run",
        "--once",
        "--now",
        "2023-05-09T09:00",
        "--outbox",
        str(outbox),
        "--db",
        db,
    )
    assert sent.exit_code == 0
    per_recipient = Counter(address for m in mails(outbox) for address in recipients(m))
    assert per_recipient, "the office is told what fell due before the plan"
    assert max(per_recipient.values()) <= 2, per_recipient
    assert "leaders@example.org" not in per_recipient
    [backlog] = [m for m in mails(outbox) if "计划生效前事项" in body(m)]
    assert recipients(backlog) == ["qwnb@example.org"]
    assert "此前到期的52项工作台账未记办结，不予催办" in body(backlog)
    summary = " ".join(run("--lang", "en", "simulate", BANAN, "--summary").stdout.split())
    assert re.search(r"at most [12] to one recipient on one day", summary), summary[-300:]


# 3 and 4. letters claim only the history the record shows; leadership gets one message ---------


def test_a_first_day_opens_with_催办_and_claims_no_earlier_letter(tmp_path: Path) -> None:
    """Evaluated first on 16 May (a plan live since January): the first word about each
    overdue item is 催办, the lowest rung, however late (it was 通报 at once before issue 22:
    the ladder climbs by letters sent), and no letter says 经催办 when none was sent."""
    plan = str(banan_live_from(tmp_path))
    db, outbox = str(tmp_path / "w.db"), tmp_path / "outbox"
    run("load", plan, "--db", db)
    run("tick", "--as-of", "2023-05-16", "--db", db)
    run("run", "--once", "--now", "2023-05-16T09:00", "--outbox", str(outbox), "--db", db)
    letters = mails(outbox)
    urged = [m for m in letters if "【催办】" in str(m["Subject"])]
    assert len(urged) > 3
    for m in urged:
        assert "经" not in body(m).split("依据")[0], body(m)
        assert "仍未完成" not in body(m)
        assert "逾期后首次发函，为催办" in body(m)
    assert [
        m for m in letters if "【通报】" in str(m["Subject"]) or "【督办】" in str(m["Subject"])
    ] == []
    # nothing reached the top rung: the leadership gets the month's one report (numbered in its
    # own series), naming only the key items, never a copy of each letter
    to_leaders = [m for m in letters if "leaders@example.org" in recipients(m)]
    assert len(to_leaders) == 1
    assert "【情况报告】巴南乡振专报〔2023〕1号" in str(to_leaders[0]["Subject"])
    assert "催办20项" in body(to_leaders[0]) and "全部20项见附件《督办事项清单》" in body(
        to_leaders[0]
    )
    assert all(m["Cc"] is None for m in letters)


def test_an_escalation_quotes_the_letters_actually_sent(tmp_path: Path) -> None:
    """A 督办 refers to the 催办 only as the record shows it: its date and its number."""
    plan = str(banan_live_from(tmp_path))
    db, outbox = str(tmp_path / "w.db"), tmp_path / "outbox"
    run("load", plan, "--db", db)
    for day in ("2023-05-04", "2023-05-09"):
        run("tick", "--as-of", day, "--db", db)
        run("run", "--once", "--now", f"{day}T09:00", "--outbox", str(outbox), "--db", db)
    letters = mails(outbox)
    first = [m for m in letters if "【催办】" in str(m["Subject"])]
    numbers = {re.search(r"巴南乡振督〔2023〕\d+号", str(m["Subject"])).group() for m in first}  # type: ignore[union-attr]
    assert len(numbers) == len(first), "each letter its own number"
    escalations = [m for m in letters if "【督办】" in str(m["Subject"])]
    assert escalations
    quoted = [m for m in escalations if "此前：经2023年5月4日催办（巴南乡振督〔2023〕" in body(m)]
    assert quoted, [body(m) for m in escalations]
    for m in quoted:
        number = re.search(r"经2023年5月4日催办（(巴南乡振督〔2023〕\d+号)）", body(m))
        assert number is not None and number.group(1) in numbers
    # numbers run in sequence, none skipped or given twice
    given = sorted(
        int(n) for m in letters for n in re.findall(r"巴南乡振督〔2023〕(\d+)号", str(m["Subject"]))
    )
    assert given == list(range(1, len(given) + 1))


# 5. letters do not mix days --------------------------------------------------------------------


def test_a_letter_states_the_figures_of_the_day_it_is_dated(tmp_path: Path) -> None:
    """Owed on 13 July, sent on 17 July: the letter's 序时进度 is the 17 July figure."""
    db, outbox = str(tmp_path / "w.db"), tmp_path / "outbox"
    run("load", EXAMPLE, "--db", db)
    run(
        "progress", "record", "1", "--value", "40", "--as-of", "2023-06-30", "--by", "区财政局",
        "--db", db,
    )  # fmt: skip
    run("tick", "--as-of", "2023-07-13", "--db", db)
    run("tick", "--as-of", "2023-07-17", "--db", db)
    run("run", "--once", "--now", "2023-07-17T09:00", "--outbox", str(outbox), "--db", db)
    [warning] = [m for m in mails(outbox) if "序时进度" in body(m) and "czj@" in str(m["To"])]
    text = body(warning)
    assert "按序时进度截至2023年7月17日应达到54.25%" in text, text
    assert "53.15" not in text
    assert "2023年7月17日" in text.splitlines()[-4]  # the date it is signed


def test_dispatch_without_a_business_clock_dates_letters_by_their_facts(tmp_path: Path) -> None:
    """`dispatch` by hand today, for notices of 2023: no "已逾期913个工作日"."""
    db, outbox = str(tmp_path / "w.db"), tmp_path / "outbox"
    run("load", EXAMPLE, "--db", db)
    run("tick", "--as-of", "2023-05-04", "--db", db)
    run("dispatch", "--ignore-hours", "--outbox", str(outbox), "--db", db)
    letters = mails(outbox)
    assert letters
    for m in letters:
        late = [int(n) for n in re.findall(r"已逾期(\d+)个工作日", body(m))]
        assert all(n < 60 for n in late), late
    # a metric never reported says so in words
    never = [m for m in letters if "中央衔接资金支出进度" in body(m)]
    assert never and all("目前为—" not in body(m) for m in never)
    assert any("尚未报送" in body(m) for m in never)


# 6. one state, one rule ---------------------------------------------------------------------------


def test_a_metric_ahead_of_pace_is_not_behind(tmp_path: Path) -> None:
    """60.54% against a 序时进度 of 53.15%: on track, as the evaluator sees it."""
    db = str(tmp_path / "w.db")
    run("load", EXAMPLE, "--db", db)
    run(
        "progress", "record", "1", "--value", "60.54", "--as-of", "2023-07-13", "--by",
        "区财政局", "--db", db,
    )  # fmt: skip
    data = json.loads(run("status", "--as-of", "2023-07-13", "--format", "json", "--db", db).stdout)
    [metric] = data["items"][0]["metrics"]
    assert (metric["expected"], metric["state"]) == (53.15, "on track")


# 7. an old plan closes ---------------------------------------------------------------------------


def test_an_old_plan_escalates_no_more(tmp_path: Path) -> None:
    db = str(tmp_path / "w.db")
    run("--lang", "en", "load", BANAN, "--db", db)
    out = run("--lang", "en", "tick", "--as-of", "2026-11-30", "--db", db).stdout
    assert out.strip().endswith(
        "2026-11-30: 0 notices owed, 0 added, 0 already stored, 0 superseded"
    )
    status = run("--lang", "en", "status", "--as-of", "2026-11-30", "--db", db).stdout
    assert "the plan closed on 2024-03-04" in status
    data = json.loads(
        run(
            "--lang", "en", "status", "--as-of", "2026-11-30", "--format", "json", "--db", db
        ).stdout
    )
    assert data["closed"] is True and data["closes_on"] == "2024-03-04"
    # the last day of its grace it is still chased
    still = json.loads(
        run("--lang", "en", "tick", "--as-of", "2024-03-04", "--format", "json", "--db", db).stdout
    )
    assert still


# 8. a calendar that knows what it does not know ---------------------------------------------

PLAN_2027 = """\
id: next-2027
title: 2027年工作要点
year: 2027
issued: 2027-01-04
office: 区委农办
departments:
  - {name: 区委农办, email: office@example.org}
chapters:
  - number: 1
    title: 一
    tasks:
      - number: 1
        title: 月调度
        text: 每月调度。
        lead: 区委农办
        recurring:
          - {id: dispatch, title: 月调度, every: month}
"""

# A hand-written schedule (the official 2027 one was not published where this project could
# find it when this was written): Spring Festival 6-12 February, with Saturday 13 February a
# working day.  It tests the mechanism, not the State Council's dates.
CALENDAR_2027 = """\
country: CN
year: 2027
source: hand-written for the tests
holidays: [2027-01-01, 2027-02-06, 2027-02-07, 2027-02-08, 2027-02-09, 2027-02-10, 2027-02-11, 2027-02-12]
working_days: [2027-02-13]
"""


def test_a_year_without_an_official_schedule_is_a_warning(tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN_2027, encoding="utf-8")
    checked = run("--lang", "en", "validate", str(plan))
    assert "ok: next-2027" in checked.stdout
    assert "warning: the installed holidays data has no official schedule for 2027" in (
        checked.stderr
    )
    assert "calendar file" in checked.stderr
    db = str(tmp_path / "w.db")
    run("--lang", "en", "load", str(plan), "--db", db)
    ticked = run("--lang", "en", "tick", "--as-of", "2027-02-13", "--db", db)
    assert "no official schedule for 2027" in ticked.stderr

    (tmp_path / "cn-2027.yaml").write_text(CALENDAR_2027, encoding="utf-8")
    plan.write_text(
        PLAN_2027.replace(
            "office: 区委农办\n", "office: 区委农办\ncalendar: {files: [cn-2027.yaml]}\n"
        ),
        encoding="utf-8",
    )
    checked = run("--lang", "en", "validate", str(plan))
    assert "schedule for 2027" not in checked.stderr
    # (the grace runs into January 2028, whose schedule is not known either: said, rightly)
    assert "schedule for 2028" in checked.stderr
    db2 = str(tmp_path / "w2.db")
    run("--lang", "en", "load", str(plan), "--db", db2)
    # the swapped Saturday is a working day: February's duty is reminded on it (the 3rd
    # working day before 28 February is Wednesday 24th; the 13th is evaluated at all)
    ticked = run("--lang", "en", "tick", "--as-of", "2027-02-13", "--format", "json", "--db", db2)
    assert "2027" not in ticked.stderr
    holiday = run("--lang", "en", "tick", "--as-of", "2027-02-10", "--format", "json", "--db", db2)
    assert json.loads(holiday.stdout) == []


def test_a_calendar_file_is_checked(tmp_path: Path) -> None:
    (tmp_path / "cn-2027.yaml").write_text(
        CALENDAR_2027.replace("working_days: [2027-02-13]", "working_days: [2026-02-14]"),
        encoding="utf-8",
    )
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        PLAN_2027.replace(
            "office: 区委农办\n", "office: 区委农办\ncalendar: {files: [cn-2027.yaml]}\n"
        ),
        encoding="utf-8",
    )
    out = run("validate", str(plan), code=2).stderr
    assert "cn-2027.yaml:5:16: working_days[0]: 2026-02-14 is not in 2027, the file's year" in out
