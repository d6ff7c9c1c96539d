"""Transactions in Redis: written before any platform is asked, moved on by one script per step.

A transaction goes ``creating`` → ``open`` → ``paid`` | ``failed`` | ``cancelled``, or
``creating`` → ``transfer_requested`` → ``paid`` (a GiroCode transfer confirmed by hand).
``creating`` means the platform may or may not have it yet: it is asked again with the
same request id (the transaction's id) until it answers. ``unresolved``: the platform says
the payment exists but not under which id, so a person looks it up; ``abandoned``: open,
never paid, and given up on. The final states keep the record for ``keep_seconds``.
Nothing personal is stored: fees, amounts, the visit's id and the platform's ids.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from redis.asyncio import Redis
from redis.commands.core import AsyncScript
from redis.exceptions import RedisError

from virtual_office.payments import keys
from virtual_office.payments.errors import PaymentError, UnknownTransaction
from virtual_office.payments.fees import Fee, Line

_SCRIPTS = Path(__file__).with_name("scripts")


class State(enum.StrEnum):
    CREATING = "creating"
    OPEN = "open"
    TRANSFER_REQUESTED = "transfer_requested"
    PAID = "paid"
    FAILED = "failed"
    CANCELLED = "cancelled"
    UNRESOLVED = "unresolved"
    ABANDONED = "abandoned"

    @property
    def final(self) -> bool:
        return self in FINAL


FINAL = frozenset({State.PAID, State.FAILED, State.CANCELLED, State.UNRESOLVED, State.ABANDONED})


@dataclass(frozen=True)
class Transaction:
    """One payment of a visit, as stored."""

    id: str
    """Ours, and the request id the platform sees: a retry sends the same."""
    office_id: str
    visit_id: str
    key: str
    """The visit and fee set it was made for (a second click finds it)."""
    state: State
    provider: str
    """The provider's kind when it was created."""
    lines: tuple[Line, ...]
    purpose: str
    description: str
    reference: str
    """The office's reference (Kassenzeichen)."""
    redirect_url: str
    created: float
    updated: float
    platform_id: str = ""
    pay_url: str = ""
    instructions: Mapping[str, str] = field(default_factory=dict)
    error: str = ""
    """The code of the last thing that went wrong (``platform_unreachable``, ``calculation_error`` …)."""
    attempts: int = 0
    """Calls to the platform that did not settle it (for the backoff)."""

    @property
    def total(self) -> int:
        return sum(line.total for line in self.lines)

    def to_json(self) -> dict[str, object]:
        """What the visit's members may see: no booking data, no platform ids beyond the reference."""
        return {
            "id": self.id, "state": self.state.value, "provider": self.provider, "total": self.total,
            "purpose": self.purpose, "reference": self.reference, "pay_url": self.pay_url or None,
            "instructions": dict(self.instructions), "error": self.error or None,
            "lines": [{"fee": line.fee.id, "name": line.fee.name, "name_en": line.fee.name_en,
                       "amount": line.fee.amount, "quantity": line.quantity} for line in self.lines],
        }


def _line_json(line: Line) -> dict[str, object]:
    return {"fee": line.fee.to_config(), "quantity": line.quantity}


def _line(data: Mapping[str, Any]) -> Line:
    return Line(Fee.from_config(data["fee"]), int(data["quantity"]))


def _transaction(office_id: str, data: Mapping[str, str]) -> Transaction:
    return Transaction(
        id=data["id"], office_id=office_id, visit_id=data["visit"], key=data["key"], state=State(data["state"]),
        provider=data["provider"], lines=tuple(_line(d) for d in json.loads(data["lines"])),
        purpose=data["purpose"], description=data.get("description", ""), reference=data["reference"],
        redirect_url=data["redirect_url"], created=int(data["created"]) / 1000, updated=int(data["updated"]) / 1000,
        platform_id=data.get("platform_id", ""), pay_url=data.get("pay_url", ""),
        instructions=json.loads(data.get("instructions") or "{}"), error=data.get("error", ""),
        attempts=int(data.get("attempts", 0)),
    )


