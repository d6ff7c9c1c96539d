"""Limits on anonymous actions: one address cannot fill an office or take every connection check.

Every address here is on loopback (127.0.0.0/8 all reaches the test's own namespace); the
server tells them apart as it would tell citizens apart.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import pytest
import redis.asyncio
import socketio

from tests.conftest import RedisServer
from tests.server.conftest import ServerProcess, join, login, seed
from tests.server.test_realtime import citizen, clerk
from virtual_office.queue import keys
from virtual_office.server.protocol import CLERK, PUBLIC

CONFIRM_SECONDS = 15
CAP = 20


@pytest.fixture
async def server(redis_server: RedisServer, redis_client: redis.asyncio.Redis, tmp_path: Path) -> AsyncIterator[ServerProcess]:
    """A server with the limits a deployment has by default."""
    await seed(redis_server.url)
    process = ServerProcess(tmp_path, {
        "VO_REDIS_URL": redis_server.url, "VO_JOINS_PER_ADDRESS": "20", "VO_CHECKS_PER_ADDRESS": "6",
        # Shorter than the default 45 s, so the test sees unconfirmed tickets end.
        "VO_CONFIRM_SECONDS": str(CONFIRM_SECONDS),
        "VO_CONNECTIONS_PER_ADDRESS": str(CAP), "VO_UNCAPPED_NETWORKS": "127.0.9.0/24",
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


async def handshake(server: ServerProcess, address: str) -> httpx.Response:
    """Engine.IO's first request: a new connection, answered with its session id (or refused)."""
    async with client(server, address) as http:
        return await http.get("/socket.io/", params={"EIO": "4", "transport": "polling"})


async def websocket(server: ServerProcess, address: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A WebSocket connection to Engine.IO from ``address``, open once the server said so."""
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port, local_addr=(address, 0))
    writer.write(
        f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    status = await asyncio.wait_for(reader.readline(), 10)
    assert status.startswith(b"HTTP/1.1 101"), status
    await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    frame = await asyncio.wait_for(reader.readexactly(2), 10)  # the open packet's frame header
    assert frame[0] == 0x81
    await reader.readexactly(frame[1] & 0x7F)
    return reader, writer


async def test_one_address_holds_at_most_the_cap_of_connections(server: ServerProcess, clients: Any) -> None:
    held = [await websocket(server, "127.0.2.1") for _ in range(CAP)]
    refused = await handshake(server, "127.0.2.1")
    assert refused.status_code == 429
    assert refused.json()["error"] == "too_many" and refused.json()["ok"] is False and refused.json()["message"]
    assert (await handshake(server, "127.0.2.2")).status_code == 200  # another address is not counted with it
    assert (await handshake(server, "127.0.9.1")).status_code == 200  # an uncapped network
    async with from_address("127.0.2.1") as widget:
        with pytest.raises(socketio.exceptions.ConnectionError):
            await widget.connect(server.url, namespaces=[PUBLIC], transports=["polling"], wait_timeout=5)
    # Staff are not anonymous: a clerk's console connects from the capped address all the same.
    async with from_address("127.0.2.1") as console:
        await console.connect(server.url, namespaces=[CLERK], transports=["polling"], wait_timeout=5,
                              headers={"Cookie": await login(server, "anna")})
        assert console.connected
        await console.disconnect()
    for _, writer in held:
        writer.transport.abort()


@contextlib.asynccontextmanager
async def from_address(address: str) -> AsyncIterator[socketio.AsyncClient]:
    """A real socket.io client whose connections come from ``address``."""
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(local_addr=(address, 0))) as session:
        sio = socketio.AsyncClient(reconnection=False, http_session=session)
        try:
            yield sio
        finally:
            if sio.connected:
                await sio.disconnect()


async def test_every_abrupt_disconnect_gives_its_place_back(server: ServerProcess) -> None:
    """Connections torn down without a close (a tab killed, a network gone) are counted out."""
    for _ in range(10):
        held = [await websocket(server, "127.0.3.1") for _ in range(CAP)]
        assert (await handshake(server, "127.0.3.1")).status_code == 429
        for _, writer in held:
            writer.transport.abort()  # no close frame, no FIN handshake: a reset
        for _ in range(100):
            answer = await handshake(server, "127.0.3.1")
            if answer.status_code == 200:
                break
            await asyncio.sleep(0.1)
        assert answer.status_code == 200, "the aborted connections still count"
        sid = json.loads(answer.text[answer.text.index("{"):])["sid"]
        async with client(server, "127.0.3.1") as http:  # close the polling one properly
            await http.post("/socket.io/", params={"EIO": "4", "transport": "polling", "sid": sid}, content="1")
    # All of them counted out: the full cap is free again at once.
    again = [await websocket(server, "127.0.3.1") for _ in range(CAP)]
    assert (await handshake(server, "127.0.3.1")).status_code == 429
    for _, writer in again:
        writer.close()
