"""The end of a visit's exchange: a last record for the staff, then every file and message goes.

``visit_over`` is called wherever a visit ends (the broadcaster's ``ended`` and the
clerk's send back / transfer). ``sweep_leftovers`` catches what an end missed while
the server was down: it runs at start-up and then now and then.
"""

from __future__ import annotations

import logging

import socketio

from virtual_office.queue import CALLED, IN_VISIT, QueueError, UnknownTicket
from virtual_office.server.exchange.exchange import exchange_for, staff_room
from virtual_office.server.i18n import LANGUAGES
from virtual_office.server.services import Services

log = logging.getLogger(__name__)

VISIT = "/visit"


async def visit_over(sio: socketio.AsyncServer, services: Services, visit_id: str, reason: str) -> None:
    """Send the staff the final visit record, then delete the visit's files and state.

    Never raises: ending the visit matters more; the sweep removes what is left.
    """
    exchange = exchange_for(services)
    try:
        now = services.room.now_ms()
        for lang in LANGUAGES:
            record = await exchange.record(visit_id, lang, now)
            if record is None:
                break
            await sio.emit("record", {**record, "final": True, "reason": reason}, room=staff_room(visit_id, lang), namespace=VISIT)
    except Exception:  # noqa: BLE001 - the record is a convenience; the deletion below is not
        log.exception("the final visit record could not be sent")
    try:
        await exchange.clear(visit_id)
    except Exception:  # noqa: BLE001 - the sweep will retry
        log.exception("clearing a visit's files failed; the sweep will retry")


async def sweep_leftovers(services: Services) -> int:
    """Delete files and state of visits that are no longer going on; returns how many."""
    exchange = exchange_for(services)
    visit_ids = set(exchange.files.visit_ids()) | await exchange.state.visit_ids()
    cleared = 0
    for visit_id in visit_ids:
        try:
            ticket = await services.room.locate(visit_id)
            going_on = ticket.state in (CALLED, IN_VISIT)
        except UnknownTicket:
            going_on = False
        except QueueError:
            continue  # the store is away: decide next time
        if not going_on:
            await exchange.clear(visit_id)
            cleared += 1
    if cleared:
        log.info("removed the leftovers of %d ended visits", cleared)
    return cleared


__all__ = ["sweep_leftovers", "visit_over"]
