"""Connection check (echo) and the decode + re-encode paths."""

import asyncio

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack

from virtual_office.media import MediaConfig, MediaServer, ice
from virtual_office.media.forwarding import encoder_used

from .peers import LOOPBACK, Client, ColourTrack, colour_of


async def test_connection_check_echoes_the_browsers_own_video(media):
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTrack(AudioStreamTrack())
    pc.addTrack(ColourTrack("green"))
    received = asyncio.get_running_loop().create_future()

    @pc.on("track")
    def on_track(track):
        async def first_frame():
            frame = await track.recv()
            if not received.done():
                received.set_result(frame)

        if track.kind == "video":
            asyncio.ensure_future(first_frame())

    with ice.using(LOOPBACK):
        await pc.setLocalDescription(await pc.createOffer())
    answer = await media.connection_check({"type": "offer", "sdp": pc.localDescription.sdp})
    assert answer["type"] == "answer"
    assert media.checks == 1
    await pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], "answer"))
    frame = await asyncio.wait_for(received, 20)
    assert colour_of(frame) == "green"
    assert media.counters.forwarded > 0 and media.counters.transcoded == 0
    await pc.close()


async def test_connection_check_closes_itself_after_its_time():
    media = MediaServer(MediaConfig(host_addresses=("127.0.0.1",), check_seconds=0.5))
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTrack(ColourTrack("green"))
    with ice.using(LOOPBACK):
        await pc.setLocalDescription(await pc.createOffer())
    await media.connection_check({"type": "offer", "sdp": pc.localDescription.sdp})
    assert media.checks == 1
    for _ in range(100):
        if media.checks == 0:
            break
        await asyncio.sleep(0.05)
    assert media.checks == 0
    await pc.close()
    await media.close()


async def test_decode_and_reencode_when_forwarding_is_off():
    media = MediaServer(MediaConfig(host_addresses=("127.0.0.1",), forward=False))
    clients = {}

    async def on_signal(participant_id, message):
        await clients[participant_id].on_signal(message)

    session = media.open_session("visit-1", on_signal)
    for pid, colour in (("clerk", "red"), ("citizen", "blue")):
        session.admit(pid)
        clients[pid] = Client(session, pid, colour)
        await clients[pid].connect()
    try:
        await clients["clerk"].wait_for_frames(("citizen", "camera"))
        await clients["citizen"].wait_for_frames(("clerk", "camera"))
        assert clients["clerk"].colours[("citizen", "camera")] == "blue"
        assert media.counters.forwarded == 0
        assert media.counters.transcoded > 0
        senders = [
            t.sender
            for peer in session._peers.values()
            for t in peer.connection.getTransceivers()
            if t.direction == "sendonly" and t.kind == "video"
        ]
        assert senders and all(encoder_used(s) for s in senders)
    finally:
        for client in clients.values():
            await client.close()
        await media.close()


def without_codec(sdp: str, name: str) -> str:
    """Remove every payload type of codec ``name`` (and its RTX) from an SDP."""
    import re

    drop = set(re.findall(rf"a=rtpmap:(\d+) {name}/", sdp))
    drop |= {pt for pt, apt in re.findall(r"a=fmtp:(\d+) apt=(\d+)", sdp) if apt in drop}
    lines = []
    for line in sdp.splitlines():
        if line.startswith("m=video"):
            parts = line.split(" ")
            line = " ".join(parts[:3] + [p for p in parts[3:] if p not in drop])
        match = re.match(r"a=(?:rtpmap|fmtp|rtcp-fb):(\d+)", line)
        if match and match.group(1) in drop:
            continue
        lines.append(line)
    return "\r\n".join(lines) + "\r\n"


async def test_codec_mismatch_falls_back_to_reencoding(media, visit):
    """A camera sent as H.264 reaches a participant who only takes VP8."""
    citizen = await visit("citizen", "blue", connect=False)
    citizen.edit_outgoing = citizen.edit_incoming = lambda sdp: without_codec(sdp, "VP8")
    citizen.pc.addTrack(ColourTrack("blue"))
    await citizen.offer()
    clerk = await visit("clerk", "red", connect=False)
    clerk.edit_outgoing = clerk.edit_incoming = lambda sdp: without_codec(sdp, "H264")
    await clerk.connect()
    await clerk.wait_for_frames(("citizen", "camera"))
    assert clerk.colours[("citizen", "camera")] == "blue"
    assert media.counters.transcoded > 0
