"""The administration's side of appointments: the settings in the office form, the day's
appointments with cancelling by the office, the mail page, the statistics."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
import redis
from starlette.testclient import TestClient

from tests.conftest import ALWAYS, RedisServer
from tests.mail.conftest import SmtpTestServer, smtp_server  # noqa: F401 - the SMTP server fixture
from tests.server.staff_pages import Staff, _seed, start
from virtual_office.queue import Office, keys
from virtual_office.server import create_app
from virtual_office.server.appointment_mail import cancel_by_office
from virtual_office.settings import Settings

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


# -- the day's appointments, cancelling by the office ----------------------------------------------

BERLIN = ZoneInfo("Europe/Berlin")


def demo(redis_server: RedisServer, tmp_path: Path) -> Iterator[Staff]:
    """As staff_pages.start, with the demo's mail directory instead of a mail server."""
    redis.Redis.from_url(redis_server.url).flushall()
    accounts = asyncio.run(_seed(redis_server.url))
    app = create_app(Settings(redis_url=redis_server.url, secret_key="x" * 32, data_dir=tmp_path, admin_mfa="optional"),
                     mail_directory=tmp_path / "mail")
    with TestClient(app, base_url="http://testserver") as client:
        yield Staff(client, app, redis_server.url, accounts)


def open_office(staff: Staff) -> None:
    """Bookable around the clock from now on (lead time 0), a place for three at once."""
    save_office(staff, hours=ALWAYS, lead_minutes=0, capacity=3, slot_minutes=5)


def book(staff: Staff, start: datetime, email: str, *, name: str = "", confirm: bool = True, lang: str = "de") -> str:
    appointments = staff.state.services.appointments
    held = staff.run(appointments.hold, "buergerbuero", ["ausweis"], start, email=email, name=name, language=lang)
    if confirm:
        staff.run(appointments.confirm, held.token)
    return str(held.token)


def tomorrow_at(hhmm: str) -> datetime:
    day = datetime.now(BERLIN).date() + timedelta(days=1)
    return datetime.combine(day, datetime.strptime(hhmm, "%H:%M").time(), BERLIN)


def wait_for_mails(smtp: SmtpTestServer, n: int) -> None:
    deadline = time.monotonic() + 20
    while len(smtp.received) < n and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(smtp.received) == n, [str(r.message["Subject"]) for r in smtp.received]


def test_the_days_ahead_with_counts_and_a_days_list_without_addresses(staff: Staff) -> None:
    open_office(staff)
    book(staff, tomorrow_at("09:00"), "erika@example.org", name="Erika Mustermann")
    book(staff, tomorrow_at("09:30"), "max@example.org")
    book(staff, tomorrow_at("10:00"), "moritz@example.org", confirm=False)
    book(staff, tomorrow_at("10:00") + timedelta(days=1), "lena@example.org")
    staff.login("root")
    overview = staff.client.get("/admin/appointments").text
    day = tomorrow_at("09:00").date().isoformat()
    row = re.search(rf'<tr data-day="{day}">(.*?)</tr>', overview, re.S)
    assert row, overview
    counts = {cls: re.search(rf'class="{cls}"[^>]*>(\d+)<', row.group(1)).group(1) for cls in ("held", "confirmed", "checked-in")}  # type: ignore[union-attr]
    assert counts == {"held": "1", "confirmed": "2", "checked-in": "0"}
    assert overview.count("<tr data-day=") == 2
    page = staff.client.get(f"/admin/appointments/buergerbuero/{day}").text
    assert page.count("<tr data-booking=") == 3
    assert "Erika Mustermann" in page and "09:00–09:15" in page and "Personalausweis" in page
    assert "@example.org" not in page  # never an address in a list
    assert staff.client.get("/admin/appointments/buergerbuero/morgen").status_code == 404
    assert staff.client.get(f"/admin/appointments/nirgendwo/{day}").status_code == 404


