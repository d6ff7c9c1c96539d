"""A bare Engine.IO v4 / socket.io v5 client over one WebSocket: frames are written by hand.

The socket.io client library encodes what it is given correctly; a fuzzer needs to
send what no library would: JSON nested a thousand deep, NaN, integers of hundreds of
digits, lone surrogates, broken packets. Arguments are therefore JSON *text*.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed


class Refused(Exception):
    """The namespace refused the connection (``44``), with the server's payload."""


class Closed(Exception):
    """The server closed the connection (or left the namespace) instead of answering."""


class Wire:
    def __init__(self, url: str, namespace: str) -> None:
        self.url = url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        self.namespace = namespace
        self._ws: ClientConnection | None = None
        self._acks: dict[int, asyncio.Future[Any]] = {}
        self._ids = itertools.count(1)
        self._connected: asyncio.Future[Any] | None = None
        self._reader: asyncio.Task[None] | None = None
        self.closed = asyncio.Event()

    @property
    def prefix(self) -> str:
        return "" if self.namespace == "/" else self.namespace + ","

    async def open(self, auth: dict[str, Any] | str | None = None, headers: dict[str, str] | None = None) -> None:
        """Connect to the namespace; ``auth`` as a dict, or as JSON text sent as it is."""
        self._ws = await connect(self.url, additional_headers=headers or {}, max_size=None, open_timeout=5)
        handshake = await asyncio.wait_for(self._ws.recv(), 5)
        assert isinstance(handshake, str) and handshake.startswith("0"), handshake
        self._connected = asyncio.get_running_loop().create_future()
        self._reader = asyncio.create_task(self._read())
        await self._ws.send("40" + self.prefix + (auth if isinstance(auth, str) else json.dumps(auth) if auth is not None else ""))
        await asyncio.wait_for(self._connected, 5)

    async def _read(self) -> None:
        assert self._ws is not None
        try:
            async for frame in self._ws:
                if not isinstance(frame, str):
                    continue
                if frame == "2":
                    await self._ws.send("3")
                    continue
                if frame.startswith("1"):
                    break  # Engine.IO's close
                if not frame.startswith("4"):
                    continue
                kind, rest = frame[1], frame[2:]
                if self.prefix and rest.startswith(self.prefix):
                    rest = rest[len(self.prefix):]
                elif self.prefix:
                    continue
                if kind == "0" and self._connected and not self._connected.done():
                    self._connected.set_result(json.loads(rest or "null"))
                elif kind == "4" and self._connected and not self._connected.done():
                    self._connected.set_exception(Refused(json.loads(rest or "null")))
                elif kind == "1":
                    break
                elif kind == "3":
                    digits = "".join(itertools.takewhile(str.isdigit, rest))
                    future = self._acks.pop(int(digits), None)
                    if future and not future.done():
                        future.set_result(json.loads(rest[len(digits):]))
        except ConnectionClosed:
            pass
        finally:
            self.closed.set()
            for future in [*self._acks.values(), *([self._connected] if self._connected else [])]:
                if not future.done():
                    future.set_exception(Closed())

    async def call(self, args: str, *, timeout: float = 5) -> Any:
        """Send ``42<ns>,<id>[<args>]`` (``args``: the JSON text of event name and arguments) and await the ack."""
        assert self._ws is not None
        if self.closed.is_set():
            raise Closed()
        ack = next(self._ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._acks[ack] = future
        await self._ws.send(f"42{self.prefix}{ack}[{args}]")
        answer = await asyncio.wait_for(future, timeout)
        return answer[0] if isinstance(answer, list) and len(answer) == 1 else answer

    async def call_binary(self, args: str, attachments: list[bytes], *, timeout: float = 5) -> Any:
        """A binary event: ``45<n>-<ns>,<id>[...]`` then ``n`` binary frames."""
        assert self._ws is not None
        ack = next(self._ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._acks[ack] = future
        await self._ws.send(f"45{len(attachments)}-{self.prefix}{ack}[{args}]")
        for blob in attachments:
            await self._ws.send(blob)
        answer = await asyncio.wait_for(future, timeout)
        return answer[0] if isinstance(answer, list) and len(answer) == 1 else answer

    async def send_raw(self, frame: str | bytes) -> None:
        assert self._ws is not None
        with contextlib.suppress(ConnectionClosed):
            await self._ws.send(frame)

    async def close(self) -> None:
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(BaseException):
                await self._reader
