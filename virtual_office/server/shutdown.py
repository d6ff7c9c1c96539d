"""Stopping a server process: every background task ends, or is named in the log."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

import socketio

log = logging.getLogger(__name__)

STOP_SECONDS = 10.0
"""How long each step of stopping (background tasks, socket.io, media connections) may
take before the process logs it and goes on."""


async def stop_tasks(tasks: Iterable[asyncio.Task], seconds: float = STOP_SECONDS) -> list[asyncio.Task]:
    """Cancel ``tasks`` and wait until they have ended; returns those that would not.

    The cancellation is repeated until a task ends: on Python 3.11 ``asyncio.wait_for``
    (used inside redis-py and Engine.IO) drops a cancellation that arrives just as
    what it waits for completes, and a task that loops would then run on and keep
    the process from ever exiting.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    pending = {task for task in tasks if not task.done()}
    while pending and loop.time() < deadline:
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=min(0.5, max(0.0, deadline - loop.time())))
    for task in pending:
        log.error("background task %s did not stop", task.get_name())
    return list(pending)


async def stop_socketio(sio: socketio.AsyncServer) -> None:
    """End what python-socketio runs in the background and close its Redis connections.

    ``AsyncServer.shutdown`` stops Engine.IO's ping task but not the Redis manager's
    subscription, which would otherwise be left to the event loop's own teardown.
    """
    shutdown = asyncio.ensure_future(sio.shutdown())
    done, _ = await asyncio.wait([shutdown], timeout=STOP_SECONDS)
    if not done:
        await stop_tasks([shutdown])
    manager = sio.manager
    listener = getattr(manager, "thread", None)  # the Redis manager's subscription task
    if isinstance(listener, asyncio.Task):
        await stop_tasks([listener])
    for name in ("pubsub", "redis"):
        connection = getattr(manager, name, None)
        if connection is not None:
            try:
                async with asyncio.timeout(STOP_SECONDS):
                    await connection.aclose()
            except Exception as exc:  # noqa: BLE001 - closing is best effort on the way out
                log.warning("socket.io's Redis %s not closed cleanly: %s", name, type(exc).__name__)

