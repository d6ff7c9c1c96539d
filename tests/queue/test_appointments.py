"""The appointment engine against a real Redis: every transition and every refusal.

The clock stands in 2027 (after today): the engine sets Redis expiries (EXPIREAT) from
its clock, and a Redis server expires by its own.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import redis.asyncio

from tests.conftest import ALWAYS, Clock, RedisServer
from virtual_office.queue import AVAILABLE, Office, OfficeDirectory, Presence, WaitingRoom, keys
from virtual_office.queue.appointments import Appointments
from virtual_office.queue.bookings import CANCELLED, CHECKED_IN, CONFIRMED, EXPIRED, HELD, NO_SHOW, SERVED
from virtual_office.queue.errors import (
    AppointmentCancelled,
    AppointmentExpired,
    AppointmentNotFound,
    InThePast,
    InvalidAppointment,
    OutsideHours,
    SlotFull,
    TooEarly,
    TooLate,
)
from virtual_office.queue.stats import appointment_stats

BERLIN = ZoneInfo("Europe/Berlin")
OFFICE = "buergerbuero"
WEEKDAYS = {day: [["08:00", "12:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
SERVICES = [
    {"id": "ausweis", "name": "Personalausweis", "name_en": "ID card", "minutes": 15},
    {"id": "ummeldung", "name": "Ummeldung", "name_en": "Change of address", "minutes": 10},
]


def at(day: str, hhmm: str) -> datetime:
    return datetime.combine(date.fromisoformat(day), datetime.strptime(hhmm, "%H:%M").time(), BERLIN)


def office_config(**appointments: object) -> dict[str, object]:
    settings = {"mode": "also", "services": SERVICES, "hours": WEEKDAYS, "capacity": 2, "slot_minutes": 5,
                "horizon_days": 60, "lead_minutes": 120, "hold_minutes": 30, "early_check_in_minutes": 10,
                "late": "walk_in", "late_minutes": 10, "reminders": [1440, 60]}
    settings.update(appointments)
    return {"id": OFFICE, "name": "Bürgerbüro", "hours": ALWAYS, "closed_days": ["2027-03-05"],
            "appointments": settings}


@pytest.fixture
async def booking_office(offices: OfficeDirectory, clock: Clock) -> Office:
    clock.now = at("2027-03-01", "07:00").timestamp()  # Monday
    office = Office.from_config(office_config())
    await offices.save(office)
    return office


@pytest.fixture
def appointments(redis_client: redis.asyncio.Redis, offices: OfficeDirectory, clock: Clock) -> Appointments:
    return Appointments(redis_client, offices, clock=clock)


async def book(appointments: Appointments, start: datetime, *, services: tuple[str, ...] = ("ausweis",),
               confirm: bool = True, **contact: object) -> str:
    contact.setdefault("email", "erika@example.org")
    held = await appointments.hold(OFFICE, list(services), start, **contact)  # type: ignore[arg-type]
    assert held.token
    if confirm:
        await appointments.confirm(held.token)
    return held.token


async def occupancy(redis_client: redis.asyncio.Redis, day: str) -> dict[int, int]:
    raw = await redis_client.hgetall(keys.appointment_occupancy(OFFICE, day))
    return {int(k): int(v) for k, v in raw.items()}


def local_times(times: list[datetime]) -> list[str]:
    return [t.astimezone(BERLIN).strftime("%H:%M") for t in times]


# -- free times ---------------------------------------------------------------------


async def test_free_times_fill_the_hours_and_leave_out_full_steps(booking_office: Office, appointments: Appointments,
                                                                  redis_client: redis.asyncio.Redis) -> None:
    tuesday = date(2027, 3, 2)
    times = local_times(await appointments.free_times(OFFICE, ["ausweis"], tuesday))
    assert times[0] == "08:00" and times[-1] == "11:45" and len(times) == 46
    # Both services: 25 minutes, the last start 11:35.
    assert local_times(await appointments.free_times(OFFICE, ["ausweis", "ummeldung"], tuesday))[-1] == "11:35"
    # Two bookings at 09:00 fill 09:00-09:15 (capacity 2): no 15-minute start overlapping it.
    await book(appointments, at("2027-03-02", "09:00"))
    await book(appointments, at("2027-03-02", "09:00"), confirm=False)  # a hold counts too
    times = local_times(await appointments.free_times(OFFICE, ["ausweis"], tuesday))
    assert "08:45" in times and "09:15" in times
    assert not {"08:50", "08:55", "09:00", "09:05", "09:10"} & set(times)
    assert await occupancy(redis_client, "2027-03-02") == {
        int(at("2027-03-02", hhmm).timestamp()) // 60: 2 for hhmm in ("09:00", "09:05", "09:10")}


async def test_free_times_leave_out_the_past_the_lead_time_closed_days_and_beyond_the_horizon(
        booking_office: Office, appointments: Appointments, clock: Clock) -> None:
    clock.now = at("2027-03-02", "08:31").timestamp()
    # Lead time 2 h: the first start today is 10:35.
    assert local_times(await appointments.free_times(OFFICE, ["ausweis"], date(2027, 3, 2)))[0] == "10:35"
    assert await appointments.free_times(OFFICE, ["ausweis"], date(2027, 3, 1)) == []  # yesterday
    assert await appointments.free_times(OFFICE, ["ausweis"], date(2027, 3, 5)) == []  # a closed day
    assert await appointments.free_times(OFFICE, ["ausweis"], date(2027, 3, 6)) == []  # Saturday
    days = await appointments.free_days(OFFICE, ["ausweis"], date(2027, 4, 30), date(2027, 5, 3))
    assert len(days[date(2027, 4, 30)]) == 46  # day 59
    assert days[date(2027, 5, 3)] == []  # day 62: beyond the horizon of 60 days


@pytest.mark.parametrize("day", [
    "2027-03-28",  # spring forward: 01:00 CET to 04:00 CEST is two real hours; 02:00-02:59 does not exist
    "2027-10-31",  # fall back: four real hours; 02:00-02:59 comes twice (first CEST, then CET)
])
async def test_free_times_on_the_day_the_clocks_change(offices: OfficeDirectory, appointments: Appointments,
                                                       clock: Clock, day: str) -> None:
    clock.now = at("2027-03-01", "06:00").timestamp()
    config = office_config(hours={"sun": [["01:00", "04:00"]]},
                           services=[{"id": "lang", "name": "Lang", "minutes": 60}], horizon_days=300)
    await offices.save(Office.from_config(config))
    times = await appointments.free_times(OFFICE, ["lang"], date.fromisoformat(day))
    real_minutes = (times[-1] - times[0]).total_seconds() / 60 + 60
    assert real_minutes == (120 if day == "2027-03-28" else 240)
    shown = local_times(times)
    assert (shown[0], shown[-1]) == ("01:00", "03:00")
    if day == "2027-03-28":
        assert len(times) == 13 and not any(s.startswith("02:") for s in shown)
        assert times[0] == datetime(2027, 3, 28, 0, 0, tzinfo=UTC)
        assert times[-1] == datetime(2027, 3, 28, 1, 0, tzinfo=UTC)  # 03:00 CEST
    else:
        assert len(times) == 37 and shown.count("02:00") == 2
        assert times[-1] == datetime(2027, 10, 31, 2, 0, tzinfo=UTC)  # 03:00 CET
    # Booking across the change takes the real hour: 01:30 CET + 60 min ends 03:30 CEST.
    held = await appointments.hold(OFFICE, ["lang"], times[6], email="a@example.org")
    assert held.booking.end - held.booking.start == timedelta(minutes=60)


async def test_a_normal_morning_is_an_hour_earlier_in_utc_after_the_change(
        booking_office: Office, appointments: Appointments, offices: OfficeDirectory) -> None:
    await offices.save(Office.from_config(office_config(horizon_days=300)))
    friday, monday = date(2027, 3, 26), date(2027, 3, 29)
    assert (await appointments.free_times(OFFICE, ["ausweis"], friday))[0] == datetime(2027, 3, 26, 7, 0, tzinfo=UTC)
    assert (await appointments.free_times(OFFICE, ["ausweis"], monday))[0] == datetime(2027, 3, 29, 6, 0, tzinfo=UTC)


# -- hold and its refusals ----------------------------------------------------------


async def test_hold_keeps_the_contact_and_a_double_submit_books_once(
        booking_office: Office, appointments: Appointments, redis_client: redis.asyncio.Redis) -> None:
    start = at("2027-03-02", "10:15")
    first = await appointments.hold(OFFICE, ["ausweis", "ummeldung"], start, email=" erika@example.org ",
                                    name="Erika  Mustermann", phone="+49 941 123", language="en", request_key="k1")
    b = first.booking
    assert first.token and not first.again
    assert (b.state, b.start, b.minutes, b.services, b.day) == (HELD, start, 25, ("ausweis", "ummeldung"), "2027-03-02")
    assert (b.email, b.name, b.phone, b.language) == ("erika@example.org", "Erika Mustermann", "+49 941 123", "en")
    assert b.concern == "ID card, Change of address"
    assert b.reference == "BT-0001"
    assert b.hold_until == at("2027-03-01", "07:30")  # 30 minutes from now
    assert first.token.split(".")[2] not in str(await redis_client.hgetall(keys.appointment(OFFICE, b.id)))
    again = await appointments.hold(OFFICE, ["ausweis", "ummeldung"], start, email="erika@example.org",
                                    request_key="k1")
    assert again.again and again.token is None and again.booking.id == b.id
    assert sum((await occupancy(redis_client, "2027-03-02")).values()) == 5  # 25 minutes, once
    assert (await appointments.booking(first.token)).id == b.id


async def test_concurrent_double_submits_book_once(booking_office: Office, appointments: Appointments,
                                                   redis_client: redis.asyncio.Redis) -> None:
    results = await asyncio.gather(*(
        appointments.hold(OFFICE, ["ausweis"], at("2027-03-02", "10:00"), email="a@example.org", request_key="same")
        for _ in range(20)))
    assert len({r.booking.id for r in results}) == 1
    assert sum(1 for r in results if r.token) == 1
    assert await occupancy(redis_client, "2027-03-02") == {int(at("2027-03-02", "10:00").timestamp()) // 60 + i: 1
                                                          for i in (0, 5, 10)}


@pytest.mark.parametrize(("start", "error"), [
    (("2027-03-01", "05:00"), InThePast),
    (("2027-03-01", "07:30"), OutsideHours),  # before the appointment hours
    (("2027-03-01", "08:30"), TooLate),  # within the lead time of 2 h (now 07:00)
    (("2027-03-02", "10:02"), OutsideHours),  # off the grid
    (("2027-03-02", "11:50"), OutsideHours),  # 15 minutes do not fit before 12:00
    (("2027-03-02", "13:00"), OutsideHours),
    (("2027-03-06", "10:00"), OutsideHours),  # Saturday
    (("2027-03-05", "10:00"), OutsideHours),  # a closed day
    (("2027-05-03", "10:00"), OutsideHours),  # beyond the horizon
])
async def test_hold_refuses_times_that_cannot_be_booked(
        booking_office: Office, appointments: Appointments, redis_client: redis.asyncio.Redis,
        start: tuple[str, str], error: type[Exception]) -> None:
    with pytest.raises(error):
        await appointments.hold(OFFICE, ["ausweis"], at(*start), email="a@example.org")
    assert await redis_client.keys("vo:{buergerbuero}:appt*") == []


async def test_too_late_names_the_earliest_time(booking_office: Office, appointments: Appointments) -> None:
    with pytest.raises(TooLate) as refused:
        await appointments.hold(OFFICE, ["ausweis"], at("2027-03-01", "08:30"), email="a@example.org")
    assert refused.value.details["earliest"] == at("2027-03-01", "09:00")


@pytest.mark.parametrize(("services", "contact"), [
    ([], {}),
    (["reisepass"], {}),
    ("ausweis", {}),
    (["ausweis"] * 6, {}),
    (["ausweis"], {"email": "not-an-address"}),
    (["ausweis"], {"email": "a@b"}),
    (["ausweis"], {"email": None}),
    (["ausweis"], {"phone": "call me"}),
    (["ausweis"], {"name": "x" * 81}),
    (["ausweis"], {"language": "fr"}),
    (["ausweis"], {"request_key": "k" * 101}),
])
async def test_bad_booking_input_is_invalid_and_writes_nothing(
        booking_office: Office, appointments: Appointments, redis_client: redis.asyncio.Redis,
        services: object, contact: dict[str, object]) -> None:
    contact = {"email": "a@example.org", **contact}
    with pytest.raises(InvalidAppointment) as refused:
        await appointments.hold(OFFICE, services, at("2027-03-02", "10:00"), **contact)  # type: ignore[arg-type]
    assert refused.value.code == "invalid"
    assert await redis_client.keys("vo:{buergerbuero}:appt*") == []


async def test_an_office_without_appointments_takes_none(offices: OfficeDirectory, appointments: Appointments) -> None:
    with pytest.raises(InvalidAppointment):
        await appointments.hold("kfz", ["ausweis"], at("2027-03-02", "10:00"), email="a@example.org")


async def test_a_full_slot_answers_the_next_free_times(booking_office: Office, appointments: Appointments,
                                                      redis_client: redis.asyncio.Redis) -> None:
    for _ in range(2):
        await book(appointments, at("2027-03-02", "11:45"))
    for _ in range(2):
        await book(appointments, at("2027-03-03", "08:00"))
    before = await redis_client.hgetall(keys.appointment_occupancy(OFFICE, "2027-03-02"))
    with pytest.raises(SlotFull) as refused:
        await appointments.hold(OFFICE, ["ausweis"], at("2027-03-02", "11:45"), email="c@example.org")
    assert refused.value.code == "slot_full"
    # 11:45 was the day's last; Wednesday 08:00-08:10 overlap the two at 08:00.
    assert refused.value.details["next_free"] == [at("2027-03-03", hhmm) for hhmm in ("08:15", "08:20", "08:25")]
    assert await redis_client.hgetall(keys.appointment_occupancy(OFFICE, "2027-03-02")) == before


# -- confirm, cancel, move, expire --------------------------------------------------


async def test_confirm_counts_the_booking_and_its_lead_time(booking_office: Office, appointments: Appointments,
                                                           redis_client: redis.asyncio.Redis) -> None:
    token = await book(appointments, at("2027-03-02", "10:00"), confirm=False)
    booking = await appointments.confirm(token)
    assert booking.state == CONFIRMED and booking.confirmed_at is not None
    assert (await appointments.confirm(token)).state == CONFIRMED  # the link clicked twice
    assert await redis_client.zrange(keys.appointment_holds(OFFICE), 0, -1) == []
    stats = await redis_client.hgetall(keys.stats(OFFICE, "2027-03-02"))
    assert stats == {"appointments_booked": "1", "appointments_lead_minutes": str(27 * 60)}


async def test_a_wrong_or_malformed_token_is_not_found(booking_office: Office, appointments: Appointments) -> None:
    token = await book(appointments, at("2027-03-02", "10:00"), confirm=False)
    office_id, booking_id, _ = token.split(".")
    for bad in (f"{office_id}.{booking_id}.wrong", f"kfz.{booking_id}.x", "nonsense", None, 42, token + ".x",
                f"nosuch.{booking_id}.x"):
        for step in (appointments.confirm, appointments.cancel, appointments.check_in, appointments.booking):
            with pytest.raises(AppointmentNotFound):
                await step(bad)
    assert (await appointments.booking(token)).state == HELD


async def test_a_hold_runs_out_without_the_opt_in(booking_office: Office, appointments: Appointments,
                                                 clock: Clock, redis_client: redis.asyncio.Redis) -> None:
    token = await book(appointments, at("2027-03-02", "10:00"), confirm=False)
    kept = await book(appointments, at("2027-03-02", "10:00"))
    clock.advance(29 * 60)
    assert await appointments.expire_holds(OFFICE) == []
    clock.advance(2 * 60)
    with pytest.raises(AppointmentExpired):
        await appointments.confirm(token)
    [expired] = await appointments.expire_holds(OFFICE)
    booking = await appointments.booking(token)
    assert booking.id == expired and booking.state == EXPIRED
    assert (booking.email, booking.name, booking.phone) == ("", "", "")
    assert set((await occupancy(redis_client, "2027-03-02")).values()) == {1}  # the confirmed one's
    assert (await appointments.booking(kept)).state == CONFIRMED
    with pytest.raises(AppointmentExpired):
        await appointments.confirm(token)
    stats = await appointment_stats(redis_client, OFFICE, date(2027, 3, 2))
    assert (stats.booked, stats.expired) == (1, 1)


async def test_the_citizen_cancels(booking_office: Office, appointments: Appointments,
                                   redis_client: redis.asyncio.Redis) -> None:
    token = await book(appointments, at("2027-03-02", "10:00"), name="Erika")
    before = await appointments.cancel(token)
    assert before.state == CONFIRMED and before.email == "erika@example.org"  # for the cancellation mail
    after = await appointments.booking(token)
    assert (after.state, after.cancelled_by, after.email, after.name) == (CANCELLED, "citizen", "", "")
    assert await occupancy(redis_client, "2027-03-02") == {}
    assert await appointments.day(OFFICE, date(2027, 3, 2)) == []
    for step in (appointments.cancel, appointments.confirm, appointments.check_in):
        with pytest.raises(AppointmentCancelled):
            await step(token)
    with pytest.raises(AppointmentCancelled):
        await appointments.move(token, at("2027-03-02", "11:00"))
    assert await redis_client.hget(keys.stats(OFFICE, "2027-03-02"), "appointments_cancelled") == "1"


async def test_the_office_cancels_with_a_reason(booking_office: Office, appointments: Appointments) -> None:
    token = await book(appointments, at("2027-03-02", "10:00"), language="en")
    booking_id = token.split(".")[1]
    before = await appointments.cancel_by_office(OFFICE, booking_id, "Krankheit")
    assert (before.email, before.language) == ("erika@example.org", "en")
    after = await appointments.booking(token)
    assert (after.state, after.cancelled_by, after.reason) == (CANCELLED, "office", "Krankheit")
    with pytest.raises(AppointmentNotFound):
        await appointments.cancel_by_office(OFFICE, "0" * 16)


async def test_move_takes_the_new_places_and_gives_back_the_old(
        booking_office: Office, appointments: Appointments, redis_client: redis.asyncio.Redis) -> None:
    token = await book(appointments, at("2027-03-02", "10:00"))
    moved = await appointments.move(token, at("2027-03-03", "09:00"))
    assert (moved.start, moved.day, moved.state) == (at("2027-03-03", "09:00"), "2027-03-03", CONFIRMED)
    assert await occupancy(redis_client, "2027-03-02") == {}
    assert len(await occupancy(redis_client, "2027-03-03")) == 3
    assert [b.id for b in await appointments.day(OFFICE, date(2027, 3, 3))] == [moved.id]
    # Five minutes later overlaps itself: that is no conflict.
    assert (await appointments.move(token, at("2027-03-03", "09:05"))).start == at("2027-03-03", "09:05")
    assert sum((await occupancy(redis_client, "2027-03-03")).values()) == 3


async def test_move_to_a_full_time_changes_nothing(booking_office: Office, appointments: Appointments,
                                                  redis_client: redis.asyncio.Redis) -> None:
    token = await book(appointments, at("2027-03-02", "10:00"))
    for _ in range(2):
        await book(appointments, at("2027-03-02", "11:00"))
    before = {d: await occupancy(redis_client, d) for d in ("2027-03-02",)}
    with pytest.raises(SlotFull) as refused:
        await appointments.move(token, at("2027-03-02", "10:55"))
    assert refused.value.details["next_free"][0] == at("2027-03-02", "11:15")
    assert (await appointments.booking(token)).start == at("2027-03-02", "10:00")
    assert {d: await occupancy(redis_client, d) for d in before} == before
    with pytest.raises(InThePast):
        await appointments.move(token, at("2027-02-26", "10:00"))


# -- check-in -----------------------------------------------------------------------


@pytest.fixture
async def room_now(room: WaitingRoom, presence: Presence, clock: Clock) -> WaitingRoom:
    """The waiting room with a clerk on duty at the clock's time."""
    await presence.set(OFFICE, "clerk-on-duty", AVAILABLE)
    return room


