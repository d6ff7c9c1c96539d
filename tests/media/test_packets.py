"""The packet path: RTP forwarded as it comes, its numbers, keyframes, requests and estimates."""

from __future__ import annotations

import asyncio
import fractions
import time

import av
import numpy
import pytest
from aiortc.codecs import h264, vpx
from aiortc.rtp import RTCP_PSFB_APP, RTCP_PSFB_PLI, RtcpPsfbPacket, pack_remb_fci

from virtual_office.media.packets import KeyframeBackoff, Rewriter, starts_keyframe

from .peers import Client, ColourTrack


def frames(count: int) -> list[av.VideoFrame]:
    result = []
    for i in range(count):
        picture = numpy.full((120, 160, 3), (i * 40) % 256, numpy.uint8)
        frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
        frame.pts, frame.time_base = i * 3000, fractions.Fraction(1, 90000)
        result.append(frame)
    return result


@pytest.mark.parametrize("encoder, mime", [(vpx.Vp8Encoder, "video/vp8"), (h264.H264Encoder, "video/h264")])
def test_keyframes_are_told_from_the_payload_descriptor(encoder, mime):
    enc = encoder()
    kinds = []
    for i, frame in enumerate(frames(4)):
        payloads, _ = enc.encode(frame, force_keyframe=(i == 0))
        kinds.append([starts_keyframe(mime, p) for p in payloads])
    assert kinds[0][0] and not any(kinds[0][1:])
    assert not any(any(k) for k in kinds[1:])
    assert starts_keyframe("audio/opus", b"\x01")


def test_rewritten_numbers_run_on_across_a_new_input():
    rewriter = Rewriter(90000)
    out = [rewriter.rewrite(1111, seq, 3000 * i, 0.0 + i / 30) for i, seq in enumerate(range(65530, 65536))]
    assert [(b[0] - a[0]) & 0xFFFF for a, b in zip(out, out[1:], strict=False)] == [1] * 5
    # Another SSRC (a reconnect, a switched source) 2 s later, with other numbers altogether.
    seq, ts = rewriter.rewrite(2222, 17, 123456, 5 / 30 + 2.0)
    assert seq == (out[-1][0] + 1) & 0xFFFF
    assert abs(((ts - out[-1][1]) & 0xFFFFFFFF) - 2.0 * 90000) < 10
    # A late packet of the new input keeps its place; the same SSRC after a pause starts over too.
    assert rewriter.rewrite(2222, 16, 123456, 2.3)[0] == (seq - 1) & 0xFFFF
    rewriter.restart()
    assert rewriter.rewrite(2222, 900, 999999, 3.0)[0] == (seq + 1) & 0xFFFF


def test_keyframe_requests_of_one_viewer_back_off_and_recover():
    backoff = KeyframeBackoff()
    passed = [t / 10 for t in range(0, 300, 3) if backoff.allow(t / 10)]  # a request every 0.3 s for 30 s
    assert passed[:3] == [0.0, 0.3, 0.9]
    assert len(passed) <= 8  # 0, 0.3, 0.9, 2.1, 4.5, 9.3, 17.3, 25.3
    assert max(b - a for a, b in zip(passed, passed[1:], strict=False)) >= 7.9  # up to 8 s apart
    assert backoff.allow(31.8)  # quiet for 1.8 s: the next one passes at once
    assert not backoff.allow(31.9)


def server_sender(session, viewer: str, participant: str, source: str):
    peer = session._peers[viewer]
    for src, (transceiver, outlet) in peer._outlets.items():
        if src.participant_id == participant and src.name == source and transceiver.direction == "sendonly":
            return transceiver.sender, outlet
    raise AssertionError("no such track")


def viewer_receiver(client: Client, participant: str, source: str):
    return next(
        t.receiver for t in client.pc.getTransceivers()
        if client.tracks.get(t.mid) == {"participant": participant, "source": source}
    )


async def test_video_and_audio_go_through_as_rtp_packets(media, visit):
    clerk = await visit("clerk", "red")
    citizen = await visit("citizen", "blue")
    await citizen.wait_for_frames(("clerk", "camera"), count=30)
    await citizen.wait_for_frames(("clerk", "microphone"), count=30)
    await clerk.wait_for_frames(("citizen", "camera"), count=30)
    assert citizen.colours[("clerk", "camera")] == "red"
    assert media.counters.packets > 100 and media.counters.transcoded == 0

    # The citizen receives the server sender's own SSRC and payload type, not the clerk's.
    sender, outlet = server_sender(visit.session, "citizen", "clerk", "camera")
    receiver = viewer_receiver(citizen, "clerk", "camera")
    assert {s.source for s in receiver.getSynchronizationSources()} == {sender._ssrc}
    clerk_ssrcs = {s._ssrc for s in clerk.pc.getSenders()}
    assert sender._ssrc not in clerk_ssrcs
    # No frame was reassembled on the server: its tracks' frame path stayed idle.
    for peer in visit.session._peers.values():
        for source in peer.sources.values():
            assert not source._tap.frames_wanted
            assert source._track._queue.qsize() == 0


