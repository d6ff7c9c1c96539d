"""Video through the running server: aiortc peers whose signaling travels over /visit.

Run inside a loopback-only network namespace (docs/media.md, tests/browser/conftest.py):
the server offers 127.0.0.1 as its only address.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio
import socketio
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, MediaStreamError

from tests.conftest import RedisServer
from tests.media.peers import LOOPBACK, ColourTrack, colour_of
from tests.server.conftest import Client, ServerProcess, join, login, seed
from tests.server.test_realtime import CITIZEN, CLERK, citizen, clerk
from virtual_office.media import ice

VISIT = "/visit"
OFFICE = "buergerbuero"


@pytest.fixture
async def server(redis_server: RedisServer, redis_client: redis.asyncio.Redis, tmp_path: Path) -> AsyncIterator[ServerProcess]:
    await seed(redis_server.url)
    process = ServerProcess(tmp_path, {"VO_REDIS_URL": redis_server.url, "VO_MEDIA_HOST_ADDRESSES": "127.0.0.1"})
    process.start()
    yield process
    process.stop()


class Member:
    """A member's 'browser': a socket.io connection to /visit and one aiortc peer connection."""

    def __init__(self, colour: str) -> None:
        self.colour = colour
        self.client = Client()
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.tracks: dict[str, dict[str, str]] = {}
        self.frames: dict[tuple[str, str], int] = {}
        self.colours: dict[tuple[str, str], str] = {}
        self.refusals: list[dict[str, Any]] = []
        self.offers: list[str] = []
        self._inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._tasks = [asyncio.ensure_future(self._process())]
        self.pc.on("track", self._on_track)
        self.client.sio.on("*", self._receive, namespace=VISIT)

    async def _receive(self, event: str, data: Any = None) -> None:
        self.client.events.append((VISIT, event, data))
        if event == "signal":
            await self._inbox.put(data)

    async def enter(self, server: ServerProcess, visit: str, *, token: str | None = None, cookie: str | None = None) -> None:
        await self.client.connect(server, VISIT, auth={"visit": visit, "token": token}, headers={"Cookie": cookie} if cookie else {})

    async def signal(self, message: dict[str, Any]) -> dict[str, Any]:
        answer = await self.client.call(VISIT, "signal", message)
        if not answer.get("ok"):
            self.refusals.append(answer)
        return answer

    async def send_media(self) -> dict[str, Any]:
        self.pc.addTrack(AudioStreamTrack())
        self.pc.addTrack(ColourTrack(self.colour))
        with ice.using(LOOPBACK):
            await self.pc.setLocalDescription(await self.pc.createOffer())
        return await self.signal({"type": "offer", "sdp": self.pc.localDescription.sdp})

    async def _process(self) -> None:
        while True:
            message = await self._inbox.get()
            self.tracks = message.get("tracks", self.tracks)
            await self.pc.setRemoteDescription(RTCSessionDescription(message["sdp"], message["type"]))
            if message["type"] == "offer":
                self.offers.append(message["sdp"])
                with ice.using(LOOPBACK):
                    await self.pc.setLocalDescription(await self.pc.createAnswer())
                await self.signal({"type": "answer", "sdp": self.pc.localDescription.sdp})

    def _on_track(self, track: Any) -> None:
        transceiver = next(t for t in self.pc.getTransceivers() if t.receiver.track is track)
        self._tasks.append(asyncio.ensure_future(self._consume(transceiver.mid, track)))

    async def _consume(self, mid: str, track: Any) -> None:
        try:
            while True:
                frame = await track.recv()
                info = self.tracks.get(mid)
                key = (info["participant"], info["source"]) if info else ("?", mid)
                self.frames[key] = self.frames.get(key, 0) + 1
                if track.kind == "video":
                    self.colours[key] = colour_of(frame)
        except MediaStreamError:
            pass

    async def sees(self, participant: str, source: str = "camera", count: int = 5, timeout: float = 30) -> None:
        key = (participant, source)
        for _ in range(int(timeout / 0.05)):
            if self.frames.get(key, 0) >= count:
                return
            for task in self._tasks[:1]:
                if task.done():
                    raise AssertionError(f"signaling failed: {task.exception()!r}")
            await asyncio.sleep(0.05)
        raise AssertionError(f"{self.colour}: no {count} frames of {key}: {self.frames}")

    async def packets(self) -> int:
        stats = await self.pc.getStats()
        return sum(s.packetsReceived for s in stats.values() if s.type == "inbound-rtp")

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.pc.close()
        await self.client.close()


