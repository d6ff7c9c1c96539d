"""Killing the server or Redis loses no ticket and no place in the queue."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx
import redis.asyncio

from tests.conftest import RedisServer
from tests.server.conftest import ServerProcess, join, login, seed
from tests.server.test_realtime import citizen, clerk


async def positions(server: ServerProcess, tokens: list[str]) -> list[tuple[str, int]]:
    async with httpx.AsyncClient(base_url=server.url) as http:
        out = []
        for token in tokens:
            response = await http.get("/api/tickets/me", headers={"Authorization": f"Bearer {token}"})
            assert response.status_code == 200, response.text
            body = response.json()
            out.append((body["number"], body["position"]))
        return out


async def test_server_sigkill_keeps_every_place(server: ServerProcess, clients: Any) -> None:
    await clerk(clients, server, "anna", available=("buergerbuero",))
    tokens = [(await join(server, "buergerbuero"))["token"] for _ in range(5)]
    watcher = await citizen(clients, server, tokens[3])
    assert (await watcher.wait_for("ticket"))["position"] == 4
    before = await positions(server, tokens)

    server.kill()
    server.start()

    assert await positions(server, tokens) == before
    again = await citizen(clients, server, tokens[3])
    assert (await again.wait_for("ticket"))["position"] == 4
    # The queue still works after the restart: with everyone back, the first in line is called.
    for token in tokens[:3] + tokens[4:]:
        await (await citizen(clients, server, token)).wait_for("ticket")
    desk = await clerk(clients, server, "anna")
    called = await desk.call("/clerk", "call_next", {"office_id": "buergerbuero"})
    assert called["ticket"]["number"] == before[0][0]


async def test_redis_restart_keeps_every_place(server: ServerProcess, redis_server: RedisServer, clients: Any) -> None:
    await clerk(clients, server, "anna", available=("buergerbuero",))
    tokens = [(await join(server, "buergerbuero"))["token"] for _ in range(5)]
    before = await positions(server, tokens)

    redis_server.kill()
    async with httpx.AsyncClient(base_url=server.url) as http:
        down = await http.get("/api/tickets/me", headers={"Authorization": f"Bearer {tokens[0]}"})
        assert down.status_code == 503 and down.json()["error"] == "unavailable"
        assert (await http.get("/healthz")).status_code == 503
    redis_server.start()

    deadline = time.monotonic() + 15
    while True:
        try:
            assert await positions(server, tokens) == before
            break
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)
    again = await citizen(clients, server, tokens[2])
    assert (await again.wait_for("ticket"))["position"] == 3
    assert "Traceback" not in server.log()


async def test_embedded_redis_outlives_a_killed_server(redis_server: RedisServer, tmp_path: Path, clients: Any) -> None:
    embedded = ServerProcess(tmp_path, {"VO_REDIS_URL": ""})
    embedded.env.pop("VO_REDIS_URL")
    embedded.start()
    try:
        socket_url = f"unix://{tmp_path / 'redis' / 'redis.sock'}"
        await seed(socket_url)
        desk = clients()
        await desk.connect(embedded, "/clerk", headers={"Cookie": await login(embedded, "anna")})
        assert (await desk.call("/clerk", "presence", {"office_id": "buergerbuero", "presence": "available"}))["ok"]
        tokens = [(await join(embedded, "buergerbuero"))["token"] for _ in range(3)]
        before = await positions(embedded, tokens)
        embedded.kill()
        embedded.start()
        assert await positions(embedded, tokens) == before
    finally:
        embedded.stop()
        client = redis.asyncio.Redis.from_url(f"unix://{tmp_path / 'redis' / 'redis.sock'}")
        try:
            await client.shutdown(nosave=True)
        except Exception:  # noqa: BLE001 - already gone
            pass
