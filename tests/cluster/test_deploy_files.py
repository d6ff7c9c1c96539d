"""examples/deploy's coturn configuration: media reaches a media server through it, relayed only."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCSessionDescription
from aiortc.rtcconfiguration import RTCIceTransportPolicy

from tests.cluster.deploy import DEPLOY
from tests.conftest import free_port
from tests.media.peers import LOOPBACK, ColourTrack, colour_of
from virtual_office.media import MediaServer

TURN_PASSWORD = "change-this-turn-password"


@pytest.fixture
def turn(tmp_path: Path) -> Iterator[str]:
    """coturn with examples/deploy/turnserver.conf, the example's addresses replaced by loopback's."""
    if shutil.which("turnserver") is None:
        pytest.skip("coturn is not installed")
    port = free_port()
    text = (DEPLOY / "turnserver.conf").read_text()
    for example, ours in (("listening-port=3478", f"listening-port={port}"),
                          ("198.51.100.7", "127.0.0.1"),
                          ("allowed-peer-ip=203.0.113.21-203.0.113.23", "allowed-peer-ip=127.0.0.1")):
        assert example in text, f"{example!r} moved in the example: update the test"
        text = text.replace(example, ours)
    # Loopback is refused as a peer unless allowed (a real deployment relays to public addresses).
    text += f"allow-loopback-peers\nlog-file={tmp_path / 'turn.log'}\nsimple-log\npidfile={tmp_path / 'turn.pid'}\n"
    config = tmp_path / "turnserver.conf"
    config.write_text(text)
    process = subprocess.Popen(["turnserver", "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    yield f"turn:127.0.0.1:{port}?transport=udp"
    process.terminate()
    process.wait(10)


@pytest.fixture
async def media() -> AsyncIterator[MediaServer]:
    server = MediaServer(LOOPBACK)
    yield server
    await server.close()


async def test_media_reaches_a_process_through_the_example_turn_server_only(media: MediaServer, turn: str) -> None:
    pc = RTCPeerConnection(RTCConfiguration(
        iceServers=[RTCIceServer(urls=[turn], username="office", credential=TURN_PASSWORD)],
        iceTransportPolicy=RTCIceTransportPolicy.RELAY,
    ))
    pc.addTrack(ColourTrack("green"))
    received: asyncio.Future[object] = asyncio.get_running_loop().create_future()

    @pc.on("track")
    def on_track(track):  # type: ignore[no-untyped-def]
        async def first_frame() -> None:
            frame = await track.recv()
            if not received.done():
                received.set_result(frame)

        asyncio.ensure_future(first_frame())

    await pc.setLocalDescription(await pc.createOffer())
    assert "typ relay" in pc.localDescription.sdp and "typ host" not in pc.localDescription.sdp
    answer = await media.connection_check({"type": "offer", "sdp": pc.localDescription.sdp})
    await pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], "answer"))
    assert colour_of(await asyncio.wait_for(received, 20)) == "green"
    await pc.close()
