"""An office's rules for appointments: whether it takes them, its services, hours and limits."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from virtual_office.queue.errors import InvalidInput
from virtual_office.queue.hours import WEEKDAYS, OpeningHours, Range, format_time, parse_time

OFF, ALSO, ONLY = "off", "also", "only"
MODES = (OFF, ALSO, ONLY)
"""off: walk-ins only; also: walk-ins and appointments; only: appointments only."""
WALK_IN, REFUSE = "walk_in", "refuse"
LATE_RULES = (WALK_IN, REFUSE)
"""Someone later than ``late_minutes`` joins as a walk-in, or is refused."""
SERVICE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
GRIDS = (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60)
"""Slot grids divide the hour, so every day's start times line up with the clock."""


@dataclass(frozen=True)
class Service:
    """Something a citizen can book (e.g. "Personalausweis, 15 min")."""

    id: str
    name: str
    name_en: str = ""
    minutes: int = 15

    def __post_init__(self) -> None:
        if not SERVICE_ID.match(self.id):
            raise InvalidInput("service id: lowercase letters, digits and '-', at most 40")
        if not self.name.strip():
            raise InvalidInput(f"service {self.id!r} needs a name")
        if not 1 <= self.minutes <= 480:
            raise InvalidInput(f"service {self.id!r}: minutes must be between 1 and 480")

    def localized_name(self, lang: str) -> str:
        return self.name_en if lang == "en" and self.name_en else self.name


