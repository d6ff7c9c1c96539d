"""Requests between nodes through Redis pub/sub: one channel per node, a reply for each request.

A request names the node that asked; the answering node publishes its reply on the
asker's channel. A request to a node that nobody listens for (PUBLISH reaches no
subscriber: the process is gone) fails with ``NodeGone`` after ``GONE_SECONDS``; one
without a reply in time with ``NodeTimeout``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

import redis.asyncio
import redis.exceptions

from virtual_office.server.cluster import keys

log = logging.getLogger(__name__)

REQUEST_SECONDS = 15.0
"""How long a request waits for its reply (an offer's answer takes the home a moment of ICE gathering)."""

GONE_SECONDS = 1.0
"""How long a request that reached no listener waits for a reply anyway."""

Handler = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


class NodeGone(Exception):
    """The node asked is not listening: it stopped or died."""


class NodeTimeout(Exception):
    """The node asked did not answer in time."""


class CommandChannel:
    """This node's end of the command channels: serves requests to it, and sends its own."""

    def __init__(self, client: redis.asyncio.Redis, node_id: str, *, timeout: float = REQUEST_SECONDS) -> None:
        self._redis = client
        self._node_id = node_id
        self._timeout = timeout
        self._handler: Handler | None = None
        self._waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.ready = asyncio.Event()
        """Set once this node listens (requests before that would find it gone)."""

    def serve(self, handler: Handler) -> None:
        """``handler(command)`` answers every request to this node."""
        self._handler = handler

    async def request(self, node_id: str, command: dict[str, Any], *, timeout: float | None = None) -> dict[str, Any]:
        """Send ``command`` to the node and return its reply."""
        request_id = secrets.token_hex(8)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = future
        try:
            message = json.dumps({"request": request_id, "from": self._node_id, "command": command})
            heard = await self._redis.publish(keys.commands(node_id), message)
            try:
                # On Redis Cluster PUBLISH counts the listeners of one shard only: a node counted
                # as nobody gets a moment to answer before it is taken for gone.
                return await asyncio.wait_for(future, (timeout or self._timeout) if heard else GONE_SECONDS)
            except TimeoutError:
                raise (NodeTimeout if heard else NodeGone)(node_id) from None
        finally:
            self._waiting.pop(request_id, None)

    async def run(self) -> None:
        """Listen until cancelled; a lost Redis connection is re-subscribed with a capped backoff."""
        delay = 0.1
        while True:
            pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(keys.commands(self._node_id))
                self.ready.set()
                delay = 0.1
                while True:
                    message = await pubsub.get_message(timeout=1.0)
                    if message is not None:
                        self._received(message["data"])
            except (redis.exceptions.RedisError, OSError) as exc:
                self.ready.clear()
                log.warning("node %s: command channel lost (%s), again in %.1f s", self._node_id, type(exc).__name__, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
            finally:
                try:
                    await pubsub.aclose()
                except (redis.exceptions.RedisError, OSError):
                    pass

    def _received(self, data: str | bytes) -> None:
        try:
            message = json.loads(data)
        except ValueError:
            return
        if "reply" in message:
            future = self._waiting.get(message["reply"])
            if future is not None and not future.done():
                future.set_result(message.get("result") or {})
            return
        task = asyncio.create_task(self._answer(message))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _answer(self, message: dict[str, Any]) -> None:
        result: dict[str, Any]
        try:
            assert self._handler is not None, "CommandChannel.serve(handler) before run()"
            result = await self._handler(message["command"])
        except Exception:  # noqa: BLE001 - the asker gets an error instead of waiting out its timeout
            log.exception("node %s: a request failed", self._node_id)
            result = {"ok": False, "error": "media"}
        reply = json.dumps({"reply": message.get("request"), "result": result})
        try:
            await self._redis.publish(keys.commands(str(message.get("from"))), reply)
        except (redis.exceptions.RedisError, OSError):
            log.warning("node %s: a reply was lost", self._node_id)

    async def stop(self) -> None:
        """Let the requests being answered finish their replies' way (briefly)."""
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=2)


__all__ = ["GONE_SECONDS", "REQUEST_SECONDS", "CommandChannel", "NodeGone", "NodeTimeout"]