def test_the_office_cancels_one_appointment_and_the_citizen_is_mailed_once(staff: Staff, smtp_server: SmtpTestServer) -> None:  # noqa: F811
    open_office(staff)
    token = book(staff, tomorrow_at("09:00"), "erika@example.org", lang="en")
    other = book(staff, tomorrow_at("09:30"), "max@example.org")
    booking_id, day = token.split(".")[1], tomorrow_at("09:00").date().isoformat()
    confirmed = icalendar.Calendar.from_ical(staff.client.get(f"/b/calendar/{token}.ics").content).walk("VEVENT")[0]
    staff.login("root")
    path = f"/admin/appointments/buergerbuero/{day}/{booking_id}/cancel"
    assert "Termin BT-0001 absagen" in staff.client.get(path).text
    refused = staff.post(path, {"reason": "  "})
    assert refused.status_code == 400 and "Bitte geben Sie einen Grund an." in refused.text
    answer = staff.post(path, {"reason": "Krankheit"})
    assert answer.status_code == 303 and answer.headers["location"] == f"/admin/appointments/buergerbuero/{day}"
    assert "Abgesagte Termine: 1." in staff.client.get(answer.headers["location"]).text
    cancelled = staff.run(staff.state.services.appointments.booking, token)
    assert (cancelled.state, cancelled.cancelled_by, cancelled.reason, cancelled.email) == ("cancelled", "office", "Krankheit", "")
    wait_for_mails(smtp_server, 1)
    mail = smtp_server.received[0]
    assert mail.rcpt_tos == ["erika@example.org"]
    assert str(mail.message["Subject"]) == "Your appointment with Bürgerbüro has to be cancelled"
    text = mail.message.get_body(("plain",)).get_content()
    assert f"{staff.state.settings.base_url}/b/buergerbuero?lang=en" in text and "Reason: Krankheit" in text
    assert "<p>Reason: Krankheit</p>" in mail.message.get_body(("html",)).get_content()
    # The calendar file removes the event the confirmation put in the citizen's calendar: same UID, a later revision.
    (part,) = [p for p in mail.message.walk() if p.get_content_type() == "text/calendar"]
    assert part.get_param("method") == "CANCEL"
    calendar = icalendar.Calendar.from_ical(part.get_content())
    event = calendar.walk("VEVENT")[0]
    assert calendar["METHOD"] == "CANCEL" and event["STATUS"] == "CANCELLED"
    assert event["UID"] == confirmed["UID"] and event["SEQUENCE"] > confirmed["SEQUENCE"]
    # Cancelling again changes nothing and mails nobody.
    assert "lässt sich nicht mehr absagen" in staff.client.get(path).text
    assert staff.post(path, {"reason": "Krankheit"}).status_code == 200
    time.sleep(1.5)
    assert len(smtp_server.received) == 1
    assert staff.run(staff.state.services.appointments.booking, other).state == "confirmed"


def test_the_office_cancels_a_whole_day_and_everyone_is_mailed(staff: Staff, smtp_server: SmtpTestServer) -> None:  # noqa: F811
    open_office(staff)
    tokens = [book(staff, tomorrow_at("09:00"), "erika@example.org"), book(staff, tomorrow_at("09:30"), "max@example.org"),
              book(staff, tomorrow_at("11:00"), "moritz@example.org", confirm=False)]
    later = book(staff, tomorrow_at("09:00") + timedelta(days=1), "lena@example.org")
    day = tomorrow_at("09:00").date().isoformat()
    staff.login("root")
    page = staff.client.get(f"/admin/appointments/buergerbuero/{day}").text
    assert "Termine dieses Tages absagen (3)" in page
    refused = staff.post(f"/admin/appointments/buergerbuero/{day}/cancel", {"reason": ""},
                         form_page=f"/admin/appointments/buergerbuero/{day}")
    assert refused.status_code == 400 and 'id="reason-error"' in refused.text
    answer = staff.post(f"/admin/appointments/buergerbuero/{day}/cancel", {"reason": "Wasserschaden <b>im Amt</b>  "},
                        form_page=f"/admin/appointments/buergerbuero/{day}")
    assert answer.status_code == 303
    assert "Abgesagte Termine: 3." in staff.client.get(answer.headers["location"]).text
    for token in tokens:
        assert staff.run(staff.state.services.appointments.booking, token).state == "cancelled"
    assert staff.run(staff.state.services.appointments.booking, later).state == "confirmed"
    wait_for_mails(smtp_server, 3)
    assert sorted(r.rcpt_tos[0] for r in smtp_server.received) == ["erika@example.org", "max@example.org", "moritz@example.org"]
    assert {str(r.message["Subject"]) for r in smtp_server.received} == {"Ihr Termin bei Bürgerbüro muss leider ausfallen"}
    for received in smtp_server.received:
        # The administrator's text is no markup: escaped in the HTML part, as written in the text part.
        assert "Grund: Wasserschaden <b>im Amt</b>\r\n" in received.message.get_body(("plain",)).get_content()
        html = received.message.get_body(("html",)).get_content()
        assert "Grund: Wasserschaden &lt;b&gt;im Amt&lt;/b&gt;" in html and "<b>im Amt" not in html
        calendars = [p for p in received.message.walk() if p.get_content_type() == "text/calendar"]
        # Only a confirmed appointment was ever in a calendar: the one never confirmed gets no calendar file.
        assert len(calendars) == (0 if received.rcpt_tos == ["moritz@example.org"] else 1)