async def walk_in(room: WaitingRoom, presence: Presence, name: str) -> str:
    await presence.set(OFFICE, "clerk-on-duty", AVAILABLE)
    joined = await room.join(OFFICE, name=name)
    await room.heartbeat(joined.ticket, online=True)
    return joined.ticket.id


async def test_check_in_goes_ahead_of_two_walk_ins_and_is_called_first(
        booking_office: Office, appointments: Appointments, room: WaitingRoom, presence: Presence,
        clock: Clock) -> None:
    token = await book(appointments, at("2027-03-02", "10:15"), name="Erika Mustermann",
                       services=("ausweis", "ummeldung"))
    clock.now = at("2027-03-02", "10:05").timestamp()
    walk_ins = [await walk_in(room, presence, n) for n in ("Max", "Moritz")]
    checked_in = await appointments.check_in(token)
    ticket = checked_in.joined.ticket
    assert checked_in.priority == 1 and ticket.priority == 1
    assert (ticket.name, ticket.concern, ticket.language) == ("Erika Mustermann", "Personalausweis, Ummeldung", "de")
    assert (await room.ticket(checked_in.joined.token)).id == ticket.id
    await room.heartbeat(ticket, online=True)
    assert await room.position(await room.get(OFFICE, ticket.id)) == 1
    assert [t.id for t in await room.waiting(OFFICE)] == [ticket.id, *walk_ins]
    booking = await appointments.booking(token)
    assert (booking.state, booking.ticket_id, booking.number) == (CHECKED_IN, ticket.id, ticket.number)
    called = await room.call_next(OFFICE, "clerk-on-duty")
    assert called.id == ticket.id


