"""What members exchange over /visit besides media: chat, signature requests, the ID check, the record.

The visit namespace has re-checked membership before any handler here runs, and parsed
the payload into the event's model (``schemas``). Files travel over HTTP (``routes``);
members learn of them through events sent from there.
"""

from __future__ import annotations

import asyncio
from typing import Any

import socketio

from virtual_office.queue import InvalidInput
from virtual_office.server.i18n import script_strings
from virtual_office.server.protocol import VISIT, record_room, visit_room
from virtual_office.server.schemas import Empty
from virtual_office.server.visit.exchange.chat import ChatPace, message
from virtual_office.server.visit.exchange.exchange import Exchange
from virtual_office.server.visit.exchange.schemas import ChatMessage, IdChecked, PaperSignature, SignatureRequest
from virtual_office.server.visit.exchange.signature import PAPER, REQUESTED, new_request, public
from virtual_office.server.visit.membership import Context
from virtual_office.settings import Settings


class ExchangeEvents:
    def __init__(self, exchange: Exchange, settings: Settings, sio: socketio.AsyncServer) -> None:
        self._exchange = exchange
        self._settings = settings
        self._sio = sio
        self._chat_pace = ChatPace()

    async def _emit(self, event: str, data: object, ctx: Context) -> None:
        await self._sio.emit(event, data, room=visit_room(ctx.ticket.id), namespace=VISIT)

    async def _staff(self, ctx: Context) -> None:
        """For staff only; staff who act in the visit get the final visit record when it ends."""
        ctx.member.require_staff()
        await self._sio.enter_room(ctx.sid, record_room(ctx.ticket.id, ctx.lang), namespace=VISIT)

    async def on_exchange(self, ctx: Context, data: Empty) -> dict[str, Any]:
        """Everything so far (after a reload, too): who I am, chat, files, signature requests."""
        state, ticket = self._exchange.state, ctx.ticket
        await state.begin(ticket.id, ticket.office_id, ticket.visit_started)
        if ctx.member.is_staff:
            await self._staff(ctx)
        meta = await state.meta(ticket.id)
        member = ctx.member
        return {
            "ok": True,
            "strings": script_strings(ctx.lang, "exchange.js."),
            "limits": {"max_bytes": self._settings.max_upload_bytes, "types": list(self._settings.upload_types)},
            "me": {"participant": member.participant, "role": member.role, "name": member.name},
            "chat": await state.chat(ticket.id),
            "files": [f.to_json() for f in await asyncio.to_thread(self._exchange.files.list, ticket.id)],
            "signatures": [public(r) for r in await state.requests(ticket.id)],
            "id_check_requested": meta.get("id_check_requested") == "1",
            "id_checked": meta.get("id_checked") == "1",
        }

    async def on_chat(self, ctx: Context, data: ChatMessage) -> dict[str, Any]:
        member = ctx.member
        self._chat_pace.take((ctx.ticket.id, member.participant))
        body = message(member.participant, member.name, member.role, data.text, self._exchange.room.now_ms())
        await self._exchange.state.add_chat(ctx.ticket.id, body)
        await self._emit("chat", body, ctx)
        return {"ok": True}

    async def on_signature_request(self, ctx: Context, data: SignatureRequest) -> dict[str, Any]:
        await self._staff(ctx)
        request = new_request(data.document, ctx.member.participant, ctx.lang, self._exchange.room.now_ms())
        await self._exchange.state.save_request(ctx.ticket.id, request)
        await self._emit("signature_request", public(request), ctx)
        return {"ok": True, "request": public(request)}

    async def on_signed_on_paper(self, ctx: Context, data: PaperSignature) -> dict[str, Any]:
        """The clerk notes the document was signed on paper (the pad needs a pointer)."""
        await self._staff(ctx)
        request = await self._exchange.state.request(ctx.ticket.id, data.request_id)
        if request is None or request["state"] != REQUESTED:
            raise InvalidInput("no open signature request with that id")
        request = {**request, "state": PAPER}
        await self._exchange.state.save_request(ctx.ticket.id, request)
        await self._emit("signature", public(request), ctx)
        return {"ok": True, "request": public(request)}

    async def on_id_check_request(self, ctx: Context, data: Empty) -> dict[str, Any]:
        """Ask the citizen to hold their ID card up to the camera. No image is taken."""
        await self._staff(ctx)
        await self._exchange.state.set_flag(ctx.ticket.id, "id_check_requested", True)
        await self._emit("id_check_request", {"at": self._exchange.room.now_ms()}, ctx)
        return {"ok": True}

    async def on_id_checked(self, ctx: Context, data: IdChecked) -> dict[str, Any]:
        await self._staff(ctx)
        checked = data.checked
        await self._exchange.state.set_flag(ctx.ticket.id, "id_checked", checked)
        if checked:
            await self._exchange.state.set_flag(ctx.ticket.id, "id_check_requested", False)
        await self._emit("id_checked", {"checked": checked}, ctx)
        return {"ok": True}

    async def on_record(self, ctx: Context, data: Empty) -> dict[str, Any]:
        """The visit record so far, as text to copy into the case system."""
        await self._staff(ctx)
        await self._exchange.state.begin(ctx.ticket.id, ctx.ticket.office_id, ctx.ticket.visit_started)
        return {"ok": True, "record": await self._exchange.record(ctx.ticket.id, ctx.lang)}


__all__ = ["ExchangeEvents"]
