"""The citizen's booking against a running server, real Redis and a real SMTP server (aiosmtpd):
the page, free times, holding with the opt-in mail, the links (confirm, cancel, move, enter, the
calendar file) and every refusal, in the citizen's language and with nothing half-written."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import icalendar
import pytest
import redis.asyncio

from tests.conftest import ALWAYS, RedisServer
from tests.mail.conftest import SmtpTestServer
from tests.server.conftest import Client, ServerProcess, seed
from tests.server.test_botcheck import solve
from virtual_office.queue import Office, OfficeDirectory
from virtual_office.queue.appointments import Appointments
from virtual_office.queue.bookings import CANCELLED, CHECKED_IN, CONFIRMED, HELD
from virtual_office.server.protocol import CITIZEN

BERLIN = ZoneInfo("Europe/Berlin")
FROM = "Stadt Musterstadt <termine@musterstadt.example>"
SERVICES = [{"id": "ausweis", "name": "Personalausweis", "name_en": "Identity card", "minutes": 15},
            {"id": "ummeldung", "name": "Ummeldung", "name_en": "Change of address", "minutes": 10}]


def office(**appointments: Any) -> Office:
    settings = {"mode": "also", "hours": ALWAYS, "lead_minutes": 0, "slot_minutes": 5, "capacity": 1,
                "hold_minutes": 30, "early_check_in_minutes": 10, "late_minutes": 10, "services": SERVICES,
                **appointments}
    return Office.from_config({"id": "buergerbuero", "name": "Bürgerbüro", "name_en": "Citizens' office",
                               "hours": ALWAYS, "prefix": "B", "appointments": settings})


@pytest.fixture
async def booking_server(redis_server: RedisServer, redis_client: redis.asyncio.Redis,
                         tmp_path: Path) -> AsyncIterator[tuple[ServerProcess, SmtpTestServer]]:
    await seed(redis_server.url)
    await OfficeDirectory(redis_client).save(office())
    smtp = SmtpTestServer()
    smtp.start()
    process = ServerProcess(tmp_path, {"VO_REDIS_URL": redis_server.url, "VO_SMTP_URL": smtp.url, "VO_MAIL_FROM": FROM,
                                       "VO_BOT_CHECK_COST": "1", "VO_LOG_LEVEL": "info"})
    process.start()
    yield process, smtp
    process.stop()
    smtp.stop()


def next_start(after: timedelta = timedelta(hours=2)) -> datetime:
    """A start on the office's 5-minute grid, ``after`` from now or a little later, in Berlin time."""
    at = datetime.now(UTC) + after
    at = at.replace(second=0, microsecond=0) + timedelta(minutes=5 - at.minute % 5)
    return at.astimezone(BERLIN)


async def challenge(http: httpx.AsyncClient) -> str:
    response = await http.get("/api/botcheck")
    assert response.status_code == 200
    return await asyncio.to_thread(solve, response.json())


async def book(http: httpx.AsyncClient, when: datetime, *, lang: str = "de", **fields: Any) -> httpx.Response:
    """Hold ``when`` as the booking page does; ``fields`` replace the page's (``start`` as text, too)."""
    body: dict[str, Any] = {"services": ["ausweis"], "start": when.isoformat(), "email": "erika@example.org",
                            "consent": True, "request_key": uuid.uuid4().hex, "language": lang}
    body.update(fields)
    if "altcha" not in fields:
        body["altcha"] = await challenge(http)
    return await http.post(f"/api/offices/buergerbuero/bookings?lang={lang}", json=body)


async def mails(smtp: SmtpTestServer, count: int) -> list[EmailMessage]:
    async with asyncio.timeout(30):
        while len(smtp.received) < count:
            await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)  # nothing more arrives
    return [r.message for r in smtp.received]


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def link(message: EmailMessage, action: str) -> str:
    found = re.search(rf"http://127\.0\.0\.1:\d+(/b/{action}/[^\s?]+)\?lang=(de|en)", text_of(message))
    assert found, text_of(message)
    return found.group(1)


def calendar_of(message: EmailMessage) -> icalendar.Calendar:
    [part] = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    return icalendar.Calendar.from_ical(part.get_payload(decode=True))


async def appointment_keys(redis_client: redis.asyncio.Redis) -> list[str]:
    return [k for k in await redis_client.keys("*") if ":appt" in k]


