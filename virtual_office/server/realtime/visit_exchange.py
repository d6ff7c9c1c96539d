"""What members exchange in /visit besides media: chat, files, signatures, the ID check.

Every event re-checks membership (``self.member``) first: a visit that has ended lets
nobody act. Files travel over HTTP (``exchange/routes.py``); here members learn of them.
"""

from __future__ import annotations

import asyncio
from typing import Any

from virtual_office.queue import InvalidInput, NotAuthorized
from virtual_office.server.exchange import exchange_for, script_strings, staff_room
from virtual_office.server.exchange.chat import ChatPace, chat_text, message
from virtual_office.server.exchange.signature import PAPER, REQUESTED, clean_document, new_request, public
from virtual_office.server.realtime.broadcaster import visit_room
from virtual_office.server.realtime.handlers import event, field

CITIZEN = "citizen"


class VisitExchange:
    """Mixed into VisitNamespace (which provides member(), emit(), enter_room() and _services)."""

    _services: Any

    def __init__(self) -> None:
        self._chat_pace = ChatPace()

    @property
    def _exchange(self) -> Any:
        return exchange_for(self._services)

    async def _staff(self, sid: str, session: dict[str, Any]) -> tuple[Any, Any]:
        ticket, member = await self.member(session)  # type: ignore[attr-defined]
        if member.role == CITIZEN:
            raise NotAuthorized("for the office's staff only")
        # Staff who act in the visit get the final visit record when it ends.
        await self.enter_room(sid, staff_room(ticket.id, session.get("lang", "de")))  # type: ignore[attr-defined]
        return ticket, member

    @event
    async def on_exchange(self, sid: str, session: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
        """Everything so far (after a reload, too): who I am, chat, files, signature requests."""
        ticket, member = await self.member(session)  # type: ignore[attr-defined]
        exchange = self._exchange
        await exchange.state.begin(ticket.id, ticket.office_id, ticket.visit_started)
        if member.role != CITIZEN:
            await self.enter_room(sid, staff_room(ticket.id, session.get("lang", "de")))  # type: ignore[attr-defined]
        meta = await exchange.state.meta(ticket.id)
        settings = self._services.settings
        return {
            "ok": True,
            "strings": script_strings(session.get("lang", "de")),
            "limits": {"max_bytes": settings.max_upload_bytes, "types": list(settings.upload_types)},
            "me": {"participant": member.participant, "role": member.role, "name": member.name},
            "chat": await exchange.state.chat(ticket.id),
            "files": [f.to_json() for f in await asyncio.to_thread(exchange.files.list, ticket.id)],
            "signatures": [public(r) for r in await exchange.state.requests(ticket.id)],
            "id_check_requested": meta.get("id_check_requested") == "1",
            "id_checked": meta.get("id_checked") == "1",
        }

    @event
    async def on_chat(self, sid: str, session: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
        ticket, member = await self.member(session)  # type: ignore[attr-defined]
        text = chat_text(data.get("text"))
        self._chat_pace.take((ticket.id, member.participant))
        body = message(member.participant, member.name, member.role, text, self._services.room.now_ms())
        await self._exchange.state.add_chat(ticket.id, body)
        await self.emit("chat", body, room=visit_room(ticket.id))  # type: ignore[attr-defined]
        return {"ok": True}

    @event
    async def on_signature_request(self, sid: str, session: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
        ticket, member = await self._staff(sid, session)
        document = clean_document(field(data, "document", max_length=500))
        if not document:
            raise InvalidInput("document is empty")
        request = new_request(document, member.participant, session.get("lang", "de"), self._services.room.now_ms())
        await self._exchange.state.save_request(ticket.id, request)
        await self.emit("signature_request", public(request), room=visit_room(ticket.id))  # type: ignore[attr-defined]
        return {"ok": True, "request": public(request)}

    @event
    async def on_signed_on_paper(self, sid: str, session: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
        """The clerk notes the document was signed on paper (the pad needs a pointer)."""
        ticket, _ = await self._staff(sid, session)
        request = await self._exchange.state.request(ticket.id, field(data, "request_id", max_length=40))
        if request is None or request["state"] != REQUESTED:
            raise InvalidInput("no open signature request with that id")
        request = {**request, "state": PAPER}
        await self._exchange.state.save_request(ticket.id, request)
        await self.emit("signature", public(request), room=visit_room(ticket.id))  # type: ignore[attr-defined]
        return {"ok": True, "request": public(request)}

    @event
    async def on_id_check_request(self, sid: str, session: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
        """Ask the citizen to hold their ID card up to the camera. No image is taken."""
        ticket, _ = await self._staff(sid, session)
        await self._exchange.state.set_flag(ticket.id, "id_check_requested", True)
        await self.emit("id_check_request", {"at": self._services.room.now_ms()}, room=visit_room(ticket.id))  # type: ignore[attr-defined]
        return {"ok": True}

    @event
    async def on_id_checked(self, sid: str, session: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
        ticket, _ = await self._staff(sid, session)
        checked = data.get("checked")
        if not isinstance(checked, bool):
            raise InvalidInput("checked must be true or false")
        await self._exchange.state.set_flag(ticket.id, "id_checked", checked)
        if checked:
            await self._exchange.state.set_flag(ticket.id, "id_check_requested", False)
        await self.emit("id_checked", {"checked": checked}, room=visit_room(ticket.id))  # type: ignore[attr-defined]
        return {"ok": True}

    @event
    async def on_record(self, sid: str, session: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
        """The visit record so far, as text to copy into the case system."""
        ticket, _ = await self._staff(sid, session)
        exchange = self._exchange
        await exchange.state.begin(ticket.id, ticket.office_id, ticket.visit_started)
        record = await exchange.record(ticket.id, session.get("lang", "de"), self._services.room.now_ms())
        return {"ok": True, "record": record}
