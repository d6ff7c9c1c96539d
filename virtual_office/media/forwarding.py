"""Forwarding through aiortc: every use of aiortc internals.

aiortc reassembles and decodes every received frame and encodes and packs
every sent one. To relay RTP packets as they come, and encoded frames where
codecs differ, this module relies on internals of aiortc 1.16.0 (pinned in
setup.cfg); tests/media/test_forwarding.py checks each of them so an upgrade
that changes them fails loudly:

- ``RTCRtpReceiver._handle_rtp_packet`` (called by the DTLS transport with
  every unprotected packet) is replaced by ``RtpTap``, which uses the
  receiver's ``__codecs``, ``__rtx_ssrc``, ``__remote_streams`` (the
  statistics of its receiver reports), ``_send_rtcp_nack``, ``_send_rtcp``
  and ``__rtcp_ssrc``, and aiortc's ``NackGenerator`` and ``StreamStatistics``.
- ``RtpWriter`` sends packets with ``RTCDtlsTransport._send_rtp`` and writes
  the sender's ``__rtp_history`` (``_retransmit`` answers NACKs from it),
  ``__rtp_header_extensions_map``, ``__mid`` and the counters of its sender
  reports (``__ntp_timestamp``, ``__rtp_timestamp``, ``__packet_count``,
  ``__octet_count``).
- ``RTCRtpSender._handle_rtcp_packet`` is wrapped to read the subscriber's
  REMB.
- ``RTCRtpReceiver.__decoder_queue`` (the frame path): the receiver puts every
  reassembled frame ``(codec, JitterFrame)`` into this queue for its decoder
  thread (and ``None`` to stop it). It is replaced by a queue that turns the
  frame into an ``av.Packet`` (pts and time_base set) right away, on the
  event loop: no decoding and no hop to the decoder thread, which just waits
  for the stop.
- ``RTCRtpSender._next_encoded_frame`` packs an ``av.Packet`` with the codec's
  ``Encoder.pack`` instead of encoding it (public behaviour of 1.16).
- ``RTCRtpSender._send_keyframe``: called on a PLI/FIR from the subscriber; it
  only sets a flag for an encoder, so with packets it must be passed on.
- ``RTCRtpReceiver._send_rtcp_pli`` and its SSRC bookkeeping: to ask the
  source for a keyframe.
- ``RTCRtpSender._stream_id`` / ``_track_id``: written into ``a=msid``.
- ``RTCRtpTransceiver._codecs``: the negotiated codecs, first one in use.
- ``RTCRtpTransceiver._codecs`` / ``_headerExtensions`` and ``aiortc.sdp``:
  ``createOffer`` resets every m-line to aiortc's own payload types and
  extension ids. A browser that chose others in its first offer (Chromium
  does) then refuses the offer ("RTP extension ID reassignment not
  supported") or switches payload types, which a started aiortc receiver no
  longer recognises. ``keep_negotiated_ids`` keeps the negotiated numbers.
"""

from __future__ import annotations

import asyncio
import dataclasses
import fractions
import threading
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import cast

import av
from aiortc import (
    RTCPeerConnection,
    RTCRtpReceiver,
    RTCRtpSender,
    RTCRtpTransceiver,
    RTCSessionDescription,
    sdp,
)
from aiortc.codecs import get_decoder
from aiortc.codecs.base import Encoder
from aiortc.jitterbuffer import JitterFrame
from aiortc.rtcrtpparameters import RTCRtpCodecParameters, RTCRtpHeaderExtensionParameters
from aiortc.rtcrtpreceiver import NackGenerator, RemoteStreamTrack, StreamStatistics
from aiortc.rtp import (
    RTCP_PSFB_APP,
    RTP_HISTORY_SIZE,
    AnyRtcpPacket,
    HeaderExtensions,
    HeaderExtensionsMap,
    RtcpPsfbPacket,
    RtpPacket,
    pack_remb_fci,
    unpack_remb_fci,
    unwrap_rtx,
)
from av.frame import Frame
from av.stream import Stream


class CodecInfo:
    """What a packet-mode track carries: the MIME type of its latest frame."""

    mime_type: str | None = None


