"""Appointment settings of an office: the TOML form, its defaults and what is refused."""

from __future__ import annotations

import tomllib
from datetime import date

import pytest

from virtual_office.queue import InvalidInput, Office
from virtual_office.queue.appointment_settings import AppointmentSettings

WEEKDAYS = {day: [["08:00", "12:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
SERVICES = [{"id": "ausweis", "name": "Personalausweis", "name_en": "ID card", "minutes": 15}]


def office_config(**appointments: object) -> dict[str, object]:
    return {"id": "buergerbuero", "name": "Bürgerbüro", "hours": WEEKDAYS,
            "appointments": {"mode": "also", "services": SERVICES, **appointments}}


def test_settings_come_from_toml_and_go_back_unchanged() -> None:
    data = tomllib.loads("""
[[office]]
id = "bauamt"
name = "Bauamt"
[office.hours]
mon = [["08:00", "16:00"]]
[office.appointments]
mode = "only"
capacity = 3
slot_minutes = 10
late = "refuse"
late_minutes = 5
reminders = [60, 1440]
[office.appointments.hours]
tue = [["13:00", "18:00"]]
[[office.appointments.services]]
id = "bauantrag"
name = "Bauantrag"
name_en = "Building application"
minutes = 30
""")
    office = Office.from_config(data["office"][0])
    settings = office.appointments
    assert (settings.mode, settings.capacity, settings.slot_minutes, settings.late, settings.late_minutes) == (
        "only", 3, 10, "refuse", 5)
    assert settings.reminders == (1440, 60)
    assert settings.services[0].localized_name("en") == "Building application"
    assert office.appointment_hours.ranges_on(date(2027, 3, 2)) != ()  # a Tuesday
    assert office.appointment_hours.ranges_on(date(2027, 3, 1)) == ()  # Monday: walk-ins only
    assert Office.from_config(office.to_config()) == office
    # Without hours of their own, appointments follow the opening hours.
    plain = Office.from_config({"id": "x", "name": "X", "hours": WEEKDAYS,
                                "appointments": {"mode": "also", "services": SERVICES}})
    assert plain.appointment_hours == plain.hours
    assert Office.from_config({"id": "y", "name": "Y"}).appointments == AppointmentSettings()


@pytest.mark.parametrize("bad", [
    {"mode": "sometimes"},
    {"services": []},
    {"slot_minutes": 7},
    {"capacity": 0},
    {"late": "scold"},
    {"reminders": [1]},
    {"hours": {"mon": [["12:00", "08:00"]]}},
    {"hours": {"someday": [["08:00", "12:00"]]}},
    {"services": [{"id": "Ausweis!", "name": "x", "minutes": 5}]},
    {"services": [{"id": "a", "name": "A", "minutes": 0}]},
    {"services": [{"id": "a", "name": "A"}, {"id": "a", "name": "B"}]},
    {"colour": "green"},
    {"capacity": "many"},
])
def test_bad_settings_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(InvalidInput):
        Office.from_config(office_config(**bad))
