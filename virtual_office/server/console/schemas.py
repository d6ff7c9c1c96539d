"""What the console sends over /clerk: every event names the office it acts on."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import StringConstraints

from virtual_office.server.schemas import Events, OfficeId, Payload, TicketId


class OfficeAction(Payload):
    """``call_next``."""

    office_id: OfficeId


class PresenceChange(OfficeAction):
    presence: Literal["available", "paused", "offline"]


class TicketAction(OfficeAction):
    """``call``, ``no_show``, ``finish``, ``send_back``: one ticket of the office."""

    ticket_id: TicketId


class Transfer(TicketAction):
    target_office_id: OfficeId


class Announcement(OfficeAction):
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
    """Trimmed; what remains goes to everyone waiting (the waiting room keeps it an hour)."""


EVENTS: Events = {
    "presence": PresenceChange,
    "call_next": OfficeAction,
    "call": TicketAction,
    "no_show": TicketAction,
    "finish": TicketAction,
    "send_back": TicketAction,
    "transfer": Transfer,
    "announce": Announcement,
}

__all__ = ["EVENTS", "Announcement", "OfficeAction", "PresenceChange", "TicketAction", "Transfer"]
