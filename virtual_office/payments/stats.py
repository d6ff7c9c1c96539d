"""Payment statistics per office and day: counts and sums only, never who or what for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from redis.asyncio import Redis

from virtual_office.payments import keys


@dataclass(frozen=True)
class PaymentStats:
    """An office's payments that reached a state on one day (in the office's time zone)."""

    office_id: str
    day: date
    paid: int
    paid_cents: int
    """Paid online, or transfers confirmed by hand."""
    transfers_requested: int
    transfers_requested_cents: int
    failed: int
    cancelled: int
    abandoned: int
    unresolved: int

    def to_json(self) -> dict[str, object]:
        return {"office_id": self.office_id, "day": self.day.isoformat(), **{
            name: getattr(self, name) for name in ("paid", "paid_cents", "transfers_requested", "transfers_requested_cents",
                                                   "failed", "cancelled", "abandoned", "unresolved")}}


async def payment_stats(redis: Redis, office_id: str, day: date) -> PaymentStats:
    counters = await redis.hgetall(keys.stats(office_id, day.isoformat()))

    def count(name: str) -> int:
        return int(counters.get(name, 0))

    return PaymentStats(
        office_id=office_id, day=day, paid=count("paid"), paid_cents=count("paid_cents"),
        transfers_requested=count("transfers_requested"), transfers_requested_cents=count("transfers_requested_cents"),
        failed=count("failed"), cancelled=count("cancelled"), abandoned=count("abandoned"), unresolved=count("unresolved"),
    )


async def recent_payment_stats(redis: Redis, office_id: str, last: date, days: int = 14) -> list[PaymentStats]:
    """One row a day, oldest first, ending with ``last``."""
    return [await payment_stats(redis, office_id, last - timedelta(days=n)) for n in range(days - 1, -1, -1)]
