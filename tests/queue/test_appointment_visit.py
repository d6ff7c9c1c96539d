"""After the check-in: the appointment's visit ends and the citizen's contact goes with it; a move
counts up the booking's calendar SEQUENCE."""

from __future__ import annotations

import redis.asyncio

from tests.conftest import Clock
from tests.queue.test_appointments import OFFICE, appointments, at, book, booking_office  # noqa: F401 - fixtures
from virtual_office.queue import AVAILABLE, Office, Presence, WaitingRoom
from virtual_office.queue.appointments import Appointments


async def test_the_end_of_the_visit_deletes_the_bookings_contact(
        booking_office: Office, appointments: Appointments, room: WaitingRoom, presence: Presence, clock: Clock,
        redis_client: redis.asyncio.Redis) -> None:
    token = await book(appointments, at("2027-03-02", "10:15"), name="Erika Mustermann", phone="0941 123456")
    clock.now = at("2027-03-02", "10:10").timestamp()
    checked_in = await appointments.check_in(token)
    ticket = checked_in.joined.ticket
    assert ticket.appointment_at == int(at("2027-03-02", "10:15").timestamp() * 1000)
    await presence.set(OFFICE, "clerk", AVAILABLE)
    await room.heartbeat(ticket, online=True)
    assert (await room.call_next(OFFICE, "clerk")).id == ticket.id
    await room.accept(checked_in.joined.token)
    booking = await appointments.booking(token)
    assert (booking.email, booking.name, booking.phone) == ("erika@example.org", "Erika Mustermann", "0941 123456")
    await room.finish(OFFICE, ticket.id)
    booking = await appointments.booking(token)
    assert (booking.email, booking.name, booking.phone, booking.link) == ("", "", "", "")
    dump = [await redis_client.hgetall(k) for k in await redis_client.keys("*") if await redis_client.type(k) == "hash"]
    assert not [h for h in dump if any("example.org" in v or "Mustermann" in v or "123456" in v for v in h.values())]


async def test_a_walk_ins_visit_ends_as_before(booking_office: Office, room: WaitingRoom, presence: Presence) -> None:
    await presence.set(OFFICE, "clerk", AVAILABLE)
    joined = await room.join(OFFICE, name="Max")
    await room.heartbeat(joined.ticket, online=True)
    await room.call_next(OFFICE, "clerk")
    await room.accept(joined.token)
    assert (await room.finish(OFFICE, joined.ticket.id)).appointment_at is None


async def test_each_move_counts_up_the_calendar_sequence(booking_office: Office, appointments: Appointments) -> None:
    token = await book(appointments, at("2027-03-02", "10:15"))
    assert (await appointments.booking(token)).sequence == 0
    assert (await appointments.move(token, at("2027-03-02", "11:00"))).sequence == 1
    assert (await appointments.move(token, at("2027-03-03", "09:00"))).sequence == 2
