"""The staff's side of appointments in Chromium and Firefox: the administrator sets them up in the
office form (and a save keeps them), the console shows today's appointments, and cancelling a
day e-mails everyone (a real SMTP server, aiosmtpd). axe reports nothing on each page."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import re
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import redis.asyncio
from playwright.sync_api import expect

from tests.browser import harness
from tests.browser.sites import StaticSite
from tests.browser.staff_fixtures import ADMIN_LOGIN, ADMIN_PASSWORD, _add_admin, axe_violations, log_in
from tests.mail.conftest import SmtpTestServer
from virtual_office.queue import Office, OfficeDirectory, keys
from virtual_office.queue.appointments import Appointments

BERLIN = ZoneInfo("Europe/Berlin")
APPOINTMENTS = {"mode": "also", "hours": harness.ALL_DAY, "lead_minutes": 0, "capacity": 3, "early_check_in_minutes": 30,
                "services": [{"id": "ausweis", "name": "Personalausweis", "name_en": "ID card", "minutes": 15}]}
OFFICE_CACHE_SECONDS = 5.5
"""The server reads offices through a cache of five seconds."""


class Env:
    def __init__(self, server: harness.OfficeServer, smtp: SmtpTestServer, redis_url: str) -> None:
        self.server = server
        self.smtp = smtp
        self.redis_url = redis_url

    @property
    def origin(self) -> str:
        return self.server.origin

    def run(self, work: Callable[[Appointments, OfficeDirectory, redis.asyncio.Redis], Awaitable[Any]]) -> Any:
        """``work`` with an engine on the server's Redis, in a thread of its own (Playwright's loop runs in this one)."""
        async def go() -> Any:
            client = redis.asyncio.Redis.from_url(self.redis_url, decode_responses=True)
            try:
                offices = OfficeDirectory(client, max_age=0)
                return await work(Appointments(client, offices), offices, client)
            finally:
                await client.aclose()

        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, go()).result(30)

    def take_appointments(self, office_id: str = "buergerbuero") -> None:
        async def save(_: Appointments, offices: OfficeDirectory, __: redis.asyncio.Redis) -> None:
            office = await offices.get(office_id)
            await offices.save(Office.from_config({**office.to_config(), "appointments": APPOINTMENTS}))
        self.run(save)
        time.sleep(OFFICE_CACHE_SECONDS)

    def book(self, start: datetime, email: str, name: str = "", office_id: str = "buergerbuero") -> str:
        async def hold(appointments: Appointments, _: OfficeDirectory, __: redis.asyncio.Redis) -> str:
            held = await appointments.hold(office_id, ["ausweis"], start, email=email, name=name)
            assert held.token
            await appointments.confirm(held.token)
            return held.token
        return str(self.run(hold))

    def mails(self, count: int, timeout: float = 30) -> list[Any]:
        deadline = time.monotonic() + timeout
        while len(self.smtp.received) < count:
            assert time.monotonic() < deadline, f"{len(self.smtp.received)} mails, not {count}"
            time.sleep(0.1)
        return self.smtp.received


@pytest.fixture(scope="module")
def env() -> Iterator[Env]:
    redis_server = harness.RedisServer()
    smtp = SmtpTestServer()
    smtp.start()
    port = harness.free_port()
    site = StaticSite(f"http://127.0.0.1:{port}")
    server = None
    try:
        harness.seed(redis_server.url)
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, _add_admin(redis_server.url)).result(30)
        server = harness.OfficeServer(redis_server.url, [site.origin], port=port, extra_env={
            "VO_SMTP_URL": smtp.url, "VO_MAIL_FROM": "Stadt Musterstadt <termine@musterstadt.example>",
            "VO_STATUS_INTERVAL": "0.05"})
        yield Env(server, smtp, redis_server.url)
    finally:
        if server is not None:
            server.close()
        site.close()
        smtp.stop()
        redis_server.close()


def soon(minutes: int) -> datetime:
    return datetime.fromtimestamp((int(time.time()) // 300 + minutes // 5 + 1) * 300, UTC)


def in_days(days: int, hhmm: str) -> datetime:
    day = datetime.now(BERLIN).date() + timedelta(days=days)
    return datetime.combine(day, datetime.strptime(hhmm, "%H:%M").time(), BERLIN)


@pytest.mark.engines("chromium", "firefox")
def test_the_admin_sets_up_appointments_and_a_save_keeps_them(env: Env, page, engine: str, axe_source) -> None:
    office = "kfz" if engine == "chromium" else "buergerbuero"
    log_in(page, env.origin, ADMIN_LOGIN, ADMIN_PASSWORD)
    page.goto(f"{env.origin}/admin/offices/{office}")
    form = page.locator("fieldset.appointments")
    form.get_by_label("Ja, und ohne Termin").check()
    form.get_by_label("Leistung 1: Name", exact=True).fill("Personalausweis")
    form.get_by_label("Leistung 1: englischer Name").fill("ID card")
    form.get_by_label("Leistung 1: Minuten").fill("15")
    form.get_by_role("button", name="Weitere Zeilen").click()  # posts the form back, with more rows
    expect(page.locator("li.service-row")).to_have_count(5)  # the one filled in, four empty
    expect(page.get_by_label("Leistung 1: Name", exact=True)).to_have_value("Personalausweis")
    page.get_by_label("Leistung 2: Name", exact=True).fill("Ummeldung")
    page.get_by_label("Leistung 2: Minuten").fill("10")
    page.get_by_label("Eigene Terminzeiten (unten)").check()
    page.locator("#appt-hours-tue-0-start").fill("08:00")
    page.locator("#appt-hours-tue-0-end").fill("12:00")
    page.get_by_label("Erinnerungen (Minuten vor dem Termin)").fill("1440, 60")
    page.get_by_label("wird abgewiesen").check()
    assert axe_violations(page, axe_source) == []
    page.get_by_role("button", name="Speichern").click()
    expect(page.get_by_role("status")).to_contain_text("gespeichert")

    def stored() -> dict[str, Any]:
        async def read(_: Appointments, __: OfficeDirectory, client: redis.asyncio.Redis) -> Any:
            return json.loads(await client.get(keys.office(office)) or "{}")["appointments"]
        return dict(env.run(read))

    first = stored()
    assert first["mode"] == "also" and first["late"] == "refuse" and first["reminders"] == [1440, 60]
    assert first["services"] == [{"id": "personalausweis", "name": "Personalausweis", "name_en": "ID card", "minutes": 15},
                                 {"id": "ummeldung", "name": "Ummeldung", "name_en": "", "minutes": 10}]
    assert first["hours"] == {"tue": [["08:00", "12:00"]]}
    # The form again, as stored; another field changed and saved: the appointments stay as they were.
    page.goto(f"{env.origin}/admin/offices/{office}")
    expect(page.get_by_label("Ja, und ohne Termin")).to_be_checked()
    expect(page.get_by_label("Leistung 2: Name", exact=True)).to_have_value("Ummeldung")
    assert axe_violations(page, axe_source) == []
    page.locator("#description").fill("Mit Termin oder ohne")
    page.get_by_role("button", name="Speichern").click()
    expect(page.get_by_role("status")).to_contain_text("gespeichert")
    assert stored() == first


@pytest.mark.engines("chromium", "firefox")
def test_the_console_shows_todays_appointments(env: Env, page, engine: str, axe_source) -> None:
    env.take_appointments()
    start = soon(10)
    if start.astimezone(BERLIN).date() != datetime.now(BERLIN).date():
        pytest.skip("the next times are tomorrow's")
    came = env.book(start, f"erika-{engine}@example.org", name=f"Erika {engine}")
    later = env.book(start + timedelta(minutes=20), f"max-{engine}@example.org")

    async def check_in(appointments: Appointments, _: OfficeDirectory, __: redis.asyncio.Redis) -> tuple[str, str]:
        checked = await appointments.check_in(came)
        return checked.joined.token, checked.joined.ticket.number
    ticket_token, number = env.run(check_in)
    log_in(page, env.origin, harness.CLERK_LOGIN, harness.CLERK_PASSWORD, "/console")
    panel = page.locator("section.appointments[data-appointments='buergerbuero']")
    arrived = panel.locator("tr", has_text=f"Erika {engine}")
    expect(arrived).to_contain_text(f"ja, als {number}")
    expect(panel.locator("tbody tr")).not_to_have_count(1)  # the later one too (and the other engine's)
    local = start.astimezone(BERLIN).strftime("%H:%M")
    expect(arrived.locator("th")).to_have_text(re.compile(f"^{local}–"))
    expect(page.locator("#connection")).to_have_attribute("data-state", "connected")

    # The citizen's page connects: the ticket takes its place in the queue, marked with its time.
    import socketio
    citizen = socketio.Client(reconnection=False)
    citizen.connect(env.origin, namespaces=["/citizen"], transports=["polling"], auth={"token": ticket_token, "lang": "de"},
                    wait_timeout=10)
    try:
        row = page.locator("section.office[data-office='buergerbuero'] table.queue tr", has_text=number)
        expect(row.locator(".appointment-badge")).to_have_text(f"Termin {local}")
        assert axe_violations(page, axe_source) == []

        # The administration cancels the other appointment: the console's list follows at once.
        before = panel.locator("tbody tr").count()
        cancel_by_admin(env, later)
        expect(panel.locator("tbody tr")).to_have_count(before - 1)
        expect(row.locator(".appointment-badge")).to_have_text(f"Termin {local}")
    finally:
        citizen.eio.disconnect(abort=True)


def cancel_by_admin(env: Env, token: str) -> None:
    """The administration's cancel form, posted as a browser does (session cookie, CSRF token)."""
    booking_id = token.split(".")[1]

    async def booking_day(appointments: Appointments, _: OfficeDirectory, __: redis.asyncio.Redis) -> str:
        return (await appointments.booking(token)).day
    path = f"/admin/appointments/buergerbuero/{env.run(booking_day)}/{booking_id}/cancel"
    with httpx.Client(base_url=env.origin, headers={"Origin": env.origin}) as http:
        login = http.post("/api/login", json={"login": ADMIN_LOGIN, "password": ADMIN_PASSWORD})
        assert login.status_code == 200, login.text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', http.get(path).text)
        assert csrf
        answer = http.post(path, data={"reason": "Krankheit", "csrf_token": csrf.group(1)})
        assert answer.status_code == 303, answer.text


