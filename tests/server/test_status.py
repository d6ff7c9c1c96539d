"""Office status with several processes: one Redis message per office change, each process pushing to its own sockets.

Real `serve` processes on one real Redis, real socket.io clients; the messages are counted by
subscribing to the Redis channels themselves.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio
import socketio

from tests.conftest import RedisServer
from tests.server.conftest import Client, ServerProcess, join, seed
from tests.server.nodes import start_nodes
from tests.server.test_realtime import CITIZEN, CLERK, PUBLIC, citizen, clerk
from virtual_office.queue import keys
from virtual_office.server.realtime import RedisManager, Server, has_local_member, shares_rooms

OFFICE = "buergerbuero"
SOCKETIO_CHANNEL = "socketio"
"""The channel socket.io's Redis manager publishes every emit on (its default)."""


@pytest.fixture
async def nodes(redis_server: RedisServer, redis_client: redis.asyncio.Redis, tmp_path: Path) -> AsyncIterator[list[ServerProcess]]:
    await seed(redis_server.url)
    started = start_nodes(redis_server.url, tmp_path, 2)
    # Both listen for each other's changes before the test changes anything.
    deadline = time.monotonic() + 15
    while dict(await redis_client.pubsub_numsub(keys.CHANGES)).get(keys.CHANGES, 0) < 2:
        assert time.monotonic() < deadline, "the processes did not subscribe to office changes"
        await asyncio.sleep(0.05)
    yield started
    for node in started:
        node.stop()


def latest(client: Client) -> dict[str, Any]:
    """The ticket as the waiting room page shows it: the newest read (``as_of``), whatever the order of arrival."""
    tickets = client.of("ticket")
    assert tickets, "no ticket pushed"
    return max(tickets, key=lambda t: t["as_of"])  # type: ignore[no-any-return]


async def settles(client: Client, timeout: float = 10, **expected: Any) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        ticket = latest(client) if client.of("ticket") else {}
        if all(ticket.get(k) == v for k, v in expected.items()):
            return ticket
        assert time.monotonic() < deadline, f"ticket {ticket} is not {expected}"
        await asyncio.sleep(0.02)


async def test_citizens_on_either_process_see_their_own_place(nodes: list[ServerProcess], clients: Any) -> None:
    a, b = nodes
    desk = await clerk(clients, b, "anna", available=(OFFICE,))
    watchers = [clients(), clients()]
    await watchers[0].connect(a, PUBLIC, auth={"offices": [OFFICE], "lang": "de"})
    await watchers[1].connect(b, PUBLIC, auth={"offices": [OFFICE], "lang": "en"})
    # Joined on one process, waiting on the other or the same.
    people = []
    for joined_on, waits_on in ((a, a), (b, b), (a, b), (b, a)):
        people.append(await citizen(clients, waits_on, (await join(joined_on, OFFICE))["token"]))
    first, second, third, fourth = people
    for position, person in enumerate(people, start=1):
        await settles(person, position=position, ahead=position - 1, state="waiting")
    for watcher in watchers:
        await watcher.wait_for("office_status", lambda d: d["waiting"] == 4)
    await desk.wait_for("queue", lambda d: len(d["tickets"]) == 4)

    # A citizen on B leaves: those behind move up, on both processes.
    assert await second.call(CITIZEN, "leave") == {"ok": True}
    await settles(third, position=2)
    await settles(fourth, position=3)
    await settles(first, position=1)

    # The clerk on B calls next: the called citizen is on A, the rest move up wherever they wait.
    called = await desk.call(CLERK, "call_next", {"office_id": OFFICE})
    assert called["ok"] and called["ticket"]["number"] == "B-001"
    await settles(first, state="called")
    await settles(third, position=1, ahead=0)
    await settles(fourth, position=2, ahead=1)

    # A join on A, the page on A: B's public page and B's console hear of it too.
    fifth = await citizen(clients, a, (await join(a, OFFICE))["token"])
    await settles(fifth, position=3)
    for watcher in watchers:
        status = await watcher.wait_for("office_status", lambda d: d["waiting"] == 3)
        assert status["id"] == OFFICE
    assert watchers[1].of("office_status")[-1]["name"]  # in its own language, as before
    queue = await desk.wait_for("queue", lambda d: sum(t["state"] == "waiting" for t in d["tickets"]) == 3)
    assert [t["position"] for t in queue["tickets"] if t["state"] == "waiting"] == [1, 2, 3]
    # Each citizen's pushes were about their own ticket only.
    for person in (first, third, fourth, fifth):
        assert len({t["number"] for t in person.of("ticket")}) == 1


