"""A running server follows payments: its reconciler records a payment made while the server was killed."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import redis.asyncio

from tests.conftest import RedisServer
from tests.payments.conftest import OFFICE, Platform
from tests.server.conftest import ServerProcess
from virtual_office.payments import Cashier, Charge, State
from virtual_office.payments import keys as payment_keys


async def test_a_payment_made_while_the_server_was_down_is_recorded(
        redis_server: RedisServer, redis_client: redis.asyncio.Redis, platform: Platform, cashier: Cashier, tmp_path: Path) -> None:
    server = ServerProcess(tmp_path, {"VO_REDIS_URL": redis_server.url})
    server.start()
    try:
        tx = await cashier.request(OFFICE, "visit-3", [Charge("fuehrungszeugnis")], "https://buergerbuero.example/back")
        assert tx.state is State.OPEN
        server.kill()  # SIGKILL while the citizen is on the pay page
        async with httpx.AsyncClient() as browser:
            await browser.post(tx.pay_url, data={"action": "pay"})
        server.start()
        await redis_client.zadd(payment_keys.due(OFFICE), {tx.id: 0})  # due now, not after its backoff
        async with asyncio.timeout(30):
            while (await cashier.store.get(OFFICE, tx.id)).state is not State.PAID:
                await asyncio.sleep(0.1)
        assert await redis_client.zcard(payment_keys.due(OFFICE)) == 0
    finally:
        server.stop()
