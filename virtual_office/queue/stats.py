"""Statistics per office and day: aggregates only, never who."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from redis.asyncio import Redis

from virtual_office.queue import keys
from virtual_office.queue.estimate import quantile


@dataclass(frozen=True)
class DayStats:
    office_id: str
    day: date
    visits: int
    no_shows: int
    left: int
    expired: int
    transferred: int
    wait_median: float | None
    """Seconds from joining to the visit starting."""
    wait_p90: float | None
    length_median: float | None
    """Seconds a visit lasted."""

    def to_json(self) -> dict[str, object]:
        return {
            "office_id": self.office_id,
            "day": self.day.isoformat(),
            "visits": self.visits,
            "no_shows": self.no_shows,
            "left": self.left,
            "expired": self.expired,
            "transferred": self.transferred,
            "wait_median": self.wait_median,
            "wait_p90": self.wait_p90,
            "length_median": self.length_median,
        }


def _q(values: list[float], q: float) -> float | None:
    return round(quantile(sorted(values), q), 1) if values else None


async def day_stats(redis: Redis, office_id: str, day: date) -> DayStats:
    iso = day.isoformat()
    async with redis.pipeline(transaction=False) as pipe:
        pipe.hgetall(keys.stats(office_id, iso))
        pipe.lrange(keys.stats_waits(office_id, iso), 0, -1)
        pipe.lrange(keys.stats_lengths(office_id, iso), 0, -1)
        counters, waits, lengths = await pipe.execute()
    waits_f = [float(w) for w in waits]
    lengths_f = [float(v) for v in lengths]
    return DayStats(
        office_id=office_id,
        day=day,
        visits=int(counters.get("visits", 0)),
        no_shows=int(counters.get("no_shows", 0)),
        left=int(counters.get("left", 0)),
        expired=int(counters.get("expired", 0)),
        transferred=int(counters.get("transferred", 0)),
        wait_median=_q(waits_f, 0.5),
        wait_p90=_q(waits_f, 0.9),
        length_median=_q(lengths_f, 0.5),
    )


async def recent_stats(redis: Redis, office_id: str, last: date, days: int = 14) -> list[DayStats]:
    """One row a day, oldest first, ending with ``last``."""
    return [await day_stats(redis, office_id, last - timedelta(days=n)) for n in range(days - 1, -1, -1)]


@dataclass(frozen=True)
class AppointmentStats:
    """Appointments of an office on one day (the appointment's day), as counts."""

    office_id: str
    day: date
    booked: int
    """Confirmed by the citizen's opt-in."""
    cancelled: int
    """Confirmed, then cancelled by the citizen or the office."""
    expired: int
    """Held, but never confirmed."""
    served: int
    """Checked in."""
    no_shows: int
    lead_minutes_mean: float | None
    """From confirming to the appointment, on average."""

    def to_json(self) -> dict[str, object]:
        return {
            "office_id": self.office_id, "day": self.day.isoformat(), "booked": self.booked,
            "cancelled": self.cancelled, "expired": self.expired, "served": self.served,
            "no_shows": self.no_shows, "lead_minutes_mean": self.lead_minutes_mean,
        }


async def appointment_stats(redis: Redis, office_id: str, day: date) -> AppointmentStats:
    counters = await redis.hgetall(keys.stats(office_id, day.isoformat()))

    def count(name: str) -> int:
        return int(counters.get(f"appointments_{name}", 0))

    booked = count("booked")
    return AppointmentStats(
        office_id=office_id,
        day=day,
        booked=booked,
        cancelled=count("cancelled"),
        expired=count("expired"),
        served=count("served"),
        no_shows=count("no_show"),
        lead_minutes_mean=round(count("lead_minutes") / booked, 1) if booked else None,
    )