async def test_check_in_too_early_says_when(booking_office: Office, appointments: Appointments, clock: Clock,
                                            redis_client: redis.asyncio.Redis) -> None:
    token = await book(appointments, at("2027-03-02", "10:15"))
    clock.now = at("2027-03-02", "10:04").timestamp()
    with pytest.raises(TooEarly) as refused:
        await appointments.check_in(token)
    assert refused.value.details["at"] == at("2027-03-02", "10:05")
    assert await redis_client.keys("vo:where:*") == []
    assert await redis_client.keys("vo:{buergerbuero}:ticket:*") == []
    clock.now = at("2027-03-02", "10:05").timestamp()
    assert (await appointments.check_in(token)).priority == 1


async def test_late_with_the_walk_in_rule_joins_as_a_walk_in(booking_office: Office, appointments: Appointments,
                                                             clock: Clock, room_now: WaitingRoom) -> None:
    token = await book(appointments, at("2027-03-02", "10:15"))
    clock.now = at("2027-03-02", "10:26").timestamp()
    checked_in = await appointments.check_in(token)
    assert checked_in.priority == 0 and checked_in.joined.ticket.priority == 0


async def test_late_within_the_late_minutes_keeps_the_priority(booking_office: Office, appointments: Appointments,
                                                              clock: Clock) -> None:
    token = await book(appointments, at("2027-03-02", "10:15"))
    clock.now = at("2027-03-02", "10:25").timestamp()
    assert (await appointments.check_in(token)).priority == 1


