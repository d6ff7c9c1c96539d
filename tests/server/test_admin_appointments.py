"""The administration's side of appointments: the settings in the office form, the day's
appointments with cancelling by the office, the mail page, the statistics."""

from __future__ import annotations

import json
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import redis

from tests.conftest import ALWAYS, RedisServer
from tests.mail.conftest import SmtpTestServer, smtp_server  # noqa: F401 - the SMTP server fixture
from tests.server.staff_pages import Staff, start
from virtual_office.queue import Office, keys

APPOINTMENTS = {
    "mode": "also", "hours": {"mon": [["08:00", "12:00"]], "thu": [["13:00", "18:00"]]}, "capacity": 2,
    "slot_minutes": 10, "horizon_days": 30, "lead_minutes": 60, "hold_minutes": 20, "early_check_in_minutes": 15,
    "late": "refuse", "late_minutes": 5, "reminders": [1440, 60],
    "services": [{"id": "ausweis", "name": "Personalausweis", "name_en": "ID card", "minutes": 15},
                 {"id": "ummeldung", "name": "Ummeldung", "name_en": "", "minutes": 10}],
}


MAIL_FROM = "Stadt Musterstadt <termine@musterstadt.example>"


@pytest.fixture
def staff(redis_server: RedisServer, tmp_path: Path, smtp_server: SmtpTestServer) -> Iterator[Staff]:  # noqa: F811
    """The administration with a mail server (aiosmtpd), as appointments need."""
    yield from start(redis_server, tmp_path, smtp_url=smtp_server.url, mail_from=MAIL_FROM)


