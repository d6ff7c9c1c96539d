"""Whether a visit's video is end-to-end encrypted, and the clerk's decision when a browser cannot encrypt.

Every visit's media is end-to-end encrypted (docs/e2ee.md). A member whose browser
cannot encrypt says so (``cannot_encrypt``); what then happens is the office's setting
(``Office.unencrypted_video``): ``refuse`` keeps that browser's video off, ``clerk`` asks
the serving clerk, who may hold the whole visit's video unencrypted
(``allow_unencrypted``). Every member's page is told (``encryption``) and says so.

Both are kept in Redis with the visit (``keys.visit_encryption``), so that every process
that carries a member of the visit answers alike and a restart forgets nothing; the
visit's end deletes them. They belong to one call of the ticket (its fields are prefixed
by ``called_at``): a ticket sent back and called again is encrypted again.
"""

from __future__ import annotations

from typing import Any

import socketio
from redis.asyncio import Redis

from virtual_office.media import MediaServer
from virtual_office.queue import NotAuthorized, OfficeDirectory, Ticket, keys
from virtual_office.server.protocol import VISIT, visit_room
from virtual_office.server.schemas import Empty
from virtual_office.server.visit.membership import Context

TTL_SECONDS = 12 * 3600
"""Refreshed on every write; longer than any visit, so that a missed end leaves nothing for long."""
PLAIN = "plain"
CANNOT = "cannot:"


def _call(ticket: Ticket) -> str:
    """The prefix of one call's fields: a decision belongs to the call, not to the ticket."""
    return f"{ticket.called_at or 0}:"


class VisitEncryption:
    """The members who cannot encrypt, and whether their clerk let the visit's video go unencrypted."""

    def __init__(self, offices: OfficeDirectory, media: MediaServer, sio: socketio.AsyncServer, redis: Redis) -> None:
        self._offices = offices
        self._media = media
        self._sio = sio
        self._redis = redis

    async def _state(self, ticket: Ticket) -> dict[str, Any]:
        """What every member's page is told: ``e2ee`` and the participants whose browsers cannot encrypt."""
        call = _call(ticket)
        fields = await self._redis.hgetall(keys.visit_encryption(ticket.id))
        cannot = sorted(str(f).removeprefix(call + CANNOT) for f in fields if str(f).startswith(call + CANNOT))
        return {"e2ee": call + PLAIN not in fields, "cannot_encrypt": cannot}

    async def _note(self, ticket: Ticket, field: str) -> None:
        key = keys.visit_encryption(ticket.id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, _call(ticket) + field, "1")
            pipe.expire(key, TTL_SECONDS)
            await pipe.execute()

    async def forget(self, visit_id: str) -> None:
        """The visit ended: nothing of it is kept."""
        await self._redis.delete(keys.visit_encryption(visit_id))

    async def on_encryption(self, ctx: Context, data: Empty) -> dict[str, Any]:
        """Whether the visit's video is end-to-end encrypted, and whose browsers cannot encrypt."""
        return {"ok": True, **await self._state(ctx.ticket)}

    async def on_cannot_encrypt(self, ctx: Context, data: Empty) -> dict[str, Any]:
        """The member's browser cannot encrypt: the office's setting says what happens (the answer's ``policy``)."""
        office = await self._offices.get(ctx.ticket.office_id)
        await self._note(ctx.ticket, CANNOT + ctx.member.participant)
        state = await self._state(ctx.ticket)
        # the others learn it either way: the clerk decides, or at least knows why there is no video
        await self._sio.emit("encryption", state, room=visit_room(ctx.ticket.id), namespace=VISIT)
        return {"ok": True, "policy": office.unencrypted_video, **state}

    async def on_allow_unencrypted(self, ctx: Context, data: Empty) -> dict[str, Any]:
        """The serving clerk holds the visit's video unencrypted, where the office leaves it to them."""
        ctx.member.require_serving_clerk()
        office = await self._offices.get(ctx.ticket.office_id)
        if office.unencrypted_video != "clerk":
            raise NotAuthorized("the office refuses unencrypted video")
        await self._note(ctx.ticket, PLAIN)
        session = self._media.get(ctx.ticket.id)
        if session is not None:
            session.encrypted = False  # its frames may be decoded again (e.g. for a browser without VP8)
        state = await self._state(ctx.ticket)
        await self._sio.emit("encryption", state, room=visit_room(ctx.ticket.id), namespace=VISIT)
        return {"ok": True, **state}


__all__ = ["VisitEncryption"]