async def test_the_booking_page_offers_the_services_and_keeps_referrers_in(booking_server: tuple[ServerProcess, SmtpTestServer]) -> None:
    server, _ = booking_server
    async with httpx.AsyncClient(base_url=server.url) as http:
        page = await http.get("/b/buergerbuero")
        english = await http.get("/b/buergerbuero?lang=en")
        none = await http.get("/b/kfz")
        unknown = await http.get("/b/nowhere")
    assert page.status_code == 200
    assert "Termin buchen – Bürgerbüro" in page.text and "Personalausweis" in page.text and "Ummeldung" in page.text
    assert '<fieldset id="day-field"' in page.text and 'challenge="/api/botcheck"' in page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "script-src 'self';" in page.headers["content-security-policy"]
    assert "Book an appointment – Citizens&#39; office" in english.text and "Identity card" in english.text
    assert none.status_code == 404 and "vergibt keine Termine" in none.text  # kfz takes no appointments
    assert unknown.status_code == 404


async def test_the_office_list_tells_the_widget_who_takes_appointments(booking_server: tuple[ServerProcess, SmtpTestServer]) -> None:
    server, _ = booking_server
    async with httpx.AsyncClient(base_url=server.url) as http:
        offices = {o["id"]: o for o in (await http.get("/api/offices")).json()["offices"]}
    assert offices["buergerbuero"]["appointments"] == "also"
    assert offices["kfz"]["appointments"] == "off"


async def test_free_times_are_only_days_and_times_with_a_place(booking_server: tuple[ServerProcess, SmtpTestServer]) -> None:
    server, _ = booking_server
    start = next_start()
    async with httpx.AsyncClient(base_url=server.url) as http:
        before = (await http.get("/api/offices/buergerbuero/free-times?services=ausweis,ummeldung")).json()
        assert (await book(http, start)).status_code == 201
        after = (await http.get("/api/offices/buergerbuero/free-times?services=ausweis,ummeldung")).json()
        refused = await http.get("/api/offices/buergerbuero/free-times?services=reisepass&lang=en")
    times = {t for d in before["days"] for t in d["times"]}
    left = {t for d in after["days"] for t in d["times"]}
    assert before["timezone"] == "Europe/Berlin" and all(d["times"] for d in before["days"])
    assert len(before["days"]) == 61  # today and the 60 days of the horizon, around the clock
    # 25 minutes (both services) overlap the 15 minutes held from 20 minutes before to 10 after: gone.
    gone = {(start + timedelta(minutes=m)).isoformat() for m in range(-20, 15, 5)} & times
    assert gone and not gone & left and times - gone == left
    assert refused.status_code == 400 and refused.json()["error"] == "invalid" and refused.json()["field"] == "services"


async def test_a_booking_holds_the_time_sends_the_opt_in_and_a_double_submit_books_once(
        booking_server: tuple[ServerProcess, SmtpTestServer], redis_client: redis.asyncio.Redis) -> None:
    server, smtp = booking_server
    start = next_start()
    async with httpx.AsyncClient(base_url=server.url) as http:
        key, solution = uuid.uuid4().hex, await challenge(http)
        first = await book(http, start, request_key=key, altcha=solution, name="Erika Mustermann", phone="0941 123456")
        # The answer got lost: the page sends the same request again (its bot check solution used up).
        again = await book(http, start, request_key=key, altcha=solution, name="Erika Mustermann", phone="0941 123456")
    assert first.status_code == 201, first.text
    body = first.json()["booking"]
    assert again.status_code == 200 and again.json()["booking"]["reference"] == body["reference"]
    assert body["state"] == HELD and body["email"] == "erika@example.org" and body["hold_minutes"] == 30
    assert datetime.fromisoformat(body["start"]) == start
    [message] = await mails(smtp, 1)
    assert message["To"] == "erika@example.org"
    assert str(message["Subject"]) == "Bitte bestätigen Sie Ihren Termin bei Bürgerbüro"
    assert link(message, "confirm").startswith("/b/confirm/buergerbuero.")
    assert len([k for k in await appointment_keys(redis_client) if re.search(r":appt:[0-9a-f]{16}$", k)]) == 1
    log = server.log()
    assert "erika@example.org" not in log and "Mustermann" not in log and link(message, "confirm").split("/")[-1] not in log


