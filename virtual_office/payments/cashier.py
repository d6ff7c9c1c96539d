"""The cashier: asks a platform for a visit's fees, follows each payment to its end, never twice.

Every step is stored before the next is taken: the transaction is written as
``creating`` before the platform is called (and before anybody is sent to pay), so a
process that dies in between leaves a transaction that the reconciler creates again
with the same request id; the platform then either creates it or says it exists.
Amounts come from the office's catalogue, or from a clerk's free entry where the office
allows one; nothing else can name an amount.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from redis.asyncio import Redis

from virtual_office.payments import keys
from virtual_office.payments.config import ProviderConfig, ProviderDirectory
from virtual_office.payments.errors import InvalidFee, NotConfigured, PaymentError, ProviderError
from virtual_office.payments.fees import DESCRIPTION, FREE, Line
from virtual_office.payments.girocode import check_digits
from virtual_office.payments.providers import PaymentRequest, PlatformStatus, PlatformTransaction, Provider
from virtual_office.payments.transactions import Change, State, Transaction, TransactionStore

if TYPE_CHECKING:  # queue/offices.py imports payments.fees: only names here, no import cycle at run time
    from virtual_office.queue.offices import Office, OfficeDirectory

log = logging.getLogger(__name__)

CHANGES = "vo:payments:changes"
"""Pub/sub channel: a transaction's state changed (JSON: office, visit, transaction, state)."""
VISIT_ID = re.compile(r"^[\w-]{1,64}$")


@dataclass(frozen=True)
class Charge:
    """What a clerk adds: a catalogue fee by id (how many of it), or a free amount with its purpose.

    A catalogue fee takes its amount from the catalogue only; ``amount`` is for ``fee="free"``.
    """

    fee: str
    quantity: int = 1
    purpose: str = ""
    amount: str | int | None = None


@dataclass(frozen=True)
class Timing:
    """How often the platforms are asked, and when to give up."""

    create_lease_seconds: float = 60
    """A transaction being created is left alone this long before the reconciler creates it again
    (longer than a platform's timeout, so that only a dead process's creation is repeated)."""
    first_poll_seconds: float = 5
    """First status read after a payment is opened; doubled after each read that settles nothing."""
    poll_cap_seconds: float = 600
    abandon_seconds: float = 3 * 86400
    """A payment still open (or never created) this long after it was started is given up."""

    def delay(self, attempts: int) -> float:
        return float(min(self.poll_cap_seconds, self.first_poll_seconds * 2 ** max(0, attempts - 1)))


Listener = Callable[[Transaction], None]


