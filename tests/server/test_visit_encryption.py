"""The clerk's decision about a browser that cannot encrypt, across two `serve` processes (docs/e2ee.md).

Real processes on one Redis, real socket.io clients and real aiortc peers: the citizen's
connection is on node A, the clerk's on node B. Whatever one node was told, the other
answers alike, a restart forgets nothing, and the visit's end deletes it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio

from tests.conftest import RedisServer
from tests.server.conftest import ServerProcess, join, login, seed
from tests.server.nodes import VISIT, MovingMember, start_nodes, wait_for_nodes
from tests.server.test_realtime import CITIZEN, CLERK, citizen, clerk
from tests.server.test_visit import visit_client
from virtual_office.queue import OfficeDirectory, keys

REFUSES = "buergerbuero"
"""The default: a browser that cannot encrypt gets no video."""
CLERK_DECIDES = "kfz"


@pytest.fixture
async def nodes(redis_server: RedisServer, redis_client: redis.asyncio.Redis, tmp_path: Path) -> AsyncIterator[list[ServerProcess]]:
    await seed(redis_server.url)
    offices = OfficeDirectory(redis_client)
    await offices.save(dataclasses.replace(await offices.get(CLERK_DECIDES), unencrypted_video="clerk"))
    started = start_nodes(redis_server.url, tmp_path, 2)
    await wait_for_nodes(redis_client, {n.process.pid for n in started if n.process})
    yield started
    for node in started:
        node.stop()


async def _visit(clients: Any, a: ServerProcess, b: ServerProcess, office: str) -> tuple[str, str, Any, Any, Any]:
    """A visit of ``office``: the citizen's page on A, Bea's (the serving clerk's) on B."""
    desk = await clerk(clients, b, "bea", available=(office,))
    ticket = await join(a, office, name="Erika")
    person = await citizen(clients, a, ticket["token"])
    visit = (await desk.call(CLERK, "call_next", {"office_id": office}))["ticket"]["id"]
    assert (await person.call(CITIZEN, "accept"))["ok"]
    inside = await visit_client(clients, a, visit, token=ticket["token"])
    serving = await visit_client(clients, b, visit, clerk_name="bea")
    return visit, ticket["token"], desk, inside, serving


async def test_the_clerks_decision_holds_on_every_node_and_after_a_restart_and_goes_with_the_visit(
        nodes: list[ServerProcess], clients: Any, redis_client: redis.asyncio.Redis) -> None:
    a, b = nodes
    visit, token, desk, inside, serving = await _visit(clients, a, b, CLERK_DECIDES)

    # The citizen's browser cannot encrypt, said on A: the clerk's node B knows it when asked.
    assert await inside.call(VISIT, "cannot_encrypt") == {"ok": True, "policy": "clerk", "e2ee": True, "cannot_encrypt": ["citizen"]}
    assert await serving.wait_for("encryption") == {"e2ee": True, "cannot_encrypt": ["citizen"]}
    assert await serving.call(VISIT, "encryption") == {"ok": True, "e2ee": True, "cannot_encrypt": ["citizen"]}

    # The clerk agrees on B. A, where the citizen's page asks, answers so: the page starts its video.
    assert await serving.call(VISIT, "allow_unencrypted") == {"ok": True, "e2ee": False, "cannot_encrypt": ["citizen"]}
    assert await inside.wait_for("encryption", lambda d: d["e2ee"] is False) == {"e2ee": False, "cannot_encrypt": ["citizen"]}
    assert await inside.call(VISIT, "encryption") == {"ok": True, "e2ee": False, "cannot_encrypt": ["citizen"]}
    # A reloaded page of the citizen, again on A, is admitted at once (as the page does: it says it cannot encrypt, then starts).
    reloaded = MovingMember("red")
    await reloaded.enter(a, visit, token=token)
    assert (await reloaded.client.call(VISIT, "cannot_encrypt"))["e2ee"] is False
    clerk_page = MovingMember("blue")
    await clerk_page.enter(b, visit, cookie=await login(b, "bea"))
    try:
        assert (await reloaded.send_media())["ok"]
        assert (await clerk_page.send_media())["ok"]
        await clerk_page.sees("citizen")
        assert clerk_page.colours[("citizen", "camera")] == "red"
    finally:
        await reloaded.close()
        await clerk_page.close()

    # Node A restarts: its memory is gone, the decision is not.
    a.stop()
    a.start()
    again = await visit_client(clients, a, visit, token=token)
    assert await again.call(VISIT, "encryption") == {"ok": True, "e2ee": False, "cannot_encrypt": ["citizen"]}

    # The visit ends: its decision goes with it.
    assert await redis_client.exists(keys.visit_encryption(visit))
    assert (await desk.call(CLERK, "finish", {"office_id": CLERK_DECIDES, "ticket_id": visit}))["ok"]
    await serving.wait_for("ended")
    assert not await redis_client.exists(keys.visit_encryption(visit))


async def test_refusing_holds_on_every_node_and_for_the_next_call_of_the_ticket(
        nodes: list[ServerProcess], clients: Any, redis_client: redis.asyncio.Redis) -> None:
    a, b = nodes

    # The office refuses: the clerk on B may not decide, and A goes on saying encrypted, no video for that browser.
    visit, _, desk, inside, serving = await _visit(clients, a, b, REFUSES)
    assert (await inside.call(VISIT, "cannot_encrypt"))["policy"] == "refuse"
    assert await serving.call(VISIT, "encryption") == {"ok": True, "e2ee": True, "cannot_encrypt": ["citizen"]}
    answer = await serving.call(VISIT, "allow_unencrypted")
    assert answer["ok"] is False and answer["error"] == "forbidden"
    assert await inside.call(VISIT, "encryption") == {"ok": True, "e2ee": True, "cannot_encrypt": ["citizen"]}
    assert (await desk.call(CLERK, "finish", {"office_id": REFUSES, "ticket_id": visit}))["ok"]
    assert not await redis_client.exists(keys.visit_encryption(visit))

    # The clerk decides, but has not yet: nothing goes unencrypted on A; the citizen may not decide for themselves.
    visit, token, desk, inside, serving = await _visit(clients, a, b, CLERK_DECIDES)
    assert (await inside.call(VISIT, "cannot_encrypt"))["policy"] == "clerk"
    answer = await inside.call(VISIT, "allow_unencrypted")
    assert answer["ok"] is False and answer["error"] == "forbidden"
    assert (await serving.call(VISIT, "encryption"))["e2ee"] is True
    assert (await inside.call(VISIT, "encryption"))["e2ee"] is True

    # Agreed, then sent back and called again: a new call of the ticket, encrypted again on both nodes.
    assert (await serving.call(VISIT, "allow_unencrypted"))["e2ee"] is False
    assert (await desk.call(CLERK, "send_back", {"office_id": CLERK_DECIDES, "ticket_id": visit}))["ok"]
    await serving.wait_for("ended")
    assert not await redis_client.exists(keys.visit_encryption(visit))
    assert (await desk.call(CLERK, "call_next", {"office_id": CLERK_DECIDES}))["ticket"]["id"] == visit
    assert (await (await citizen(clients, a, token)).call(CITIZEN, "accept"))["ok"]
    inside = await visit_client(clients, a, visit, token=token)
    serving = await visit_client(clients, b, visit, clerk_name="bea")
    assert await inside.call(VISIT, "encryption") == {"ok": True, "e2ee": True, "cannot_encrypt": []}
    assert await serving.call(VISIT, "encryption") == {"ok": True, "e2ee": True, "cannot_encrypt": []}
    assert (await desk.call(CLERK, "finish", {"office_id": CLERK_DECIDES, "ticket_id": visit}))["ok"]
