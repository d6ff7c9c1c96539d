"""A TCP proxy in front of a real Redis that loses the reply to one command: the command
runs, its answer never arrives, the connection drops (what a failover does to a command
in flight). The client's retry must not do the work twice."""

from __future__ import annotations

import asyncio
import contextlib

from tests.conftest import free_port


class LossyProxy:
    """Forwards 127.0.0.1:``port`` to the Redis on ``upstream``; the first request that contains
    ``lose`` is executed by Redis, and its reply is dropped with the connection."""

    def __init__(self, upstream: int, lose: bytes) -> None:
        self.upstream = upstream
        self.lose = lose
        self.port = free_port()
        self.lost = 0
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> LossyProxy:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()

    async def _serve(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        server_r, server_w = await asyncio.open_connection("127.0.0.1", self.upstream)
        losing = asyncio.Event()

        async def upstream() -> None:
            while data := await client_r.read(65536):
                if not self.lost and self.lose in data:
                    self.lost += 1
                    losing.set()
                server_w.write(data)
                await server_w.drain()

        async def downstream() -> None:
            while data := await server_r.read(65536):
                if losing.is_set():
                    return  # the command ran; its reply goes nowhere
                client_w.write(data)
                await client_w.drain()

        tasks = [asyncio.create_task(upstream()), asyncio.create_task(downstream())]
        with contextlib.suppress(Exception):
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in tasks:
            task.cancel()
        for writer in (client_w, server_w):
            writer.close()
