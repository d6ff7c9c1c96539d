"""A real server process (uvicorn via the CLI) and real socket.io clients against it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio
import socketio

from tests.conftest import ALWAYS, RedisServer, free_port
from virtual_office.queue import ADMIN, CLERK, ClerkDirectory, Office, OfficeDirectory
from virtual_office.server.protocol import CITIZEN

PASSWORD = "correct horse battery"


class ServerProcess:
    """`virtual-office serve` in a subprocess, which a test may SIGKILL and start again."""

    def __init__(self, data_dir: Path, env: dict[str, str]) -> None:
        self.port = free_port()
        self.data_dir = data_dir
        self.env = {
            **os.environ,
            "VO_PORT": str(self.port),
            "VO_HOST": "127.0.0.1",
            "VO_DATA_DIR": str(data_dir),
            "VO_SECRET_KEY": "test-secret-key-" + "x" * 32,
            "VO_STATUS_INTERVAL": "0.05",
            "VO_LOG_LEVEL": "warning",
            # Every simulated citizen shares the loopback address: per-address limits off
            # (tests/server/test_limits.py checks them with the defaults).
            "VO_JOINS_PER_ADDRESS": "1000000",
            "VO_CHECKS_PER_ADDRESS": "1000000",
            **env,
        }
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "virtual_office", "serve"],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=open(self.data_dir / "server.log", "ab"),  # noqa: SIM115 - kept for the process's life
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {(self.data_dir / 'server.log').read_text()[-2000:]}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("server did not start")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def log(self) -> str:
        return (self.data_dir / "server.log").read_text(errors="replace")


async def seed(redis_url: str) -> dict[str, Any]:
    """Two offices open around the clock, a clerk for each, one for both, an admin."""
    client = redis.asyncio.Redis.from_url(redis_url, decode_responses=True)
    offices = OfficeDirectory(client)
    await offices.save(Office.from_config({"id": "buergerbuero", "name": "Bürgerbüro", "hours": ALWAYS, "order": 0}))
    await offices.save(Office.from_config({"id": "kfz", "name": "Kfz-Zulassung", "hours": ALWAYS, "order": 1}))
    clerks = ClerkDirectory(client)
    accounts = {
        "anna": await clerks.add("anna", "Anna Amt", PASSWORD, role=CLERK, offices=("buergerbuero",)),
        "karl": await clerks.add("karl", "Karl Kfz", PASSWORD, role=CLERK, offices=("kfz",)),
        "bea": await clerks.add("bea", "Bea Beides", PASSWORD, role=CLERK, offices=("buergerbuero", "kfz")),
        "root": await clerks.add("root", "Ada Admin", PASSWORD, role=ADMIN, offices=()),
    }
    await client.aclose()
    return accounts


@pytest.fixture
async def server(redis_server: RedisServer, redis_client: redis.asyncio.Redis, tmp_path: Path) -> AsyncIterator[ServerProcess]:
    await seed(redis_server.url)
    process = ServerProcess(tmp_path, {"VO_REDIS_URL": redis_server.url, "VO_CALL_TIMEOUT_SECONDS": "2"})
    process.start()
    yield process
    process.stop()


async def login(server: ServerProcess, name: str) -> str:
    """Log in over the JSON API and return the Cookie header the browser would send."""
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.post("/api/login", json={"login": name, "password": PASSWORD})
        assert response.status_code == 200, response.text
        return f"vo_session={response.cookies['vo_session']}"


async def join(server: ServerProcess, office: str, **fields: object) -> dict[str, Any]:
    """A citizen joins, and their page connects once and goes (a ticket holds a place only once
    a page of its citizen has connected); the ticket is then waiting, marked offline."""
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.post(f"/api/offices/{office}/tickets", json=fields)
        assert response.status_code == 201, response.text
    joined: dict[str, Any] = response.json()
    page = Client()
    await page.connect(server, CITIZEN, auth={"token": joined["token"], "lang": "de"})
    await page.close()
    return joined


class Client:
    """A real socket.io client that records every event it receives."""

    def __init__(self) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.events: list[tuple[str, str, Any]] = []
        self.sio.on("*", self._record, namespace="*")

    async def _record(self, event: str, namespace: str, data: Any = None) -> None:
        self.events.append((namespace, event, data))

    async def connect(self, server: ServerProcess, namespace: str, auth: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> None:
        await self.sio.connect(server.url, namespaces=[namespace], auth=auth, headers=headers or {}, transports=["websocket"], wait_timeout=10)

    async def call(self, namespace: str, event: str, data: Any = None) -> Any:
        return await self.sio.call(event, data, namespace=namespace, timeout=10)

    def of(self, event: str) -> list[Any]:
        return [d for _, e, d in self.events if e == event]

    async def wait_for(self, event: str, predicate: Any = lambda d: True, timeout: float = 10) -> Any:
        """The first (already received or arriving) event matching ``predicate``."""
        deadline = time.monotonic() + timeout
        seen = 0
        while time.monotonic() < deadline:
            matches = [d for d in self.of(event) if predicate(d)]
            if matches:
                return matches[-1]
            seen = len(self.events)
            await self.sio.sleep(0.02)
        raise AssertionError(f"no {event!r} matching within {timeout}s; got {self.events[-5:]} ({seen} events)")

    async def close(self) -> None:
        await self.sio.disconnect()


@pytest.fixture
async def clients() -> AsyncIterator[Any]:
    made: list[Client] = []

    def make() -> Client:
        made.append(Client())
        return made[-1]

    yield make
    for c in made:
        await c.close()


@pytest.fixture
def tmp_dir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path
