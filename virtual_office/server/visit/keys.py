"""End-to-end keys: the members' browsers agree on them; this process only relays their messages.

Each browser encrypts its media frames with a key of its own and hands that key to every
other member, sealed with a key agreed by ECDH (P-256) between the two browsers
(``static/e2ee.js``). The server sees commitments, public keys, nonces and sealed keys, never
a media key: it relays each ``key`` message to the one member it names, stamped with who sent
it, and checks no more than its shape, that the named one is a member now, and how often a
connection sends (docs/e2ee.md).
"""

from __future__ import annotations

import time
from collections import deque
from typing import Any

import socketio

from virtual_office.queue import InvalidInput, QueueError, Ticket
from virtual_office.server.protocol import VISIT, clerk_participant, participant_room
from virtual_office.server.visit.membership import CITIZEN_PARTICIPANT, Context
from virtual_office.server.visit.schemas import KeyMessage

BURST = 60
"""Key messages one connection may send within :data:`WINDOW_SECONDS`: on every change of the
visit a member commits, reveals and hands a key to at most four others, a few changes a minute."""
WINDOW_SECONDS = 10.0


class TooManyKeys(QueueError):
    """A connection sent more key messages than a browser does; it may again after a while."""

    code = "too_many"


def participants(ticket: Ticket) -> set[str]:
    """Every member of the visit now: the citizen, the serving clerk, the colleagues."""
    staff = [ticket.clerk_id, *ticket.guests]
    return {CITIZEN_PARTICIPANT, *(clerk_participant(c) for c in staff if c)}


class KeyRelay:
    """Passes each member's key messages on to the member they name, and to no one else."""

    def __init__(self, sio: socketio.AsyncServer) -> None:
        self._sio = sio
        self._sent: dict[str, deque[float]] = {}
        """sid -> when its latest key messages came (at most BURST)."""

    def _count(self, sid: str) -> None:
        now = time.monotonic()
        sent = self._sent.setdefault(sid, deque(maxlen=BURST))
        if len(sent) == BURST and now - sent[0] < WINDOW_SECONDS:
            raise TooManyKeys("too many key messages")
        sent.append(now)

    def forget(self, sid: str) -> None:
        """The connection closed: its count goes."""
        self._sent.pop(sid, None)

    async def on_key(self, ctx: Context, data: KeyMessage) -> dict[str, Any]:
        """A key message for one other member (docs/events.md)."""
        if data.to == ctx.member.participant or data.to not in participants(ctx.ticket):
            raise InvalidInput("not a member of this visit")
        self._count(ctx.sid)
        message = {"from": ctx.member.participant, **data.model_dump(exclude={"to"}, exclude_none=True)}
        await self._sio.emit("key", message, room=participant_room(ctx.member.visit_id, data.to), namespace=VISIT)
        return {"ok": True}


__all__ = ["KeyRelay", "TooManyKeys"]
