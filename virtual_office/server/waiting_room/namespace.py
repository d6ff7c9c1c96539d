"""/citizen: one ticket's live view, authenticated by the ticket's secret token."""

from __future__ import annotations

import logging
from typing import Any

from virtual_office.queue import QueueError
from virtual_office.server import payloads
from virtual_office.server.metrics import Metrics
from virtual_office.server.presence import CitizenPresence
from virtual_office.server.protocol import CITIZEN, CLERK, clerk_room, ticket_room
from virtual_office.server.realtime import Namespace, Session, from_own_page, refuse
from virtual_office.server.schemas import Empty
from virtual_office.server.services import Services
from virtual_office.server.status import StatusBroadcaster
from virtual_office.server.visit import Visits
from virtual_office.server.visit.lifecycle import LEFT
from virtual_office.server.waiting_room.schemas import EVENTS, CitizenConnect

log = logging.getLogger(__name__)


class CitizenNamespace(Namespace):
    """Several tabs may hold one ticket; it is online while any page of the citizen is connected (``CitizenPresence``)."""

    events = EVENTS
    connect_schema = CitizenConnect

    def __init__(self, services: Services, status: StatusBroadcaster, visits: Visits, presence: CitizenPresence,
                 metrics: Metrics) -> None:
        super().__init__(CITIZEN)
        self._services = services
        self._status = status
        self._visits = visits
        self._presence = presence
        self._metrics = metrics

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: CitizenConnect) -> None:
        lang = from_own_page(environ, auth, self._services.settings.base_url)
        token = auth.token
        try:
            ticket = await self._services.room.ticket(token)
        except QueueError as exc:
            raise refuse(exc.code, lang) from None
        await self.save_session(sid, {"token": token, "ticket_id": ticket.id, "lang": lang})
        await self.enter_room(sid, ticket_room(ticket.id))
        await self._presence.connected(ticket, str(token))
        await self.emit("ticket", await self._status.citizen_view(ticket, lang), to=sid)
        text = await self._services.room.announcement(ticket.office_id)
        if text:
            await self.emit("announcement", {"text": text, "at": None}, to=sid)

    async def on_disconnect(self, sid: str) -> None:
        ticket_id = (await self.get_session(sid)).get("ticket_id")
        if ticket_id:
            await self._presence.disconnected(ticket_id)

    async def on_heartbeat(self, sid: str, session: Session, data: Empty) -> dict[str, Any]:
        await self._services.room.heartbeat(await self._services.room.ticket(session["token"]))
        return {"ok": True}

    async def on_leave(self, sid: str, session: Session, data: Empty) -> dict[str, Any]:
        ticket = await self._services.room.leave(session["token"])
        await self._visits.end(ticket, LEFT)
        return {"ok": True}

    async def on_accept(self, sid: str, session: Session, data: Empty) -> dict[str, Any]:
        ticket = await self._services.room.accept(session["token"])
        office = await self._services.offices.get(ticket.office_id)
        now = self._services.room.now_ms()
        if ticket.visit_started is not None and not session.get("admitted"):
            # Accepting again (a retried click) is harmless in the queue; the wait counts once.
            session["admitted"] = True
            self._metrics.admitted(office.id, (ticket.visit_started - ticket.queued_at) / 1000)
        await self.emit(
            "visit",
            {"office_id": office.id, "ticket": payloads.ticket_for_clerk(ticket, office, None, now), "state": ticket.state},
            room=clerk_room(ticket.clerk_id),
            namespace=CLERK,
        )
        return {"ok": True, "visit_url": payloads.visit_url(ticket)}
