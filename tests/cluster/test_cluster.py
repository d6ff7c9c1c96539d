"""The whole of examples/deploy on loopback: HAProxy in front of three `serve` processes on a
Redis primary with a replica and three sentinels. Widget subscribers and waiting citizens
spread across the processes, and a visit whose citizen and clerk reached different processes
has video both ways (real aiortc peers) and exchanges a file. The visit's process SIGKILLed:
its pages reconnect through HAProxy and keep their places, the visit resumes on another
process. Then the Redis primary SIGKILLed: Sentinel promotes the replica, the server and the
visit go on, and no ticket is lost or doubled."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Awaitable, Callable
from typing import Any

import engineio
import httpx
import socketio

from tests.cluster.deploy import Deployment
from tests.conftest import ALWAYS
from tests.server.conftest import PASSWORD, login
from tests.server.nodes import VISIT, MovingMember, home_of
from tests.server.test_exchange import PDF, download, upload
from virtual_office import redis_client
from virtual_office.queue import AVAILABLE, ClerkDirectory, Office, OfficeDirectory, Presence, keys
from virtual_office.server.cluster import keys as cluster_keys
from virtual_office.server.protocol import CITIZEN, CLERK, PUBLIC

OFFICES = ("buergerbuero", "kfz")
SUBSCRIBERS = int(os.environ.get("VO_CLUSTER_TEST_SUBSCRIBERS", "1500"))
"""Widget subscribers through HAProxy (the issue's 2,000 pages: 1,500 of them, 500 citizens)."""
CITIZENS = int(os.environ.get("VO_CLUSTER_TEST_CITIZENS", "500"))
"""Waiting citizens, each a join and a page's socket.io connection; half in each office."""
VISIT_OFFICE = "meldeamt"
"""The office of the one visit, so that its call takes no citizen of the crowd."""
CONCURRENT = 40
"""Connections opened at once (a crowd arriving, not a stampede the test machine cannot take)."""


class _PatientEngine(engineio.AsyncClient):  # type: ignore[misc]
    """Engine.IO as a browser runs it: a connection counts as lost when no ping came within
    pingInterval + pingTimeout (80 s; engine.io-client's resetPingTimeout). python-engineio's
    client gives up after max(pingInterval, pingTimeout) + 5 s, when a ping is 5 s late: on
    busy cores a crowd of its connections dropped at once and reconnected, where browsers
    would have waited."""

    @property
    def ping_timeout(self) -> float:
        # Read as max(ping_interval, ping_timeout) + 5 in the loops that wait for the server.
        if self.ping_interval is None or self._browser_ping_timeout is None:  # not connected yet
            return self._browser_ping_timeout  # type: ignore[no-any-return]
        return float(self.ping_interval + self._browser_ping_timeout - 5)

    @ping_timeout.setter
    def ping_timeout(self, value: float) -> None:
        self._browser_ping_timeout = value


class _PageClient(socketio.AsyncClient):  # type: ignore[misc]
    def _engineio_client_class(self) -> type[engineio.AsyncClient]:
        return _PatientEngine


class Page:
    """A socket.io client as a page holds it: reconnects by itself, records what it receives."""

    def __init__(self, namespace: str, auth: dict[str, Any]) -> None:
        self.namespace = namespace
        self.auth = auth
        self.connects = 0
        self.connected_at = 0.0
        """time.monotonic() of the last connect."""
        self.events: list[tuple[str, Any]] = []
        self.sio = _PageClient(reconnection=True, reconnection_delay=0.2, reconnection_delay_max=2,
                                        handle_sigint=False)
        self.sio.on("connect", self._connected, namespace=namespace)
        self.sio.on("*", self._record, namespace=namespace)

    async def _connected(self) -> None:
        self.connects += 1
        self.connected_at = time.monotonic()

    async def _record(self, event: str, data: Any = None) -> None:
        self.events.append((event, data))

    def last(self, event: str) -> Any:
        return next((d for e, d in reversed(self.events) if e == event), None)

    async def open(self, url: str) -> None:
        await self.sio.connect(url, namespaces=[self.namespace], auth=self.auth, headers={"Origin": url},
                               transports=["websocket"], wait_timeout=20)

    async def close(self) -> None:
        await self.sio.disconnect()


async def _gather(jobs: list[Callable[[], Awaitable[Any]]]) -> list[Any]:
    gate = asyncio.Semaphore(CONCURRENT)

    async def run(job: Callable[[], Awaitable[Any]]) -> Any:
        async with gate:
            return await job()

    return list(await asyncio.gather(*(run(j) for j in jobs)))


async def _until(check: Callable[[], bool], what: str, timeout: float = 60) -> float:
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"{what}: not within {timeout}s")
        await asyncio.sleep(0.1)
    return time.monotonic() - started