@dataclass(frozen=True)
class Change:
    """A transition to make: the new state, fields to set, and what it adds to the day's statistics."""

    state: State
    fields: Mapping[str, str | int] = field(default_factory=dict)
    due_ms: int | None = None
    """When to look at it next; None: not again (final, or waiting for a person)."""
    count: str = ""
    sum_field: str = ""
    amount: int = 0


class TransactionStore:
    """Reads transactions and runs the scripts that write them."""

    def __init__(self, redis: Redis, *, keep_seconds: int = 90 * 86400, stats_keep_seconds: int = 400 * 86400) -> None:
        self._redis = redis
        self.keep_seconds = keep_seconds
        self._stats_keep = stats_keep_seconds
        self._begin = redis.register_script((_SCRIPTS / "begin.lua").read_text())
        self._transition = redis.register_script((_SCRIPTS / "transition.lua").read_text())

    async def begin(self, office_id: str, visit_id: str, key: str, new_id: str, *, provider: str, lines: Sequence[Line],
                    purpose: str, description: str, reference: str, redirect_url: str, now_ms: int, due_ms: int) -> tuple[str, bool]:
        """Store a new ``creating`` transaction under ``key``, or find the live one stored under it: (id, new?)."""
        fields: dict[str, str | int] = {
            "id": new_id, "visit": visit_id, "key": key, "state": State.CREATING.value, "provider": provider,
            "lines": json.dumps([_line_json(line) for line in lines], ensure_ascii=False), "purpose": purpose,
            "description": description, "reference": reference, "redirect_url": redirect_url,
            "created": now_ms, "updated": now_ms, "attempts": 0,
        }
        flat = [x for pair in fields.items() for x in pair]
        result = await self._run(self._begin, [keys.idempotency(office_id, key), keys.transaction(office_id, new_id),
                                               keys.due(office_id), keys.visit(office_id, visit_id)],
                                 [new_id, keys.transaction_prefix(office_id), due_ms, *flat])
        return str(result[0]), bool(int(result[1]))

    async def get(self, office_id: str, transaction_id: str) -> Transaction:
        try:
            data = await self._redis.hgetall(keys.transaction(office_id, transaction_id))
        except RedisError as exc:
            raise PaymentError(f"payments are unavailable ({type(exc).__name__})", code="unavailable") from exc
        if not data:
            raise UnknownTransaction(f"no transaction {transaction_id!r}")
        return _transaction(office_id, {str(k): str(v) for k, v in data.items()})

    async def for_visit(self, office_id: str, visit_id: str) -> list[Transaction]:
        """The visit's transactions, oldest first."""
        found = []
        for transaction_id in await self._redis.smembers(keys.visit(office_id, visit_id)):
            try:
                found.append(await self.get(office_id, str(transaction_id)))
            except UnknownTransaction:
                continue
        return sorted(found, key=lambda t: t.created)

    async def due(self, office_id: str, now_ms: int, limit: int = 50) -> list[str]:
        """Transactions not yet final whose next look is due."""
        return [str(i) for i in await self._redis.zrangebyscore(keys.due(office_id), "-inf", now_ms, start=0, num=limit)]

    async def transition(self, tx: Transaction, expected: Sequence[State], change: Change, *, now_ms: int, day: str) -> bool:
        """Apply ``change`` if ``tx`` is still in one of the ``expected`` states; False if another step came first."""
        fields = {"updated": now_ms, **change.fields}
        flat = [str(x) for pair in fields.items() for x in pair]
        keep = str(self.keep_seconds) if change.state.final else ""
        result = await self._run(self._transition, [
            keys.transaction(tx.office_id, tx.id), keys.due(tx.office_id), keys.stats(tx.office_id, day),
            keys.idempotency(tx.office_id, tx.key), keys.visit(tx.office_id, tx.visit_id),
        ], [tx.id, ",".join(s.value for s in expected), change.state.value,
            "" if change.due_ms is None else change.due_ms, keep, change.count, change.sum_field, change.amount,
            self._stats_keep, *flat])
        return bool(int(result[0]))

    @staticmethod
    async def _run(script: AsyncScript, keys_: list[str], args: list[Any]) -> Any:
        try:
            return await script(keys=keys_, args=args)
        except RedisError as exc:
            raise PaymentError(f"payments are unavailable ({type(exc).__name__})", code="unavailable") from exc
