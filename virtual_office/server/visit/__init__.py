"""The video visit: who is a member, what members do, and how a visit ends.

- ``membership``: who may take part (one rule for socket.io and HTTP).
- ``lifecycle``: the one end of a visit (``Visits.end``).
- ``namespace``: /visit, dispatching each member's events after re-checking membership.
- ``signaling``: each member's media through this process's media server (``server.cluster``: on the visit's home node).
- ``colleagues``: the serving clerk adds and lets go of colleagues.
- ``keys``: relays the browsers' end-to-end key messages, member to member.
- ``encryption``: whether the visit is end-to-end encrypted; the clerk's decision for a browser that cannot.
- ``exchange/``: chat, files, signatures, the ID check and the visit record.
- ``payments/``: fees asked for in the visit, paid on a platform's page or by transfer.
- ``page``: the visit page; ``templates/`` and ``static/`` its markup and scripts.
"""

from __future__ import annotations

from dataclasses import dataclass

import socketio
from starlette.routing import BaseRoute

from virtual_office.payments import Cashier
from virtual_office.queue import Ticket
from virtual_office.server.presence import CitizenPresence
from virtual_office.server.services import Services
from virtual_office.server.status import StatusBroadcaster
from virtual_office.server.visit import exchange, page, payments
from virtual_office.server.visit.colleagues import Colleagues
from virtual_office.server.visit.encryption import VisitEncryption
from virtual_office.server.visit.exchange import Exchange, ExchangeEvents, VisitFiles, VisitState
from virtual_office.server.visit.keys import KeyRelay
from virtual_office.server.visit.lifecycle import REASONS, TICKET_LIVES_ON, VisitLifecycle
from virtual_office.server.visit.membership import Member, Membership
from virtual_office.server.visit.namespace import VisitNamespace
from virtual_office.server.visit.signaling import Signaling

routes: list[BaseRoute] = [*page.routes, *exchange.routes, *payments.routes]


@dataclass(frozen=True)
class Visits:
    """The visit feature of one process, as the rest of the server uses it."""

    membership: Membership
    exchange: Exchange
    lifecycle: VisitLifecycle
    namespace: VisitNamespace

    @classmethod
    def create(cls, sio: socketio.AsyncServer, services: Services, status: StatusBroadcaster, presence: CitizenPresence,
               cashier: Cashier, signaling: Signaling | None = None) -> Visits:
        """``signaling`` of a node among several (``server.cluster``); by default this process's own."""
        settings = services.settings
        membership = Membership(services.room, services.clerks, sio)
        store = Exchange(services.offices, services.room, VisitFiles(settings.data_dir / "visits"), VisitState(services.redis),
                         cashier.store)
        signaling = signaling or Signaling(services.media, sio)
        colleagues = Colleagues(services.room, services.clerks, membership, signaling, sio)
        encryption = VisitEncryption(services.offices, services.media, sio, services.redis)
        namespace = VisitNamespace(settings, membership, signaling, colleagues, ExchangeEvents(store, settings, sio),
                                   payments.PaymentEvents(cashier, settings, sio), presence, KeyRelay(sio), encryption)
        lifecycle = VisitLifecycle(sio, services.room, services.offices, store, signaling, status, encryption)
        return cls(membership, store, lifecycle, namespace)

    async def end(self, ticket: Ticket, reason: str) -> None:
        """The one end of a visit (see ``lifecycle``), once the queue has ended or moved ``ticket``."""
        await self.lifecycle.end(ticket, reason)


__all__ = ["REASONS", "TICKET_LIVES_ON", "Member", "Visits", "routes"]
