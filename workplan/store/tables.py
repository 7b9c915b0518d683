"""The tables, in SQLAlchemy Core: the same schema on SQLite and PostgreSQL.

Days are stored as ISO text on SQLite and DATE on PostgreSQL; instants as aware UTC.  Every
query in workplan is written in Core against these tables, so no ORM (and no model class
machinery) is loaded by a command.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    DDL,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
    or_,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.schema import CreateIndex
from sqlalchemy.types import Date, TypeDecorator

metadata = MetaData()


class Day(TypeDecorator[date]):
    """A calendar day: DATE on PostgreSQL, ISO text on SQLite (parsed with fromisoformat)."""

    impl = Date
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(10))
        return dialect.type_descriptor(Date())

    # PostgreSQL's driver reads and writes DATE as ``date`` itself: no processing per value
    def bind_processor(self, dialect: Dialect) -> Any:
        return super().bind_processor(dialect) if dialect.name == "sqlite" else None

    def result_processor(self, dialect: Dialect, coltype: Any) -> Any:
        """SQLite: ISO text to a day, each text parsed once (a tick reads hundreds of
        thousands of days, a few hundred distinct)."""
        if dialect.name != "sqlite":
            return None
        return parse_day

    def process_bind_param(self, value: date | None, dialect: Dialect) -> Any:
        if value is None or dialect.name != "sqlite":
            return value
        return value.isoformat()

    def process_result_value(self, value: Any, dialect: Dialect) -> date | None:
        if value is None or isinstance(value, date):
            return value
        return date.fromisoformat(value)


_DAYS: dict[Any, date] = {}


def parse_day(value: Any) -> date | None:
    """A day as SQLite keeps it (ISO text), or as PostgreSQL's driver gives it, as a day."""
    if value is None:
        return None
    found = _DAYS.get(value)
    if found is None:
        if len(_DAYS) > 100_000:
            _DAYS.clear()
        found = _DAYS[value] = value if isinstance(value, date) else date.fromisoformat(value)
    return found


class Instant(TypeDecorator[datetime]):
    """A moment: an aware datetime, stored in UTC and read back aware (SQLite keeps no zone)."""

    impl = DateTime
    cache_ok = True

    def __init__(self) -> None:
        super().__init__(timezone=True)

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.utcoffset() is None:
            raise ValueError("an instant needs its time zone: use an aware datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.utcoffset() is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _plan_id(*, index: bool = False) -> Column[Any]:
    return Column("plan_id", Integer(), ForeignKey("plan.id"), nullable=False, index=index)


def _ref(
    name: str,
    refers_to: str,
    *,
    nullable: bool = True,
    index: bool = False,
    primary_key: bool = False,
) -> Column[Any]:
    """A reference to a kept row, from a table that a load or an evaluation writes in bulk
    (a plan's departments, tasks, owners, policies, metrics and obligations; the notices).

    Not a FOREIGN KEY: PostgreSQL checks one by a trigger per inserted row, which was most of
    the time of loading obligations and of storing a day's notices, and on the small tables
    about a millisecond a plan.  What the key guarded is
    kept another way: the rows referred to (plans, tasks, metrics, policies, obligations) can
    never be deleted (:data:`KEPT`), and the writers take the ids they write from rows read
    in the same transaction (``tests/store/test_references.py`` checks every reference).
    """
    return Column(
        name,
        Integer(),
        nullable=nullable and not primary_key,
        index=index,
        primary_key=primary_key,
        info={"refers_to": refers_to},
    )


T_META = Table(
    "meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", String(), nullable=False),
)

T_PLAN = Table(
    "plan",
    metadata,
    Column("id", Integer(), primary_key=True),
    Column("key", String(64), nullable=False, unique=True),
    Column("title", String(), nullable=False),
    Column("year", Integer(), nullable=False),
    Column("issued", Day()),
    Column("timezone", String(), nullable=False),
    Column("locale", String(), nullable=False),
    Column("office", String(), nullable=False),
    Column("settings", Text(), nullable=False),
    Column("version", Integer(), nullable=False, default=1),
    Column("fingerprint", String(64), nullable=False),
    Column("loaded_at", Instant(), nullable=False),
    # the change marker of the plan's facts: moved by every write a tick reads or acts on
    # (workplan.store.changes.facts_changed), so a repeated tick skips a plan it leaves alone
    Column("facts_version", Integer(), nullable=False, default=0),
)