async def test_late_with_the_refuse_rule_is_too_late(booking_office: Office, offices: OfficeDirectory,
                                                    appointments: Appointments, clock: Clock,
                                                    redis_client: redis.asyncio.Redis) -> None:
    await offices.save(Office.from_config(office_config(late="refuse", late_minutes=5)))
    token = await book(appointments, at("2027-03-02", "10:15"))
    clock.now = at("2027-03-02", "10:21").timestamp()
    with pytest.raises(TooLate):
        await appointments.check_in(token)
    assert (await appointments.booking(token)).state == CONFIRMED
    assert await redis_client.keys("vo:{buergerbuero}:ticket:*") == []
    # The next day, the walk-in rule does not help either: the day is over.
    await offices.save(Office.from_config(office_config()))
    clock.now = at("2027-03-03", "08:00").timestamp()
    with pytest.raises(TooLate):
        await appointments.check_in(token)


async def test_checking_in_again_gives_the_same_ticket_a_new_token(
        booking_office: Office, appointments: Appointments, clock: Clock, room: WaitingRoom) -> None:
    token = await book(appointments, at("2027-03-02", "10:15"))
    clock.now = at("2027-03-02", "10:10").timestamp()
    first = await appointments.check_in(token)
    second = await appointments.check_in(token)
    assert second.again and second.joined.ticket.id == first.joined.ticket.id
    assert (await room.ticket(second.joined.token)).id == first.joined.ticket.id
    with pytest.raises(Exception, match="ticket"):
        await room.ticket(first.joined.token)  # the other device's token is no longer valid
    with pytest.raises(InvalidAppointment):
        await appointments.cancel(token)  # in the waiting room: leave it there instead


