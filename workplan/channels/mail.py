"""Compose e-mail: UTF-8 multipart text + HTML, encoded headers, stable Message-IDs, threads.

Every header-bound value (names, addresses, the subject) is checked for every C0 and C1
control character (CR, LF, NUL, VT, FF, FS, GS, RS, NEL …), DEL and the Unicode line and
paragraph separators before a message is built: a tool that parses and re-serialises the
message could turn any of them into a line break.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from email.header import Header
from email.utils import format_datetime, formataddr
from urllib.parse import quote

from workplan.channels.base import Composed, Outgoing, Party, RenderError
from workplan.plan import addresses

_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


class HeaderInjection(RenderError):
    """A value bound for a mail header contains a control character or line break: refused."""


def header_safe(value: str, what: str) -> str:
    """Return ``value`` if it can go into a header; raise HeaderInjection otherwise."""
    if found := _UNSAFE.search(value):
        raise HeaderInjection(
            f"{what} contains the control character U+{ord(found[0]):04X} and cannot go into"
            f" a mail header: {value!r}"
        )
    return value


def message_id(parts: Iterable[str], domain: str) -> str:
    """Return a Message-ID that depends only on what the message is about.

    Sending the same notices again (a retry, or after a crash) gives the same Message-ID, so
    a second copy can be recognised by mail clients and by the office.
    """
    digest = hashlib.sha256("\n".join(sorted(parts)).encode()).hexdigest()[:32]
    return f"<wp.{digest}@{domain}>"


def domain_of(address: str) -> str:
    """Return the domain part of an address, for Message-IDs."""
    return address.rpartition("@")[2] or "workplan.invalid"


def _address(name: str, email: str) -> str:
    """A "display name" <address> header value, the name RFC 2047 encoded when not ASCII."""
    header_safe(name, "a name")
    header_safe(email, f"an address of {name}")
    if "@" not in email or any(c in email for c in ' <>,;"'):
        raise HeaderInjection(f"{email!r} is not an e-mail address")
    wire = addresses.on_the_wire(email)
    if wire.isascii():
        return _named(name, wire)
    # an internationalised address goes as UTF-8 (RFC 6532), to a server offering SMTPUTF8;
    # the name is still written in RFC 2047 words, folded
    shown = _named(name, "a@b.invalid").removesuffix("<a@b.invalid>").rstrip()
    return f"{shown} <{wire}>"


def _named(name: str, email: str) -> str:
    """``name <email>``: a name that is not ASCII in RFC 2047 words folded to 76 columns
    (formataddr writes it as one word, 114 octets for a 17-character department)."""
    try:
        name.encode("ascii")
    except UnicodeEncodeError:
        words = Header(name, "utf-8", maxlinelen=76, header_name="From").encode(linesep="\r\n")
        last = words.rpartition("\n")[2]
        fold = " " if len(last) + len(email) + 3 <= LINE else "\r\n "
        return f"{words}{fold}<{email}>"
    return formataddr((name, email))


def _header(value: str, name: str) -> str:
    """Encode a header value (RFC 2047) when it is not ASCII, folded to 76 columns."""
    try:
        value.encode("ascii")
    except UnicodeEncodeError:
        return Header(value, "utf-8", maxlinelen=76, header_name=name).encode(linesep="\r\n")
    return _folded(name, value.split(" "))


LINE = 78
"""the longest header line written (RFC 5322 2.1.1: SHOULD 78, MUST 998 octets)"""


def _folded(name: str, words: Iterable[str]) -> str:
    """Space-separated words as a header value folded (CRLF and a space) between words, so
    that no line of the header passes 78 octets however many words there are."""
    out: list[str] = []
    used = len(name) + 2
    for word in words:
        if out and used + 1 + len(word) > LINE:
            out.append("\r\n ")
            used = 1
        elif out:
            out.append(" ")
            used += 1
        out.append(word)
        used += len(word)
    return "".join(out)


def _filename(name: str) -> str:
    """An attachment's file name as RFC 2231 parameters: UTF-8, percent-encoded, in numbered
    sections on lines of their own when long (a line never passes 78 octets)."""
    quoted = quote(name, safe="")
    if len(quoted) <= 40:
        return f"filename*=utf-8''{quoted}"
    pieces, start = [], 0
    while start < len(quoted):
        end = min(start + (50 if start == 0 else 60), len(quoted))
        while end < len(quoted) and "%" in quoted[end - 2 : end]:
            end -= 1  # never cut a %XX in two
        pieces.append(quoted[start:end])
        start = end
    pieces[0] = "utf-8''" + pieces[0]
    return ";\r\n ".join(f"filename*{n}*={piece}" for n, piece in enumerate(pieces))


def _bounded(head: Sequence[bytes]) -> None:
    """Refuse a header block with a line over RFC 5322's 998 octets (a server answers it with
    ``500 Line too long``): never sent, whatever a value held."""
    for line in b"\r\n".join(head).split(b"\r\n"):
        if len(line) > 998:
            raise RenderError(
                f"a header line of {len(line)} octets is over the 998 that mail allows:"
                f" {line[:60].decode('utf-8', 'replace')}…"
            )


def _base64(text: str) -> bytes:
    data = base64.b64encode(text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8"))
    return b"\r\n".join(data[i : i + 76] for i in range(0, len(data), 76))


def compose(
    *,
    subject: str,
    text: str,
    html: str,
    sender: Party,
    to: Sequence[Party],
    cc: Sequence[Party] = (),
    message_id_: str,
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
    date: datetime,
    notices: Sequence[str] = (),
    attachments: Sequence[tuple[str, str, bytes]] = (),
) -> Outgoing:
    """Build a multipart/alternative UTF-8 message (inside multipart/mixed when it carries
    attachments: file name, content type, bytes); raise HeaderInjection on an unsafe value.

    Written directly rather than through the email package's folding machinery, which costs
    milliseconds a message; the tests parse every message back with the email package.
    """
    header_safe(subject, "the subject")
    header_safe(message_id_, "the Message-ID")
    senders = [(sender.name, e) for e in sender.emails[:1]]
    if not senders:
        raise HeaderInjection(f"{sender.name} has no address to send from")
    tos = [(p.name, e) for p in to for e in p.emails]
    ccs = [(p.name, e) for p in cc for e in p.emails]
    if not tos:
        raise HeaderInjection("the message has no recipient")
    headers = [
        ("From", _address(*senders[0])),
        ("To", ",\r\n ".join(_address(n, e) for n, e in tos)),
    ]
    if ccs:
        headers.append(("Cc", ",\r\n ".join(_address(n, e) for n, e in ccs)))
    headers += [
        ("Subject", _header(subject, "Subject")),
        ("Date", format_datetime(date)),
        ("Message-ID", message_id_),
    ]
    if in_reply_to:
        header_safe(in_reply_to, "In-Reply-To")
        headers.append(("In-Reply-To", in_reply_to))
        thread = dict.fromkeys([*references, in_reply_to])
        headers.append(("References", _folded("References", thread)))
    headers.append(("Auto-Submitted", "auto-generated"))
    if notices:
        for notice in notices:
            header_safe(notice, "a notice number")
        # every notice the letter carries, folded: a 1,000-notice letter's header is ~90 lines
        headers.append(("X-Workplan-Notices", _folded("X-Workplan-Notices", notices)))
    boundary = "=_wp_" + hashlib.sha256(message_id_.encode()).hexdigest()[:24]
    mixed = "=_wpm_" + hashlib.sha256(message_id_.encode()).hexdigest()[:24]
    headers.append(("MIME-Version", "1.0"))
    out = [f"{name}: {value}".encode() for name, value in headers]
    _bounded(out)
    if attachments:
        out += [f'Content-Type: multipart/mixed; boundary="{mixed}"'.encode(), b""]
        out.append(f"--{mixed}".encode())
    out.append(f'Content-Type: multipart/alternative; boundary="{boundary}"'.encode())
    out.append(b"")
    for subtype, body in (("plain", text), ("html", html)):
        out += [
            f"--{boundary}".encode(),
            f'Content-Type: text/{subtype}; charset="utf-8"'.encode(),
            b"Content-Transfer-Encoding: base64",
            b"",
            _base64(body),
        ]
    out += [f"--{boundary}--".encode(), b""]
    for name, kind, data in attachments:
        header_safe(name, "an attachment's name")
        header_safe(kind, "an attachment's type")
        encoded = base64.b64encode(data)
        out += [
            f"--{mixed}".encode(),
            f"Content-Type: {kind}".encode(),
            b"Content-Transfer-Encoding: base64",
            f"Content-Disposition: attachment;\r\n {_filename(name)}".encode(),
            b"",
            b"\r\n".join(encoded[i : i + 76] for i in range(0, len(encoded), 76)),
        ]
    if attachments:
        out += [f"--{mixed}--".encode(), b""]
    recipients = tuple(dict.fromkeys(addresses.on_the_wire(e) for _, e in [*tos, *ccs]))
    sender_address = addresses.on_the_wire(senders[0][1])
    return Outgoing(message_id_, sender_address, recipients, b"\r\n".join(out))


def render(message: Composed) -> Outgoing:
    """Render a composed message as its e-mail: the MIME bytes and their envelope, its own
    subject line as the subject; raise HeaderInjection on an unsafe value."""
    mail = message.mail
    if mail is None:
        raise RenderError(f"{message.message_id} was composed without its e-mail's parts")
    return compose(
        subject=message.subject,
        text=message.text,
        html=mail.html,
        sender=mail.sender,
        to=mail.to,
        message_id_=message.message_id,
        in_reply_to=mail.in_reply_to,
        references=[mail.in_reply_to] if mail.in_reply_to else [],
        date=mail.date,
        notices=mail.notices,
        attachments=mail.attachments,
    )
