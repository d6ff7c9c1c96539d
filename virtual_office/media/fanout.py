"""Sources and outlets: one participant's incoming track fanned out to the others.

A ``Source`` takes its receiver's RTP packets from the moment it exists,
whether anyone subscribes or not. Each subscriber gets an ``Outlet``, the
track of one sending m-line. Where the subscriber's leg negotiated the
source's codec, the outlet forwards every packet as it comes: header
rewritten for its stream (SSRC, sequence number, timestamp, payload type,
extension ids), no jitter buffer and no re-packing; its sender answers the
subscriber's NACKs from the packets sent. Otherwise (another codec, or
``MediaConfig.forward=False``) the outlet takes the frame path: the source's
track yields encoded frames (decoded here for another codec) or decoded
frames, and the sender encodes them. An encrypted session has no frame path:
a subscriber with another codec gets nothing, and the session reports it.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeAlias, cast

import av
from aiortc import RTCRtpReceiver, RTCRtpSender
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtp import RtpPacket
from av.frame import Frame
from av.packet import Packet
from av.stream import Stream

from . import forwarding, packets

logger = logging.getLogger(__name__)

KEYFRAME_INTERVAL = 0.3
"Seconds between two keyframe requests to one source (aiortc asks for one per broken frame)."
NEWCOMER_INTERVAL = 0.05
"Seconds within which a newcomer's first keyframe request is merged with an earlier one."
QUEUE_LENGTH = {"audio": 50, "video": 30}
"Items an outlet holds for a slow sender before it starts over (about a second)."
ESTIMATE_SECONDS = 5.0
"How long a subscriber's bandwidth estimate counts without a newer one."
ESTIMATE_INTERVAL = 0.5
"Seconds between two estimates passed to a source, unless the newer one is lower."

Item: TypeAlias = "Frame | Packet[Stream]"
"What a track yields on the frame path: an encoded frame, or a decoded one."

WAITING, PACKETS, FRAMES, REFUSED = "waiting", "packets", "frames", "refused"
"An outlet's way: nothing negotiated yet, RTP packets, the frame path, nothing (encrypted, other codec)."


@dataclass
class Counters:
    """What the relay did, for tests and the benchmark."""

    forwarded: int = 0
    "Encoded frames handed on unchanged (on the packet path: frames whose last packet went out)."
    packets: int = 0
    "RTP packets forwarded."
    transcoded: int = 0
    "Decoded frames handed to a sender to encode."
    keyframe_requests: int = 0
    "PLIs sent to sources."
    keyframe_requests_held: int = 0
    "Subscribers' keyframe requests held back by their back-off."
    bitrate_estimates: int = 0
    "Subscribers' bandwidth estimates passed on to sources (REMB)."
    refused: int = 0
    "Tracks an encrypted session could not forward for another codec."


@dataclass
class Policy:
    """How a session's media may travel; shared by its peers and changed in place."""

    forward: bool = True
    "Encoded media goes on unchanged where codecs match (``MediaConfig.forward``)."
    encrypted: bool = False
    "Payloads are end-to-end encrypted: never decoded, so never re-encoded."


