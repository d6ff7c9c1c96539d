"""/visit: the members of a visit, checked on connect and again before every event.

The namespace itself only admits connections and dispatches events; what members
do lives in its collaborators: media signaling (``Signaling``), colleagues
(``Colleagues``), the exchange (``ExchangeEvents``), fees (``PaymentEvents``), the
end-to-end key relay (``KeyRelay``) and whether the visit is encrypted (``VisitEncryption``). Every event's handler is
``on_<event>(ctx, payload)`` on one of them, called with the payload parsed into the
event's model (``schemas``) and only after the sender's membership was re-read from the
ticket: a visit that ended, or a colleague let go, can do nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from virtual_office.queue import QueueError
from virtual_office.server.presence import CitizenPresence
from virtual_office.server.protocol import VISIT, visit_room
from virtual_office.server.realtime import Namespace, UnknownEvent, from_own_page, refuse
from virtual_office.server.schemas import Empty
from virtual_office.server.sessions import read_session, session_of
from virtual_office.server.visit.colleagues import Colleagues
from virtual_office.server.visit.encryption import VisitEncryption
from virtual_office.server.visit.exchange import ExchangeEvents
from virtual_office.server.visit.keys import KeyRelay
from virtual_office.server.visit.membership import Context, Membership
from virtual_office.server.visit.payments import PaymentEvents
from virtual_office.server.visit.schemas import EVENTS, Signal, VisitConnect
from virtual_office.server.visit.signaling import Signaling
from virtual_office.settings import Settings

VisitHandler = Callable[[Context, Any], Awaitable[dict[str, Any]]]


class VisitNamespace(Namespace):
    events = EVENTS
    connect_schema = VisitConnect

    def __init__(
        self,
        settings: Settings,
        membership: Membership,
        signaling: Signaling,
        colleagues: Colleagues,
        exchange: ExchangeEvents,
        payments: PaymentEvents,
        presence: CitizenPresence,
        keys: KeyRelay,
        encryption: VisitEncryption,
    ) -> None:
        super().__init__(VISIT)
        self._settings = settings
        self._membership = membership
        self._signaling = signaling
        self._presence = presence
        self._keys = keys
        self._handlers: dict[str, VisitHandler] = {"whoami": self.on_whoami, "signal": self.on_signal}
        for collaborator in (colleagues, exchange, payments, keys, encryption):
            for name in dir(collaborator):
                if name.startswith("on_"):
                    self._handlers[name.removeprefix("on_")] = getattr(collaborator, name)

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: VisitConnect) -> None:
        lang = from_own_page(environ, auth, self._settings.base_url)
        token = auth.token or None
        staff = {} if token else read_session(self._settings, environ.get("HTTP_COOKIE"))
        try:
            ticket, member = await self._membership.authorize(auth.visit, token, staff)
        except QueueError as exc:
            raise refuse(exc.code, lang) from None
        await self.save_session(
            sid,
            {
                "visit": member.visit_id, "token": token, "participant": member.participant, "lang": lang,
                # kept to re-check on every event: a changed password ends the clerk's part too
                "staff": session_of(staff),
            },
        )
        await self.enter_room(sid, visit_room(member.visit_id))
        if token:
            await self._presence.connected(ticket, str(token))  # the visit page keeps the citizen's place too
        await self._signaling.joined(sid, member)
        await self._membership.announce(ticket, await self._signaling.connected(member.visit_id))

    async def on_disconnect(self, sid: str) -> None:
        self._keys.forget(sid)
        session = await self.get_session(sid)
        visit_id = session.get("visit")
        if not visit_id:
            return
        if session.get("token"):
            await self._presence.disconnected(visit_id)
        participant = session.get("participant", "")
        await self._signaling.left(sid, visit_id, participant)
        connected = await self._signaling.connected(visit_id)
        if participant in connected or not connected:
            return  # another tab of theirs is still open, or nobody is left to tell
        try:
            ticket, _ = await self._membership.again(session)
        except QueueError:
            return  # the visit ended, or they were let go: ``ended`` and ``participants`` said so already
        await self._membership.announce(ticket, connected)  # the others see that this member's connection went

    def handlers(self) -> dict[str, Callable[..., Awaitable[dict[str, Any]]]]:
        return dict(self._handlers)

    async def dispatch(self, event: str, sid: str, session: dict[str, Any], payload: Any) -> dict[str, Any]:
        handler = self._handlers.get(event)
        if handler is None:
            raise UnknownEvent(event)
        ticket, member = await self._membership.again(session)
        return await handler(Context(sid, session, ticket, member), payload)

    async def on_whoami(self, ctx: Context, data: Empty) -> dict[str, Any]:
        """Who this connection is in the visit, and what it may do."""
        member = ctx.member
        return {"ok": True, "visit": ctx.ticket.id, "participant": member.participant, "role": member.role, "name": member.name}

    async def on_signal(self, ctx: Context, data: Signal) -> dict[str, Any]:
        """A signaling message from the member's browser (docs/events.md, virtual_office.media)."""
        return await self._signaling.signal(ctx.sid, ctx.member, data.message(), ctx.lang)


__all__ = ["VisitNamespace"]
