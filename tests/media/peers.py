"""In-process aiortc peers that behave like the browsers of a visit."""

from __future__ import annotations

import asyncio
from collections import Counter

import av
import numpy
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, MediaStreamError, VideoStreamTrack

from virtual_office.media import MediaConfig, Session, ice

LOOPBACK = MediaConfig(host_addresses=("127.0.0.1",))
COLOURS = {"red": (220, 30, 30), "green": (30, 200, 30), "blue": (30, 30, 220)}


class ColourTrack(VideoStreamTrack):
    """A small moving picture in one colour, so a receiver can tell who it sees."""

    def __init__(self, colour: str, size: tuple[int, int] = (160, 120)) -> None:
        super().__init__()
        width, height = size
        base = numpy.zeros((height, width, 3), numpy.uint8)
        base[:] = COLOURS[colour]
        self._frames = []
        for i in range(30):  # a bright bar that moves, so every frame differs
            picture = base.copy()
            x = i * width // 30
            picture[:, x : x + width // 10] = 255
            self._frames.append(av.VideoFrame.from_ndarray(picture, format="rgb24"))
        self._index = 0

    async def recv(self) -> av.VideoFrame:
        pts, time_base = await self.next_timestamp()
        frame = self._frames[self._index % len(self._frames)]
        self._index += 1
        frame.pts, frame.time_base = pts, time_base
        return frame


def colour_of(frame: av.VideoFrame) -> str:
    """The name of the colour closest to the frame's median pixel."""
    pixels = frame.to_ndarray(format="rgb24").reshape(-1, 3)
    median = numpy.median(pixels, axis=0)
    return min(COLOURS, key=lambda c: sum((median - COLOURS[c]) ** 2))


class Client:
    """One participant's 'browser': offers its camera and microphone, answers the server."""

    def __init__(self, session: Session, participant_id: str, colour: str) -> None:
        self.session = session
        self.id = participant_id
        self.colour = colour
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.tracks: dict[str, dict] = {}  # latest map from the server
        self.frames: Counter = Counter()  # (participant, source) -> frames decoded
        self.colours: dict[tuple[str, str], str] = {}
        self.errors: list[BaseException] = []
        self.edit_outgoing = lambda sdp: sdp  # lets a test play a browser with other codecs
        self.edit_incoming = lambda sdp: sdp
        self._inbox: asyncio.Queue = asyncio.Queue()
        self._tasks: list[asyncio.Task] = [asyncio.ensure_future(self._process())]
        self.pc.on("track", self._on_track)

    async def on_signal(self, message: dict) -> None:
        await self._inbox.put(message)

    async def connect(self, *, video: bool = True, audio: bool = True) -> None:
        if audio:
            self.pc.addTrack(AudioStreamTrack())
        if video:
            self.pc.addTrack(ColourTrack(self.colour))
        await self.offer()

    async def offer(self, sources: dict | None = None) -> None:
        with ice.using(LOOPBACK):
            await self.pc.setLocalDescription(await self.pc.createOffer())
        message = {"type": "offer", "sdp": self.edit_outgoing(self.pc.localDescription.sdp)}
        if sources:
            message["sources"] = sources
        await self.session.signal(self.id, message)

    async def _process(self) -> None:
        while True:
            message = await self._inbox.get()
            try:
                self.tracks = message.get("tracks", self.tracks)
                description = RTCSessionDescription(
                    self.edit_incoming(message["sdp"]), message["type"]
                )
                await self.pc.setRemoteDescription(description)
                if message["type"] == "offer":
                    with ice.using(LOOPBACK):
                        await self.pc.setLocalDescription(await self.pc.createAnswer())
                    await self.session.signal(
                        self.id,
                        {"type": "answer", "sdp": self.edit_outgoing(self.pc.localDescription.sdp)},
                    )
            except Exception as exc:  # surfaced by the tests
                self.errors.append(exc)

    def _on_track(self, track) -> None:
        transceiver = next(t for t in self.pc.getTransceivers() if t.receiver.track is track)
        self._tasks.append(asyncio.ensure_future(self._consume(transceiver.mid, track)))

    async def _consume(self, mid: str, track) -> None:
        try:
            while True:
                frame = await track.recv()
                info = self.tracks.get(mid)
                key = (info["participant"], info["source"]) if info else ("?", mid)
                self.frames[key] += 1
                if track.kind == "video":
                    self.colours[key] = colour_of(frame)
        except MediaStreamError:
            pass

    async def wait_for_frames(self, key: tuple[str, str], count: int = 5, timeout: float = 20) -> None:
        """Wait until at least ``count`` frames of ``key`` were decoded."""
        async def reached() -> None:
            while self.frames[key] < count:
                assert not self.errors, self.errors
                await asyncio.sleep(0.05)

        try:
            await asyncio.wait_for(reached(), timeout)
        except TimeoutError:
            raise AssertionError(f"{self.id}: no {count} frames of {key}: {dict(self.frames)}") from None

    async def packets_received(self) -> int:
        stats = await self.pc.getStats()
        return sum(s.packetsReceived for s in stats.values() if s.type == "inbound-rtp")

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.pc.close()