class FormFields(HTMLParser):
    """What a browser posts for the form with class admin-form: inputs, checked boxes, selects, textareas."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self._in_form = False
        self._textarea: str | None = None
        self._select: str | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and "admin-form" in a.get("class", "").split():
            self._in_form = True
        if not self._in_form or "name" not in a and tag != "option":
            return
        if tag == "input" and a.get("type") not in ("submit", "button"):
            if a.get("type") in ("radio", "checkbox") and "checked" not in a:
                return
            self.fields.append((a["name"], a.get("value", "")))
        elif tag == "textarea":
            self._textarea, self._text = a["name"], ""
        elif tag == "select":
            self._select = a["name"]
        elif tag == "option" and self._select and "selected" in a:
            self.fields.append((self._select, a.get("value", "")))

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea" and self._textarea is not None:
            self.fields.append((self._textarea, self._text.removeprefix("\n")))
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "form":
            self._in_form = False


def form_of(page: str) -> dict[str, Any]:
    parser = FormFields()
    parser.feed(page)
    fields: dict[str, Any] = {}
    for name, value in parser.fields:
        if name in fields:
            fields[name] = [*fields[name], value] if isinstance(fields[name], list) else [fields[name], value]
        else:
            fields[name] = value
    fields.pop("csrf_token", None)
    return fields


def stored(staff: Staff, office_id: str) -> dict[str, Any]:
    return json.loads(redis.Redis.from_url(staff.redis_url, decode_responses=True).get(keys.office(office_id)) or "{}")


def save_office(staff: Staff, **appointments: Any) -> None:
    office = Office.from_config({"id": "buergerbuero", "name": "Bürgerbüro", "hours": ALWAYS,
                                 "appointments": {**APPOINTMENTS, **appointments}})
    staff.run(staff.state.services.offices.save, office)


def test_saving_the_office_form_keeps_its_appointment_settings(staff: Staff) -> None:
    save_office(staff)
    before = stored(staff, "buergerbuero")
    staff.login("root")
    fields = form_of(staff.client.get("/admin/offices/buergerbuero").text)
    answer = staff.post("/admin/offices/buergerbuero", {**fields, "name": "Bürgerbüro Mitte"})
    assert answer.status_code == 303, answer.text
    after = stored(staff, "buergerbuero")
    assert after["name"] == "Bürgerbüro Mitte"
    assert after["appointments"] == before["appointments"]


def test_the_admin_sets_up_appointments_in_the_office_form(staff: Staff) -> None:
    staff.login("root")
    fields = form_of(staff.client.get("/admin/offices/buergerbuero").text)
    assert fields["appt_mode"] == "off" and fields["appt_hours_source"] == "opening"
    assert fields["appt-service-name"] == ["", ""]  # two empty rows to fill in
    fields.update({
        "appt_mode": "only", "appt-service-id": ["", ""], "appt-service-name": ["Personalausweis", "Ummeldung (Umzug)"],
        "appt-service-name_en": ["ID card", ""], "appt-service-minutes": ["15", "10"],
        "appt_hours_source": "own", "appt-hours-tue-start": ["08:00", "14:00", ""], "appt-hours-tue-end": ["12:00", "16:00", ""],
        "appt_capacity": "3", "appt_slot_minutes": "15", "appt_horizon_days": "90", "appt_lead_minutes": "30",
        "appt_hold_minutes": "45", "appt_early_check_in_minutes": "5", "appt_late": "refuse", "appt_late_minutes": "0",
        "appt_reminders": "60, 1440",
    })
    assert staff.post("/admin/offices/buergerbuero", fields).status_code == 303
    assert stored(staff, "buergerbuero")["appointments"] == {
        "mode": "only", "capacity": 3, "slot_minutes": 15, "horizon_days": 90, "lead_minutes": 30, "hold_minutes": 45,
        "early_check_in_minutes": 5, "late": "refuse", "late_minutes": 0, "reminders": [1440, 60],
        "services": [{"id": "personalausweis", "name": "Personalausweis", "name_en": "ID card", "minutes": 15},
                     {"id": "ummeldung-umzug", "name": "Ummeldung (Umzug)", "name_en": "", "minutes": 10}],
        "hours": {"tue": [["08:00", "12:00"], ["14:00", "16:00"]]},
    }
    # Renaming keeps a service's id (bookings name it); emptying a row removes its service.
    fields = form_of(staff.client.get("/admin/offices/buergerbuero").text)
    assert fields["appt-service-id"][:2] == ["personalausweis", "ummeldung-umzug"]
    fields["appt-service-name"] = ["Reisepass", "", "", ""]
    fields["appt-service-name_en"] = ["Passport", "", "", ""]
    assert staff.post("/admin/offices/buergerbuero", fields).status_code == 303
    assert stored(staff, "buergerbuero")["appointments"]["services"] == [
        {"id": "personalausweis", "name": "Reisepass", "name_en": "Passport", "minutes": 15}]


def test_more_service_rows_post_the_form_back_without_saving(staff: Staff) -> None:
    save_office(staff)
    staff.login("root")
    fields = form_of(staff.client.get("/admin/offices/buergerbuero").text)
    assert len(fields["appt-service-name"]) == 4  # two services, two empty rows
    fields["name"] = "Nicht gespeichert"
    page = staff.post("/admin/offices/buergerbuero", {**fields, "appt_more": "2"})
    assert page.status_code == 200
    assert len(form_of(page.text)["appt-service-name"]) == 6 and 'value="Nicht gespeichert"' in page.text
    assert stored(staff, "buergerbuero")["name"] == "Bürgerbüro"


def test_appointment_errors_are_shown_at_their_fields_and_nothing_is_saved(staff: Staff) -> None:
    save_office(staff)
    staff.login("root")
    fields = form_of(staff.client.get("/admin/offices/buergerbuero").text)
    fields.update({"appt_reminders": "1440, 2", "appt_capacity": "0", "appt-service-minutes": ["15", "", "", ""],
                   "appt_slot_minutes": "7"})
    page = staff.post("/admin/offices/buergerbuero", fields)
    assert page.status_code == 400
    for field, words in (("appt_reminders", "Bis zu fünf Erinnerungen"), ("appt_capacity", "zwischen 1 und 100"),
                         ("appt-service-1-minutes", "zwischen 1 und 480"), ("appt_slot_minutes", "eine der Möglichkeiten")):
        assert f'id="{field}-error"' in page.text and words in page.text, field
        assert f'href="#{field}"' in page.text  # the error summary leads to the field
    assert 'value="Ummeldung"' in page.text  # what was typed stays
    assert stored(staff, "buergerbuero")["appointments"] == {**APPOINTMENTS, "hours": APPOINTMENTS["hours"]}


def test_without_a_mail_server_appointments_cannot_be_switched_on(redis_server: RedisServer, tmp_path: Path) -> None:
    for staff in start(redis_server, tmp_path):  # serve without VO_SMTP_URL
        staff.login("root")
        page = staff.client.get("/admin/offices/buergerbuero").text
        assert "kein Mailserver eingerichtet" in page
        fields = form_of(page)
        fields.update({"appt_mode": "also", "appt-service-name": ["Personalausweis", ""],
                       "appt-service-minutes": ["15", ""]})
        refused = staff.post("/admin/offices/buergerbuero", fields)
        assert refused.status_code == 400 and "Termine brauchen einen Mailserver" in refused.text
        assert 'id="appt_mode-error"' in refused.text
        assert stored(staff, "buergerbuero")["appointments"]["mode"] == "off"
        assert staff.post("/admin/offices/buergerbuero", {**fields, "appt_mode": "off"}).status_code == 303
