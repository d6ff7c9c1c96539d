"""Clerk presence per office: available or paused, kept alive by heartbeats."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import cast

from redis.asyncio import Redis

from virtual_office.queue import keys
from virtual_office.queue.errors import InvalidInput

AVAILABLE = "available"
PAUSED = "paused"
OFFLINE = "offline"
WITH_CITIZEN = "with_citizen"
"""Derived, never stored: an available clerk who has someone called or in a visit."""


class Presence:
    """Who is on duty where. A clerk whose browser stops sending heartbeats drops off
    after ``timeout_seconds``, so a crashed browser does not keep an office open."""

    def __init__(self, redis: Redis, *, timeout_seconds: int = 45, clock: Callable[[], float] = time.time) -> None:
        self._redis = redis
        self._timeout_ms = timeout_seconds * 1000
        self._clock = clock

    async def set(self, office_id: str, clerk_id: str, state: str) -> None:
        if state not in (AVAILABLE, PAUSED, OFFLINE):
            raise InvalidInput("presence must be available, paused or offline")
        async with self._redis.pipeline(transaction=True) as pipe:
            if state == OFFLINE:
                pipe.hdel(keys.presence(office_id), clerk_id)
                pipe.zrem(keys.presence_seen(office_id), clerk_id)
            else:
                pipe.hset(keys.presence(office_id), clerk_id, state)
                pipe.zadd(keys.presence_seen(office_id), {clerk_id: int(self._clock() * 1000)})
            await pipe.execute()

    async def heartbeat(self, clerk_id: str, office_ids: list[str]) -> None:
        """Refresh the clerk in the offices where they are on duty (never adds them)."""
        now = int(self._clock() * 1000)
        async with self._redis.pipeline(transaction=False) as pipe:
            for office_id in office_ids:
                pipe.zadd(keys.presence_seen(office_id), {clerk_id: now}, xx=True)
            await pipe.execute()

    def cutoff_ms(self) -> int:
        """Heartbeats older than this no longer count."""
        return int(self._clock() * 1000) - self._timeout_ms

    async def on_duty(self, office_id: str) -> dict[str, str]:
        """Clerk id -> available | paused, for clerks whose heartbeat is fresh."""
        cutoff = self.cutoff_ms()
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.hgetall(keys.presence(office_id))
            pipe.zrangebyscore(keys.presence_seen(office_id), cutoff, "+inf")
            states, fresh = await pipe.execute()
        alive = set(fresh)
        return {clerk: state for clerk, state in states.items() if clerk in alive}

    async def expire(self, office_id: str) -> list[str]:
        """Drop clerks whose heartbeat stopped; returns who was dropped."""
        cutoff = self.cutoff_ms()
        # Without scores, from a client that decodes responses: clerk ids.
        stale = cast(list[str], await self._redis.zrangebyscore(keys.presence_seen(office_id), "-inf", f"({cutoff}"))
        if stale:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.hdel(keys.presence(office_id), *stale)
                pipe.zrem(keys.presence_seen(office_id), *stale)
                await pipe.execute()
        return list(stale)
