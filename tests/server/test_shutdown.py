"""A stopping server ends every background task it started, and stops even if one resists."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
import socketio
import uvicorn

from tests.conftest import RedisServer, free_port
from tests.server.conftest import seed
from virtual_office.server import create_app
from virtual_office.server.shutdown import stop_tasks
from virtual_office.settings import Settings


async def test_a_task_that_swallows_a_cancellation_is_cancelled_again() -> None:
    ignored = 0

    async def stubborn_loop() -> None:
        # What a Python 3.11 asyncio.wait_for inside a library can do to a cancellation.
        nonlocal ignored
        while True:
            try:
                await asyncio.sleep(0.05)
            except asyncio.CancelledError:
                ignored += 1
                if ignored > 1:
                    raise

    task = asyncio.create_task(stubborn_loop())
    await asyncio.sleep(0)
    assert await stop_tasks([task]) == []
    assert task.cancelled() and ignored == 2


async def test_a_task_that_never_ends_is_named_and_given_up(caplog: pytest.LogCaptureFixture) -> None:
    release = asyncio.Event()

    async def deaf() -> None:
        while not release.is_set():
            try:
                await asyncio.sleep(0.05)
            except asyncio.CancelledError:
                pass

    task = asyncio.create_task(deaf(), name="deaf")
    await asyncio.sleep(0)
    with caplog.at_level(logging.ERROR, logger="virtual_office.server.shutdown"):
        assert await stop_tasks([task], seconds=0.3) == [task]
    assert "background task deaf did not stop" in caplog.text
    release.set()
    await task


async def test_stopping_the_server_leaves_no_task_and_no_connection_behind(
    redis_server: RedisServer, redis_client: object, tmp_path: Path
) -> None:
    await seed(redis_server.url)
    port = free_port()
    settings = Settings(redis_url=redis_server.url, secret_key="x" * 32, data_dir=tmp_path, host="127.0.0.1", port=port)
    # An external Redis: rooms are shared through socket.io's Redis manager, whose
    # subscription task and connections are the ones most easily left behind.
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    serving = asyncio.create_task(server.serve())
    while not server.started:
        assert not serving.done(), "the server did not start"
        await asyncio.sleep(0.05)

    watcher = socketio.AsyncClient(reconnection=False)
    offices = asyncio.Event()
    watcher.on("offices", lambda data: offices.set(), namespace="/public")
    await watcher.connect(f"http://127.0.0.1:{port}", namespaces=["/public"], transports=["websocket"], wait_timeout=10)
    await asyncio.wait_for(offices.wait(), 10)
    await watcher.disconnect()

    server.should_exit = True
    await asyncio.wait_for(serving, 30)
    # Engine.IO keeps no handle on a connection's ping timer, a bare sleep that the
    # loop's own teardown cancels at once; everything else must have ended.
    left = [
        t for t in asyncio.all_tasks()
        if t is not asyncio.current_task() and t.get_coro().__qualname__ != "AsyncSocket._send_ping"
    ]
    assert left == [], [t.get_coro() for t in left]
    # Every connection the server opened to Redis is closed: only this test's own
    # remains, once Redis has read the closes (it may answer CLIENT LIST first).
    for _ in range(100):
        clients = await redis_client.client_list()  # type: ignore[attr-defined]
        if len(clients) == 1:
            break
        await asyncio.sleep(0.05)
    assert [c["cmd"] for c in clients] == ["client"]
