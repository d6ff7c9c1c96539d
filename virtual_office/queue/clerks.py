"""Clerk and administrator accounts, with argon2-hashed passwords."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import secrets
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeVar, cast

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from redis.asyncio import Redis

from virtual_office.queue import keys
from virtual_office.queue.errors import InvalidInput, NotAuthorized
from virtual_office.queue.passwords import check_password, describe, normalize
from virtual_office.queue.tenants import DEFAULT, TENANT_ID

CLERK = "clerk"
ADMIN = "admin"
OPERATOR = "operator"
"""The provider's operator: administers every tenant and creates tenants and their first administrator."""
ROLES = (CLERK, ADMIN, OPERATOR)
LOGIN = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,63}$")
SESSION_SECONDS = 12 * 3600
"""A working day and a half; a clerk logs in again each morning."""
IDLE_SECONDS = 30 * 60
"""A session without activity for this long ends (VO_SESSION_IDLE_MINUTES)."""

_T = TypeVar("_T")

_hasher = PasswordHasher()
_HASHING = ThreadPoolExecutor(max_workers=2, thread_name_prefix="password-hashing")
"""argon2 takes tens of milliseconds and 64 MiB a hash on purpose: in threads of its own,
two at a time, a burst of logins neither stalls the event loop nor fills the memory."""


async def _hashed(function: Callable[..., _T], *args: object) -> _T:
    return await asyncio.get_running_loop().run_in_executor(_HASHING, function, *args)

# Verifying against this when the login is unknown keeps the answer time the same,
# so response times do not tell which logins exist.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class WeakPassword(InvalidInput):
    """The password breaks the rule of :func:`virtual_office.queue.passwords.check_password`."""

    code = "weak_password"

    def __init__(self, reasons: list[str]) -> None:
        super().__init__(describe(reasons), reasons=reasons)
        self.reasons = reasons


@dataclass(frozen=True)
class Clerk:
    """A member of staff: a clerk serves the offices they staff; an admin administers."""

    id: str
    login: str
    name: str
    role: str = CLERK
    offices: tuple[str, ...] = ()
    password_hash: str = field(default="", repr=False)
    tenant: str = DEFAULT
    """The municipality the account belongs to; accounts stored without one belong to the default."""

    @property
    def is_admin(self) -> bool:
        """An administrator of their tenant, or an operator (of every tenant)."""
        return self.role in (ADMIN, OPERATOR)

    @property
    def is_operator(self) -> bool:
        return self.role == OPERATOR

    @property
    def scope(self) -> str | None:
        """The tenant whose things the account may see and change; None for every tenant (an operator)."""
        return None if self.is_operator else self.tenant

    def sees(self, tenant_id: str) -> bool:
        """True if the account may see and change the things of ``tenant_id``."""
        return self.is_operator or self.tenant == tenant_id

    def staffs(self, office_id: str) -> bool:
        return office_id in self.offices

    @property
    def session_stamp(self) -> str:
        """Changes with the password: sessions carry it, so a new password ends the old ones."""
        return hashlib.sha256(self.password_hash.encode()).hexdigest()[:16]

    def to_json(self) -> str:
        return json.dumps(
            {
                "id": self.id,
                "login": self.login,
                "name": self.name,
                "role": self.role,
                "offices": list(self.offices),
                "password_hash": self.password_hash,
                "tenant": self.tenant,
            }
        )

    @classmethod
    def from_json(cls, raw: str | bytes) -> Clerk:
        data = json.loads(raw)
        data["offices"] = tuple(data.get("offices", ()))
        return cls(**data)


