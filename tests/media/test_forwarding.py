"""The aiortc internals forwarding relies on: an aiortc upgrade that changes them fails here."""

import asyncio
import fractions

import av
from aiortc import RTCRtpSender


async def test_the_aiortc_internals_of_the_packet_path_are_there():
    """RtpTap and RtpWriter read and write these private attributes of aiortc 1.16."""
    import inspect

    from aiortc import RTCPeerConnection, RTCRtpReceiver
    from aiortc.rtcrtpreceiver import NackGenerator, StreamStatistics

    pc = RTCPeerConnection()
    transceiver = pc.addTransceiver("video")
    receiver, sender = transceiver.receiver, transceiver.sender
    for name in ("__codecs", "__rtx_ssrc", "__remote_streams", "__rtcp_ssrc", "__decoder_queue"):
        assert hasattr(receiver, "_RTCRtpReceiver" + name), name
    for name in (
        "__rtp_history", "__rtp_header_extensions_map", "__started", "__mid",
        "__ntp_timestamp", "__rtp_timestamp", "__packet_count", "__octet_count", "__encoder",
    ):
        assert hasattr(sender, "_RTCRtpSender" + name), name
    assert list(inspect.signature(RTCRtpReceiver._handle_rtp_packet).parameters) == ["self", "packet", "arrival_time_ms"]
    assert list(inspect.signature(RTCRtpReceiver._send_rtcp_nack).parameters) == ["self", "media_ssrc", "lost"]
    assert list(inspect.signature(RTCRtpReceiver._send_rtcp).parameters) == ["self", "packet"]
    assert "self.__rtp_history.get(sequence_number % RTP_HISTORY_SIZE)" in inspect.getsource(RTCRtpSender._retransmit)
    assert "await recipient._handle_rtcp_packet(packet)" in inspect.getsource(
        __import__("aiortc.rtcdtlstransport", fromlist=["x"]).RTCDtlsTransport._handle_rtcp_data
    )
    assert "await receiver._handle_rtp_packet(packet, arrival_time_ms=arrival_time_ms)" in inspect.getsource(
        __import__("aiortc.rtcdtlstransport", fromlist=["x"]).RTCDtlsTransport._handle_rtp_data
    )
    assert NackGenerator().missing == set() and StreamStatistics(90000).packets_received == 0
    await pc.close()


async def test_the_frame_path_yields_encoded_frames_with_timing(media, visit):
    """For a viewer of another codec: the track yields reassembled frames as av.Packet."""
    from .test_check_and_fallback import without_codec

    citizen = await visit("citizen", "blue", connect=False)
    citizen.edit_outgoing = citizen.edit_incoming = lambda sdp: without_codec(sdp, "VP8")
    await citizen.connect(audio=False)
    clerk = await visit("clerk", "red", connect=False)
    clerk.edit_outgoing = clerk.edit_incoming = lambda sdp: without_codec(sdp, "H264")
    await clerk.connect()
    await clerk.wait_for_frames(("citizen", "camera"))
    peer = visit.session._peers["citizen"]
    camera = next(s for s in peer.sources.values() if s.name == "camera")
    assert camera.encoded and camera.codec == "video/h264" and camera._tap.frames_wanted

    received = []
    outlet = next(iter(camera._outlets))
    original_push = outlet.push

    def spy(item):
        received.append(item)
        original_push(item)

    outlet.push = spy
    while len(received) < 3:
        await asyncio.sleep(0.05)
    packet = received[-1]
    assert isinstance(packet, av.Packet)
    assert packet.time_base == fractions.Fraction(1, 90000)
    assert received[-1].pts > received[0].pts