T_VERSION = Table(
    "plan_version",
    metadata,
    Column("id", Integer(), primary_key=True),
    _ref("plan_id", "plan", nullable=False, index=True),
    Column("version", Integer(), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("source_path", String(), nullable=False),
    Column("source_text", Text(), nullable=False),
    Column("changes", Text(), nullable=False),
    Column("loaded_at", Instant(), nullable=False),
    UniqueConstraint("plan_id", "version"),
)

T_DEPT = Table(
    "department",
    metadata,
    Column("id", Integer(), primary_key=True),
    _ref("plan_id", "plan", nullable=False, index=True),
    Column("name", String(), nullable=False),
    Column("emails", String(), nullable=False),
    Column("head_name", String()),
    Column("head_email", String()),
    Column("aliases", String(), nullable=False, default="[]"),
    # the group robots (names of [robots.NAME] config sections) that also get its notices
    Column("robots", String(), nullable=False, default="[]"),
    UniqueConstraint("plan_id", "name"),
)

T_TASK = Table(
    "task",
    metadata,
    Column("id", Integer(), primary_key=True),
    _ref("plan_id", "plan", nullable=False, index=True),
    Column("number", Integer(), nullable=False),
    Column("chapter", Integer(), nullable=False),
    Column("chapter_title", String(), nullable=False),
    Column("title", String(), nullable=False),
    Column("text", Text(), nullable=False),
    Column("lead", String(), nullable=False),
    Column("co", String(), nullable=False),
    Column("active", Boolean(), nullable=False, default=True),
    Column("signed_off_at", Instant()),
    Column("signed_off_by", String()),
    UniqueConstraint("plan_id", "number"),
)

# Which departments answer for a task (for filtering in SQL).
T_OWNER = Table(
    "task_owner",
    metadata,
    _ref("task_id", "task", primary_key=True),
    Column("department", String(), primary_key=True),
    Column("role", String(8), nullable=False),
)

# A resolved reminder and escalation policy, shared by every obligation that uses it.
T_RULES = Table(
    "rules",
    metadata,
    Column("id", Integer(), primary_key=True),
    _ref("plan_id", "plan", nullable=False, index=True),
    Column("fingerprint", String(64), nullable=False),
    Column("body", Text(), nullable=False),
    UniqueConstraint("plan_id", "fingerprint"),
)

T_METRIC = Table(
    "metric",
    metadata,
    Column("id", Integer(), primary_key=True),
    _ref("plan_id", "plan", nullable=False, index=True),
    _ref("task_id", "task", nullable=False),
    Column("key", String(), nullable=False),
    Column("title", String(), nullable=False),
    Column("unit", String(), nullable=False),
    Column("direction", String(8), nullable=False),
    Column("cumulative", Boolean(), nullable=False),
    Column("baseline", Float(), nullable=False),
    Column("target", Float()),
    Column("target_by", Day()),
    Column("pace_start", Day()),
    Column("pace_until", Day()),
    Column("pace_tolerance", Float()),
    Column("report", String()),
    Column("owners", String()),
    _ref("rules_id", "rules", nullable=False),
    Column("active", Boolean(), nullable=False, default=True),
    # other names departments use for it (a JSON list), beside its id and title
    Column("aliases", String()),
    # 'ratio' (derived as numerator ÷ denominator), or a part reported on its own:
    # 'numerator', 'denominator' or 'benchmark', of the metric keyed part_of
    Column("part", String(12)),
    Column("part_of", String()),
    UniqueConstraint("task_id", "key"),
)


def _partial(name: str, column: str, where: str) -> Index:
    """An index of the rows for which ``where`` holds, on either backend.

    Declared once, without ``sqlite_where`` and ``postgresql_where``: a dialect's option
    imports that dialect (PostgreSQL's and its five drivers), on every SQLite read too.
    """
    return Index(name, column, info={"where": where})


@compiles(CreateIndex)
def _create_index(create: CreateIndex, compiler: Any, **kw: Any) -> str:
    sql: str = compiler.visit_create_index(create, **kw)
    where = create.element.info.get("where")
    return f"{sql} WHERE {where}" if where else sql


# One dated obligation: a deliverable, one occurrence of a duty, or one checkpoint.
T_OBL = Table(
    "obligation",
    metadata,
    Column("id", Integer(), primary_key=True),
    _ref("plan_id", "plan", nullable=False),
    _ref("task_id", "task", nullable=False),
    Column("key", String(), nullable=False),
    Column("kind", String(12), nullable=False),
    Column("source", String(), nullable=False),
    Column("title", String(), nullable=False),
    Column("opens", Day()),
    Column("due", Day(), nullable=False),
    Column("deadline", Day(), nullable=False),
    _ref("metric_id", "metric"),
    Column("target", Float()),
    Column("owners", String()),
    _ref("rules_id", "rules", nullable=False),
    Column("active", Boolean(), nullable=False, default=True),
    Column("done_on", Day()),
    Column("done_by", String()),
    Column("done_note", String()),
    # where reports are reviewed (复核): the day the department reported it done, while the
    # report waits for the office (done_on stays empty until the office accepts it)
    Column("reported_on", Day()),
    # other names departments use for its deliverable or duty (a JSON list)
    Column("aliases", String()),
    # an any_of checkpoint: the benchmark metric whose value also meets it
    _ref("benchmark_id", "metric"),
    UniqueConstraint("task_id", "key"),
    # the open obligations, which is what a tick reads: a small part of a year's rows
    _partial("ix_obligation_open", "deadline", "done_on IS NULL"),
    _partial("ix_obligation_done", "done_on", "done_on IS NOT NULL"),
    # the reports waiting for the office's review (复核): few, read each morning
    _partial(
        "ix_obligation_reported", "reported_on", "reported_on IS NOT NULL AND done_on IS NULL"
    ),
)

# A report from a department: a metric's value, or a note against a task.
T_PROGRESS = Table(
    "progress",
    metadata,
    Column("id", Integer(), primary_key=True),
    _plan_id(index=True),
    Column("task_id", Integer(), ForeignKey("task.id"), nullable=False),
    Column("metric_id", Integer(), ForeignKey("metric.id")),
    Column("value", Float()),
    Column("as_of", Day(), nullable=False),
    Column("department", String(), nullable=False),
    Column("note", String()),
    Column("recorded_at", Instant(), nullable=False),
    # the report that corrected this one (same metric and day): kept as history, never read
    # as the value
    Column("replaced_by", Integer()),
    # where reports are reviewed (复核): 'pending' until the office accepts it ('accepted') or
    # sends it back ('returned'); only a value without review, or accepted, counts
    Column("review", String(8)),
    Index("ix_progress_metric_asof", "metric_id", "as_of"),
    _partial("ix_progress_pending", "metric_id", "review = 'pending'"),
)


def counted(p: Any) -> Any:
    """The condition a value of ``p`` (the progress table or an alias) counts on: reported
    where no review applies, or accepted by the office (复核)."""
    return or_(p.c.review.is_(None), p.c.review == "accepted")


def standing(p: Any) -> Any:
    """The condition a value of ``p`` stands on: not sent back (退回); counted or pending."""
    return or_(p.c.review.is_(None), p.c.review != "returned")


# A notice owed to a department: the outbox that delivery reads.  Its key is unique:
# evaluating a day twice, or two schedulers at once, cannot owe the same notice twice.
T_NOTICE = Table(
    "notice",
    metadata,
    Column("id", Integer(), primary_key=True),
    _ref("plan_id", "plan", nullable=False),
    Column("key", String(), nullable=False),
    _ref("task_id", "task", nullable=False),
    _ref("obligation_id", "obligation"),
    _ref("metric_id", "metric"),
    Column("subject", String(24), nullable=False),
    Column("department", String(), nullable=False),
    Column("rule", String(16), nullable=False),
    Column("level", Integer(), nullable=False),
    Column("level_name", String(), nullable=False),
    Column("period", String(24), nullable=False),
    Column("due", Day(), nullable=False),
    Column("stage", Integer(), nullable=False),
    Column("roles", String(), nullable=False),
    Column("facts", Text(), nullable=False),
    Column("evaluated_on", Day(), nullable=False),
    Column("created_at", Instant(), nullable=False),
    Column("status", String(12), nullable=False, default="pending"),
    Column("attempts", Integer(), nullable=False, default=0),
    Column("next_attempt_at", Instant()),
    Column("claimed_by", String()),
    Column("claim_expires", Instant()),
    Column("sent_at", Instant()),
    Column("message_id", String()),
    Column("error", String()),
    Column("possible_duplicate", Boolean(), nullable=False, default=False),
    # when the message started to go to the server under the current claim: a claim that
    # expires with this set may have been delivered; one without it was never sent
    Column("handed_at", Instant()),
    Column("closed_on", Day()),
    # the evaluation that inserted it, so that a tick can tell what it added
    Column("batch", String(32)),
    # the day its facts are for: the date of the letter that carries it (refreshed each morning
    # while it waits to be sent)
    Column("as_of", Day()),
    # the letter it is a line of: one per recipient, kind of document and day (digest, 提示函,
    # 催办, 督办, 通报 …); its lines share the Message-ID and the document number (文号)
    Column("document", String(16)),
    Column("doc_number", String()),
    # how a sent notice went: "folder" when its letter was written to the outbox folder (已写入,
    # nobody's inbox yet), else by the mail server (None: sent by SMTP, or not yet)
    Column("delivered_by", String(16)),
    UniqueConstraint("key"),
    Index("ix_notice_status", "status", "next_attempt_at"),
    Index("ix_notice_thread", "subject", "department"),
    Index("ix_notice_message", "message_id"),
)

# The document numbers (文号) given so far: one sequence per plan and series (the number
# format with its year filled in, e.g. 巴南乡振督〔2023〕{n}号); taken in the transaction that
# stores the document, so a retry, a crash or a second instance never reuses or skips one.
T_SEQUENCE = Table(
    "doc_sequence",
    metadata,
    Column("plan_id", Integer(), ForeignKey("plan.id"), primary_key=True),
    Column("series", String(), primary_key=True),
    Column("last", Integer(), nullable=False),
)

# The document sequences of an office (文号): one per office, series and year, whatever the plan
# (``doc_sequence``, per plan, is kept only to continue its numbers after an upgrade).
T_OFFICE_SEQUENCE = Table(
    "office_sequence",
    metadata,
    Column("office", String(), primary_key=True),
    Column("series", String(), primary_key=True),
    Column("last", Integer(), nullable=False),
)

# The number each monthly bulletin (通报) was issued under: printing it again keeps its number.
T_BULLETIN = Table(
    "bulletin_issue",
    metadata,
    Column("plan_id", Integer(), ForeignKey("plan.id"), primary_key=True),
    Column("month", String(7), primary_key=True),
    Column("number", String(), nullable=False),
    Column("issued_on", Day(), nullable=False),
)

# Where every item and metric stood at a month's end, written once when the month closes and
# never rewritten: later reports change today's status, never a closed month.  subject is ""
# for the item, else the metric's key.
T_MONTH = Table(
    "month_record",
    metadata,
    _plan_id(),
    Column("month", String(7), nullable=False),
    Column("task_id", Integer(), ForeignKey("task.id"), nullable=False),
    Column("subject", String(), nullable=False),
    Column("colour", String(8)),
    Column("category", String(8)),
    Column("state", String(16), nullable=False),
    Column("level", String()),
    Column("value", Float()),
    Column("target", Float()),
    Column("expected", Float()),
    Column("gap", Float()),
    Column("as_of", Day(), nullable=False),
    Column("closed_at", Instant(), nullable=False),
    UniqueConstraint("plan_id", "month", "task_id", "subject"),
)

# An e-mail as it was sent: the office's record of who was told what, and when.
T_MESSAGE = Table(
    "message",
    metadata,
    Column("id", Integer(), primary_key=True),
    Column("message_id", String(200), nullable=False, unique=True),
    _plan_id(index=True),
    Column("department", String(), nullable=False),
    Column("kind", String(12), nullable=False),
    Column("subject", String(), nullable=False),
    Column("sender", String(), nullable=False),
    Column("recipients", String(), nullable=False),
    Column("text", Text(), nullable=False),
    Column("composed_at", Instant(), nullable=False),
    # the letter data every channel renders (JSON): a robot posts what the e-mail said
    Column("letter", Text()),
)

# A day that was evaluated, so that a restarted service knows where to catch up from.
T_EVAL = Table(
    "evaluation",
    metadata,
    Column("id", Integer(), primary_key=True),
    _plan_id(),
    Column("as_of", Day(), nullable=False),
    Column("at", Instant(), nullable=False),
    Column("added", Integer(), nullable=False, default=0),
    # the plan's change marker the evaluation read before its facts: while it has not moved,
    # evaluating the same day again would owe the same notices, and is skipped
    Column("facts_version", Integer()),
    # how many notices that evaluation found owed (what a skipped evaluation reports again)
    Column("owed", Integer()),
    UniqueConstraint("plan_id", "as_of"),
)

# The office's decisions: extensions granted and items signed off (销号).
T_EVENT = Table(
    "event",
    metadata,
    Column("id", Integer(), primary_key=True),
    _plan_id(index=True),
    Column("task_id", Integer(), ForeignKey("task.id"), nullable=False),
    Column("obligation_id", Integer(), ForeignKey("obligation.id")),
    Column("kind", String(12), nullable=False),
    Column("by", String(), nullable=False),
    Column("detail", Text(), nullable=False),
    Column("at", Instant(), nullable=False),
)

# An event the office recorded (a flood warning, a problem found): it starts the duties the
# plan ties to it, each due within a span of the day it happened.  Once per event and day.
T_OCCURRED = Table(
    "recorded_event",
    metadata,
    Column("id", Integer(), primary_key=True),
    _plan_id(index=True),
    Column("name", String(64), nullable=False),
    Column("on", Day(), nullable=False),
    Column("note", String()),
    Column("by", String(), nullable=False),
    Column("at", Instant(), nullable=False),
    UniqueConstraint("plan_id", "name", "on"),
)

# Links in letters (a department's report page): revoked by the office.  A token issued at or
# before ``revoked_before`` for this plan and department (or with this nonce) is refused.
T_LINK_REVOKED = Table(
    "link_revocation",
    metadata,
    Column("id", Integer(), primary_key=True),
    Column("plan_key", String(64), nullable=False),
    Column("department", String()),
    Column("nonce", String(32)),
    Column("revoked_before", Instant(), nullable=False),
    Column("by", String(), nullable=False),
    Column("at", Instant(), nullable=False),
    Index("ix_link_revocation_who", "plan_key", "department"),
)

# What was reported through the web pages: who (department, via which link or office login),
# when and from where, and the evidence file (佐证) when one was attached.
T_WEB_REPORT = Table(
    "web_report",
    metadata,
    Column("id", Integer(), primary_key=True),
    _plan_id(index=True),
    Column("task_id", Integer(), ForeignKey("task.id"), nullable=False),
    Column("department", String(), nullable=False),
    Column("via", String(), nullable=False),
    Column("action", String(16), nullable=False),
    Column("progress_id", Integer(), ForeignKey("progress.id")),
    Column("obligation_id", Integer(), ForeignKey("obligation.id")),
    Column("address", String()),
    Column("at", Instant(), nullable=False),
    Column("evidence_name", String()),
    Column("evidence_path", String()),
    Column("evidence_type", String()),
    Column("evidence_size", Integer()),
)

# Forms already submitted (a one-time nonce per form): a replayed form records nothing.
T_FORM_USED = Table(
    "form_used",
    metadata,
    Column("nonce", String(64), primary_key=True),
    Column("at", Instant(), nullable=False),
)

# The office's signed-in sessions, kept on the server so that they can be ended: the cookie
# holds a random token, this table its SHA-256; logging out ends the row, and a changed
# password ends every row started under the old one (``password`` is a tag of its hash).
T_OFFICE_SESSION = Table(
    "office_session",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("user", String(120), nullable=False),
    Column("password", String(16), nullable=False),
    Column("address", String(200), nullable=False),
    Column("started", Instant(), nullable=False),
    Column("until", Instant(), nullable=False),
    Column("ended", Instant()),
)

# Every attempt to sign in to the office's pages, from where and whether it was right: the
# throttle counts the recent failures of an address and of the account, and the service tells
# the office of the failures since it last did (``told``).
T_SIGN_IN = Table(
    "sign_in",
    metadata,
    Column("id", Integer(), primary_key=True),
    Column("address", String(200), nullable=False),
    Column("at", Instant(), nullable=False),
    Column("ok", Boolean(), nullable=False),
    Column("told", Boolean(), nullable=False, default=False),
    Index("ix_sign_in_at", "at"),
)

# A message's delivery to a group robot (DingTalk, WeCom, Feishu): an extra delivery beside
# the e-mail, which stays the record.  One row per message and robot, with its own claim,
# retries and outcome; a long message goes in parts, and ``parts_sent`` resumes a retry.
T_DELIVERY = Table(
    "delivery",
    metadata,
    Column("id", Integer(), primary_key=True),
    Column("message_id", String(200), nullable=False),
    _plan_id(),
    Column("department", String(), nullable=False),
    Column("channel", String(12), nullable=False),
    Column("robot", String(), nullable=False),
    Column("status", String(12), nullable=False, default="pending"),
    Column("attempts", Integer(), nullable=False, default=0),
    Column("parts", Integer(), nullable=False, default=0),
    Column("parts_sent", Integer(), nullable=False, default=0),
    Column("next_attempt_at", Instant()),
    Column("claimed_by", String()),
    Column("claim_expires", Instant()),
    Column("created_at", Instant(), nullable=False),
    Column("sent_at", Instant()),
    Column("error", String()),
    # an answer that may mean the robot took the post (no answer once sent, an HTTP 200 that
    # says nothing): its one retry may be a second copy
    Column("possible_duplicate", Boolean(), nullable=False, default=False),
    UniqueConstraint("message_id", "robot"),
    Index("ix_delivery_status", "status", "next_attempt_at"),
)

# The sends to each robot in the last minutes: the rate limiter every process shares.  The
# ``robot_gate`` row is locked while a send is admitted, so two services count together.
T_ROBOT_GATE = Table(
    "robot_gate",
    metadata,
    Column("robot", String(), primary_key=True),
)

T_ROBOT_SEND = Table(
    "robot_send",
    metadata,
    Column("id", Integer(), primary_key=True),
    Column("robot", String(), nullable=False),
    Column("at", Instant(), nullable=False),
    Index("ix_robot_send", "robot", "at"),
)

# A dispatcher alive: renewed while it sends (the heartbeat), so that the claims it holds are
# not taken over however long a batch takes.
T_DISPATCHER = Table(
    "dispatcher",
    metadata,
    Column("owner", String(200), primary_key=True),
    Column("expires", Instant(), nullable=False),
)

# A channel paused by a failure of the channel or its configuration (no connection, a refused
# login, TLS, a broken template): shown by `status` until a message goes through again.
T_CHANNEL = Table(
    "channel_pause",
    metadata,
    Column("channel", String(40), primary_key=True),
    Column("since", Instant(), nullable=False),
    Column("last_seen", Instant(), nullable=False),
    Column("reason", String(), nullable=False),
)

# The office told that a channel paused: at most one alert a day per paused channel and plan,
# whichever service sends it (the row is taken before the alert goes; ``via`` is the channel
# that carried it).
T_ALERT = Table(
    "channel_alert",
    metadata,
    Column("channel", String(80), primary_key=True),
    Column("plan_id", Integer(), primary_key=True),
    Column("day", Day(), primary_key=True),
    Column("at", Instant(), nullable=False),
    Column("via", String(120)),
)


# The office's cycle around an item, one row per step (workplan.store.cycle): 交办 (assign),
# 签收 (receipt), 延期申请 (request) and its answer (approve / refuse), 复核 (accept) and 退回
# (return), 需协调解决的问题 (problem) and its decision (decide), 挂起 (pause) and resume.
# Append-only: a step is never changed or deleted; a later step answers an earlier one by
# ``answers`` (a decision names its request or problem, a resume its pause).
#   department  the department the step is by or for (the office's own steps: the office)
#   by          who acted: a department's name, the office, or the office login
#   via         how: cli, link (a letter's link), web (a page behind the office login)
#   address     from where (the client's address on the web; "cli" for a command)
#   day         the business day the step counts from, in the plan's zone
#   reason      why, in the words given (a refusal's, a return's, a pause's reason …)
#   detail      what else the step carries, as JSON (a request's new date, a 交办件's source)
T_CYCLE = Table(
    "cycle_step",
    metadata,
    Column("id", Integer(), primary_key=True),
    _ref("plan_id", "plan", nullable=False, index=True),
    _ref("task_id", "task", nullable=False, index=True),
    _ref("obligation_id", "obligation"),
    Column("step", String(12), nullable=False),
    Column("department", String(), nullable=False),
    Column("by", String(), nullable=False),
    Column("via", String(12), nullable=False),
    Column("address", String()),
    Column("day", Day(), nullable=False),
    Column("at", Instant(), nullable=False),
    Column("reason", Text()),
    Column("detail", Text(), nullable=False, default="{}"),
    Column("answers", Integer()),
)

# The rows the bulk tables refer to are kept for ever (a task or an obligation dropped from the
# plan is marked inactive): deleting one is refused by the database itself, so a reference can
# never be left pointing at nothing.  Made with the tables, on both backends.
KEPT = (T_PLAN, T_TASK, T_METRIC, T_RULES, T_OBL, T_CYCLE)
KEPT_MESSAGE = "workplan keeps every row of this table: a row is marked inactive, never deleted"


def _ddl(statement: str, dialect: str) -> Any:
    """A statement run when the tables are created, on one backend only."""
    return DDL(statement).execute_if(dialect=dialect)  # type: ignore[no-untyped-call]


def keep_trigger(table: str, dialect: str) -> str:
    """The statement that makes the database refuse to delete rows of ``table`` (a kept
    table), on ``dialect`` ('sqlite' or 'postgresql'; PostgreSQL's calls
    :data:`KEEP_FUNCTION`)."""
    trigger = f"workplan_keep_{table}"
    if dialect == "sqlite":
        return (
            f'CREATE TRIGGER {trigger} BEFORE DELETE ON "{table}" '
            f"BEGIN SELECT RAISE(ABORT, '{KEPT_MESSAGE} ({table})'); END"
        )
    return (
        f'CREATE TRIGGER {trigger} BEFORE DELETE OR TRUNCATE ON "{table}" '
        "FOR EACH STATEMENT EXECUTE FUNCTION workplan_keep()"
    )


# the one function behind every kept table's trigger (PostgreSQL); written for DDL(), which
# formats its statement with %, hence the %% of RAISE's placeholder
KEEP_FUNCTION = (
    "CREATE OR REPLACE FUNCTION workplan_keep() RETURNS trigger LANGUAGE plpgsql AS $$ "
    f"BEGIN RAISE EXCEPTION '{KEPT_MESSAGE} (%%)', TG_TABLE_NAME; END $$"
)


def _keep(table: Table) -> None:
    for dialect in ("sqlite", "postgresql"):
        event.listen(table, "after_create", _ddl(keep_trigger(table.name, dialect), dialect))


# one function for every kept table (PostgreSQL), made before the first of them
event.listen(T_PLAN, "before_create", _ddl(KEEP_FUNCTION, "postgresql"))
for _table in KEPT:
    _keep(_table)
