"""The leader lease against a real Redis: one holder at a time, and a holder that lost it stays out."""

from __future__ import annotations

import asyncio

import redis.asyncio

from virtual_office.lease import Lease

KEY = "vo:test-lease"


async def test_two_contenders_one_holds_until_it_lets_go(redis_client: redis.asyncio.Redis) -> None:
    first, second = Lease(redis_client, KEY, ttl=3), Lease(redis_client, KEY, ttl=3)
    assert await first.hold() and first.held
    assert not await second.hold() and not second.held
    assert await first.hold(), "the holder extends its own lease"
    assert 2000 < await redis_client.pttl(KEY) <= 3000
    assert await first.release() and not first.held
    assert await second.hold(), "released, the other takes it at once"
    assert not await first.hold()


async def test_contenders_at_the_same_instant_elect_one(redis_client: redis.asyncio.Redis) -> None:
    leases = [Lease(redis_client, KEY, ttl=3) for _ in range(20)]
    results = await asyncio.gather(*(lease.hold() for lease in leases))
    assert results.count(True) == 1
    assert await redis_client.get(KEY) == leases[results.index(True)].holder


async def test_a_holder_that_stalls_past_its_lease_loses_it_and_leaves_the_new_holder_alone(
    redis_client: redis.asyncio.Redis,
) -> None:
    stalled, other = Lease(redis_client, KEY, ttl=0.2), Lease(redis_client, KEY, ttl=3)
    assert await stalled.hold()
    await asyncio.sleep(0.3)  # a long garbage collection, a slow platform: the lease lapses
    assert not stalled.held, "the holder knows its time is up without asking Redis"
    assert await other.hold()
    assert not await stalled.hold(), "coming back it cannot extend what another holds"
    assert not await stalled.release(), "nor delete it"
    assert await redis_client.get(KEY) == other.holder
    assert await other.hold()


async def test_a_lease_whose_key_is_gone_is_taken_again_by_whoever_asks_first(redis_client: redis.asyncio.Redis) -> None:
    # What a failover that lost the last writes looks like from the new primary: no lease at all.
    holder, other = Lease(redis_client, KEY, ttl=3), Lease(redis_client, KEY, ttl=3)
    assert await holder.hold()
    await redis_client.delete(KEY)
    assert await other.hold()
    assert not await holder.hold() and not holder.held

