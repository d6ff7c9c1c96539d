"""The timed work's leases of a running server: held while it runs, given up when it stops,
so that another process takes the work over at once instead of after the lease lapses."""

from __future__ import annotations

import asyncio

import redis.asyncio

from tests.server.conftest import ServerProcess
from virtual_office.payments import keys as payment_keys
from virtual_office.queue import keys

LEASES = (keys.SWEEPER_LOCK, payment_keys.RECONCILER_LOCK)
"""Mail delivery runs only with a mail server; its lease is the same class (tests/test_lease.py)."""


async def test_a_server_holds_the_leases_while_it_runs_and_gives_them_up_when_it_stops(
    server: ServerProcess, redis_client: redis.asyncio.Redis,
) -> None:
    for _ in range(100):
        if all([await redis_client.exists(key) for key in LEASES]):
            break
        await asyncio.sleep(0.1)
    holders = [await redis_client.get(key) for key in LEASES]
    assert all(holders), holders
    assert all(h.startswith(f"{server.process.pid}-") for h in holders if h and server.process), holders
    server.stop()
    assert [await redis_client.exists(key) for key in LEASES] == [0, 0], "released on the way out, not left to lapse"