async def open_offices(deployment: Deployment) -> asyncio.Task[None]:
    """Two offices open around the clock, and a clerk on duty in each whose heartbeat (as a
    console sends it) runs until the returned task is cancelled; a third office with Anna, the
    clerk of the visit, who logs in herself."""
    client = redis_client.connect(deployment.redis.url)
    directory = OfficeDirectory(client)
    for i, office in enumerate((*OFFICES, VISIT_OFFICE)):
        await directory.save(Office.from_config({"id": office, "name": office.title(), "hours": ALWAYS, "order": i,
                                                 "max_queue": 10_000}))
    await ClerkDirectory(client).add("anna", "Anna Amt", PASSWORD, offices=(VISIT_OFFICE,))

    async def on_duty() -> None:
        presence = Presence(client, timeout_seconds=3600)
        try:
            while True:
                for office in OFFICES:
                    await presence.set(office, f"clerk-{office}", AVAILABLE)
                await asyncio.sleep(5)
        finally:
            await client.aclose()

    duty = asyncio.create_task(on_duty())
    check = Presence(client, timeout_seconds=3600)
    while not all([await check.on_duty(office) for office in OFFICES]):
        await asyncio.sleep(0.05)
    return duty


async def join(http: httpx.AsyncClient, office: str) -> dict[str, Any]:
    response = await http.post(f"/api/offices/{office}/tickets", json={"language": "de"})
    assert response.status_code == 201, response.text
    return dict(response.json())


class Visit:
    """Anna's console and a citizen's waiting-room page through HAProxy, the call, and both visit pages."""

    def __init__(self, deployment: Deployment) -> None:
        self.deployment = deployment
        self.proxy = deployment.proxy
        self.cookie = ""
        self.token = ""
        self.id = ""
        self.console = Page(CLERK, {})
        self.citizen_page = Page(CITIZEN, {})
        self.members: list[MovingMember] = []

    async def start(self, http: httpx.AsyncClient) -> None:
        url = self.deployment.url
        self.cookie = await login(self.proxy, "anna")  # type: ignore[arg-type]
        await self.console.sio.connect(url, namespaces=[CLERK], headers={"Origin": url, "Cookie": self.cookie},
                                       transports=["websocket"], wait_timeout=20)
        presence = await self.console.sio.call("presence", {"office_id": VISIT_OFFICE, "presence": "available"},
                                               namespace=CLERK, timeout=20)
        assert presence == {"ok": True}, presence
        self.token = (await join(http, VISIT_OFFICE))["token"]
        self.citizen_page.auth = {"token": self.token, "lang": "de"}
        await self.citizen_page.open(url)
        called = await self.console.sio.call("call_next", {"office_id": VISIT_OFFICE}, namespace=CLERK, timeout=20)
        self.id = called["ticket"]["id"]
        accepted = await self.citizen_page.sio.call("accept", None, namespace=CITIZEN, timeout=20)
        assert accepted["ok"], accepted

    async def member(self, colour: str, *, clerk: bool) -> MovingMember:
        """A visit page through HAProxy (the citizen's, or the clerk's with her session cookie)."""
        member = MovingMember(colour)
        self.members.append(member)
        if clerk:
            await member.enter(self.proxy, self.id, cookie=self.cookie)  # type: ignore[arg-type]
        else:
            await member.enter(self.proxy, self.id, token=self.token)  # type: ignore[arg-type]
        return member

    async def member_again(self, colour: str, tries: int = 3) -> MovingMember:
        """The citizen's visit page connecting again after its process died, trying again as the
        browser's socket.io client does: the live processes are busy taking the dead one's pages,
        so one connect may not be answered in time."""
        for attempt in range(tries):
            try:
                return await self.member(colour, clerk=False)
            except socketio.exceptions.ConnectionError:
                if attempt == tries - 1:
                    raise
                await asyncio.sleep(1)
        raise AssertionError("unreachable")

    async def process_of(self, client: Any, member: MovingMember) -> str:
        """The name of the process that holds the member's visit connection (from the cluster's keys)."""
        sid = member.client.sio.get_sid(VISIT)
        entries = [str(e).split(" ") for e in await client.smembers(cluster_keys.connections(self.id))]
        node_id = next(node for node, other, *_ in entries if other == sid)  # node, sid, participant
        return self.deployment.process_named(json.loads(await client.get(cluster_keys.node(node_id)))["pid"])

    async def close(self) -> None:
        await asyncio.gather(*(m.close() for m in self.members), self.console.close(), self.citizen_page.close(),
                             return_exceptions=True)


