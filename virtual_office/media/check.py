"""Connection check: the server echoes a browser's own camera and microphone back.

Lets a citizen see, before joining, that media reaches the server and comes
back (same path, same codecs, same ICE settings as a visit). The check closes
itself after ``MediaConfig.check_seconds`` or when the connection ends.
"""

from __future__ import annotations

import asyncio

from aiortc import RTCPeerConnection, RTCRtpTransceiver, RTCSessionDescription
from aiortc.mediastreams import MediaStreamTrack

from . import forwarding, ice, signaling
from .config import MediaConfig
from .errors import BadSignal, NegotiationFailed
from .fanout import Counters, Outlet, Policy, Source
from .peer import _AIORTC_ERRORS


class ConnectionCheck:
    """One echo connection, owned by the ``MediaServer``."""

    def __init__(self, config: MediaConfig, counters: Counters) -> None:
        self._config = config
        self._counters = counters
        self._pc = RTCPeerConnection(config.rtc_configuration())
        self._sources: list[Source] = []
        self._outlets: list[tuple[RTCRtpTransceiver, Outlet]] = []
        self.done = asyncio.Event()

    async def answer(self, offer: signaling.Message) -> signaling.Message:
        """Answer the browser's offer (``sendrecv`` m-lines are echoed)."""
        message = signaling.parse(offer)
        if message.type != "offer":
            raise BadSignal("a connection check starts with an offer")
        pc = self._pc

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            transceiver = next(t for t in pc.getTransceivers() if t.receiver.track is track)
            source = Source(
                participant_id="",
                name="microphone" if track.kind == "audio" else "camera",
                track=track,
                receiver=transceiver.receiver,
                policy=Policy(forward=self._config.forward),
                counters=self._counters,
            )
            outlet = Outlet(source, self._counters)
            transceiver.sender.replaceTrack(outlet)
            outlet.bind(transceiver.sender)
            outlet.attach()
            self._sources.append(source)
            self._outlets.append((transceiver, outlet))

        @pc.on("connectionstatechange")
        def on_state() -> None:
            if pc.connectionState in ("failed", "closed"):
                self.done.set()

        try:
            for kind, _ in signaling.media_sections(message.sdp):
                if kind in ("audio", "video"):
                    transceiver = pc.addTransceiver(kind, direction="sendrecv")
                    codecs = self._config.audio_codecs if kind == "audio" else self._config.video_codecs
                    transceiver.setCodecPreferences(signaling.codec_preferences(kind, codecs))
            with ice.using(self._config):
                await pc.setRemoteDescription(RTCSessionDescription(message.sdp, "offer"))
                await pc.setLocalDescription(await pc.createAnswer())
        except _AIORTC_ERRORS as exc:
            await self.close()
            raise NegotiationFailed(f"cannot answer the offer: {exc}") from exc
        for transceiver, outlet in self._outlets:
            outlet.negotiated(forwarding.sending_codec_parameters(transceiver))
        return {"type": "answer", "sdp": ice.announce(pc.localDescription.sdp, self._config)}

    async def run(self) -> None:
        """Wait until the check times out or the connection ends, then close it."""
        try:
            await asyncio.wait_for(self.done.wait(), self._config.check_seconds)
        except TimeoutError:
            pass
        finally:
            await self.close()

    async def close(self) -> None:
        self.done.set()
        for source in self._sources:
            await source.stop()
        await self._pc.close()
