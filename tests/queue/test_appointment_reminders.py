"""Reminders of confirmed appointments: due at the office's times before the start, by a clock the test sets."""

from __future__ import annotations

import redis.asyncio

from tests.conftest import Clock
from tests.queue.test_appointments import OFFICE, appointments, at, book, booking_office  # noqa: F401 - fixtures
from virtual_office.queue import Office, keys
from virtual_office.queue.appointments import Appointments


async def due(appointments: Appointments) -> list[tuple[str, int]]:
    return [(r.booking.reference, r.minutes) for r in await appointments.due_reminders(OFFICE)]


async def test_reminders_fall_due_at_the_offices_times_and_go_once_sent(
        booking_office: Office, appointments: Appointments, clock: Clock, redis_client: redis.asyncio.Redis) -> None:
    token = await book(appointments, at("2027-03-03", "09:00"), name="Erika")
    booking = await appointments.booking(token)
    assert booking.link == token  # kept for the reminders' links
    assert await redis_client.zrange(keys.appointment_reminders(OFFICE), 0, -1, withscores=True) == [
        (f"{booking.id}:1440", at("2027-03-02", "09:00").timestamp() * 1000),
        (f"{booking.id}:60", at("2027-03-03", "08:00").timestamp() * 1000),
    ]
    clock.now = at("2027-03-02", "08:59").timestamp()
    assert await due(appointments) == []
    clock.now = at("2027-03-02", "09:00").timestamp()
    [reminder] = await appointments.due_reminders(OFFICE)
    assert (reminder.minutes, reminder.booking.email, reminder.booking.link) == (1440, "erika@example.org", token)
    assert await due(appointments) == [(booking.reference, 1440)]  # due until it is marked sent
    await appointments.reminded(OFFICE, reminder)
    assert await due(appointments) == []
    clock.now = at("2027-03-03", "08:00").timestamp()
    assert await due(appointments) == [(booking.reference, 60)]


async def test_a_reminder_already_past_when_confirming_is_not_planned(
        booking_office: Office, appointments: Appointments, redis_client: redis.asyncio.Redis) -> None:
    token = await book(appointments, at("2027-03-01", "11:00"))  # booked at 07:00: a day before is past
    booking_id = token.split(".")[1]
    assert await redis_client.zrange(keys.appointment_reminders(OFFICE), 0, -1) == [f"{booking_id}:60"]


async def test_an_unconfirmed_booking_has_no_reminders(booking_office: Office, appointments: Appointments,
                                                       redis_client: redis.asyncio.Redis) -> None:
    await book(appointments, at("2027-03-03", "09:00"), confirm=False)
    assert await redis_client.exists(keys.appointment_reminders(OFFICE)) == 0


async def test_moving_plans_the_reminders_again_and_cancelling_removes_them(
        booking_office: Office, appointments: Appointments, clock: Clock, redis_client: redis.asyncio.Redis) -> None:
    token = await book(appointments, at("2027-03-03", "09:00"))
    booking_id = token.split(".")[1]
    await appointments.move(token, at("2027-03-04", "10:00"))
    assert await redis_client.zrange(keys.appointment_reminders(OFFICE), 0, -1, withscores=True) == [
        (f"{booking_id}:1440", at("2027-03-03", "10:00").timestamp() * 1000),
        (f"{booking_id}:60", at("2027-03-04", "09:00").timestamp() * 1000),
    ]
    await appointments.cancel(token)
    assert await redis_client.exists(keys.appointment_reminders(OFFICE)) == 0
    assert (await appointments.booking(token)).link == ""
    clock.now = at("2027-03-04", "09:30").timestamp()
    assert await due(appointments) == []


async def test_the_office_cancelling_and_the_days_end_remove_reminders(
        booking_office: Office, appointments: Appointments, clock: Clock, redis_client: redis.asyncio.Redis) -> None:
    by_office = await book(appointments, at("2027-03-03", "09:00"))
    await appointments.cancel_by_office(OFFICE, by_office.split(".")[1], "Krankheit")
    forgotten = await book(appointments, at("2027-03-02", "11:00"))
    # A reminder the sweeper never sent (it was down): the day's end takes it away with the link.
    clock.now = at("2027-03-03", "00:00").timestamp()
    assert await appointments.close_days(OFFICE) == {"2027-03-02": (0, 1, 0)}
    assert await redis_client.exists(keys.appointment_reminders(OFFICE)) == 0
    assert (await appointments.booking(forgotten)).link == ""


async def test_a_checked_in_bookings_reminder_is_dropped_not_due(
        booking_office: Office, appointments: Appointments, clock: Clock, redis_client: redis.asyncio.Redis) -> None:
    token = await book(appointments, at("2027-03-01", "11:30"))
    # The reminder an hour before was never sent (the sweeper was down); the citizen came anyway.
    clock.now = at("2027-03-01", "11:20").timestamp()
    await appointments.check_in(token)
    assert await due(appointments) == []
    assert await redis_client.exists(keys.appointment_reminders(OFFICE)) == 0