@pytest.mark.engines("chromium", "firefox")
def test_the_admin_cancels_a_day_and_the_mails_arrive(env: Env, page, engine: str, axe_source) -> None:
    env.take_appointments()
    days = 3 if engine == "chromium" else 4  # a day of each engine's own
    already = len(env.smtp.received)
    addresses = [f"erika-{engine}@example.org", f"max-{engine}@example.org"]
    env.book(in_days(days, "09:00"), addresses[0], name="Erika")
    env.book(in_days(days, "10:30"), addresses[1])
    day = in_days(days, "09:00").date()
    log_in(page, env.origin, ADMIN_LOGIN, ADMIN_PASSWORD)
    page.get_by_role("link", name="Termine", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Termine")
    assert axe_violations(page, axe_source) == []
    page.locator(f"tr[data-day='{day.isoformat()}']").get_by_role("link").click()
    expect(page.locator("tr[data-booking]")).to_have_count(2)
    assert "@example.org" not in page.content()
    assert axe_violations(page, axe_source) == []
    page.get_by_role("button", name=re.compile(r"Termine dieses Tages absagen \(2\)")).click()
    # The reason is required: the browser asks for it before anything is sent.
    expect(page.locator("tr[data-booking]")).to_have_count(2)
    page.get_by_label(re.compile("^Grund")).fill("Krankheit")
    page.get_by_role("button", name=re.compile(r"Termine dieses Tages absagen")).click()
    expect(page.get_by_role("status")).to_have_text(re.compile("Abgesagte Termine: 2."))
    expect(page.locator("tr[data-booking]")).to_have_count(0)
    assert axe_violations(page, axe_source) == []
    mails = env.mails(already + 2)[already:]
    assert sorted(m.rcpt_tos[0] for m in mails) == sorted(addresses)
    for m in mails:
        assert str(m.message["Subject"]) == "Ihr Termin bei Bürgerbüro muss leider ausfallen"
        assert f"{env.origin}/b/buergerbuero?lang=de" in m.message.get_body(("plain",)).get_content()
