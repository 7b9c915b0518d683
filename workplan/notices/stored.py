"""The office's record of each message, and the letter data every later channel renders.

Each message is kept once in ``message``, the first time it is tried, and brought up to date
on every later try: its subject, its text, its envelope, and its letter data (the department,
the items, the report link) as JSON.  A channel that posts after the e-mail (a group robot,
a webhook) renders that letter data, never the notices again: a notice withdrawn after the
letter was made (done, or its figure reported) is in neither or in both.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import fields, is_dataclass
from datetime import date, datetime
from functools import cache
from types import UnionType
from typing import Any, Union, get_args, get_origin, get_type_hints

from sqlalchemy import Connection, select
from sqlalchemy.dialects import postgresql, sqlite

from workplan.channels.base import Composed, Outgoing
from workplan.notices.compose import Issued
from workplan.notices.letters import Message
from workplan.store.db import dumps
from workplan.store.tables import T_MESSAGE

_DATE, _INSTANT = "$date", "$instant"


def _encode(value: Any) -> Any:
    """What JSON cannot hold by itself, one level down: a data class's fields, a day, an
    instant (the encoder comes back for what they hold)."""
    if isinstance(value, datetime):
        return {_INSTANT: value.isoformat()}
    if isinstance(value, date):
        return {_DATE: value.isoformat()}
    if is_dataclass(value) and not isinstance(value, type):
        return {name: getattr(value, name) for name in _names(type(value))}
    raise TypeError(f"letter data cannot hold a {type(value).__name__}: {value!r}")


def _plain(value: Any) -> Any:
    """Decode a value of no declared type (a fact): dates come back as dates."""
    if isinstance(value, dict):
        if set(value) == {_DATE}:
            return date.fromisoformat(value[_DATE])
        if set(value) == {_INSTANT}:
            return datetime.fromisoformat(value[_INSTANT])
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


@cache
def _names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


@cache
def _hints(cls: type) -> dict[str, Any]:
    return get_type_hints(cls)


def _decode(hint: Any, value: Any) -> Any:
    origin, args = get_origin(hint), get_args(hint)
    if value is None or hint is Any:
        return _plain(value)
    if origin in (Union, UnionType):
        (kind,) = [a for a in args if a is not type(None)]
        return _decode(kind, value)
    if isinstance(hint, type) and is_dataclass(hint):
        hints = _hints(hint)
        return hint(**{k: _decode(hints[k], v) for k, v in value.items() if k in hints})
    if hint in (date, datetime):
        return _plain(value)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_decode(args[0], v) for v in value)
        return tuple(_decode(a, v) for a, v in zip(args, value, strict=True))
    if origin is dict:
        return {k: _decode(args[1], v) for k, v in value.items()}
    return value


def letter_json(message: Message) -> str:
    """The letter data of a message as JSON."""
    return json.dumps(message, default=_encode, ensure_ascii=False, separators=(",", ":"))


def letter_of(text: str) -> Message:
    """The letter data kept as JSON, as it was."""
    found = _decode(Message, json.loads(text))
    if not isinstance(found, Message):
        raise TypeError("the letter data kept is not a message's")
    return found


def keep(conn: Connection, kept: Sequence[tuple[Issued, Outgoing]], at: datetime) -> None:
    """Keep each message tried, with its e-mail's envelope: once, the first time, then
    brought up to what its latest try said."""
    if not kept:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    insert = dialect.insert(T_MESSAGE)
    conn.execute(
        insert.on_conflict_do_update(
            index_elements=["message_id"],
            set_={
                name: insert.excluded[name]
                for name in ("kind", "subject", "sender", "recipients", "text", "letter")
            },
        ),
        [
            {
                "message_id": issued.composed.message_id,
                "plan_id": issued.plan_id,
                "department": issued.department,
                "kind": issued.kind,
                "subject": issued.composed.subject,
                "sender": mail.sender,
                "recipients": dumps(list(mail.recipients)),
                "text": issued.composed.text,
                "letter": letter_json(issued.message),
                "composed_at": at,
            }
            for issued, mail in kept
        ],
    )


def kept_messages(conn: Connection, message_ids: Sequence[str]) -> dict[str, Composed | str]:
    """Each message as it was composed for its e-mail, for a channel that posts it later; a
    message kept without its letter data (by an earlier version) says why it cannot be."""
    out: dict[str, Composed | str] = {}
    for start in range(0, len(message_ids), 900):
        query = select(
            T_MESSAGE.c.message_id, T_MESSAGE.c.subject, T_MESSAGE.c.text, T_MESSAGE.c.letter
        ).where(T_MESSAGE.c.message_id.in_(message_ids[start : start + 900]))
        for mid, subject, text, letter in conn.execute(query):
            out[mid] = (
                Composed(mid, subject, text, letter_of(letter))
                if letter
                else "the message was kept by an earlier version, without its letter data: "
                "its e-mail is the record"
            )
    return out
