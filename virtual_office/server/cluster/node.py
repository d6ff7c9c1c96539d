"""This process as a node of the deployment: registered in Redis, kept alive by a heartbeat.

A node's key expires ``TTL_SECONDS`` after its last heartbeat: a node that is killed
drops out by itself; one that stops removes its key at once.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
import socket
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import redis.asyncio
import redis.exceptions

from virtual_office.server.cluster import keys

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 2.0
TTL_SECONDS = 6
"""A node missing three heartbeats is gone."""


@dataclass(frozen=True)
class NodeInfo:
    """What a node tells the others about itself."""

    id: str
    pid: int
    host: str
    port_min: int | None
    """Its media UDP port range (None: any port)."""
    port_max: int | None
    visits: tuple[str, ...]
    """The visits whose media session it holds."""
    connections: int
    """socket.io connections it holds."""
    started: float
    """When it started (Unix time)."""
    takes_visits: bool = True
    """Whether visits may be homed here (False: signaling only, ``VO_SIGNALING_ONLY``)."""

    @classmethod
    def from_json(cls, text: str) -> NodeInfo:
        data = json.loads(text)
        return cls(**{**data, "visits": tuple(data.get("visits", ()))})


class Node:
    """Registers this process and refreshes its registration until ``stop()``."""

    def __init__(self, client: redis.asyncio.Redis, *, port_min: int | None, port_max: int | None,
                 visits: Callable[[], list[str]], connections: Callable[[], int], node_id: str | None = None,
                 takes_visits: bool = True) -> None:
        self.id = node_id or secrets.token_hex(6)
        self._redis = client
        self._port_min = port_min
        self._port_max = port_max
        self._visits = visits
        self._connections = connections
        self._started = time.time()
        self._takes_visits = takes_visits
        self._stopped = False

    def info(self) -> NodeInfo:
        return NodeInfo(self.id, os.getpid(), socket.gethostname(), self._port_min, self._port_max,
                        tuple(sorted(self._visits())), self._connections(), self._started, self._takes_visits)

    async def beat(self) -> None:
        """Register (again) for the next ``TTL_SECONDS``."""
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.set(keys.node(self.id), json.dumps(asdict(self.info())), ex=TTL_SECONDS)
            pipe.sadd(keys.NODES, self.id)
            await pipe.execute()

    async def refresh(self) -> None:
        """Beat now, as the visits it holds changed: the next visit's home is chosen by these counts."""
        if self._stopped:
            return  # it left: a late beat would offer the others a node on its way out
        try:
            await self.beat()
        except (redis.exceptions.RedisError, OSError) as exc:
            log.warning("node %s: heartbeat failed (%s)", self.id, type(exc).__name__)

    async def run(self) -> None:
        """Beat every ``HEARTBEAT_SECONDS`` until cancelled; Redis being away is waited out."""
        while True:
            await self.refresh()
            await asyncio.sleep(HEARTBEAT_SECONDS)

    async def stop(self) -> None:
        """Leave the deployment: the others no longer route to this node."""
        self._stopped = True
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.delete(keys.node(self.id))
            pipe.srem(keys.NODES, self.id)
            await pipe.execute()


async def alive(client: redis.asyncio.Redis, node_id: str) -> bool:
    """Whether the node's heartbeat is fresh."""
    return bool(await client.exists(keys.node(node_id)))


async def live_nodes(client: redis.asyncio.Redis) -> list[NodeInfo]:
    """Every node whose heartbeat is fresh; the ids of the others are dropped from the set."""
    ids = sorted(str(i) for i in await client.smembers(keys.NODES))
    if not ids:
        return []
    values = await client.mget([keys.node(i) for i in ids])
    gone = [i for i, v in zip(ids, values, strict=True) if v is None]
    if gone:
        await client.srem(keys.NODES, *gone)
    return [NodeInfo.from_json(str(v)) for v in values if v is not None]


__all__ = ["HEARTBEAT_SECONDS", "TTL_SECONDS", "Node", "NodeInfo", "alive", "live_nodes"]
