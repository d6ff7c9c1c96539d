from __future__ import annotations

import dataclasses

import pytest
import redis.asyncio

from tests.conftest import ALWAYS, Clock
from virtual_office.queue import (
    AVAILABLE,
    Joined,
    Office,
    OfficeDirectory,
    Presence,
    WaitingRoom,
)


async def arrive(room: WaitingRoom, office_id: str, **fields: object) -> Joined:
    """A citizen joins and their page connects, which confirms the ticket (it takes its place)."""
    joined = await room.join(office_id, **fields)  # type: ignore[arg-type]
    await room.heartbeat(joined.ticket, online=True)
    return dataclasses.replace(joined, ticket=await room.ticket(joined.token))


@pytest.fixture
async def offices(redis_client: redis.asyncio.Redis) -> OfficeDirectory:
    directory = OfficeDirectory(redis_client, max_age=0)
    for i, (oid, name) in enumerate([("buergerbuero", "Bürgerbüro"), ("kfz", "Kfz-Zulassung")]):
        await directory.save(Office.from_config({"id": oid, "name": name, "hours": ALWAYS, "order": i}))
    return directory


@pytest.fixture
def presence(redis_client: redis.asyncio.Redis, clock: Clock) -> Presence:
    return Presence(redis_client, timeout_seconds=45, clock=clock)


@pytest.fixture
async def room(redis_client: redis.asyncio.Redis, offices: OfficeDirectory, presence: Presence, clock: Clock) -> WaitingRoom:
    for oid in await offices.ids():
        await presence.set(oid, "clerk-on-duty", AVAILABLE)
    return WaitingRoom(redis_client, offices, presence, grace_seconds=120, call_timeout_seconds=60, clock=clock)