@dataclass(frozen=True)
class AppointmentSettings:
    """How an office takes appointments; times are in the office's time zone."""

    mode: str = OFF
    services: tuple[Service, ...] = ()
    weekly: Mapping[str, tuple[Range, ...]] | None = None
    """Appointment hours per weekday; None: the office's opening hours. Closed days always apply."""
    capacity: int = 1
    """Appointments that may run at the same time (clerks serving appointments)."""
    slot_minutes: int = 5
    """The grid start times lie on; a booking takes every grid step it overlaps."""
    horizon_days: int = 60
    """How far ahead one can book (days after today)."""
    lead_minutes: int = 120
    """How late one can book: at least this long before the start."""
    hold_minutes: int = 30
    """A new booking holds its place this long, waiting for the citizen's opt-in."""
    early_check_in_minutes: int = 10
    """The citizen may check in this long before the start."""
    late: str = WALK_IN
    late_minutes: int = 10
    """Up to this long after the start the citizen checks in with priority; later, ``late`` decides."""
    reminders: tuple[int, ...] = (1440, 60)
    """Reminders go out this many minutes before the start."""

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise InvalidInput(f"appointments: mode is one of {', '.join(MODES)}")
        if self.late not in LATE_RULES:
            raise InvalidInput(f"appointments: late is one of {', '.join(LATE_RULES)}")
        if self.mode != OFF and not self.services:
            raise InvalidInput("appointments: an office that takes appointments needs at least one service")
        ids = [s.id for s in self.services]
        if len(set(ids)) != len(ids):
            raise InvalidInput("appointments: service ids must be unique")
        if self.slot_minutes not in GRIDS:
            raise InvalidInput(f"appointments: slot_minutes is one of {', '.join(map(str, GRIDS))}")
        for name, low, high in (
            ("capacity", 1, 100),
            ("horizon_days", 1, 366),
            ("lead_minutes", 0, 7 * 1440),
            ("hold_minutes", 5, 1440),
            ("early_check_in_minutes", 0, 240),
            ("late_minutes", 0, 240),
        ):
            if not low <= getattr(self, name) <= high:
                raise InvalidInput(f"appointments: {name} must be between {low} and {high}")
        if len(self.reminders) > 5 or any(not 5 <= r <= 30 * 1440 for r in self.reminders):
            raise InvalidInput("appointments: at most 5 reminders, each 5 minutes to 30 days before")
        if self.weekly is not None:
            OpeningHours(weekly=self.weekly)  # the same checks as opening hours

    @property
    def takes_appointments(self) -> bool:
        return self.mode != OFF

    def service(self, service_id: str) -> Service:
        for s in self.services:
            if s.id == service_id:
                return s
        raise KeyError(service_id)

    def hours(self, office_hours: OpeningHours) -> OpeningHours:
        """The appointment hours: in the office's time zone, with its closed days."""
        if self.weekly is None:
            return office_hours
        return OpeningHours(timezone=office_hours.timezone, weekly=self.weekly, closed_days=office_hours.closed_days)

    def to_config(self) -> dict[str, object]:
        data: dict[str, object] = {
            "mode": self.mode,
            "services": [
                {"id": s.id, "name": s.name, "name_en": s.name_en, "minutes": s.minutes} for s in self.services
            ],
            "capacity": self.capacity,
            "slot_minutes": self.slot_minutes,
            "horizon_days": self.horizon_days,
            "lead_minutes": self.lead_minutes,
            "hold_minutes": self.hold_minutes,
            "early_check_in_minutes": self.early_check_in_minutes,
            "late": self.late,
            "late_minutes": self.late_minutes,
            "reminders": list(self.reminders),
        }
        if self.weekly is not None:
            data["hours"] = {day: [[format_time(a), format_time(b)] for a, b in r] for day, r in self.weekly.items() if r}
        return data

    @classmethod
    def from_config(cls, data: object) -> AppointmentSettings:
        """Build from the JSON/TOML form (``[office.appointments]``, docs/configuration.md)."""
        if not isinstance(data, Mapping):
            raise InvalidInput("appointments must be a table of fields")
        raw: Mapping[str, Any] = data
        names = {"mode", "services", "hours", "capacity", "slot_minutes", "horizon_days", "lead_minutes",
                 "hold_minutes", "early_check_in_minutes", "late", "late_minutes", "reminders"}
        unknown = set(raw) - names
        if unknown:
            raise InvalidInput(f"unknown appointment fields: {', '.join(sorted(unknown))}")
        try:
            values: dict[str, Any] = {k: v for k, v in raw.items() if k not in ("services", "hours")}
            for name in ("mode", "late"):
                if name in values:
                    values[name] = str(values[name])
            for name in names - {"mode", "late", "services", "hours", "reminders"}:
                if name in values:
                    values[name] = _whole(values[name])
            if "reminders" in values:
                values["reminders"] = tuple(sorted({_whole(r) for r in values["reminders"]}, reverse=True))
            services = tuple(_service(s) for s in raw.get("services", ()))
            weekly = _weekly(raw["hours"]) if "hours" in raw else None
            return cls(services=services, weekly=weekly, **values)
        except (TypeError, ValueError, AttributeError) as exc:
            raise InvalidInput(f"appointments: {exc}") from exc


def _whole(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"not a whole number: {value!r}")
    return int(value)


def _service(data: object) -> Service:
    if not isinstance(data, Mapping):
        raise InvalidInput("appointments: a service is a table with id, name, name_en and minutes")
    unknown = set(data) - {"id", "name", "name_en", "minutes"}
    if unknown:
        raise InvalidInput(f"unknown service fields: {', '.join(sorted(map(str, unknown)))}")
    return Service(
        id=str(data.get("id", "")),
        name=str(data.get("name", "")),
        name_en=str(data.get("name_en", "")),
        minutes=_whole(data.get("minutes", 15)),
    )


def _weekly(data: Mapping[str, Iterable[Iterable[str]]]) -> dict[str, tuple[Range, ...]]:
    weekly = {day: tuple(sorted((parse_time(a), parse_time(b)) for a, b in ranges)) for day, ranges in data.items()}
    for day, ranges in weekly.items():
        if day not in WEEKDAYS:
            raise InvalidInput(f"appointments: unknown weekday {day!r}")
        if any(earlier[1] > later[0] for earlier, later in zip(ranges, ranges[1:], strict=False)):
            raise InvalidInput(f"appointments: {day}: ranges overlap")
    return weekly


__all__ = ["ALSO", "OFF", "ONLY", "REFUSE", "WALK_IN", "AppointmentSettings", "Service"]
