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



async def test_repeated_work_runs_only_in_the_holder_outlives_its_failures_and_lets_go_when_stopped(
    redis_client: redis.asyncio.Redis, caplog,  # type: ignore[no-untyped-def]
) -> None:
    rounds: dict[str, int] = {"leader": 0, "follower": 0}

    def work(name: str, fail: bool):  # type: ignore[no-untyped-def]
        async def one_round() -> None:
            rounds[name] += 1
            if fail and rounds[name] in (1, 2):
                raise (LookupError if rounds[name] == 1 else RuntimeError)("a bad round")
        return one_round

    leader, follower = Lease(redis_client, KEY, ttl=3), Lease(redis_client, KEY, ttl=3)
    assert await leader.hold()
    leading = asyncio.create_task(leader.repeat(0.05, work("leader", True), what="test work", expected=(LookupError,)))
    following = asyncio.create_task(follower.repeat(0.05, work("follower", False), what="test work"))
    await asyncio.sleep(0.5)
    assert rounds["leader"] > 3, "failed rounds do not stop the next"
    assert rounds["follower"] == 0, "the lease is held elsewhere"
    assert "test work skipped: LookupError" in caplog.text, "a foreseen failure: its type only"
    assert "test work failed" in caplog.text and "RuntimeError" in caplog.text, "anything else: with its traceback"

    leading.cancel()
    await asyncio.gather(leading, return_exceptions=True)
    assert await redis_client.get(KEY) != leader.holder, "given up on the way out"
    await asyncio.sleep(0.3)
    assert rounds["follower"] > 0, "the other process took over at once, not after three seconds"
    following.cancel()
    await asyncio.gather(following, return_exceptions=True)
