"""The running server's sweeper ends appointment holds that ran out (queue/appointments.py)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import redis.asyncio

from tests.conftest import ALWAYS
from tests.server.conftest import ServerProcess
from virtual_office.queue import Office, OfficeDirectory
from virtual_office.queue.appointments import Appointments
from virtual_office.queue.bookings import CONFIRMED, EXPIRED, HELD


async def test_the_sweeper_expires_holds_without_opt_in(server: ServerProcess, redis_client: redis.asyncio.Redis) -> None:
    offices = OfficeDirectory(redis_client)
    await offices.save(Office.from_config({
        "id": "buergerbuero", "name": "Bürgerbüro", "hours": ALWAYS,
        "appointments": {"mode": "also", "hours": ALWAYS, "lead_minutes": 0, "hold_minutes": 5, "capacity": 2,
                         "services": [{"id": "ausweis", "name": "Personalausweis", "minutes": 15}]},
    }))
    # Booked six minutes ago (by this engine's clock): its hold of five minutes has run out.
    earlier = Appointments(redis_client, offices, clock=lambda: time.time() - 360)
    start = (datetime.now(UTC) + timedelta(hours=3)).replace(minute=0, second=0, microsecond=0)
    ran_out = await earlier.hold("buergerbuero", ["ausweis"], start, email="a@example.org")
    confirmed = await earlier.hold("buergerbuero", ["ausweis"], start, email="b@example.org")
    assert ran_out.token and confirmed.token
    now = Appointments(redis_client, offices)
    fresh = await now.hold("buergerbuero", ["ausweis"], start + timedelta(hours=1), email="c@example.org")
    assert fresh.token
    await earlier.confirm(confirmed.token)
    for _ in range(100):
        if (await now.booking(ran_out.token)).state == EXPIRED:
            break
        await asyncio.sleep(0.1)
    expired = await now.booking(ran_out.token)
    assert expired.state == EXPIRED and expired.email == ""
    assert (await now.booking(confirmed.token)).state == CONFIRMED
    assert (await now.booking(fresh.token)).state == HELD
    assert "a@example.org" not in server.log()
