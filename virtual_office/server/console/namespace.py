"""/clerk: the console's live queue and the clerk's actions, authenticated by the login session."""

from __future__ import annotations

import asyncio
from typing import Any

from virtual_office.queue import AVAILABLE, Clerk, NotAuthorized, QueueError, Ticket, UnknownOffice
from virtual_office.server import payloads, tenancy
from virtual_office.server.console.appointments import ConsoleAppointments
from virtual_office.server.console.schemas import EVENTS, Announcement, OfficeAction, PresenceChange, TicketAction, Transfer
from virtual_office.server.protocol import CITIZEN, CLERK, clerk_room, staff_room, ticket_room
from virtual_office.server.realtime import Namespace, Session, from_own_page, refuse
from virtual_office.server.schemas import Connect
from virtual_office.server.services import Services
from virtual_office.server.sessions import LoggedOut, read_session, session_clerk, session_of
from virtual_office.server.status import StatusBroadcaster
from virtual_office.server.visit import Visits
from virtual_office.server.visit.lifecycle import FINISHED, NO_SHOW, SENT_BACK, TRANSFERRED

HEARTBEAT_SECONDS = 15


class ClerkNamespace(Namespace):
    events = EVENTS

    def __init__(self, services: Services, status: StatusBroadcaster, visits: Visits,
                 appointments: ConsoleAppointments | None = None) -> None:
        super().__init__(CLERK)
        self._services = services
        self._appointments = appointments
        self._status = status
        self._visits = visits
        self._online: dict[str, str] = {}
        """sid -> clerk id, for presence heartbeats."""

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Connect) -> None:
        lang = from_own_page(environ, auth, self._services.settings.base_url)
        session = read_session(self._services.settings, environ.get("HTTP_COOKIE"))
        clerk = await session_clerk(self._services.clerks, session)
        if clerk is None:
            raise refuse("not_authenticated", lang)
        await self.save_session(sid, {**session_of(session), "lang": lang})
        await self.enter_room(sid, clerk_room(clerk.id))
        self._online[sid] = clerk.id
        offices = await tenancy.staffed_offices(self._services, clerk)
        for office in offices:
            try:
                status = await self._status.status(office.id)
            except QueueError:
                continue  # the office was deleted; the administrator will fix the staffing
            await self.enter_room(sid, staff_room(office.id))
            await self.emit("queue", await self._status.queue(status), to=sid)
        if self._appointments is not None:
            await self._appointments.send(sid, offices)

    async def on_disconnect(self, sid: str) -> None:
        # Presence stays until its heartbeat times out: a reload keeps the clerk on duty.
        self._online.pop(sid, None)

    async def _clerk(self, session: Session, data: OfficeAction) -> tuple[Clerk, str]:
        """The acting clerk (re-read: staffing may have changed) and the office they act on."""
        clerk = await session_clerk(self._services.clerks, session)
        if clerk is None:
            raise LoggedOut("the account was deleted or its password changed")
        office_id = data.office_id
        office = await self._services.offices.get(office_id)
        if not clerk.staffs(office_id) or office.tenant != clerk.tenant:
            raise NotAuthorized("not staffing this office")
        return clerk, office_id

    async def _own_ticket(self, clerk: Clerk, office_id: str, data: TicketAction) -> Ticket:
        """The ticket acted on: waiting, or called by / in a visit with this clerk, not a colleague's."""
        ticket = await self._services.room.get(office_id, data.ticket_id)
        if ticket.clerk_id and ticket.clerk_id != clerk.id:
            raise NotAuthorized("another clerk is serving this ticket")
        return ticket

    async def _called(self, clerk_id: str, ticket: Ticket) -> dict[str, Any]:
        """Tell the citizen at once (being called must not wait for a batch) and the clerk's consoles."""
        await self._status.push_ticket(ticket)
        office = await self._services.offices.get(ticket.office_id)
        body = payloads.ticket_for_clerk(ticket, office, None, self._services.room.now_ms())
        await self.emit("visit", {"office_id": office.id, "ticket": body, "state": ticket.state}, room=clerk_room(clerk_id))
        return {"ok": True, "ticket": body}

    async def on_presence(self, sid: str, session: Session, data: PresenceChange) -> dict[str, Any]:
        clerk, office_id = await self._clerk(session, data)
        await self._services.presence.set(office_id, clerk.id, data.presence)
        self._status.mark(office_id)
        return {"ok": True}

    async def on_call_next(self, sid: str, session: Session, data: OfficeAction) -> dict[str, Any]:
        clerk, office_id = await self._clerk(session, data)
        return await self._called(clerk.id, await self._services.room.call_next(office_id, clerk.id))

    async def on_call(self, sid: str, session: Session, data: TicketAction) -> dict[str, Any]:
        clerk, office_id = await self._clerk(session, data)
        ticket = await self._services.room.call(office_id, clerk.id, data.ticket_id)
        return await self._called(clerk.id, ticket)

    async def on_no_show(self, sid: str, session: Session, data: TicketAction) -> dict[str, Any]:
        clerk, office_id = await self._clerk(session, data)
        # The clerk withdraws the call: they need not wait for its time to run out.
        ticket = await self._services.room.no_show(office_id, (await self._own_ticket(clerk, office_id, data)).id, withdrawn=True)
        await self._visits.end(ticket, NO_SHOW)
        return {"ok": True}

    async def on_finish(self, sid: str, session: Session, data: TicketAction) -> dict[str, Any]:
        clerk, office_id = await self._clerk(session, data)
        ticket = await self._services.room.finish(office_id, (await self._own_ticket(clerk, office_id, data)).id)
        await self._visits.end(ticket, FINISHED)
        return {"ok": True}

    async def on_send_back(self, sid: str, session: Session, data: TicketAction) -> dict[str, Any]:
        clerk, office_id = await self._clerk(session, data)
        before = await self._own_ticket(clerk, office_id, data)
        await self._services.room.send_back(office_id, before.id)
        await self._visits.end(before, SENT_BACK)
        return {"ok": True}

    async def on_transfer(self, sid: str, session: Session, data: Transfer) -> dict[str, Any]:
        clerk, office_id = await self._clerk(session, data)
        target = await self._services.offices.get(data.target_office_id)
        if target.tenant != clerk.tenant:  # another municipality's office is one that does not exist
            raise UnknownOffice(f"no office {target.id!r}")
        before = await self._own_ticket(clerk, office_id, data)
        ticket = await self._services.room.transfer(office_id, before.id, target.id)
        await self._visits.end(before, TRANSFERRED)
        return {"ok": True, "ticket": payloads.ticket_for_clerk(ticket, target, None, self._services.room.now_ms())}

    async def on_announce(self, sid: str, session: Session, data: Announcement) -> dict[str, Any]:
        """A message from the office to everyone waiting there."""
        clerk, office_id = await self._clerk(session, data)
        room = self._services.room
        text = await room.announce(office_id, data.text)
        message = {"text": text, "at": room.now_ms()}
        for ticket in await room.waiting(office_id):
            await self.emit("announcement", message, room=ticket_room(ticket.id), namespace=CITIZEN)
        return {"ok": True}

    async def heartbeats(self) -> None:
        """Keep the clerks with an open console on duty; a crashed browser drops off.

        An open console also keeps its login session from idling out while its clerk is working:
        available in one of their offices, or serving someone (docs/security.md). A console left
        open off duty or paused does not: its session ends after the idle time like any other.
        """
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            working: dict[str, bool] = {}
            for sid, clerk_id in list(self._online.items()):
                clerk = await self._services.clerks.get(clerk_id)
                if clerk is None:
                    continue
                try:
                    if clerk_id not in working:
                        await self._services.presence.heartbeat(clerk.id, list(clerk.offices))
                        working[clerk_id] = await self._working(clerk)
                    if working[clerk_id]:
                        await self._services.clerks.touch_session((await self.get_session(sid)).get("sid"))
                except KeyError:
                    continue  # the socket went meanwhile
                except Exception:  # noqa: BLE001 - Redis away: try again next round
                    break

    async def _working(self, clerk: Clerk) -> bool:
        """On duty (available) in one of the clerk's offices, or with a citizen called or in a visit."""
        for office_id in clerk.offices:
            if (await self._services.presence.on_duty(office_id)).get(clerk.id) == AVAILABLE:
                return True
            if any(t.clerk_id == clerk.id for t in await self._services.room.with_clerks(office_id)):
                return True
        return False


__all__ = ["ClerkNamespace"]
