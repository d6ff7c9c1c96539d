"""The appointment part of the office form: form fields to AppointmentSettings and back.

Services are a list of rows (name, English name, minutes) that works without a script: the
form always has empty rows, and "more rows" posts the form back with more. A service keeps its
id (bookings name it); a new one gets an id from its name.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.datastructures import FormData

from virtual_office.queue.appointment_settings import GRIDS, LATE_RULES, MODES, OFF, AppointmentSettings
from virtual_office.queue.hours import WEEKDAYS, format_time
from virtual_office.server.admin.week import read_week

NUMBERS = {
    "capacity": (1, 100), "horizon_days": (1, 366), "lead_minutes": (0, 7 * 1440), "hold_minutes": (5, 1440),
    "early_check_in_minutes": (0, 240), "late_minutes": (0, 240),
}
"""The engine's ranges (queue/appointment_settings.py), checked here to name the field."""
SPARE_ROWS = 2
"""Empty service rows a form shows; "more rows" adds as many again."""
MAX_SERVICES = 40
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})

Err = Callable[..., None]


def service_id(name: str, taken: set[str]) -> str:
    """An id from a service's name ("Ummeldung (Umzug)" -> "ummeldung-umzug"), unique among ``taken``."""
    plain = unicodedata.normalize("NFKD", name.lower().translate(_UMLAUTS)).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "-", plain).strip("-")[:36].strip("-") or "service"
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


@dataclass
class AppointmentForm:
    """The appointment fields as typed: settings, service rows, own weekly hours."""

    values: dict[str, str] = field(default_factory=dict)
    services: list[dict[str, str]] = field(default_factory=list)
    hours: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    spare: int = SPARE_ROWS

    @classmethod
    def of(cls, settings: AppointmentSettings) -> AppointmentForm:
        values = {name: str(getattr(settings, name)) for name in NUMBERS}
        values.update(mode=settings.mode, late=settings.late, slot_minutes=str(settings.slot_minutes),
                      reminders=", ".join(str(m) for m in settings.reminders),
                      hours_source="opening" if settings.weekly is None else "own")
        services = [{"id": s.id, "name": s.name, "name_en": s.name_en, "minutes": str(s.minutes)} for s in settings.services]
        weekly = settings.weekly or {}
        hours = {day: [(format_time(a), format_time(b)) for a, b in weekly.get(day, ())] for day in WEEKDAYS}
        return cls(values=values, services=services, hours=hours)

    @classmethod
    def parse(cls, form: FormData, err: Err, *, mail_configured: bool) -> AppointmentForm:
        self = cls()
        defaults = cls.of(AppointmentSettings()).values

        def text(name: str) -> str:
            if f"appt_{name}" not in form:  # a client that posts no appointment fields: the defaults
                return defaults[name]
            value = form.get(f"appt_{name}", "")
            return value.strip()[:200] if isinstance(value, str) else ""

        for name in (*NUMBERS, "mode", "late", "slot_minutes", "reminders", "hours_source"):
            self.values[name] = text(name)
        v = self.values
        if v["mode"] not in MODES:
            v["mode"] = OFF
        if v["late"] not in LATE_RULES:
            err("appt_late", "appt_choice")
        if v["hours_source"] not in ("opening", "own"):
            v["hours_source"] = "opening"
        if v["mode"] != OFF and not mail_configured:
            err("appt_mode", "appt_no_mail")
        for name, (low, high) in NUMBERS.items():
            if not _whole(v[name], low, high):
                err(f"appt_{name}", "number", low=low, high=high)
        if not v["slot_minutes"].isdigit() or int(v["slot_minutes"]) not in GRIDS:
            err("appt_slot_minutes", "appt_choice")
        reminders = [r for r in re.split(r"[\s,;]+", v["reminders"]) if r]
        if len(reminders) > 5 or not all(_whole(r, 5, 30 * 1440) for r in reminders):
            err("appt_reminders", "appt_reminders")
        self._parse_services(form, err)
        self.hours = read_week(form, "appt-hours", err, error_suffix="-0-start")
        if v["mode"] != OFF and not self.services:
            err("appt-service-0-name", "appt_no_service")
        if v["mode"] != OFF and v["hours_source"] == "own" and not any(self.hours.values()):
            err("appt-hours-mon-0-start", "appt_no_hours")
        try:
            self.spare = SPARE_ROWS + max(0, min(20, int(str(form.get("appt_more", "0")))))
        except ValueError:
            pass
        return self

    def _parse_services(self, form: FormData, err: Err) -> None:
        columns = [form.getlist(f"appt-service-{c}") for c in ("id", "name", "name_en", "minutes")]
        taken: set[str] = set()
        for sid, name, name_en, minutes in zip(*columns, strict=False):  # a row short of a field counts as empty
            row = {"id": str(sid).strip(), "name": str(name).strip()[:80], "name_en": str(name_en).strip()[:80],
                   "minutes": str(minutes).strip()}
            if not (row["name"] or row["name_en"]):
                continue  # an empty row, or one emptied to remove its service
            n = len(self.services)
            if not row["name"]:
                err(f"appt-service-{n}-name", "appt_service_name")
            if not _whole(row["minutes"], 1, 480):
                err(f"appt-service-{n}-minutes", "number", low=1, high=480)
            if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,39}", row["id"]) or row["id"] in taken:
                row["id"] = ""
            taken.add(row["id"])
            self.services.append(row)
        for row in self.services:  # new rows get ids once every kept id is known
            if not row["id"]:
                row["id"] = service_id(row["name"] or row["name_en"], taken)
                taken.add(row["id"])
        if len(self.services) > MAX_SERVICES:
            err("appt-service-0-name", "appt_many_services", n=MAX_SERVICES)

    def config(self) -> dict[str, object]:
        """The ``[office.appointments]`` form of a form without errors."""
        v = self.values
        data: dict[str, object] = {name: int(v[name]) for name in NUMBERS}
        data.update(
            mode=v["mode"], late=v["late"], slot_minutes=int(v["slot_minutes"]),
            reminders=[int(r) for r in re.split(r"[\s,;]+", v["reminders"]) if r],
            services=[{"id": s["id"], "name": s["name"], "name_en": s["name_en"], "minutes": int(s["minutes"])}
                      for s in self.services],
        )
        if v["hours_source"] == "own":
            data["hours"] = {day: [list(r) for r in rows] for day, rows in self.hours.items() if rows}
        return data


def _whole(text: str, low: int, high: int) -> bool:
    return text.isdigit() and low <= int(text) <= high


__all__ = ["AppointmentForm", "service_id"]