@pytest.fixture
async def members() -> AsyncIterator[Any]:
    made: list[Member] = []

    def make(colour: str) -> Member:
        made.append(Member(colour))
        return made[-1]

    yield make
    for m in made:
        await m.close()


async def clerk_ids(redis_client: redis.asyncio.Redis) -> dict[str, str]:
    return {c["login"]: c["id"] for c in (json.loads(v) for v in await redis_client.hvals("vo:clerks"))}


async def test_a_visit_with_a_colleague_through_the_server(
    server: ServerProcess, clients: Any, members: Any, redis_client: redis.asyncio.Redis
) -> None:
    ids = await clerk_ids(redis_client)
    desk = await clerk(clients, server, "bea", available=(OFFICE,))
    ticket = await join(server, OFFICE, name="Erika")
    other = await join(server, OFFICE)
    person = await citizen(clients, server, ticket["token"])
    visit = (await desk.call(CLERK, "call_next", {"office_id": OFFICE}))["ticket"]["id"]
    assert (await person.call(CITIZEN, "accept"))["ok"]
    bea = f"clerk:{ids['bea']}"

    # The clerk (red) and the citizen (blue) see and hear each other through the server.
    red, blue = members("red"), members("blue")
    await red.enter(server, visit, cookie=await login(server, "bea"))
    await blue.enter(server, visit, token=ticket["token"])
    assert (await red.client.call(VISIT, "whoami"))["participant"] == bea
    assert (await red.send_media())["ok"] and (await blue.send_media())["ok"]
    await red.sees("citizen")
    await red.sees("citizen", "microphone")
    await blue.sees(bea)
    await blue.sees(bea, "microphone")
    assert red.colours[("citizen", "camera")] == "blue"
    assert blue.colours[(bea, "camera")] == "red"

    # Garbage from a member is refused to that member only; the visit goes on.
    assert (await blue.signal({"type": "offer", "sdp": "nonsense"}))["error"] == "bad_signal"
    assert (await blue.client.call(VISIT, "signal", ["not", "an", "object"]))["error"] == "bad_request"
    before = red.frames[("citizen", "camera")]
    await red.sees("citizen", count=before + 10)

    # Nobody else gets in: another citizen's token, a clerk not added, the citizen only may not add anyone.
    for kwargs in ({"token": other["token"]}, {"cookie": await login(server, "anna")}):
        with pytest.raises(socketio.exceptions.ConnectionError):
            await members("green").enter(server, visit, **kwargs)
    assert (await blue.client.call(VISIT, "invite", {"clerk_id": ids["anna"]}))["error"] == "forbidden"
    assert (await red.client.call(VISIT, "invite", {"clerk_id": ids["root"]}))["error"] == "bad_request"  # an administrator account

    # The clerk adds Anna (green): her console is told, she joins and everybody sees everybody.
    anna_console = await clerk(clients, server, "anna")
    colleagues = await red.client.call(VISIT, "colleagues")
    assert {c["id"] for c in colleagues["colleagues"]} == {ids["anna"], ids["karl"]}
    assert (await red.client.call(VISIT, "invite", {"clerk_id": ids["anna"]}))["ok"]
    invitation = await anna_console.wait_for("invited")
    assert invitation["visit_url"] == f"/visit/{visit}" and invitation["by"] == "Bea Beides"
    await blue.client.wait_for("participants", lambda d: any(p["role"] == "guest" for p in d["participants"]))
    anna = f"clerk:{ids['anna']}"
    green = members("green")
    await green.enter(server, visit, cookie=await login(server, "anna"))
    assert (await green.send_media())["ok"]
    for watcher, seen in ((green, bea), (green, "citizen"), (red, anna), (blue, anna)):
        await watcher.sees(seen)
    assert green.colours[(bea, "camera")] == "red" and green.colours[("citizen", "camera")] == "blue"
    assert blue.colours[(anna, "camera")] == "green"

    # ... and lets her go: her page is told, her media stops for the others, she cannot signal again.
    assert (await red.client.call(VISIT, "dismiss", {"clerk_id": ids["anna"]}))["ok"]
    assert (await green.client.wait_for("ended"))["reason"] == "dismissed"
    await anna_console.wait_for("invitation_over", lambda d: d["visit_id"] == visit)  # her console takes the notice down
    for watcher in (red, blue):
        for _ in range(200):
            if not any(info["participant"] == anna for info in watcher.tracks.values()):
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("the colleague's tracks are still offered")
    assert (await green.signal({"type": "offer", "sdp": green.pc.localDescription.sdp}))["error"] == "forbidden"

    # Finishing the visit stops every packet, and voids the invitation of a colleague who never came.
    karl_console = await clerk(clients, server, "karl")
    assert (await red.client.call(VISIT, "invite", {"clerk_id": ids["karl"]}))["ok"]
    await karl_console.wait_for("invited")
    assert (await desk.call(CLERK, "finish", {"office_id": OFFICE, "ticket_id": visit}))["ok"]
    await karl_console.wait_for("invitation_over", lambda d: d["visit_id"] == visit)
    for member in (red, blue):
        assert (await member.client.wait_for("ended"))["reason"] == "finished"
    await asyncio.sleep(1.0)  # packets already on their way
    counts = [await red.packets(), await blue.packets()]
    await asyncio.sleep(1.5)
    assert [await red.packets(), await blue.packets()] == counts


