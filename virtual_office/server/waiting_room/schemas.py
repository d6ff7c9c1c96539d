"""What the waiting room receives: the join and connection check bodies, and the events of /citizen."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, StringConstraints

from virtual_office.media.signaling import MAX_SDP_LENGTH
from virtual_office.server.schemas import Connect, Empty, Events, Payload, Secret, one_line

# As the waiting room keeps them (virtual_office.queue.waiting_room): one line each.
Name = Annotated[str, AfterValidator(one_line(80))]
Concern = Annotated[str, AfterValidator(one_line(200))]
Language = Annotated[str, AfterValidator(one_line(10))]


class CitizenConnect(Connect):
    """/citizen's ``auth``: the ticket's token the page keeps (the queue says whether it is one)."""

    token: Secret | None = None


class Join(Payload):
    """``POST /api/offices/{id}/tickets``: what the citizen chose to give, all of it optional."""

    name: Name | None = None
    concern: Concern | None = None
    language: Language | None = None


class CheckOffer(Payload):
    """``POST /api/connection-check``: the browser's offer (its SDP is read by the media server)."""

    type: Literal["offer"]
    sdp: Annotated[str, StringConstraints(max_length=MAX_SDP_LENGTH)]


EVENTS: Events = {
    "heartbeat": Empty,
    "leave": Empty,
    "accept": Empty,
}
"""/citizen: the ticket is the connection's own; no event names anything else."""

__all__ = ["EVENTS", "CheckOffer", "Join"]
