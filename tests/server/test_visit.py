"""Who may connect to a visit, and that an ended visit lets nobody act."""

from __future__ import annotations

from typing import Any

import pytest
import redis.asyncio
import socketio

from tests.server.conftest import ServerProcess, join, login
from tests.server.test_realtime import CITIZEN, CLERK, citizen, clerk
from virtual_office.queue import OfficeDirectory, Presence, WaitingRoom

VISIT = "/visit"


async def visit_client(clients: Any, server: ServerProcess, visit: str, *, token: str | None = None, clerk_name: str | None = None) -> Any:
    c = clients()
    headers = {"Cookie": await login(server, clerk_name)} if clerk_name else {}
    await c.connect(server, VISIT, auth={"visit": visit, "token": token}, headers=headers)
    return c


async def test_only_the_visits_members_get_in(server: ServerProcess, clients: Any, redis_client: redis.asyncio.Redis) -> None:
    desk = await clerk(clients, server, "bea", available=("buergerbuero",))
    a = await join(server, "buergerbuero", name="Erika")
    b = await join(server, "buergerbuero")
    called = await desk.call(CLERK, "call_next", {"office_id": "buergerbuero"})
    visit = called["ticket"]["id"]

    # Called but not yet in: the clerk may get ready, the citizen not yet.
    await visit_client(clients, server, visit, clerk_name="bea")
    with pytest.raises(socketio.exceptions.ConnectionError):
        await visit_client(clients, server, visit, token=a["token"])
    person = await citizen(clients, server, a["token"])
    assert (await person.call(CITIZEN, "accept"))["ok"]
    inside = await visit_client(clients, server, visit, token=a["token"])
    people = await inside.wait_for("participants")
    assert {p["role"] for p in people["participants"]} == {"citizen", "clerk"}

    # Another citizen's token, another clerk of the office, a forged visit id: refused.
    for kwargs in ({"token": b["token"]}, {"clerk_name": "anna"}, {"token": a["token"] + "x"}):
        with pytest.raises(socketio.exceptions.ConnectionError):
            await visit_client(clients, server, visit, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(socketio.exceptions.ConnectionError):
        await visit_client(clients, server, "0123456789abcdef", clerk_name="bea")

    # A guest the serving clerk added may join.
    room = WaitingRoom(redis_client, OfficeDirectory(redis_client), Presence(redis_client))
    anna_id = next(c["id"] for c in await _clerks(redis_client) if c["login"] == "anna")
    await room.add_guest("buergerbuero", visit, anna_id, limit=3)
    guest = await visit_client(clients, server, visit, clerk_name="anna")
    await guest.wait_for("participants", lambda d: any(p["role"] == "guest" for p in d["participants"]))

    assert (await desk.call(CLERK, "finish", {"office_id": "buergerbuero", "ticket_id": visit}))["ok"]
    for member in (inside, guest):
        assert (await member.wait_for("ended"))["reason"] == "finished"
    with pytest.raises(socketio.exceptions.ConnectionError):
        await visit_client(clients, server, visit, clerk_name="bea")


async def test_sending_back_ends_the_visit_for_its_members(server: ServerProcess, clients: Any) -> None:
    desk = await clerk(clients, server, "anna", available=("buergerbuero",))
    a = await join(server, "buergerbuero")
    person = await citizen(clients, server, a["token"])
    visit = (await desk.call(CLERK, "call_next", {"office_id": "buergerbuero"}))["ticket"]["id"]
    await person.call(CITIZEN, "accept")
    inside = await visit_client(clients, server, visit, token=a["token"])
    await desk.call(CLERK, "send_back", {"office_id": "buergerbuero", "ticket_id": visit})
    assert (await inside.wait_for("ended"))["reason"] == "sent_back"


async def _clerks(redis_client: redis.asyncio.Redis) -> list[dict[str, Any]]:
    import json

    return [json.loads(v) for v in await redis_client.hvals("vo:clerks")]
