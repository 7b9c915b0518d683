"""E-mail addresses as a plan writes them: checked when the plan is validated, and put on the
wire as mail servers take them.

An address is a local part, ``@`` and a domain name.  The local part is a dot-atom (letters,
digits and ``!#$%&'*+/=?^_`{|}~-``, dots between them) or, in an internationalised address,
any other letters too (王伟); the domain is a name of two labels or more, each ASCII
(letters, digits, hyphens) or a name IDNA can encode (例子.中国 is xn--fsqu00a.xn--fiqs8s).

On the wire an ASCII local part keeps its domain IDNA-encoded, so any server takes it; a
non-ASCII local part (RFC 6531) needs a server that offers SMTPUTF8, which the SMTP channel
asks for and, where it is not offered, refuses that address alone.
"""

from __future__ import annotations

import re

_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
_LOCAL = re.compile(rf"^{_ATEXT}+(?:\.{_ATEXT}+)*$")
_LOCAL_UTF8 = re.compile(
    r"^[^\s\"(),.:;<>@\[\\\]\x00-\x1f\x7f]+(?:\.[^\s\"(),.:;<>@\[\\\]\x00-\x1f\x7f]+)*$"
)
_LABEL = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")


def _ascii_domain(domain: str) -> str | None:
    """Return the domain as DNS writes it (IDNA for non-ASCII labels), or None."""
    labels = domain.split(".")
    out = []
    for label in labels:
        try:
            encoded = label.encode("idna").decode("ascii") if not label.isascii() else label
        except UnicodeError:
            return None
        if not _LABEL.match(encoded):
            return None
        out.append(encoded)
    return ".".join(out)


def problem(address: str) -> str | None:
    """Say what is wrong with an address, or None when it is one."""
    local, at, domain = address.rpartition("@")
    if not at or not local:
        return f"'{address}' is not an e-mail address: write it like name@example.org"
    if "@" in local:
        return f"'{address}' is not an e-mail address: it has more than one @"
    if not (_LOCAL.match(local) or (not local.isascii() and _LOCAL_UTF8.match(local))):
        return (
            f"'{address}' is not an e-mail address: the part before @ has a space, a "
            "character an address cannot hold, or dots at its ends or side by side"
        )
    if len(local.encode()) > 64:
        return f"'{address}' is not an e-mail address: the part before @ is over 64 bytes"
    wire = _ascii_domain(domain)
    if wire is None or "." not in domain or wire.rpartition(".")[2].isdigit() or len(wire) > 253:
        return f"'{address}' is not an e-mail address: '{domain}' is not a domain name"
    return None


def check(address: str) -> str:
    """Return the address; raise ValueError saying what is wrong with it."""
    reason = problem(address)
    if reason is not None:
        raise ValueError(reason)
    return address


def internationalised(address: str) -> bool:
    """Whether the address can go only to a server that offers SMTPUTF8 (its local part is
    not ASCII)."""
    return not address.rpartition("@")[0].isascii()


def on_the_wire(address: str) -> str:
    """The address as the envelope and the headers carry it: an ASCII local part with its
    domain IDNA-encoded (any server takes it); an internationalised one as written."""
    local, _, domain = address.rpartition("@")
    if domain.isascii() or not local.isascii():
        return address
    wire = _ascii_domain(domain)
    return f"{local}@{wire}" if wire else address