async def test_an_unconfirmed_booking_cannot_check_in(booking_office: Office, appointments: Appointments,
                                                      clock: Clock) -> None:
    token = await book(appointments, at("2027-03-02", "10:15"), confirm=False)
    clock.now = at("2027-03-01", "07:20").timestamp()  # the hold runs until 07:30
    with pytest.raises(InvalidAppointment):
        await appointments.check_in(token)
    assert (await appointments.booking(token)).state == HELD


# -- the clerk's day and the day's end ------------------------------------------------


async def test_the_clerk_sees_todays_appointments_in_order(booking_office: Office, appointments: Appointments,
                                                          clock: Clock) -> None:
    late = await book(appointments, at("2027-03-02", "11:00"), services=("ummeldung",))
    early = await book(appointments, at("2027-03-02", "09:00"), name="Erika Mustermann")
    await book(appointments, at("2027-03-02", "10:00"), confirm=False)  # not confirmed: not shown
    await book(appointments, at("2027-03-03", "09:00"))  # tomorrow
    cancelled = await book(appointments, at("2027-03-02", "09:30"))
    await appointments.cancel(cancelled)
    clock.now = at("2027-03-02", "08:55").timestamp()
    await appointments.check_in(early)
    today = await appointments.today(OFFICE)
    assert [(b.start, b.services, b.name, b.state) for b in today] == [
        (at("2027-03-02", "09:00"), ("ausweis",), "Erika Mustermann", CHECKED_IN),
        (at("2027-03-02", "11:00"), ("ummeldung",), "", CONFIRMED),
    ]
    assert today[0].number.startswith("B-") and today[0].reference.startswith("BT-")
    assert late


