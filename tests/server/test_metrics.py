"""/metrics against a real server and Redis: the numbers move, strangers are refused, Redis away does not hang it."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import RedisServer
from tests.server.conftest import ServerProcess, join, login, seed
from tests.server.test_visit_media import VISIT, members  # noqa: F401 - members is a fixture
from virtual_office.queue import keys
from virtual_office.server.protocol import CITIZEN, CLERK, PUBLIC

DASHBOARD = Path(__file__).parents[2] / "examples" / "grafana" / "virtual-office.json"


def scrape(server: ServerProcess, **headers: str) -> str:
    response = httpx.get(server.url + "/metrics", headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


def value(text: str, metric: str, **labels: str) -> float | None:
    """The sample ``metric`` whose labels include ``labels``; None when there is none."""
    found = [s.value for family in text_string_to_metric_families(text) for s in family.samples
             if s.name == metric and labels.items() <= s.labels.items()]
    assert len(found) <= 1, (metric, labels, found)
    return found[0] if found else None


async def test_the_numbers_move_with_citizens_clerks_and_connections(server: ServerProcess, clients: Any) -> None:
    before = scrape(server)
    assert value(before, "vo_office_waiting", office="buergerbuero") == 0
    assert value(before, "vo_office_info", office="buergerbuero", name="Bürgerbüro") == 1
    assert value(before, "vo_redis_up") == 1 and (value(before, "vo_redis_roundtrip_seconds") or 0) > 0
    public_before = value(before, "vo_socketio_connections", namespace=PUBLIC)
    assert public_before is not None

    watcher = clients()
    await watcher.connect(server, PUBLIC, auth={"offices": ["buergerbuero"]})
    assert value(scrape(server), "vo_socketio_connections", namespace=PUBLIC) == public_before + 1

    desk = clients()
    await desk.connect(server, CLERK, headers={"Cookie": await login(server, "anna")})
    assert (await desk.call(CLERK, "presence", {"office_id": "buergerbuero", "presence": "available"}))["ok"]
    assert value(scrape(server), "vo_office_clerks", office="buergerbuero", state="available") == 1

    joined = await join(server, "buergerbuero", name="Erika Mustermann", concern="Personalausweis")
    await join(server, "buergerbuero")
    waiting = scrape(server)
    assert value(waiting, "vo_office_waiting", office="buergerbuero") == 2
    assert value(waiting, "vo_office_waiting", office="kfz") == 0
    assert (await desk.call(CLERK, "call_next", {"office_id": "buergerbuero"}))["ok"]
    called = scrape(server)
    assert value(called, "vo_office_waiting", office="buergerbuero") == 1
    assert value(called, "vo_office_called", office="buergerbuero") == 1
    assert value(called, "vo_office_in_visit", office="buergerbuero") == 0

    person = clients()
    await person.connect(server, CITIZEN, auth={"token": joined["token"], "lang": "de"})
    assert (await person.call(CITIZEN, "accept"))["ok"]
    assert (await person.call(CITIZEN, "accept"))["ok"]  # a retried click: one admission
    admitted = scrape(server)
    assert value(admitted, "vo_office_called", office="buergerbuero") == 0
    assert value(admitted, "vo_office_in_visit", office="buergerbuero") == 1
    assert value(admitted, "vo_admission_wait_seconds_count", office="buergerbuero") == 1
    assert value(admitted, "vo_admission_wait_seconds_bucket", office="buergerbuero", le="60.0") == 1
    assert value(admitted, "vo_socketio_connections", namespace=CITIZEN) == 1
    assert value(admitted, "vo_socketio_connections", namespace=CLERK) == 1
    # Nothing of who waits: no ticket number, token, name or concern anywhere.
    for secret in (joined["token"], joined["ticket"]["number"], "Erika", "Personalausweis"):
        assert secret not in admitted

    await watcher.close()
    assert value(scrape(server), "vo_socketio_connections", namespace=PUBLIC) == public_before


async def test_a_scrape_after_redis_lost_its_scripts_loads_them_again(server: ServerProcess, redis_client: Any) -> None:
    assert value(scrape(server), "vo_office_waiting", office="kfz") == 0
    await redis_client.script_flush()  # as after a restart without persistence, or a failover
    again = scrape(server)
    assert value(again, "vo_redis_up") == 1 and value(again, "vo_office_waiting", office="kfz") == 0


async def test_a_scrape_answers_when_an_office_cannot_be_read(server: ServerProcess, redis_client: Any) -> None:
    assert value(scrape(server), "vo_redis_up") == 1
    # An office record no code of ours would write (a hand edit, a half-restored backup).
    await redis_client.set(keys.office("broken"), "{not json")
    await redis_client.zadd(keys.OFFICES, {"broken": 99})
    deadline = time.monotonic() + 15  # the office directory's copy is renewed within seconds
    while value(answer := scrape(server), "vo_redis_up") == 1 and time.monotonic() < deadline:
        await asyncio.sleep(0.5)
    assert value(answer, "vo_redis_up") == 0 and value(answer, "vo_redis_roundtrip_seconds") is not None
    assert value(answer, "vo_socketio_connections", namespace=PUBLIC) == 0


@pytest.fixture
async def media_server(redis_server: RedisServer, redis_client: Any, tmp_path: Path) -> Iterator[ServerProcess]:
    """A server that offers loopback for media (the test runs in a loopback-only namespace)."""
    await seed(redis_server.url)
    process = ServerProcess(tmp_path, {"VO_REDIS_URL": redis_server.url, "VO_MEDIA_HOST_ADDRESSES": "127.0.0.1"})
    process.start()
    yield process
    process.stop()


async def test_a_visit_shows_as_a_media_session_with_packets_forwarded(media_server: ServerProcess, clients: Any,
                                                                        members: Any) -> None:
    server = media_server
    before = scrape(server)
    assert value(before, "vo_media_sessions") == 0 and value(before, "vo_media_packets_forwarded_total") == 0
    desk = clients()
    await desk.connect(server, CLERK, headers={"Cookie": await login(server, "bea")})
    assert (await desk.call(CLERK, "presence", {"office_id": "buergerbuero", "presence": "available"}))["ok"]
    ticket = await join(server, "buergerbuero")
    person = clients()
    await person.connect(server, CITIZEN, auth={"token": ticket["token"], "lang": "de"})
    visit = (await desk.call(CLERK, "call_next", {"office_id": "buergerbuero"}))["ticket"]["id"]
    assert (await person.call(CITIZEN, "accept"))["ok"]

    clerk_member, citizen_member = members("red"), members("blue")
    await clerk_member.enter(server, visit, cookie=await login(server, "bea"))
    await citizen_member.enter(server, visit, token=ticket["token"])
    assert (await clerk_member.send_media())["ok"] and (await citizen_member.send_media())["ok"]
    await clerk_member.sees("citizen")
    during = scrape(server)
    assert value(during, "vo_media_sessions") == 1
    assert (value(during, "vo_media_packets_forwarded_total") or 0) > 0
    assert value(during, "vo_socketio_connections", namespace=VISIT) == 2

    assert (await desk.call(CLERK, "finish", {"office_id": "buergerbuero", "ticket_id": visit}))["ok"]
    deadline = time.monotonic() + 10
    while value(after := scrape(server), "vo_media_sessions") != 0 and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    assert value(after, "vo_media_sessions") == 0 and value(after, "vo_office_in_visit", office="buergerbuero") == 0


@pytest.fixture
async def guarded(redis_server: RedisServer, redis_client: Any, tmp_path: Path) -> Iterator[ServerProcess]:
    """A server whose metrics need the token (loopback is not among its networks) and which trusts a proxy on loopback."""
    await seed(redis_server.url)
    process = ServerProcess(tmp_path, {"VO_REDIS_URL": redis_server.url, "VO_METRICS_TOKEN": "s3cret-metrics-token",
                                       "VO_METRICS_NETWORKS": "10.0.0.0/8"})
    process.start()
    yield process
    process.stop()


def test_a_scrape_without_the_token_from_another_network_is_refused(guarded: ServerProcess) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic s3cret-metrics-token"}):
        refused = httpx.get(guarded.url + "/metrics", headers={"Accept-Language": "en", **headers})
        assert refused.status_code == 403
        assert refused.json()["ok"] is False and refused.json()["error"] == "forbidden" and refused.json()["message"]
        assert "vo_" not in refused.text
    assert "vo_office_waiting" in scrape(guarded, Authorization="Bearer s3cret-metrics-token")


@pytest.fixture
async def behind_proxy(redis_server: RedisServer, redis_client: Any, tmp_path: Path) -> Iterator[ServerProcess]:
    """Default networks (loopback), with a trusted reverse proxy on loopback."""
    await seed(redis_server.url)
    process = ServerProcess(tmp_path, {"VO_REDIS_URL": redis_server.url, "VO_TRUSTED_PROXIES": "127.0.0.1"})
    process.start()
    yield process
    process.stop()


def test_a_scrape_through_the_proxy_from_outside_is_refused(behind_proxy: ServerProcess) -> None:
    # The proxy runs on the same machine: its own address is loopback, the client's is not.
    refused = httpx.get(behind_proxy.url + "/metrics", headers={"X-Forwarded-For": "203.0.113.7"})
    assert refused.status_code == 403 and refused.json()["error"] == "forbidden"
    assert "vo_office_waiting" in scrape(behind_proxy, **{"X-Forwarded-For": "127.0.0.1"})
    assert "vo_office_waiting" in scrape(behind_proxy)


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A Redis of this test's own, to stop and kill."""
    (tmp_path / "redis").mkdir()
    server = RedisServer(tmp_path / "redis")
    server.start()
    yield server
    server.stop()


