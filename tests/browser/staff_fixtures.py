"""Fixtures for the console and administration browser tests.

A server of their own (not the shared ``env``): a call expires after three seconds so a
no-show can be watched, and the tests add offices and accounts the other tests do not expect.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest
import socketio

from tests.browser import harness
from tests.browser.sites import StaticSite

ADMIN_LOGIN = "ada"
ADMIN_PASSWORD = "administration passwort"
CALL_TIMEOUT = 3
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


class StaffEnv:
    def __init__(self, redis: harness.RedisServer, server: harness.OfficeServer, site: StaticSite) -> None:
        self.redis = redis
        self.server = server
        self.site = site

    @property
    def origin(self) -> str:
        return self.server.origin


async def _add_admin(redis_url: str) -> None:
    import redis.asyncio

    from virtual_office.queue import ADMIN, ClerkDirectory

    client = redis.asyncio.Redis.from_url(redis_url, decode_responses=True)
    try:
        await ClerkDirectory(client).add(ADMIN_LOGIN, "Ada Administratorin", ADMIN_PASSWORD, role=ADMIN)
    finally:
        await client.aclose()


def _aside(fn: Any, *args: Any) -> None:
    """Run set-up code in a thread of its own: Playwright's sync API keeps an event loop running in this one."""
    failure: list[BaseException] = []

    def run() -> None:
        try:
            fn(*args)
        except BaseException as exc:  # noqa: BLE001 - re-raised below
            failure.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]


def on_accounts(env: StaffEnv, change: Callable[[Any], Awaitable[Any]]) -> None:
    """Run ``change(ClerkDirectory)`` on the server's Redis, as the administration would."""
    import redis.asyncio

    from virtual_office.queue import ClerkDirectory

    async def run() -> None:
        client = redis.asyncio.Redis.from_url(env.redis.url, decode_responses=True)
        try:
            await change(ClerkDirectory(client))
        finally:
            await client.aclose()

    _aside(lambda: asyncio.run(run()))


@pytest.fixture(scope="module", name="staff_env")
def staff_env_fixture() -> Iterator[StaffEnv]:
    yield from _staff_env()


@pytest.fixture
def own_staff_env() -> Iterator[StaffEnv]:
    """A server for one test alone: one that adds offices and accounts and counts the statistics, run once per engine."""
    yield from _staff_env()


def _staff_env() -> Iterator[StaffEnv]:
    redis = harness.RedisServer()
    port = harness.free_port()
    site = StaticSite(f"http://127.0.0.1:{port}")
    server = None
    try:
        _aside(harness.seed, redis.url)
        _aside(lambda: asyncio.run(_add_admin(redis.url)))
        server = harness.OfficeServer(redis.url, [site.origin], port=port, extra_env={
            "VO_CALL_TIMEOUT_SECONDS": str(CALL_TIMEOUT), "VO_STATUS_INTERVAL": "0.05",
        })
        yield StaffEnv(redis, server, site)
    finally:
        if server is not None:
            server.close()
        site.close()
        redis.close()


def log_in(page: Any, origin: str, login: str, password: str, next_path: str = "") -> None:
    """Log in through the form, as a person would."""
    page.goto(f"{origin}/login?lang=de" + (f"&next={next_path}" if next_path else ""))
    page.get_by_label("Anmeldename").fill(login)
    page.get_by_label("Passwort").fill(password)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_load_state()


def axe_violations(page: Any, axe_source: str) -> list[dict[str, Any]]:
    # Evaluated through the DevTools protocol: the staff pages' CSP refuses inline <script> tags.
    page.evaluate("source => { (0, eval)(source); }", axe_source)
    return page.evaluate("""async (tags) => {
        const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
        return r.violations.map(v => ({id: v.id, help: v.help, nodes: v.nodes.map(n => n.target)}));
    }""", AXE_TAGS)


class Citizen:
    """A citizen in the waiting room: joined over HTTP, watching the ticket over /citizen."""

    def __init__(self, origin: str, office_id: str, **fields: str) -> None:
        response = httpx.post(f"{origin}/api/offices/{office_id}/tickets", json=fields, timeout=10)
        assert response.status_code == 201, response.text
        body = response.json()
        self.token = body["token"]
        self.number = body["ticket"]["number"]
        self.events: list[tuple[str, Any]] = []
        self.sio = socketio.Client(reconnection=False)
        for name in ("ticket", "ended", "announcement"):
            self.sio.on(name, self._recorder(name), namespace="/citizen")
        self.sio.connect(origin, namespaces=["/citizen"], transports=["polling"],
                         auth={"token": self.token, "lang": "de"}, wait_timeout=10)

    def _recorder(self, name: str):  # type: ignore[no-untyped-def]
        def record(data: Any = None) -> None:
            self.events.append((name, data))
        return record

    def wait_for(self, name: str, predicate=lambda d: True, timeout: float = 10) -> Any:  # type: ignore[no-untyped-def]
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for event, data in reversed(self.events):
                if event == name and predicate(data):
                    return data
            time.sleep(0.05)
        raise AssertionError(f"citizen saw no {name!r} matching; last events: {self.events[-4:]}")

    def accept(self) -> dict[str, Any]:
        answer = self.sio.call("accept", {}, namespace="/citizen", timeout=10)
        assert answer.get("ok"), answer
        return answer

    def leave(self, origin: str) -> None:
        """Give the place up (the waiting room's "leave"), so that it is not kept for the next test."""
        response = httpx.delete(f"{origin}/api/tickets/me", headers={"Authorization": f"Bearer {self.token}"}, timeout=10)
        assert response.status_code in (200, 204, 404), response.text

    def close(self) -> None:
        # Do not wait for the open long-poll (up to the 60 s ping interval) to return.
        self.sio.eio.disconnect(abort=True)