async def test_the_days_end_marks_served_and_no_shows_and_forgets_the_citizens(
        booking_office: Office, appointments: Appointments, clock: Clock,
        redis_client: redis.asyncio.Redis) -> None:
    came = await book(appointments, at("2027-03-02", "09:00"), name="Erika", phone="0941 1")
    stayed_away = await book(appointments, at("2027-03-02", "10:00"), name="Max")
    tomorrow = await book(appointments, at("2027-03-03", "10:00"), name="Moritz")
    clock.now = at("2027-03-02", "08:55").timestamp()
    await appointments.check_in(came)
    clock.now = at("2027-03-02", "23:59").timestamp()
    assert await appointments.close_days(OFFICE) == {}
    clock.now = at("2027-03-03", "00:00").timestamp()
    assert await appointments.close_days(OFFICE) == {"2027-03-02": (1, 1, 0)}
    assert await appointments.close_days(OFFICE) == {}
    for token, state in ((came, SERVED), (stayed_away, NO_SHOW)):
        booking = await appointments.booking(token)
        assert booking.state == state and (booking.email, booking.name, booking.phone) == ("", "", "")
    assert (await appointments.booking(tomorrow)).name == "Moritz"
    assert await redis_client.exists(keys.appointment_occupancy(OFFICE, "2027-03-02"),
                                     keys.appointment_day(OFFICE, "2027-03-02")) == 0
    stats = await appointment_stats(redis_client, OFFICE, date(2027, 3, 2))
    assert (stats.booked, stats.served, stats.no_shows, stats.cancelled, stats.expired) == (2, 1, 1, 0, 0)
    assert stats.lead_minutes_mean == (26 * 60 + 27 * 60) / 2  # booked Monday 07:00 for 09:00 and 10:00
    # No e-mail address is left anywhere in Redis for that day's bookings.
    for key in await redis_client.keys("vo:{buergerbuero}:appt:*"):
        fields = await redis_client.hgetall(key)
        assert "email" not in fields or fields["day"] == "2027-03-03"
    with pytest.raises(AppointmentExpired):
        await appointments.check_in(stayed_away)


