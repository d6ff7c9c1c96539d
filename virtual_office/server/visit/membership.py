"""Who is a member of a visit: one rule for socket.io and HTTP alike.

A visit is a ticket in a visit with a clerk; its id is the ticket id. Its members are
the citizen (by the ticket's token), the clerk who called them, and the colleagues
that clerk added (guests) while the visit lasts. Membership is checked on connect,
on every event and on every file request: visits end, guests are let go.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import socketio
from starlette.requests import Request

from virtual_office.queue import CALLED, IN_VISIT, ClerkDirectory, NotAuthorized, NotInVisit, Ticket, UnknownTicket, WaitingRoom
from virtual_office.server.protocol import CITIZEN_ROLE, GUEST, SERVING_CLERK, VISIT, clerk_participant, visit_room
from virtual_office.server.sessions import session_clerk

CITIZEN_PARTICIPANT = CITIZEN_ROLE
"""A visit has one citizen; their participant id is their role."""


@dataclass(frozen=True)
class Member:
    """One participant of one visit."""

    visit_id: str
    participant: str
    """'citizen', or 'clerk:<id>' for staff: unique within the visit."""
    role: str
    """citizen, clerk (the one serving) or guest."""
    name: str
    clerk_id: str | None = None

    @property
    def is_staff(self) -> bool:
        return self.role != CITIZEN_ROLE

    def require_staff(self) -> None:
        if not self.is_staff:
            raise NotAuthorized("for the office's staff only")

    def require_serving_clerk(self) -> None:
        if self.role != SERVING_CLERK:
            raise NotAuthorized("only the serving clerk may do this")


def bearer_token(request: Request) -> str | None:
    """The ticket token of a citizen's request (``Authorization: Bearer``)."""
    header = request.headers.get("authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else None


class Membership:
    """Decides who may take part in a visit, and tells the members who is there."""

    def __init__(self, room: WaitingRoom, clerks: ClerkDirectory, sio: socketio.AsyncServer) -> None:
        self._room = room
        self._clerks = clerks
        self._sio = sio

    async def authorize(self, visit_id: object, token: object, staff: Mapping[str, object]) -> tuple[Ticket, Member]:
        """The ticket and the member a citizen's token or a clerk's login session make; a QueueError otherwise."""
        if not isinstance(visit_id, str):
            raise UnknownTicket("no such visit")
        if token:
            ticket = await self._room.ticket(token)
            if ticket.id != visit_id:
                raise UnknownTicket("no such visit")
            if ticket.state != IN_VISIT:
                raise NotInVisit("the visit has not started")
            return ticket, Member(visit_id, CITIZEN_PARTICIPANT, CITIZEN_ROLE, ticket.name or ticket.number)
        clerk = await session_clerk(self._clerks, staff)
        if clerk is None:
            raise NotAuthorized("not a member of this visit")
        ticket = await self._room.locate(visit_id)
        participant = clerk_participant(clerk.id)
        if clerk.id == ticket.clerk_id and ticket.state in (CALLED, IN_VISIT):
            return ticket, Member(visit_id, participant, SERVING_CLERK, clerk.name, clerk.id)
        if clerk.id in ticket.guests and ticket.state == IN_VISIT:
            return ticket, Member(visit_id, participant, GUEST, clerk.name, clerk.id)
        raise NotAuthorized("not a member of this visit")

    async def authorize_request(self, request: Request, visit_id: str) -> tuple[Ticket, Member]:
        """The same rule for an HTTP request: the ticket's bearer token, else the login cookie."""
        token = bearer_token(request)
        return await self.authorize(visit_id, token, {} if token else request.session)

    async def again(self, session: Mapping[str, Any]) -> tuple[Ticket, Member]:
        """Re-check a connection's membership before it acts, from what it proved on connect."""
        return await self.authorize(session.get("visit"), session.get("token"), session.get("staff") or {})

    async def announce(self, ticket: Ticket, connected: set[str]) -> None:
        """Everyone in the visit learns who is (allowed to be) there, and whose connection is open now."""
        people: list[dict[str, object]] = [{"participant": CITIZEN_PARTICIPANT, "role": CITIZEN_ROLE, "name": ticket.name or ticket.number}]
        for role, clerk_id in [(SERVING_CLERK, ticket.clerk_id), *((GUEST, g) for g in ticket.guests)]:
            clerk = await self._clerks.get(clerk_id) if clerk_id else None
            if clerk:
                people.append({"participant": clerk_participant(clerk.id), "role": role, "name": clerk.name})
        for person in people:
            person["connected"] = person["participant"] in connected
        await self._sio.emit("participants", {"visit": ticket.id, "participants": people}, room=visit_room(ticket.id), namespace=VISIT)




@dataclass(frozen=True)
class Context:
    """One event of one member: who sent it on which connection, re-checked just now."""

    sid: str
    session: Mapping[str, Any]
    ticket: Ticket
    member: Member

    @property
    def lang(self) -> str:
        return str(self.session.get("lang", "de"))


__all__ = ["CITIZEN_PARTICIPANT", "Context", "Member", "Membership", "bearer_token"]
