"""/clerk: the console's live queue and the clerk's actions, authenticated by the login session."""

from __future__ import annotations

import asyncio
from typing import Any

import socketio

from virtual_office.queue import Clerk, NotAuthorized, QueueError, Ticket
from virtual_office.server import payloads
from virtual_office.server.auth import LoggedOut, session_clerk, session_of
from virtual_office.server.exchange import visit_over
from virtual_office.server.realtime.broadcaster import CLERK, VISIT, Broadcaster, clerk_room, staff_room, visit_room
from virtual_office.server.realtime.handlers import event, field, from_own_page, refuse
from virtual_office.server.services import Services
from virtual_office.server.sessions import read_session

HEARTBEAT_SECONDS = 15


class ClerkNamespace(socketio.AsyncNamespace):
    def __init__(self, services: Services, broadcaster: Broadcaster, own_origin: str) -> None:
        super().__init__(CLERK)
        self._services = services
        self._broadcaster = broadcaster
        self._own_origin = own_origin
        self._online: dict[str, str] = {}
        """sid -> clerk id, for presence heartbeats."""

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: object = None) -> None:
        auth, lang = from_own_page(environ, auth, self._own_origin)
        session = read_session(self._services.settings, environ.get("HTTP_COOKIE"))
        clerk = await session_clerk(self._services.clerks, session)
        if clerk is None:
            raise refuse("not_authenticated", lang)
        await self.save_session(sid, {**session_of(clerk), "lang": lang})
        await self.enter_room(sid, clerk_room(clerk.id))
        self._online[sid] = clerk.id
        for office_id in clerk.offices:
            await self.enter_room(sid, staff_room(office_id))
            try:
                status = await self._broadcaster.status(office_id)
            except QueueError:
                continue  # the office was deleted; the administrator will fix the staffing
            await self.emit("queue", await self._broadcaster.queue(status), to=sid)

    async def on_disconnect(self, sid: str, *args: object) -> None:
        # Presence stays until its heartbeat times out: a reload keeps the clerk on duty.
        self._online.pop(sid, None)

    async def _clerk(self, session: dict[str, Any], data: dict[str, Any]) -> tuple[Clerk, str]:
        """The acting clerk (re-read: staffing may have changed) and the office they act on."""
        clerk = await session_clerk(self._services.clerks, session)
        if clerk is None:
            raise LoggedOut("the account was deleted or its password changed")
        office_id = field(data, "office_id", max_length=40)
        await self._services.offices.get(office_id)
        if not clerk.staffs(office_id):
            raise NotAuthorized("not staffing this office")
        return clerk, office_id

    async def _visit(self, clerk_id: str, ticket: Ticket, state: str | None = None, reason: str | None = None) -> dict[str, Any]:
        office = await self._services.offices.get(ticket.office_id)
        body = payloads.ticket_for_clerk(ticket, office, None, self._services.room.now_ms())
        message: dict[str, Any] = {"office_id": office.id, "ticket": body, "state": state or ticket.state}
        if reason:
            message["reason"] = reason
        await self.emit("visit", message, room=clerk_room(clerk_id))
        return body

    async def _end_visit(self, ticket: Ticket, reason: str) -> None:
        """The visit is over but the ticket lives on (sent back, transferred)."""
        await self._services.media.close_session(ticket.id)
        await visit_over(self.server, self._services, ticket.id, reason)
        await self.emit("ended", {"reason": reason}, room=visit_room(ticket.id), namespace=VISIT)
        await self._broadcaster.invitations_over(ticket.id, ticket.guests)

    @event
    async def on_presence(self, sid: str, session: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
        clerk, office_id = await self._clerk(session, data)
        await self._services.presence.set(office_id, clerk.id, field(data, "presence", max_length=20))
        self._broadcaster.mark(office_id)
        return {"ok": True}

    @event
    async def on_call_next(self, sid: str, session: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
        clerk, office_id = await self._clerk(session, data)
        ticket = await self._services.room.call_next(office_id, clerk.id)
        await self._broadcaster.push_ticket(ticket)
        return {"ok": True, "ticket": await self._visit(clerk.id, ticket)}

    @event
    async def on_call(self, sid: str, session: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
        clerk, office_id = await self._clerk(session, data)
        ticket = await self._services.room.call(office_id, clerk.id, field(data, "ticket_id", max_length=40))
        await self._broadcaster.push_ticket(ticket)
        return {"ok": True, "ticket": await self._visit(clerk.id, ticket)}

    @event
    async def on_no_show(self, sid: str, session: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
        clerk, office_id = await self._clerk(session, data)
        ticket = await self._services.room.no_show(office_id, field(data, "ticket_id", max_length=40))
        await self._broadcaster.ended(ticket.id, office_id, ticket.clerk_id, "no_show")
        return {"ok": True}

    @event
    async def on_finish(self, sid: str, session: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
        clerk, office_id = await self._clerk(session, data)
        ticket = await self._services.room.finish(office_id, field(data, "ticket_id", max_length=40))
        await self._services.media.close_session(ticket.id)
        await self._broadcaster.ended(ticket.id, office_id, ticket.clerk_id, "finished", ticket.guests)
        return {"ok": True}

    @event
    async def on_send_back(self, sid: str, session: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
        clerk, office_id = await self._clerk(session, data)
        before = await self._services.room.get(office_id, field(data, "ticket_id", max_length=40))
        ticket = await self._services.room.send_back(office_id, before.id)
        await self._end_visit(before, "sent_back")
        await self._broadcaster.push_ticket(ticket)
        if before.clerk_id:
            await self._visit(before.clerk_id, before, state="ended", reason="sent_back")
        return {"ok": True}

    @event
    async def on_transfer(self, sid: str, session: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
        clerk, office_id = await self._clerk(session, data)
        target = (await self._services.offices.get(field(data, "target_office_id", max_length=40))).id
        before = await self._services.room.get(office_id, field(data, "ticket_id", max_length=40))
        ticket = await self._services.room.transfer(office_id, before.id, target)
        await self._end_visit(before, "transferred")
        await self._broadcaster.push_ticket(ticket)
        if before.clerk_id:
            await self._visit(before.clerk_id, before, state="ended", reason="transferred")
        return {"ok": True, "ticket": payloads.ticket_for_clerk(ticket, await self._services.offices.get(target), None, self._services.room.now_ms())}

    @event
    async def on_announce(self, sid: str, session: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
        clerk, office_id = await self._clerk(session, data)
        text = await self._services.room.announce(office_id, data.get("text"))
        await self._broadcaster.announce(office_id, text, self._services.room.now_ms())
        return {"ok": True}

    async def heartbeats(self) -> None:
        """Keep the clerks with an open console on duty; a crashed browser drops off."""
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            for clerk_id in set(self._online.values()):
                clerk = await self._services.clerks.get(clerk_id)
                if clerk:
                    try:
                        await self._services.presence.heartbeat(clerk.id, list(clerk.offices))
                    except Exception:  # noqa: BLE001 - Redis away: try again next round
                        break
