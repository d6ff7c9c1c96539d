"""RTP packets on their way through: what a forwarded packet's header becomes, and where pictures start.

Nothing here looks into a payload beyond its codec's payload descriptor and
the first byte of the picture header: with end-to-end encryption the rest is
ciphertext, and VP8 keeps exactly these bytes in clear.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from aiortc.rtcrtpparameters import RTCRtpCodecParameters

_H264_IDR = 5
_H264_SPS = 7
_H264_STAP_A = 24
_H264_FU_A = 28


def same_codec(a: RTCRtpCodecParameters, b: RTCRtpCodecParameters) -> bool:
    """Whether packets of codec ``a`` may go out unchanged as codec ``b`` (payload type aside)."""
    if a.mimeType.lower() != b.mimeType.lower() or a.clockRate != b.clockRate:
        return False
    if a.mimeType.lower() == "video/h264":  # the packetization decides how a frame is cut
        return a.parameters.get("packetization-mode", 0) == b.parameters.get("packetization-mode", 0)
    return True


def starts_keyframe(mime_type: str, payload: bytes) -> bool:
    """Whether ``payload`` is the first packet of a keyframe (True for codecs without pictures)."""
    if mime_type == "video/vp8":
        return _vp8_starts_keyframe(payload)
    if mime_type == "video/h264":
        return _h264_starts_keyframe(payload)
    return not mime_type.startswith("video/")


def keyframes_known(mime_type: str) -> bool:
    """Whether ``starts_keyframe`` can tell keyframes of this codec (else every packet counts as one)."""
    return mime_type in ("video/vp8", "video/h264") or not mime_type.startswith("video/")


def _vp8_starts_keyframe(payload: bytes) -> bool:
    # RFC 7741 section 4.2: the payload descriptor, then the VP8 payload header,
    # whose lowest bit P is 0 for a keyframe (only in a partition's first packet).
    if len(payload) < 1:
        return False
    first = payload[0]
    if not first & 0x10 or first & 0x07:  # S: start of a partition; PID: partition 0
        return False
    pos = 1
    if first & 0x80:  # X: extended control bits follow
        if len(payload) < 2:
            return False
        extended = payload[1]
        pos = 2
        if extended & 0x80:  # I: picture id, one or two bytes
            if len(payload) <= pos:
                return False
            pos += 2 if payload[pos] & 0x80 else 1
        if extended & 0x40:  # L: TL0PICIDX
            pos += 1
        if extended & 0x30:  # T or K: TID/KEYIDX
            pos += 1
    return len(payload) > pos and not payload[pos] & 0x01


def _h264_starts_keyframe(payload: bytes) -> bool:
    # RFC 6184: a single NAL unit, an aggregate (STAP-A) or the first fragment (FU-A).
    if not payload:
        return False
    nal_type = payload[0] & 0x1F
    if nal_type in (_H264_IDR, _H264_SPS):
        return True
    if nal_type == _H264_STAP_A:
        pos = 1
        while pos + 2 < len(payload):
            size = int.from_bytes(payload[pos : pos + 2], "big")
            if payload[pos + 2] & 0x1F in (_H264_IDR, _H264_SPS):
                return True
            pos += 2 + size
        return False
    if nal_type == _H264_FU_A and len(payload) > 1:
        return bool(payload[1] & 0x80) and payload[1] & 0x1F == _H264_IDR
    return False


@dataclass
class Rewriter:
    """Sequence numbers and timestamps of one outgoing stream, continuous whatever comes in.

    The stream starts at random numbers. Whenever its input starts over (a new
    incoming SSRC, a source switched, a pause ended), the next packet follows
    the last one sent: sequence number plus one, timestamp advanced by the
    time that passed, so the receiving browser sees one stream throughout.
    """

    clock_rate: int
    _seq_offset: int = 0
    _ts_offset: int = 0
    _last_seq: int = field(default_factory=lambda: random.randrange(0x8000))  # lower half: no early wrap
    _last_ts: int = field(default_factory=lambda: random.randrange(1 << 32))
    _last_time: float | None = None
    _input_ssrc: int | None = None

    def starts_over(self, ssrc: int) -> bool:
        """Whether a packet of ``ssrc`` begins a new input (so must not be cut into a picture)."""
        return ssrc != self._input_ssrc

    def restart(self) -> None:
        """The next packet begins a new input, even from the same SSRC."""
        self._input_ssrc = None

    def rewrite(self, ssrc: int, sequence_number: int, timestamp: int, now: float) -> tuple[int, int]:
        """The outgoing sequence number and timestamp of an incoming packet."""
        if ssrc != self._input_ssrc:
            self._input_ssrc = ssrc
            elapsed = 0 if self._last_time is None else now - self._last_time
            next_ts = (self._last_ts + max(1, int(elapsed * self.clock_rate))) & 0xFFFFFFFF
            self._seq_offset = (self._last_seq + 1 - sequence_number) & 0xFFFF
            self._ts_offset = (next_ts - timestamp) & 0xFFFFFFFF
        seq = (sequence_number + self._seq_offset) & 0xFFFF
        ts = (timestamp + self._ts_offset) & 0xFFFFFFFF
        if 0 < (seq - self._last_seq) & 0xFFFF < 0x8000 or self._last_time is None:  # newer: the stream moves on
            self._last_seq = seq
            self._last_ts = ts
        self._last_time = now
        return seq, ts


class KeyframeBackoff:
    """How often one subscriber's keyframe requests reach the sender.

    A browser asks for a keyframe about every 0.2–0.4 s for as long as it
    cannot decode, which a viewer without the key of an end-to-end encrypted
    session never can. The first request passes at once; while the requests
    keep coming, the wait until the next one passes doubles, up to ``longest``;
    after ``quiet`` seconds without any, the next passes at once again.
    """

    def __init__(self, shortest: float = 0.3, longest: float = 8.0, quiet: float = 1.5) -> None:
        self.shortest = shortest
        self.longest = longest
        self.quiet = quiet
        self._wait = shortest
        self._next = 0.0
        self._last: float | None = None

    def allow(self, now: float) -> bool:
        """Whether a request at ``now`` goes on to the sender."""
        if self._last is None or now - self._last > self.quiet:
            self._wait = self.shortest
            self._next = now
        self._last = now
        if now < self._next:
            return False
        self._next = now + self._wait
        self._wait = min(self._wait * 2, self.longest)
        return True
