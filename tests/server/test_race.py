"""Twenty clerks' consoles calling next at once, through the running server."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import redis.asyncio

from tests.conftest import ALWAYS, RedisServer
from tests.server.conftest import PASSWORD, ServerProcess, join, login
from virtual_office.queue import ClerkDirectory, Office, OfficeDirectory

OFFICES = ("a", "b", "c")
TICKETS = 600
CLERKS = 20


async def test_twenty_consoles_call_every_ticket_exactly_once(redis_server: RedisServer, redis_client: redis.asyncio.Redis, tmp_path: Any, clients: Any) -> None:
    offices = OfficeDirectory(redis_client)
    for oid in (*OFFICES, "done"):
        await offices.save(Office.from_config({"id": oid, "name": oid.upper(), "hours": ALWAYS, "max_queue": TICKETS}))
    directory = ClerkDirectory(redis_client)
    for n in range(CLERKS):
        await directory.add(f"clerk{n}", f"Clerk {n}", PASSWORD, offices=(*OFFICES, "done"))
    server = ServerProcess(tmp_path, {"VO_REDIS_URL": redis_server.url})
    server.start()
    try:
        consoles = []
        for n in range(CLERKS):
            c = clients()
            await c.connect(server, "/clerk", headers={"Cookie": await login(server, f"clerk{n}")})
            consoles.append(c)
        for oid in OFFICES:
            await consoles[0].call("/clerk", "presence", {"office_id": oid, "presence": "available"})
        # Each joins and their page connects (a ticket holds a place only then); 30 at a time.
        for start in range(0, TICKETS, 30):
            await asyncio.gather(*(join(server, OFFICES[i % 3]) for i in range(start, start + 30)))

        called: Counter[str] = Counter()

        async def work(n: int, console: Any) -> None:
            order = list(OFFICES[n % 3:] + OFFICES[: n % 3])
            while order:
                answer = await console.call("/clerk", "call_next", {"office_id": order[0]})
                if not answer["ok"]:
                    assert answer["error"] == "queue_empty", answer
                    order.pop(0)
                    continue
                called[answer["ticket"]["id"]] += 1
                # Hand them on to the "done" office, which frees the clerk for the next.
                moved = await console.call("/clerk", "transfer", {"office_id": order[0], "ticket_id": answer["ticket"]["id"], "target_office_id": "done"})
                assert moved["ok"], moved

        await asyncio.gather(*(work(n, c) for n, c in enumerate(consoles)))
        assert len(called) == TICKETS and max(called.values()) == 1
        assert await redis_client.zcard("vo:{done}:queue") == TICKETS
        assert set(await redis_client.zrange("vo:{done}:queue", 0, -1)) == set(called)
    finally:
        server.stop()