class _PacketQueue:
    """Stands in for a receiver's decoder queue: frames become packets on the track."""

    def __init__(self, track_queue: asyncio.Queue[av.Packet[Stream] | None], info: CodecInfo) -> None:
        self._out = track_queue
        self._info = info
        self._codec: RTCRtpCodecParameters | None = None
        self._time_base: fractions.Fraction | None = None
        self._stopped = threading.Event()

    def put(self, task: tuple[RTCRtpCodecParameters, JitterFrame] | None) -> None:  # the receiver, on the event loop
        if task is None:
            self._stopped.set()
            self._out.put_nowait(None)  # ends the track
            return
        codec, encoded_frame = task
        time_base = self._time_base
        if codec is not self._codec or time_base is None:  # the first frame sets both
            self._codec = codec
            time_base = self._time_base = fractions.Fraction(1, codec.clockRate)
            self._info.mime_type = codec.mimeType.lower()
        packet = av.Packet(encoded_frame.data)
        packet.pts = encoded_frame.timestamp
        packet.time_base = time_base
        self._out.put_nowait(packet)

    def get(self) -> None:  # the idle decoder thread: wait for the stop, then let it finish
        self._stopped.wait()
        return None


def use_packets(receiver: RTCRtpReceiver) -> CodecInfo:
    """Make the receiver's track yield ``av.Packet`` instead of decoded frames.

    Must be called before the receiver starts (i.e. from the peer connection's
    "track" event): its decoder thread takes the queue when it starts.
    """
    info = CodecInfo()
    track = cast(RemoteStreamTrack, receiver.track)  # what a receiver's track always is
    # A private, name-mangled attribute: aiortc's types do not list it.
    receiver._RTCRtpReceiver__decoder_queue = _PacketQueue(track._queue, info)  # type: ignore[attr-defined]
    return info


def request_keyframe(receiver: RTCRtpReceiver, ssrcs: Iterable[int] = ()) -> None:
    """Send a PLI for ``ssrcs``, or else every media SSRC the receiver's jitter buffer saw lately."""
    targets = set(ssrcs)
    if not targets:
        rtx_ssrc: dict[int, int] = receiver._RTCRtpReceiver__rtx_ssrc  # type: ignore[attr-defined]  # private, name-mangled
        targets = {s.source for s in receiver.getSynchronizationSources()} - set(rtx_ssrc)
    for ssrc in targets:
        asyncio.ensure_future(receiver._send_rtcp_pli(ssrc))


# --- RTP packets --------------------------------------------------------------

NACK_INTERVAL_MS = 40
"Milliseconds between two NACKs for packets still missing (loopback to a mobile network's round trip)."
NACK_TRIES = 4
"How often one missing packet is asked for before the sender's own keyframe must repair it."

PacketHandler = Callable[[RtpPacket, RTCRtpCodecParameters], Awaitable[None]]


def ntp_now() -> int:
    """The current time as a 64-bit NTP timestamp (what aiortc's clock computes, without datetime)."""
    return int((time.time() + _NTP_EPOCH_OFFSET) * (1 << 32))


_NTP_EPOCH_OFFSET = 2208988800  # seconds from 1900-01-01 to 1970-01-01


