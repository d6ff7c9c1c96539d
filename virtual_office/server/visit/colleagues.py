"""The serving clerk adds a colleague or interpreter to the visit, and lets them go.

A colleague is a member only while they are among the ticket's guests and the visit
lasts: letting them go, and every end of the visit, takes them out.
"""

from __future__ import annotations

from typing import Any

import socketio

from virtual_office.queue import CLERK as CLERK_ROLE
from virtual_office.queue import ClerkDirectory, InvalidInput, TooManyGuests, WaitingRoom
from virtual_office.server import payloads
from virtual_office.server.protocol import CLERK, VISIT, clerk_participant, clerk_room, participant_room
from virtual_office.server.schemas import Empty
from virtual_office.server.visit.membership import Context, Membership
from virtual_office.server.visit.rooms import evict
from virtual_office.server.visit.schemas import Colleague
from virtual_office.server.visit.signaling import Signaling, media_error

MAX_GUESTS = 3
"""Colleagues at once: every participant's browser receives up to three m-lines from each other one,
and an offer may carry at most 16 (virtual_office.media.signaling.MAX_MEDIA_SECTIONS)."""


class Colleagues:
    def __init__(
        self, room: WaitingRoom, clerks: ClerkDirectory, membership: Membership, signaling: Signaling, sio: socketio.AsyncServer
    ) -> None:
        self._room = room
        self._clerks = clerks
        self._membership = membership
        self._signaling = signaling
        self._sio = sio

    async def on_colleagues(self, ctx: Context, data: Empty) -> dict[str, Any]:
        """The clerk accounts the serving clerk may add to the visit."""
        ctx.member.require_serving_clerk()
        me = await self._clerks.get(ctx.member.clerk_id or "")
        everyone = await self._clerks.all(me.tenant) if me is not None else []  # colleagues of the same municipality
        colleagues = [
            {"id": c.id, "name": c.name, "invited": c.id in ctx.ticket.guests}
            for c in sorted(everyone, key=lambda c: c.name.lower())
            if c.role == CLERK_ROLE and c.id != ctx.member.clerk_id
        ]
        return {"ok": True, "colleagues": colleagues, "max_guests": MAX_GUESTS}

    async def on_invite(self, ctx: Context, data: Colleague) -> dict[str, Any]:
        """Add a colleague or interpreter: they may join, and their console is told."""
        ctx.member.require_serving_clerk()
        colleague = await self._clerks.get(data.clerk_id)
        me = await self._clerks.get(ctx.member.clerk_id or "")
        if (colleague is None or me is None or colleague.role != CLERK_ROLE or colleague.id == me.id
                or colleague.tenant != me.tenant):
            raise InvalidInput("not a colleague who can be added")
        try:
            ticket = await self._room.add_guest(ctx.ticket.office_id, ctx.ticket.id, colleague.id, limit=MAX_GUESTS)
        except TooManyGuests:
            return media_error("too_many_guests", ctx.lang)
        invitation = {"visit_id": ticket.id, "visit_url": payloads.visit_url(ticket), "by": ctx.member.name,
                      "number": ticket.number, "office_id": ticket.office_id}
        await self._sio.emit("invited", invitation, room=clerk_room(colleague.id), namespace=CLERK)
        await self._membership.announce(ticket, await self._signaling.connected(ticket.id))
        return {"ok": True}

    async def on_dismiss(self, ctx: Context, data: Colleague) -> dict[str, Any]:
        """Let a colleague go: no longer a member, their media stops, their pages are told."""
        ctx.member.require_serving_clerk()
        clerk_id = data.clerk_id
        if clerk_id not in ctx.ticket.guests:
            raise InvalidInput("not a colleague in this visit")
        ticket = await self._room.remove_guest(ctx.ticket.office_id, ctx.ticket.id, clerk_id)
        participant = clerk_participant(clerk_id)
        await self._signaling.remove(ticket.id, participant)
        await self._sio.emit("ended", {"reason": "dismissed"}, room=participant_room(ticket.id, participant), namespace=VISIT)
        await evict(self._sio, ticket.id, participant)
        await self._sio.emit("invitation_over", {"visit_id": ticket.id}, room=clerk_room(clerk_id), namespace=CLERK)
        await self._membership.announce(ticket, await self._signaling.connected(ticket.id))
        return {"ok": True}


__all__ = ["MAX_GUESTS", "Colleagues"]
