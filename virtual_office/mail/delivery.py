"""The delivery loop: one process of a deployment at a time sends what the outbox holds.

Exactly once, as far as SMTP allows: a message is marked sent only after the server
accepted it, and it is marked right after the server's reply, before the next message
and before the connection is closed. A process that dies between the server's reply and
that mark leaves the message leased; when the lease runs out it is sent again (the same
Message-ID, so mail clients show it once). A mark that fails because Redis is away is
tried again before anything new is claimed, so a Redis restart sends nothing twice.
"""

from __future__ import annotations

import logging

from redis.asyncio import Redis

from virtual_office.lease import Lease
from virtual_office.mail import keys
from virtual_office.mail.errors import DeliveryFailed, MailError
from virtual_office.mail.outbox import Claimed, Outbox
from virtual_office.mail.transport import Transport

log = logging.getLogger(__name__)

INTERVAL = 1.0
"""Seconds between looks at the outbox."""
BATCH = 20
"""Messages claimed (and sent over one connection) per round."""


class Delivery:
    """Sends due messages through ``transport``; ``run`` forever, or ``deliver_due`` once (tests)."""

    def __init__(self, outbox: Outbox, transport: Transport, mail_from: str, *, redis: Redis,
                 interval: float = INTERVAL, batch: int = BATCH) -> None:
        self.outbox = outbox
        self.transport = transport
        self.mail_from = mail_from
        self._interval = interval
        self._batch = batch
        self.lease = Lease(redis, keys.DELIVERY_LOCK, ttl=interval * 3)
        self._unmarked: list[Claimed] = []
        """Accepted by the server but not yet marked sent (Redis was away): marked before anything else."""

    async def run(self) -> None:
        await self.lease.repeat(self._interval, self.deliver_due, what="mail delivery", expected=(MailError,))

    async def deliver_due(self) -> int:
        """Send every message due now (in rounds of ``batch``); returns how many were accepted."""
        await self._mark_unmarked()
        accepted = 0
        while True:
            claimed = await self.outbox.claim(self._batch)
            if not claimed:
                return accepted
            sent, retried = await self._send(claimed)
            accepted += sent
            if retried:  # the server is unwell: the rest waits for its next try
                return accepted

    async def _send(self, claimed: list[Claimed]) -> tuple[int, int]:
        sent = retried = 0
        remaining = list(claimed)
        try:
            async with self.transport.connect() as connection:
                while remaining:
                    item = remaining[0]
                    mail = item.message.email(self.mail_from, message_id=item.id, date=self.outbox.now())
                    try:
                        await connection.send(mail)
                    except DeliveryFailed as exc:
                        remaining.pop(0)
                        state = await self.outbox.mark_failed_attempt(item, exc.reason, permanent=exc.permanent)
                        log.warning("mail %s (%s) attempt %d failed, %s: %s", item.id, item.message.kind, item.attempts, state, exc.reason)
                        if not exc.permanent:
                            retried += 1
                            break  # connection-level trouble: try the rest later
                        continue
                    remaining.pop(0)
                    sent += 1
                    await self._mark_sent(item)
        except DeliveryFailed as exc:  # no connection, or it broke while closing
            for item in remaining:
                state = await self.outbox.mark_failed_attempt(item, exc.reason)
                log.warning("mail %s (%s) attempt %d failed, %s: %s", item.id, item.message.kind, item.attempts, state, exc.reason)
            return sent, retried + len(remaining)
        for item in remaining:  # not tried this round: tried again without counting as failed twice
            await self.outbox.mark_failed_attempt(item, "not tried: an earlier message of the round failed")
        return sent, retried + len(remaining)

    async def _mark_sent(self, item: Claimed) -> None:
        try:
            if not await self.outbox.mark_sent(item):
                log.warning("mail %s was sent, but its lease had run out (it may be sent once more)", item.id)
            else:
                log.info("mail %s (%s) sent", item.id, item.message.kind)
        except MailError:
            self._unmarked.append(item)

    async def _mark_unmarked(self) -> None:
        while self._unmarked:
            item = self._unmarked[0]
            await self.outbox.mark_sent(item)  # MailError (Redis still away) ends the round here
            self._unmarked.pop(0)
