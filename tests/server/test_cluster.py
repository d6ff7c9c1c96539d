"""Several nodes, every visit whole: `serve` processes on one Redis (docs/cluster.md).

Real processes, real socket.io clients and real aiortc peers; run inside a loopback-only
network namespace (/tmp/t.sh), where the nodes offer 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio
import socketio

from tests.conftest import RedisServer, free_port
from tests.server.conftest import ServerProcess, join, login, seed
from tests.server.nodes import VISIT, home_of, members, node_infos, start_nodes, wait_for_nodes  # noqa: F401 - members: a fixture
from tests.server.test_exchange import PDF, download, upload
from tests.server.test_realtime import CITIZEN, CLERK, citizen, clerk
from tests.server.test_visit_media import clerk_ids
from virtual_office.server.cluster import keys

OFFICE = "buergerbuero"


@pytest.fixture
async def nodes(redis_server: RedisServer, redis_client: redis.asyncio.Redis, tmp_path: Path) -> AsyncIterator[list[ServerProcess]]:
    await seed(redis_server.url)
    started = start_nodes(redis_server.url, tmp_path, 2)
    yield started
    for node in started:
        node.stop()


async def wait_until(check: Any, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_a_visit_across_two_nodes_and_its_home_killed(
    nodes: list[ServerProcess], clients: Any, members: Any, redis_client: redis.asyncio.Redis
) -> None:
    a, b = nodes
    assert a.process and b.process
    infos = await wait_for_nodes(redis_client, {a.process.pid, b.process.pid})
    assert all(info["connections"] >= 0 and info["visits"] == [] for info in infos.values())
    anna = f"clerk:{(await clerk_ids(redis_client))['anna']}"

    # The citizen is on node A, the clerk on node B: the whole way to the visit crosses nodes.
    desk = await clerk(clients, b, "anna", available=(OFFICE,))
    ticket = await join(a, OFFICE, name="Erika")
    person = await citizen(clients, a, ticket["token"])
    visit = (await desk.call(CLERK, "call_next", {"office_id": OFFICE}))["ticket"]["id"]
    assert (await person.call(CITIZEN, "accept"))["ok"]
    cookie = await login(b, "anna")
    blue, red = members("blue"), members("red")
    await blue.enter(a, visit, token=ticket["token"])
    await red.enter(b, visit, cookie=cookie)

    # The first offer homes the visit on the node that received it; the clerk's signaling
    # reaches it from node B, and its answers and offers reach the clerk's socket on B.
    assert (await blue.send_media())["ok"]
    assert await home_of(redis_client, visit) == a.process.pid
    assert (await red.send_media())["ok"]
    await red.sees("citizen")
    await red.sees("citizen", "microphone")
    await blue.sees(anna)
    assert red.colours[("citizen", "camera")] == "blue" and blue.colours[(anna, "camera")] == "red"

    async def a_holds_the_visit() -> bool:  # as its next heartbeat says
        return (await node_infos(redis_client))[a.process.pid]["visits"] == [visit]  # type: ignore[union-attr]

    await wait_until(a_holds_the_visit, timeout=10)

    # A file sent through node A is there for the clerk through node B (one data directory).
    sent = await upload(a, visit, PDF, "antrag.pdf", token=ticket["token"])
    assert sent.status_code == 201, sent.text
    file = sent.json()["file"]
    assert (await red.client.wait_for("file"))["id"] == file["id"]
    got = await download(b, visit, file["id"], cookie=cookie)
    assert got.status_code == 200 and got.content == PDF

    # A second tab of the citizen, on node B, takes the media over; the first tab (on A) is told.
    second = members("green")
    await second.enter(b, visit, token=ticket["token"])
    assert (await second.send_media())["ok"]
    await blue.client.wait_for("replaced")
    await second.sees(anna)

    # The home node dies. Only its media is lost: the clerk's socket on B lives on.
    a.kill()
    await wait_for_nodes(redis_client, {b.process.pid}, timeout=15)
    assert (await red.client.call(VISIT, "whoami"))["participant"] == anna

    # The citizen's page reconnects (to node B) and offers: the visit's media moves to B, the
    # clerk's page is told and starts over, and both see each other again.
    await second.close()
    again = members("blue")
    await again.enter(b, visit, token=ticket["token"])
    assert (await again.send_media())["ok"]
    assert await home_of(redis_client, visit) == b.process.pid
    await red.client.wait_for("media_moved")
    await again.sees(anna)

    async def clerk_sees_blue() -> bool:
        return red.colours.get(("citizen", "camera")) == "blue"

    await wait_until(clerk_sees_blue)
    assert red.moves == 1 and again.moves == 0

    # The visit ends through node B: its media keys go with it.
    assert (await desk.call(CLERK, "finish", {"office_id": OFFICE, "ticket_id": visit}))["ok"]
    await red.client.wait_for("ended")
    assert not await redis_client.exists(keys.home(visit), keys.carriers(visit))


async def test_signaling_for_a_visit_that_has_no_media_yet(
    nodes: list[ServerProcess], clients: Any, members: Any, redis_client: redis.asyncio.Redis
) -> None:
    """Before anybody offered there is no home: an answer is refused (the page starts over), bad input too."""
    a, b = nodes
    desk = await clerk(clients, b, "anna", available=(OFFICE,))
    ticket = await join(a, OFFICE)
    person = await citizen(clients, a, ticket["token"])
    visit = (await desk.call(CLERK, "call_next", {"office_id": OFFICE}))["ticket"]["id"]
    await person.call(CITIZEN, "accept")
    blue = members("blue")
    await blue.enter(a, visit, token=ticket["token"])
    assert (await blue.signal({"type": "answer", "sdp": "v=0"}))["error"] == "offer_first"
    assert (await blue.signal({"type": "offer", "sdp": "nonsense"}))["error"] == "bad_signal"
    assert (await blue.client.call(VISIT, "signal", ["not", "an", "object"]))["error"] == "bad_request"
    # the refused offer homed the visit on A; a bad offer from the clerk on B is refused there, by A
    red = members("red")
    await red.enter(b, visit, cookie=await login(b, "anna"))
    refusal = await red.signal({"type": "offer", "sdp": "v=0\r\nm=text 9 X 0\r\n"})
    assert refusal["error"] == "bad_signal" and refusal["message"]
    assert await home_of(redis_client, visit) == nodes[0].process.pid  # type: ignore[union-attr]


async def test_serve_with_two_workers(redis_client: redis.asyncio.Redis, tmp_path: Path) -> None:
    """`serve --workers 2`: one port, two nodes with their own UDP ranges, one sweeper, the embedded Redis the parent's."""
    port = free_port()
    env = {
        **os.environ, "VO_PORT": str(port), "VO_HOST": "127.0.0.1", "VO_DATA_DIR": str(tmp_path), "VO_LOG_LEVEL": "info",
        "VO_MEDIA_HOST_ADDRESSES": "127.0.0.1", "VO_MEDIA_PORT_MIN": "40000", "VO_MEDIA_PORT_MAX": "40099",
    }
    env.pop("VO_REDIS_URL", None)
    log = open(tmp_path / "serve.log", "wb")  # noqa: SIM115 - closed below
    parent = subprocess.Popen([sys.executable, "-m", "virtual_office", "serve", "--workers", "2"], env=env, stdout=log, stderr=log)
    embedded = redis.asyncio.Redis(unix_socket_path=str(tmp_path / "redis" / "redis.sock"), decode_responses=True)
    sockets: list[socketio.AsyncClient] = []
    try:
        url = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=url) as http:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if (await http.get("/healthz")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline and parent.poll() is None, (tmp_path / "serve.log").read_text()[-3000:]
                await asyncio.sleep(0.2)
            children = {int(p) for p in subprocess.check_output(["pgrep", "-P", str(parent.pid)]).split()}  # and Redis

            async def two_nodes() -> bool:
                return len(await node_infos(embedded)) == 2

            await wait_until(two_nodes)
            infos = await node_infos(embedded)
            workers = set(infos)
            assert workers < children
            assert sorted((i["port_min"], i["port_max"]) for i in infos.values()) == [(40000, 40049), (40050, 40099)]

            # Both workers take connections on the one port.
            for _ in range(40):
                client = socketio.AsyncClient(reconnection=False)
                await client.connect(url, namespaces=["/public"], transports=["websocket"], wait_timeout=10)
                sockets.append(client)

            async def both_serve() -> bool:
                return all(i["connections"] > 0 for i in (await node_infos(embedded)).values())

            await wait_until(both_serve, timeout=15)

            # Exactly one of them sweeps: the sweeper's lease has one holder, a worker, all along.
            holders = set()
            for _ in range(20):
                holders.add(await embedded.get("vo:sweeper"))
                await asyncio.sleep(0.2)
            holders.discard(None)
            assert len(holders) == 1 and int(str(holders.pop()).split("-")[0]) in workers

            # A worker that dies is started again: two nodes once more, one of them new.
            killed = min(workers)
            os.kill(killed, signal.SIGKILL)

            async def replaced() -> bool:
                now = set(await node_infos(embedded))
                return len(now) == 2 and killed not in now and len(now & workers) == 1

            await wait_until(replaced, timeout=60)
            assert (await http.get("/healthz")).status_code == 200
    finally:
        for client in sockets:
            await client.disconnect()
        parent.send_signal(signal.SIGTERM)
        try:
            parent.wait(30)
        finally:
            if parent.poll() is None:
                parent.kill()
            await embedded.aclose()
            log.close()
    # The parent stopped its workers and the embedded Redis on the way out.
    assert parent.returncode is not None
    assert not (tmp_path / "redis" / "redis.sock").exists() or not _answers(tmp_path / "redis" / "redis.sock")


def _answers(path: Path) -> bool:
    import redis as sync_redis

    try:
        return bool(sync_redis.Redis(unix_socket_path=str(path), socket_timeout=1).ping())
    except sync_redis.RedisError:
        return False


async def test_a_node_that_stops_hands_its_visits_over(
    nodes: list[ServerProcess], clients: Any, members: Any, redis_client: redis.asyncio.Redis
) -> None:
    """A node stopped (an update, one process after the other) leaves at once and its visits' members
    start over right away: the next offer homes the visit on another node."""
    a, b = nodes
    assert a.process and b.process
    anna = f"clerk:{(await clerk_ids(redis_client))['anna']}"
    desk = await clerk(clients, b, "anna", available=(OFFICE,))
    ticket = await join(b, OFFICE)
    person = await citizen(clients, b, ticket["token"])
    visit = (await desk.call(CLERK, "call_next", {"office_id": OFFICE}))["ticket"]["id"]
    await person.call(CITIZEN, "accept")
    first = members("green")
    await first.enter(a, visit, token=ticket["token"])
    assert (await first.send_media())["ok"]
    assert await home_of(redis_client, visit) == a.process.pid
    # Both members' sockets are on B; the media is on A.
    blue, red = members("blue"), members("red")
    await blue.enter(b, visit, token=ticket["token"])
    await red.enter(b, visit, cookie=await login(b, "anna"))
    assert (await blue.send_media())["ok"] and (await red.send_media())["ok"]
    await red.sees("citizen")
    await blue.sees(anna)

    a.stop()
    assert set(await node_infos(redis_client)) == {b.process.pid}  # gone at once, not after its TTL
    await red.client.wait_for("media_moved")
    await blue.client.wait_for("media_moved")

    async def both_see_each_other_through_b() -> bool:
        return await home_of(redis_client, visit) == b.process.pid and red.moves == blue.moves == 1

    await wait_until(both_see_each_other_through_b)
    before = (red.frames.get(("citizen", "camera"), 0), blue.frames.get((anna, "camera"), 0))
    await red.sees("citizen", count=before[0] + 10)
    await blue.sees(anna, count=before[1] + 10)
