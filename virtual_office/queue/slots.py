"""Free appointment times: start times on the office's grid where a booking's whole length fits.

Times are counted in minutes since the epoch, so a day with a clock change has as many
start times as it has real minutes of appointment hours, and 02:30 on the night the
clocks go back is two different times. A booking of ``m`` minutes on a grid of ``g``
takes one place in each of its ``ceil(m / g)`` grid steps; the office's occupancy hash
of the day (keys.appointment_occupancy) counts the places taken per step.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import cast

from redis.asyncio import Redis
from redis.exceptions import RedisError

from virtual_office.queue import keys
from virtual_office.queue.errors import InThePast, InvalidAppointment, OutsideHours, StoreUnavailable, TooLate
from virtual_office.queue.hours import OpeningHours
from virtual_office.queue.offices import Office


def steps(minutes: int, grid: int) -> int:
    """How many grid steps a booking of ``minutes`` takes."""
    return -(-minutes // grid)


def epoch_minute(at: datetime) -> int:
    return int(at.timestamp()) // 60


def at_minute(minute: int) -> datetime:
    return datetime.fromtimestamp(minute * 60, UTC)


def day_end(hours: OpeningHours, day: date) -> datetime:
    """The next local midnight (the day's end), as an aware datetime."""
    return datetime.combine(day + timedelta(days=1), time(0), hours.zone)


def start_times(hours: OpeningHours, day: date, minutes: int, grid: int) -> list[int]:
    """Every start (epoch minute) on ``day`` whose ``minutes`` fit inside one range of ``hours``."""
    out: list[int] = []
    for start, end in hours.ranges_on(day):
        begin = epoch_minute(datetime.combine(day, start, hours.zone))
        finish = epoch_minute(day_end(hours, day) if end == time.max else datetime.combine(day, end, hours.zone))
        first = -(-begin // grid) * grid
        out.extend(range(first, finish - minutes + 1, grid))
    return out


def bookable_range(office: Office, now: datetime) -> tuple[int, int]:
    """The first and last start (epoch minutes) one may book now: after the lead time, within the horizon."""
    settings = office.appointments
    hours = office.appointment_hours
    last_day = hours.local(now).date() + timedelta(days=settings.horizon_days)
    earliest = -(-int(now.timestamp() + settings.lead_minutes * 60) // 60)
    return earliest, epoch_minute(day_end(hours, last_day)) - 1


def free_starts(
    starts: list[int], occupancy: Mapping[str, str], minutes: int, grid: int, capacity: int, earliest: int, latest: int
) -> list[int]:
    """The starts in [earliest, latest] with a place left in each of their grid steps."""
    # Most steps have a place left: rule out the starts that would overlap a full one.
    n = steps(minutes, grid)
    full = [int(step) for step, count in occupancy.items() if int(count) >= capacity]
    blocked = {step - i * grid for step in full for i in range(n)}
    return [s for s in starts if earliest <= s <= latest and s not in blocked]


def check_start(office: Office, minutes: int, start: datetime, now: datetime) -> int:
    """The start as an epoch minute, if a booking of ``minutes`` may start then; the refusal otherwise."""
    if start.tzinfo is None:
        raise InvalidAppointment("a start time needs a time zone", field="start")
    hours, settings = office.appointment_hours, office.appointments
    minute = epoch_minute(start)
    if start.timestamp() != minute * 60:
        raise OutsideHours("not a start time of the office's grid")
    if start <= now:
        raise InThePast("that time has passed")
    if minute not in start_times(hours, hours.local(start).date(), minutes, settings.slot_minutes):
        raise OutsideHours("not a start time of the office's appointment hours")
    earliest, latest = bookable_range(office, now)
    if minute > latest:
        raise OutsideHours("beyond the booking horizon", latest=at_minute(latest))
    if minute < earliest:
        raise TooLate("too late to book that time", earliest=at_minute(earliest))
    return minute


async def free_times(
    redis: Redis, office: Office, minutes: int, days: list[date], now: datetime
) -> dict[date, list[datetime]]:
    """Free start times of each day for a booking of ``minutes``: one round trip for all ``days``."""
    settings, hours = office.appointments, office.appointment_hours
    try:
        async with redis.pipeline(transaction=False) as pipe:
            for day in days:
                pipe.hgetall(keys.appointment_occupancy(office.id, day.isoformat()))
            rows = cast(list[dict[str, str]], await pipe.execute())
    except RedisError as exc:
        raise StoreUnavailable("the appointment store is unavailable") from exc
    earliest, latest = bookable_range(office, now)
    grid = settings.slot_minutes
    return {
        day: [
            at_minute(s)
            for s in free_starts(start_times(hours, day, minutes, grid), row, minutes, grid, settings.capacity, earliest, latest)
        ]
        for day, row in zip(days, rows, strict=True)
    }


async def next_free(redis: Redis, office: Office, minutes: int, after: datetime, now: datetime, *, count: int = 3) -> list[datetime]:
    """The first ``count`` free start times from ``after`` on (a week's days per round trip)."""
    hours = office.appointment_hours
    first = hours.local(max(after, now)).date()
    last = hours.local(now).date() + timedelta(days=office.appointments.horizon_days)
    found: list[datetime] = []
    day = first
    while day <= last and len(found) < count:
        week = [day + timedelta(days=i) for i in range(7) if day + timedelta(days=i) <= last]
        for times in (await free_times(redis, office, minutes, week, now)).values():
            found.extend(t for t in times if t >= after)
        day += timedelta(days=7)
    return found[:count]
