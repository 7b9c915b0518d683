"""Passwords, sessions and one-time form tokens for the web pages (standard library only)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets

from workplan.store.links import mac

NONCE = 12
"""random bytes in a form token's nonce"""
BLOCK = 64
"""SHA-256's block, in bytes: HMAC's key is padded (or hashed) to it"""

ITERATIONS = 390_000


def hash_password(password: str, *, salt: str | None = None, iterations: int = ITERATIONS) -> str:
    """Return ``pbkdf2_sha256$iterations$salt$hash`` for the office's password."""
    salt = salt or secrets.token_hex(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations)
    return f"pbkdf2_sha256${iterations}${salt}${base64.b64encode(digest).decode()}"


def check_password(password: str, hashed: str) -> bool:
    """Return True when ``password`` matches the stored hash (compared in constant time)."""
    try:
        scheme, iterations, salt, _ = hashed.split("$", 3)
        rounds = int(iterations)
    except ValueError:
        return False
    if scheme != "pbkdf2_sha256":
        return False
    expected = hash_password(password, salt=salt, iterations=rounds)
    return hmac.compare_digest(expected.encode(), hashed.encode())


def sign_value(secret: str, value: str) -> str:
    """Return ``value`` with its signature, for a cookie."""
    return f"{value}~{mac(secret, 'cookie|' + value)}"


def unsign_value(secret: str, signed: str) -> str | None:
    """Return the value of a signed cookie, or None when the signature does not match."""
    value, sep, signature = signed.rpartition("~")
    if not sep or not hmac.compare_digest(signature, mac(secret, "cookie|" + value)):
        return None
    return value


def form_token(secret: str, session: str) -> str:
    """Return a one-time token for a form: a nonce, signed for this session (CSRF)."""
    return form_tokens(secret, session, 1)[0].decode()


def form_tokens(secret: str, session: str, count: int) -> list[bytes]:
    """Return ``count`` one-time form tokens for a page's forms (as bytes, ASCII), each its
    own random nonce, signed for this session as :func:`mac` signs.

    A page has dozens of forms, and a kept page is filled with new tokens on every request
    (web/cache.py): the random bytes are read at once, and HMAC-SHA256 (RFC 2104) is taken
    from its inner and outer hashes, started once with the key and the session's part of the
    message and copied for each nonce (``hmac``'s own copy costs three times as much).
    """
    key = secret.encode()
    if len(key) > BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(BLOCK, b"\0")
    inner = hashlib.sha256(bytes(k ^ 0x36 for k in key))
    inner.update(f"form|{session}|".encode())
    outer = hashlib.sha256(bytes(k ^ 0x5C for k in key))
    random = os.urandom(NONCE * count).hex().encode()
    step, encode = 2 * NONCE, base64.urlsafe_b64encode
    tokens = []
    for i in range(0, len(random), step):
        nonce, signed, wrapped = random[i : i + step], inner.copy(), outer.copy()
        signed.update(nonce)
        wrapped.update(signed.digest())
        # a SHA-256 in base64url is 43 characters and one "=", which mac() strips
        tokens.append(nonce + b"." + encode(wrapped.digest())[:-1])
    return tokens


def check_form_token(secret: str, session: str, token: str) -> str | None:
    """Return the token's nonce when it was made for this session, else None."""
    nonce, _, signature = token.partition(".")
    if not nonce or not signature:
        return None
    if not hmac.compare_digest(signature, mac(secret, f"form|{session}|{nonce}")):
        return None
    return nonce
