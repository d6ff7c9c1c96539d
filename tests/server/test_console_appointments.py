"""Today's appointments in the clerk's console: on the page, on connecting, and pushed when a booking changes."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio

from tests.conftest import ALWAYS, RedisServer
from tests.mail.conftest import SmtpTestServer, smtp_server  # noqa: F401 - the SMTP server fixture
from tests.server.conftest import Client, ServerProcess, login, seed
from tests.server.staff_pages import Staff, staff_fixture  # noqa: F401 - the staff fixture
from virtual_office.queue import Office, OfficeDirectory
from virtual_office.queue.appointments import Appointments
from virtual_office.server.protocol import CLERK

SETTINGS = {"mode": "also", "hours": ALWAYS, "lead_minutes": 0, "capacity": 3, "early_check_in_minutes": 30,
            "services": [{"id": "ausweis", "name": "Personalausweis", "minutes": 15}]}


def soon(minutes: int) -> datetime:
    """A start on the five-minute grid about ``minutes`` from now (the appointment hours are always)."""
    return datetime.fromtimestamp((int(time.time()) // 300 + minutes // 5 + 1) * 300, UTC)


def test_the_console_page_lists_todays_appointments(staff: Staff) -> None:
    office = Office.from_config({"id": "buergerbuero", "name": "Bürgerbüro", "hours": ALWAYS, "appointments": SETTINGS})
    staff.run(staff.state.services.offices.save, office)
    appointments = staff.state.services.appointments
    start = soon(10)
    for email, name, minutes in (("erika@example.org", "Erika Mustermann", 0), ("max@example.org", "", 20)):
        held = staff.run(appointments.hold, "buergerbuero", ["ausweis"], start + timedelta(minutes=minutes), email=email, name=name)
        staff.run(appointments.confirm, held.token)
    staff.login("anna")
    page = staff.client.get("/console").text
    panel = page.split('data-appointments="buergerbuero"')[1].split("</section>")[0]
    if start.astimezone(office.appointment_hours.zone).date() == datetime.now(office.appointment_hours.zone).date():
        assert panel.count("<tr data-booking=") == 2
        local = start.astimezone(office.appointment_hours.zone).strftime("%H:%M")
        assert f"{local}–" in panel and "Erika Mustermann" in panel and "Personalausweis" in panel and "noch nicht" in panel
    assert "@example.org" not in page
    assert 'data-appointments="kfz"' not in page  # takes no appointments (and anna does not staff it)


async def test_the_console_gets_the_list_on_connecting_and_each_change(
        redis_server: RedisServer, redis_client: redis.asyncio.Redis, smtp_server: SmtpTestServer, tmp_path: Path,
        clients: Any) -> None:
    await seed(redis_server.url)
    offices = OfficeDirectory(redis_client)
    office = Office.from_config({"id": "buergerbuero", "name": "Bürgerbüro", "hours": ALWAYS, "appointments": SETTINGS})
    await offices.save(office)
    start = soon(10)
    if start.astimezone(office.appointment_hours.zone).date() != datetime.now(office.appointment_hours.zone).date():
        pytest.skip("the next times are tomorrow's")
    appointments = Appointments(redis_client, offices)  # another process's engine
    tokens = []
    for minutes, email, name in ((0, "erika@example.org", "Erika"), (20, "max@example.org", "")):
        held = await appointments.hold("buergerbuero", ["ausweis"], start + timedelta(minutes=minutes), email=email, name=name)
        assert held.token
        await appointments.confirm(held.token)
        tokens.append(held.token)
    server = ServerProcess(tmp_path, {"VO_REDIS_URL": redis_server.url, "VO_SMTP_URL": smtp_server.url,
                                      "VO_MAIL_FROM": "Stadt <termine@musterstadt.example>"})
    server.start()
    try:
        clerk: Client = clients()
        await clerk.connect(server, CLERK, headers={"Cookie": await login(server, "anna")})
        hello = await clerk.wait_for("appointments")
        assert hello["office_id"] == "buergerbuero"
        assert [(a["reference"], a["name"], a["checked_in"]) for a in hello["appointments"]] == [
            ("BT-0001", "Erika", False), ("BT-0002", "", False)]
        assert "email" not in hello["appointments"][0]
        karl: Client = clients()
        await karl.connect(server, CLERK, headers={"Cookie": await login(server, "karl")})

        # The administration cancels the first: every console of the office gets the new list.
        cookie = await login(server, "root")
        day, booking_id = hello["day"], tokens[0].split(".")[1]
        path = f"/admin/appointments/buergerbuero/{day}/{booking_id}/cancel"
        # A browser's cookie jar: the form's page puts its CSRF token in the session cookie.
        async with httpx.AsyncClient(base_url=server.url, cookies=dict([cookie.split("=", 1)]),
                                     headers={"Origin": server.url}) as http:
            form = (await http.get(path)).text
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)
            assert csrf, form
            answer = await http.post(path, data={"reason": "Krankheit", "csrf_token": csrf.group(1)})
            assert answer.status_code == 303, answer.text
        pushed = await clerk.wait_for("appointments", lambda d: len(d["appointments"]) == 1)
        assert [a["reference"] for a in pushed["appointments"]] == ["BT-0002"]
        assert karl.of("appointments") == []  # not an office karl staffs
    finally:
        server.stop()