def redis_pid(redis: RedisServer) -> int:
    assert redis.process is not None
    return redis.process.pid


async def test_a_scrape_while_redis_is_away_answers_with_what_it_has(own_redis: RedisServer, tmp_path: Path) -> None:
    await seed(own_redis.url)
    server = ServerProcess(tmp_path, {"VO_REDIS_URL": own_redis.url})
    server.start()
    try:
        assert value(scrape(server), "vo_redis_up") == 1
        # Redis hangs (stopped, its connections open): the scrape gives up on it and answers.
        os.kill(redis_pid(own_redis), signal.SIGSTOP)
        try:
            started = time.monotonic()
            hung = scrape(server)
            assert time.monotonic() - started < 15, "the scrape waited for a Redis that does not answer"
        finally:
            os.kill(redis_pid(own_redis), signal.SIGCONT)
        assert value(hung, "vo_redis_up") == 0
        assert value(hung, "vo_office_waiting", office="buergerbuero") is None
        assert value(hung, "vo_socketio_connections", namespace=PUBLIC) == 0
        assert value(hung, "vo_media_sessions") == 0
        # Redis gone: refused connections, the same answer.
        own_redis.kill()
        gone = scrape(server)
        assert value(gone, "vo_redis_up") == 0 and value(gone, "vo_redis_roundtrip_seconds") is None
        assert value(gone, "vo_media_connection_checks") == 0
        assert "vo_admission_wait_seconds" in gone
    finally:
        server.stop()


def dashboard_metrics() -> set[str]:
    """Every metric name the dashboard's panels query."""
    board = json.loads(DASHBOARD.read_text())
    panels = [*board["panels"], *(p for row in board["panels"] for p in row.get("panels", []))]
    expressions = [target["expr"] for panel in panels for target in panel.get("targets", [])]
    assert expressions, "a dashboard without queries"
    return {name for expr in expressions for name in re.findall(r"\bvo_[a-z_]+\b", expr)}


def test_every_dashboard_panel_queries_metrics_the_server_exports(server: ServerProcess) -> None:
    exported: set[str] = set()
    for family in text_string_to_metric_families(scrape(server)):
        exported.add(family.name)
        exported.update(sample.name for sample in family.samples)
        if family.type == "counter":
            exported.add(family.name + "_total")
        if family.type == "histogram":
            exported.update(family.name + suffix for suffix in ("_bucket", "_sum", "_count"))
    used = dashboard_metrics()
    assert {"vo_office_waiting", "vo_admission_wait_seconds_bucket", "vo_socketio_connections", "vo_media_packets_forwarded_total"} <= used
    assert used - exported == set()
