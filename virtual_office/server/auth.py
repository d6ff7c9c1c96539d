"""Clerk and administrator authentication: credentials, throttling, the session."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

from redis.asyncio import Redis
from starlette.requests import Request

from virtual_office.queue import Clerk, ClerkDirectory, NotAuthorized, QueueError

THROTTLE_SECONDS = 15 * 60


class LoggedOut(NotAuthorized):
    """The session's account was deleted or has a new password since the login."""

    code = "not_authenticated"


class Throttled(QueueError):
    code = "throttled"


class LoginThrottle:
    """Counts failed logins per account and per address; too many and logins pause.

    Counting per account stops guessing one password from many addresses; per address
    stops trying many accounts from one.
    """

    def __init__(self, redis: Redis, attempts: int) -> None:
        self._redis = redis
        self._attempts = attempts

    @staticmethod
    def _keys(login: str, address: str) -> list[str]:
        digest = hashlib.sha256(login.strip().lower().encode()).hexdigest()[:24]
        return [f"vo:login-failures:account:{digest}", f"vo:login-failures:address:{address}"]

    async def check(self, login: str, address: str) -> None:
        counts = await self._redis.mget(self._keys(login, address))
        account, per_address = (int(c or 0) for c in counts)
        if account >= self._attempts or per_address >= self._attempts * 4:
            raise Throttled("too many failed logins")

    async def failed(self, login: str, address: str) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            for key in self._keys(login, address):
                pipe.incr(key)
                pipe.expire(key, THROTTLE_SECONDS)
            await pipe.execute()

    async def succeeded(self, login: str) -> None:
        await self._redis.delete(self._keys(login, "-")[0])


async def log_in(request: Request, clerks: ClerkDirectory, throttle: LoginThrottle, login: object, password: object) -> Clerk:
    """Check the credentials and start a session; raises NotAuthorized or Throttled."""
    if not isinstance(login, str) or not isinstance(password, str) or len(login) > 100 or len(password) > 1000:
        raise NotAuthorized("wrong login or password")
    address = request.client.host if request.client else "-"
    await throttle.check(login, address)
    try:
        clerk = await clerks.authenticate(login, password)
    except NotAuthorized:
        await throttle.failed(login, address)
        raise
    await throttle.succeeded(login)
    request.session.clear()
    request.session.update(session_of(clerk))
    return clerk


def session_of(clerk: Clerk) -> dict[str, str]:
    """What a login session holds: who, and the password's stamp at login."""
    return {"clerk_id": clerk.id, "stamp": clerk.session_stamp}


def log_out(request: Request) -> None:
    request.session.clear()


async def current_clerk(request: Request, clerks: ClerkDirectory) -> Clerk | None:
    return await session_clerk(clerks, request.session)


async def session_clerk(clerks: ClerkDirectory, session: Mapping[str, object]) -> Clerk | None:
    """The account a session (cookie or socket) acts for; None once it was deleted or its password changed."""
    clerk_id, stamp = session.get("clerk_id"), session.get("stamp")
    clerk = await clerks.get(clerk_id) if isinstance(clerk_id, str) else None
    if clerk is None or not isinstance(stamp, str) or not hmac.compare_digest(stamp, clerk.session_stamp):
        return None
    return clerk
