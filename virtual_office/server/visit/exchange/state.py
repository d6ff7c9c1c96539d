"""What a visit's exchange remembers while it lasts: chat, signature requests, the ID check.

Kept in Redis so that every server process sees it (a reload may land on another
one), under keys of their own per visit (hash tag = visit id), deleted when the
visit ends; an expiry catches what a crash leaves behind.
"""

from __future__ import annotations

import json
from typing import Any

from redis.asyncio import Redis

from virtual_office.queue import keys

TTL_SECONDS = 12 * 3600
"""Refreshed on every write; longer than any visit, short enough that nothing lingers."""
MAX_CHAT = 500
"""Messages kept per visit (the oldest go first)."""
INDEX = keys.EXCHANGE_VISITS
_chat_key = keys.visit_chat
_state_key = keys.visit_state


class VisitState:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    def _touch(self, pipe: Any, visit_id: str) -> None:
        pipe.expire(_chat_key(visit_id), TTL_SECONDS)
        pipe.expire(_state_key(visit_id), TTL_SECONDS)
        pipe.sadd(INDEX, visit_id)

    async def begin(self, visit_id: str, office_id: str, started: int | None) -> None:
        """Note which office and since when (for the visit record); the first call wins."""
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.hsetnx(_state_key(visit_id), "office_id", office_id)
            pipe.hsetnx(_state_key(visit_id), "started", str(started or ""))
            self._touch(pipe, visit_id)
            await pipe.execute()

    async def meta(self, visit_id: str) -> dict[str, str]:
        fields = await self._redis.hmget(_state_key(visit_id), ["office_id", "started", "id_checked", "id_check_requested"])
        return {k: str(v) for k, v in zip(("office_id", "started", "id_checked", "id_check_requested"), fields, strict=True) if v is not None}

    async def add_chat(self, visit_id: str, message: dict[str, object]) -> None:
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.rpush(_chat_key(visit_id), json.dumps(message, ensure_ascii=False))
            pipe.ltrim(_chat_key(visit_id), -MAX_CHAT, -1)
            self._touch(pipe, visit_id)
            await pipe.execute()

    async def chat(self, visit_id: str) -> list[dict[str, Any]]:
        return [json.loads(m) for m in await self._redis.lrange(_chat_key(visit_id), 0, -1)]

    async def save_request(self, visit_id: str, request: dict[str, object]) -> None:
        """A signature request (new or changed), by its id."""
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.hset(_state_key(visit_id), f"sig:{request['id']}", json.dumps(request, ensure_ascii=False))
            self._touch(pipe, visit_id)
            await pipe.execute()

    async def claim_signature(self, visit_id: str, request_id: str) -> bool:
        """Reserve a signature request for one upload; False while or after another has it."""
        return bool(await self._redis.hsetnx(_state_key(visit_id), f"claim:{request_id}", "1"))

    async def release_signature(self, visit_id: str, request_id: str) -> None:
        await self._redis.hdel(_state_key(visit_id), f"claim:{request_id}")

    async def request(self, visit_id: str, request_id: str) -> dict[str, Any] | None:
        raw = await self._redis.hget(_state_key(visit_id), f"sig:{request_id}")
        return json.loads(raw) if raw else None

    async def requests(self, visit_id: str) -> list[dict[str, Any]]:
        fields = await self._redis.hgetall(_state_key(visit_id))
        found = [json.loads(v) for k, v in fields.items() if str(k).startswith("sig:")]
        return sorted(found, key=lambda r: r.get("at", 0))

    async def set_flag(self, visit_id: str, name: str, value: bool) -> None:
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.hset(_state_key(visit_id), name, "1" if value else "0")
            self._touch(pipe, visit_id)
            await pipe.execute()

    async def forget(self, visit_id: str) -> None:
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.delete(_chat_key(visit_id), _state_key(visit_id))
            pipe.srem(INDEX, visit_id)
            await pipe.execute()

    async def visit_ids(self) -> set[str]:
        return {str(v) for v in await self._redis.smembers(INDEX)}


__all__ = ["VisitState"]