@pytest.mark.parametrize(("fields", "status", "code", "field", "words"), [
    ({"email": "erika(at)example.org"}, 400, "invalid", "email", "prüfen Sie Ihre Angaben"),
    ({"email": "erika@localhost"}, 400, "invalid", "email", "prüfen Sie Ihre Angaben"),
    ({"phone": "call me maybe"}, 400, "invalid", "phone", "prüfen Sie Ihre Angaben"),
    ({"consent": False}, 400, "consent_required", "consent", "stimmen Sie dem Hinweis"),
    ({"altcha": ""}, 400, "bot_check_failed", None, "Prüfung, ob hier ein Mensch"),
    ({"altcha": "dGFtcGVyZWQ="}, 400, "bot_check_failed", None, "Prüfung, ob hier ein Mensch"),
    ({"services": ["reisepass"]}, 400, "invalid", "services", "prüfen Sie Ihre Angaben"),
    ({"services": []}, 400, "bad_request", "services", "prüfen Sie Ihre Angaben"),
    ({"start": "morgen um zehn"}, 400, "bad_request", "start", "prüfen Sie Ihre Angaben"),
    ({"start": "2026-12-03T10:15:00"}, 400, "invalid", "start", "prüfen Sie Ihre Angaben"),
    ({"start": "2020-01-06T10:15:00+01:00"}, 400, "in_the_past", None, "schon vorbei"),
    ({"start": "past-minute"}, 400, "in_the_past", None, "schon vorbei"),
    ({"start": "off-grid"}, 400, "outside_hours", None, "keine Termine"),
    ({"start": "beyond-horizon"}, 400, "outside_hours", None, "keine Termine"),
    ({"language": "fr"}, 400, "invalid", "language", "prüfen Sie Ihre Angaben"),
    ({"surprise": 1}, 400, "bad_request", None, "prüfen Sie Ihre Angaben"),
])
async def test_bad_input_is_refused_clearly_and_nothing_is_written(
        booking_server: tuple[ServerProcess, SmtpTestServer], redis_client: redis.asyncio.Redis,
        fields: dict[str, Any], status: int, code: str, field: str | None, words: str) -> None:
    server, smtp = booking_server
    special = {"past-minute": next_start(timedelta(minutes=-10)), "off-grid": next_start() + timedelta(minutes=2),
               "beyond-horizon": next_start(timedelta(days=62))}
    if fields.get("start") in special:
        fields = {**fields, "start": special[fields["start"]].isoformat()}
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await book(http, next_start(), **fields)
        english = await book(http, next_start(), lang="en", **fields) if code == "consent_required" else None
    assert (response.status_code, response.json()["error"], response.json().get("field")) == (status, code, field), response.text
    assert words in response.json()["message"]
    if english is not None:
        assert english.json()["message"] == "Please agree to the notice about your data."
    assert await appointment_keys(redis_client) == []
    await asyncio.sleep(0.3)
    assert smtp.received == []


async def test_a_full_time_names_the_next_free_ones(booking_server: tuple[ServerProcess, SmtpTestServer],
                                                    redis_client: redis.asyncio.Redis) -> None:
    server, smtp = booking_server
    start = next_start()
    async with httpx.AsyncClient(base_url=server.url) as http:
        assert (await book(http, start)).status_code == 201
        full = await book(http, start, email="max@example.org", lang="en")
    assert full.status_code == 409
    data = full.json()
    assert data["error"] == "slot_full" and data["message"] == "This time has just been taken. Please choose another."
    assert [datetime.fromisoformat(t) for t in data["next_free"]] == [start + timedelta(minutes=m) for m in (15, 20, 25)]
    await mails(smtp, 1)
    assert [m["To"] for m in (r.message for r in smtp.received)] == ["erika@example.org"]


async def test_holds_from_one_address_are_limited(booking_server: tuple[ServerProcess, SmtpTestServer]) -> None:
    server, _ = booking_server
    async with httpx.AsyncClient(base_url=server.url) as http:
        answers = [await book(http, next_start(timedelta(hours=2 + n))) for n in range(11)]
    assert [a.status_code for a in answers] == [201] * 10 + [429]
    assert answers[-1].json()["error"] == "too_many"


