"""The server's Redis client against a real primary, replica and three sentinels
(examples/deploy): the primary SIGKILLed, Sentinel promotes the replica, and the client
goes on without an error; tickets and leases are neither lost nor doubled."""

from __future__ import annotations

import asyncio
import time

from tests.cluster.deploy import ReplicatedRedis
from tests.conftest import ALWAYS
from virtual_office import redis_client
from virtual_office.lease import Lease
from virtual_office.queue import AVAILABLE, Office, OfficeDirectory, Presence, WaitingRoom, keys

OFFICE = "buergerbuero"


async def _room(url: str) -> tuple[WaitingRoom, Presence]:
    client = redis_client.connect(url)
    offices = OfficeDirectory(client, max_age=0)
    presence = Presence(client, timeout_seconds=3600)
    return WaitingRoom(client, offices, presence, grace_seconds=3600, call_timeout_seconds=60), presence


async def test_joins_ride_through_a_failover_and_no_ticket_is_lost_or_doubled(replicated_redis: ReplicatedRedis) -> None:
    room, presence = await _room(replicated_redis.url)
    await room.offices.save(Office.from_config({"id": OFFICE, "name": "Bürgerbüro", "hours": ALWAYS}))
    await presence.set(OFFICE, "clerk", AVAILABLE)
    before = [await room.join(OFFICE) for _ in range(20)]
    for joined in before:
        await room.heartbeat(joined.ticket, online=True)
    replicated_redis.synced()

    # Joins keep coming while the primary dies and Sentinel promotes the replica.
    async def citizen() -> str:
        joined = await room.join(OFFICE)
        await room.heartbeat(joined.ticket, online=True)
        return joined.ticket.id

    started = time.monotonic()
    replicated_redis.kill_primary()
    during = await asyncio.gather(*(citizen() for _ in range(30)))
    took = time.monotonic() - started
    replicated_redis.wait_promoted()

    queue = await room.redis.zrange(keys.queue(OFFICE), 0, -1)
    assert len(queue) == len(set(queue)) == 50, f"{len(queue)} places after the failover ({took:.1f}s)"
    assert set(queue) == {j.ticket.id for j in before} | set(during)
    numbers = [t.number for t in await room.waiting(OFFICE)]
    assert len(set(numbers)) == 50, "no number given twice"
    assert took > 3, "the joins waited for the promotion (down-after-milliseconds is 5 s)"
    await room.redis.aclose()


async def test_a_lease_holder_keeps_its_lease_across_a_failover_and_nobody_else_takes_it(
    replicated_redis: ReplicatedRedis,
) -> None:
    first, second = redis_client.connect(replicated_redis.url), redis_client.connect(replicated_redis.url)
    holder, other = Lease(first, "vo:sweeper", ttl=30), Lease(second, "vo:sweeper", ttl=30)
    assert await holder.hold() and not await other.hold()
    replicated_redis.synced()
    replicated_redis.kill_primary()
    assert await holder.hold(), "the new primary has the lease its holder extends"
    assert not await other.hold()
    replicated_redis.wait_promoted()
    assert await holder.release() and await other.hold()
    await first.aclose()
    await second.aclose()
