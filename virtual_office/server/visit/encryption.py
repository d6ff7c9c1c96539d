"""Whether a visit's video is end-to-end encrypted, and the clerk's decision when a browser cannot encrypt.

Every visit's media is end-to-end encrypted (docs/e2ee.md). A member whose browser
cannot encrypt says so (``cannot_encrypt``); what then happens is the office's setting
(``Office.unencrypted_video``): ``refuse`` keeps that browser's video off, ``clerk`` asks
the serving clerk, who may hold the whole visit's video unencrypted
(``allow_unencrypted``). Every member's page is told (``encryption``) and says so. The
decision lives in this process, where the visit's media lives, and belongs to one call
of the ticket: a ticket sent back and called again is encrypted again.
"""

from __future__ import annotations

from typing import Any

import socketio

from virtual_office.media import MediaServer
from virtual_office.queue import NotAuthorized, OfficeDirectory, Ticket
from virtual_office.server.protocol import VISIT, visit_room
from virtual_office.server.schemas import Empty
from virtual_office.server.visit.membership import Context


def _call(ticket: Ticket) -> tuple[str, int | None]:
    """One call of a ticket: the visit the decision belongs to."""
    return ticket.id, ticket.called_at


class VisitEncryption:
    """The members who cannot encrypt, and the visits their clerk let go unencrypted."""

    def __init__(self, offices: OfficeDirectory, media: MediaServer, sio: socketio.AsyncServer) -> None:
        self._offices = offices
        self._media = media
        self._sio = sio
        self._asking: dict[str, tuple[int | None, set[str]]] = {}
        """ticket id -> (its call, the participants whose browsers cannot encrypt)."""
        self._plain: dict[str, int | None] = {}
        """ticket id -> the call whose video the clerk let go unencrypted."""

    def _asking_now(self, ticket: Ticket) -> set[str]:
        call, who = self._asking.get(ticket.id, (None, set()))
        return who if call == ticket.called_at else set()

    def encrypted(self, ticket: Ticket) -> bool:
        return self._plain.get(ticket.id, -1) != ticket.called_at

    def _state(self, ticket: Ticket) -> dict[str, Any]:
        return {"e2ee": self.encrypted(ticket), "cannot_encrypt": sorted(self._asking_now(ticket))}

    async def on_encryption(self, ctx: Context, data: Empty) -> dict[str, Any]:
        """Whether the visit's video is end-to-end encrypted, and whose browsers cannot encrypt."""
        return {"ok": True, **self._state(ctx.ticket)}

    async def on_cannot_encrypt(self, ctx: Context, data: Empty) -> dict[str, Any]:
        """The member's browser cannot encrypt: the office's setting says what happens (the answer's ``policy``)."""
        office = await self._offices.get(ctx.ticket.office_id)
        who = self._asking_now(ctx.ticket) | {ctx.member.participant}
        self._asking[ctx.ticket.id] = (ctx.ticket.called_at, who)
        # the others learn it either way: the clerk decides, or at least knows why there is no video
        await self._sio.emit("encryption", self._state(ctx.ticket), room=visit_room(ctx.ticket.id), namespace=VISIT)
        return {"ok": True, "policy": office.unencrypted_video, **self._state(ctx.ticket)}

    async def on_allow_unencrypted(self, ctx: Context, data: Empty) -> dict[str, Any]:
        """The serving clerk holds the visit's video unencrypted, where the office leaves it to them."""
        ctx.member.require_serving_clerk()
        office = await self._offices.get(ctx.ticket.office_id)
        if office.unencrypted_video != "clerk":
            raise NotAuthorized("the office refuses unencrypted video")
        self._plain[ctx.ticket.id] = ctx.ticket.called_at
        session = self._media.get(ctx.ticket.id)
        if session is not None:
            session.encrypted = False  # its frames may be decoded again (e.g. for a browser without VP8)
        await self._sio.emit("encryption", self._state(ctx.ticket), room=visit_room(ctx.ticket.id), namespace=VISIT)
        return {"ok": True, **self._state(ctx.ticket)}


__all__ = ["VisitEncryption"]
