"""Several nodes of one deployment for tests: `serve` processes on one Redis and one data directory.

Reusable by the cluster tests that put a proxy in front (tests/cluster): ``start_nodes``
starts them, ``home_of`` and ``wait_for_nodes`` read the cluster's state in Redis, and
``MovingMember`` is a visit member ('browser') that starts its media over when told
that the visit's media moved to another node.
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
from aiortc import RTCConfiguration, RTCPeerConnection

from tests.server.conftest import ServerProcess
from tests.server.test_visit_media import VISIT, Member
from virtual_office.server.cluster import keys


def start_nodes(redis_url: str, data_dir: Path, count: int, env: dict[str, str] | None = None) -> list[ServerProcess]:
    """``count`` `serve` processes on ``redis_url``, sharing ``data_dir`` (visits' files), each on its own port."""
    nodes = []
    for _ in range(count):
        node = ServerProcess(data_dir, {"VO_REDIS_URL": redis_url, "VO_MEDIA_HOST_ADDRESSES": "127.0.0.1", **(env or {})})
        node.start()
        nodes.append(node)
    return nodes


async def node_infos(client: redis.asyncio.Redis) -> dict[int, dict[str, Any]]:
    """The registrations of the live nodes, by process id."""
    ids = await client.smembers(keys.NODES)
    infos = [json.loads(v) for v in await client.mget([keys.node(i) for i in ids]) if v] if ids else []
    return {info["pid"]: info for info in infos}


async def wait_for_nodes(client: redis.asyncio.Redis, pids: set[int], timeout: float = 15) -> dict[int, dict[str, Any]]:
    """Wait until exactly the processes ``pids`` are registered as live nodes."""
    deadline = time.monotonic() + timeout
    while True:
        infos = await node_infos(client)
        if set(infos) == pids or time.monotonic() > deadline:
            assert set(infos) == pids, f"live nodes {sorted(infos)}, expected {sorted(pids)}"
            return infos
        await asyncio.sleep(0.1)


async def home_of(client: redis.asyncio.Redis, visit_id: str) -> int | None:
    """The process id of the node that holds the visit's media session."""
    node_id = await client.get(keys.home(visit_id))
    value = await client.get(keys.node(node_id)) if node_id else None
    return json.loads(value)["pid"] if value else None


class MovingMember(Member):
    """A member whose media starts over, as the visit page's does, when the server says it moved."""

    def __init__(self, colour: str) -> None:
        super().__init__(colour)
        self.moves = 0

    async def _receive(self, event: str, data: Any = None) -> None:
        await super()._receive(event, data)
        if event == "media_moved":
            self.moves += 1
            self._tasks.append(asyncio.ensure_future(self.start_over()))

    async def start_over(self) -> dict[str, Any]:
        """A new peer connection and a new offer."""
        old, self.pc = self.pc, RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.pc.on("track", self._on_track)
        await old.close()
        return await self.send_media()


__all__ = ["VISIT", "MovingMember", "home_of", "node_infos", "start_nodes", "wait_for_nodes"]


@pytest.fixture
async def members() -> AsyncIterator[Any]:
    """A factory of visit members that start over when the media moves, closed after the test."""
    made: list[MovingMember] = []

    def make(colour: str) -> MovingMember:
        made.append(MovingMember(colour))
        return made[-1]

    yield make
    for m in made:
        await m.close()
