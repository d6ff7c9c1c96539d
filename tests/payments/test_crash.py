"""A server killed (SIGKILL) around a payment: the reconciler ends with exactly one platform transaction."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import redis.asyncio

from tests.conftest import Clock, RedisServer
from tests.payments.conftest import OFFICE, Platform
from virtual_office.payments import Cashier, State
from virtual_office.payments import keys as payment_keys

ROOT = Path(__file__).resolve().parents[2]


async def kill_while_waiting(redis_server: RedisServer, redis_client: redis.asyncio.Redis, platform: Platform,
                             until: str) -> str:
    """Start a process that asks for a payment; SIGKILL it once ``until`` holds; return the stored transaction's id."""
    child = subprocess.Popen([sys.executable, "-m", "tests.payments.crash_child", redis_server.url, OFFICE, "visit-9"],
                             cwd=ROOT, stdout=subprocess.PIPE)
    try:
        async with asyncio.timeout(20):
            while True:
                ids = await redis_client.zrange(payment_keys.due(OFFICE), 0, -1)
                if ids and (until == "stored" or platform.sandbox.payments):
                    break
                assert child.poll() is None, "the child ended before it was killed"
                await asyncio.sleep(0.02)
    finally:
        child.kill()
        out, _ = child.communicate()
    assert b"answered" not in out
    assert len(ids) == 1
    return str(ids[0])


async def test_killed_after_the_platform_created_it(redis_server: RedisServer, redis_client: redis.asyncio.Redis,
                                                    platform: Platform, cashier: Cashier, clock: Clock) -> None:
    platform.sandbox.hold_after_create = 30  # stored on the platform; the answer never reaches the dead process
    transaction_id = await kill_while_waiting(redis_server, redis_client, platform, until="created")
    stored = await cashier.store.get(OFFICE, transaction_id)
    assert stored.state is State.CREATING and stored.platform_id == ""
    platform.sandbox.hold_after_create = 0

    assert await cashier.reconcile(OFFICE) == 0, "a creation in flight is left alone for its lease"
    clock.advance(cashier.timing.create_lease_seconds + 30)  # the child's clock started later
    assert await cashier.reconcile(OFFICE) == 1
    tx = await cashier.store.get(OFFICE, transaction_id)
    assert tx.state is State.OPEN, tx
    assert list(platform.sandbox.payments) == [tx.platform_id], "PAYMENT_EXISTS: the existing one was read, none made"
    assert platform.sandbox.create_requests == 2


async def test_killed_before_the_platform_answered(redis_server: RedisServer, redis_client: redis.asyncio.Redis,
                                                   platform: Platform, cashier: Cashier, clock: Clock) -> None:
    platform.sandbox.delay = 30  # the request is stuck before the platform looked at it
    transaction_id = await kill_while_waiting(redis_server, redis_client, platform, until="stored")
    platform.sandbox.delay = 0
    clock.advance(cashier.timing.create_lease_seconds + 30)  # the child's clock started later
    await cashier.reconcile(OFFICE)
    tx = await cashier.store.get(OFFICE, transaction_id)
    assert tx.state is State.OPEN and list(platform.sandbox.payments) == [tx.platform_id]


async def test_killed_and_the_platform_keeps_quiet_about_which(redis_server: RedisServer, redis_client: redis.asyncio.Redis,
                                                              platform: Platform, cashier: Cashier, clock: Clock) -> None:
    """A platform whose PAYMENT_EXISTS does not name the transaction: nothing is made twice; a person looks it up."""
    platform.sandbox.hold_after_create = 30
    platform.sandbox.names_existing = False
    transaction_id = await kill_while_waiting(redis_server, redis_client, platform, until="created")
    platform.sandbox.hold_after_create = 0
    clock.advance(cashier.timing.create_lease_seconds + 30)  # the child's clock started later
    await cashier.reconcile(OFFICE)
    tx = await cashier.store.get(OFFICE, transaction_id)
    assert (tx.state, tx.error) == (State.UNRESOLVED, "payment_exists")
    assert len(platform.sandbox.payments) == 1
    assert await redis_client.zcard(payment_keys.due(OFFICE)) == 0
