"""Office status for everyone watching: a burst of changes in one office becomes one update per interval."""

from __future__ import annotations

import asyncio
import logging
import time

import socketio
from redis.exceptions import RedisError

from virtual_office.queue import OfficeStatus, StoreUnavailable, Ticket, UnknownOffice, office_status
from virtual_office.server import payloads
from virtual_office.server.i18n import LANGUAGES, language
from virtual_office.server.protocol import CITIZEN, CLERK, PUBLIC, office_room, staff_room, ticket_room
from virtual_office.server.services import Services

log = logging.getLogger(__name__)


class StatusBroadcaster:
    """Marks offices dirty on every change and pushes their state once per interval.

    Pushes go to everyone watching the office: the public status, the clerks' queue,
    and each waiting citizen's position. The process that made a change pushes it;
    with several processes, socket.io's Redis manager delivers to all of them.
    """

    def __init__(self, sio: socketio.AsyncServer, services: Services) -> None:
        self._sio = sio
        self._services = services
        self._interval = services.settings.status_interval
        self._dirty: set[str] = set()
        self._wake = asyncio.Event()
        self._recent: dict[str, tuple[float, OfficeStatus]] = {}
        """office id -> (when, status): a burst of widgets connecting shares one computation."""

    def mark(self, office_id: str) -> None:
        self._recent.pop(office_id, None)
        self._dirty.add(office_id)
        self._wake.set()

    async def run(self) -> None:
        while True:
            await self._wake.wait()
            # Let the burst gather for one interval, then push it as one update.
            await asyncio.sleep(self._interval)
            self._wake.clear()
            dirty, self._dirty = self._dirty, set()
            # One office after another: pushed side by side, their fan-outs would
            # interleave and every office's update would arrive as late as the last one's.
            for office_id in dirty:
                await self._push_safely(office_id)

    async def _push_safely(self, office_id: str) -> None:
        try:
            await self.push(office_id)
        except UnknownOffice:
            pass
        except (RedisError, StoreUnavailable, OSError) as exc:
            # Redis is restarting or unreachable: push once it is back.
            log.warning("office status not pushed (%s); retrying", type(exc).__name__)
            await asyncio.sleep(1)
            self.mark(office_id)
        except Exception:  # noqa: BLE001 - one office's failure must not stop the others
            log.exception("pushing the state of office %s failed", office_id)
            self.mark(office_id)

    async def status(self, office_id: str, *, fresh: bool = False) -> OfficeStatus:
        """The office's status, computed at most once per interval unless it changed."""
        recent = self._recent.get(office_id)
        if not fresh and recent and time.monotonic() - recent[0] < self._interval:
            return recent[1]
        s = self._services
        office = await s.offices.get(office_id)
        status = await office_status(s.redis, s.presence, office, s.room.now())
        self._recent[office_id] = (time.monotonic(), status)
        return status

    async def push(self, office_id: str) -> None:
        s = self._services
        # The time before the tickets are read: a call pushed meanwhile is newer than this push's tickets.
        now = s.room.now_ms()
        status = await self.status(office_id, fresh=True)
        for lang in LANGUAGES:
            await self._sio.emit("office_status", status.to_json(lang), room=office_room(office_id, lang), namespace=PUBLIC)
        waiting, with_clerks = await s.room.waiting(office_id), await s.room.with_clerks(office_id)
        await self._sio.emit("queue", await self.queue(status, waiting, with_clerks), room=staff_room(office_id), namespace=CLERK)
        await self.push_tickets(status, waiting, with_clerks, now)

    async def queue(
        self, status: OfficeStatus, waiting: list[Ticket] | None = None, with_clerks: list[Ticket] | None = None
    ) -> dict[str, object]:
        """The clerks' view of one office (its tickets read unless given)."""
        s = self._services
        office = status.office
        now = s.room.now_ms()
        if waiting is None or with_clerks is None:
            waiting, with_clerks = await s.room.waiting(office.id), await s.room.with_clerks(office.id)
        on_duty = await s.presence.on_duty(office.id)
        serving = {t.clerk_id for t in with_clerks}
        accounts = await s.clerks.many(list(on_duty))
        clerks = [
            {
                "id": clerk_id,
                "name": accounts[clerk_id].name if clerk_id in accounts else "",
                "presence": "with_citizen" if clerk_id in serving else state,
            }
            for clerk_id, state in on_duty.items()
        ]
        return {
            "office_id": office.id,
            "status": status.to_json("de"),
            "tickets": [payloads.ticket_for_clerk(t, office, i + 1, now) for i, t in enumerate(waiting)]
            + [payloads.ticket_for_clerk(t, office, None, now) for t in with_clerks],
            "clerks": clerks,
        }

    async def push_tickets(self, status: OfficeStatus, waiting: list[Ticket], with_clerks: list[Ticket], now: int) -> None:
        """Each waiting or called citizen learns their place and estimate, as read at ``now`` (ms)."""
        office = status.office
        for position, ticket in enumerate(waiting, start=1):
            payload = payloads.ticket_for_citizen(ticket, office, status, position, language(ticket.language), now)
            await self._sio.emit("ticket", payload, room=ticket_room(ticket.id), namespace=CITIZEN)
        for ticket in with_clerks:
            payload = payloads.ticket_for_citizen(ticket, office, status, None, language(ticket.language), now)
            await self._sio.emit("ticket", payload, room=ticket_room(ticket.id), namespace=CITIZEN)

    async def citizen_view(self, ticket: Ticket, lang: str) -> dict[str, object]:
        """What the citizen sees of their ticket right now."""
        s = self._services
        now = s.room.now_ms()
        office = await s.offices.get(ticket.office_id)
        status = await self.status(office.id)
        position = await s.room.position(ticket)
        return payloads.ticket_for_citizen(ticket, office, status, position, lang, now)

    async def push_ticket(self, ticket: Ticket) -> None:
        """Push one citizen's ticket straight away: being called must not wait for a batch."""
        view = await self.citizen_view(ticket, language(ticket.language))
        await self._sio.emit("ticket", view, room=ticket_room(ticket.id), namespace=CITIZEN)


__all__ = ["StatusBroadcaster"]
