"""Twenty clerks calling at once never get the same person, and nobody is lost."""

from __future__ import annotations

import asyncio
import random
from collections import Counter

import redis.asyncio

from tests.conftest import ALWAYS, RedisServer
from tests.queue.conftest import arrive
from virtual_office.queue import AVAILABLE, Office, OfficeDirectory, Presence, QueueEmpty, WaitingRoom

OFFICES = ("a", "b", "c", "d", "e")
TICKETS = 10_000
CLERKS = 20


def _room(client: redis.asyncio.Redis) -> WaitingRoom:
    return WaitingRoom(client, OfficeDirectory(client), Presence(client), call_timeout_seconds=600)


async def test_twenty_clerks_admit_ten_thousand_tickets_exactly_once(redis_server: RedisServer, redis_client: redis.asyncio.Redis) -> None:
    offices = OfficeDirectory(redis_client)
    for oid in OFFICES:
        await offices.save(Office.from_config({"id": oid, "name": oid.upper(), "hours": ALWAYS, "max_queue": TICKETS}))
        await Presence(redis_client).set(oid, "someone", AVAILABLE)
    room = _room(redis_client)
    tokens: dict[str, str] = {}

    async def joiner(n: int) -> None:
        for i in range(n, TICKETS, 50):
            joined = await arrive(room, OFFICES[i % len(OFFICES)])
            tokens[joined.ticket.id] = joined.token

    await asyncio.gather(*(joiner(n) for n in range(50)))
    assert len(tokens) == TICKETS

    admitted: Counter[str] = Counter()

    async def clerk(n: int) -> None:
        # Each clerk has its own connection, so their scripts really interleave in Redis.
        client = redis.asyncio.Redis.from_url(redis_server.url, decode_responses=True)
        own = _room(client)
        order = list(OFFICES)
        random.Random(n).shuffle(order)
        try:
            while order:
                office = order[0]
                try:
                    ticket = await own.call_next(office, f"clerk-{n}")
                except QueueEmpty:
                    order.pop(0)
                    continue
                admitted[ticket.id] += 1
                await own.accept(tokens[ticket.id])
                await own.finish(office, ticket.id)
                order.append(order.pop(0))
        finally:
            await client.aclose()

    await asyncio.gather(*(clerk(n) for n in range(CLERKS)))
    assert len(admitted) == TICKETS, "tickets lost"
    assert max(admitted.values()) == 1, "a ticket was admitted twice"
    assert set(admitted) == set(tokens)
    for oid in OFFICES:
        assert await redis_client.zcard(f"vo:{{{oid}}}:queue") == 0
        assert await redis_client.hlen(f"vo:{{{oid}}}:serving") == 0
    assert await redis_client.keys("vo:{*}:ticket:*") == []
    assert await redis_client.keys("vo:where:*") == []
