"""The names the browsers and the server agree on: socket.io namespaces, rooms, participants.

Rooms are shared by every process through socket.io's Redis manager, so a name built
here reaches the same people whichever process emits. docs/events.md describes the
events sent to them.
"""

from __future__ import annotations

PUBLIC = "/public"
"""Office status for the widget: read-only, no authentication."""
CITIZEN = "/citizen"
"""One ticket's live view, by the ticket's token."""
CLERK = "/clerk"
"""The console: the queue and the clerk's actions, by the login session."""
VISIT = "/visit"
"""A video visit: signaling, chat, files; members only."""

# The roles of a visit's members.
CITIZEN_ROLE = "citizen"
SERVING_CLERK = "clerk"
GUEST = "guest"
"""A colleague or interpreter the serving clerk added."""


TICKET_STORAGE_PREFIX = "virtual-office.ticket."
"""Browser storage key of an office's ticket token, + office id (the waiting room and visit pages share it; shared.js VO.keep)."""


def waiting_room_url(office_id: str, lang: str) -> str:
    return f"/w/{office_id}?lang={lang}"


def visit_url(visit_id: str) -> str:
    return f"/visit/{visit_id}"


def office_room(office_id: str, lang: str) -> str:
    """/public: everyone watching one office's status in one language."""
    return f"office:{office_id}:{lang}"


def ticket_room(ticket_id: str) -> str:
    """/citizen: every tab of one ticket."""
    return f"ticket:{ticket_id}"


def staff_room(office_id: str) -> str:
    """/clerk: every console of an office's staff."""
    return f"staff:{office_id}"


def clerk_room(clerk_id: str) -> str:
    """/clerk: every console one clerk has open."""
    return f"clerk:{clerk_id}"


def visit_room(visit_id: str) -> str:
    """/visit: every connection of every member of one visit."""
    return f"visit:{visit_id}"


def participant_room(visit_id: str, participant: str) -> str:
    """/visit: every connection of one participant of one visit."""
    return f"visit:{visit_id}:{participant}"


def record_room(visit_id: str, lang: str) -> str:
    """/visit: the visit's staff who read the record in ``lang`` (they get the final one)."""
    return f"visit-staff:{visit_id}:{lang}"


def clerk_participant(clerk_id: str) -> str:
    """A member of staff's participant id within a visit."""
    return f"clerk:{clerk_id}"


__all__ = [
    "CITIZEN",
    "CITIZEN_ROLE",
    "CLERK",
    "GUEST",
    "PUBLIC",
    "SERVING_CLERK",
    "TICKET_STORAGE_PREFIX",
    "VISIT",
    "clerk_participant",
    "clerk_room",
    "office_room",
    "participant_room",
    "record_room",
    "staff_room",
    "ticket_room",
    "visit_room",
    "visit_url",
    "waiting_room_url",
]
