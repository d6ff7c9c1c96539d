"""Where a visit's media goes: the live node holding the fewest visits, whichever node took the offer.

Two `serve` processes (tests/cluster/deploy.py) on a real Redis, every page connected to the
first one, as when the kernel hands all of `--workers`' accepts to one process; real
socket.io clients and real aiortc peers.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio
from aiortc.mediastreams import AudioStreamTrack

from tests.cluster.deploy import Node
from tests.conftest import RedisServer
from tests.media.peers import LOOPBACK, ColourTrack
from tests.server.conftest import PASSWORD, clients, join, login, seed  # noqa: F401 - clients: a fixture
from tests.server.nodes import VISIT, home_of, members, node_infos, wait_for_nodes  # noqa: F401 - members: a fixture
from tests.server.test_realtime import CITIZEN, CLERK, citizen, clerk
from virtual_office.media import ice
from virtual_office.queue import ClerkDirectory
from virtual_office.server.cluster import NodeInfo
from virtual_office.server.cluster.signaling import least_loaded

OFFICE = "buergerbuero"


@contextlib.asynccontextmanager
async def running(count: int, redis_server: RedisServer, redis_client: redis.asyncio.Redis, tmp_path: Path,
                  first: dict[str, str] | None = None) -> AsyncIterator[list[Node]]:
    """``count`` nodes on one Redis and one data directory (``first``: the first one's own settings),
    and four clerks of the office (a visit each)."""
    await seed(redis_server.url)
    for i in range(1, 5):
        await ClerkDirectory(redis_client).add(f"clerk{i}", f"Clerk {i}", PASSWORD, offices=(OFFICE,))
    data = tmp_path / "data"
    data.mkdir()
    started = [Node(f"node{i}", tmp_path / f"node{i}", redis_server.url, "", data, first if i == 1 else None)
               for i in range(1, count + 1)]
    try:
        for node in started:
            node.env["VO_PUBLIC_URL"] = node.url
            node.start()
        for node in started:
            node.wait_ready()
        await wait_for_nodes(redis_client, {n.process.pid for n in started if n.process})
        yield started
    finally:
        for node in started:
            node.stop()


@pytest.fixture
async def nodes(redis_server: RedisServer, redis_client: redis.asyncio.Redis, tmp_path: Path) -> AsyncIterator[list[Node]]:
    async with running(2, redis_server, redis_client, tmp_path) as started:
        yield started


@pytest.fixture
async def three_nodes(redis_server: RedisServer, redis_client: redis.asyncio.Redis, tmp_path: Path) -> AsyncIterator[list[Node]]:
    async with running(3, redis_server, redis_client, tmp_path) as started:
        yield started


@pytest.fixture
async def signaling_only(redis_server: RedisServer, redis_client: redis.asyncio.Redis, tmp_path: Path) -> AsyncIterator[list[Node]]:
    """Two nodes, the first one set to take no visits."""
    async with running(2, redis_server, redis_client, tmp_path, first={"VO_SIGNALING_ONLY": "true"}) as started:
        yield started


async def open_visit(clients: Any, node: Node, clerk_login: str) -> tuple[str, str]:
    """A clerk calls a citizen who accepts, all through ``node``: the visit's id and the citizen's token."""
    desk = await clerk(clients, node, clerk_login, available=(OFFICE,))  # type: ignore[arg-type]
    ticket = await join(node, OFFICE)  # type: ignore[arg-type]
    person = await citizen(clients, node, ticket["token"])  # type: ignore[arg-type]
    visit = (await desk.call(CLERK, "call_next", {"office_id": OFFICE}))["ticket"]["id"]
    assert (await person.call(CITIZEN, "accept"))["ok"]
    return str(visit), str(ticket["token"])


async def until(check: Any, what: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, f"{what}: not within {timeout}s"
        await asyncio.sleep(0.05)


async def test_visits_offered_through_one_node_are_homed_on_both_in_turn(
    nodes: list[Node], clients: Any, members: Any, redis_client: redis.asyncio.Redis
) -> None:
    a, b = nodes
    assert a.process and b.process
    homes = []
    for i in range(1, 5):
        visit, token = await open_visit(clients, a, f"clerk{i}")
        blue = members("blue")
        await blue.enter(a, visit, token=token)
        assert (await blue.send_media())["ok"]
        homes.append(await home_of(redis_client, visit))
        if i == 2:
            # Homed on B, though both pages are on A: the offers cross to B, the answers come back.
            red = members("red")
            await red.enter(a, visit, cookie=await login(a, f"clerk{i}"))  # type: ignore[arg-type]
            assert (await red.send_media())["ok"]
            clerk_id = (await red.client.call(VISIT, "whoami"))["participant"]
            await red.sees("citizen")
            await blue.sees(clerk_id)
    # A tie stays on the node that took the offer; otherwise the one with fewer visits.
    assert homes == [a.process.pid, b.process.pid, a.process.pid, b.process.pid]

    async def two_each() -> bool:
        infos = await node_infos(redis_client)
        return sorted(len(info["visits"]) for info in infos.values()) == [2, 2]

    await until(two_each, "two visits on each node, as their registrations say")


async def test_a_chosen_node_that_died_since_its_heartbeat_leaves_the_visit_to_the_node_that_chose_it(
    nodes: list[Node], clients: Any, members: Any, redis_client: redis.asyncio.Redis
) -> None:
    a, b = nodes
    assert a.process and b.process
    first, token = await open_visit(clients, a, "clerk1")
    green = members("green")
    await green.enter(a, first, token=token)
    assert (await green.send_media())["ok"]
    assert await home_of(redis_client, first) == a.process.pid

    # The next visit's pages are on A too; B holds fewer visits and is chosen for it. B is
    # SIGKILLed before the offer, while its registration still looks alive.
    visit, token = await open_visit(clients, a, "clerk2")
    blue, red = members("blue"), members("red")
    await blue.enter(a, visit, token=token)
    await red.enter(a, visit, cookie=await login(a, "clerk2"))  # type: ignore[arg-type]
    b_pid = b.process.pid
    b.kill()
    assert b_pid in await node_infos(redis_client), "B's registration ran out before the offer: too slow a machine"
    assert (await blue.send_media())["ok"]
    assert await home_of(redis_client, visit) == a.process.pid
    assert "chosen as a home, did not answer" in a.log()
    assert (await red.send_media())["ok"]
    clerk_id = (await red.client.call(VISIT, "whoami"))["participant"]
    await red.sees("citizen")
    await blue.sees(clerk_id)


async def test_a_chosen_node_that_answers_too_late_does_not_talk_over_the_node_that_took_the_visit(
    nodes: list[Node], clients: Any, members: Any, redis_client: redis.asyncio.Redis
) -> None:
    """B is chosen and frozen (SIGSTOP) until the offer times out; A takes the visit. B, woken,
    opens a session for the offer it got and answers it: that answer must not reach the page,
    whose connection A answered already (a second answer would break it)."""
    a, b = nodes
    assert a.process and b.process
    first, token = await open_visit(clients, a, "clerk1")
    green = members("green")
    await green.enter(a, first, token=token)
    assert (await green.send_media())["ok"]

    visit, token = await open_visit(clients, a, "clerk2")
    blue, red = members("blue"), members("red")
    await blue.enter(a, visit, token=token)
    await red.enter(a, visit, cookie=await login(a, "clerk2"))  # type: ignore[arg-type]
    blue.pc.addTrack(AudioStreamTrack())
    blue.pc.addTrack(ColourTrack("blue"))
    with ice.using(LOOPBACK):
        await blue.pc.setLocalDescription(await blue.pc.createOffer())
    b.process.send_signal(signal.SIGSTOP)
    try:
        offer = {"type": "offer", "sdp": blue.pc.localDescription.sdp}
        # The request to B waits out REQUEST_SECONDS (15 s), then A answers.
        assert (await blue.client.sio.call("signal", offer, namespace=VISIT, timeout=40)) == {"ok": True}
    finally:
        b.process.send_signal(signal.SIGCONT)
    assert await home_of(redis_client, visit) == a.process.pid
    assert "chosen as a home, did not answer" in a.log()
    assert (await red.send_media())["ok"]
    clerk_id = (await red.client.call(VISIT, "whoami"))["participant"]
    await red.sees("citizen")
    await blue.sees(clerk_id)
    # B has worked through what it was sent while frozen by now (its registration is back).
    await wait_for_nodes(redis_client, {a.process.pid, b.process.pid})
    await blue.sees(clerk_id, count=blue.frames[(clerk_id, "camera")] + 30)
    assert not blue.refusals and blue.pc.connectionState == "connected"


async def test_a_visit_whose_home_died_moves_to_the_node_with_the_fewest_visits(
    three_nodes: list[Node], clients: Any, members: Any, redis_client: redis.asyncio.Redis
) -> None:
    a, b, c = three_nodes
    pid = {node.process.pid: node for node in three_nodes if node.process}
    assert len(pid) == 3
    opened = []
    for i in range(1, 5):
        visit, token = await open_visit(clients, c, f"clerk{i}")
        blue = members("blue")
        await blue.enter(c, visit, token=token)
        assert (await blue.send_media())["ok"]
        opened.append((visit, token, blue, pid[await home_of(redis_client, visit) or 0]))
    # Every page is on C: C on a tie, A and B once each, C again on the next tie.
    assert opened[0][3] is c and {opened[1][3], opened[2][3]} == {a, b} and opened[3][3] is c
    visit, token, blue, dead = opened[1]
    other = opened[2][3]
    red = members("red")
    await red.enter(c, visit, cookie=await login(c, "clerk2"))  # type: ignore[arg-type]
    assert (await red.send_media())["ok"]
    clerk_id = (await red.client.call(VISIT, "whoami"))["participant"]
    await red.sees("citizen")

    # The visit's home dies. The citizen's page starts over, on C, while the dead node's
    # registration still looks alive: the visit goes to the live node with the fewest visits
    # (one, where C holds two), not to C, which took the offer.
    dead.kill()
    await blue.close()
    again = members("blue")
    await again.enter(c, visit, token=token)
    assert (await again.send_media())["ok"]
    assert pid[await home_of(redis_client, visit) or 0] is other
    await red.client.wait_for("media_moved", timeout=20)
    await again.sees(clerk_id)

    async def clerk_sees_blue() -> bool:
        return red.colours.get(("citizen", "camera")) == "blue" and red.moves == 1

    await until(clerk_sees_blue, "the clerk sees the citizen again", timeout=30)
    await red.sees("citizen", count=red.frames[("citizen", "camera")] + 10)


async def test_a_node_set_to_signaling_only_hands_every_visit_on(
    signaling_only: list[Node], clients: Any, members: Any, redis_client: redis.asyncio.Redis
) -> None:
    a, b = signaling_only
    assert a.process and b.process
    for i in (1, 2, 3):
        visit, token = await open_visit(clients, a, f"clerk{i}")
        blue = members("blue")
        await blue.enter(a, visit, token=token)
        assert (await blue.send_media())["ok"]
        assert await home_of(redis_client, visit) == b.process.pid, "homed on the node that takes visits"
    infos = await node_infos(redis_client)
    assert infos[a.process.pid]["takes_visits"] is False and infos[a.process.pid]["visits"] == []


def test_the_choice_of_a_home() -> None:
    def node(node_id: str, visits: int) -> NodeInfo:
        return NodeInfo(node_id, 1, "host", None, None, tuple(f"v{i}" for i in range(visits)), 0, 0.0)

    # This node's own count is its exact one, not its last heartbeat's.
    assert least_loaded([node("a", 0), node("b", 1)], "a", 2) == "b"
    assert least_loaded([node("a", 5), node("b", 1)], "a", 1) == "a", "a tie stays here"
    assert least_loaded([node("a", 0), node("b", 0), node("c", 0)], "c", 0) == "c"
    assert least_loaded([node("a", 3), node("b", 0)], "a", 3, gone="b") == "a", "a node found gone is left out"
    assert least_loaded([node("b", 4)], "a", 0) == "b", "a node on its way out (unregistered) takes no visit"
    assert least_loaded([], "a", 0) == "a"
    signaling = NodeInfo("a", 1, "host", None, None, (), 0, 0.0, takes_visits=False)
    assert least_loaded([signaling, node("b", 9)], "a", 0) == "b", "a node set to signaling only takes no visit"
    assert least_loaded([signaling], "a", 0) == "a", "unless no node takes visits"
