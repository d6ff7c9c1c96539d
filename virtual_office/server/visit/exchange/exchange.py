"""One process's exchange: the visits' files, their remembered state, their records (with the visit's payments)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from virtual_office.payments import PaymentError, Transaction, TransactionStore
from virtual_office.queue import CALLED, IN_VISIT, OfficeDirectory, QueueError, UnknownTicket, WaitingRoom
from virtual_office.server.visit.exchange.files import VisitFiles
from virtual_office.server.visit.exchange.record import visit_record
from virtual_office.server.visit.exchange.state import VisitState

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Exchange:
    offices: OfficeDirectory
    room: WaitingRoom
    files: VisitFiles
    state: VisitState
    payments: TransactionStore | None = None
    """The visit's payments, named in its record (they outlive the visit: the payments component keeps them)."""

    async def record(self, visit_id: str, lang: str) -> dict[str, object] | None:
        """The visit record in ``lang`` as of now; None when nothing is known of the visit."""
        meta = await self.state.meta(visit_id)
        office_id = meta.get("office_id")
        if not office_id:
            return None
        try:
            office = await self.offices.get(office_id)
            name, zone = office.localized_name(lang), office.hours.zone
        except QueueError:
            name, zone = office_id, None
        files = await asyncio.to_thread(self.files.list, visit_id)
        payments: list[Transaction] = []
        if self.payments is not None:
            try:
                payments = await self.payments.for_visit(office_id, visit_id)
            except PaymentError:
                log.warning("the record of visit %s names no payments: payments unavailable", visit_id)
        return visit_record(
            lang,
            office_name=name,
            zone=zone,
            started=int(meta["started"]) if meta.get("started") else None,
            now=self.room.now_ms(),
            files=files,
            requests=await self.state.requests(visit_id),
            id_checked=meta.get("id_checked") == "1",
            payments=payments,
        )

    async def clear(self, visit_id: str) -> None:
        """Forget the visit: every file and everything remembered."""
        await asyncio.to_thread(self.files.delete, visit_id)
        await self.state.forget(visit_id)

    async def sweep_leftovers(self) -> int:
        """Delete files and state of visits that are no longer going on (an end missed while
        the server was down); returns how many."""
        visit_ids = set(self.files.visit_ids()) | await self.state.visit_ids()
        cleared = 0
        for visit_id in visit_ids:
            try:
                ticket = await self.room.locate(visit_id)
                going_on = ticket.state in (CALLED, IN_VISIT)
            except UnknownTicket:
                going_on = False
            except QueueError:
                continue  # the store is away: decide next time
            if not going_on:
                await self.clear(visit_id)
                cleared += 1
        if cleared:
            log.info("removed the leftovers of %d ended visits", cleared)
        return cleared


__all__ = ["Exchange"]