class Source:
    """One incoming track of a participant (``name``: microphone, camera or screen)."""

    def __init__(
        self,
        *,
        participant_id: str,
        name: str,
        track: MediaStreamTrack,
        receiver: RTCRtpReceiver,
        policy: Policy,
        counters: Counters,
    ) -> None:
        self.participant_id = participant_id
        self.name = name
        self.kind = track.kind
        self.active = True
        self.receiver = receiver
        self.policy = policy
        self.rtp_codec: RTCRtpCodecParameters | None = None
        "The codec of the latest RTP packet."
        self.negotiated: RTCRtpCodecParameters | None = None
        "The first codec its m-line negotiated: what the browser sends with, before a packet says."
        self.estimate: int | None = None
        "The bitrate last passed on to the sending browser (the lowest of its subscribers')."
        self._mime = ""
        self._track = track
        self._counters = counters
        self._codec = forwarding.use_packets(receiver) if policy.forward else None
        self._tap = forwarding.RtpTap(receiver, track.kind, self._on_packet)
        self._outlets: set[Outlet] = set()
        self._last_keyframe_request = 0.0
        self._last_estimate = 0.0
        self._task = asyncio.ensure_future(self._pump())

    @property
    def encoded(self) -> bool:
        """Whether the frame path yields encoded frames (else decoded frames)."""
        return self._codec is not None

    @property
    def codec(self) -> str | None:
        """MIME type of the encoded frames on the frame path, once the first one arrived."""
        return self._codec.mime_type if self._codec else None

    @property
    def running(self) -> bool:
        """Whether the track still delivers (False once the connection closed)."""
        return not self._task.done()

    def attach(self, outlet: Outlet) -> None:
        self._outlets.add(outlet)

    def detach(self, outlet: Outlet) -> None:
        self._outlets.discard(outlet)

    def request_keyframe(self, *, newcomer: bool = False) -> None:
        """Ask the sending browser for a keyframe, at most once per KEYFRAME_INTERVAL.

        ``newcomer``: for a subscriber whose connection just came up, who has no
        picture yet; only requests within NEWCOMER_INTERVAL are merged with it.
        """
        if self.kind != "video":
            return
        now = time.monotonic()
        if now - self._last_keyframe_request < (NEWCOMER_INTERVAL if newcomer else KEYFRAME_INTERVAL):
            return
        self._last_keyframe_request = now
        self._counters.keyframe_requests += 1
        ssrc = self._tap.media_ssrc
        forwarding.request_keyframe(self.receiver, () if ssrc is None else (ssrc,))

    def estimate_changed(self) -> None:
        """Pass the lowest fresh estimate of the subscribers on to the sending browser."""
        now = time.monotonic()
        fresh = [
            bitrate for o in self._outlets if o.estimate is not None
            for bitrate, at in (o.estimate,) if now - at < ESTIMATE_SECONDS
        ]
        if not fresh:
            return
        bitrate = min(fresh)
        if now - self._last_estimate < ESTIMATE_INTERVAL and (self.estimate is None or bitrate >= self.estimate):
            return
        self._last_estimate = now
        self.estimate = bitrate
        self._counters.bitrate_estimates += 1
        asyncio.ensure_future(self._tap.send_remb(bitrate))

    async def _on_packet(self, packet: RtpPacket, codec: RTCRtpCodecParameters) -> None:
        if codec is not self.rtp_codec:
            self.rtp_codec = codec
            self._mime = codec.mimeType.lower()
        frames = False
        if self._outlets:
            keyframe = self.kind == "audio" or packets.starts_keyframe(self._mime, packet.payload)
            now = time.monotonic()
            ntp_time = forwarding.ntp_now()
            for outlet in tuple(self._outlets):
                way = outlet.way
                if way == PACKETS:
                    await outlet.forward(packet, keyframe, now, ntp_time)
                elif way == FRAMES:
                    frames = True
        if frames and not self._tap.frames_wanted:
            self.request_keyframe()  # the frame path starts now: its decoder needs a keyframe
        self._tap.frames_wanted = frames

    async def _pump(self) -> None:
        # The frame path: the track yields only while an outlet wants frames.
        try:
            while True:
                item = await self._track.recv()
                for outlet in tuple(self._outlets):
                    outlet.push(item)
        except MediaStreamError:
            pass
        finally:
            self.active = False

    async def stop(self) -> None:
        self.active = False
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        self._track.stop()


