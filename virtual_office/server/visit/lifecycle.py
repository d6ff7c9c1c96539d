"""The end of a visit, in one place.

Every end — finished, no-show, the citizen leaving, their place expiring, sent back,
transferred, the office removed — goes through :meth:`VisitLifecycle.end` once the
queue has made the transition. It owns everything that follows, in this order:

1. the staff who used the visit get its final record;
2. the media session closes: nobody receives anything more;
3. the exchange's files and remembered state are deleted, and so is the decision
   about a browser that cannot encrypt;
4. every member's page, the citizen's waiting room, the serving clerk's console and
   the consoles of invited colleagues are told;
5. every connection leaves the visit's rooms, so that a later visit of the same
   ticket (sent back, called again) reaches none of them.

Colleagues do not outlive the visit: the queue drops the ticket's guests with it.
A server stopping, or the last member's connection going, is no end: the ticket
stays in the visit and its members come back (:meth:`Signaling.left`).
"""

from __future__ import annotations

import logging

import socketio

from virtual_office.queue import OfficeDirectory, QueueError, Ticket, WaitingRoom
from virtual_office.server import payloads
from virtual_office.server.i18n import LANGUAGES
from virtual_office.server.protocol import CITIZEN, CLERK, VISIT, clerk_room, record_room, ticket_room, visit_room
from virtual_office.server.status import StatusBroadcaster
from virtual_office.server.visit.encryption import VisitEncryption
from virtual_office.server.visit.exchange import Exchange
from virtual_office.server.visit.rooms import close_visit_rooms
from virtual_office.server.visit.signaling import Signaling

log = logging.getLogger(__name__)

FINISHED = "finished"
NO_SHOW = "no_show"
LEFT = "left"
EXPIRED = "expired"
SENT_BACK = "sent_back"
TRANSFERRED = "transferred"
REMOVED = "removed"
REASONS = (FINISHED, NO_SHOW, LEFT, EXPIRED, SENT_BACK, TRANSFERRED, REMOVED)
"""Why a visit ended: the pages show a text for each (``visit.js.ended.<reason>``)."""
TICKET_LIVES_ON = (SENT_BACK, TRANSFERRED)
"""Ends after which the citizen waits again, in the same or another office."""


class VisitLifecycle:
    def __init__(
        self,
        sio: socketio.AsyncServer,
        room: WaitingRoom,
        offices: OfficeDirectory,
        exchange: Exchange,
        signaling: Signaling,
        status: StatusBroadcaster,
        encryption: VisitEncryption,
    ) -> None:
        self._sio = sio
        self._room = room
        self._offices = offices
        self._exchange = exchange
        self._signaling = signaling
        self._status = status
        self._encryption = encryption

    async def end(self, ticket: Ticket, reason: str) -> None:
        """Everything that follows the end of ``ticket``'s visit (as it was in the visit), for ``reason``.

        Never raises: each step is tried, and what a failure leaves the sweep of
        leftovers removes (files, state) or the client's own re-check refuses (rooms).
        """
        assert reason in REASONS, f"unknown reason {reason!r}"
        visit_id = ticket.id
        await self._step("final record", self._send_final_record(visit_id, reason))
        await self._step("closing media", self._signaling.forget(visit_id))
        await self._step("clearing the exchange", self._exchange.clear(visit_id))
        await self._step("forgetting the encryption decision", self._encryption.forget(visit_id))
        await self._step("telling the members", self._tell_members(ticket, reason))
        await self._step("telling the consoles", self._tell_consoles(ticket, reason))
        await self._step("closing rooms", close_visit_rooms(self._sio, visit_id))

    @staticmethod
    async def _step(what: str, step: object) -> None:
        try:
            await step  # type: ignore[misc]
        except Exception:  # noqa: BLE001 - the other steps of ending must still run
            log.exception("ending a visit: %s failed", what)

    async def _send_final_record(self, visit_id: str, reason: str) -> None:
        for lang in LANGUAGES:
            record = await self._exchange.record(visit_id, lang)
            if record is None:
                return
            await self._sio.emit("record", {**record, "final": True, "reason": reason}, room=record_room(visit_id, lang), namespace=VISIT)

    async def _tell_members(self, ticket: Ticket, reason: str) -> None:
        await self._sio.emit("ended", {"reason": reason}, room=visit_room(ticket.id), namespace=VISIT)
        if reason not in TICKET_LIVES_ON:
            await self._sio.emit("ended", {"reason": reason}, room=ticket_room(ticket.id), namespace=CITIZEN)
            return
        try:
            now = await self._room.locate(ticket.id)
        except QueueError:
            return  # ended meanwhile: that end tells them
        await self._status.push_ticket(now)

    async def _tell_consoles(self, ticket: Ticket, reason: str) -> None:
        if ticket.clerk_id:
            message: dict[str, object] = {"office_id": ticket.office_id, "ticket_id": ticket.id, "state": "ended", "reason": reason}
            try:
                office = await self._offices.get(ticket.office_id)
                message["ticket"] = payloads.ticket_for_clerk(ticket, office, None, self._room.now_ms())
            except QueueError:
                pass  # the office was removed: the console knows the ticket already
            await self._sio.emit("visit", message, room=clerk_room(ticket.clerk_id), namespace=CLERK)
        for clerk_id in ticket.guests:
            await self._sio.emit("invitation_over", {"visit_id": ticket.id}, room=clerk_room(clerk_id), namespace=CLERK)


__all__ = ["REASONS", "TICKET_LIVES_ON", "VisitLifecycle"]