async def test_booking_keys_expire_after_the_day(booking_office: Office, appointments: Appointments,
                                                 redis_client: redis.asyncio.Redis) -> None:
    token = await book(appointments, at("2027-03-02", "09:00"))
    booking_id = token.split(".")[1]
    # Redis counts expiry by its own clock: the time left is the distance from real now.
    left = at("2027-03-03", "00:00").timestamp() - time.time()
    assert abs(await redis_client.ttl(keys.appointment(OFFICE, booking_id)) - (left + 7 * 86400)) < 60
    assert abs(await redis_client.ttl(keys.appointment_occupancy(OFFICE, "2027-03-02")) - (left + 86400)) < 60


# -- races ----------------------------------------------------------------------------


async def test_two_hundred_concurrent_holds_of_a_slot_for_two(
        booking_office: Office, redis_server: RedisServer, offices: OfficeDirectory, clock: Clock,
        redis_client: redis.asyncio.Redis) -> None:
    clients = [redis.asyncio.Redis.from_url(redis_server.url, decode_responses=True) for _ in range(20)]
    try:
        engines = [Appointments(c, OfficeDirectory(c), clock=clock) for c in clients]

        async def attempt(n: int) -> str | None:
            try:
                held = await engines[n % 20].hold(OFFICE, ["ausweis"], at("2027-03-02", "10:00"),
                                                  email=f"citizen{n}@example.org", request_key=f"r{n}")
            except SlotFull:
                return None
            return held.token

        tokens = [t for t in await asyncio.gather(*(attempt(n) for n in range(200))) if t]
        assert len(tokens) == 2
        confirmed = await asyncio.gather(*(engines[i].confirm(t) for i, t in enumerate(tokens)))
        assert [b.state for b in confirmed] == [CONFIRMED, CONFIRMED]
        assert len(await Appointments(redis_client, offices, clock=clock).day(OFFICE, date(2027, 3, 2))) == 2
        assert set((await occupancy(redis_client, "2027-03-02")).values()) == {2}
    finally:
        for c in clients:
            await c.aclose()


async def test_a_start_without_time_zone_or_a_huge_range_is_invalid(booking_office: Office,
                                                                    appointments: Appointments) -> None:
    with pytest.raises(InvalidAppointment):
        await appointments.hold(OFFICE, ["ausweis"], datetime(2027, 3, 2, 10, 0), email="a@example.org")
    with pytest.raises(InvalidAppointment):
        await appointments.free_days(OFFICE, ["ausweis"], date(2027, 3, 2), date(2028, 6, 1))