class Outlet(MediaStreamTrack):
    """One subscriber's m-line for one source, for its whole life.

    When the source's participant reconnects, ``switch`` moves the outlet to
    their new track: the subscriber goes on with the same stream.
    On the packet path it writes RTP straight to its sender; as a track it
    yields only on the frame path (the sender's own loop reads it).
    """

    def __init__(self, source: Source, counters: Counters) -> None:
        super().__init__()
        self.kind = source.kind
        self.source = source
        self.send_codec: str | None = None  # set once the subscriber's leg is negotiated
        self.estimate: tuple[int, float] | None = None  # the subscriber's latest (bitrate, when)
        self._send_parameters: RTCRtpCodecParameters | None = None
        self._writer: forwarding.RtpWriter | None = None
        self._rewriter: packets.Rewriter | None = None
        self._keyframe_awaited = True  # for a keyframe before forwarding video
        self._asked_since_ready = False  # whether a keyframe was asked for since the connection came up
        self._backoff = packets.KeyframeBackoff()
        self._way_of: tuple[RTCRtpCodecParameters | None, RTCRtpCodecParameters | None, bool, str] = (None, None, False, WAITING)
        self._counters = counters
        self._items: collections.deque[Item] = collections.deque()
        self._limit = QUEUE_LENGTH[source.kind]
        self._ready = asyncio.Event()
        self._reading = False
        self._attached = False
        # Used when the subscriber's codec differs from the source's.
        self._decode: Callable[[Packet[Stream]], list[Frame]] | None = None
        self._decode_codec: str | None = None
        self._decoded: collections.deque[Frame] = collections.deque()
        # The frame path's timeline: the sender stamps what it sends with the item's pts.
        self._pts_shift = 0  # added to the source's pts (a new source starts at other numbers)
        self._last_pts: tuple[int, float] | None = None  # the latest pts handed on, and when
        self._pts_rebase = False

    def bind(self, sender: RTCRtpSender) -> None:
        """Send on ``sender``: packets straight to it, PLI/FIR and REMB from its subscriber here."""
        self._writer = forwarding.RtpWriter(sender)
        forwarding.on_keyframe_request(sender, self.keyframe_requested)
        forwarding.on_bitrate_estimate(sender, self.bitrate_estimated)

    def negotiated(self, codec: RTCRtpCodecParameters | None) -> None:
        """The codec the subscriber's leg sends with (after every negotiation)."""
        self._send_parameters = codec
        self.send_codec = codec.mimeType.lower() if codec else None
        self._ready.set()  # the way may have changed: a waiting sender loop looks again

    @property
    def way(self) -> str:
        """How the source's media reaches this subscriber now: WAITING, PACKETS, FRAMES or REFUSED."""
        source_codec, send_codec = self.source.rtp_codec, self._send_parameters
        encrypted = self.source.policy.encrypted
        cached = self._way_of
        if cached[0] is source_codec and cached[1] is send_codec and cached[2] == encrypted:
            return cached[3]
        if source_codec is None or send_codec is None:
            way = WAITING
        elif packets.same_codec(source_codec, send_codec) and (self.source.policy.forward or encrypted):
            way = PACKETS
        elif encrypted:
            way = REFUSED
            self._counters.refused += 1
            logger.warning(
                "encrypted session: %s cannot be forwarded to a leg that takes %s only",
                source_codec.mimeType, send_codec.mimeType,
            )
        else:
            way = FRAMES
        self._way_of = (source_codec, send_codec, encrypted, way)
        if way != cached[3]:
            self._ready.set()
        return way

    @property
    def forwarding(self) -> bool:
        """Whether encoded media goes out unchanged (so keyframes must come from the source)."""
        way = self.way
        if way == FRAMES:
            return self.source.encoded and self.send_codec in (None, self.source.codec)
        return True

    def attach(self) -> None:
        """Start receiving from the source (again); video waits for the next keyframe."""
        if not self._attached:
            self._attached = True
            self._keyframe_awaited = True
            self._asked_since_ready = False
            if self._rewriter is not None:
                self._rewriter.restart()
            self.source.attach(self)
            self.source.request_keyframe()

    def detach(self) -> None:
        """Stop receiving; the sender waits until ``attach``."""
        self._attached = False
        self.source.detach(self)
        self._items.clear()

    def switch(self, source: Source) -> None:
        """Carry ``source`` from now on, on the same stream (its participant's new connection).

        The subscriber sees one stream: the same SSRC, sequence numbers and
        timestamps running on (``packets.Rewriter``, or on the frame path the
        timeline below), the next picture a keyframe, asked of the new source at once.
        """
        assert source.kind == self.kind, "a source of the same kind"
        attached = self._attached
        self.detach()
        self.source = source
        self._decoded.clear()
        self._pts_rebase = True
        self._ready.set()  # a sender loop waiting on the old source looks again
        if attached:
            self.attach()

    def keyframe_requested(self) -> bool:
        """Handle a PLI/FIR from the subscriber; False means the sender's encoder handles it."""
        if not self.forwarding:
            return False
        if self._backoff.allow(time.monotonic()):
            self.source.request_keyframe()
        else:
            self._counters.keyframe_requests_held += 1
        return True

    def bitrate_estimated(self, bitrate: int) -> None:
        """The subscriber's bandwidth estimate (REMB) for this stream."""
        self.estimate = (bitrate, time.monotonic())
        self.source.estimate_changed()

    async def forward(self, packet: RtpPacket, keyframe: bool, now: float, ntp_time: int) -> None:
        """Send one of the source's packets on this subscriber's stream."""
        writer = self._writer
        codec = self._send_parameters
        if writer is None or codec is None or not self._attached or not writer.ready:
            return
        rewriter = self._rewriter
        if rewriter is None:
            rewriter = self._rewriter = packets.Rewriter(codec.clockRate)
        if self.kind == "video" and (self._keyframe_awaited or rewriter.starts_over(packet.ssrc)):
            # A picture cut at its start would only make the subscriber ask again.
            if not keyframe and packets.keyframes_known(self.send_codec or ""):
                self._keyframe_awaited = True
                # The request made when this subscriber was attached was answered before its
                # connection was up (that keyframe went nowhere): ask again now, at once.
                self.source.request_keyframe(newcomer=not self._asked_since_ready)
                self._asked_since_ready = True
                return
            self._keyframe_awaited = False
        sequence_number, timestamp = rewriter.rewrite(packet.ssrc, packet.sequence_number, packet.timestamp, now)
        out = RtpPacket(
            payload_type=codec.payloadType or 0,  # negotiated codecs always have one
            marker=packet.marker,
            sequence_number=sequence_number,
            timestamp=timestamp,
            ssrc=writer.ssrc,
            payload=packet.payload,
        )
        out.padding_size = packet.padding_size
        await writer.send(out, ntp_time, packet.extensions.audio_level)
        self._counters.packets += 1
        if packet.marker or self.kind == "audio":
            self._counters.forwarded += 1

    def push(self, item: Item) -> None:
        if not self._reading or self.way != FRAMES:
            return  # nobody reads yet (the first read asks for a fresh keyframe), or packets go straight
        if len(self._items) >= self._limit:
            # The sender fell behind: start over from the next keyframe.
            self._items.clear()
            self.source.request_keyframe()
        self._items.append(item)
        self._ready.set()

    async def recv(self) -> Item:
        if not self._reading:
            self._reading = True
            if self._attached:
                self.source.request_keyframe()
        while True:
            if self._decoded and self.way == FRAMES:
                self._counters.transcoded += 1
                return self._timed(self._decoded.popleft())
            while not self._items:
                self._ready.clear()
                await self._ready.wait()
                if self.way != FRAMES:
                    self._decoded.clear()
            item = self._items.popleft()
            if self.way != FRAMES:
                continue
            if not self.source.encoded:
                self._counters.transcoded += 1
                return self._timed(item)
            codec = self.source.codec
            if self.send_codec is None or codec == self.send_codec:
                self._counters.forwarded += 1
                return self._timed(item)
            # The legs negotiated different codecs: decode here, the sender encodes.
            assert codec is not None  # known once the source's first packet arrived
            decode = self._decode
            if decode is None or self._decode_codec != codec:
                logger.info("codec mismatch (%s -> %s): re-encoding", codec, self.send_codec)
                decode = self._decode = forwarding.packet_decoder(codec)
                self._decode_codec = codec
            packet = cast("Packet[Stream]", item)  # a source with encoded frames yields packets
            try:
                frames = await asyncio.get_running_loop().run_in_executor(None, decode, packet)
            except av.FFmpegError:
                self.source.request_keyframe()
                continue
            self._decoded.extend(frames)

    def _timed(self, item: Item) -> Item:
        """``item`` on this outlet's timeline: after a switch it follows the last one, by the time that passed."""
        pts, time_base = item.pts, item.time_base
        if pts is None or time_base is None:
            return item
        now = time.monotonic()
        if self._pts_rebase:
            self._pts_rebase = False
            if self._last_pts is not None:
                last, at = self._last_pts
                self._pts_shift = last + max(1, int((now - at) / time_base)) - pts
        item.pts = pts + self._pts_shift
        self._last_pts = (item.pts, now)
        return item