async def test_an_office_change_is_one_redis_message(
    nodes: list[ServerProcess], clients: Any, redis_server: RedisServer
) -> None:
    a, b = nodes
    await clerk(clients, a, "anna", available=(OFFICE,))
    for node in nodes:
        watcher = clients()
        await watcher.connect(node, PUBLIC, auth={"offices": [OFFICE], "lang": "de"})
    people = [await citizen(clients, (a, b)[i % 2], (await join(a, OFFICE))["token"]) for i in range(8)]
    for position, person in enumerate(people, start=1):
        await settles(person, position=position)

    listener = redis.asyncio.Redis.from_url(redis_server.url)
    pubsub = listener.pubsub(ignore_subscribe_messages=True)
    await pubsub.subscribe(SOCKETIO_CHANNEL, keys.CHANGES)
    heard: list[tuple[str, dict[str, Any]]] = []

    async def record() -> None:
        async for message in pubsub.listen():
            heard.append((message["channel"].decode(), json.loads(message["data"])))

    recording = asyncio.create_task(record())
    try:
        await asyncio.sleep(0.5)  # the office is quiet: whatever was pending has been pushed
        heard.clear()
        # One change in an office with 8 waiting, on the process that holds half of them.
        assert await people[0].call(CITIZEN, "leave") == {"ok": True}
        for position, person in enumerate(people[1:], start=1):
            await settles(person, position=position)
        await asyncio.sleep(0.3)
    finally:
        recording.cancel()
        await pubsub.aclose()
        await listener.aclose()

    # The leaving citizen's own end goes to the rooms of their ticket and visit, as one
    # message each; everything else about the change is one message, however many wait.
    ended = [m["room"] for channel, m in heard if m.get("event") == "ended" and str(m.get("room")).startswith("ticket:")]
    assert len(ended) == 1, heard
    gone = ended[0].removeprefix("ticket:")
    others = [(channel, m) for channel, m in heard if gone not in str(m.get("room"))]
    assert others == [(keys.CHANGES, {"office": OFFICE, "from": others[0][1].get("from")})], [
        (c, m.get("event"), m.get("room")) for c, m in heard
    ]
    assert {m.get("event") for channel, m in heard if channel == SOCKETIO_CHANNEL} <= {"ended", None}


async def test_has_local_member_reads_python_socketio_rooms() -> None:
    """The one place we read python-socketio's room table: fails here if an upgrade changes it."""
    sio = socketio.AsyncServer(async_mode="asgi")
    manager = sio.manager
    manager.initialize()
    sid = await manager.connect("eio-1", CITIZEN)
    assert not has_local_member(sio, CITIZEN, "ticket:1")
    await manager.enter_room(sid, CITIZEN, "ticket:1")
    assert has_local_member(sio, CITIZEN, "ticket:1")
    assert not has_local_member(sio, PUBLIC, "ticket:1") and not has_local_member(sio, CITIZEN, "ticket:2")
    await manager.leave_room(sid, CITIZEN, "ticket:1")
    assert not has_local_member(sio, CITIZEN, "ticket:1")
    await manager.enter_room(sid, CITIZEN, "ticket:1")
    await manager.disconnect(sid, CITIZEN)
    assert not has_local_member(sio, CITIZEN, "ticket:1")


def test_rooms_are_shared_only_through_a_redis_manager(redis_server: RedisServer) -> None:
    assert shares_rooms(Server(async_mode="asgi", client_manager=RedisManager(redis_server.url)))
    assert not shares_rooms(Server(async_mode="asgi"))


async def test_a_process_that_lost_its_subscription_pushes_every_office_again(
    nodes: list[ServerProcess], clients: Any, redis_client: redis.asyncio.Redis
) -> None:
    a, b = nodes
    await clerk(clients, a, "anna", available=(OFFICE,))
    watcher = clients()
    await watcher.connect(b, PUBLIC, auth={"offices": [OFFICE], "lang": "de"})
    await watcher.wait_for("office_status", lambda d: d["status"] == "open")
    await asyncio.sleep(0.5)
    before = len(watcher.of("office_status"))
    # Every subscriber's connection dropped (as in a failover): a change published before a
    # process is subscribed again would go unheard, so each pushes its offices anew, unasked.
    await redis_client.execute_command("CLIENT", "KILL", "TYPE", "pubsub")
    deadline = time.monotonic() + 10
    while len(watcher.of("office_status")) == before:
        assert time.monotonic() < deadline, "no push after the subscription was lost"
        await asyncio.sleep(0.05)
    assert watcher.of("office_status")[-1]["status"] == "open"
