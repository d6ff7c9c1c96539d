"""/visit: who is in a visit, checked on connect and again on every event.

A visit is a ticket in a visit with a clerk; its id is the ticket id. Its members are
the citizen (by the ticket's token), the clerk who called them, and any colleagues
that clerk added (guests). Nobody else can connect, and a member whose visit has
ended can do nothing more: each event re-reads the ticket.

What members do in a visit lives in mixins: media (signaling) in ``visit_media``,
chat, files, signatures and the ID check in ``visit_exchange``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import socketio

from virtual_office.queue import CALLED, IN_VISIT, NotAuthorized, NotInVisit, QueueError, Ticket, UnknownTicket
from virtual_office.server.auth import session_clerk
from virtual_office.server.realtime.broadcaster import VISIT, visit_room
from virtual_office.server.realtime.handlers import from_own_page, refuse
from virtual_office.server.realtime.visit_exchange import VisitExchange
from virtual_office.server.realtime.visit_media import VisitMedia
from virtual_office.server.services import Services
from virtual_office.server.sessions import read_session

CITIZEN = "citizen"
CLERK = "clerk"
GUEST = "guest"


@dataclass(frozen=True)
class Member:
    """One participant of one visit."""

    visit_id: str
    participant: str
    """'citizen', or 'clerk:<id>' for staff: unique within the visit."""
    role: str
    name: str
    clerk_id: str | None = None


class VisitNamespace(VisitMedia, VisitExchange, socketio.AsyncNamespace):
    def __init__(self, services: Services, own_origin: str) -> None:
        socketio.AsyncNamespace.__init__(self, VISIT)
        self._services = services
        self._own_origin = own_origin
        self._sids: defaultdict[str, set[str]] = defaultdict(set)
        """visit id -> connected sids in this process."""
        VisitMedia.__init__(self)
        VisitExchange.__init__(self)

    async def authorize(self, visit_id: object, token: object, staff: Mapping[str, object]) -> tuple[Ticket, Member]:
        """The ticket and the member a citizen's token or a clerk's login session make; raises a QueueError otherwise."""
        room = self._services.room
        if not isinstance(visit_id, str):
            raise UnknownTicket("no such visit")
        if token:
            ticket = await room.ticket(token)
            if ticket.id != visit_id:
                raise UnknownTicket("no such visit")
            if ticket.state != IN_VISIT:
                raise NotInVisit("the visit has not started")
            return ticket, Member(visit_id, CITIZEN, CITIZEN, ticket.name or ticket.number)
        clerk = await session_clerk(self._services.clerks, staff)
        if clerk is None:
            raise NotAuthorized("not a member of this visit")
        ticket = await room.locate(visit_id)
        if clerk.id == ticket.clerk_id and ticket.state in (CALLED, IN_VISIT):
            return ticket, Member(visit_id, f"clerk:{clerk.id}", CLERK, clerk.name, clerk.id)
        if clerk.id in ticket.guests and ticket.state == IN_VISIT:
            return ticket, Member(visit_id, f"clerk:{clerk.id}", GUEST, clerk.name, clerk.id)
        raise NotAuthorized("not a member of this visit")

    async def member(self, session: dict[str, Any]) -> tuple[Ticket, Member]:
        """Re-check a connection's membership before it acts: visits end, guests are let go."""
        return await self.authorize(session.get("visit"), session.get("token"), session.get("staff") or {})

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: object = None) -> None:
        auth, lang = from_own_page(environ, auth, self._own_origin)
        token = auth.get("token") or None
        staff = {} if token else read_session(self._services.settings, environ.get("HTTP_COOKIE"))
        try:
            ticket, member = await self.authorize(auth.get("visit"), token, staff)
        except QueueError as exc:
            raise refuse(exc.code, lang) from None
        await self.save_session(
            sid,
            {
                "visit": member.visit_id, "token": token, "clerk_id": member.clerk_id, "participant": member.participant, "lang": lang,
                # kept to re-check on every event: a changed password ends the clerk's part too
                "staff": {k: staff[k] for k in ("clerk_id", "stamp") if k in staff},
            },
        )
        await self.enter_room(sid, visit_room(member.visit_id))
        self._sids[member.visit_id].add(sid)
        await self.member_joined(sid, ticket, member)
        await self.emit_participants(ticket)

    async def on_disconnect(self, sid: str, *args: object) -> None:
        session = await self.get_session(sid)
        visit_id = session.get("visit")
        if not visit_id:
            return
        self._sids[visit_id].discard(sid)
        if not self._sids[visit_id]:
            del self._sids[visit_id]
        await self.member_left(sid, visit_id, session.get("participant", ""))

    async def emit_participants(self, ticket: Ticket) -> None:
        """Everyone in the visit learns who is (allowed to be) there."""
        people = [{"participant": CITIZEN, "role": CITIZEN, "name": ticket.name or ticket.number}]
        for role, clerk_id in [(CLERK, ticket.clerk_id), *((GUEST, g) for g in ticket.guests)]:
            clerk = await self._services.clerks.get(clerk_id) if clerk_id else None
            if clerk:
                people.append({"participant": f"clerk:{clerk.id}", "role": role, "name": clerk.name})
        await self.emit("participants", {"visit": ticket.id, "participants": people}, room=visit_room(ticket.id))
