"""An office's live status, derived from hours, clerks on duty and the waiting room."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from redis.asyncio import Redis

from virtual_office.queue import keys
from virtual_office.queue.estimate import Estimate, estimate_wait
from virtual_office.queue.hours import format_time
from virtual_office.queue.offices import Office
from virtual_office.queue.presence import AVAILABLE, PAUSED, Presence

OPEN = "open"
BUSY = "busy"
PAUSED_STATUS = "paused"
CLOSED = "closed"


@dataclass(frozen=True)
class OfficeStatus:
    """What the widget shows for one office at one moment."""

    office: Office
    status: str
    waiting: int
    clerks_on_duty: int
    estimate: Estimate | None
    opens_at: datetime | None
    closes_at: datetime | None
    can_join: bool
    at: datetime
    durations: tuple[float, ...] = ()
    """Recent visit lengths in seconds, for per-ticket estimates."""

    def estimate_for(self, position: int) -> Estimate | None:
        """The wait for the ticket at ``position`` (1 = next)."""
        return estimate_wait(self.durations, self.clerks_on_duty, position)

    def to_json(self, lang: str = "de") -> dict[str, object]:
        office = self.office
        today = office.hours.local(self.at).date()
        return {
            "id": office.id,
            "name": office.localized_name(lang),
            "description": office.localized_description(lang),
            "services": list(office.services),
            "languages": list(office.languages),
            "status": self.status,
            "waiting": self.waiting,
            "estimate": self.estimate.to_json() if self.estimate else None,
            "hours_today": [[format_time(a), format_time(b)] for a, b in office.hours.ranges_on(today)],
            "opens_at": self.opens_at.isoformat() if self.opens_at else None,
            "closes_at": self.closes_at.isoformat() if self.closes_at else None,
            "can_join": self.can_join,
            "appointments": office.appointments.mode,
            "at": int(self.at.timestamp() * 1000),
        }


async def office_status(redis: Redis, presence: Presence, office: Office, now: datetime) -> OfficeStatus:
    """Read what the status depends on in one round trip and derive it."""
    on_duty = await presence.on_duty(office.id)
    async with redis.pipeline(transaction=False) as pipe:
        pipe.zcard(keys.queue(office.id))
        pipe.hkeys(keys.serving(office.id))
        pipe.lrange(keys.durations(office.id), 0, -1)
        waiting, serving_clerks, durations = await pipe.execute()
    serving = set(serving_clerks)
    current = office.hours.current(now)
    free = [c for c, s in on_duty.items() if s == AVAILABLE and c not in serving]
    working = [c for c, s in on_duty.items() if s == AVAILABLE or c in serving]
    if current is None or not on_duty:
        status = CLOSED
    elif free:
        status = OPEN
    elif working:
        status = BUSY
    else:
        status = PAUSED_STATUS
    staffed = bool(on_duty) or not current
    can_join = office.can_join_at(now) and waiting < office.max_queue and staffed
    lengths = tuple(float(d) for d in durations)
    return OfficeStatus(
        office=office,
        status=status,
        waiting=waiting,
        clerks_on_duty=len(working),
        estimate=estimate_wait(lengths, len(working), waiting + 1),
        opens_at=office.hours.next_opening(now) if current is None else None,
        closes_at=current[1] if current else None,
        can_join=can_join,
        at=now,
        durations=lengths,
    )


__all__ = ["BUSY", "CLOSED", "OPEN", "PAUSED", "PAUSED_STATUS", "OfficeStatus", "office_status"]
