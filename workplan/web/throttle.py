"""How long a sign-in must wait after failures: per address and per account.

The rules follow OWASP's Authentication Cheat Sheet and NIST SP 800-63B §5.2.2 (rate
limiting, at most 100 failures an account): the first ``FREE`` failures from an address cost
nothing (a mistyped password); each further one doubles the wait before that address may try
again (1 s, 2 s, 4 s … at most ``LONGEST``); ``ACCOUNT`` failures within ``WINDOW`` from any
addresses lock the account for ``LOCKOUT``, whatever the address, and the office is told.
While an address waits or the account is locked, the password is not even checked.  A
success clears the address's count.  Pure: the failures and the moment are parameters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

FREE = 5
WINDOW = timedelta(minutes=15)
LONGEST = timedelta(minutes=15)
ACCOUNT = 20
LOCKOUT = timedelta(minutes=15)
BASE = datetime(2000, 1, 1)


@dataclass(frozen=True)
class Wait:
    """Sign-ins are held until ``until``: for this address, or for the account (``locked``)."""

    until: datetime
    locked: bool

    def seconds(self, now: datetime) -> int:
        """Return the whole seconds left to wait (at least 1)."""
        return max(1, int((self.until - now).total_seconds() + 0.999))


def wait(
    address_failures: Sequence[datetime], account_failures: Sequence[datetime], now: datetime
) -> Wait | None:
    """Return how long a sign-in from an address must wait, or None when it may try now.

    ``address_failures``: the address's failures within ``WINDOW`` since its last success;
    ``account_failures``: every failure within ``WINDOW``; both oldest first."""
    recent = [at for at in account_failures if at > now - WINDOW]
    if len(recent) >= ACCOUNT:
        until = recent[-1] + LOCKOUT
        if now < until:
            return Wait(until, True)
    mine = [at for at in address_failures if at > now - WINDOW]
    if len(mine) >= FREE:
        delay = min(timedelta(seconds=2 ** (len(mine) - FREE)), LONGEST)
        until = mine[-1] + delay
        if now < until:
            return Wait(until, False)
    return None


def per_minute() -> int:
    """Return how many wrong passwords one address can try in its first minute."""
    tries, at = 0, 0.0
    failures: list[float] = []
    while True:
        held = wait(
            [BASE + timedelta(seconds=s) for s in failures],
            [],
            BASE + timedelta(seconds=at),
        )
        if held is not None:
            at = (held.until - BASE).total_seconds()
        if at >= 60:
            return tries
        failures.append(at)
        tries += 1