async def test_a_visit_across_processes_a_process_and_then_the_redis_primary_die_and_nobody_loses_their_place(
    deployment: Deployment,
) -> None:
    duty = await open_offices(deployment)
    url = deployment.url
    subscribers = [Page(PUBLIC, {"offices": [OFFICES[i % 2]], "lang": "de"}) for i in range(SUBSCRIBERS)]
    citizens: list[Page] = []
    pages: list[Page] = []
    visit = Visit(deployment)
    client = redis_client.connect(deployment.redis.url)
    try:
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:

            async def arrive(office: str) -> Page:
                # As a browser does: the waiting room's page connects right after the join (a
                # ticket whose page does not connect within VO_CONFIRM_SECONDS ends).
                citizen = Page(CITIZEN, {"token": (await join(http, office))["token"], "lang": "de"})
                citizens.append(citizen)
                await citizen.open(url)
                arrivals.append(time.monotonic())
                return citizen

            arrivals: list[float] = []
            started = time.monotonic()
            await _gather([lambda p=p: p.open(url) for p in subscribers])
            subscribed = time.monotonic() - started
            await _gather([lambda o=OFFICES[i % 2]: arrive(o) for i in range(CITIZENS)])
            pages = subscribers + citizens
            arrived = time.monotonic() - started - subscribed
            # Each push of an office's state sends every waiting citizen their place: whether a
            # join gets dearer as more wait shows in the second half of the citizens against the first.
            halves = (arrivals[CITIZENS // 2 - 1] - started - subscribed, arrivals[-1] - arrivals[CITIZENS // 2 - 1])
            await _until(lambda: all(c.last("ticket") for c in citizens) and all(s.last("offices") for s in subscribers),
                         "every page's first state")
            places = {id(c): (c.last("ticket")["number"], c.last("ticket")["position"]) for c in citizens}
            assert sorted(p for _, p in places.values()) == sorted([*range(1, CITIZENS // 2 + 1)] * 2)

            # Spread across the three processes by HAProxy.
            sessions = deployment.proxy.sessions()
            assert sum(sessions.values()) >= len(pages)
            assert all(n >= len(pages) // 6 for n in sessions.values()), sessions

            # A visit: the citizen's page and the clerk's reach different processes through HAProxy
            # (least connections: the clerk's page goes elsewhere than the citizen's just opened).
            await visit.start(http)
            blue = await visit.member("blue", clerk=False)
            red = await visit.member("red", clerk=True)
            for _ in range(10):
                if await visit.process_of(client, red) != await visit.process_of(client, blue):
                    break
                await red.close()
                red = await visit.member("red", clerk=True)
            citizen_at, clerk_at = await visit.process_of(client, blue), await visit.process_of(client, red)
            assert citizen_at != clerk_at
            anna = (await red.client.call(VISIT, "whoami"))["participant"]
            # The citizen's offer homes the visit on the citizen's process (no process holds a visit
            # yet, and a tie stays where the offer came in); the clerk's signaling crosses to it
            # through Redis. Video both ways, frames decoded on both sides.
            assert (await blue.send_media())["ok"]
            assert (await red.send_media())["ok"]
            home = deployment.process_named(await home_of(client, visit.id))
            assert home == citizen_at
            await red.sees("citizen")
            await blue.sees(anna)
            assert red.colours[("citizen", "camera")] == "blue" and blue.colours[(anna, "camera")] == "red"
            # A file uploaded by the citizen and downloaded by the clerk, both through HAProxy.
            sent = await upload(deployment.proxy, visit.id, PDF, "antrag.pdf", token=visit.token)  # type: ignore[arg-type]
            assert sent.status_code == 201, sent.text
            file = sent.json()["file"]
            assert (await red.client.wait_for("file", timeout=20))["id"] == file["id"]
            got = await download(deployment.proxy, visit.id, file["id"], cookie=visit.cookie)  # type: ignore[arg-type]
            assert got.status_code == 200 and got.content == PDF

            # The visit's process SIGKILLed: its pages reconnect through HAProxy to the other two.
            sessions = deployment.proxy.sessions()
            node = next(n for n in deployment.nodes if n.name == home)
            before = {id(p): p.connects for p in pages}
            seen = {id(p): len(p.events) for p in pages}
            node.kill()
            killed = time.monotonic()
            # The citizen's visit page reconnects (through HAProxy, to a process that lives) and
            # offers: the visit's media moves there, the clerk's page is told and starts over.
            await blue.close()
            again = await visit.member_again("blue")
            rejoined = time.monotonic() - killed
            assert await visit.process_of(client, again) != home
            assert (await again.send_media())["ok"]
            rehomed = time.monotonic() - killed
            new_home = deployment.process_named(await home_of(client, visit.id))
            assert new_home != home
            await red.client.wait_for("media_moved", timeout=20)
            await again.sees(anna)

            def clerk_sees_blue() -> bool:
                return red.colours.get(("citizen", "camera")) == "blue" and red.moves == 1

            await _until(clerk_sees_blue, "the clerk sees the citizen again")
            resumed = time.monotonic() - killed
            got = await download(deployment.proxy, visit.id, file["id"], token=visit.token)  # type: ignore[arg-type]
            assert got.status_code == 200 and got.content == PDF, "the file is still there"

            await _until(lambda: sum(p.connects > before[id(p)] for p in pages) >= sessions[home] * 0.9
                         and all(p.sio.connected for p in pages), "the killed process's pages back")
            moved = max(p.connected_at for p in pages if p.connects > before[id(p)]) - killed
            back_pages = [p for p in pages if p.connects > before[id(p)]]
            assert len(back_pages) >= sessions[home] * 0.9, (len(back_pages), sessions)
            back = [c for c in back_pages if c in citizens]
            assert back, "citizens were on the killed process"
            # Each reconnected citizen's page is sent its ticket anew, on the process it reached.
            await _until(lambda: all(any(e == "ticket" for e, _ in c.events[seen[id(c)]:]) for c in back),
                         "tickets pushed again")
            for citizen in citizens:
                view = citizen.last("ticket")
                assert (view["number"], view["position"]) == places[id(citizen)], "the place is kept"
            assert home not in deployment.proxy.up()

            # The Redis primary SIGKILLed: joins keep coming while Sentinel promotes the replica.
            deployment.redis.synced()
            deployment.redis.kill_primary()
            failover_started = time.monotonic()
            during = await asyncio.gather(*(join(http, OFFICES[i % 2]) for i in range(20)), return_exceptions=True)
            deployment.redis.wait_promoted()
            failover = time.monotonic() - failover_started
            joined = [t for t in during if isinstance(t, dict)]
            assert len(joined) == 20, [repr(e) for e in during if not isinstance(e, dict)]
            late = [Page(CITIZEN, {"token": t["token"], "lang": "de"}) for t in joined]
            pages += late
            await _gather([lambda p=p: p.open(url) for p in late])
            await _until(lambda: all(c.last("ticket") for c in late), "the late citizens' places")
            health = await http.get("/healthz")
            assert health.status_code == 200, health.text

            # The visit goes on: video both ways, and its signaling through Redis answers.
            frames = (red.frames[("citizen", "camera")], again.frames[(anna, "camera")])
            await red.sees("citizen", count=frames[0] + 10)
            await again.sees(anna, count=frames[1] + 10)
            assert (await red.client.call(VISIT, "whoami"))["participant"] == anna

            # Every ticket once: the ones from before the failover, and each join acknowledged during it.
            await client.aclose()
            client = redis_client.connect(deployment.redis.url)
            waiting: list[str] = []
            for office in OFFICES:
                waiting += await client.zrange(keys.queue(office), 0, -1)
            assert len(waiting) == len(set(waiting)) == CITIZENS + 20
            numbers = [c.last("ticket")["number"] for c in citizens + late]
            assert len(set(numbers)) == len(numbers), "no number given twice"
            # The widget's subscribers follow the office's state after it all.
            watcher = Page(PUBLIC, {"offices": list(OFFICES), "lang": "de"})
            pages.append(watcher)
            await watcher.open(url)
            await _until(lambda: watcher.last("offices") is not None, "a new subscriber's offices")
            assert sum(o["waiting"] for o in watcher.last("offices")["offices"]) == CITIZENS + 20
            print(f"{SUBSCRIBERS} subscribers connected in {subscribed:.1f}s, {CITIZENS} citizens joined and connected "
                  f"in {arrived:.1f}s (the first half in {halves[0]:.1f}s, the second in {halves[1]:.1f}s); visit: citizen on {citizen_at}, clerk on {clerk_at}; {home} killed: the citizen's "
                  f"visit page back after {rejoined:.1f}s, its offer answered after {rehomed:.1f}s, video both ways again "
                  f"after {resumed:.1f}s, the last of {len(back_pages)} pages back after {moved:.1f}s; Redis failover "
                  f"{failover:.1f}s; sessions per process {sessions}; HAProxy's answers 4xx/5xx "
                  f"{[(r['hrsp_4xx'], r['hrsp_5xx']) for r in deployment.proxy.stats() if r['svname'] == 'FRONTEND']}")
    finally:
        duty.cancel()
        await visit.close()
        await asyncio.gather(duty, *(p.close() for p in pages), return_exceptions=True)
        await client.aclose()
