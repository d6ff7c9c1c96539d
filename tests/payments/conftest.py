"""The local XBezahldienste platform served on loopback by uvicorn, an office with fees, a cashier."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
import redis.asyncio
import uvicorn

from tests.conftest import ALWAYS, Clock
from virtual_office.payments import Cashier, ProviderConfig, ProviderDirectory, Timing
from virtual_office.payments.sandbox import SandboxPlatform
from virtual_office.queue import Office, OfficeDirectory

OFFICE = "buergerbuero"
CLIENT_ID, SECRET = "virtual-office", "s3cr3t-client-secret"
ORIGINATOR, ENDPOINT = "virtuelles-buergerbuero", "09362000"
FEES = {
    "fees": [
        {"id": "fuehrungszeugnis", "name": "Führungszeugnis", "name_en": "Certificate of good conduct", "amount": "13,00",
         "purpose": "Fuehrungszeugnis", "description": "Führungszeugnis für Behörden, Belegart O",
         "booking_data": {"Haushaltsstelle": "1.1220.1100", "Objektnummer": "BZR-01"}},
        {"id": "beglaubigung", "name": "Beglaubigung", "amount": "5.00", "purpose": "Beglaubigung",
         "booking_data": {"Haushaltsstelle": "1.1220.1100"}},
        {"id": "kopie", "name": "Kopie mit Steuer", "amount": "11,90", "purpose": "Kopie", "tax_rate": "19",
         "booking_data": {"Haushaltsstelle": "1.1220.1200"}},
    ],
    "free_amount": True,
    "free_amount_max": "200,00",
    "free_booking_data": {"Haushaltsstelle": "1.1220.1999"},
}


@dataclass
class Platform:
    """The sandbox on its own port; ``stop`` and ``start`` again on the same port (a platform that goes away)."""

    sandbox: SandboxPlatform = field(default_factory=SandboxPlatform)
    port: int = 0
    server: uvicorn.Server | None = None
    task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def settings(self, **changes: object) -> ProviderConfig:
        values: dict[str, object] = {
            "kind": "xbezahldienste", "base_url": self.url + "/", "token_url": self.url + "/oauth/token",
            "originator_id": ORIGINATOR, "endpoint_id": ENDPOINT, "client_id": CLIENT_ID, "client_secret": SECRET,
            "timeout_seconds": 2,
        }
        values.update(changes)
        return ProviderConfig.from_config(values)

    async def start(self) -> None:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        self.port = sock.getsockname()[1]
        self.sandbox.base_url = self.url
        config = uvicorn.Config(self.sandbox.app, log_level="warning", lifespan="off", timeout_graceful_shutdown=1)
        self.server = uvicorn.Server(config)
        self.task = asyncio.create_task(self.server.serve(sockets=[sock]))
        while not self.server.started:
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        if self.server is not None and self.task is not None:
            self.server.should_exit = True
            await self.task
            self.server = self.task = None


@pytest.fixture
async def platform() -> AsyncIterator[Platform]:
    p = Platform()
    p.sandbox.add_client(CLIENT_ID, SECRET, ORIGINATOR, ENDPOINT)
    await p.start()
    yield p
    await p.stop()


@pytest.fixture
async def offices(redis_client: redis.asyncio.Redis) -> OfficeDirectory:
    directory = OfficeDirectory(redis_client, max_age=0)
    await directory.save(Office.from_config({"id": OFFICE, "name": "Bürgerbüro", "hours": ALWAYS, "payments": FEES}))
    return directory


@pytest.fixture
async def cashier(redis_client: redis.asyncio.Redis, offices: OfficeDirectory, platform: Platform,
                  clock: Clock) -> AsyncIterator[Cashier]:
    await ProviderDirectory(redis_client).save(OFFICE, platform.settings())
    c = Cashier(redis_client, offices, clock=clock, timing=Timing(create_lease_seconds=60, first_poll_seconds=5))
    yield c
    await c.close()
