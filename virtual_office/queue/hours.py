"""Weekly opening hours with closed days, in the office's own time zone."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from virtual_office.queue.errors import InvalidInput

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$|^24:00$")


def parse_time(text: str) -> time:
    if not isinstance(text, str) or not _HHMM.match(text):
        raise InvalidInput(f"not a time of day (HH:MM): {text!r}")
    if text == "24:00":
        return time.max
    return time(int(text[:2]), int(text[3:]))


def format_time(t: time) -> str:
    return "24:00" if t == time.max else t.strftime("%H:%M")


Range = tuple[time, time]


@dataclass(frozen=True)
class OpeningHours:
    """Several ranges a weekday, minus closed days; all in ``timezone``."""

    timezone: str = "Europe/Berlin"
    weekly: Mapping[str, tuple[Range, ...]] = field(default_factory=dict)
    closed_days: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise InvalidInput(f"unknown time zone {self.timezone!r}") from exc
        for day, ranges in self.weekly.items():
            if day not in WEEKDAYS:
                raise InvalidInput(f"unknown weekday {day!r}; use {', '.join(WEEKDAYS)}")
            for start, end in ranges:
                if not start < end:
                    raise InvalidInput(f"{day}: a range must end after it starts")

    @classmethod
    def from_config(
        cls, timezone: str, weekly: Mapping[str, Iterable[Iterable[str]]], closed_days: Iterable[str]
    ) -> OpeningHours:
        """Build from the JSON/TOML form: {"mon": [["08:00", "12:00"]]}, ["2026-12-24"]."""
        try:
            parsed = {
                day: tuple(sorted((parse_time(a), parse_time(b)) for a, b in ranges))
                for day, ranges in weekly.items()
            }
            days = frozenset(date.fromisoformat(d) for d in closed_days)
        except (TypeError, ValueError) as exc:
            raise InvalidInput(f"opening hours: {exc}") from exc
        return cls(timezone=timezone, weekly=parsed, closed_days=days)

    def to_config(self) -> dict[str, object]:
        return {
            "timezone": self.timezone,
            "hours": {
                day: [[format_time(a), format_time(b)] for a, b in ranges]
                for day, ranges in self.weekly.items()
                if ranges
            },
            "closed_days": sorted(d.isoformat() for d in self.closed_days),
        }

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def local(self, at: datetime) -> datetime:
        return at.astimezone(self.zone)

    def ranges_on(self, day: date) -> tuple[Range, ...]:
        if day in self.closed_days:
            return ()
        return self.weekly.get(WEEKDAYS[day.weekday()], ())

    def _intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        zone = self.zone
        out = []
        for start, end in self.ranges_on(day):
            begin = datetime.combine(day, start, zone)
            finish = (
                datetime.combine(day + timedelta(days=1), time(0), zone)
                if end == time.max
                else datetime.combine(day, end, zone)
            )
            out.append((begin, finish))
        return out

    def current(self, at: datetime) -> tuple[datetime, datetime] | None:
        """The opening interval that contains ``at``, if any."""
        local = self.local(at)
        for begin, end in self._intervals(local.date()):
            if begin <= local < end:
                return begin, end
        return None

    def is_open(self, at: datetime) -> bool:
        return self.current(at) is not None

    def next_opening(self, at: datetime, *, horizon_days: int = 400) -> datetime | None:
        """The start of the next interval strictly after ``at`` (None if never)."""
        local = self.local(at)
        for offset in range(horizon_days):
            for begin, _ in self._intervals(local.date() + timedelta(days=offset)):
                if begin > local:
                    return begin
        return None