class RtpTap:
    """Takes a receiver's RTP packets after SRTP and hands them on, bypassing its jitter buffer.

    ``RTCRtpReceiver._handle_rtp_packet`` is replaced on this one receiver. The
    tap keeps what the sender relies on: the statistics of the receiver's RTCP
    reports (the browser's own bandwidth control reads their losses), NACKs for
    missing video packets, and RTX unwrapping (``RTCRtpReceiver.__codecs``,
    ``__rtx_ssrc``, ``__remote_streams``). While ``frames_wanted`` the packet
    also goes through aiortc's own handling (jitter buffer, decoder queue),
    for a subscriber whose codec differs.
    """

    def __init__(self, receiver: RTCRtpReceiver, kind: str, on_packet: PacketHandler) -> None:
        self.receiver = receiver
        self.frames_wanted = False
        self.media_ssrc: int | None = None
        self._on_packet = on_packet
        self._aiortc_handler = receiver._handle_rtp_packet
        # Private, name-mangled attributes: the dicts aiortc fills when the receiver starts.
        self._codecs: dict[int, RTCRtpCodecParameters] = receiver._RTCRtpReceiver__codecs  # type: ignore[attr-defined]
        self._rtx_ssrc: dict[int, int] = receiver._RTCRtpReceiver__rtx_ssrc  # type: ignore[attr-defined]
        self._streams: dict[int, StreamStatistics] = receiver._RTCRtpReceiver__remote_streams  # type: ignore[attr-defined]
        self._nack = NackGenerator() if kind == "video" else None
        self._nack_tries: dict[int, int] = {}
        self._last_nack_ms = 0
        # Replaces the method on this one receiver, which aiortc's types cannot allow.
        receiver._handle_rtp_packet = self._handle  # type: ignore[method-assign]

    async def _handle(self, packet: RtpPacket, arrival_time_ms: int) -> None:
        receiver = self.receiver
        if not receiver._enabled:
            return
        codec = self._codecs.get(packet.payload_type)
        if codec is None:
            return
        if self.frames_wanted:
            await self._aiortc_handler(packet, arrival_time_ms)  # keeps the statistics too
        else:
            stream = self._streams.get(packet.ssrc)
            if stream is None:
                stream = self._streams[packet.ssrc] = StreamStatistics(codec.clockRate)
            stream.add(packet)
        if codec.name.lower() == "rtx":
            original_ssrc = self._rtx_ssrc.get(packet.ssrc)
            apt = codec.parameters.get("apt")
            if original_ssrc is None or len(packet.payload) < 2 or not isinstance(apt, int) or apt not in self._codecs:
                return  # padding (bandwidth probes) or unknown
            packet = unwrap_rtx(packet, payload_type=apt, ssrc=original_ssrc)
            codec = self._codecs[apt]
        if not self.frames_wanted and self._nack is not None:
            await self._ask_again(packet, arrival_time_ms)
        self.media_ssrc = packet.ssrc
        await self._on_packet(packet, codec)

    async def _ask_again(self, packet: RtpPacket, arrival_time_ms: int) -> None:
        """NACK what is missing: at once for a new gap, then again while it stays missing.

        aiortc's receiver asks only when a new gap opens, so a retransmission
        that was lost too waited for the next loss: with 5% loss, often longer
        than the picture could wait.
        """
        assert self._nack is not None
        missed = self._nack.add(packet)
        missing = self._nack.missing
        if not missing or not (missed or arrival_time_ms - self._last_nack_ms >= NACK_INTERVAL_MS):
            return
        tries = self._nack_tries
        for seq in list(tries):
            if seq not in missing:
                del tries[seq]
        lost = sorted(seq for seq in missing if tries.get(seq, 0) < NACK_TRIES)
        if lost:
            for seq in lost:
                tries[seq] = tries.get(seq, 0) + 1
            self._last_nack_ms = arrival_time_ms
            await self.receiver._send_rtcp_nack(packet.ssrc, lost)

    async def send_remb(self, bitrate: int) -> None:
        """Tell the sending browser the bitrate its receivers can take (REMB)."""
        rtcp_ssrc: int | None = self.receiver._RTCRtpReceiver__rtcp_ssrc  # type: ignore[attr-defined]  # private
        if rtcp_ssrc is None or self.media_ssrc is None:
            return
        packet = RtcpPsfbPacket(
            fmt=RTCP_PSFB_APP, ssrc=rtcp_ssrc, media_ssrc=0, fci=pack_remb_fci(bitrate, [self.media_ssrc])
        )
        await self.receiver._send_rtcp(packet)


