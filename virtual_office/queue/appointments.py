"""The appointment engine: hold, confirm, cancel, move and check in, each one Lua script.

A booking is a hash (keys.appointment) under the office's hash tag. It takes one place in
each grid step it overlaps, counted in the office's occupancy hash of its day
(keys.appointment_occupancy: epoch minute -> places taken), so finding free times is one
HGETALL a day and a script checks and takes a booking's places at once: two citizens
never get the last place. Held and confirmed bookings count; cancelled and expired ones
give their places back. The day's bookings (keys.appointment_day) serve the clerk's
view and the day's closing; holds (keys.appointment_holds) are expired by the sweeper;
days with bookings (keys.appointment_days) are closed when over. Check-in runs join.lua
inside its own script (scripts/appointment_check_in.lua), so an appointment becomes a
ticket exactly as a walk-in does, with appointment priority. A confirmed booking's reminders
are entries in keys.appointment_reminders, due at the office's reminder times before its start:
planned when it is confirmed or moved, removed when it is cancelled or its day closes.

E-mail, name and phone live on the booking hash only and are deleted when the
appointment is over (cancelled, expired hold, day closed); statistics keep counts.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from redis.asyncio import Redis
from redis.commands.core import AsyncScript
from redis.exceptions import NoScriptError, RedisError
from redis.typing import EncodableT

from virtual_office.queue import errors, keys, slots
from virtual_office.queue.bookings import CANCELLED, CHECKED_IN, CONFIRMED, HELD, Booking, make_token, split_token
from virtual_office.queue.errors import QueueError
from virtual_office.queue.offices import Office, OfficeDirectory
from virtual_office.queue.scripts import PRELUDE
from virtual_office.queue.tickets import (
    APPOINTMENT,
    Ticket,
    hash_secret,
    new_secret,
    new_ticket_id,
)
from virtual_office.queue.tickets import make_token as make_ticket_token
from virtual_office.queue.waiting_room import _COUNTER_TTL, _WHERE_TTL, UNCONFIRMED_PER_PLACE, Joined

_ERRORS: dict[str, type[QueueError]] = {
    cls.code: cls
    for cls in (
        errors.SlotFull,
        errors.TooEarly,
        errors.TooLate,
        errors.AppointmentNotFound,
        errors.AppointmentCancelled,
        errors.AppointmentExpired,
        errors.InvalidAppointment,
    )
}
_SCRIPTS = ("hold", "confirm", "cancel", "move", "check_in", "expire", "close", "day", "reminders_due")
_KEEP_DAYS = 7
"""A booking (without personal data) is kept this long after its day, so its links can say
it is over; then it is gone."""
_APPOINTMENT_QUEUE_ROOM = 1_000_000
"""A checked-in appointment is never refused as 'full': its place was booked."""
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+$")
_PHONE = re.compile(r"^\+?[0-9 ()/-]{3,30}$")
LANGUAGES = ("de", "en")
_DIR = Path(__file__).with_name("scripts")
MAX_SERVICES = 5


@dataclass(frozen=True)
class Held:
    """A new booking and its secret link token; ``again`` for a repeated request (no token then)."""

    booking: Booking
    token: str | None
    again: bool = False


@dataclass(frozen=True)
class DueReminder:
    """A reminder ``minutes`` before a confirmed booking's start that is due now."""

    booking: Booking
    minutes: int
    entry: str
    """Its entry in keys.appointment_reminders, removed by :meth:`Appointments.reminded`."""


@dataclass(frozen=True)
class CheckedIn:
    """The ticket a check-in made (or gave a new token, checking in again)."""

    joined: Joined
    priority: int
    again: bool = False


def _script_source(name: str) -> str:
    body = (_DIR / f"appointment_{name}.lua").read_text()
    prelude = PRELUDE + (_DIR / "appointment_prelude.lua").read_text()
    if name == "check_in":
        # join.lua as a function: its KEYS and ARGV are the parameters, its returns the function's.
        prelude += "local function join(KEYS, ARGV)\n" + (_DIR / "join.lua").read_text() + "\nend\n"
    return prelude + body