class Cashier:
    """One deployment's payments; the server holds one (and the reconciler uses it)."""

    def __init__(self, redis: Redis, offices: OfficeDirectory, *, providers: ProviderDirectory | None = None,
                 store: TransactionStore | None = None, timing: Timing | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self._redis = redis
        self.offices = offices
        self.providers = providers or ProviderDirectory(redis)
        self.store = store or TransactionStore(redis)
        self.timing = timing or Timing()
        self._clock = clock
        self._open: dict[str, tuple[ProviderConfig, Provider]] = {}
        self._replaced: list[Provider] = []
        """Providers of a configuration since changed; closed with the cashier (a call may still use one)."""
        self._listeners: list[Listener] = []

    def on_change(self, listener: Listener) -> None:
        """Call ``listener`` after every state change made in this process (all processes: the CHANGES channel)."""
        self._listeners.append(listener)

    async def close(self) -> None:
        for provider in [p for _, p in self._open.values()] + self._replaced:
            await provider.close()
        self._open.clear()
        self._replaced.clear()

    # -- requesting -----------------------------------------------------------------

    async def request(self, office_id: str, visit_id: str, charges: Sequence[Charge], redirect_url: str) -> Transaction:
        """The visit's payment for these charges: a new one, or the one already made for the same set.

        Returns the stored transaction: ``open`` with a pay address, ``transfer_requested`` with
        transfer instructions, ``creating`` with ``error`` set when the platform could not be
        reached (it is created later, with the same request id), or ``failed`` with the
        platform's refusal in ``error``. Raises InvalidFee, UnknownFee, NotConfigured.
        """
        if not VISIT_ID.fullmatch(visit_id):
            raise InvalidFee("not a visit id")
        office = await self.offices.get(office_id)
        lines = self.lines(office, charges)
        config = await self.providers.get(office_id, office.tenant)
        key = _idempotency_key(visit_id, lines)
        reference = await self._next_reference(office, config)
        now = self._ms()
        transaction_id, new = await self.store.begin(
            office_id, visit_id, key, secrets.token_hex(16), provider=config.kind, lines=lines,
            purpose=_purpose(lines), description=_description(lines), reference=reference, redirect_url=redirect_url,
            now_ms=now, due_ms=now + int(self.timing.create_lease_seconds * 1000),
        )
        tx = await self.store.get(office_id, transaction_id)
        if new:
            log.info("payment %s started for office %s (%s, %d line(s))", tx.id, office_id, config.kind, len(lines))
            return await self._create(tx, office, config)
        return tx

    def lines(self, office: Office, charges: Sequence[Charge]) -> tuple[Line, ...]:
        """The charges priced from the office's catalogue (same fee twice: one line, quantities added)."""
        catalogue = office.payments
        if not catalogue.takes_payments:
            raise NotConfigured("this office charges no fees")
        if not 1 <= len(charges) <= 99:
            raise InvalidFee("a payment has 1 to 99 fees")
        quantities: dict[str, int] = {}
        free: list[Line] = []
        for charge in charges:
            if charge.fee == FREE:
                free.append(Line(catalogue.free(charge.purpose, charge.amount), charge.quantity))
                continue
            if charge.amount is not None or charge.purpose:
                raise InvalidFee("a catalogue fee's amount and purpose are the catalogue's")
            catalogue.fee(charge.fee)  # UnknownFee
            quantities[charge.fee] = quantities.get(charge.fee, 0) + Line(catalogue.fee(charge.fee), charge.quantity).quantity
        lines = tuple(Line(catalogue.fee(fee_id), quantity) for fee_id, quantity in quantities.items()) + tuple(free)
        if len(lines) > 99 or sum(line.total for line in lines) > 999_999_00:
            raise InvalidFee("a payment is at most 99 lines and 999.999,00 €")
        return lines

    # -- talking to the platform ----------------------------------------------------

    async def _create(self, tx: Transaction, office: Office, config: ProviderConfig) -> Transaction:
        provider = self._provider(tx.office_id, config)
        request = PaymentRequest(request_id=tx.id, created=datetime.fromtimestamp(tx.created, UTC), lines=tx.lines,
                                 purpose=tx.purpose, description=tx.description, redirect_url=tx.redirect_url,
                                 reference=tx.reference)
        try:
            try:
                answer = await provider.create(request)
            except ProviderError as exc:
                if exc.code != "payment_exists":
                    raise
                if exc.transaction_id is None:  # it exists, but the platform does not say which it is
                    return await self._settle(tx, office, [State.CREATING], Change(
                        State.UNRESOLVED, {"error": exc.code}, count="unresolved"))
                answer = await provider.status(exc.transaction_id)
        except ProviderError as exc:
            if exc.retriable:
                log.warning("payment %s not created yet: %s", tx.id, exc.code)
                return await self._settle(tx, office, [State.CREATING], Change(
                    State.CREATING, {"error": exc.code, "attempts": tx.attempts + 1},
                    due_ms=self._ms() + int(self.timing.delay(tx.attempts + 1) * 1000)))
            log.warning("payment %s refused by the platform: %s", tx.id, exc.code)
            return await self._settle(tx, office, [State.CREATING], Change(State.FAILED, {"error": exc.code}, count="failed"))
        return await self._record(tx, office, [State.CREATING], answer, provider.polled)

    async def refresh(self, tx: Transaction) -> Transaction:
        """Read an open payment's status from its platform now (the citizen came back from paying)."""
        office = await self.offices.get(tx.office_id)
        if tx.state is State.CREATING:
            return await self._create(tx, office, await self.providers.get(tx.office_id, office.tenant))
        if tx.state is not State.OPEN:
            return tx
        provider = self._provider(tx.office_id, await self.providers.get(tx.office_id, office.tenant))
        try:
            answer = await provider.status(tx.platform_id)
        except ProviderError as exc:
            log.warning("payment %s: status not read: %s", tx.id, exc.code)
            return await self._settle(tx, office, [State.OPEN], Change(
                State.OPEN, {"error": exc.code, "attempts": tx.attempts + 1},
                due_ms=self._ms() + int(self.timing.delay(tx.attempts + 1) * 1000)))
        return await self._record(tx, office, [State.OPEN], answer, True)

    async def _record(self, tx: Transaction, office: Office, expected: list[State], answer: PlatformTransaction,
                      polled: bool) -> Transaction:
        fields: dict[str, str | int] = {"platform_id": answer.transaction_id, "error": ""}
        if answer.pay_url:
            fields["pay_url"] = answer.pay_url
        if answer.instructions:
            fields["instructions"] = json.dumps(dict(answer.instructions), ensure_ascii=False)
        status = answer.status
        if status is PlatformStatus.PAID:
            change = Change(State.PAID, fields, count="paid", sum_field="paid_cents", amount=tx.total)
        elif status is PlatformStatus.FAILED:
            change = Change(State.FAILED, {**fields, "error": "payment_failed"}, count="failed")
        elif status is PlatformStatus.CANCELLED:
            change = Change(State.CANCELLED, fields, count="cancelled")
        elif status is PlatformStatus.TRANSFER_REQUESTED:
            change = Change(State.TRANSFER_REQUESTED, fields, count="transfers_requested",
                            sum_field="transfers_requested_cents", amount=tx.total)
        else:
            attempts = tx.attempts + 1 if tx.state is State.OPEN else 0
            change = Change(State.OPEN, {**fields, "attempts": attempts},
                            due_ms=self._ms() + int(self.timing.delay(attempts + 1) * 1000) if polled else None)
        return await self._settle(tx, office, expected, change)

    async def _settle(self, tx: Transaction, office: Office, expected: list[State], change: Change) -> Transaction:
        moved = await self.store.transition(tx, expected, change, now_ms=self._ms(), day=self._day(office))
        after = await self.store.get(tx.office_id, tx.id)
        if moved and after.state is not tx.state:
            log.info("payment %s: %s -> %s", tx.id, tx.state.value, after.state.value)
            await self._announce(after)
        return after

    # -- by hand and by the clock ---------------------------------------------------

    async def confirm_transfer(self, office_id: str, transaction_id: str) -> Transaction:
        """Someone in the office saw the transfer arrive: ``transfer_requested`` → ``paid``."""
        tx = await self.store.get(office_id, transaction_id)
        if tx.state is not State.TRANSFER_REQUESTED:
            raise PaymentError("only a requested transfer can be confirmed", code="not_transfer_requested")
        # Two confirmations at once: the script moves it (and counts it) once.
        return await self._settle(tx, await self.offices.get(office_id), [State.TRANSFER_REQUESTED], Change(
            State.PAID, count="paid", sum_field="paid_cents", amount=tx.total))

    async def cancel(self, office_id: str, transaction_id: str) -> Transaction:
        """The office withdraws a requested transfer that has not arrived.

        A payment open on a platform is not withdrawn here (XBezahldienste v1 has no cancel):
        the citizen cancels on the pay page, or it is given up after ``abandon_seconds``.
        """
        tx = await self.store.get(office_id, transaction_id)
        if tx.state is not State.TRANSFER_REQUESTED:
            raise PaymentError("this payment cannot be withdrawn any more", code="not_cancellable")
        after = await self._settle(tx, await self.offices.get(office_id), [State.TRANSFER_REQUESTED],
                                   Change(State.CANCELLED, count="cancelled"))
        if after.state is not State.CANCELLED:  # confirmed paid in the same moment
            raise PaymentError("this payment cannot be withdrawn any more", code="not_cancellable")
        return after

    async def reconcile(self, office_id: str, *, limit: int = 50) -> int:
        """Create again or read the status of every transaction of the office that is due; returns how many."""
        office = await self.offices.get(office_id)
        done = 0
        for transaction_id in await self.store.due(office_id, self._ms(), limit):
            try:
                tx = await self.store.get(office_id, transaction_id)
                if self._clock() - tx.created >= self.timing.abandon_seconds:
                    state = State.FAILED if tx.state is State.CREATING else State.ABANDONED
                    await self._settle(tx, office, [tx.state], Change(state, {"error": tx.error or "abandoned"}, count=state.value))
                else:
                    await self.refresh(tx)
                done += 1
            except NotConfigured:  # its provider was removed: looked at again once one is set
                await self._redis.zadd(keys.due(office_id), {transaction_id: self._ms() + int(self.timing.poll_cap_seconds * 1000)})
        return done

    # -- helpers -------------------------------------------------------------------

    def _provider(self, office_id: str, config: ProviderConfig) -> Provider:
        cached = self._open.get(office_id)
        if cached is not None and cached[0] == config:
            return cached[1]
        provider = config.open()
        if cached is not None:
            self._replaced.append(cached[1])
        self._open[office_id] = (config, provider)
        return provider

    async def _announce(self, tx: Transaction) -> None:
        for listener in self._listeners:
            try:
                listener(tx)
            except Exception:  # noqa: BLE001 - a listener's bug must not undo a stored payment
                log.exception("payment listener failed")
        message = json.dumps({"office": tx.office_id, "visit": tx.visit_id, "transaction": tx.id, "state": tx.state.value})
        try:
            await self._redis.publish(CHANGES, message)
        except Exception as exc:  # noqa: BLE001 - the state is stored; a missed notice is read on the next look
            log.warning("payment change not published: %s", type(exc).__name__)

    async def _next_reference(self, office: Office, config: ProviderConfig) -> str:
        """A short reference unique in the office: prefix, year, a counter, two check digits (``BB26000017-42`` → ``BB2600001742``)."""
        prefix = getattr(config.settings, "reference_prefix", "")
        year = datetime.now(ZoneInfo(office.hours.timezone)).year % 100
        key = keys.reference_sequence(office.id, year)
        number = int(await self._redis.incr(key))
        if number == 1:
            await self._redis.expire(key, 400 * 86400)
        body = f"{prefix}{year:02d}{number:06d}"
        return body + check_digits(body)

    def _day(self, office: Office) -> str:
        return datetime.fromtimestamp(self._clock(), ZoneInfo(office.hours.timezone)).date().isoformat()

    def _ms(self) -> int:
        return int(self._clock() * 1000)


def _idempotency_key(visit_id: str, lines: Sequence[Line]) -> str:
    canonical = json.dumps([visit_id, sorted([line.fee.id, line.fee.amount, line.fee.purpose, line.quantity] for line in lines)])
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def _purpose(lines: Sequence[Line]) -> str:
    return lines[0].fee.purpose if len(lines) == 1 else "Gebuehren"


def _description(lines: Sequence[Line]) -> str:
    text = ", ".join(f"{line.quantity} x {line.fee.name}" if line.quantity > 1 else line.fee.name for line in lines)
    text = "".join(c if DESCRIPTION.fullmatch(c) else " " for c in text)
    return " ".join(text.split())[:250]