async def test_keyframe_requests_of_a_viewer_who_cannot_decode_are_backed_off(media, visit):
    clerk = await visit("clerk", "red")
    citizen = await visit("citizen", "blue")
    await citizen.wait_for_frames(("clerk", "camera"), count=10)
    clerk_sender = next(s for s in clerk.pc.getSenders() if s.kind == "video")
    requests: list[float] = []
    original = clerk_sender._send_keyframe

    def on_request():
        requests.append(time.monotonic())
        original()

    clerk_sender._send_keyframe = on_request
    await asyncio.sleep(1.0)
    requests.clear()

    # A viewer without the key asks every 0.25 s for 6 s.
    receiver = viewer_receiver(citizen, "clerk", "camera")
    ssrc = receiver.getSynchronizationSources()[0].source
    for _ in range(24):
        await receiver._send_rtcp(RtcpPsfbPacket(fmt=RTCP_PSFB_PLI, ssrc=1, media_ssrc=ssrc))
        await asyncio.sleep(0.25)
    await asyncio.sleep(0.2)
    assert 2 <= len(requests) <= 5, requests  # without the back-off: one per 0.3 s, about 20
    assert media.counters.keyframe_requests_held >= 15


async def test_the_viewers_bandwidth_estimate_reaches_the_sender(media, visit):
    clerk = await visit("clerk", "red")
    citizen = await visit("citizen", "blue")
    colleague = await visit("colleague", "green")
    await citizen.wait_for_frames(("clerk", "camera"), count=10)
    await colleague.wait_for_frames(("clerk", "camera"), count=10)
    clerk_sender = next(s for s in clerk.pc.getSenders() if s.kind == "video")
    estimates: list[int] = []
    handle = clerk_sender._handle_rtcp_packet

    async def record(packet):
        if isinstance(packet, RtcpPsfbPacket) and packet.fmt == RTCP_PSFB_APP:
            from aiortc.rtp import unpack_remb_fci

            bitrate, ssrcs = unpack_remb_fci(packet.fci)
            if clerk_sender._ssrc in ssrcs:
                estimates.append(bitrate)
        await handle(packet)

    clerk_sender._handle_rtcp_packet = record
    # The viewers' own estimates (aiortc's receivers send REMB) reach the clerk's browser.
    for _ in range(50):
        if estimates:
            break
        await asyncio.sleep(0.1)
    assert estimates, "no estimate reached the sender"

    # The citizen on a weak mobile link: its receiver says 9 kbit/s, again and again.
    receiver = viewer_receiver(citizen, "clerk", "camera")
    ssrc = receiver.getSynchronizationSources()[0].source
    for _ in range(10):
        await receiver._send_rtcp(
            RtcpPsfbPacket(fmt=RTCP_PSFB_APP, ssrc=1, media_ssrc=0, fci=pack_remb_fci(9_000, [ssrc]))
        )
        await asyncio.sleep(0.2)
    assert 9_000 in estimates  # the lowest of the viewers' estimates
    assert media.counters.bitrate_estimates > 0
    encoder = clerk_sender._RTCRtpSender__encoder
    assert encoder.target_bitrate == vpx.MIN_BITRATE  # the clerk's encoder went down from its 500 kbit/s


async def test_a_screen_share_switched_off_and_on_runs_on_in_one_stream(visit):
    clerk = await visit("clerk", "red")
    citizen = await visit("citizen", "blue")
    await citizen.wait_for_frames(("clerk", "camera"))
    screen = clerk.pc.addTransceiver(ColourTrack("green"), direction="sendonly")
    await clerk.offer()
    await citizen.wait_for_frames(("clerk", "screen"), count=10)

    # What reaches the citizen's screen m-line, as its receiver gets it.
    receiver = viewer_receiver(citizen, "clerk", "screen")
    seen: list[tuple[float, int, int, int]] = []
    handle = receiver._handle_rtp_packet

    async def record(packet, arrival_time_ms):
        seen.append((time.monotonic(), packet.ssrc, packet.sequence_number, packet.timestamp))
        await handle(packet, arrival_time_ms)

    receiver._handle_rtp_packet = record
    await asyncio.sleep(0.5)
    screen.direction = "inactive"  # sharing stops
    await clerk.offer()

    async def screen_gone():
        while any(info["source"] == "screen" for info in citizen.tracks.values()):
            await asyncio.sleep(0.05)

    await asyncio.wait_for(screen_gone(), 10)
    await asyncio.sleep(1.0)
    before = len(seen)
    last = seen[-1]
    screen.direction = "sendonly"  # and starts again on the same m-line
    await clerk.offer()
    await citizen.wait_for_frames(("clerk", "screen"), count=citizen.frames[("clerk", "screen")] + 10)
    first = seen[before]
    assert first[1] == last[1]  # the same stream for the citizen
    assert first[2] == (last[2] + 1) & 0xFFFF  # the next sequence number
    paused = first[0] - last[0]
    advanced = ((first[3] - last[3]) & 0xFFFFFFFF) / 90000
    assert abs(advanced - paused) < 0.25, (advanced, paused)  # the timestamp moved on with the time
    assert citizen.colours[("clerk", "screen")] == "green"


async def test_h264_goes_through_as_packets_too(media, visit):
    from .test_check_and_fallback import without_codec

    clerk = await visit("clerk", "red", connect=False)
    citizen = await visit("citizen", "blue", connect=False)
    for client in (clerk, citizen):
        client.edit_outgoing = client.edit_incoming = lambda sdp: without_codec(sdp, "VP8")
        await client.connect()
    await citizen.wait_for_frames(("clerk", "camera"), count=30)
    await clerk.wait_for_frames(("citizen", "camera"), count=30)
    assert citizen.colours[("clerk", "camera")] == "red"
    camera = next(s for s in visit.session._peers["clerk"].sources.values() if s.name == "camera")
    assert camera.rtp_codec.mimeType.lower() == "video/h264"
    assert media.counters.packets > 100 and media.counters.transcoded == 0
