"""Login lock-out that cannot be turned against the staff: device cookies (OWASP "Slow Down Online
Guessing Attacks with Device Cookies").

A successful login leaves a signed device cookie in the browser, bound to the login. Failed
attempts that show a valid device cookie for the login are counted against that cookie alone;
the others are counted against the login's *untrusted clients*. So someone who guesses at a
login from anywhere else locks out only browsers that never logged in to it, and the clerk goes
on logging in at their own PC. Every attempt also counts against its address.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any, cast

import itsdangerous
from redis.asyncio import Redis
from starlette.requests import Request
from starlette.responses import Response

from virtual_office.queue import QueueError, keys

THROTTLE_SECONDS = 15 * 60
"""How long failed logins are remembered (from the last one)."""
DEVICE_COOKIE = "vo_device_"
"""Prefix of the device cookies' names; the rest is the start of the login's digest, so a browser
shared by several clerks keeps one for each. Over https the name starts with ``__Host-`` too."""
DEVICE_SECONDS = 365 * 24 * 3600
ADDRESS_FACTOR = 4
"""An address may fail this many times the per-account attempts (an office behind one NAT address)."""


class Throttled(QueueError):
    """Too many failed logins: this one is refused, even with the right password, for ``retry_after`` seconds."""

    code = "throttled"

    def __init__(self, retry_after: int) -> None:
        super().__init__("too many failed logins", retry_after=retry_after)
        self.retry_after = retry_after


def account_digest(login: str) -> str:
    """The login as it is counted and bound into a device cookie (never the login itself)."""
    return hashlib.sha256(login.strip().lower().encode()).hexdigest()[:24]


@dataclass(frozen=True)
class Attempt:
    """One login attempt: the account it names, the address it comes from, and its device cookie's
    id when it shows one that is valid for this login (None: an untrusted client)."""

    account: str
    address: str
    device: str | None

    @property
    def counters(self) -> list[str]:
        """The failure counters this attempt is judged by and counts against."""
        mine = keys.login_failures("device", self.device) if self.device else keys.login_failures("untrusted", self.account)
        return [mine, keys.login_failures("address", self.address)]


class LoginThrottle:
    """Counts failed logins per device cookie, per account's untrusted clients and per address."""

    def __init__(self, redis: Redis, attempts: int, *, secret_key: str, secure: bool) -> None:
        self._redis = redis
        self._attempts = attempts
        self._signer = itsdangerous.URLSafeTimedSerializer(secret_key, salt="vo-device-cookie")
        self._secure = secure
        self._prefix = ("__Host-" if secure else "") + DEVICE_COOKIE

    async def attempt(self, request: Request, login: str, address: str) -> Attempt:
        """The attempt ``request`` makes at ``login``; its device cookie counts only if signed by us,
        bound to this login, of the account's current generation and less than a year old."""
        account = account_digest(login)
        raw = request.cookies.get(self._prefix + account[:16])
        device = None
        if raw:
            try:
                data = self._signer.loads(raw, max_age=DEVICE_SECONDS)
            except itsdangerous.BadData:
                data = None
            if isinstance(data, dict) and hmac.compare_digest(str(data.get("account")), account):
                generation = int(cast(Any, await self._redis.get(keys.login_devices(account))) or 0)
                if data.get("generation") == generation and isinstance(data.get("id"), str):
                    device = hashlib.sha256(data["id"].encode()).hexdigest()[:32]
        return Attempt(account, address, device)

    async def check(self, attempt: Attempt) -> None:
        """Raise Throttled while the attempt's device cookie (or, without one, the account's untrusted
        clients) or its address has failed too often."""
        async with self._redis.pipeline(transaction=False) as pipe:
            for key in attempt.counters:
                pipe.get(key)
                pipe.ttl(key)
            mine, mine_ttl, address, address_ttl = await pipe.execute()
        waits = []
        if int(mine or 0) >= self._attempts:
            waits.append(mine_ttl)
        if int(address or 0) >= self._attempts * ADDRESS_FACTOR:
            waits.append(address_ttl)
        if waits:
            raise Throttled(max(1, *(int(w) for w in waits)))

    async def failed(self, attempt: Attempt) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            for key in attempt.counters:
                pipe.incr(key)
                pipe.expire(key, THROTTLE_SECONDS)
            await pipe.execute()

    async def succeeded(self, attempt: Attempt) -> None:
        """Forget the failures of the way this attempt came in (its device cookie, or the untrusted clients)."""
        await self._redis.delete(attempt.counters[0])

    async def device_cookie(self, attempt: Attempt) -> tuple[str, str]:
        """A new device cookie (name, value) for the login of a successful attempt."""
        generation = int(cast(Any, await self._redis.get(keys.login_devices(attempt.account))) or 0)
        value = self._signer.dumps({"account": attempt.account, "id": secrets.token_urlsafe(16), "generation": generation})
        return self._prefix + attempt.account[:16], value

    def set_cookie(self, response: Response, cookie: tuple[str, str]) -> None:
        name, value = cookie
        # Path=/ and no Domain: what the __Host- prefix asks for (browsers refuse such a cookie otherwise).
        response.set_cookie(name, value, max_age=DEVICE_SECONDS, path="/", httponly=True, secure=self._secure, samesite="lax")

    async def forget_devices(self, login: str) -> None:
        """Make every device cookie of ``login`` worthless ("log out everywhere", a deleted account)."""
        await self._redis.incr(keys.login_devices(account_digest(login)))
