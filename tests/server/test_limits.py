"""Limits on anonymous actions: one address cannot fill an office or take every connection check.

Every address here is on loopback (127.0.0.0/8 all reaches the test's own namespace); the
server tells them apart as it would tell citizens apart.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio

from tests.conftest import RedisServer
from tests.server.conftest import ServerProcess, join, seed
from tests.server.test_realtime import citizen, clerk
from virtual_office.queue import keys
from virtual_office.server.protocol import CLERK, PUBLIC

CONFIRM_SECONDS = 15


@pytest.fixture
async def server(redis_server: RedisServer, redis_client: redis.asyncio.Redis, tmp_path: Path) -> AsyncIterator[ServerProcess]:
    """A server with the limits a deployment has by default."""
    await seed(redis_server.url)
    process = ServerProcess(tmp_path, {
        "VO_REDIS_URL": redis_server.url, "VO_JOINS_PER_ADDRESS": "20", "VO_CHECKS_PER_ADDRESS": "6",
        # Shorter than the default 45 s, so the test sees unconfirmed tickets end.
        "VO_CONFIRM_SECONDS": str(CONFIRM_SECONDS),
    })
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


async def test_a_join_flood_from_fifty_addresses_holds_no_place(
    server: ServerProcess, clients: Any, redis_client: redis.asyncio.Redis
) -> None:
    """Each address joins to its limit, a thousand tickets in all (twenty times the office's
    places); none connects, so none holds a place: real citizens are counted, placed and called
    as if the flood were not there, and the flood's tickets end after the confirm window."""
    anna = await clerk(clients, server, "anna", available=("buergerbuero",))
    async with client(server, "127.0.1.1") as first:
        before = (await first.post("/api/offices/buergerbuero/tickets", json={"name": "Erika"})).json()
    erika = await citizen(clients, server, before["token"])
    assert (await erika.wait_for("ticket"))["position"] == 1

    flooded_at = time.monotonic()

    async def flood(address: str) -> list[int]:
        async with client(server, address) as http:
            return [(await http.post("/api/offices/buergerbuero/tickets", json={})).status_code for _ in range(21)]

    answers = await asyncio.gather(*(flood(f"127.0.0.{n}") for n in range(2, 52)))
    assert all(a == [201] * 20 + [429] for a in answers), answers
    assert await redis_client.zcard(keys.unconfirmed("buergerbuero")) == 1000

    async with client(server, "127.0.1.2") as other:
        joined = await other.post("/api/offices/buergerbuero/tickets?lang=de", json={"name": "Max"})
        assert joined.status_code == 201, joined.text  # the office is not full
        assert joined.json()["ticket"]["position"] == 2 and joined.json()["ticket"]["ahead"] == 1
        max_ = await citizen(clients, server, joined.json()["token"])
        view = await max_.wait_for("ticket")
        assert view["position"] == 2 and view["ahead"] == 1
        offices = (await other.get("/api/offices")).json()["offices"]
    assert [o["waiting"] for o in offices if o["id"] == "buergerbuero"] == [2]
    queue = await anna.wait_for("queue", lambda q: q["office_id"] == "buergerbuero" and len(q["tickets"]) == 2)
    assert [t["name"] for t in queue["tickets"]] == ["Erika", "Max"]
    watcher = clients()
    await watcher.connect(server, PUBLIC, auth={"offices": ["buergerbuero"]})
    assert [o["waiting"] for o in (await watcher.wait_for("offices"))["offices"]] == [2]

    # Erika, who joined before the flood, is unchanged by it: first, and called first.
    assert (await erika.wait_for("ticket"))["position"] == 1
    called = await anna.call(CLERK, "call_next", {"office_id": "buergerbuero"})
    assert called["ok"] and called["ticket"]["name"] == "Erika"
    bea = await clerk(clients, server, "bea", available=("buergerbuero",))
    called = await bea.call(CLERK, "call_next", {"office_id": "buergerbuero"})
    assert called["ok"] and called["ticket"]["name"] == "Max"  # before any of the thousand

    # After the confirm window the thousand are gone, with their index; Max's call is not.
    await asyncio.sleep(max(0.0, CONFIRM_SECONDS + 3 - (time.monotonic() - flooded_at)))
    for _ in range(100):
        if await redis_client.zcard(keys.unconfirmed("buergerbuero")) == 0:
            break
        await asyncio.sleep(0.2)
    assert await redis_client.zcard(keys.unconfirmed("buergerbuero")) == 0
    assert len(await redis_client.keys("vo:{buergerbuero}:ticket:*")) == 2
    assert len(await redis_client.keys("vo:where:*")) == 2
    assert (await max_.wait_for("ticket"))["state"] == "called"
    assert await redis_client.zcard(keys.queue("buergerbuero")) == 0