class ClerkDirectory:
    """Accounts live in Redis like everything else; passwords only as argon2 hashes."""

    def __init__(self, redis: Redis, *, idle_seconds: float = IDLE_SECONDS) -> None:
        self._redis = redis
        self._idle_ms = int(idle_seconds * 1000)
        self._touch = redis.register_script((Path(__file__).with_name("scripts") / "touch_session.lua").read_text())

    async def add(
        self,
        login: str,
        name: str,
        password: str,
        *,
        role: str = CLERK,
        offices: tuple[str, ...] = (),
        context: Iterable[str] = (),
        tenant: str = DEFAULT,
    ) -> Clerk:
        """A new account; ``context`` adds to the words its password may not rest on (office names, the host)."""
        login = login.strip().lower()
        if not LOGIN.match(login):
            raise InvalidInput("login: 2-64 characters, lowercase letters, digits, . _ @ -")
        if role not in ROLES:
            raise InvalidInput("role must be clerk, admin or operator")
        if not TENANT_ID.match(tenant):
            raise InvalidInput("tenant id: lowercase letters, digits and '-', at most 40")
        if not name.strip():
            raise InvalidInput("a name is required")
        await self.check_password(password, (login, name, *context))
        clerk = Clerk(
            id=secrets.token_hex(6),
            login=login,
            name=name.strip(),
            role=role,
            offices=tuple(offices),
            password_hash=await _hashed(_hasher.hash, normalize(password)),
            tenant=tenant,
        )
        if not await self._redis.hsetnx(keys.LOGINS, login, clerk.id):
            raise InvalidInput(f"the login {login!r} is taken")
        await self._redis.hset(keys.CLERKS, clerk.id, clerk.to_json())
        return clerk

    async def get(self, clerk_id: str) -> Clerk | None:
        raw = await self._redis.hget(keys.CLERKS, clerk_id) if isinstance(clerk_id, str) else None
        return Clerk.from_json(raw) if raw else None

    async def many(self, clerk_ids: list[str]) -> dict[str, Clerk]:
        """The accounts of ``clerk_ids`` that exist, in one read."""
        if not clerk_ids:
            return {}
        rows = await self._redis.hmget(keys.CLERKS, clerk_ids)
        return {clerk_id: Clerk.from_json(raw) for clerk_id, raw in zip(clerk_ids, rows, strict=True) if raw}

    async def by_login(self, login: str) -> Clerk | None:
        # From a client that decodes responses: a clerk id.
        clerk_id = cast(str | None, await self._redis.hget(keys.LOGINS, login.strip().lower()))
        return await self.get(clerk_id) if clerk_id else None

    async def all(self, tenant_id: str | None = None) -> list[Clerk]:
        """Every account by name; only those of ``tenant_id`` when given."""
        rows = await self._redis.hvals(keys.CLERKS)
        accounts = (Clerk.from_json(r) for r in rows)
        return sorted((c for c in accounts if tenant_id is None or c.tenant == tenant_id), key=lambda c: c.name.lower())

    async def authenticate(self, login: str, password: str) -> Clerk:
        """The account for these credentials; NotAuthorized otherwise (same for unknown logins).

        Passwords are hashed in their NFKC form; one set before that was hashed as typed,
        so a password that NFKC changes is also tried as typed.
        """
        clerk = await self.by_login(login) if isinstance(login, str) else None
        stored = clerk.password_hash if clerk else _DUMMY_HASH
        matches = isinstance(password, str) and await _verify(stored, normalize(password))
        if not matches and isinstance(password, str) and normalize(password) != password:
            matches = await _verify(stored, password)  # unknown logins too: the time tells nothing
        if not matches or clerk is None:
            raise NotAuthorized("wrong login or password")
        if _hasher.check_needs_rehash(clerk.password_hash):
            # New hashing parameters: the same password hashed again, whatever rule it met when it was set.
            clerk = replace(clerk, password_hash=await _hashed(_hasher.hash, normalize(password)))
            await self._redis.hset(keys.CLERKS, clerk.id, clerk.to_json())
        return clerk

    async def check_password(self, password: str, context: Iterable[str]) -> None:
        """Raise WeakPassword unless ``password`` may be set (checked beside the event loop: the
        first check loads the blocklist)."""
        reasons = await _hashed(check_password, password, list(context))
        if reasons:
            raise WeakPassword(reasons)

    async def update(
        self,
        clerk: Clerk,
        *,
        name: str | None = None,
        role: str | None = None,
        offices: tuple[str, ...] | None = None,
        password: str | None = None,
        context: Iterable[str] = (),
    ) -> Clerk:
        """Change what is given; a new password must meet the rule with ``context`` (see :meth:`add`)."""
        changes: dict[str, object] = {}
        if name is not None:
            if not name.strip():
                raise InvalidInput("a name is required")
            changes["name"] = name.strip()
        if role is not None:
            if role not in ROLES:
                raise InvalidInput("role must be clerk, admin or operator")
            changes["role"] = role
        if offices is not None:
            changes["offices"] = tuple(offices)
        if password is not None:
            await self.check_password(password, (clerk.login, str(changes.get("name", clerk.name)), clerk.name, *context))
            changes["password_hash"] = await _hashed(_hasher.hash, normalize(password))
            await self.end_sessions(clerk.id)  # a new password ends every session of the old one
        updated = replace(clerk, **changes)  # type: ignore[arg-type]
        await self._redis.hset(keys.CLERKS, clerk.id, updated.to_json())
        return updated

    async def delete(self, clerk: Clerk) -> None:
        await self.end_sessions(clerk.id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hdel(keys.CLERKS, clerk.id)
            pipe.hdel(keys.LOGINS, clerk.login)
            pipe.delete(keys.second_factor(clerk.id))
            await pipe.execute()

    # -- login sessions: kept here, so that logging out, a new password or "log out
    # everywhere" ends them for good (a signed cookie alone would live on until it expires)

    async def open_session(self, clerk_id: str, *, device: str = "", now_ms: int | None = None) -> str:
        """A new login session of the account; its id goes into the cookie (only a digest is stored).

        ``device`` is a coarse description (browser family and system, server/devices.py), never
        the User-Agent itself. The record lives for the idle time and is slid by :meth:`touch_session`.
        """
        session_id = secrets.token_urlsafe(32)
        digest = _digest(session_id)
        now = _now_ms() if now_ms is None else now_ms
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(keys.login_session(digest),
                      mapping={"clerk": clerk_id, "started": now, "seen": now, "ends": now + SESSION_SECONDS * 1000, "device": device})
            pipe.pexpire(keys.login_session(digest), min(self._idle_ms, SESSION_SECONDS * 1000))
            pipe.sadd(keys.clerk_sessions(clerk_id), digest)
            pipe.expire(keys.clerk_sessions(clerk_id), SESSION_SECONDS)
            await pipe.execute()
        return session_id

    async def session_alive(self, clerk_id: str, session_id: object) -> bool:
        """True while the session exists (not ended, not idle too long, not past its absolute end) and is ``clerk_id``'s."""
        if not isinstance(session_id, str) or not session_id:
            return False
        return await self._redis.hget(keys.login_session(_digest(session_id)), "clerk") == clerk_id

    async def touch_session(self, session_id: object, *, now_ms: int | None = None) -> bool:
        """Count activity: the session's idle time starts again (never past its absolute end); False if it has ended."""
        if not isinstance(session_id, str) or not session_id:
            return False
        now = _now_ms() if now_ms is None else now_ms
        return bool(await self._touch(keys=[keys.login_session(_digest(session_id))], args=[now, self._idle_ms]))

    async def sessions(self, clerk_id: str) -> list[LoginSession]:
        """The account's sessions that are alive, most recently active first (ended ones are dropped from its set)."""
        digests = sorted(str(d) for d in await self._redis.smembers(keys.clerk_sessions(clerk_id)))
        if not digests:
            return []
        async with self._redis.pipeline(transaction=False) as pipe:
            for digest in digests:
                pipe.hgetall(keys.login_session(digest))
            records = await pipe.execute()
        alive, gone = [], []
        for digest, record in zip(digests, records, strict=True):
            if record.get("clerk") == clerk_id:
                alive.append(LoginSession(digest, int(record["started"]), int(record["seen"]), int(record["ends"]),
                                          str(record.get("device", ""))))
            else:
                gone.append(digest)
        if gone:
            await self._redis.srem(keys.clerk_sessions(clerk_id), *gone)
        return sorted(alive, key=lambda s: -s.seen)

    @staticmethod
    def now_ms() -> int:
        return _now_ms()

    @staticmethod
    def session_digest(session_id: object) -> str | None:
        """The digest a session is listed under (to mark "this device")."""
        return _digest(session_id) if isinstance(session_id, str) and session_id else None

    async def end_session(self, session_id: object) -> None:
        if not isinstance(session_id, str) or not session_id:
            return
        await self.end_listed(_digest(session_id))

    async def end_listed(self, digest: str, *, clerk_id: str | None = None) -> bool:
        """End the session listed under ``digest`` (of ``clerk_id``'s, when given); False if there was none."""
        key = keys.login_session(digest)
        owner = cast(str | None, await self._redis.hget(key, "clerk"))
        if owner is None or (clerk_id is not None and owner != clerk_id):
            return False
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(key)
            pipe.srem(keys.clerk_sessions(owner), digest)
            pipe.set(keys.login_session_ended(digest), "ended", ex=SESSION_SECONDS)
            await pipe.execute()
        return True

    async def ended_on_purpose(self, session_id: object) -> bool:
        """True if a person ended the session (logged out elsewhere, a new password, "log out everywhere"),
        rather than its idle time or its 12 hours."""
        if not isinstance(session_id, str) or not session_id:
            return False
        return bool(await self._redis.exists(keys.login_session_ended(_digest(session_id))))

    async def end_sessions(self, clerk_id: str, *, keep: object = None) -> int:
        """End every login session of the account (but ``keep``, a session id); returns how many were ended."""
        kept = _digest(keep) if isinstance(keep, str) and keep else None
        digests = [str(d) for d in await self._redis.smembers(keys.clerk_sessions(clerk_id)) if str(d) != kept]
        async with self._redis.pipeline(transaction=True) as pipe:
            for digest in digests:
                pipe.delete(keys.login_session(digest))
                pipe.set(keys.login_session_ended(digest), "ended", ex=SESSION_SECONDS)
            if kept is None:
                pipe.delete(keys.clerk_sessions(clerk_id))
            elif digests:
                pipe.srem(keys.clerk_sessions(clerk_id), *digests)
            await pipe.execute()
        return len(digests)


@dataclass(frozen=True)
class LoginSession:
    """One login session as its account sees it: listed by digest, times in ms, a coarse device."""

    digest: str
    started: int
    seen: int
    ends: int
    device: str


def _now_ms() -> int:
    return int(time.time() * 1000)


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()[:32]


async def _verify(password_hash: str, password: str) -> bool:
    try:
        return await _hashed(_hasher.verify, password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
