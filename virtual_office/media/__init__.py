"""Media of a visit: server-side aiortc connections that relay between participants.

Each participant's browser has one peer connection to the server; the server
forwards every participant's microphone, camera and screen to every other
participant of the session, as RTP packets (no reassembly, no decoding, no
re-encoding) where both legs use the same codec (VP8 and Opus are preferred
on every leg), else re-encoded, except in an ``encrypted`` session.
This package knows nothing of HTTP or socket.io: signaling messages are plain
dicts the server relays.

Usage::

    media = MediaServer(MediaConfig(ice_servers=(IceServer(("turn:turn.example.org:3478",), "u", "p"),)))
    session = media.open_session(visit_id, on_signal)   # on_signal(participant_id, message); encrypted=True: E2EE
    session.admit(clerk_id); session.admit(citizen_id)
    await session.signal(citizen_id, message)            # every message from a browser
    await session.remove(colleague_id)                   # let a colleague go
    await session.disconnect(citizen_id)                 # socket gone; may reconnect with a new offer
    await media.close_session(visit_id)                  # the visit ended
    answer = await media.connection_check(offer)         # camera/microphone echo test
    await media.close()

Browser -> server messages (``Session.signal``):

- ``{"type": "offer", "sdp": ..., "sources"?: {mid: "microphone"|"camera"|"screen"}}``:
  the browser's first offer, and every later one (e.g. when it starts or stops
  sharing its screen). Send it after ICE gathering completed (the server does
  not trickle). Without ``sources``, audio is the microphone, the first video
  the camera and any further video the screen.
- ``{"type": "answer", "sdp": ...}``: the answer to an offer from the server.
- ``{"type": "candidate", "candidate": ..., "sdpMid": ..., "sdpMLineIndex": ...}``:
  optional trickled candidates (``candidate: null`` ends them).

Server -> browser messages (``on_signal``):

- ``{"type": "answer", "sdp": ..., "tracks": {...}}``
- ``{"type": "offer", "sdp": ..., "tracks": {...}}``: whenever what the server
  sends changes (someone joins, leaves, starts or stops a screen). The browser
  answers with ``setRemoteDescription`` + ``setLocalDescription()`` and sends
  the answer. If it has an offer of its own outstanding it rolls it back first
  (the server never gives way) and offers again afterwards. Without an answer
  within ``MediaConfig.answer_seconds`` the server closes the connection; a
  browser that cannot apply an offer starts over with a new one.

``tracks`` maps each mid the server sends on to
``{"participant": participant_id, "source": "microphone"|"camera"|"screen"}``;
a mid missing from the latest map is no longer sent (its remote track goes
muted). The stream id of every received track is the participant id too.

``Session.participants`` lists the admitted, ``Session.connected`` those with
an open connection; ``Session.encrypted`` says (and sets) whether payloads
are end-to-end encrypted, ``Session.refused()`` lists the tracks an encrypted
session cannot send for a codec mismatch; ``MediaServer.counters`` counts
forwarded packets and frames, re-encoded frames, keyframe requests (passed and
held back) and bandwidth estimates passed on.

Errors (``virtual_office.media.errors``): ``NotAdmitted``, ``BadSignal``,
``NegotiationFailed``, ``SessionClosed``, ``Busy``, all ``MediaError``.
"""

from .config import IceServer, MediaConfig
from .errors import BadSignal, Busy, MediaError, NegotiationFailed, NotAdmitted, SessionClosed
from .server import MediaServer
from .session import Session

__all__ = [
    "BadSignal",
    "Busy",
    "IceServer",
    "MediaConfig",
    "MediaError",
    "MediaServer",
    "NegotiationFailed",
    "NotAdmitted",
    "Session",
    "SessionClosed",
]