async def test_a_reload_offers_again_and_the_media_comes_back(
    server: ServerProcess, clients: Any, members: Any, redis_client: redis.asyncio.Redis
) -> None:
    ids = await clerk_ids(redis_client)
    desk = await clerk(clients, server, "anna", available=(OFFICE,))
    ticket = await join(server, OFFICE)
    person = await citizen(clients, server, ticket["token"])
    visit = (await desk.call(CLERK, "call_next", {"office_id": OFFICE}))["ticket"]["id"]
    await person.call(CITIZEN, "accept")
    cookie = await login(server, "anna")
    red, blue = members("red"), members("blue")
    await red.enter(server, visit, cookie=cookie)
    await blue.enter(server, visit, token=ticket["token"])
    await red.send_media()
    await blue.send_media()
    await blue.sees(f"clerk:{ids['anna']}")

    # The citizen's tab reloads: a new socket and a new peer connection; the clerk sees them again,
    # on the same m-lines and without a new offer (docs/media.md, "A participant who reconnects").
    await red.sees("citizen")
    offers, tracks = len(red.offers), dict(red.tracks)
    await blue.close()
    again = members("green")
    await again.enter(server, visit, token=ticket["token"])
    assert (await again.send_media())["ok"]
    for _ in range(400):
        if red.colours.get(("citizen", "camera")) == "green":
            break
        await asyncio.sleep(0.05)
    assert red.colours.get(("citizen", "camera")) == "green"
    assert (len(red.offers), red.tracks) == (offers, tracks)
    await again.sees(f"clerk:{ids['anna']}")

    # A second tab of the same participant takes the media over; the first is told.
    second = members("blue")
    await second.enter(server, visit, token=ticket["token"])
    assert (await second.send_media())["ok"]
    await again.client.wait_for("replaced")
    assert (await again.signal({"type": "answer", "sdp": "v=0"}))["error"] == "replaced"
    await second.sees(f"clerk:{ids['anna']}")


async def test_the_connection_check_echoes_and_refuses_nonsense(server: ServerProcess) -> None:
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTransceiver(ColourTrack("green"), direction="sendrecv")
    received: list[str] = []

    @pc.on("track")
    def on_track(track: Any) -> None:
        async def read() -> None:
            try:
                while True:
                    received.append(colour_of(await track.recv()))
            except MediaStreamError:
                pass

        asyncio.ensure_future(read())

    with ice.using(LOOPBACK):
        await pc.setLocalDescription(await pc.createOffer())
    async with httpx.AsyncClient(base_url=server.url) as http:
        answer = await http.post("/api/connection-check", json={"type": "offer", "sdp": pc.localDescription.sdp})
        assert answer.status_code == 200, answer.text
        await pc.setRemoteDescription(RTCSessionDescription(**answer.json()))
        for _ in range(400):
            if len(received) >= 5:
                break
            await asyncio.sleep(0.05)
        assert received[-1:] == ["green"]
        bad = await http.post("/api/connection-check", json={"type": "offer", "sdp": "x"})
        assert bad.status_code == 400 and bad.json()["error"] == "bad_signal"
        foreign = await http.post("/api/connection-check", json={}, headers={"Origin": "https://evil.example"})
        assert foreign.status_code == 403
    await pc.close()
