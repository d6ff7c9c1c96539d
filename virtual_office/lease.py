"""A leader lease in Redis: timed work (the sweep, mail delivery, payment reconciliation)
runs in exactly one process of a deployment at a time.

The holder takes or extends the lease with one script (compare-and-extend) and gives it
up with another (compare-and-delete), so a holder whose lease lapsed while it stalled
can neither extend nor delete the lease another process has taken since. Each script
touches only the lease's key: valid on Redis Cluster whatever the key's hash slot.

What it cannot promise: after a Redis failover that lost the last writes (replication is
asynchronous, docs/operations.md), the new primary may not know the lease, and another
process takes it while the old holder still counts on its time to live. For up to one
time to live two processes may then work; every transition the work makes is one atomic
script that checks the state it changes, so a piece of work done twice is done once.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

_SCRIPTS = Path(__file__).with_name("scripts")
RELEASE_SECONDS = 1.0
"""How long giving the lease up may take before it is left to lapse."""


class Lease:
    """The lease ``key``: held for ``ttl`` seconds from each successful :meth:`hold`."""

    def __init__(self, redis: Redis, key: str, *, ttl: float) -> None:
        assert ttl > 0, "a lease needs a positive time to live"
        self.key = key
        self.ttl = ttl
        self.holder = f"{os.getpid()}-{secrets.token_hex(6)}"
        """Who holds it: unique per process and lease, whatever the host."""
        self._hold = redis.register_script((_SCRIPTS / "lease_hold.lua").read_text())
        self._release = redis.register_script((_SCRIPTS / "lease_release.lua").read_text())
        self._until = 0.0

    async def hold(self) -> bool:
        """Take the lease, or extend it if already held; False while another process holds it.

        Raises :class:`redis.exceptions.RedisError` when Redis cannot be asked (then the
        lease is not held here either, as far as this process knows).
        """
        # The time to live counts from before the request: Redis's copy lapses no earlier.
        asked = time.monotonic()
        self._until = 0.0
        if await self._hold(keys=[self.key], args=[self.holder, int(self.ttl * 1000)]) == 1:
            self._until = asked + self.ttl
            return True
        return False

    @property
    def held(self) -> bool:
        """Whether the last :meth:`hold` succeeded and its time to live has not run out since."""
        return time.monotonic() < self._until

    async def release(self) -> bool:
        """Give the lease up now (on the way out) so that another process need not wait for it
        to lapse; False if it was not held by this process (or Redis could not be asked)."""
        self._until = 0.0
        try:
            # On the way out a Redis that does not answer is not waited for: the lease lapses.
            async with asyncio.timeout(RELEASE_SECONDS):
                return bool(await self._release(keys=[self.key], args=[self.holder]) == 1)
        except (RedisError, TimeoutError):
            return False

    async def repeat(self, interval: float, work: Callable[[], Awaitable[object]], *, what: str,
                     expected: tuple[type[Exception], ...] = ()) -> None:
        """Run ``work`` every ``interval`` seconds while this process holds the lease; until cancelled.

        A failure of Redis or one of ``expected`` is logged by its type alone (the work's
        data may be personal), anything else with its traceback; the next round runs
        either way. On the way out the lease is given up, so that another process takes
        over at once rather than once it lapses.
        """
        foreseen: tuple[type[Exception], ...] = (RedisError, *expected)
        try:
            while True:
                await asyncio.sleep(interval)
                try:
                    if await self.hold():
                        await work()
                except foreseen as exc:
                    log.warning("%s skipped: %s", what, type(exc).__name__)
                except Exception:  # noqa: BLE001 - the next round runs all the same
                    log.exception("%s failed", what)
        finally:
            await asyncio.shield(self.release())