async def test_picture_loss_from_a_subscriber_reaches_the_sending_browser(media, visit):
    clerk = await visit("clerk", "red")
    citizen = await visit("citizen", "blue")
    await citizen.wait_for_frames(("clerk", "camera"))

    # The clerk's browser-side sender records keyframe requests it receives.
    clerk_sender = next(s for s in clerk.pc.getSenders() if s.kind == "video")
    requested = asyncio.Event()
    original = clerk_sender._send_keyframe

    def on_request():
        requested.set()
        original()

    clerk_sender._send_keyframe = on_request
    await asyncio.sleep(forwarding_interval())  # past the rate limit of the attach request
    before = media.counters.keyframe_requests

    # The citizen's receiver reports a lost picture to the server.
    receiver = next(
        t.receiver for t in citizen.pc.getTransceivers()
        if citizen.tracks.get(t.mid) == {"participant": "clerk", "source": "camera"}
    )
    ssrc = receiver.getSynchronizationSources()[0].source
    await receiver._send_rtcp_pli(ssrc)
    await asyncio.wait_for(requested.wait(), 5)
    assert media.counters.keyframe_requests == before + 1


def forwarding_interval() -> float:
    from virtual_office.media.fanout import KEYFRAME_INTERVAL

    return KEYFRAME_INTERVAL + 0.1


def test_sender_packs_packets_instead_of_encoding():
    # RTCRtpSender hands anything that is not a Frame to Encoder.pack.
    import inspect

    source = inspect.getsource(RTCRtpSender._next_encoded_frame)
    assert "pack(data)" in source
    assert hasattr(RTCRtpSender, "_send_keyframe")


def test_receiver_hands_frames_to_a_decoder_queue():
    # use_packets replaces this queue; the decoder thread only calls get().
    import inspect

    from aiortc import rtcrtpreceiver

    assert "input_q.get()" in inspect.getsource(rtcrtpreceiver.decoder_worker)
    receive = inspect.getsource(rtcrtpreceiver.RTCRtpReceiver)
    assert "self.__decoder_queue.put((codec, encoded_frame))" in receive
    assert "self.__decoder_queue.put(None)" in receive


def renumber(sdp: str, payload_types: dict[int, int], extension_ids: dict[int, int]) -> str:
    """An SDP with other payload types and extension ids, as another browser would choose."""
    import re

    def pt(match):
        return str(payload_types.get(int(match.group(0)), int(match.group(0))))

    lines = []
    for line in sdp.splitlines():
        if line.startswith("m="):
            head, _, fmts = line.partition(" UDP/TLS/RTP/SAVPF ")
            line = head + " UDP/TLS/RTP/SAVPF " + re.sub(r"\d+", pt, fmts)
        elif line.startswith(("a=rtpmap:", "a=fmtp:", "a=rtcp-fb:")):
            line = re.sub(r"(?<=:)\d+", pt, line, count=1)
            line = re.sub(r"(?<=apt=)\d+", pt, line)
        elif line.startswith("a=extmap:"):
            line = re.sub(r"(?<=extmap:)\d+", lambda m: str(extension_ids[int(m.group(0))]), line)
        lines.append(line)
    return "\r\n".join(lines) + "\r\n"


async def test_server_offers_keep_the_numbers_the_browser_chose(visit):
    """Chromium refuses changed extension ids and switches payload types if offered others."""
    import re

    citizen = await visit("citizen", "blue", connect=False)
    first = []

    def first_offer_renumbered(sdp):  # later answers echo the server's numbers anyway
        first.append(sdp)
        if len(first) > 1:
            return sdp
        return renumber(sdp, {96: 111, 97: 120, 98: 121}, {1: 4, 2: 1, 3: 2})

    citizen.edit_outgoing = first_offer_renumbered
    offers = []
    original = citizen.on_signal

    async def record(message):
        if message["type"] == "offer":
            offers.append(message["sdp"])
        await original(message)

    citizen.on_signal = record
    await citizen.connect()
    clerk = await visit("clerk", "red")
    await clerk.wait_for_frames(("citizen", "camera"))
    await citizen.wait_for_frames(("clerk", "camera"))

    assert offers, "the server offered the clerk's tracks"
    sections = offers[-1].split("\r\nm=")[1:]
    assert len(sections) == 4
    for section in sections:
        assert "a=rtpmap:96 " not in section and "a=rtpmap:97 " not in section
        assert re.search(r"a=rtpmap:(111 opus|120 VP8)/", section)
        assert "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid" in section
    before = clerk.frames[("citizen", "camera")]
    await clerk.wait_for_frames(("citizen", "camera"), count=before + 10)