async def confirmed(http: httpx.AsyncClient, smtp: SmtpTestServer, start: datetime) -> tuple[str, EmailMessage]:
    """Book ``start``, confirm through the opt-in's link; the token and the confirmation mail."""
    assert (await book(http, start, services=["ausweis", "ummeldung"])).status_code == 201
    [opt_in] = await mails(smtp, 1)
    path = link(opt_in, "confirm")
    page = await http.get(path)
    assert page.status_code == 200 and "Termin bestätigen" in page.text and '<form method="post"' in page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    done = await http.post(path)
    assert done.status_code == 200 and "Ihr Termin ist bestätigt" in done.text
    confirmation = (await mails(smtp, 2))[1]
    return path.split("/")[-1], confirmation


async def test_the_confirm_link_asks_then_confirms_and_mails_the_calendar_file(
        booking_server: tuple[ServerProcess, SmtpTestServer], redis_client: redis.asyncio.Redis) -> None:
    server, smtp = booking_server
    start = next_start(timedelta(days=2))
    engine = Appointments(redis_client, OfficeDirectory(redis_client))
    async with httpx.AsyncClient(base_url=server.url) as http:
        assert (await book(http, start, services=["ausweis", "ummeldung"])).status_code == 201
        [opt_in] = await mails(smtp, 1)
        token = link(opt_in, "confirm").split("/")[-1]
        await http.get(f"/b/confirm/{token}")
        assert (await engine.booking(token)).state == HELD  # opening the link changes nothing
        token, confirmation = await confirmed_again(http, smtp, token)
        assert (await http.post(f"/b/confirm/{token}")).status_code == 200  # twice: one mail
    assert (await engine.booking(token)).state == CONFIRMED
    assert str(confirmation["Subject"]).startswith("Ihr Termin bei Bürgerbüro am ")
    text = text_of(confirmation)
    assert link(confirmation, "enter") == f"/b/enter/{token}" and link(confirmation, "cancel") == f"/b/cancel/{token}"
    assert link(confirmation, "move") == f"/b/move/{token}"
    calendar = calendar_of(confirmation)
    assert calendar["METHOD"] == "REQUEST"
    [event] = calendar.walk("VEVENT")
    assert event.decoded("DTSTART") == start and str(event.decoded("DTSTART").tzinfo) == "Europe/Berlin"
    assert event.decoded("DTEND") == start + timedelta(minutes=25)
    assert event["SEQUENCE"] == 0
    [alarm] = event.walk("VALARM")
    assert alarm.decoded("TRIGGER") == -timedelta(days=1)
    assert "Personalausweis, Ummeldung" in text
    await asyncio.sleep(0.5)
    assert len(smtp.received) == 2


async def confirmed_again(http: httpx.AsyncClient, smtp: SmtpTestServer, token: str) -> tuple[str, EmailMessage]:
    assert (await http.post(f"/b/confirm/{token}")).status_code == 200
    return token, (await mails(smtp, 2))[1]


async def test_moving_is_atomic_and_mails_the_confirmation_again_with_the_next_sequence(
        booking_server: tuple[ServerProcess, SmtpTestServer], redis_client: redis.asyncio.Redis) -> None:
    server, smtp = booking_server
    start = next_start(timedelta(days=1))
    async with httpx.AsyncClient(base_url=server.url) as http:
        token, _ = await confirmed(http, smtp, start)
        page = await http.get(f"/b/move/{token}")
        assert page.status_code == 200 and "Termin verschieben" in page.text and "Ihr Termin bisher" in page.text
        # Someone else holds the time an hour later: moving there changes nothing.
        taken = start + timedelta(hours=1)
        assert (await book(http, taken, email="max@example.org")).status_code == 201
        full = await http.post("/api/bookings/move", json={"token": token, "start": taken.isoformat()})
        later = start + timedelta(hours=2)
        moved = await http.post("/api/bookings/move", json={"token": token, "start": later.isoformat()})
        forged = await http.post("/api/bookings/move", json={"token": token[:-2] + "xx", "start": later.isoformat()})
    assert full.status_code == 409 and full.json()["error"] == "slot_full" and full.json()["next_free"]
    assert moved.status_code == 200 and datetime.fromisoformat(moved.json()["booking"]["start"]) == later
    assert forged.status_code == 404 and forged.json()["error"] == "not_found"
    received = await mails(smtp, 4)  # opt-in, confirmation, max's opt-in, the new confirmation
    again = [m for m in received if str(m["Subject"]).startswith("Ihr Termin bei")][-1]
    [event] = calendar_of(again).walk("VEVENT")
    assert event["SEQUENCE"] == 1 and event.decoded("DTSTART") == later
    booking = await Appointments(redis_client, OfficeDirectory(redis_client)).booking(token)
    assert booking.start == later and booking.state == CONFIRMED


