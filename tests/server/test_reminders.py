"""Reminders: the sweeper mails each confirmed booking at the office's reminder times, once."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import redis.asyncio

from tests.conftest import ALWAYS, Clock, RedisServer
from tests.mail.conftest import SmtpTestServer, smtp_server  # noqa: F401 - the SMTP server fixture
from tests.queue.test_appointments import OFFICE, at, book, office_config
from tests.server.conftest import ServerProcess
from virtual_office.mail import Mailer
from virtual_office.queue import Office, OfficeDirectory
from virtual_office.queue.appointments import Appointments
from virtual_office.server.appointment_mail import send_reminders

FROM = "Stadt Musterstadt <termine@musterstadt.example>"
BASE = "https://termine.example"


async def test_reminders_are_queued_at_their_times_once_and_again_after_a_move(
        redis_client: redis.asyncio.Redis, smtp_server: SmtpTestServer, clock: Clock) -> None:
    offices = OfficeDirectory(redis_client, max_age=0)
    office = Office.from_config(office_config())
    await offices.save(office)
    clock.now = at("2027-03-01", "07:00").timestamp()
    appointments = Appointments(redis_client, offices, clock=clock)
    mailer = Mailer.open(redis_client, smtp_url=smtp_server.url, mail_from=FROM)
    token = await book(appointments, at("2027-03-03", "09:00"), language="en")

    async def remind_at(day: str, hhmm: str) -> int:
        clock.now = at(day, hhmm).timestamp()
        return await send_reminders(appointments, mailer, office, BASE)

    assert await remind_at("2027-03-02", "08:59") == 0
    assert await remind_at("2027-03-02", "09:00") == 1  # a day before
    assert await remind_at("2027-03-02", "09:01") == 0
    assert await remind_at("2027-03-03", "08:00") == 1  # an hour before
    await appointments.move(token, at("2027-03-03", "11:00"))
    assert await remind_at("2027-03-03", "10:00") == 1  # the new time's hour before
    assert (await mailer.outbox.status()).queued == 3
    delivery = mailer.delivery()
    assert delivery is not None
    assert await delivery.deliver_due() == 3
    subjects = [str(r.message["Subject"]) for r in smtp_server.received]
    assert subjects == ["Reminder: your appointment with Bürgerbüro on Wednesday, 3 March 2027, 09:00"] * 2 + [
        "Reminder: your appointment with Bürgerbüro on Wednesday, 3 March 2027, 11:00"]
    text = smtp_server.received[0].message.get_body(("plain",)).get_content()
    assert f"{BASE}/b/enter/{token}?lang=en" in text and f"{BASE}/b/cancel/{token}?lang=en" in text
    assert all(r.rcpt_tos == ["erika@example.org"] for r in smtp_server.received)


async def test_a_reminder_sent_but_not_marked_is_queued_once(
        redis_client: redis.asyncio.Redis, smtp_server: SmtpTestServer, clock: Clock) -> None:
    """A sweeper that stopped between queuing a reminder and marking it: the next one queues it again, the
    outbox sends it once."""
    offices = OfficeDirectory(redis_client, max_age=0)
    office = Office.from_config(office_config())
    await offices.save(office)
    clock.now = at("2027-03-01", "07:00").timestamp()
    appointments = Appointments(redis_client, offices, clock=clock)
    mailer = Mailer.open(redis_client, smtp_url=smtp_server.url, mail_from=FROM)
    await book(appointments, at("2027-03-03", "09:00"))
    clock.now = at("2027-03-02", "09:30").timestamp()
    reminded = appointments.reminded

    async def stopped(office_id: str, due: object) -> None:
        raise asyncio.CancelledError  # the process went away right after queuing

    appointments.reminded = stopped  # type: ignore[method-assign]
    try:
        await send_reminders(appointments, mailer, office, BASE)
    except asyncio.CancelledError:
        pass
    appointments.reminded = reminded  # type: ignore[method-assign]
    assert await send_reminders(appointments, mailer, office, BASE) == 1
    assert await send_reminders(appointments, mailer, office, BASE) == 0
    delivery = mailer.delivery()
    assert delivery is not None
    assert await delivery.deliver_due() == 1
    assert len(smtp_server.received) == 1


async def test_a_running_server_mails_a_reminder_that_is_due(
        redis_server: RedisServer, redis_client: redis.asyncio.Redis, smtp_server: SmtpTestServer, tmp_path: Path) -> None:
    offices = OfficeDirectory(redis_client)
    await offices.save(Office.from_config({
        "id": OFFICE, "name": "Bürgerbüro", "hours": ALWAYS,
        "appointments": {"mode": "also", "hours": ALWAYS, "lead_minutes": 0, "reminders": [60],
                         "services": [{"id": "ausweis", "name": "Personalausweis", "minutes": 15}]},
    }))
    # Booked and confirmed ten minutes ago (by this engine's clock) for a time under an hour from now:
    # the reminder an hour before was ahead then and is due now.
    earlier = Appointments(redis_client, offices, clock=lambda: time.time() - 600)
    start = datetime.fromtimestamp((int(time.time()) // 300 + 12) * 300, UTC)  # 55 to 60 minutes ahead
    held = await earlier.hold(OFFICE, ["ausweis"], start, email="erika@example.org", name="Erika")
    assert held.token
    await earlier.confirm(held.token)
    server = ServerProcess(tmp_path, {"VO_REDIS_URL": redis_server.url, "VO_SMTP_URL": smtp_server.url,
                                      "VO_MAIL_FROM": FROM})
    server.start()
    try:
        async with asyncio.timeout(30):
            while not smtp_server.received:
                await asyncio.sleep(0.1)
        await asyncio.sleep(2)  # later sweeps send nothing more
        assert len(smtp_server.received) == 1
        mail = smtp_server.received[0].message
        assert str(mail["Subject"]).startswith("Erinnerung: Ihr Termin bei Bürgerbüro")
        assert f"/b/enter/{held.token}?lang=de" in mail.get_body(("plain",)).get_content()
        assert held.token not in server.log() and "erika@example.org" not in server.log()
        assert start - datetime.now(UTC) < timedelta(hours=1)
    finally:
        server.stop()