def test_the_mail_page_shows_the_outbox(staff: Staff, smtp_server: SmtpTestServer) -> None:  # noqa: F811
    smtp_server.stop()  # the mail server is away: what is queued waits
    open_office(staff)
    token = book(staff, tomorrow_at("09:00"), "erika@example.org")
    staff.run(cancel_by_office, staff.state.services.appointments, staff.state.mail,
              staff.run(staff.state.services.offices.get, "buergerbuero"), token.split(".")[1], "Krankheit", "http://testserver")
    staff.login("root")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        page = staff.client.get("/admin/mail").text
        if re.search(r'class="retrying">1<', page):
            break
        time.sleep(0.2)
    assert re.search(r'class="retrying">1<', page), page
    assert "Die älteste wartende E-Mail wartet seit" in page and "Letzter Fehler" in page
    assert "erika@example.org" not in page
    assert "Aufbewahrte E-Mails" not in page  # only the demo keeps mails
    assert staff.client.get("/admin/mail/x.eml").status_code == 404


def test_the_demo_keeps_its_mails_readable_as_text(redis_server: RedisServer, tmp_path: Path) -> None:
    for staff in demo(redis_server, tmp_path):
        open_office(staff)
        office = staff.run(staff.state.services.offices.get, "buergerbuero")
        office = Office.from_config({**office.to_config(), "name": "Bürgerbüro <b>Mitte</b>"})
        staff.run(staff.state.services.offices.save, office)
        token = book(staff, tomorrow_at("09:00"), "erika@example.org")
        staff.run(cancel_by_office, staff.state.services.appointments, staff.state.mail, office, token.split(".")[1],
                  "Krankheit", "http://testserver")
        staff.login("root")
        deadline = time.monotonic() + 20
        while "<tr data-mail=" not in (page := staff.client.get("/admin/mail").text) and time.monotonic() < deadline:
            time.sleep(0.2)
        name = re.search(r'<tr data-mail="([^"]+)">', page)
        assert name, page
        mail = staff.client.get(f"/admin/mail/{name.group(1)}").text
        assert "erika@example.org" in mail and "http://testserver/b/buergerbuero?lang=de" in mail
        assert "&lt;b&gt;Mitte&lt;/b&gt;" in mail and "<b>Mitte</b>" not in mail  # the HTML part is shown as text
        assert "&lt;html" in mail or "&lt;!doctype" in mail.lower()
        assert staff.client.get("/admin/mail/..%2Fsecret.eml").status_code == 404


def test_the_statistics_count_appointments(staff: Staff) -> None:
    open_office(staff)
    now = datetime.now(BERLIN)
    start = datetime.fromtimestamp((int(now.timestamp()) // 300 + 4) * 300, BERLIN)
    if start.date() != now.date():
        pytest.skip("the next free time is tomorrow: the statistics end today")
    book(staff, start, "erika@example.org")
    cancelled = book(staff, start + timedelta(minutes=5), "max@example.org")
    staff.run(staff.state.services.appointments.cancel, cancelled)
    staff.login("root")
    page = staff.client.get("/admin/stats?office=buergerbuero&days=7").text
    row = re.search(rf'<tr data-day="{start.date().isoformat()}">(.*?)</tr>', page.split('id="appointment-stats"')[1], re.S)
    assert row, page
    assert re.search(r'class="booked"[^>]*>2<', row.group(1)) and re.search(r'class="cancelled"[^>]*>1<', row.group(1))
    assert "@example.org" not in page