async def test_cancelling_asks_first_then_cancels_mails_it_and_the_links_say_so(
        booking_server: tuple[ServerProcess, SmtpTestServer], redis_client: redis.asyncio.Redis) -> None:
    server, smtp = booking_server
    async with httpx.AsyncClient(base_url=server.url) as http:
        token, _ = await confirmed(http, smtp, next_start(timedelta(days=1)))
        question = await http.get(f"/b/cancel/{token}")
        assert "Wollen Sie diesen Termin wirklich absagen?" in question.text
        assert (await Appointments(redis_client, OfficeDirectory(redis_client)).booking(token)).state == CONFIRMED
        done = await http.post(f"/b/cancel/{token}")
        pages = {action: await http.get(f"/b/{action}/{token}") for action in ("confirm", "cancel", "move", "enter")}
        twice = await http.post(f"/b/cancel/{token}")
    assert done.status_code == 200 and "Ihr Termin ist abgesagt" in done.text
    for page in (*pages.values(), twice):
        assert page.status_code == 410 and "Dieser Termin wurde abgesagt" in page.text
        assert 'href="/b/buergerbuero?lang=de"' in page.text  # book again
    cancellation = (await mails(smtp, 3))[2]
    assert str(cancellation["Subject"]) == "Ihr Termin bei Bürgerbüro ist abgesagt"
    assert calendar_of(cancellation)["METHOD"] == "CANCEL"
    booking = await Appointments(redis_client, OfficeDirectory(redis_client)).booking(token)
    assert booking.state == CANCELLED and booking.email == "" and booking.name == ""


@pytest.mark.parametrize("token", [
    "buergerbuero.0123456789abcdef.wrongsecret", "not-a-token", "buergerbuero.0123456789abcdef", "x" * 200,
])
async def test_a_tampered_or_unknown_link_says_it_is_not_valid(booking_server: tuple[ServerProcess, SmtpTestServer], token: str) -> None:
    server, _ = booking_server
    async with httpx.AsyncClient(base_url=server.url) as http:
        for action in ("confirm", "cancel", "move", "enter"):
            page = await http.get(f"/b/{action}/{token}?lang=en")
            assert page.status_code == 404 and "This link is not valid" in page.text, action
            assert page.headers["referrer-policy"] == "no-referrer"
        posted = await http.post(f"/b/confirm/{token}")
        check_in = await http.post("/api/bookings/check-in", json={"token": token})
    assert posted.status_code == 404
    # A token longer than any the server makes is not even read.
    expected = (400, "bad_request") if len(token) > 120 else (404, "not_found")
    assert (check_in.status_code, check_in.json()["error"]) == expected


async def test_a_tampered_confirm_link_for_a_real_booking_confirms_nothing(
        booking_server: tuple[ServerProcess, SmtpTestServer], redis_client: redis.asyncio.Redis) -> None:
    server, smtp = booking_server
    async with httpx.AsyncClient(base_url=server.url) as http:
        assert (await book(http, next_start())).status_code == 201
        [opt_in] = await mails(smtp, 1)
        token = link(opt_in, "confirm").split("/")[-1]
        office_id, booking_id, secret = token.split(".")
        forged = f"{office_id}.{booking_id}.{secret[::-1]}"
        assert (await http.post(f"/b/confirm/{forged}")).status_code == 404
    assert (await Appointments(redis_client, OfficeDirectory(redis_client)).booking(token)).state == HELD
    await asyncio.sleep(0.3)
    assert len(smtp.received) == 1


