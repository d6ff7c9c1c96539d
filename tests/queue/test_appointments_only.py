"""An office that takes appointments only: walk-ins are refused, booked citizens check in."""

from __future__ import annotations

import pytest
import redis.asyncio

from tests.conftest import Clock
from tests.queue.test_appointments import OFFICE, at, book, office_config
from virtual_office.queue import AVAILABLE, AppointmentsOnly, Office, OfficeDirectory, Presence, WaitingRoom
from virtual_office.queue.appointments import Appointments


async def test_walk_ins_are_refused_and_appointments_check_in(
        offices: OfficeDirectory, room: WaitingRoom, presence: Presence, appointments: Appointments,
        clock: Clock) -> None:
    clock.now = at("2027-03-01", "07:00").timestamp()
    await offices.save(Office.from_config(office_config(mode="only")))
    token = await book(appointments, at("2027-03-01", "10:00"))
    clock.now = at("2027-03-01", "09:55").timestamp()
    with pytest.raises(AppointmentsOnly):
        await room.join(OFFICE, name="Max")
    assert await room.waiting(OFFICE) == []
    checked_in = await appointments.check_in(token)
    assert checked_in.priority == 1
    # The same office taking walk-ins too lets Max in (a clerk on duty by the test's clock).
    await presence.set(OFFICE, "clerk-on-duty", AVAILABLE)
    await offices.save(Office.from_config(office_config(mode="also")))
    assert (await room.join(OFFICE, name="Max")).ticket.name == "Max"


@pytest.fixture
def appointments(redis_client: redis.asyncio.Redis, offices: OfficeDirectory, clock: Clock) -> Appointments:
    return Appointments(redis_client, offices, clock=clock)
