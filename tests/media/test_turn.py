"""A browser that can only reach the server through TURN (coturn, as in docs/media.md)."""

import asyncio
import shutil
import subprocess
import time

import pytest
from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCSessionDescription
from aiortc.rtcconfiguration import RTCIceTransportPolicy

from tests.conftest import free_port

from .peers import ColourTrack, colour_of

pytestmark = pytest.mark.skipif(shutil.which("turnserver") is None, reason="coturn is not installed")


@pytest.fixture
def turn(tmp_path):
    port = free_port()
    config = tmp_path / "turnserver.conf"
    # The example of docs/media.md, on loopback (hence allow-loopback-peers).
    config.write_text(
        f"""listening-port={port}
listening-ip=127.0.0.1
relay-ip=127.0.0.1
min-port=49160
max-port=49200
fingerprint
lt-cred-mech
realm=office.example.org
user=office:secret
no-tls
no-dtls
no-cli
no-multicast-peers
allow-loopback-peers
denied-peer-ip=0.0.0.0-255.255.255.255
allowed-peer-ip=127.0.0.1
log-file={tmp_path / "turn.log"}
simple-log
pidfile={tmp_path / "turn.pid"}
"""
    )
    process = subprocess.Popen(["turnserver", "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    yield f"turn:127.0.0.1:{port}?transport=udp"
    process.terminate()
    process.wait(10)


async def test_media_reaches_the_server_through_turn_only(media, turn):
    pc = RTCPeerConnection(
        RTCConfiguration(
            iceServers=[RTCIceServer(urls=[turn], username="office", credential="secret")],
            iceTransportPolicy=RTCIceTransportPolicy.RELAY,
        )
    )
    pc.addTrack(ColourTrack("green"))
    received = asyncio.get_running_loop().create_future()

    @pc.on("track")
    def on_track(track):
        async def first_frame():
            frame = await track.recv()
            if not received.done():
                received.set_result(frame)

        asyncio.ensure_future(first_frame())

    await pc.setLocalDescription(await pc.createOffer())
    assert "typ relay" in pc.localDescription.sdp and "typ host" not in pc.localDescription.sdp
    answer = await media.connection_check({"type": "offer", "sdp": pc.localDescription.sdp})
    await pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], "answer"))
    frame = await asyncio.wait_for(received, 20)
    assert colour_of(frame) == "green"
    await pc.close()
