"""Signaling messages exchanged with a browser, and the little SDP reading they need.

Browser -> server (``Session.signal``):

- ``{"type": "offer", "sdp": str, "sources"?: {mid: "microphone"|"camera"|"screen"}}``
- ``{"type": "answer", "sdp": str}``
- ``{"type": "candidate", "candidate": str|None, "sdpMid"?: str, "sdpMLineIndex"?: int}``

Server -> browser (``on_signal``):

- ``{"type": "answer", "sdp": str, "tracks": {...}}``
- ``{"type": "offer", "sdp": str, "tracks": {...}}``

``tracks`` maps the mid of every m-line on which the server currently sends to
``{"participant": id, "source": "microphone"|"camera"|"screen"}``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from aiortc import RTCRtpReceiver
from aiortc.rtcrtpparameters import RTCRtpCodecCapability

from .errors import BadSignal

SOURCE_NAMES = ("microphone", "camera", "screen")
MAX_SDP_LENGTH = 200_000
MAX_CANDIDATE_LENGTH = 1_000
MAX_SOURCES = 32
MAX_MEDIA_SECTIONS = 16
"m-lines a browser may offer (each costs the server a receiver and a thread)."
MEDIA_KINDS = ("audio", "video", "application")
"m-line kinds aiortc negotiates; on any other it fails half-way, with a peer connection it cannot even close."

Message = dict[str, object]
"A signaling message as exchanged with a browser (JSON)."


@dataclass(frozen=True)
class Description:
    """A validated offer or answer from a browser."""

    type: Literal["offer", "answer"]
    sdp: str
    sources: dict[str, str] | None = None


@dataclass(frozen=True)
class Candidate:
    """A validated trickled ICE candidate from a browser (``candidate`` None ends them)."""

    type: Literal["candidate"] = "candidate"
    candidate: str | None = None
    sdp_mid: str | None = None
    sdp_mline_index: int | None = None


Signal = Description | Candidate
"A validated message from a browser."


def parse(message: object) -> Signal:
    """Validate a browser's message; raise ``BadSignal`` saying what is wrong."""
    if not isinstance(message, dict):
        raise BadSignal("a signaling message must be an object")
    kind = message.get("type")
    if kind in ("offer", "answer"):
        sdp = message.get("sdp")
        if not isinstance(sdp, str) or not sdp.startswith("v=0"):
            raise BadSignal(f"{kind} needs an SDP string")
        if len(sdp) > MAX_SDP_LENGTH:
            raise BadSignal(f"SDP longer than {MAX_SDP_LENGTH} characters")
        if kind == "offer" and len(re.findall(r"^m=", sdp, re.M)) > MAX_MEDIA_SECTIONS:
            raise BadSignal(f"more than {MAX_MEDIA_SECTIONS} media sections")
        if any(media not in MEDIA_KINDS for media, _ in media_sections(sdp)):
            raise BadSignal(f"media sections are {', '.join(MEDIA_KINDS)}")
        sources = message.get("sources") if kind == "offer" else None
        if sources is not None:
            if not isinstance(sources, dict) or len(sources) > MAX_SOURCES:
                raise BadSignal("sources must map at most 32 mids to source names")
            for mid, name in sources.items():
                if not isinstance(mid, str) or name not in SOURCE_NAMES:
                    raise BadSignal(f"source names are {', '.join(SOURCE_NAMES)}")
        return Description(type=kind, sdp=sdp, sources=sources)
    if kind == "candidate":
        candidate = message.get("candidate")
        mid = message.get("sdpMid")
        index = message.get("sdpMLineIndex")
        if candidate is not None and (
            not isinstance(candidate, str) or len(candidate) > MAX_CANDIDATE_LENGTH
        ):
            raise BadSignal("candidate must be a string or null")
        if mid is not None and not isinstance(mid, str):
            raise BadSignal("sdpMid must be a string")
        if index is not None and (not isinstance(index, int) or isinstance(index, bool)):
            raise BadSignal("sdpMLineIndex must be an integer")
        return Candidate(candidate=candidate or None, sdp_mid=mid, sdp_mline_index=index)
    raise BadSignal("type must be offer, answer or candidate")


_MLINE = re.compile(r"^m=(\w*)")


def media_sections(sdp: str) -> list[tuple[str, str | None]]:
    """``(kind, mid)`` of every m-line, in order."""
    sections: list[tuple[str, str | None]] = []
    parts = re.split(r"^(?=m=)", sdp, flags=re.M)[1:]
    for part in parts:
        line = _MLINE.match(part)
        assert line is not None  # every part starts with "m="
        kind = line.group(1)
        mid = re.search(r"^a=mid:(\S+)", part, re.M)
        sections.append((kind, mid.group(1) if mid else None))
    return sections


_SETUP = re.compile(r"^a=setup:([^\s]*)", re.M)


def dtls_setup(sdp: str) -> str | None:
    """The first ``a=setup`` value (``actpass``, ``active`` or ``passive``), if any."""
    match = _SETUP.search(sdp)
    return match.group(1) if match else None


def with_dtls_setup(sdp: str, setup: str) -> str:
    """``sdp`` with every ``a=setup`` line (session and m-lines) saying ``setup``."""
    return _SETUP.sub(f"a=setup:{setup}", sdp)


def ice_ufrag(sdp: str) -> str | None:
    """The first ``a=ice-ufrag``: it changes when the browser starts a new peer connection."""
    match = re.search(r"^a=ice-ufrag:(\S+)", sdp, re.M)
    return match.group(1) if match else None


def codec_preferences(kind: str, mime_types: tuple[str, ...], first: str | None = None) -> list[RTCRtpCodecCapability]:
    """aiortc codec capabilities for ``kind`` in the given order (``first`` leading), with RTX."""
    order = [m.lower() for m in mime_types]
    if first and first in order:
        order.remove(first)
        order.insert(0, first)
    supported = RTCRtpReceiver.getCapabilities(kind)
    assert supported is not None  # aiortc has codecs for audio and for video
    capabilities = supported.codecs
    chosen: list[RTCRtpCodecCapability] = []
    for mime in order:
        chosen += [c for c in capabilities if c.mimeType.lower() == mime]
    chosen += [c for c in capabilities if c.mimeType.lower().endswith("/rtx")]
    return chosen
