"""A second factor for staff accounts: a TOTP authenticator app (queue/totp.py) and recovery codes.

Stored per account in one hash (``keys.second_factor``): the secret, the last time step
accepted (a code is accepted once), and the digests of the unused recovery codes (field
``r:<digest>``, so using one is a single atomic HDEL). While enrolling, the secret offered
waits in field ``offered`` until a code from the app confirms it.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import cast

from redis.asyncio import Redis

from virtual_office.queue import keys, totp
from virtual_office.queue.errors import NotAuthorized

RECOVERY_CODES = 10
RECOVERY_PREFIX = "r:"


class WrongCode(NotAuthorized):
    """The code is not the app's current one (or was used already), nor an unused recovery code."""

    code = "wrong_code"


def new_recovery_code() -> str:
    """80 random bits as 16 base32 letters in groups of four: ``abcd-efgh-ijkl-mnop``."""
    raw = base64.b32encode(secrets.token_bytes(10)).decode().lower()
    return "-".join(raw[i:i + 4] for i in range(0, 16, 4))


def _recovery_digest(code: str) -> str:
    folded = "".join(c for c in code.lower() if c.isalnum())
    return hashlib.sha256(folded.encode()).hexdigest()[:32]


class SecondFactors:
    """Enrolling, checking and resetting accounts' second factor."""

    def __init__(self, redis: Redis, *, clock: Callable[[], float] = time.time) -> None:
        self._redis = redis
        self._clock = clock
        self._accept = redis.register_script((Path(__file__).with_name("scripts") / "accept_totp_step.lua").read_text())

    async def enrolled(self, clerk_id: str) -> bool:
        return bool(await self._redis.hexists(keys.second_factor(clerk_id), "secret"))

    async def recovery_codes_left(self, clerk_id: str) -> int:
        fields = cast(list[str], await self._redis.hkeys(keys.second_factor(clerk_id)))
        return sum(1 for f in fields if f.startswith(RECOVERY_PREFIX))

    async def offer(self, clerk_id: str) -> str:
        """A new secret for the account to add to its app; it counts only once :meth:`confirm` succeeds."""
        secret = cast(str | None, await self._redis.hget(keys.second_factor(clerk_id), "offered"))
        if secret is None:
            secret = totp.new_secret()
            await self._redis.hset(keys.second_factor(clerk_id), "offered", secret)
        return secret

    async def confirm(self, clerk_id: str, candidate: str) -> list[str]:
        """Enrol the offered secret if ``candidate`` is its current code; returns new recovery codes
        (shown once: only their digests are kept). Replaces what was enrolled before."""
        key = keys.second_factor(clerk_id)
        secret = cast(str | None, await self._redis.hget(key, "offered"))
        found = totp.matching_step(secret, candidate.strip(), self._clock()) if secret else None
        if secret is None or found is None:
            raise WrongCode("not the app's current code")
        codes = [new_recovery_code() for _ in range(RECOVERY_CODES)]
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(key)
            pipe.hset(key, mapping={"secret": secret, "step": found, **{RECOVERY_PREFIX + _recovery_digest(c): 1 for c in codes}})
            await pipe.execute()
        return codes

    async def verify(self, clerk_id: str, candidate: str) -> str:
        """Accept the app's current code (once per time step) or an unused recovery code (once);
        returns ``totp`` or ``recovery``. WrongCode otherwise."""
        key = keys.second_factor(clerk_id)
        candidate = candidate.strip().replace(" ", "")
        if len(candidate) == totp.DIGITS:
            secret = cast(str | None, await self._redis.hget(key, "secret"))
            found = totp.matching_step(secret, candidate, self._clock()) if secret else None
            if found is not None and await self._accept(keys=[key], args=[found]):
                return "totp"
            raise WrongCode("not the app's current code, or used already")
        if 0 < len(candidate) <= 40 and await self._redis.hdel(key, RECOVERY_PREFIX + _recovery_digest(candidate)):
            return "recovery"
        raise WrongCode("not an unused recovery code")

    async def reset(self, clerk_id: str) -> bool:
        """Remove the account's second factor (a lost phone); True if one was enrolled."""
        return bool(await self._redis.delete(keys.second_factor(clerk_id)))


__all__ = ["RECOVERY_CODES", "SecondFactors", "WrongCode", "new_recovery_code"]
