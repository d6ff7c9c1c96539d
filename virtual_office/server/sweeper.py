"""Timed transitions: unanswered calls, citizens gone past their grace, clerks gone quiet,
offices opening or closing by the clock, and appointments (holds, days over, reminders)."""

from __future__ import annotations

import logging
import time

from redis.exceptions import RedisError

from virtual_office.lease import Lease
from virtual_office.mail import Mailer
from virtual_office.queue import Office, QueueError, keys
from virtual_office.server.appointment_mail import send_reminders
from virtual_office.server.services import Services
from virtual_office.server.status import StatusBroadcaster
from virtual_office.server.visit import Visits

log = logging.getLogger(__name__)

INTERVAL = 1.0
LEFTOVERS_INTERVAL = 300.0
"""Seconds between looks for files of visits whose end was missed (and once at start)."""
REWRITE_INTERVAL = 3600.0
"""Seconds between rewrites of Redis's append-only file: a deleted ticket's name and concern
stay in the file's history until it is rewritten from what is there now."""


class Sweeper:
    """Runs once a second in whichever process holds the sweeper's lease, so that with
    several processes each expiry happens (and is announced) once."""

    def __init__(self, services: Services, status: StatusBroadcaster, visits: Visits, mailer: Mailer | None = None) -> None:
        self._services = services
        self._mailer = mailer
        self._status = status
        self._visits = visits
        self.lease = Lease(services.redis, keys.SWEEPER_LOCK, ttl=INTERVAL * 3)
        self._was_open: dict[str, bool] = {}
        self._leftovers_due = 0.0
        self._rewrite_due = time.monotonic() + REWRITE_INTERVAL

    async def run(self) -> None:
        await self.lease.repeat(INTERVAL, self.sweep, what="sweep", expected=(QueueError, OSError))

    async def sweep(self) -> None:
        s = self._services
        now = s.room.now()
        if time.monotonic() >= self._leftovers_due:
            self._leftovers_due = time.monotonic() + LEFTOVERS_INTERVAL
            await self._visits.exchange.sweep_leftovers()
        if time.monotonic() >= self._rewrite_due:
            self._rewrite_due = time.monotonic() + REWRITE_INTERVAL
            await self.forget_history()
        for office in await s.offices.all():
            for ended in await s.room.sweep(office.id):
                await self._visits.end(ended.ticket, ended.reason)
            if await s.presence.expire(office.id):
                self._status.mark(office.id)
            is_open = office.hours.is_open(now)
            if self._was_open.get(office.id, is_open) != is_open:
                self._status.mark(office.id)
            self._was_open[office.id] = is_open
            await self.sweep_appointments(office)

    async def sweep_appointments(self, office: Office) -> None:
        """Holds that ran out without an opt-in, appointment days that are over, reminders due."""
        appointments = self._services.appointments
        await appointments.sweep(office.id)
        if self._mailer is not None and self._mailer.configured:
            await send_reminders(appointments, self._mailer, office, self._services.settings.base_url)

    async def forget_history(self) -> None:
        """Have Redis rewrite its append-only file from what it holds now (in the background)."""
        try:
            await self._services.redis.bgrewriteaof()
        except RedisError as exc:  # already rewriting, or a managed Redis that forbids it
            log.info("append-only file not rewritten: %s", exc)
