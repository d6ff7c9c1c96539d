"""Limits on anonymous actions: one address cannot fill an office or take every connection check.

Every address here is on loopback (127.0.0.0/8 all reaches the test's own namespace); the
server tells them apart as it would tell citizens apart.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio

from tests.conftest import RedisServer
from tests.server.conftest import ServerProcess, join, seed
from tests.server.test_realtime import clerk


@pytest.fixture
async def server(redis_server: RedisServer, redis_client: redis.asyncio.Redis, tmp_path: Path) -> AsyncIterator[ServerProcess]:
    """A server with the limits a deployment has by default."""
    await seed(redis_server.url)
    process = ServerProcess(tmp_path, {"VO_REDIS_URL": redis_server.url, "VO_JOINS_PER_ADDRESS": "20", "VO_CHECKS_PER_ADDRESS": "6"})
    process.start()
    yield process
    process.stop()


def client(server: ServerProcess, address: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=server.url, timeout=60, transport=httpx.AsyncHTTPTransport(local_address=address))


async def test_a_join_flood_from_one_address_leaves_the_office_open_to_citizens(server: ServerProcess, clients: Any) -> None:
    await clerk(clients, server, "anna", available=("buergerbuero",))
    answers: list[int] = []
    async with client(server, "127.0.0.1") as flood:
        pending = iter(range(5000))

        async def worker() -> None:
            for _ in pending:
                answers.append((await flood.post("/api/offices/buergerbuero/tickets", json={})).status_code)

        await asyncio.gather(*(worker() for _ in range(50)))
    assert len(answers) == 5000 and answers.count(201) == 20 and answers.count(429) == 4980
    async with client(server, "127.0.0.2") as citizen:
        answer = await citizen.post("/api/offices/buergerbuero/tickets", json={"name": "Erika"})
        assert answer.status_code == 201, answer.text
        refused = (await flood_again(server)).json()
    assert refused["error"] == "too_many" and "Minuten" in refused["message"]


async def flood_again(server: ServerProcess) -> httpx.Response:
    async with client(server, "127.0.0.1") as flood:
        return await flood.post("/api/offices/buergerbuero/tickets?lang=de", json={})


async def test_one_address_cannot_take_every_connection_check(server: ServerProcess, clients: Any) -> None:
    nonsense = {"type": "offer"}  # refused as a bad signal, but counted first
    async with client(server, "127.0.0.1") as greedy:
        answers = [(await greedy.post("/api/connection-check", json=nonsense)).status_code for _ in range(7)]
    assert answers == [400] * 6 + [429]
    async with client(server, "127.0.0.3") as other:
        assert (await other.post("/api/connection-check", json=nonsense)).status_code == 400
    await clerk(clients, server, "anna", available=("buergerbuero",))
    assert (await join(server, "buergerbuero"))["token"]  # joining is counted apart
