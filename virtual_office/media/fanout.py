"""Sources and outlets: one participant's incoming track fanned out to the others.

A ``Source`` reads its remote track from the moment it exists, whether anyone
subscribes or not (an unread aiortc track buffers without limit). Each
subscriber gets an ``Outlet``: a track its sender reads. In packet mode the
items are encoded frames (``av.Packet``) the sender packs unchanged; in frame
mode (``MediaConfig.forward=False``) decoded frames the sender encodes.
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
from aiortc import RTCRtpReceiver
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av.frame import Frame
from av.packet import Packet
from av.stream import Stream

from . import forwarding

logger = logging.getLogger(__name__)

KEYFRAME_INTERVAL = 0.3
"Seconds between two keyframe requests to one source (aiortc asks for one per broken frame)."
QUEUE_LENGTH = {"audio": 50, "video": 30}
"Items an outlet holds for a slow sender before it starts over (about a second)."

Item: TypeAlias = "Frame | Packet[Stream]"
"What a track yields: an encoded frame in packet mode, else a decoded frame."


@dataclass
class Counters:
    """What the relay did, for tests and the benchmark."""

    forwarded: int = 0
    "Encoded frames handed to a sender unchanged."
    transcoded: int = 0
    "Decoded frames handed to a sender to encode."
    keyframe_requests: int = 0
    "PLIs sent to sources."


class Source:
    """One incoming track of a participant (``name``: microphone, camera or screen)."""

    def __init__(
        self,
        *,
        participant_id: str,
        name: str,
        track: MediaStreamTrack,
        receiver: RTCRtpReceiver,
        packets: bool,
        counters: Counters,
    ) -> None:
        self.participant_id = participant_id
        self.name = name
        self.kind = track.kind
        self.active = True
        self.receiver = receiver
        self._track = track
        self._counters = counters
        self._codec = forwarding.use_packets(receiver) if packets else None
        self._outlets: set[Outlet] = set()
        self._last_keyframe_request = 0.0
        self._task = asyncio.ensure_future(self._pump())

    @property
    def packets(self) -> bool:
        """Whether the source yields encoded frames (else decoded frames)."""
        return self._codec is not None

    @property
    def codec(self) -> str | None:
        """MIME type of the encoded frames, once the first one arrived."""
        return self._codec.mime_type if self._codec else None

    @property
    def running(self) -> bool:
        """Whether the track still delivers (False once the connection closed)."""
        return not self._task.done()

    def attach(self, outlet: Outlet) -> None:
        self._outlets.add(outlet)

    def detach(self, outlet: Outlet) -> None:
        self._outlets.discard(outlet)

    def request_keyframe(self) -> None:
        """Ask the sending browser for a keyframe, at most once per KEYFRAME_INTERVAL."""
        if not self.packets or self.kind != "video":
            return
        now = time.monotonic()
        if now - self._last_keyframe_request < KEYFRAME_INTERVAL:
            return
        self._last_keyframe_request = now
        self._counters.keyframe_requests += 1
        forwarding.request_keyframe(self.receiver)

    async def _pump(self) -> None:
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
    """The track one subscriber's sender reads; fed by one source for its whole life."""

    def __init__(self, source: Source, counters: Counters) -> None:
        super().__init__()
        self.kind = source.kind
        self.source = source
        self.send_codec: str | None = None  # set once the subscriber's leg is negotiated
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

    @property
    def forwarding(self) -> bool:
        """Whether encoded frames go out unchanged (so keyframes must come from the source)."""
        return self.source.packets and self.send_codec in (None, self.source.codec)

    def attach(self) -> None:
        """Start receiving from the source (again)."""
        if not self._attached:
            self._attached = True
            self.source.attach(self)
            if self._reading:
                self.source.request_keyframe()

    def detach(self) -> None:
        """Stop receiving; the sender waits until ``attach``."""
        self._attached = False
        self.source.detach(self)
        self._items.clear()

    def keyframe_requested(self) -> bool:
        """Handle a PLI from the subscriber; False means the sender's encoder handles it."""
        if not self.forwarding:
            return False
        self.source.request_keyframe()
        return True

    def push(self, item: Item) -> None:
        if not self._reading:
            return  # nobody reads yet: the first read asks for a fresh keyframe
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
            if self._decoded:
                self._counters.transcoded += 1
                return self._decoded.popleft()
            while not self._items:
                self._ready.clear()
                await self._ready.wait()
            item = self._items.popleft()
            if not self.source.packets:
                self._counters.transcoded += 1
                return item
            codec = self.source.codec
            if self.send_codec is None or codec == self.send_codec:
                self._counters.forwarded += 1
                return item
            # The legs negotiated different codecs: decode here, the sender encodes.
            assert codec is not None  # known once the source's first packet arrived
            decode = self._decode
            if decode is None or self._decode_codec != codec:
                logger.info("codec mismatch (%s -> %s): re-encoding", codec, self.send_codec)
                decode = self._decode = forwarding.packet_decoder(codec)
                self._decode_codec = codec
            packet = cast("Packet[Stream]", item)  # a source in packet mode yields packets
            try:
                frames = await asyncio.get_running_loop().run_in_executor(None, decode, packet)
            except av.FFmpegError:
                self.source.request_keyframe()
                continue
            self._decoded.extend(frames)
