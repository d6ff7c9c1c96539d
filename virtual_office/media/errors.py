"""Errors raised by the media package.

aiortc's own exceptions never leave the package: they are translated here at
the boundary (``raise NegotiationFailed(...) from exc``).
"""


class MediaError(Exception):
    """Base class of every error the media package raises."""


class NotAdmitted(MediaError):
    """The participant is not admitted to the session (or was let go)."""


class BadSignal(MediaError):
    """A signaling message is malformed: wrong type, missing or oversized field."""


class NegotiationFailed(MediaError):
    """An offer or answer could not be applied (no common codec, bad SDP, wrong state).

    The participant's connection is closed; the browser may start over with a
    fresh peer connection and a new offer.
    """


class SessionClosed(MediaError):
    """The session was closed; it accepts no more signaling."""


class Busy(MediaError):
    """Too many connection checks are running at once; try again later."""
