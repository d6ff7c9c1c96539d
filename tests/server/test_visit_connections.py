"""The members of a visit see whose connection is gone, and when it is back (``participants``' ``connected``).

Real Redis, real `serve` processes, real socket.io clients: one process, and two whose
connection keys in Redis say who is connected on either.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio

from tests.conftest import RedisServer
from tests.server.conftest import Client, ServerProcess, join, seed
from tests.server.nodes import start_nodes, wait_for_nodes
from tests.server.test_realtime import CITIZEN, CLERK, citizen, clerk
from tests.server.test_visit import VISIT, visit_client

OFFICE = "buergerbuero"
SETTLE = 0.5
"""Time for the server to handle a closed connection before the next step: the test then
checks what the others were told, not how soon."""


def connected(event: dict[str, Any]) -> dict[str, bool]:
    return {p["participant"]: p["connected"] for p in event["participants"]}


def told(client: Client, participant: str) -> list[bool]:
    """What ``client`` was told, in order, of whether ``participant`` is connected."""
    return [connected(d)[participant] for d in client.of("participants")]


async def a_visit(clients: Any, node: ServerProcess, desk_node: ServerProcess | None = None) -> tuple[str, str, Client]:
    """A visit of Erika with Anna: its id, Erika's token, and Anna's visit connection."""
    desk = await clerk(clients, desk_node or node, "anna", available=(OFFICE,))
    ticket = await join(node, OFFICE, name="Erika")
    person = await citizen(clients, node, ticket["token"])
    visit = (await desk.call(CLERK, "call_next", {"office_id": OFFICE}))["ticket"]["id"]
    assert (await person.call(CITIZEN, "accept"))["ok"]
    anna = await visit_client(clients, desk_node or node, visit, clerk_name="anna")
    return visit, ticket["token"], anna


@pytest.fixture
async def embedded(tmp_path: Path) -> AsyncIterator[ServerProcess]:
    """One process on its own embedded Redis: the single process's own ``Signaling``, no cluster."""
    process = ServerProcess(tmp_path, {"VO_CALL_TIMEOUT_SECONDS": "2"})
    process.env.pop("VO_REDIS_URL", None)
    process.start()
    socket_url = f"unix://{tmp_path / 'redis' / 'redis.sock'}"
    try:
        await seed(socket_url)
        yield process
    finally:
        process.stop()
        client = redis.asyncio.Redis.from_url(socket_url)
        try:
            await client.shutdown(nosave=True)
        except Exception:  # noqa: BLE001 - already gone
            pass


async def test_the_others_see_a_member_go_and_come_back(embedded: ServerProcess, clients: Any) -> None:
    await go_and_come_back(embedded, clients)


async def test_the_others_see_a_member_go_and_come_back_on_a_node(server: ServerProcess, clients: Any) -> None:
    await go_and_come_back(server, clients)


async def go_and_come_back(server: ServerProcess, clients: Any) -> None:
    visit, token, anna = await a_visit(clients, server)
    anna_id = (await anna.call(VISIT, "whoami"))["participant"]
    assert connected(await anna.wait_for("participants")) == {"citizen": False, anna_id: True}

    # Erika comes in with two tabs; closing one leaves her connected.
    first = await visit_client(clients, server, visit, token=token)
    second = await visit_client(clients, server, visit, token=token)
    assert connected(await first.wait_for("participants")) == {"citizen": True, anna_id: True}
    await anna.wait_for("participants", lambda d: connected(d)["citizen"])
    anna.events.clear()
    await first.close()
    await asyncio.sleep(SETTLE)
    # (the second tab's own "connected" may still arrive after the clear: only a False would be wrong)
    assert False not in told(anna, "citizen")
    anna.events.clear()

    # Her last tab closes: Anna is told at once, not after the media's reconnect time.
    await second.close()
    await anna.wait_for("participants", lambda d: not connected(d)["citizen"], timeout=5)
    assert told(anna, "citizen") == [False]

    # Her page comes back: Anna is told she is there again.
    back = await visit_client(clients, server, visit, token=token)
    await anna.wait_for("participants", lambda d: connected(d)["citizen"], timeout=5)
    assert told(anna, "citizen") == [False, True]

    # The same the other way round: Erika sees Anna's connection go and come back.
    back.events.clear()
    await anna.close()
    await back.wait_for("participants", lambda d: not connected(d)[anna_id], timeout=5)
    again = await visit_client(clients, server, visit, clerk_name="anna")
    await back.wait_for("participants", lambda d: connected(d)[anna_id], timeout=5)
    assert told(back, anna_id) == [False, True]
    assert connected(await again.wait_for("participants")) == {"citizen": True, anna_id: True}


@pytest.fixture
async def nodes(redis_server: RedisServer, redis_client: redis.asyncio.Redis, tmp_path: Path) -> AsyncIterator[list[ServerProcess]]:
    await seed(redis_server.url)
    started = start_nodes(redis_server.url, tmp_path, 2)
    yield started
    for node in started:
        node.stop()


async def test_tabs_on_two_processes(nodes: list[ServerProcess], clients: Any, redis_client: redis.asyncio.Redis) -> None:
    a, b = nodes
    assert a.process and b.process
    await wait_for_nodes(redis_client, {a.process.pid, b.process.pid})
    visit, token, anna = await a_visit(clients, a, b)

    # Erika's tabs are on both processes; the one on Anna's process closes: she is still connected.
    here = await visit_client(clients, b, visit, token=token)
    there = await visit_client(clients, a, visit, token=token)
    await there.wait_for("participants")
    await anna.wait_for("participants", lambda d: connected(d)["citizen"])
    anna.events.clear()
    await here.close()
    await asyncio.sleep(SETTLE)
    # (the other tab's own "connected" may still arrive after the clear: only a False would be wrong)
    assert False not in told(anna, "citizen")
    anna.events.clear()

    # Her tab on the other process closes: Anna, on this one, is told.
    await there.close()
    await anna.wait_for("participants", lambda d: not connected(d)["citizen"], timeout=5)

    # She comes back through the other process again.
    await visit_client(clients, a, visit, token=token)
    await anna.wait_for("participants", lambda d: connected(d)["citizen"], timeout=5)
    assert told(anna, "citizen") == [False, True]