class RtpWriter:
    """Sends ready-made RTP packets on a sender's stream, as if its own loop had made them.

    Writes the sender's packet history (``RTCRtpSender.__rtp_history``), so
    aiortc answers the subscriber's NACKs from it (as RTX where negotiated),
    and the counters its sender reports are made from
    (``__ntp_timestamp``, ``__rtp_timestamp``, ``__packet_count``,
    ``__octet_count``). Header extensions are written with the ids of the
    sender's own negotiation (``__rtp_header_extensions_map``), its mid
    (``__mid``) included.
    """

    def __init__(self, sender: RTCRtpSender) -> None:
        self.sender = sender
        self.ssrc = sender._ssrc
        self._history: dict[int, RtpPacket] = sender._RTCRtpSender__rtp_history  # type: ignore[attr-defined]
        self._extensions: HeaderExtensionsMap = sender._RTCRtpSender__rtp_header_extensions_map  # type: ignore[attr-defined]

    @property
    def ready(self) -> bool:
        """Whether the sender was started by a negotiation and its DTLS transport is up
        (before that, a packet would go nowhere)."""
        started: bool = self.sender._RTCRtpSender__started  # type: ignore[attr-defined]
        return started and self.sender.transport.state == "connected"

    async def send(self, packet: RtpPacket, ntp_time: int, audio_level: object = None) -> None:
        sender = self.sender
        extensions = packet.extensions = HeaderExtensions()
        extensions.mid = sender._RTCRtpSender__mid  # type: ignore[attr-defined]
        extensions.abs_send_time = (ntp_time >> 14) & 0x00FFFFFF
        extensions.audio_level = audio_level
        self._history[packet.sequence_number % RTP_HISTORY_SIZE] = packet
        try:
            await sender.transport._send_rtp(packet.serialize(self._extensions))
        except ConnectionError:
            return  # not connected (yet, or any more): the next packet tries again
        sender._RTCRtpSender__ntp_timestamp = ntp_time  # type: ignore[attr-defined]
        sender._RTCRtpSender__rtp_timestamp = packet.timestamp  # type: ignore[attr-defined]
        sender._RTCRtpSender__packet_count += 1  # type: ignore[attr-defined]
        sender._RTCRtpSender__octet_count += len(packet.payload)  # type: ignore[attr-defined]


def on_bitrate_estimate(sender: RTCRtpSender, callback: Callable[[int], object]) -> None:
    """Call ``callback(bitrate)`` for every REMB the subscriber sends about this sender's stream."""
    handle = sender._handle_rtcp_packet

    async def handle_rtcp(packet: AnyRtcpPacket) -> None:
        if isinstance(packet, RtcpPsfbPacket) and packet.fmt == RTCP_PSFB_APP:
            try:
                bitrate, ssrcs = unpack_remb_fci(packet.fci)
            except ValueError:
                pass
            else:
                if sender._ssrc in ssrcs:
                    callback(bitrate)
        await handle(packet)

    # Replaces the method on this one sender, which aiortc's types cannot allow.
    sender._handle_rtcp_packet = handle_rtcp  # type: ignore[method-assign]


def on_keyframe_request(sender: RTCRtpSender, callback: Callable[[], bool]) -> None:
    """Call ``callback`` on a PLI/FIR; when it returns False, the sender's encoder makes the keyframe."""
    flag_encoder = sender._send_keyframe

    def send_keyframe() -> None:
        if not callback():
            flag_encoder()

    # Replaces the method on this one sender, which aiortc's types cannot allow.
    sender._send_keyframe = send_keyframe  # type: ignore[method-assign]


def set_msid(sender: RTCRtpSender, stream_id: str, track_id: str) -> None:
    """Set the ``a=msid`` the sender's m-line carries in the next offer or answer."""
    sender._stream_id = stream_id
    sender._track_id = track_id


def sending_codec(transceiver: RTCRtpTransceiver) -> str | None:
    """The MIME type (lower case) the transceiver sends with, once negotiated."""
    codec = sending_codec_parameters(transceiver)
    return codec.mimeType.lower() if codec else None


def sending_codec_parameters(transceiver: RTCRtpTransceiver) -> RTCRtpCodecParameters | None:
    """The codec (with its payload type) the transceiver sends with, once negotiated."""
    codecs = transceiver._codecs
    return codecs[0] if codecs else None


def encoder_used(sender: RTCRtpSender) -> bool:
    """Whether the sender ever encoded a frame (False when it only packed packets)."""
    encoder: Encoder | None = sender._RTCRtpSender__encoder  # type: ignore[attr-defined]  # private, name-mangled
    if encoder is None:
        return False
    if hasattr(encoder, "first_packet_pts"):  # Opus: set by the first encode()
        return encoder.first_packet_pts is not None
    return getattr(encoder, "codec", None) is not None  # VP8/H.264: opened by encode()


