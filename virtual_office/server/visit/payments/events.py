"""The members' events about fees, and every change of a visit's payment pushed to its room.

The cashier calls :meth:`PaymentEvents.changed` after each state change it makes in this
process: the clerk's request, the citizen coming back from the pay page, and the
reconciler (in whichever process holds its lock). The push goes to the visit's room, which
reaches the visit's members in every process when rooms are shared through Redis.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from typing import Any
from urllib.parse import urlencode

import socketio

from virtual_office.payments import FREE, Cashier, Charge, FeeCatalogue, PaymentError, State, Transaction, UnknownTransaction
from virtual_office.payments.girocode import transfer_qr
from virtual_office.server import payloads
from virtual_office.server.i18n import language
from virtual_office.server.protocol import VISIT, visit_room
from virtual_office.server.schemas import Empty
from virtual_office.server.visit.membership import Context
from virtual_office.server.visit.payments.schemas import PaymentRequest, PaymentRetry
from virtual_office.settings import Settings

log = logging.getLogger(__name__)

RETRYABLE = frozenset({State.FAILED, State.CANCELLED, State.ABANDONED})
"""A payment in one of these states may be asked for again (a new transaction, the same fees)."""


def payment_json(tx: Transaction) -> dict[str, Any]:
    """A payment as both sides of the visit see it; a transfer's GiroCode as an SVG data URI."""
    data = tx.to_json()
    data["retry"] = tx.state in RETRYABLE
    if tx.instructions and tx.state is State.TRANSFER_REQUESTED:
        data["girocode"] = transfer_qr(tx.instructions).svg_data_uri(scale=4, border=2)
    return data


def return_signature(secret_key: str, office_id: str, visit_id: str) -> str:
    """What proves a return address was made by this server (nobody else can make it read statuses)."""
    message = f"payment-return:{office_id}:{visit_id}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()[:32]


def return_url(settings: Settings, office_id: str, visit_id: str, lang: str) -> str:
    """Where the platform sends the citizen back to (``returned``), in the citizen's language."""
    query = urlencode({"office": office_id, "lang": lang, "sig": return_signature(settings.secret_key, office_id, visit_id)})
    return f"{settings.base_url}/visit/{visit_id}/payments/return?{query}"


def catalogue_json(catalogue: FeeCatalogue, ready: bool) -> dict[str, Any]:
    """What the clerk may choose from: the fees' names and amounts, and whether free amounts are allowed."""
    return {
        "ready": ready and catalogue.takes_payments,
        "fees": [{"id": f.id, "name": f.name, "name_en": f.name_en, "amount": f.amount} for f in catalogue.fees],
        "free_amount": catalogue.free_amount,
        "free_amount_max": catalogue.free_amount_max,
    }


def charges_of(tx: Transaction) -> list[Charge]:
    """The fees of a payment, to ask for them again: catalogue fees by id (at today's amount), free amounts as they were."""
    return [
        Charge(FREE, line.quantity, purpose=line.fee.name, amount=line.fee.amount) if line.fee.id == FREE
        else Charge(line.fee.id, line.quantity)
        for line in tx.lines
    ]


class PaymentEvents:
    """``payments``, ``payment_request`` (staff), ``payment_retry`` (either side), and the live push."""

    def __init__(self, cashier: Cashier, settings: Settings, sio: socketio.AsyncServer) -> None:
        self._cashier = cashier
        self._settings = settings
        self._sio = sio
        self._pushing: set[asyncio.Task[None]] = set()
        cashier.on_change(self.changed)

    def changed(self, tx: Transaction) -> None:
        """The cashier's listener (called synchronously): push the change without holding the cashier up."""
        try:
            task = asyncio.get_running_loop().create_task(self.push(tx))
        except RuntimeError:
            return  # no loop: nobody connected to tell
        self._pushing.add(task)  # referenced until done, so it is not collected halfway
        task.add_done_callback(self._pushing.discard)

    async def push(self, tx: Transaction) -> None:
        try:
            await self._sio.emit("payment", payment_json(tx), room=visit_room(tx.visit_id), namespace=VISIT)
        except Exception:  # noqa: BLE001 - the state is stored; the page reads it again on its next load
            log.exception("payment %s: change not pushed", tx.id)

    async def on_payments(self, ctx: Context, data: Empty) -> dict[str, Any]:
        """The visit's payments so far; staff also get the office's fees to choose from."""
        office = await self._cashier.offices.get(ctx.ticket.office_id)
        try:
            found = await self._cashier.store.for_visit(office.id, ctx.ticket.id)
        except PaymentError as exc:
            return payloads.error(exc.code, ctx.lang)
        answer: dict[str, Any] = {"ok": True, "payments": [payment_json(tx) for tx in found]}
        if ctx.member.is_staff:
            ready = await self._cashier.providers.for_office(office.id, office.tenant) is not None
            answer["catalogue"] = catalogue_json(office.payments, ready)
        return answer

    async def on_payment_request(self, ctx: Context, data: PaymentRequest) -> dict[str, Any]:
        """Staff ask for fees; the citizen sees them with a way to pay. Amounts only from the catalogue
        or a staff member's free entry (where the office allows one)."""
        ctx.member.require_staff()
        charges = [Charge(c.fee, c.quantity, purpose=c.purpose, amount=c.amount) for c in data.charges]
        return await self._request(ctx, charges)

    async def on_payment_retry(self, ctx: Context, data: PaymentRetry) -> dict[str, Any]:
        """Either side tries a failed or cancelled payment of this visit again, with the same fees."""
        try:
            tx = await self._cashier.store.get(ctx.ticket.office_id, data.transaction_id)
            if tx.visit_id != ctx.ticket.id:
                raise UnknownTransaction("not a payment of this visit")
        except PaymentError as exc:
            return payloads.error(exc.code, ctx.lang)
        if tx.state is State.CREATING:  # the platform was away: ask it again now, with the same request id
            try:
                tx = await self._cashier.refresh(tx)
            except PaymentError as exc:
                return payloads.error(exc.code, ctx.lang)
            await self.push(tx)
            return {"ok": True, "payment": payment_json(tx)}
        if tx.state not in RETRYABLE:
            return payloads.error("not_retryable", ctx.lang)
        return await self._request(ctx, charges_of(tx))

    async def _request(self, ctx: Context, charges: list[Charge]) -> dict[str, Any]:
        ticket = ctx.ticket
        url = return_url(self._settings, ticket.office_id, ticket.id, language(ticket.language or ctx.lang))
        try:
            tx = await self._cashier.request(ticket.office_id, ticket.id, charges, url)
        except PaymentError as exc:
            return payloads.error(exc.code, ctx.lang)
        # Also when nothing moved (a second click, the platform not reached yet): both sides see it.
        await self.push(tx)
        return {"ok": True, "payment": payment_json(tx)}


__all__ = ["PaymentEvents", "catalogue_json", "charges_of", "payment_json", "return_signature", "return_url"]
