"""A join whose reply is lost and which the client sends again makes one ticket, and answers."""

from __future__ import annotations

import redis.asyncio

from tests.conftest import RedisServer
from tests.lossy_proxy import LossyProxy
from virtual_office import redis_client
from virtual_office.queue import OfficeDirectory, Presence, WaitingRoom, keys


async def test_a_join_sent_again_after_its_reply_was_lost_is_one_ticket(
    redis_server: RedisServer, redis_client: redis.asyncio.Redis, room: WaitingRoom,
    offices: OfficeDirectory, presence: Presence,
) -> None:
    async with LossyProxy(redis_server.port, lose=b"EVALSHA") as proxy:
        client = redis_client_for(proxy.port)
        lossy = WaitingRoom(client, offices, presence, grace_seconds=120, call_timeout_seconds=60)
        try:
            # Loaded beforehand, so that the EVALSHA whose reply is lost is the join's own.
            await client.script_load(lossy._scripts.join.script)
            joined = await lossy.join("buergerbuero", name="Erika")
        finally:
            await client.aclose()
    assert proxy.lost == 1, "the first join's reply was lost and the join sent again"
    tickets = await redis_client.zrange(keys.unconfirmed("buergerbuero"), 0, -1)
    assert tickets == [joined.ticket.id]
    assert joined.ticket.number.endswith("-001"), "numbered once"
    assert (await room.ticket(joined.token)).id == joined.ticket.id



def redis_client_for(port: int) -> redis.asyncio.Redis:
    return redis_client.connect(f"redis://127.0.0.1:{port}/0")