def _minutes(reminders: Sequence[int]) -> str:
    return ",".join(str(m) for m in reminders)


def _clean(value: object, field: str, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise errors.InvalidAppointment(f"{field} must be text", field=field)
    value = " ".join(value.split())
    if len(value) > limit:
        raise errors.InvalidAppointment(f"{field} is longer than {limit} characters", field=field)
    return value


class Appointments:
    """Appointments of all offices.

    Citizen-side methods take the secret token handed out by :meth:`hold`; office-side
    ones take office and booking ids (authorising the staff is the caller's business).
    """

    def __init__(
        self,
        redis: Redis,
        offices: OfficeDirectory,
        *,
        clock: Callable[[], float] = time.time,
        request_ttl_seconds: int = 86400,
    ) -> None:
        self.redis = redis
        self.offices = offices
        self._clock = clock
        self._request_ttl = request_ttl_seconds
        self._scripts: dict[str, AsyncScript] = {
            name: redis.register_script(_script_source(name)) for name in _SCRIPTS
        }
        self._listeners: list[Callable[[str], Awaitable[None] | None]] = []

    # -- plumbing ---------------------------------------------------------------

    def now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    def now_ms(self) -> int:
        return int(self._clock() * 1000)

    def on_change(self, listener: Callable[[str], Awaitable[None] | None]) -> None:
        """Call ``listener(office_id)`` after a booking of the office changed: confirmed, cancelled,
        moved or checked in (a check-in changes its waiting room too)."""
        self._listeners.append(listener)

    async def _changed(self, office_id: str) -> None:
        for listener in self._listeners:
            result = listener(office_id)
            if result is not None:
                await result

    @staticmethod
    def _prefixes(office_id: str) -> list[EncodableT]:
        return [
            keys.appointment_prefix(office_id),
            keys.appointment_occupancy_prefix(office_id),
            keys.appointment_day_prefix(office_id),
            keys.stats_prefix(office_id),
        ]

    async def _run(self, name: str, office_id: str, keys_: list[str], args: Sequence[EncodableT]) -> Any:
        try:
            result = await self._scripts[name](keys=keys_, args=[*self._prefixes(office_id), *args])
        except RedisError as exc:
            raise errors.StoreUnavailable("the appointment store is unavailable") from exc
        if isinstance(result, list) and result and isinstance(result[0], str) and result[0] in _ERRORS:
            raise _ERRORS[result[0]](result[0], value=result[1] if len(result) > 1 else None)
        return result

    async def _office(self, office_id: str) -> Office:
        try:
            office = await self.offices.get(office_id)
        except errors.UnknownOffice as exc:
            raise errors.AppointmentNotFound("no such office") from exc
        return office

    def _keep_until(self, office: Office, day: date) -> tuple[int, int]:
        """(booking kept until, occupancy kept until), epoch seconds."""
        end = slots.day_end(office.appointment_hours, day)
        return int((end + timedelta(days=_KEEP_DAYS)).timestamp()), int((end + timedelta(days=1)).timestamp())

    # -- what can be booked -----------------------------------------------------

    def minutes(self, office: Office, services: object) -> tuple[tuple[str, ...], int]:
        """The chosen service ids, checked, and their length together."""
        settings = office.appointments
        if not settings.takes_appointments:
            raise errors.InvalidAppointment("the office takes no appointments", field="office")
        if (
            not isinstance(services, list | tuple)
            or not 1 <= len(services) <= MAX_SERVICES
            or not all(isinstance(s, str) for s in services)
        ):
            raise errors.InvalidAppointment(f"choose 1 to {MAX_SERVICES} services", field="services")
        try:
            chosen = [settings.service(s) for s in services]
        except KeyError as exc:
            raise errors.InvalidAppointment("unknown service", field="services") from exc
        return tuple(s.id for s in chosen), sum(s.minutes for s in chosen)

    async def free_times(self, office_id: str, services: object, day: date) -> list[datetime]:
        """The day's free start times for these services (UTC; show them in the office's zone)."""
        return (await self.free_days(office_id, services, day, day))[day]

    async def free_days(self, office_id: str, services: object, first: date, last: date) -> dict[date, list[datetime]]:
        """Free start times of every day from ``first`` to ``last`` (one round trip)."""
        office = await self.offices.get(office_id)
        _, minutes = self.minutes(office, services)
        if not 0 <= (last - first).days <= 400:
            raise errors.InvalidAppointment("at most 400 days at once", field="day")
        days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
        return await slots.free_times(self.redis, office, minutes, days, self.now())

    # -- the citizen ------------------------------------------------------------

    async def hold(
        self,
        office_id: str,
        services: object,
        start: datetime,
        *,
        email: object,
        name: object = None,
        phone: object = None,
        language: object = "de",
        request_key: object = None,
    ) -> Held:
        """Hold a place at ``start`` until the opt-in; the same ``request_key`` again returns the same booking."""
        office = await self.offices.get(office_id)
        service_ids, minutes = self.minutes(office, services)
        contact = self._contact(email, name, phone, language)
        if request_key is None:
            request_key = secrets.token_hex(16)
        if not isinstance(request_key, str) or not 1 <= len(request_key) <= 100:
            raise errors.InvalidAppointment("the request key is 1 to 100 characters", field="request_key")
        if not isinstance(start, datetime):
            raise errors.InvalidAppointment("no start time", field="start")
        now = self.now()
        settings, hours = office.appointments, office.appointment_hours
        minute = slots.check_start(office, minutes, start, now)
        day = hours.local(start).date()
        keep, keep_occupancy = self._keep_until(office, day)
        booking_id, secret = new_ticket_id(), new_secret()
        now_ms = self.now_ms()
        lang = contact["language"]
        concern = ", ".join(settings.service(s).localized_name(lang) for s in service_ids)[:200]
        iso = day.isoformat()
        try:
            result = await self._run(
                "hold",
                office_id,
                [
                    keys.appointment(office_id, booking_id),
                    keys.appointment_occupancy(office_id, iso),
                    keys.appointment_day(office_id, iso),
                    keys.appointment_holds(office_id),
                    keys.appointment_days(office_id),
                    keys.appointment_request(office_id, hashlib.sha256(request_key.encode()).hexdigest()[:32]),
                    keys.appointment_counter(office_id),
                ],
                [
                    booking_id, hash_secret(secret), now_ms, minute, slots.steps(minutes, settings.slot_minutes),
                    settings.slot_minutes, settings.capacity, minutes, now_ms + settings.hold_minutes * 60_000,
                    ",".join(service_ids), concern, contact["email"], contact["name"], contact["phone"], lang,
                    self._request_ttl, keep, iso, int(slots.day_end(hours, day).timestamp() * 1000), office_id,
                    office.number_prefix, minute * 60_000, keep_occupancy,
                ],
            )
        except errors.SlotFull as exc:
            raise errors.SlotFull(
                "that time is taken", next_free=await slots.next_free(self.redis, office, minutes, start, now)
            ) from exc
        booking = Booking.from_reply(result[1])
        if result[0] == "again":
            return Held(booking, None, again=True)
        return Held(booking, make_token(office_id, booking_id, secret))

    async def requested(self, office_id: str, request_key: str) -> bool:
        """Whether a hold was made with this request key (repeating it needs no new bot check)."""
        key = keys.appointment_request(office_id, hashlib.sha256(request_key.encode()).hexdigest()[:32])
        try:
            return bool(await self.redis.exists(key))
        except RedisError as exc:
            raise errors.StoreUnavailable("the appointment store is unavailable") from exc

    @staticmethod
    def _contact(email: object, name: object, phone: object, language: object) -> dict[str, str]:
        address = _clean(email, "email", 254)
        if not _EMAIL.match(address):
            raise errors.InvalidAppointment("not an e-mail address", field="email")
        number = _clean(phone, "phone", 30)
        if number and not _PHONE.match(number):
            raise errors.InvalidAppointment("not a phone number", field="phone")
        if language not in LANGUAGES:
            raise errors.InvalidAppointment("language is de or en", field="language")
        return {"email": address, "name": _clean(name, "name", 80), "phone": number, "language": str(language)}

    async def booking(self, token: object) -> Booking:
        """The booking a token belongs to, in whatever state (a link page says cancelled or over)."""
        office_id, booking_id, secret = split_token(token)
        booking = await self.get(office_id, booking_id)
        if not booking.matches(secret):
            raise errors.AppointmentNotFound("no such booking")
        return booking

    async def get(self, office_id: str, booking_id: str) -> Booking:
        try:
            # From a client that decodes responses: field names and values are text.
            fields = cast(dict[str, str], await self.redis.hgetall(keys.appointment(office_id, booking_id)))
        except RedisError as exc:
            raise errors.StoreUnavailable("the appointment store is unavailable") from exc
        if not fields:
            raise errors.AppointmentNotFound("no such booking")
        return Booking.from_redis(fields)

    async def confirm(self, token: object) -> Booking:
        """The opt-in: the held booking is confirmed (confirming again changes nothing)."""
        office_id, booking_id, secret = split_token(token)
        office = await self._office(office_id)
        # The token is kept on the booking (until it is over) for the reminders' links, as the
        # outbox keeps the confirmation mail that carries it.
        result = await self._run(
            "confirm",
            office_id,
            [keys.appointment(office_id, booking_id), keys.appointment_holds(office_id), keys.appointment_reminders(office_id)],
            [hash_secret(secret), self.now_ms(), _minutes(office.appointments.reminders), make_token(office_id, booking_id, secret)],
        )
        await self._changed(office_id)
        return Booking.from_reply(result[1])

    async def cancel(self, token: object) -> Booking:
        """The citizen cancels; returns the booking as it was (with contact, for the mail)."""
        office_id, booking_id, secret = split_token(token)
        return await self._cancel(office_id, booking_id, hash_secret(secret), "citizen", "")

    async def cancel_by_office(self, office_id: str, booking_id: str, reason: object = "") -> Booking:
        """The office cancels (a clerk is ill); returns the booking as it was, to tell the citizen."""
        return await self._cancel(office_id, booking_id, "", "office", _clean(reason, "reason", 300))

    async def _cancel(self, office_id: str, booking_id: str, secret_hash: str, by: str, reason: str) -> Booking:
        result = await self._run(
            "cancel",
            office_id,
            [keys.appointment(office_id, booking_id), keys.appointment_holds(office_id), keys.appointment_reminders(office_id)],
            [secret_hash, self.now_ms(), by, reason],
        )
        await self._changed(office_id)
        return Booking.from_reply(result[1])

    async def move(self, token: object, start: datetime) -> Booking:
        """Move to another start; a full new time changes nothing and names the next free times."""
        booking = await self.booking(token)
        office_id, _, secret = split_token(token)
        office = await self._office(office_id)
        if not isinstance(start, datetime):
            raise errors.InvalidAppointment("no start time", field="start")
        # The script checks the state again (it may change meanwhile); checked here first,
        # a cancelled booking is told so rather than that the new time has passed.
        if booking.state == CANCELLED:
            raise errors.AppointmentCancelled("the appointment was cancelled")
        if booking.state == CHECKED_IN:
            raise errors.InvalidAppointment("checked in already", field="state")
        if booking.state not in (HELD, CONFIRMED):
            raise errors.AppointmentExpired("the appointment is over")
        settings, hours = office.appointments, office.appointment_hours
        now = self.now()
        minute = slots.check_start(office, booking.minutes, start, now)
        day = hours.local(start).date()
        keep, keep_occupancy = self._keep_until(office, day)
        iso = day.isoformat()
        try:
            result = await self._run(
                "move",
                office_id,
                [
                    keys.appointment(office_id, booking.id),
                    keys.appointment_holds(office_id),
                    keys.appointment_occupancy(office_id, iso),
                    keys.appointment_day(office_id, iso),
                    keys.appointment_days(office_id),
                    keys.appointment_reminders(office_id),
                ],
                [
                    hash_secret(secret), self.now_ms(), minute, slots.steps(booking.minutes, settings.slot_minutes),
                    settings.slot_minutes, settings.capacity, iso, minute * 60_000,
                    int(slots.day_end(hours, day).timestamp() * 1000), keep, keep_occupancy,
                    _minutes(settings.reminders),
                ],
            )
        except errors.SlotFull as exc:
            raise errors.SlotFull(
                "that time is taken", next_free=await slots.next_free(self.redis, office, booking.minutes, start, now)
            ) from exc
        await self._changed(office_id)
        return Booking.from_reply(result[1])

    async def check_in(self, token: object) -> CheckedIn:
        """On the day: the confirmed booking becomes a waiting-room ticket.

        Inside the check-in window (from ``early_check_in_minutes`` before the start to
        ``late_minutes`` after it) the ticket has appointment priority; later, the office's
        late rule joins it as a walk-in or refuses ``too_late``; earlier is ``too_early``
        (``at``: when the window opens).
        """
        office_id, booking_id, secret = split_token(token)
        office = await self._office(office_id)
        settings = office.appointments
        now_ms = self.now_ms()
        day = office.hours.local(self.now()).date().isoformat()
        ticket_id, ticket_secret = new_ticket_id(), new_secret()
        where = keys.where(ticket_id)
        # The same KEYS and ARGV as WaitingRoom.join gives join.lua; the script fills in the
        # booking's name, concern and language and the priority.
        join_keys = [
            keys.queue(office_id),
            keys.seen(office_id),
            keys.counter(office_id, day),
            keys.ticket(office_id, ticket_id),
            keys.presence_seen(office_id),
            keys.unconfirmed(office_id),
            keys.stats(office_id, day),
        ]
        join_args: list[EncodableT] = [
            ticket_id, hash_secret(ticket_secret), now_ms, _APPOINTMENT_QUEUE_ROOM, office.number_prefix,
            "", "", "", _COUNTER_TTL, office_id, "", APPOINTMENT,
            max(1, UNCONFIRMED_PER_PLACE * office.max_queue), keys.ticket_prefix(office_id),
        ]
        args: list[EncodableT] = [
            hash_secret(secret), now_ms, settings.early_check_in_minutes * 60_000, settings.late_minutes * 60_000,
            settings.late, keys.ticket_prefix(office_id), len(join_args), *join_args,
        ]
        script = self._scripts["check_in"]
        all_keys = [keys.appointment(office_id, booking_id), *join_keys]
        # The token-to-office index lives outside the office's hash slot: written beside the
        # script, in the same round trip, as WaitingRoom.join does; removed unless used.
        for attempt in (1, 2):
            try:
                async with self.redis.pipeline(transaction=False) as pipe:
                    pipe.set(where, office_id, ex=_WHERE_TTL)
                    pipe.evalsha(script.sha, len(all_keys), *all_keys, *self._prefixes(office_id), *args)
                    result = (await pipe.execute(raise_on_error=False))[-1]
                if isinstance(result, NoScriptError) and attempt == 1:
                    await self.redis.script_load(script.script)
                    continue
                if isinstance(result, Exception):
                    raise result
                break
            except RedisError as exc:
                raise errors.StoreUnavailable("the appointment store is unavailable") from exc
        status = result[0]
        if status != "ok":
            await self.redis.delete(where)
        if status == "too_early":
            raise errors.TooEarly("come back later", at=datetime.fromtimestamp(int(result[1]) / 1000, UTC))
        if status in _ERRORS:
            raise _ERRORS[status](status, value=result[1] if len(result) > 1 else None)
        if status not in ("ok", "again"):
            raise errors.InvalidAppointment(f"the waiting room refused: {status}")
        if result[2]:  # the join ended the oldest unconfirmed tickets: their index goes too
            await self.redis.delete(*(keys.where(evicted) for evicted in result[2]))
        ticket = Ticket.from_redis(dict(zip(result[3][::2], result[3][1::2], strict=True)))
        if status == "again":
            await self.redis.set(keys.where(ticket.id), office_id, ex=_WHERE_TTL)
        else:
            await self._changed(office_id)
        joined = Joined(ticket=ticket, token=make_ticket_token(ticket.id, ticket_secret), position=int(result[1]))
        return CheckedIn(joined=joined, priority=ticket.priority, again=status == "again")

    # -- the office -------------------------------------------------------------

    async def day(self, office_id: str, day: date) -> list[Booking]:
        """The day's confirmed and checked-in appointments in order of time (one round trip)."""
        return [b for b in await self.live(office_id, day) if b.state in (CONFIRMED, CHECKED_IN)]

    async def live(self, office_id: str, day: date) -> list[Booking]:
        """The day's held, confirmed and checked-in bookings in order of time (one round trip)."""
        rows = await self._run("day", office_id, [keys.appointment_day(office_id, day.isoformat())], [])
        return list(map(Booking.from_reply, rows))

    async def days(self, office_id: str) -> list[date]:
        """The days with bookings that are not over yet, in order."""
        try:
            found: list[str] = await self.redis.zrangebyscore(  # type: ignore[assignment]
                keys.appointment_days(office_id), self.now_ms(), "+inf")
        except RedisError as exc:
            raise errors.StoreUnavailable("the appointment store is unavailable") from exc
        return sorted(date.fromisoformat(d) for d in found)

    async def today(self, office_id: str) -> list[Booking]:
        """Today's appointments for the clerk's console: time, reference, services, name, checked in or not."""
        office = await self.offices.get(office_id)
        return await self.day(office_id, office.appointment_hours.local(self.now()).date())

    # -- time -------------------------------------------------------------------

    async def expire_holds(self, office_id: str, *, limit: int = 500) -> list[str]:
        """End holds that ran out without an opt-in; their places are free again. Returns their ids."""
        result: list[str] = await self._run(
            "expire", office_id, [keys.appointment_holds(office_id)], [self.now_ms(), limit]
        )
        return result

    async def close_days(self, office_id: str) -> dict[str, tuple[int, int, int]]:
        """Close every day that is over: day -> (served, no-shows, expired holds)."""
        now = self.now_ms()
        try:
            days: list[str] = await self.redis.zrangebyscore(keys.appointment_days(office_id), "-inf", now)  # type: ignore[assignment]
        except RedisError as exc:
            raise errors.StoreUnavailable("the appointment store is unavailable") from exc
        closed = {}
        for day in days:
            served, no_show, expired = await self._run(
                "close",
                office_id,
                [keys.appointment_days(office_id), keys.appointment_holds(office_id),
                 keys.appointment_reminders(office_id)],
                [now, day],
            )
            closed[day] = (int(served), int(no_show), int(expired))
        return closed

    async def due_reminders(self, office_id: str, *, limit: int = 100) -> list[DueReminder]:
        """Reminders due now of confirmed bookings (with contact and link); stale entries go.

        The caller queues each mail (once per booking, reminder and start: an outbox key) and
        then calls :meth:`reminded`, so a crash in between sends it once still.
        """
        rows = await self._run("reminders_due", office_id, [keys.appointment_reminders(office_id)],
                               [self.now_ms(), limit])
        return [DueReminder(Booking.from_reply(fields), int(entry.rsplit(":", 1)[1]), entry) for entry, fields in rows]

    async def reminded(self, office_id: str, reminder: DueReminder) -> None:
        """The reminder is queued: it is not due any more."""
        try:
            await self.redis.zrem(keys.appointment_reminders(office_id), reminder.entry)
        except RedisError as exc:
            raise errors.StoreUnavailable("the appointment store is unavailable") from exc

    async def sweep(self, office_id: str) -> None:
        """What time ends: holds without opt-in, days that are over (the sweeper calls this)."""
        await self.expire_holds(office_id)
        await self.close_days(office_id)


__all__ = ["Appointments", "CheckedIn", "DueReminder", "Held"]
