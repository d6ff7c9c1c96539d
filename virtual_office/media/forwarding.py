"""Forwarding encoded frames through aiortc: every use of aiortc internals.

aiortc decodes every received frame and encodes every sent one. To relay
without re-encoding, this module relies on internals of aiortc 1.16.0 (pinned
in setup.cfg); tests/media/test_forwarding.py exercises each of them so an
upgrade that changes them fails loudly:

- ``aiortc.rtcrtpreceiver.decoder_worker`` / ``get_decoder``: the receiver's
  decoder thread. For tracks put in packet mode the "decoder" hands each
  reassembled frame on as an ``av.Packet`` (pts and time_base set).
- ``RTCRtpSender._next_encoded_frame`` packs an ``av.Packet`` with the codec's
  ``Encoder.pack`` instead of encoding it (public behaviour of 1.16).
- ``RTCRtpSender._send_keyframe``: called on a PLI/FIR from the subscriber; it
  only sets a flag for an encoder, so with packets it must be passed on.
- ``RTCRtpReceiver._send_rtcp_pli`` and its SSRC bookkeeping: to ask the
  source for a keyframe.
- ``RTCRtpSender._stream_id`` / ``_track_id``: written into ``a=msid``.
- ``RTCRtpTransceiver._codecs``: the negotiated codecs, first one in use.
"""

from __future__ import annotations

import asyncio
import fractions
import threading
import weakref
from collections.abc import Callable

import av
from aiortc import RTCRtpReceiver, RTCRtpSender, RTCRtpTransceiver
from aiortc import rtcrtpreceiver
from aiortc.codecs.base import Decoder
from aiortc.mediastreams import MediaStreamTrack

_original_decoder_worker = rtcrtpreceiver.decoder_worker
_original_get_decoder = rtcrtpreceiver.get_decoder


class CodecInfo:
    """What a packet-mode track carries; filled in by its decoder thread."""

    mime_type: str | None = None


# Output queue of a remote track in packet mode -> its CodecInfo.
_packet_queues: "weakref.WeakKeyDictionary[asyncio.Queue, CodecInfo]" = (
    weakref.WeakKeyDictionary()
)
_thread = threading.local()


class PacketDecoder(Decoder):
    """A 'decoder' that passes the reassembled encoded frame on as an av.Packet."""

    def __init__(self, codec, info: CodecInfo) -> None:
        self._time_base = fractions.Fraction(1, codec.clockRate)
        info.mime_type = codec.mimeType.lower()

    def decode(self, encoded_frame) -> list:
        packet = av.Packet(encoded_frame.data)
        packet.pts = encoded_frame.timestamp
        packet.time_base = self._time_base
        return [packet]


def _decoder_worker(loop, input_q, output_q, decode_error) -> None:
    # Runs in the receiver's own thread: remember which kind of decoder it needs.
    _thread.info = _packet_queues.get(output_q)
    _original_decoder_worker(loop, input_q, output_q, decode_error)


def _get_decoder(codec):
    info = getattr(_thread, "info", None)
    if info is not None:
        return PacketDecoder(codec, info)
    return _original_get_decoder(codec)


def install() -> None:
    """Put the decoder replacement in place (idempotent; other tracks still decode)."""
    rtcrtpreceiver.decoder_worker = _decoder_worker
    rtcrtpreceiver.get_decoder = _get_decoder


def use_packets(track: MediaStreamTrack) -> CodecInfo:
    """Make a remote track yield ``av.Packet`` instead of decoded frames.

    Must be called before its receiver starts (i.e. from the peer connection's
    "track" event), since the decoder thread starts with the receiver.
    """
    install()
    info = CodecInfo()
    _packet_queues[track._queue] = info
    return info


def request_keyframe(receiver: RTCRtpReceiver) -> None:
    """Send a PLI for every media SSRC the receiver currently gets."""
    rtx = set(receiver._RTCRtpReceiver__rtx_ssrc)
    for source in receiver.getSynchronizationSources():
        if source.source not in rtx:
            asyncio.ensure_future(receiver._send_rtcp_pli(source.source))


def on_keyframe_request(sender: RTCRtpSender, callback: Callable[[], None]) -> None:
    """Call ``callback`` instead of flagging the sender's encoder on a PLI/FIR."""
    sender._send_keyframe = callback


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
    encoder = sender._RTCRtpSender__encoder
    if encoder is None:
        return False
    if hasattr(encoder, "first_packet_pts"):  # Opus: set by the first encode()
        return encoder.first_packet_pts is not None
    return getattr(encoder, "codec", None) is not None  # VP8/H.264: opened by encode()


def packet_decoder(mime_type: str) -> Callable[[av.Packet], list]:
    """Decode packets of ``mime_type`` to frames (for a subscriber that needs another codec)."""
    from aiortc.jitterbuffer import JitterFrame
    from aiortc.rtcrtpparameters import RTCRtpCodecParameters

    kind = mime_type.split("/")[0]
    codec = RTCRtpCodecParameters(
        mimeType=mime_type, clockRate=48000 if kind == "audio" else 90000
    )
    decoder = _original_get_decoder(codec)
    return lambda packet: decoder.decode(JitterFrame(bytes(packet), packet.pts))