async def test_the_enter_link_too_early_names_the_time_and_the_calendar(
        booking_server: tuple[ServerProcess, SmtpTestServer]) -> None:
    server, smtp = booking_server
    start = next_start(timedelta(hours=3))
    async with httpx.AsyncClient(base_url=server.url) as http:
        token, _ = await confirmed(http, smtp, start)
        page = await http.get(f"/b/enter/{token}")
        calendar = await http.get(f"/b/calendar/{token}.ics")
        early = await http.post("/api/bookings/check-in", json={"token": token})
    opens = (start - timedelta(minutes=10)).strftime("%H:%M")
    assert page.status_code == 200 and f"Bitte kommen Sie ab {opens} Uhr wieder" in page.text
    assert f'href="/b/calendar/{token}.ics?lang=de"' in page.text
    assert calendar.status_code == 200 and calendar.headers["content-type"].startswith("text/calendar")
    [event] = icalendar.Calendar.from_ical(calendar.content).walk("VEVENT")
    assert event.decoded("DTSTART") == start
    assert early.status_code == 409 and early.json()["error"] == "too_early"
    assert datetime.fromisoformat(early.json()["at"]) == start - timedelta(minutes=10)


async def test_inside_the_window_the_enter_link_checks_in_with_priority_and_the_ticket_shows_the_time(
        booking_server: tuple[ServerProcess, SmtpTestServer], redis_client: redis.asyncio.Redis) -> None:
    server, smtp = booking_server
    start = next_start(timedelta(minutes=1))  # within the ten minutes of early check-in
    async with httpx.AsyncClient(base_url=server.url) as http:
        token, _ = await confirmed(http, smtp, start)
        page = await http.get(f"/b/enter/{token}")
        checked = await http.post("/api/bookings/check-in", json={"token": token})
    assert page.status_code == 200 and 'id="enter"' in page.text and "Jetzt in den Warteraum" in page.text
    assert checked.status_code == 201, checked.text
    data = checked.json()
    assert data["priority"] == 1 and data["storage_key"] == "virtual-office.ticket.buergerbuero"
    assert data["room_url"] == "/w/buergerbuero"
    assert datetime.fromisoformat(data["ticket"]["appointment_at"]) == start
    assert data["ticket"]["state"] == "waiting" and data["ticket"]["number"].startswith("B-")
    page = Client()
    await page.connect(server, CITIZEN, auth={"token": data["token"], "lang": "de"})
    await page.close()
    assert (await Appointments(redis_client, OfficeDirectory(redis_client)).booking(token)).state == CHECKED_IN


@pytest.mark.parametrize(("late", "status", "words"), [
    ("refuse", 410, "kann verspätete Termine nicht mehr annehmen"),
    ("walk_in", 200, "Sie warten deshalb wie alle ohne Termin"),
])
async def test_too_late_follows_the_office_rule(booking_server: tuple[ServerProcess, SmtpTestServer],
                                                redis_client: redis.asyncio.Redis, late: str, status: int, words: str) -> None:
    server, _ = booking_server
    offices = OfficeDirectory(redis_client)
    await offices.save(office(late=late))
    # Booked and confirmed an hour ago (by this engine's clock) for half an hour ago.
    earlier = Appointments(redis_client, offices, clock=lambda: time.time() - 3600)
    start = next_start(timedelta(minutes=-35))
    held = await earlier.hold("buergerbuero", ["ausweis"], start, email="spaet@example.org")
    assert held.token
    await earlier.confirm(held.token)
    async with httpx.AsyncClient(base_url=server.url) as http:
        page = await http.get(f"/b/enter/{held.token}")
        checked = await http.post("/api/bookings/check-in", json={"token": held.token})
    assert page.status_code == status and words in page.text
    if late == "refuse":
        assert checked.status_code == 400 and checked.json()["error"] == "too_late"
    else:
        assert checked.status_code == 201 and checked.json()["priority"] == 0


async def test_a_server_without_mail_takes_no_bookings(redis_server: RedisServer, redis_client: redis.asyncio.Redis,
                                                       tmp_path: Path) -> None:
    await seed(redis_server.url)
    await OfficeDirectory(redis_client).save(office())
    server = ServerProcess(tmp_path, {"VO_REDIS_URL": redis_server.url, "VO_BOT_CHECK_COST": "1"})
    server.start()
    try:
        async with httpx.AsyncClient(base_url=server.url) as http:
            page = await http.get("/b/buergerbuero")
            refused = await book(http, next_start())
    finally:
        server.stop()
    assert "keine E-Mails verschicken" in page.text and "booking-form" not in page.text
    assert refused.status_code == 503 and refused.json()["error"] == "mail_unavailable"
    assert not [k for k in await appointment_keys(redis_client) if re.search(r":appt:[0-9a-f]{16}$", k)]
