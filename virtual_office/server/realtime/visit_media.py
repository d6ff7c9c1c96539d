"""The media part of /visit: signaling between each member's browser and the media server,
and the serving clerk adding and letting go of colleagues.

A visit's media session (id = the visit id) lives in the process its members reach:
with several processes, route every connection of one visit to the same process
(docs/media.md). The session is opened by the first member to connect and closed when
the last one has gone or the visit ends (the clerk's finish, send back, transfer).

Each participant has one browser tab carrying its media, the one that sent the
latest offer; a second tab of the same participant takes over and the first is told
(``replaced``). Signals are accepted only after membership is re-checked.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from virtual_office.media import BadSignal, MediaError, NegotiationFailed, NotAdmitted, Session, SessionClosed
from virtual_office.queue import CLERK as CLERK_ROLE
from virtual_office.queue import InvalidInput, NotAuthorized, TooManyGuests
from virtual_office.server import payloads
from virtual_office.server.i18n import translate
from virtual_office.server.realtime.broadcaster import CLERK as CLERK_NAMESPACE
from virtual_office.server.realtime.broadcaster import clerk_room
from virtual_office.server.realtime.handlers import event, field

log = logging.getLogger(__name__)

MAX_GUESTS = 3
"""Colleagues at once: every participant's browser receives up to three m-lines from each other one,
and an offer may carry at most 16 (virtual_office.media.signaling.MAX_MEDIA_SECTIONS)."""

_MEDIA_ERRORS = {NotAdmitted: "not_admitted", BadSignal: "bad_signal", NegotiationFailed: "negotiation_failed", SessionClosed: "ended"}


def participant_room(visit_id: str, participant: str) -> str:
    """Every connection of one participant of one visit (across processes)."""
    return f"visit:{visit_id}:{participant}"


def media_error(code: str, lang: str) -> dict[str, object]:
    return {"ok": False, "error": code, "message": translate(lang, f"visit.error.{code}")}


class VisitMedia:
    """Mixed into VisitNamespace. Hooks called by it: member_joined, member_left."""

    def __init__(self) -> None:
        self._connections: dict[str, dict[str, set[str]]] = {}
        """visit id -> participant -> sids in this process."""
        self._carriers: dict[tuple[str, str], str] = {}
        """(visit id, participant) -> the sid whose browser carries the participant's media."""

    # --- the media session --------------------------------------------------

    def _media_session(self, visit_id: str) -> Session:
        media = self._services.media  # type: ignore[attr-defined]
        session = media.get(visit_id)
        if session is None or session.closed:
            session = media.open_session(visit_id, functools.partial(self._deliver, visit_id))
        return session

    async def _deliver(self, visit_id: str, participant: str, message: dict[str, Any]) -> None:
        sid = self._carriers.get((visit_id, participant))
        if sid is not None:
            await self.emit("signal", message, to=sid)  # type: ignore[attr-defined]

    async def member_joined(self, sid: str, ticket: Any, member: Any) -> None:
        """A member connected: admitted to the media session (opened by the first)."""
        people = self._connections.setdefault(member.visit_id, {})
        people.setdefault(member.participant, set()).add(sid)
        await self.enter_room(sid, participant_room(member.visit_id, member.participant))  # type: ignore[attr-defined]
        self._media_session(member.visit_id).admit(member.participant)

    async def member_left(self, sid: str, visit_id: str, participant: str) -> None:
        """A member's connection closed: their media stops; the last one out closes the session."""
        people = self._connections.get(visit_id, {})
        sids = people.get(participant, set())
        sids.discard(sid)
        if not sids:
            people.pop(participant, None)
        media = self._services.media  # type: ignore[attr-defined]
        key = (visit_id, participant)
        if self._carriers.get(key) == sid:
            del self._carriers[key]
            session = media.get(visit_id)
            if session is not None:
                await session.disconnect(participant)  # still admitted: a reload offers again
        if not people:
            self._connections.pop(visit_id, None)
            for other in [k for k in self._carriers if k[0] == visit_id]:
                del self._carriers[other]
            await media.close_session(visit_id)

    # --- events ---------------------------------------------------------------

    @event
    async def on_whoami(self, sid: str, session: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
        """Who this connection is in the visit, and what it may do."""
        ticket, member = await self.member(session)  # type: ignore[attr-defined]
        return {"ok": True, "visit": ticket.id, "participant": member.participant, "role": member.role, "name": member.name}

    @event
    async def on_signal(self, sid: str, session: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
        """A signaling message from the member's browser (docs/events.md, virtual_office.media)."""
        ticket, member = await self.member(session)  # type: ignore[attr-defined]
        key = (member.visit_id, member.participant)
        carrier = self._carriers.get(key)
        if carrier != sid:
            if data.get("type") != "offer":
                return media_error("replaced" if carrier else "offer_first", session.get("lang", "de"))
            self._carriers[key] = sid
            if carrier is not None:
                await self.emit("replaced", {}, to=carrier)  # type: ignore[attr-defined]
        try:
            media_session = self._media_session(member.visit_id)
            media_session.admit(member.participant)  # membership was just re-checked
            await media_session.signal(member.participant, data)
        except MediaError as exc:
            code = next((c for kind, c in _MEDIA_ERRORS.items() if isinstance(exc, kind)), "media")
            return media_error(code, session.get("lang", "de"))
        return {"ok": True}

    async def _serving_clerk(self, session: dict[str, Any]) -> tuple[Any, Any]:
        ticket, member = await self.member(session)  # type: ignore[attr-defined]
        if member.role != "clerk":
            raise NotAuthorized("only the serving clerk may do this")
        return ticket, member

    @event
    async def on_colleagues(self, sid: str, session: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
        """The clerk accounts the serving clerk may add to the visit."""
        ticket, member = await self._serving_clerk(session)
        everyone = await self._services.clerks.all()  # type: ignore[attr-defined]
        colleagues = [
            {"id": c.id, "name": c.name, "invited": c.id in ticket.guests}
            for c in sorted(everyone, key=lambda c: c.name.lower())
            if c.role == CLERK_ROLE and c.id != member.clerk_id
        ]
        return {"ok": True, "colleagues": colleagues, "max_guests": MAX_GUESTS}

    @event
    async def on_invite(self, sid: str, session: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
        """Add a colleague or interpreter: they may join, and their console is told."""
        ticket, member = await self._serving_clerk(session)
        clerk_id = field(data, "clerk_id", max_length=40)
        colleague = await self._services.clerks.get(clerk_id)  # type: ignore[attr-defined]
        if colleague is None or colleague.role != CLERK_ROLE or colleague.id == member.clerk_id:
            raise InvalidInput("not a colleague who can be added")
        try:
            ticket = await self._services.room.add_guest(ticket.office_id, ticket.id, colleague.id, limit=MAX_GUESTS)  # type: ignore[attr-defined]
        except TooManyGuests:
            return media_error("too_many_guests", session.get("lang", "de"))
        invitation = {"visit_id": ticket.id, "visit_url": payloads.visit_url(ticket), "by": member.name,
                      "number": ticket.number, "office_id": ticket.office_id}
        await self.emit("invited", invitation, room=clerk_room(colleague.id), namespace=CLERK_NAMESPACE)  # type: ignore[attr-defined]
        await self.emit_participants(ticket)  # type: ignore[attr-defined]
        return {"ok": True}

    @event
    async def on_dismiss(self, sid: str, session: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
        """Let a colleague go: no longer a member, their media stops, their pages are told."""
        ticket, member = await self._serving_clerk(session)
        clerk_id = field(data, "clerk_id", max_length=40)
        if clerk_id not in ticket.guests:
            raise InvalidInput("not a colleague in this visit")
        ticket = await self._services.room.remove_guest(ticket.office_id, ticket.id, clerk_id)  # type: ignore[attr-defined]
        participant = f"clerk:{clerk_id}"
        media_session = self._services.media.get(ticket.id)  # type: ignore[attr-defined]
        if media_session is not None:
            await media_session.remove(participant)
        await self.emit("ended", {"reason": "dismissed"}, room=participant_room(ticket.id, participant))  # type: ignore[attr-defined]
        await self.emit("invitation_over", {"visit_id": ticket.id}, room=clerk_room(clerk_id), namespace=CLERK_NAMESPACE)  # type: ignore[attr-defined]
        await self.emit_participants(ticket)  # type: ignore[attr-defined]
        return {"ok": True}
