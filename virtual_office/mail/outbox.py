"""The outbox: every message is kept in Redis until the mail server accepted it.

A message goes ``queued`` → (``retrying`` …) → ``sent`` or ``failed``, each step one Lua
script (``scripts/``). A delivery round *claims* due messages: each is leased to the round
(its next try pushed :attr:`Backoff.lease_seconds` ahead, a token recorded), so another
process never sends it at the same time; only the holder of the lease may mark it sent or
failed. Once sent, its content and recipients are deleted at once; the id, kind and times
stay for the administration for :attr:`Backoff.keep_seconds`.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.commands.core import AsyncScript
from redis.exceptions import RedisError

from virtual_office.mail import keys
from virtual_office.mail.errors import InvalidMessage, MailError
from virtual_office.mail.message import Message

DEFAULT_TENANT = "default"
"""The tenant of mail queued without one (virtual_office.queue.tenants.DEFAULT; the mail package stands alone)."""

_SCRIPTS = Path(__file__).with_name("scripts")
_KEY = re.compile(r"[\w:.-]{1,200}")
_ADDRESSES = re.compile(r"\S+@\S+")


@dataclass(frozen=True)
class Backoff:
    """When to try again, and when to give up."""

    first_seconds: float = 30
    """Wait after the first failed attempt; doubled after each further one."""
    cap_seconds: float = 3600
    """The longest wait between two attempts."""
    give_up_seconds: float = 3 * 86400
    """A message not sent this long after it was queued is given up (and its content deleted)."""
    lease_seconds: float = 600
    """How long a claimed message is not offered to anyone else: longer than any one attempt
    (connect, send, the server's reply), so that only a process that died mid-send loses it
    to another, which then sends it again."""
    keep_seconds: int = 30 * 86400
    """How long the record of a sent or failed message (id, kind, times, no content) is kept."""

    def delay(self, attempts: int) -> float:
        """Seconds to wait after the ``attempts``-th failed attempt: 30 s, 1 min, 2 min … at most an hour."""
        return float(min(self.cap_seconds, self.first_seconds * 2 ** max(0, attempts - 1)))


@dataclass(frozen=True)
class Claimed:
    """A message a delivery round holds the lease on."""

    id: str
    message: Message
    attempts: int
    """This attempt's number (1 for the first)."""
    created: float
    """When it was queued (seconds)."""
    lease: str


@dataclass(frozen=True)
class OutboxStatus:
    """What the administration sees of the outbox: counts and the oldest waiting message, no addresses."""

    queued: int
    """Waiting for their first attempt (or in it)."""
    retrying: int
    """Failed at least once, to be tried again."""
    failed: int
    """Given up within the keeping time."""
    sent: int
    """Sent within the keeping time."""
    oldest_id: str | None
    oldest_kind: str | None
    oldest_age_seconds: float | None
    """How long the oldest message not yet sent has been waiting."""
    oldest_attempts: int
    oldest_error: str | None
    """Why its last attempt failed (the server's code and words, without addresses)."""

    def to_json(self) -> dict[str, object]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Record:
    """What is kept of a message: never its content or recipients once it is sent or failed."""

    id: str
    kind: str
    state: str
    created: float
    attempts: int
    sent: float | None
    failed: float | None
    last_error: str | None


class Outbox:
    """Queue messages (once per key) and move them through their states; see the module docstring."""

    def __init__(self, redis: Redis, *, backoff: Backoff | None = None, clock: Callable[[], float] = time.time) -> None:
        self._redis = redis
        self.backoff = backoff or Backoff()
        self._clock = clock
        self._enqueue = redis.register_script((_SCRIPTS / "enqueue.lua").read_text())
        self._claim = redis.register_script((_SCRIPTS / "claim.lua").read_text())
        self._sent = redis.register_script((_SCRIPTS / "sent.lua").read_text())
        self._retry = redis.register_script((_SCRIPTS / "retry.lua").read_text())
        self._fail = redis.register_script((_SCRIPTS / "fail.lua").read_text())

    def now(self) -> float:
        return self._clock()

    async def enqueue(self, message: Message, *, key: str, tenant: str = DEFAULT_TENANT) -> str:
        """Keep ``message`` for sending and return its id; under a ``key`` seen before, the earlier id.

        ``key`` names what the message is for (``booking:<id>:confirmation``): queuing the
        same thing twice sends it once. Ids only, never an address or a name. The record keeps
        its ``tenant`` (also once sent), so each tenant's administration counts its own.
        """
        if not _KEY.fullmatch(key):
            raise InvalidMessage("key: up to 200 letters, digits and '_', ':', '.', '-'")
        message_id = secrets.token_hex(12)
        body = json.dumps(message.to_json(), ensure_ascii=False)
        result = await self._run(self._enqueue, [keys.idempotency(key), keys.message(message_id), keys.DUE, keys.PENDING],
                                 [message_id, message.kind, body, self._ms(), key, tenant])
        return str(result[0])

    async def claim(self, limit: int = 20) -> list[Claimed]:
        """Lease up to ``limit`` due messages to the caller (see the module docstring)."""
        lease = secrets.token_hex(8)
        flat = await self._run(self._claim, [keys.DUE],
                               [self._ms(), int(self.backoff.lease_seconds * 1000), lease, limit, keys.MESSAGE_PREFIX])
        return [
            Claimed(id=str(flat[i]), message=Message.from_json(json.loads(flat[i + 1])), attempts=int(flat[i + 2]),
                    created=int(flat[i + 3]) / 1000, lease=lease)
            for i in range(0, len(flat), 4)
        ]

    async def mark_sent(self, claimed: Claimed) -> bool:
        """The server accepted it: delete content and recipients. False if the lease was lost meanwhile."""
        done = await self._run(self._sent, [keys.message(claimed.id), keys.DUE, keys.PENDING, keys.RETRYING, keys.SENT],
                               [claimed.id, claimed.lease, self._ms(), self.backoff.keep_seconds, keys.KEY_PREFIX])
        return bool(done)

    async def mark_failed_attempt(self, claimed: Claimed, reason: str, *, permanent: bool = False) -> str:
        """Schedule the next try, or give up (``failed``) when ``permanent`` or the retry period is over.

        Returns the new state (``retrying`` or ``failed``), or ``lost`` if the lease was lost.
        """
        reason = scrub(reason)
        now = self.now()
        if permanent or now - claimed.created >= self.backoff.give_up_seconds:
            done = await self._run(self._fail, [keys.message(claimed.id), keys.DUE, keys.PENDING, keys.RETRYING, keys.FAILED],
                                   [claimed.id, claimed.lease, self._ms(), self.backoff.keep_seconds, reason, keys.KEY_PREFIX])
            return "failed" if done else "lost"
        next_try = now + self.backoff.delay(claimed.attempts)
        done = await self._run(self._retry, [keys.message(claimed.id), keys.DUE, keys.RETRYING],
                               [claimed.id, claimed.lease, int(next_try * 1000), reason])
        return "retrying" if done else "lost"

    async def status(self, tenant: str | None = None) -> OutboxStatus:
        """Counts of queued, retrying, failed and sent messages and the oldest one still waiting;
        of one ``tenant``'s messages only when given (a record without one is the default tenant's)."""
        if tenant is not None:
            return await self._status_of(tenant)
        now_ms = self._ms()
        since = now_ms - self.backoff.keep_seconds * 1000
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zcard(keys.PENDING)
            pipe.scard(keys.RETRYING)
            pipe.zcount(keys.FAILED, since, "+inf")
            pipe.zcount(keys.SENT, since, "+inf")
            pipe.zrange(keys.PENDING, 0, 0, withscores=True)
            pending, retrying, failed, sent, oldest = await self._pipe(pipe)
        oldest_id = kind = error = None
        age = None
        attempts = 0
        if oldest:
            oldest_id, created = str(oldest[0][0]), float(oldest[0][1])
            age = max(0.0, (now_ms - created) / 1000)
            kind, tried, error = (_text(v) for v in await self._redis.hmget(keys.message(oldest_id), ["kind", "attempts", "last_error"]))
            attempts = int(tried or 0)
        return OutboxStatus(
            queued=int(pending) - int(retrying), retrying=int(retrying), failed=int(failed), sent=int(sent),
            oldest_id=oldest_id, oldest_kind=kind, oldest_age_seconds=age, oldest_attempts=attempts, oldest_error=error,
        )

    async def _status_of(self, tenant: str) -> OutboxStatus:
        """:meth:`status` of one tenant: reads each kept record's tenant (an administration page, a few
        thousand records at most in the keeping time; no index to keep in step in every script)."""
        now_ms = self._ms()
        since = now_ms - self.backoff.keep_seconds * 1000
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zrange(keys.PENDING, 0, -1, withscores=True)
            pipe.smembers(keys.RETRYING)
            pipe.zrangebyscore(keys.FAILED, since, "+inf")
            pipe.zrangebyscore(keys.SENT, since, "+inf")
            pending, retrying, failed, sent = await self._pipe(pipe)
        ids = [str(_text(i)) for i, _ in pending] + [str(_text(i)) for i in (*failed, *sent)]
        owners: dict[str, str] = {}
        if ids:
            async with self._redis.pipeline(transaction=False) as pipe:
                for message_id in ids:
                    pipe.hget(keys.message(message_id), "tenant")
                owners = {i: _text(t) or DEFAULT_TENANT for i, t in zip(ids, await self._pipe(pipe), strict=True)}
        mine = {i for i, t in owners.items() if t == tenant}
        waiting = [(str(_text(i)), float(score)) for i, score in pending if str(_text(i)) in mine]
        retry_count = len({str(_text(i)) for i in retrying} & {i for i, _ in waiting})
        oldest_id = kind = error = None
        age = None
        attempts = 0
        if waiting:
            oldest_id, created = waiting[0]
            age = max(0.0, (now_ms - created) / 1000)
            kind, tried, error = (_text(v) for v in await self._redis.hmget(keys.message(oldest_id), ["kind", "attempts", "last_error"]))
            attempts = int(tried or 0)
        return OutboxStatus(
            queued=len(waiting) - retry_count, retrying=retry_count,
            failed=sum(1 for i in failed if str(_text(i)) in mine), sent=sum(1 for i in sent if str(_text(i)) in mine),
            oldest_id=oldest_id, oldest_kind=kind, oldest_age_seconds=age, oldest_attempts=attempts, oldest_error=error,
        )

    async def record(self, message_id: str) -> Record | None:
        """What is kept of one message (no content or recipients), or None once forgotten."""
        data = {str(k): str(v) for k, v in (await self._redis.hgetall(keys.message(message_id))).items()}
        if not data:
            return None
        return Record(
            id=message_id,
            kind=data.get("kind", ""),
            state=data.get("state", ""),
            created=int(data["created"]) / 1000,
            attempts=int(data.get("attempts", 0)),
            sent=int(data["sent"]) / 1000 if "sent" in data else None,
            failed=int(data["failed"]) / 1000 if "failed" in data else None,
            last_error=data.get("last_error"),
        )

    def _ms(self) -> int:
        return int(self.now() * 1000)

    @staticmethod
    async def _run(script: AsyncScript, keys_: list[str], args: list[Any]) -> Any:
        try:
            return await script(keys=keys_, args=args)
        except RedisError as exc:
            raise MailError(f"the outbox is unavailable ({type(exc).__name__})") from exc

    @staticmethod
    async def _pipe(pipe: Pipeline) -> list[Any]:
        try:
            return await pipe.execute()
        except RedisError as exc:
            raise MailError(f"the outbox is unavailable ({type(exc).__name__})") from exc


def _text(value: bytes | str | None) -> str | None:
    return value.decode() if isinstance(value, bytes) else value


def scrub(reason: str) -> str:
    """An error text fit to keep and log: no e-mail address, one line, not too long."""
    return _ADDRESSES.sub("<address>", " ".join(reason.split()))[:300]
