"""Whether a citizen is still there: their ticket is online while any page of theirs is connected.

The waiting room and the visit page both count: the waiting room's tab moves on to the
visit, and a citizen in a visit must not lose their place for having left the waiting
room. When the last page of a ticket disconnects, the grace period starts (the queue
counts it from the last sign of life); while pages are connected, this process sends
a heartbeat for their ticket now and then.
"""

from __future__ import annotations

import asyncio
from collections import Counter

from virtual_office.queue import QueueError, Ticket, UnknownTicket, WaitingRoom

HEARTBEAT_SECONDS = 15


class CitizenPresence:
    def __init__(self, room: WaitingRoom) -> None:
        self._room = room
        self._pages: Counter[str] = Counter()
        """ticket id -> connected pages in this process."""
        self._tokens: dict[str, str] = {}
        """ticket id -> token, for the connected tickets' heartbeats."""

    async def connected(self, ticket: Ticket, token: str) -> None:
        """A page of the ticket's citizen connected."""
        self._pages[ticket.id] += 1
        self._tokens[ticket.id] = token
        await self._room.heartbeat(ticket, online=True)

    async def disconnected(self, ticket_id: str) -> None:
        """A page of the ticket's citizen went; with the last one, the grace period starts."""
        if self._pages[ticket_id] > 1:
            self._pages[ticket_id] -= 1
            return
        self._pages.pop(ticket_id, None)
        token = self._tokens.pop(ticket_id, None)
        try:
            await self._room.heartbeat(await self._room.ticket(token), online=False)
        except QueueError:
            pass  # ended meanwhile, or Redis is away: the grace period covers both

    async def run(self) -> None:
        """Keep connected tickets alive; a reload or blip then counts from the last beat."""
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            for ticket_id, token in list(self._tokens.items()):
                try:
                    await self._room.heartbeat(await self._room.ticket(token))
                except UnknownTicket:
                    self._tokens.pop(ticket_id, None)
                except QueueError:
                    break  # Redis is away; try again next round


__all__ = ["CitizenPresence"]