def packet_decoder(mime_type: str) -> Callable[[av.Packet[Stream]], list[Frame]]:
    """Decode packets of ``mime_type`` to frames (for a subscriber that needs another codec)."""
    kind = mime_type.split("/")[0]
    codec = RTCRtpCodecParameters(
        mimeType=mime_type, clockRate=48000 if kind == "audio" else 90000
    )
    decoder = get_decoder(codec)

    def decode(packet: av.Packet[Stream]) -> list[Frame]:
        # _PacketQueue gave every packet its pts.
        return decoder.decode(JitterFrame(bytes(packet), cast(int, packet.pts)))

    return decode


_CodecKey = tuple[str, int, int | None, tuple[tuple[str, int | str | None], ...]]


def _codec_key(codec: RTCRtpCodecParameters) -> _CodecKey:
    parameters = {k: v for k, v in codec.parameters.items() if k != "apt"}
    return (codec.mimeType.lower(), codec.clockRate, codec.channels, tuple(sorted(parameters.items())))


def _renumber(codecs: list[RTCRtpCodecParameters], negotiated: list[RTCRtpCodecParameters]) -> list[RTCRtpCodecParameters]:
    """``codecs`` with the payload types the browser already uses for the same codecs.

    When the browser negotiated codecs of this kind before, codecs it did not
    take are left out (their numbers could clash within the BUNDLE group).
    """
    known = {_codec_key(c): c.payloadType for c in negotiated if not c.mimeType.lower().endswith("/rtx")}
    if not known:
        return codecs
    rtx_of = {c.parameters.get("apt"): c.payloadType for c in negotiated if c.mimeType.lower().endswith("/rtx")}
    renumbered: list[RTCRtpCodecParameters] = []
    base: dict[int | str | None, int | None] = {}  # payload type -> the browser's number for it
    for codec in codecs:
        if codec.mimeType.lower().endswith("/rtx"):
            apt = base.get(codec.parameters.get("apt"))
            if apt is not None and apt in rtx_of:
                renumbered.append(
                    dataclasses.replace(codec, payloadType=rtx_of[apt], parameters={"apt": apt})
                )
        elif _codec_key(codec) in known:
            base[codec.payloadType] = known[_codec_key(codec)]
            renumbered.append(dataclasses.replace(codec, payloadType=known[_codec_key(codec)]))
    return renumbered or codecs


def keep_negotiated_ids(pc: RTCPeerConnection) -> None:
    """Make the connection's later offers keep the payload types and extension ids negotiated so far."""
    create_offer = pc.createOffer

    async def create_offer_keeping_ids() -> RTCSessionDescription:
        negotiated = {
            t: (list(t._codecs), list(t._headerExtensions))
            for t in pc.getTransceivers()
            if t.mid is not None and t._codecs
        }
        ids: dict[str, int] = {}
        by_kind: dict[str, list[RTCRtpCodecParameters]] = {"audio": [], "video": []}
        for transceiver, (codecs, extensions) in negotiated.items():
            by_kind[transceiver.kind] += codecs
            for extension in extensions:
                ids.setdefault(extension.uri, extension.id)
        offer = await create_offer()  # resets every m-line to aiortc's own numbers
        used = set(ids.values())
        for transceiver in pc.getTransceivers():
            if transceiver in negotiated:
                transceiver._codecs = negotiated[transceiver][0]
            else:
                transceiver._codecs = _renumber(transceiver._codecs, by_kind[transceiver.kind])
            kept: list[RTCRtpHeaderExtensionParameters] = []
            for extension in transceiver._headerExtensions:
                if extension.uri not in ids:  # new to this connection: a free id
                    ids[extension.uri] = min(set(range(1, 15)) - used)
                    used.add(ids[extension.uri])
                kept.append(RTCRtpHeaderExtensionParameters(id=ids[extension.uri], uri=extension.uri))
            transceiver._headerExtensions = kept
        description = sdp.SessionDescription.parse(offer.sdp)
        by_line = {t._get_mline_index(): t for t in pc.getTransceivers() if not t.stopped}
        for index, media in enumerate(description.media):
            owner = by_line.get(index)
            if owner is not None and media.kind == owner.kind:
                media.rtp.codecs = owner._codecs
                media.fmt = [codec.payloadType for codec in owner._codecs]
                media.rtp.headerExtensions = owner._headerExtensions
        return RTCSessionDescription(sdp=str(description), type="offer")

    # Replaces the method on this one connection, which aiortc's types cannot allow.
    pc.createOffer = create_offer_keeping_ids  # type: ignore[method-assign]
