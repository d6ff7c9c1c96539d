"""Support for the staff page tests: the real app in-process (Starlette TestClient) on a real Redis."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
import redis.asyncio
from starlette.testclient import TestClient

from tests.conftest import ALWAYS, RedisServer
from virtual_office.queue import ADMIN, CLERK, ClerkDirectory, Office, OfficeDirectory
from virtual_office.server import create_app
from virtual_office.settings import Settings

PASSWORD = "correct horse battery"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Staff:
    """The running app, its Starlette core, and the seeded accounts."""

    client: TestClient
    app: Any
    redis_url: str
    accounts: dict[str, Any]

    @property
    def state(self) -> Any:
        return self.app.other_asgi_app.state

    def run(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Await ``fn(*args)`` on the app's own event loop (its Redis connections live there)."""
        return self.client.portal.call(lambda: fn(*args, **kwargs))

    def token(self, path: str = "/login") -> str:
        page = self.client.get(path)
        match = TOKEN.search(page.text)
        assert match, f"no CSRF token on {path}: {page.status_code}"
        return match.group(1)

    def login(self, login: str, password: str = PASSWORD) -> Any:
        token = self.token("/login")
        return self.client.post("/login", data={"login": login, "password": password, "csrf_token": token}, follow_redirects=False)

    def post(self, path: str, data: dict[str, Any], *, form_page: str | None = None) -> Any:
        """Post a form the way the browser does: with the token of the page it came from."""
        token = self.token(form_page or path)
        return self.client.post(path, data={**data, "csrf_token": token}, follow_redirects=False)


async def _seed(url: str) -> dict[str, Any]:
    client = redis.asyncio.Redis.from_url(url, decode_responses=True)
    try:
        offices = OfficeDirectory(client)
        await offices.save(Office.from_config({"id": "buergerbuero", "name": "Bürgerbüro", "hours": ALWAYS, "order": 0}))
        await offices.save(Office.from_config({"id": "kfz", "name": "Kfz-Zulassung", "hours": ALWAYS, "order": 1}))
        clerks = ClerkDirectory(client)
        return {
            "anna": await clerks.add("anna", "Anna Amt", PASSWORD, role=CLERK, offices=("buergerbuero",)),
            "root": await clerks.add("root", "Ada Admin", PASSWORD, role=ADMIN, offices=("buergerbuero",)),
        }
    finally:
        await client.aclose()


def start(redis_server: RedisServer, tmp_path: Path, **settings: Any) -> Iterator[Staff]:
    if redis_server.process is None or redis_server.process.poll() is not None:
        redis_server.start()
    redis.Redis.from_url(redis_server.url).flushall()
    accounts = asyncio.run(_seed(redis_server.url))
    settings.setdefault("admin_mfa", "optional")  # tests of "required" ask for it
    app = create_app(Settings(redis_url=redis_server.url, secret_key="x" * 32, data_dir=tmp_path, **settings))
    with TestClient(app, base_url=settings.get("public_url") or "http://testserver") as client:
        yield Staff(client, app, redis_server.url, accounts)


@pytest.fixture(name="staff")
def staff_fixture(redis_server: RedisServer, tmp_path: Path) -> Iterator[Staff]:
    yield from start(redis_server, tmp_path, login_attempts=3)
