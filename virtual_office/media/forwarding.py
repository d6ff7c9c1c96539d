"""Forwarding encoded frames through aiortc: every use of aiortc internals.

aiortc decodes every received frame and encodes every sent one. To relay
without re-encoding, this module relies on internals of aiortc 1.16.0 (pinned
in setup.cfg); tests/media/test_forwarding.py exercises each of them so an
upgrade that changes them fails loudly:

- ``RTCRtpReceiver.__decoder_queue``: the receiver puts every reassembled
  frame ``(codec, JitterFrame)`` into this queue for its decoder thread (and
  ``None`` to stop it). For a track in packet mode it is replaced by a queue
  that turns the frame into an ``av.Packet`` (pts and time_base set) right
  away, on the event loop: no decoding and no hop to the decoder thread,
  which just waits for the stop.
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
from collections.abc import Callable
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
from aiortc.rtcrtpreceiver import RemoteStreamTrack
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


def request_keyframe(receiver: RTCRtpReceiver) -> None:
    """Send a PLI for every media SSRC the receiver currently gets."""
    rtx_ssrc: dict[int, int] = receiver._RTCRtpReceiver__rtx_ssrc  # type: ignore[attr-defined]  # private, name-mangled
    rtx = set(rtx_ssrc)
    for source in receiver.getSynchronizationSources():
        if source.source not in rtx:
            asyncio.ensure_future(receiver._send_rtcp_pli(source.source))


def on_keyframe_request(sender: RTCRtpSender, callback: Callable[[], object]) -> None:
    """Call ``callback`` instead of flagging the sender's encoder on a PLI/FIR (its result is unused)."""
    # Replaces the method on this one sender, which aiortc's types cannot allow.
    sender._send_keyframe = callback  # type: ignore[method-assign, assignment]


def set_msid(sender: RTCRtpSender, stream_id: str, track_id: str) -> None:
    """Set the ``a=msid`` the sender's m-line carries in the next offer or answer."""
    sender._stream_id = stream_id
    sender._track_id = track_id


def sending_codec(transceiver: RTCRtpTransceiver) -> str | None:
    """The MIME type (lower case) the transceiver sends with, once negotiated."""
    codecs = transceiver._codecs
    return codecs[0].mimeType.lower() if codecs else None


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
