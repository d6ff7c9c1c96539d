"""/citizen: one ticket's live view, authenticated by the ticket's secret token."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from typing import Any

from virtual_office.queue import QueueError, UnknownTicket
from virtual_office.server import payloads
from virtual_office.server.protocol import CITIZEN, CLERK, clerk_room, ticket_room
from virtual_office.server.realtime import Namespace, Session, from_own_page, refuse
from virtual_office.server.services import Services
from virtual_office.server.status import StatusBroadcaster
from virtual_office.server.visit import Visits
from virtual_office.server.visit.lifecycle import LEFT

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 15


class CitizenNamespace(Namespace):
    """Several tabs may hold one ticket; the ticket is online while any of them is connected."""

    def __init__(self, services: Services, status: StatusBroadcaster, visits: Visits) -> None:
        super().__init__(CITIZEN)
        self._services = services
        self._status = status
        self._visits = visits
        self._connections: Counter[str] = Counter()
        self._tokens: dict[str, str] = {}
        """ticket id -> token, for the connected tickets' heartbeats."""

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: object = None) -> None:
        auth, lang = from_own_page(environ, auth, self._services.settings.base_url)
        token = auth.get("token")
        try:
            ticket = await self._services.room.ticket(token)
        except QueueError as exc:
            raise refuse(exc.code, lang) from None
        await self.save_session(sid, {"token": token, "ticket_id": ticket.id, "lang": lang})
        await self.enter_room(sid, ticket_room(ticket.id))
        self._connections[ticket.id] += 1
        self._tokens[ticket.id] = str(token)
        await self._services.room.heartbeat(ticket, online=True)
        await self.emit("ticket", await self._status.citizen_view(ticket, lang), to=sid)
        text = await self._services.room.announcement(ticket.office_id)
        if text:
            await self.emit("announcement", {"text": text, "at": None}, to=sid)

    async def on_disconnect(self, sid: str) -> None:
        session = await self.get_session(sid)
        ticket_id = session.get("ticket_id")
        if not ticket_id:
            return
        self._connections[ticket_id] -= 1
        if self._connections[ticket_id] > 0:
            return
        del self._connections[ticket_id]
        token = self._tokens.pop(ticket_id, None)
        try:
            ticket = await self._services.room.ticket(token)
            await self._services.room.heartbeat(ticket, online=False)
        except QueueError:
            pass  # ended meanwhile, or Redis is away: the grace period covers both

    async def on_heartbeat(self, sid: str, session: Session, data: dict[str, Any]) -> dict[str, Any]:
        await self._services.room.heartbeat(await self._services.room.ticket(session["token"]))
        return {"ok": True}

    async def on_leave(self, sid: str, session: Session, data: dict[str, Any]) -> dict[str, Any]:
        ticket = await self._services.room.leave(session["token"])
        await self._visits.end(ticket, LEFT)
        return {"ok": True}

    async def on_accept(self, sid: str, session: Session, data: dict[str, Any]) -> dict[str, Any]:
        ticket = await self._services.room.accept(session["token"])
        office = await self._services.offices.get(ticket.office_id)
        now = self._services.room.now_ms()
        await self.emit(
            "visit",
            {"office_id": office.id, "ticket": payloads.ticket_for_clerk(ticket, office, None, now), "state": ticket.state},
            room=clerk_room(ticket.clerk_id),
            namespace=CLERK,
        )
        return {"ok": True, "visit_url": payloads.visit_url(ticket)}

    async def heartbeats(self) -> None:
        """Keep connected tickets alive; a reload or blip then counts from the last beat."""
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            for ticket_id, token in list(self._tokens.items()):
                try:
                    await self._services.room.heartbeat(await self._services.room.ticket(token))
                except UnknownTicket:
                    self._tokens.pop(ticket_id, None)
                except QueueError:
                    break  # Redis is away; try again next round
