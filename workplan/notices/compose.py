"""Composition: a claimed group of notices becomes one message, composed once.

A message is one recipient's letter of the day: a department's daily digest of reminders,
each escalation on its own, the office's and the leadership's summaries.  Its letter data is
read from the store in a few queries for a whole batch (the departments, the items' titles,
the plans' reminder and escalation rules, the earlier documents about each item, the return
form of a department's first digest of a month), and the letter templates render it once:
its subject and text are every channel's words (``workplan.channels.base.Composed``).
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from jinja2 import Environment
from sqlalchemy import Connection, and_, func, select, tuple_

from workplan.channels.base import Composed, Mail, Party
from workplan.channels.mail import domain_of, message_id
from workplan.notices.forming import DIGEST
from workplan.notices.letters import Earlier, Letter, Message, letter
from workplan.notices.report_up import attachment
from workplan.plan.calendar import Calendars, WorkCalendar
from workplan.plan.settings import NumberFormats, PlanSettings
from workplan.rules.evaluate import LEADERSHIP
from workplan.rules.kinds import REPORT_UP, SHORTFALL, STAGE_OVERDUE, STAGE_WARN, rule_kind
from workplan.store.links import LinkSettings
from workplan.store.snapshot import rules_from_json
from workplan.store.tables import T_DEPT, T_METRIC, T_NOTICE, T_OBL, T_PLAN, T_RULES, T_TASK

DATE_FACTS = ("deadline", "planned", "reported_on", "remind_from")


class Renderer(Protocol):
    """What composition needs from the templates."""

    env: Environment
    """where each channel finds its own template (the office's, then the shipped ones)"""

    def render(self, message: Message) -> Any:
        """Return an object with subject, text and html."""


@dataclass
class Plan:
    """What composing and sending need of a plan."""

    id: int
    key: str
    title: str
    year: int
    timezone: str
    locale: str
    office: str
    issuer: str | None
    leadership: tuple[Party, ...]
    digest: bool
    hours: tuple[int, int]
    calendar: WorkCalendar
    office_email: str | None = None
    return_form: bool = False
    """attach the department's return form to its first digest of each month"""
    numbering: NumberFormats = field(default_factory=NumberFormats)
    """the plan's document numbers, taken when a letter goes out"""


@dataclass
class Group:
    """The notices of one message, as claimed."""

    message_id: str
    plan_id: int
    department: str
    digest: bool
    rows: list[dict[str, Any]]


@dataclass(frozen=True)
class Issued:
    """A message composed for its recipient, with what the office's record keeps of it."""

    composed: Composed
    message: Message
    """its letter data (``composed.letter``)"""
    kind: str
    department: str
    plan_id: int


def plans(conn: Connection) -> dict[int, Plan]:
    """Read every plan, as composing and sending need it."""
    office_rows = select(T_DEPT.c.plan_id, T_DEPT.c.name, T_DEPT.c.emails).join(
        T_PLAN, and_(T_PLAN.c.id == T_DEPT.c.plan_id, T_PLAN.c.office == T_DEPT.c.name)
    )
    offices = {(r.plan_id, r.name): json.loads(r.emails) for r in conn.execute(office_rows)}
    out = {}
    for r in conn.execute(select(T_PLAN)).mappings():
        settings = PlanSettings.from_json(r["settings"])
        notices = settings.notices
        out[r["id"]] = Plan(
            r["id"],
            r["key"],
            r["title"],
            r["year"],
            r["timezone"],
            r["locale"],
            r["office"],
            settings.issuer,
            tuple(Party(name or email, (email,)) for name, email in settings.leadership),
            notices.digest,
            notices.hours,
            Calendars().get(settings.calendar, r["year"]),
            (offices.get((r["id"], r["office"])) or [None])[0],
            notices.return_form,
            settings.numbering,
        )
    return out


def sending_now(plan: Plan, now: datetime) -> bool:
    """Return True inside the plan's sending hours on one of its working days."""
    local = now.astimezone(ZoneInfo(plan.timezone))
    start, end = plan.hours
    return plan.calendar.is_working_day(local.date()) and start <= local.hour < end


def digest_of(row: dict[str, Any]) -> bool:
    """Whether a notice composed before went in a digest: a letter made by tick (its document
    says which), or one composed by dispatch (reminders and warnings go in digests)."""
    return bool(row["document"] == DIGEST if row["document"] else row["stage"] < STAGE_OVERDUE)


def shared_act(row: dict[str, Any]) -> bool:
    """Whether a notice's letter is a copy of the day's shared act (its 通报: one document, one
    number, a 主送 list of the departments it names), not an act of its own (a 督办单)."""
    return rule_kind(row["rule"]).letter_at(row["level"]) == "bulletin"


def ordered(group: Group) -> list[dict[str, Any]]:
    """A message's notices in the order its letter lists them: the gravest first."""
    return sorted(group.rows, key=lambda r: (-r["stage"], r["due"], r["id"]))


def message_id_for(rows: list[dict[str, Any]], plan: Plan, sender: str | None) -> str:
    """The Message-ID of a message of these notices: the same on every retry."""
    domain = domain_of(sender or plan.office_email or "workplan@workplan.invalid")
    return message_id([plan.key, *(r["key"] for r in rows)], domain)


class Composer:
    """Build messages from claimed notices, caching what many messages share."""

    def __init__(
        self,
        conn: Connection,
        plans: dict[int, Plan],
        renderer: Renderer,
        *,
        sender: str | None = None,
        links: LinkSettings | None = None,
    ):
        self.conn = conn
        self.plans = plans
        self.renderer = renderer
        self.sender = sender
        self.links = links
        self.departments: dict[tuple[int, str], dict[str, Any]] = {}
        self.tasks: dict[int, str] = {}
        self.rules: dict[int, tuple[tuple[int, ...], tuple[tuple[int, str, int], ...]]] = {}
        self.shortfall: dict[int, tuple[tuple[int, str, int], ...]] = {}
        """each policy's shortfall ladder (未达到), as its letters' 依据 states it"""
        self.earlier: dict[tuple[str, str], list[tuple[int, str, Earlier]]] = {}
        self.forms: dict[str, list[tuple[str, str, bytes]]] = {}
        self.addressees: dict[str, tuple[str, ...]] = {}
        """the departments each shared act (the day's 通报) names, by its number (主送)"""

    def prepare(self, groups: list[Group], *, forms: bool = True) -> None:
        plan_ids = sorted({g.plan_id for g in groups})
        for r in self.conn.execute(select(T_DEPT).where(T_DEPT.c.plan_id.in_(plan_ids))).mappings():
            self.departments[(r["plan_id"], r["name"])] = dict(r)
        task_ids = sorted({r["task_id"] for g in groups for r in g.rows} - set(self.tasks))
        for start in range(0, len(task_ids), 900):
            query = select(T_TASK.c.id, T_TASK.c.title).where(
                T_TASK.c.id.in_(task_ids[start : start + 900])
            )
            self.tasks.update({r.id: r.title for r in self.conn.execute(query)})
        rules_of = select(T_RULES.c.id, T_RULES.c.body).where(T_RULES.c.plan_id.in_(plan_ids))
        for rule_id, body in self.conn.execute(rules_of):
            rules = rules_from_json(body)
            self.rules[rule_id] = (
                rules.remind,
                tuple((s.level, s.name, s.after) for s in rules.escalate),
            )
            steps = rules.shortfall if rules.shortfall is not None else rules.escalate
            self.shortfall[rule_id] = tuple((s.level, s.name, s.after) for s in steps)
        self.notice_rules: dict[int, int] = {}
        ids = [r["id"] for g in groups for r in g.rows]
        for start in range(0, len(ids), 900):
            chunk = ids[start : start + 900]
            query = (
                select(
                    T_NOTICE.c.id,
                    func.coalesce(T_OBL.c.rules_id, T_METRIC.c.rules_id).label("rules_id"),
                )
                .select_from(
                    T_NOTICE.outerjoin(T_OBL, T_OBL.c.id == T_NOTICE.c.obligation_id).outerjoin(
                        T_METRIC, T_METRIC.c.id == T_NOTICE.c.metric_id
                    )
                )
                .where(T_NOTICE.c.id.in_(chunk))
            )
            self.notice_rules.update({r.id: r.rules_id for r in self.conn.execute(query)})
        self.history(groups)
        self.acts(groups)
        if forms:
            self.return_forms(groups)

    def party(self, plan_id: int, name: str) -> Party:
        row = self.departments.get((plan_id, name))
        emails = tuple(json.loads(row["emails"])) if row else ()
        return Party(name, emails)

    def roots(self, groups: list[Group]) -> dict[str, str | None]:
        """For each letter, the Message-ID of the first message to the same recipient about one
        of its items (the oldest such conversation): its escalations thread under it.  One
        query a few hundred items."""
        singles = [g for g in groups if not g.digest]
        out: dict[str, str | None] = {g.message_id: None for g in groups}
        pairs = sorted({(r["subject"], r["department"]) for g in singles for r in g.rows})
        earliest: dict[tuple[str, str], list[tuple[int, str]]] = {}
        for start in range(0, len(pairs), 300):
            query = (
                select(
                    T_NOTICE.c.subject, T_NOTICE.c.department, T_NOTICE.c.id, T_NOTICE.c.message_id
                )
                .where(
                    tuple_(T_NOTICE.c.subject, T_NOTICE.c.department).in_(
                        pairs[start : start + 300]
                    ),
                    T_NOTICE.c.message_id.is_not(None),
                )
                .order_by(T_NOTICE.c.id)
            )
            for subject, department, notice_id, mid in self.conn.execute(query):
                earliest.setdefault((subject, department), []).append((notice_id, mid))
        for g in singles:
            first = min(g.rows, key=lambda r: r["id"])
            candidates = [
                (notice_id, mid)
                for r in g.rows
                for notice_id, mid in earliest.get((r["subject"], r["department"]), [])[:1]
                if notice_id < first["id"] and mid != g.message_id
            ]
            if candidates:
                out[g.message_id] = min(candidates)[1]
        return out

    def history(self, groups: list[Group]) -> None:
        """Read, for every line of these letters, the documents about it sent before."""
        self.earlier = {}
        pairs = sorted({(r["subject"], r["period"]) for g in groups for r in g.rows})
        for start in range(0, len(pairs), 300):
            query = (
                select(
                    T_NOTICE.c.subject,
                    T_NOTICE.c.period,
                    T_NOTICE.c.stage,
                    T_NOTICE.c.level_name,
                    func.coalesce(T_NOTICE.c.as_of, T_NOTICE.c.evaluated_on),
                    T_NOTICE.c.doc_number,
                    T_NOTICE.c.department,
                )
                .where(
                    tuple_(T_NOTICE.c.subject, T_NOTICE.c.period).in_(pairs[start : start + 300]),
                    T_NOTICE.c.status == "sent",
                    T_NOTICE.c.stage >= STAGE_WARN,
                    T_NOTICE.c.department != LEADERSHIP,
                )
                .distinct()
            )
            for subject, period, stage, name, day, number, to in self.conn.execute(query):
                self.earlier.setdefault((subject, period), []).append(
                    (stage, to, Earlier(name, day, number))
                )

    def acts(self, groups: list[Group]) -> None:
        """Read the 主送 list of each shared act these letters carry (the day's 通报: one
        number, an e-mail to each department it names)."""
        numbers = sorted(
            {
                r["doc_number"]
                for g in groups
                for r in g.rows[:1]
                if r["doc_number"] and g.department != LEADERSHIP and shared_act(r)
            }
        )
        self.addressees = {}
        if not numbers:
            return
        query = (
            select(T_NOTICE.c.doc_number, T_NOTICE.c.department)
            .where(
                T_NOTICE.c.doc_number.in_(numbers),
                T_NOTICE.c.department != LEADERSHIP,
                T_NOTICE.c.status != "superseded",
            )
            .distinct()
        )
        found: dict[str, set[str]] = {}
        for number, department in self.conn.execute(query):
            found.setdefault(number, set()).add(department)
        self.addressees = {n: tuple(sorted(d)) for n, d in found.items()}

    def earlier_than(self, row: dict[str, Any]) -> tuple[Earlier, ...]:
        """The documents about a line's item sent before it, at lower levels, oldest first:
        those its recipient received (a letter cites only what its addressee has); the
        leadership's report lists what was issued, to whomever."""
        found = self.earlier.get((row["subject"], row["period"]), [])
        everyone = row["department"] == LEADERSHIP
        seen: dict[tuple[str, str | None], Earlier] = {}
        for stage, to, doc in sorted(found, key=lambda p: (p[2].day, p[0])):
            if stage < row["stage"] and (everyone or to == row["department"]):
                seen.setdefault((doc.level_name, doc.number), doc)
        return tuple(seen.values())

    def letter(self, row: dict[str, Any], plan: Plan, today: date) -> Letter:
        facts = json.loads(row["facts"])
        for name in DATE_FACTS:
            if isinstance(facts.get(name), str):
                facts[name] = date.fromisoformat(facts[name])
        rules_id = self.notice_rules.get(row["id"], -1)
        remind, ladder = self.rules.get(rules_id, ((), ()))
        if row["rule"] == SHORTFALL.name:
            ladder = self.shortfall.get(rules_id, ladder)
        return letter(
            rule=row["rule"],
            level=row["level"],
            level_name=row["level_name"],
            item=row["task_number"],
            item_title=self.tasks.get(row["task_id"], ""),
            due=row["due"],
            facts=facts,
            today=today,
            calendar=plan.calendar,
            remind_days=remind,
            ladder=ladder,
            locale=plan.locale,
            recipient=row["department"],
            history=self.earlier_than(row),
        )

    def return_forms(self, groups: list[Group]) -> None:
        """Make the return forms the plans ask for: a department's first digest of a month
        carries its form for that month (read now, while the connection is open)."""
        self.forms = {}
        for group in groups:
            plan = self.plans[group.plan_id]
            report = [r for r in group.rows if r["rule"] == REPORT_UP.name]
            if report:  # the month's report to the leadership: its full list attached
                self.forms[group.message_id] = [
                    attachment(json.loads(report[0]["facts"]), plan.locale)
                ]
                continue
            if not (plan.return_form and group.digest) or group.department == LEADERSHIP:
                continue
            days = [r["as_of"] for r in group.rows if r["as_of"] is not None]
            if days:
                self.forms[group.message_id] = self.return_form(plan, group, max(days))

    def return_form(self, plan: Plan, group: Group, today: date) -> list[tuple[str, str, bytes]]:
        """The department's return form for the month, when this is its first digest of it."""
        first = today.replace(day=1)
        earlier = self.conn.execute(
            select(T_NOTICE.c.id)
            .where(
                T_NOTICE.c.plan_id == plan.id,
                T_NOTICE.c.department == group.department,
                T_NOTICE.c.document == DIGEST,
                T_NOTICE.c.status == "sent",
                T_NOTICE.c.as_of >= first,
                T_NOTICE.c.message_id != group.message_id,
            )
            .limit(1)
        ).first()
        if earlier is not None:
            return []
        from workplan.store import refs, returnform

        form = returnform.owed(
            self.conn, refs.find_plan(self.conn, plan.key), group.department, first
        )
        with tempfile.TemporaryDirectory(prefix="workplan-form-") as scratch:
            path = Path(scratch) / "form.xlsx"
            returnform.write(form, path)
            data = path.read_bytes()
        name = f"{group.department}-{first:%Y-%m}.xlsx"
        kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return [(name, kind, data)]

    def message(self, group: Group, now: datetime) -> Message:
        """The letter data of a group's message: what every channel renders (the e-mail, and
        the group robots' digests)."""
        plan = self.plans[group.plan_id]
        # the letter is dated the day its facts are for (tick brings a waiting letter up to
        # each new day); a letter of an earlier run without that day takes the business clock
        days = [r["as_of"] for r in group.rows if r["as_of"] is not None]
        today = max(days) if days else now.astimezone(ZoneInfo(plan.timezone)).date()
        rows = ordered(group)
        letters = tuple(self.letter(r, plan, today) for r in rows)
        roles = {role for r in rows for role in json.loads(r["roles"])}
        leaders = group.department == LEADERSHIP
        if leaders:
            department = Party("领导小组" if plan.locale == "zh-CN" else "Leadership group", ())
        else:
            department = self.party(plan.id, group.department)
        head_row = self.departments.get((plan.id, group.department))
        head = None
        if "heads" in roles and head_row and head_row["head_email"] and not leaders:
            head = Party(
                head_row["head_name"] or f"{group.department}负责同志", (head_row["head_email"],)
            )
        summary = leaders or all(letter.copy for letter in letters)
        return Message(
            kind="digest" if group.digest else letters[0].kind,
            locale=plan.locale,
            today=today,
            plan_title=plan.title,
            plan_year=plan.year,
            issuer=plan.issuer or plan.office,
            office=self.party(plan.id, plan.office),
            department=department,
            letters=letters,
            head=head,
            number=next((r["doc_number"] for r in rows if r["doc_number"]), None),
            summary=summary,
            document=rows[0]["document"],
            addressees=self.addressees.get(rows[0]["doc_number"] or "", ()),
            # the department's own page, never another's: the link names the department
            report_url=self.links.url_for(plan.key, group.department, now)
            if self.links and not summary
            else None,
            return_form=next((name for name, _, _ in self.forms.get(group.message_id, [])), None),
        )

    def compose(self, group: Group, now: datetime, root: str | None) -> Issued:
        """Compose a group's message once: its letter data, rendered by the letter templates
        (``root``: the conversation its e-mail answers)."""
        plan = self.plans[group.plan_id]
        message = self.message(group, now)
        office, head = message.office, message.head
        if group.department == LEADERSHIP:
            to = list(plan.leadership) or [office]  # a plan without leadership: the office
        else:
            to = [message.department]
        rendered = self.renderer.render(message)
        sender = self.sender or (office.emails[0] if office.emails else "workplan@workplan.invalid")
        mail = Mail(
            html=rendered.html,
            sender=Party(plan.office, (sender,)),
            to=(*to, *([head] if head else [])),
            date=now.astimezone(ZoneInfo(plan.timezone)),
            in_reply_to=root,
            notices=tuple(str(r["id"]) for r in ordered(group)),
            attachments=tuple(self.forms.get(group.message_id, [])),
        )
        composed = Composed(group.message_id, rendered.subject, rendered.text, message, mail)
        return Issued(composed, message, message.kind, group.department, plan.id)
