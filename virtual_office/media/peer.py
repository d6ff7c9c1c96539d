"""One participant's peer connection to the server, and its negotiation.

The browser offers first (its microphone, camera and, later, screen). The
server answers, then makes its own offers whenever the set of tracks it should
send changes (someone joins, leaves or shares a screen): it adds one
``sendonly`` m-line per (participant, source) and turns it ``inactive`` when
that source goes away. An m-line is never reused for another source, so
timestamps and msids stay consistent; when a participant's new connection
brings a source again (a reload), the m-line that carried it goes on with the
new track, on the same stream, without a new offer.

Both sides may want to offer at once. The server is the impolite peer: an
offer from the browser that arrives while the server's own offer is
outstanding is ignored, and the browser (the polite peer) rolls back and
answers the server's offer, then offers again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aiortc import RTCPeerConnection, RTCRtpTransceiver, RTCSessionDescription
from aiortc.exceptions import InternalError, InvalidAccessError, InvalidStateError, OperationError
from aiortc.mediastreams import MediaStreamTrack
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.sdp import candidate_from_sdp

from . import forwarding, ice, packets, signaling
from .config import MediaConfig
from .errors import BadSignal, NegotiationFailed
from .fanout import REFUSED, Counters, Outlet, Policy, Source

logger = logging.getLogger(__name__)

# What aiortc raises on SDP it cannot use (its parser also asserts and indexes).
_AIORTC_ERRORS = (
    ValueError, AssertionError, KeyError, IndexError, TypeError,
    InternalError, InvalidAccessError, InvalidStateError, OperationError,
)

# The browser's a=setup that goes with the server's, and the other way round.
_COUNTERPART = {"active": "passive", "passive": "active"}


def _codec_of(source: Source) -> RTCRtpCodecParameters | None:
    """What the source sends with: its latest packet's codec, else its m-line's first."""
    return source.rtp_codec or source.negotiated


def _same_codec(a: RTCRtpCodecParameters | None, b: RTCRtpCodecParameters | None) -> bool:
    return a is None or b is None or packets.same_codec(a, b)


def _fixed_setup(setup: str | None) -> str | None:
    """``setup`` if it fixes a DTLS role (``active`` or ``passive``)."""
    return setup if setup in _COUNTERPART else None


class Peer:
    """The server's side of one participant's ``RTCPeerConnection``."""

    def __init__(
        self,
        participant_id: str,
        *,
        config: MediaConfig,
        counters: Counters,
        policy: Policy,
        send: Callable[[signaling.Message], Awaitable[None]],
        on_change: Callable[[], None],
    ) -> None:
        self.participant_id = participant_id
        self.sources: dict[str, Source] = {}  # by mid of the browser's m-line
        self._config = config
        self._counters = counters
        self._policy = policy
        self._send = send
        self._on_change = on_change
        self._pc: RTCPeerConnection | None = None
        self._ufrag: str | None = None
        self._dtls_setup: str | None = None  # the server's a=setup once its DTLS role is fixed
        self._lock = asyncio.Lock()
        self._outlets: dict[Source, tuple[RTCRtpTransceiver, Outlet]] = {}
        self._wanted: list[Source] = []
        self._kept: set[str] = set()
        self._names: dict[str, str] = {}
        self._renegotiation: asyncio.Task[None] | None = None
        self._answer_watch: asyncio.Task[None] | None = None
        self._closed = False

    @property
    def connection(self) -> RTCPeerConnection | None:
        """The live peer connection, if any (for statistics)."""
        return self._pc

    def active_sources(self) -> list[Source]:
        return [s for s in self.sources.values() if s.active]

    # --- from the browser -------------------------------------------------

    async def handle(self, message: signaling.Signal) -> None:
        if message.type == "offer":
            await self._handle_offer(message)
        elif message.type == "answer":
            await self._handle_answer(message)
        else:
            await self._handle_candidate(message)

    async def _handle_offer(self, message: signaling.Description) -> None:
        ufrag = signaling.ice_ufrag(message.sdp)
        async with self._lock:
            if self._pc is not None and ufrag != self._ufrag:
                await self._close_pc()  # the browser started over with a new peer connection
            pc = self._pc
            if pc is None:
                pc = self._open_pc(ufrag)
            if pc.signalingState == "have-local-offer":
                logger.debug("offer collision: keeping the server's offer")
                return
            self._names = dict(message.sources or {})
            sdp = self._one_dtls_role(message.sdp)
            try:
                self._prepare_receivers(pc, sdp)
                with ice.using(self._config):
                    await pc.setRemoteDescription(RTCSessionDescription(sdp, "offer"))
                    await pc.setLocalDescription(await pc.createAnswer())
            except _AIORTC_ERRORS as exc:
                await self._close_pc()
                raise NegotiationFailed(f"cannot answer the offer: {exc}") from exc
            if self._dtls_setup is None:  # the server's answer fixes its role (aiortc's offers say actpass)
                self._dtls_setup = _fixed_setup(signaling.dtls_setup(pc.localDescription.sdp))
            self._refresh_sources(pc)
            self._update_send_codecs()
            answer: signaling.Message = {
                "type": "answer", "sdp": ice.announce(pc.localDescription.sdp, self._config), "tracks": self._tracks()
            }
        await self._send(answer)
        self._on_change()
        self._schedule()

    async def _handle_answer(self, message: signaling.Description) -> None:
        async with self._lock:
            pc = self._pc
            if pc is None or pc.signalingState != "have-local-offer":
                raise BadSignal("an answer without an offer from the server")
            if self._answer_watch is not None:
                self._answer_watch.cancel()
            sdp = self._one_dtls_role(message.sdp)
            try:
                await pc.setRemoteDescription(RTCSessionDescription(sdp, "answer"))
            except _AIORTC_ERRORS as exc:
                await self._close_pc()
                self._on_change()
                raise NegotiationFailed(f"cannot apply the answer: {exc}") from exc
            if self._dtls_setup is None:  # the browser's answer fixed the role
                self._dtls_setup = _COUNTERPART.get(signaling.dtls_setup(sdp) or "")
            self._update_send_codecs()
        self._schedule()  # changes that came in while the offer was out

    async def _handle_candidate(self, message: signaling.Candidate) -> None:
        if message.candidate is None:
            return  # the end of candidates
        text = message.candidate.removeprefix("candidate:")
        try:
            candidate = candidate_from_sdp(text)
        except _AIORTC_ERRORS as exc:
            raise BadSignal("malformed ICE candidate") from exc
        pc = self._pc
        if pc is None or pc.remoteDescription is None:
            return  # the offer carries the candidates gathered so far; nothing to add
        candidate.sdpMid = message.sdp_mid
        candidate.sdpMLineIndex = message.sdp_mline_index
        if candidate.sdpMid is None and candidate.sdpMLineIndex is None:
            candidate.sdpMLineIndex = 0
        try:
            await pc.addIceCandidate(candidate)
        except _AIORTC_ERRORS as exc:
            raise BadSignal("unusable ICE candidate") from exc

    def _one_dtls_role(self, sdp: str) -> str:
        """The browser's ``sdp`` with the same ``a=setup`` on every line: one DTLS role.

        Every m-line shares the connection's one DTLS transport (max-bundle),
        yet aiortc 1.16 applies each m-line's ``a=setup`` of a remote
        description to that transport in turn
        (``RTCPeerConnection.setRemoteDescription``): the last m-line decides. aiortc's own offers say ``actpass`` on every
        m-line, even once the role is fixed, and Firefox ESR answers a re-offer
        with ``passive`` on the m-lines it had and ``active`` on the new ones:
        the server's role flipped from client to server. A handshake not yet
        started then never completed (both ends waiting as servers); one under
        way took its SRTP keys the wrong way round. A DTLS role cannot change
        on a running transport, so once the first answer fixed it, every
        ``a=setup`` of the browser's becomes its counterpart; before that (the
        browser's first offer), the first one (the BUNDLE tag's) holds for all.

        Rewriting the SDP touches nothing of aiortc's: guarding the transport's
        private ``_set_role`` instead would patch every transport of every
        connection, and aiortc's remote description would contradict the role.
        """
        setup = _COUNTERPART.get(self._dtls_setup or "") or signaling.dtls_setup(sdp)
        if not setup:
            return sdp  # no a=setup at all: aiortc refuses it with a clear error
        fixed = signaling.with_dtls_setup(sdp, setup)
        if fixed != sdp:
            logger.debug("%s: a=setup of the browser's description made %s throughout", self.participant_id, setup)
        return fixed

    # --- to the browser ---------------------------------------------------

    def want(self, sources: list[Source], *, keep: set[str] | None = None) -> None:
        """Send exactly these sources to the participant (renegotiating as needed).

        ``keep``: participants whose connection went and who may come back; their
        m-lines stay as they are, and their next tracks continue on them.
        """
        self._wanted = list(sources)
        self._kept = set(keep or ())
        self._schedule()

    def _schedule(self) -> None:
        if self._closed or (self._renegotiation and not self._renegotiation.done()):
            return
        self._renegotiation = asyncio.ensure_future(self._renegotiate())

    async def _renegotiate(self) -> None:
        async with self._lock:
            pc = self._pc
            if (
                pc is None
                or pc.remoteDescription is None
                or pc.signalingState != "stable"
                or pc.connectionState in ("closed", "failed")
            ):
                return  # an answer or a new offer will call _schedule again
            if not self._apply_wanted(pc):
                return
            try:
                with ice.using(self._config):
                    await pc.setLocalDescription(await pc.createOffer())
            except _AIORTC_ERRORS:
                logger.exception("cannot create an offer")
                await self._close_pc()
                self._on_change()
                return
            offer: signaling.Message = {
                "type": "offer", "sdp": ice.announce(pc.localDescription.sdp, self._config), "tracks": self._tracks()
            }
            self._watch_answer(pc)
        try:
            await self._send(offer)
        except Exception:  # the caller's transport; the answer watch gives up if need be
            logger.exception("cannot deliver an offer")

    def _watch_answer(self, pc: RTCPeerConnection) -> None:
        """Wait for the answer to the offer just made; its answer or the next offer
        ends the watch, so that no watch outlives its offer."""
        if self._answer_watch is not None:
            self._answer_watch.cancel()
        self._answer_watch = asyncio.ensure_future(self._expect_answer(pc))

    async def _expect_answer(self, pc: RTCPeerConnection) -> None:
        # aiortc cannot roll an offer back: without an answer the connection
        # could never change again, so it is closed and the browser starts over.
        await asyncio.sleep(self._config.answer_seconds)
        if self._pc is pc and pc.signalingState == "have-local-offer":
            self._answer_watch = None  # closing now: nothing may cancel this halfway
            logger.warning(
                "no answer from %s to an offer within %s s: closing the connection", self.participant_id, self._config.answer_seconds
            )
            await self._drop(pc)

    def _apply_wanted(self, pc: RTCPeerConnection) -> bool:
        """Add, resume and pause m-lines to match the wanted sources; True if any changed."""
        changed = False
        wanted = [s for s in self._wanted if s.active]
        for source in wanted:
            entry = self._outlets.get(source) or self._take_over(source)
            if entry is None:
                outlet = Outlet(source, self._counters)
                transceiver = pc.addTransceiver(outlet, direction="sendonly")
                codecs = (
                    self._config.audio_codecs if source.kind == "audio" else self._config.video_codecs
                )
                codec = _codec_of(source)
                transceiver.setCodecPreferences(
                    signaling.codec_preferences(source.kind, codecs, first=codec.mimeType.lower() if codec else None)
                )
                # A track id of its own per m-line: an m-line is never reused, and Chromium refuses
                # an offer in which a paused m-line and a new one (a reload, a second screen) share one.
                forwarding.set_msid(
                    transceiver.sender, source.participant_id, f"{source.participant_id}:{source.name}:{len(self._outlets)}"
                )
                outlet.bind(transceiver.sender)
                outlet.attach()
                self._outlets[source] = (transceiver, outlet)
                changed = True
            elif entry[0].direction != "sendonly":
                entry[0].direction = "sendonly"
                entry[1].attach()
                changed = True
        for source, (transceiver, outlet) in self._outlets.items():
            if source not in wanted and source.participant_id not in self._kept and transceiver.direction != "inactive":
                transceiver.direction = "inactive"
                outlet.detach()
                changed = True
        return changed

    def _take_over(self, source: Source) -> tuple[RTCRtpTransceiver, Outlet] | None:
        """The m-line that carried ``source``'s participant's same source on a connection now
        closed (a reload), switched to ``source``: same SSRC, numbers running on.

        Not if the new connection sends another codec than the old (another browser):
        that could mean re-encoding, or nothing in an encrypted session, where a new
        m-line that leads with its codec forwards.
        """
        previous = [
            old for old, (transceiver, _) in self._outlets.items()
            if old.participant_id == source.participant_id and old.name == source.name
            and old.kind == source.kind and not old.running and transceiver.direction == "sendonly"
            and _same_codec(_codec_of(old), _codec_of(source))
        ]
        if not previous:
            return None
        entry = self._outlets.pop(previous[-1])
        entry[1].switch(source)
        self._outlets[source] = entry
        return entry

    def _update_send_codecs(self) -> None:
        # Every negotiation may change the codec of any m-line.
        for transceiver, outlet in self._outlets.values():
            outlet.negotiated(forwarding.sending_codec_parameters(transceiver))

    def refused(self) -> list[Source]:
        """The sources this participant cannot get (an encrypted session, another codec)."""
        return [
            source for source, (transceiver, outlet) in self._outlets.items()
            if transceiver.direction == "sendonly" and outlet.way == REFUSED
        ]

    def _tracks(self) -> dict[str, dict[str, str]]:
        return {
            transceiver.mid: {"participant": source.participant_id, "source": source.name}
            for source, (transceiver, _) in self._outlets.items()
            if transceiver.mid is not None and transceiver.direction == "sendonly"
        }

    # --- connection -------------------------------------------------------

    def _open_pc(self, ufrag: str | None) -> RTCPeerConnection:
        pc = RTCPeerConnection(self._config.rtc_configuration())
        forwarding.keep_negotiated_ids(pc)
        self._pc = pc
        self._ufrag = ufrag
        self._dtls_setup = None

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            transceiver = next(t for t in pc.getTransceivers() if t.receiver.track is track)
            mid = transceiver.mid
            assert mid is not None  # aiortc sets the mids of an offer before its "track" events
            self.sources[mid] = Source(
                participant_id=self.participant_id,
                name=self._source_name(mid, track.kind),
                track=track,
                receiver=transceiver.receiver,
                policy=self._policy,
                counters=self._counters,
            )

        @pc.on("connectionstatechange")
        def on_state() -> None:
            if pc.connectionState == "failed":
                asyncio.ensure_future(self._drop(pc))

        return pc

    def _source_name(self, mid: str, kind: str) -> str:
        name = self._names.get(mid)
        if name is not None:
            return name
        if kind == "audio":
            return "microphone"
        taken = {s.name for s in self.sources.values()}
        return "camera" if "camera" not in taken else "screen"

    def _prepare_receivers(self, pc: RTCPeerConnection, sdp: str) -> None:
        # Transceivers made before the offer is applied carry our codec
        # preferences into the answer (aiortc would otherwise take any codec).
        known = {t.mid for t in pc.getTransceivers()}
        for kind, mid in signaling.media_sections(sdp):
            if kind in ("audio", "video") and mid not in known:
                transceiver = pc.addTransceiver(kind, direction="recvonly")
                codecs = self._config.audio_codecs if kind == "audio" else self._config.video_codecs
                transceiver.setCodecPreferences(signaling.codec_preferences(kind, codecs))

    def _refresh_sources(self, pc: RTCPeerConnection) -> None:
        for transceiver in pc.getTransceivers():
            source = self.sources.get(transceiver.mid) if transceiver.mid is not None else None
            if source is not None and source.running:
                source.active = transceiver.currentDirection in ("recvonly", "sendrecv")
                source.negotiated = forwarding.sending_codec_parameters(transceiver)

    async def _drop(self, pc: RTCPeerConnection) -> None:
        async with self._lock:
            if self._pc is pc:
                await self._close_pc()
        self._on_change()

    async def _close_pc(self) -> None:
        pc, self._pc = self._pc, None
        sources = list(self.sources.values())
        self.sources.clear()
        for _, outlet in self._outlets.values():
            outlet.detach()
        self._outlets.clear()
        for source in sources:
            await source.stop()
        if pc is not None:
            await pc.close()

    async def close(self) -> None:
        """Close the connection for good."""
        self._closed = True
        for task in (self._renegotiation, self._answer_watch):
            if task is not None and not task.done():
                task.cancel()
        async with self._lock:
            await self._close_pc()
