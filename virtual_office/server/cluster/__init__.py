"""Several processes, every visit whole: this process as a node among others on one Redis.

- ``node``: the node's registration and heartbeat.
- ``commands``: requests and replies between nodes (a pub/sub channel each).
- ``signaling``: a visit's media on its home node, reached from any node.
- ``workers``: ``serve --workers N``, several nodes on one machine and one port.

docs/cluster.md describes the design.
"""

from __future__ import annotations

import asyncio

import redis.asyncio
import socketio

from virtual_office.media import MediaServer
from virtual_office.server.cluster.commands import CommandChannel, NodeGone, NodeTimeout
from virtual_office.server.cluster.node import Node, NodeInfo, alive, live_nodes
from virtual_office.server.cluster.signaling import ClusterSignaling


class Cluster:
    """This process's part in the deployment: its node, its command channel, its visits' media."""

    def __init__(self, client: redis.asyncio.Redis, media: MediaServer, sio: socketio.AsyncServer, *,
                 takes_visits: bool = True) -> None:
        self.node = Node(client, port_min=media.config.port_min, port_max=media.config.port_max,
                         visits=lambda: self.signaling.homed(), connections=lambda: len(sio.eio.sockets),
                         takes_visits=takes_visits)
        self.commands = CommandChannel(client, self.node.id)
        self.signaling = ClusterSignaling(media, sio, client, self.node.id, self.commands, changed=self.node.refresh)

    async def run(self) -> None:
        """Listen for requests, then register and beat until cancelled."""
        listening = asyncio.create_task(self.commands.run(), name="cluster-commands")
        try:
            await self.commands.ready.wait()
            await self.node.run()
        finally:
            listening.cancel()
            await asyncio.gather(listening, return_exceptions=True)

    async def stop(self) -> None:
        """Leave the deployment: no more requests, and this node's visits move to others as their members offer."""
        await self.node.stop()
        await self.commands.stop()
        await self.signaling.hand_over()


__all__ = ["Cluster", "ClusterSignaling", "CommandChannel", "Node", "NodeGone", "NodeInfo", "NodeTimeout", "alive", "live_nodes"]
