"""The reconciler: one process of a deployment at a time follows every unsettled payment.

Platforms have no webhook, so the status of each open payment is read with backoff
until it is final, and a payment a dead process left ``creating`` is created again
with its request id. Everything it needs is in Redis: a restart, or another process
taking the lease, picks up where the last one was.
"""

from __future__ import annotations

import logging

from redis.asyncio import Redis

from virtual_office.lease import Lease
from virtual_office.payments import keys
from virtual_office.payments.cashier import Cashier
from virtual_office.payments.errors import PaymentError
from virtual_office.queue.errors import QueueError

log = logging.getLogger(__name__)

INTERVAL = 1.0
"""Seconds between looks for due transactions."""


class Reconciler:
    """Runs :meth:`reconcile` every ``interval`` seconds in whichever process holds the reconciler's lease."""

    def __init__(self, cashier: Cashier, redis: Redis, *, interval: float = INTERVAL) -> None:
        self.cashier = cashier
        self._interval = interval
        # Longer than one round may take (a slow platform answers within its timeout, per transaction).
        self.lease = Lease(redis, keys.RECONCILER_LOCK, ttl=max(interval * 3, 150))

    async def run(self) -> None:
        await self.lease.repeat(self._interval, self.reconcile, what="payment reconciliation",
                                expected=(PaymentError, QueueError))

    async def reconcile(self) -> int:
        """One round over every office; returns how many transactions were looked at."""
        done = 0
        for office_id in await self.cashier.offices.ids():
            try:
                done += await self.cashier.reconcile(office_id)
            except PaymentError as exc:
                log.warning("payments of office %s not reconciled: %s", office_id, exc.code)
        return done
