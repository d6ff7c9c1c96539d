"""What members send over /visit: who they are, media signaling, colleagues, and the exchange's events.

Signaling messages are checked for shape here (types, lengths, the sources a browser
names); what the SDP says is the media server's to check (``virtual_office.media.signaling``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, RootModel, StringConstraints, model_validator

from virtual_office.media.signaling import MAX_CANDIDATE_LENGTH, MAX_SDP_LENGTH, MAX_SOURCES
from virtual_office.server.schemas import ClerkId, Connect, Empty, Events, Payload, Secret, TicketId
from virtual_office.server.visit.exchange.schemas import EVENTS as EXCHANGE_EVENTS
from virtual_office.server.visit.payments.schemas import EVENTS as PAYMENT_EVENTS

Sdp = Annotated[str, StringConstraints(max_length=MAX_SDP_LENGTH)]
Mid = Annotated[str, StringConstraints(max_length=64)]
"""An m-line's id as the browser names it (``"0"``, ``"1"``, ...)."""
Source = Literal["microphone", "camera", "screen"]


class VisitConnect(Connect):
    """/visit's ``auth``: the visit, and the citizen's ticket token (staff come with their login cookie)."""

    visit: TicketId | None = None
    """A visit is named by its ticket."""
    token: Secret | None = None


class Offer(Payload):
    type: Literal["offer"]
    sdp: Sdp
    sources: Annotated[dict[Mid, Source], Field(max_length=MAX_SOURCES)] | None = None


class Answer(Payload):
    type: Literal["answer"]
    sdp: Sdp


class Candidate(Payload):
    """A trickled ICE candidate, as ``RTCIceCandidate.toJSON()`` gives it (``candidate: null`` ends them)."""

    type: Literal["candidate"]
    candidate: Annotated[str, StringConstraints(max_length=MAX_CANDIDATE_LENGTH)] | None = None
    sdp_mid: Annotated[Mid | None, Field(alias="sdpMid")] = None
    sdp_mline_index: Annotated[int | None, Field(alias="sdpMLineIndex", ge=0, le=1024)] = None
    username_fragment: Annotated[
        Annotated[str, StringConstraints(max_length=256)] | None, Field(alias="usernameFragment")
    ] = None


class Signal(RootModel[Annotated[Offer | Answer | Candidate, Field(discriminator="type")]]):
    """One signaling message from a member's browser (docs/events.md, docs/media.md)."""

    model_config = ConfigDict(strict=True, frozen=True, hide_input_in_errors=True)

    def message(self) -> dict[str, Any]:
        """The message for the media server, with the browser's field names and no nulls."""
        return self.root.model_dump(by_alias=True, exclude_none=True)


Participant = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9:_-]+$")]
"""A member within a visit: ``citizen`` or ``clerk:<id>``."""
KeyBytes = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_-]+$")]
"""Bytes a browser sends another, base64url without padding (an uncompressed P-256 public key is 87 characters)."""


class KeyMessage(Payload):
    """``key``: a browser's end-to-end key message for one other member, opaque to the server (docs/e2ee.md)."""

    to: Participant
    kind: Literal["commit", "hello", "key"]
    """``commit``: the hash of the ``hello`` I will send; ``hello``: my public key and nonce, once I
    hold everyone's commitment; ``key``: my media key, sealed for you."""
    commit: KeyBytes | None = None
    public: KeyBytes | None = None
    nonce: KeyBytes | None = None
    sealed: KeyBytes | None = None

    @model_validator(mode="after")
    def _fields_of_kind(self) -> KeyMessage:
        fields = {name for name in ("commit", "public", "nonce", "sealed") if getattr(self, name) is not None}
        if fields != _KEY_FIELDS[self.kind]:
            raise ValueError("fields do not fit the kind")
        return self


_KEY_FIELDS = {"commit": {"commit"}, "hello": {"public", "nonce"}, "key": {"public", "sealed"}}


class Colleague(Payload):
    """``invite``, ``dismiss``: a clerk account."""

    clerk_id: ClerkId


EVENTS: Events = {
    "whoami": Empty,
    "signal": Signal,
    "key": KeyMessage,
    "encryption": Empty,
    "cannot_encrypt": Empty,
    "allow_unencrypted": Empty,
    "colleagues": Empty,
    "invite": Colleague,
    "dismiss": Colleague,
    **EXCHANGE_EVENTS,
    **PAYMENT_EVENTS,
}

__all__ = ["EVENTS", "Answer", "Candidate", "Colleague", "KeyMessage", "Offer", "Signal"]
