"""The media of a visit: signaling between each member's browser and this process's media server.

A visit's media session (id = the visit id) lives in the process its members reach:
with several processes, route every connection of one visit to the same process
(docs/media.md). The session is opened by the first member to connect; this
process lets it go when its last member's connection has gone (:meth:`Signaling.left`),
and the visit's end closes it (:meth:`Signaling.forget`).

Each participant has one browser tab carrying its media, the one that sent the
latest offer; a second tab of the same participant takes over and the first is told
(``replaced``).
"""

from __future__ import annotations

import functools
from typing import Any

import socketio

from virtual_office.media import BadSignal, MediaError, MediaServer, NegotiationFailed, NotAdmitted, Session, SessionClosed
from virtual_office.server.i18n import translate
from virtual_office.server.protocol import VISIT, participant_room
from virtual_office.server.visit.membership import Member

_MEDIA_ERRORS = {NotAdmitted: "not_admitted", BadSignal: "bad_signal", NegotiationFailed: "negotiation_failed", SessionClosed: "ended"}


def media_error(code: str, lang: str) -> dict[str, object]:
    return {"ok": False, "error": code, "message": translate(lang, f"visit.error.{code}")}


class Signaling:
    """Which connection carries whose media, and the messages between them and the media server."""

    def __init__(self, media: MediaServer, sio: socketio.AsyncServer) -> None:
        self._media = media
        self._sio = sio
        self._connections: dict[str, dict[str, set[str]]] = {}
        """visit id -> participant -> sids in this process."""
        self._carriers: dict[tuple[str, str], str] = {}
        """(visit id, participant) -> the sid whose browser carries the participant's media."""

    def _session(self, visit_id: str) -> Session:
        session = self._media.get(visit_id)
        if session is None or session.closed:
            # the pages encrypt end to end (docs/e2ee.md): forward only, never decode
            session = self._media.open_session(visit_id, functools.partial(self._deliver, visit_id), encrypted=True)
        return session

    async def _deliver(self, visit_id: str, participant: str, message: dict[str, Any]) -> None:
        sid = self._carriers.get((visit_id, participant))
        if sid is not None:
            await self._sio.emit("signal", message, to=sid, namespace=VISIT)

    async def joined(self, sid: str, member: Member) -> None:
        """A member connected: admitted to the media session (opened by the first)."""
        people = self._connections.setdefault(member.visit_id, {})
        people.setdefault(member.participant, set()).add(sid)
        await self._sio.enter_room(sid, participant_room(member.visit_id, member.participant), namespace=VISIT)
        self._session(member.visit_id).admit(member.participant)

    async def left(self, sid: str, visit_id: str, participant: str) -> None:
        """A member's connection closed: their media stops; the last one out lets the session go."""
        people = self._connections.get(visit_id, {})
        sids = people.get(participant, set())
        sids.discard(sid)
        if not sids:
            people.pop(participant, None)
        key = (visit_id, participant)
        if self._carriers.get(key) == sid:
            del self._carriers[key]
            session = self._media.get(visit_id)
            if session is not None:
                await session.disconnect(participant)  # still admitted: a reload offers again
        if not people:
            await self.forget(visit_id)

    async def connected(self, visit_id: str) -> set[str]:
        """The participants with a connection to the visit now: with several tabs, while any is open."""
        return set(self._connections.get(visit_id, {}))

    async def forget(self, visit_id: str) -> None:
        """Close the visit's media session in this process and forget its connections."""
        self._connections.pop(visit_id, None)
        for key in [k for k in self._carriers if k[0] == visit_id]:
            del self._carriers[key]
        await self._media.close_session(visit_id)

    async def signal(self, sid: str, member: Member, data: dict[str, Any], lang: str) -> dict[str, Any]:
        """A signaling message from the member's browser (docs/events.md, virtual_office.media)."""
        key = (member.visit_id, member.participant)
        carrier = self._carriers.get(key)
        if carrier != sid:
            if data.get("type") != "offer":
                return media_error("replaced" if carrier else "offer_first", lang)
            self._carriers[key] = sid
            if carrier is not None:
                await self._sio.emit("replaced", {}, to=carrier, namespace=VISIT)
        try:
            session = self._session(member.visit_id)
            session.admit(member.participant)  # membership was just re-checked
            await session.signal(member.participant, data)
        except MediaError as exc:
            code = next((c for kind, c in _MEDIA_ERRORS.items() if isinstance(exc, kind)), "media")
            return media_error(code, lang)
        return {"ok": True}

    async def remove(self, visit_id: str, participant: str) -> None:
        """A participant may no longer take part: their media stops now."""
        session = self._media.get(visit_id)
        if session is not None:
            await session.remove(participant)


__all__ = ["Signaling", "media_error"]
