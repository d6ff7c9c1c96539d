"""The office form of the administration: form fields to an Office and back, with errors per field."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from starlette.datastructures import FormData

from virtual_office.payments import FeeCatalogue, ProviderConfig
from virtual_office.queue import AppointmentSettings, InvalidInput, Office
from virtual_office.queue.hotline import check_hotline
from virtual_office.queue.hours import WEEKDAYS
from virtual_office.queue.offices import OFFICE_ID, UNENCRYPTED_VIDEO
from virtual_office.server.admin.appointment_form import AppointmentForm
from virtual_office.server.admin.payment_form import PaymentForm
from virtual_office.server.admin.week import read_week
from virtual_office.server.i18n import translate
from virtual_office.server.security import normalize

LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")
PREFIX = re.compile(r"^[A-Za-z0-9]{1,3}$")
TEXT_FIELDS = ("id", "name", "name_en", "description", "description_en", "timezone", "prefix", "hotline")
NUMBER_FIELDS = {"max_queue": (1, 10_000), "early_queue_minutes": (0, 240), "order": (-10_000, 10_000)}


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.replace(",", "\n").splitlines() if line.strip()]


@dataclass
class OfficeForm:
    """What the form shows: the values as typed, and an error message per field id."""

    values: dict[str, str] = field(default_factory=dict)
    hours: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    closed_days: list[str] = field(default_factory=list)
    appointments: AppointmentForm = field(default_factory=AppointmentForm)
    payments: PaymentForm = field(default_factory=PaymentForm.empty)
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def empty(cls) -> OfficeForm:
        return cls(
            values={"timezone": "Europe/Berlin", "languages": "de", "max_queue": "50", "early_queue_minutes": "0", "order": "0",
                    "unencrypted_video": "refuse"},
            hours={day: [] for day in WEEKDAYS},
            appointments=AppointmentForm.of(AppointmentSettings()),
        )

    @classmethod
    def of(cls, office: Office, provider: ProviderConfig | None = None) -> OfficeForm:
        config: dict[str, Any] = office.to_config()
        values = {name: str(config.get(name) or "") for name in TEXT_FIELDS}
        values["services"] = "\n".join(office.services)
        values["embed_origins"] = "\n".join(office.embed_origins)
        values["languages"] = ", ".join(office.languages)
        for name in NUMBER_FIELDS:
            values[name] = str(config[name])
        values["unencrypted_video"] = office.unencrypted_video
        hours = {day: [tuple(r) for r in config["hours"].get(day, [])] for day in WEEKDAYS}
        return cls(values=values, hours=hours, closed_days=list(config["closed_days"]),
                   appointments=AppointmentForm.of(office.appointments), payments=PaymentForm.of(office.payments, provider))

    @classmethod
    def parse(cls, form: FormData, lang: str, *, office_id: str | None, taken: set[str],
              mail_configured: bool = True, existing: Office | None = None,
              provider: ProviderConfig | None = None) -> OfficeForm:
        """Read a posted form; ``office_id`` is set when editing (the id cannot change).

        Appointments need mail (the citizen's links come by e-mail): without ``mail_configured``
        an office cannot take them. ``existing`` and ``provider`` are the office and its payment provider as stored."""
        self = cls()

        def err(name: str, key: str, **values: object) -> None:
            self.errors.setdefault(name, translate(lang, f"admin.office.error.{key}", **values))

        def text(name: str) -> str:
            value = form.get(name, "")
            return value.strip()[:2000] if isinstance(value, str) else ""

        for name in (*TEXT_FIELDS, "services", "embed_origins", "languages", *NUMBER_FIELDS):
            self.values[name] = text(name)
        if office_id is not None:
            self.values["id"] = office_id
        elif not OFFICE_ID.match(self.values["id"]):
            err("id", "id")
        elif self.values["id"] in taken:
            err("id", "id_taken")
        if not self.values["name"]:
            err("name", "name")
        languages = _lines(self.values["languages"].lower())
        if not languages or not all(LANGUAGE_CODE.match(code) for code in languages):
            err("languages", "languages")
        try:
            ZoneInfo(self.values["timezone"] or "-")
        except (ZoneInfoNotFoundError, ValueError):
            err("timezone", "timezone")
        for name, (low, high) in NUMBER_FIELDS.items():
            try:
                number = int(self.values[name])
            except ValueError:
                number = low - 1
            if not low <= number <= high:
                err(name, "number", low=low, high=high)
        self.values["unencrypted_video"] = text("unencrypted_video") or "refuse"
        if self.values["unencrypted_video"] not in UNENCRYPTED_VIDEO:
            err("unencrypted_video", "unencrypted_video")
        if self.values["prefix"] and not PREFIX.match(self.values["prefix"]):
            err("prefix", "prefix")
        if self.values["hotline"]:
            try:
                check_hotline(self.values["hotline"])
            except InvalidInput:
                err("hotline", "hotline")
        for origin in _lines(self.values["embed_origins"]):
            if origin == "*" or normalize(origin) is None:
                err("embed_origins", "origin", origin=origin)
        self.hours = read_week(form, "hours", err)
        self._parse_closed_days(form, err)
        self.appointments = AppointmentForm.parse(form, err, mail_configured=mail_configured)
        self.payments = PaymentForm.parse(form, err, catalogue=existing.payments if existing else FeeCatalogue(),
                                            provider=provider)
        return self

    def _parse_closed_days(self, form: FormData, err) -> None:  # type: ignore[no-untyped-def]
        days = []
        for value in form.getlist("closed_days"):
            value = str(value).strip()
            if not value:
                continue
            try:
                date.fromisoformat(value)
            except ValueError:
                err("closed_days", "date", value=value)
            days.append(value)
        self.closed_days = sorted(set(days))

    def config(self) -> dict[str, object]:
        """The Office.from_config form of a form without errors."""
        v = self.values
        return {
            "id": v["id"],
            "name": v["name"],
            "name_en": v["name_en"],
            "description": v["description"],
            "description_en": v["description_en"],
            "services": [s.strip() for s in v["services"].splitlines() if s.strip()],
            "languages": _lines(v["languages"].lower()),
            "timezone": v["timezone"],
            "hours": {day: [list(r) for r in rows] for day, rows in self.hours.items() if rows},
            "closed_days": self.closed_days,
            "max_queue": int(v["max_queue"]),
            "early_queue_minutes": int(v["early_queue_minutes"]),
            "prefix": v["prefix"].upper(),
            "embed_origins": [normalize(o) for o in _lines(v["embed_origins"])],
            "order": int(v["order"]),
            "hotline": v["hotline"],
            "unencrypted_video": v["unencrypted_video"],
            "appointments": self.appointments.config(),
            "payments": self.payments.catalogue_config(),
        }

    def office(self, lang: str, existing: Office | None = None) -> Office | None:
        """The office, or None with a general error when the model refuses it.

        Settings the form does not show are kept from ``existing`` (the office as stored)."""
        if self.errors:
            return None
        kept: dict[str, object] = existing.to_config() if existing is not None else {}
        try:
            return Office.from_config({**kept, **self.config()})
        except InvalidInput:
            self.errors["form"] = translate(lang, "admin.office.error.invalid")
            return None
