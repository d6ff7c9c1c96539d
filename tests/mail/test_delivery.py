"""The outbox against a real SMTP server: delivered exactly once, with both parts and the calendar file;
once per key; nothing lost while the server is away; STARTTLS and smtps; given up after the retry period."""

from __future__ import annotations

import asyncio
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import redis.asyncio

from tests.conftest import Clock
from tests.mail.conftest import USER, Certificate, SmtpTestServer
from virtual_office.mail import (
    Appointment,
    Backoff,
    Delivery,
    Mailer,
    MailError,
    Message,
    attachment,
    compose,
    keys,
)
from virtual_office.mail.outbox import Outbox

FROM = "Stadt Musterstadt <termine@musterstadt.example>"
CITIZEN = "erika.mustermann@example.org"
BERLIN = ZoneInfo("Europe/Berlin")
SMTPS_WARNING = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
"""aiosmtpd's server for smtps cannot tell that its connections are encrypted, so it says AUTH is unprotected."""
FAST = Backoff(first_seconds=30, cap_seconds=3600, give_up_seconds=3 * 86400, lease_seconds=600)


def mailer(redis_client: redis.asyncio.Redis, url: str, clock: Clock, certificate: Certificate | None = None) -> Mailer:
    m = Mailer.open(redis_client, smtp_url=url, mail_from=FROM, backoff=FAST,
                    tls_context=certificate.client_context() if certificate else None)
    m.outbox = Outbox(redis_client, backoff=FAST, clock=clock)
    return m


def delivery(m: Mailer) -> Delivery:
    d = m.delivery()
    assert d is not None
    return d


def confirmation(to: str = CITIZEN, office: str = "Bürgerbüro") -> Message:
    start = datetime(2027, 3, 29, 10, 15, tzinfo=BERLIN)
    event = Appointment(uid="b-1@office.example", start=start, end=datetime(2027, 3, 29, 10, 30, tzinfo=BERLIN),
                        summary=f"Video-Termin {office}", description="Personalausweis", url="https://office.example/a/tok",
                        organizer=FROM, attendee=to)
    return compose("confirmation", "de", to, office=office, start=start, enter_url="https://office.example/a/tok",
                   cancel_url="https://office.example/a/tok/cancel", move_url="https://office.example/a/tok/move",
                   attachments=[attachment(event)])


def plain(n: int, to: str = CITIZEN) -> Message:
    return Message(to=(to,), subject=f"Nachricht {n}", text=f"Text {n}", html=f"<p>Text {n}</p>", kind="test")


async def everything_in_redis(client: redis.asyncio.Redis) -> str:
    """Every key and value the outbox left, as one text (to look for an address in)."""
    dump = []
    async for key in client.scan_iter("*"):
        kind = await client.type(key)
        value = (await client.hgetall(key)) if kind == "hash" else (await client.get(key)) if kind == "string" else \
            (await client.zrange(key, 0, -1)) if kind == "zset" else (await client.smembers(key)) if kind == "set" else ""
        dump.append(f"{key} {value}")
    return "\n".join(dump)


async def test_a_message_is_delivered_once_with_text_html_and_the_calendar_file(
        redis_client: redis.asyncio.Redis, smtp_server: SmtpTestServer, clock: Clock) -> None:
    m = mailer(redis_client, smtp_server.url, clock)
    message_id = await m.send(confirmation(), key="booking:b-1:confirmation")
    assert await delivery(m).deliver_due() == 1
    assert await delivery(m).deliver_due() == 0

    [received] = smtp_server.received
    assert received.rcpt_tos == [CITIZEN]
    assert received.mail_from == "termine@musterstadt.example"
    mail = received.message
    assert mail["Subject"] == "Ihr Termin bei Bürgerbüro am Montag, 29. März 2027, 10:15 Uhr"
    assert mail["Message-ID"] == f"<{message_id}@musterstadt.example>"
    assert mail["Auto-Submitted"] == "auto-generated"
    text = mail.get_body(("plain",))
    html = mail.get_body(("html",))
    assert text is not None and html is not None
    assert "https://office.example/a/tok" in text.get_content()
    assert 'href="https://office.example/a/tok"' in html.get_content()
    [ics] = list(mail.iter_attachments())
    assert ics.get_content_type() == "text/calendar"
    assert ics.get_param("method") == "REQUEST"
    assert ics.get_filename() == "termin.ics"
    assert b"BEGIN:VEVENT" in ics.get_content().encode() if isinstance(ics.get_content(), str) else ics.get_content()

    record = await m.outbox.record(message_id)
    assert record is not None and record.state == "sent" and record.kind == "confirmation" and record.sent is not None
    # sent: content and recipient gone at once, only id, kind and times stay
    left = await everything_in_redis(redis_client)
    assert CITIZEN not in left and "Personalausweis" not in left
    assert await redis_client.hget(keys.message(message_id), "message") is None
    assert 0 < await redis_client.ttl(keys.message(message_id)) <= FAST.keep_seconds


async def test_the_same_key_queued_twice_is_one_mail(redis_client: redis.asyncio.Redis, smtp_server: SmtpTestServer, clock: Clock) -> None:
    m = mailer(redis_client, smtp_server.url, clock)
    first = await m.send(confirmation(), key="booking:b-1:confirmation")
    second = await m.send(confirmation(), key="booking:b-1:confirmation")
    assert first == second
    await delivery(m).deliver_due()
    # after sending, too: the key is remembered with the record
    assert await m.send(confirmation(), key="booking:b-1:confirmation") == first
    await delivery(m).deliver_due()
    assert len(smtp_server.received) == 1
    status = await m.outbox.status()
    assert (status.queued, status.retrying, status.sent) == (0, 0, 1)


async def test_a_server_that_is_away_loses_nothing_and_sends_each_mail_once(
        redis_client: redis.asyncio.Redis, smtp_server: SmtpTestServer, clock: Clock) -> None:
    m = mailer(redis_client, smtp_server.url, clock)
    for n in range(5):
        await m.send(plain(n), key=f"before:{n}")
    await delivery(m).deliver_due()
    assert len(smtp_server.received) == 5

    smtp_server.stop()
    for n in range(5, 15):
        await m.send(plain(n), key=f"during:{n}")
    d = delivery(m)
    assert await d.deliver_due() == 0
    status = await m.outbox.status()
    assert status.retrying >= 1 and status.queued + status.retrying == 10
    assert status.oldest_error and "Connect" in status.oldest_error and CITIZEN not in status.oldest_error
    # backoff: nothing is tried before it is due, then 30 s, 1 min, 2 min …
    assert await d.deliver_due() == 0
    for wait in (30, 60, 120):
        clock.advance(wait - 1)
        assert await m.outbox.claim() == []
        clock.advance(1)
        assert await d.deliver_due() == 0
    assert (await m.outbox.status()).oldest_attempts == 4

    smtp_server.start()
    for n in range(15, 20):
        await m.send(plain(n), key=f"after:{n}")
    clock.advance(240)
    assert await d.deliver_due() == 15
    clock.advance(3600)
    assert await d.deliver_due() == 0
    assert smtp_server.by_subject() == {f"Nachricht {n}": 1 for n in range(20)}
    status = await m.outbox.status()
    assert (status.queued, status.retrying, status.failed, status.sent, status.oldest_id) == (0, 0, 0, 20, None)


async def test_starttls_with_login(redis_client: redis.asyncio.Redis, certificate: Certificate, clock: Clock) -> None:
    server = SmtpTestServer(mode="starttls", certificate=certificate)
    server.start()
    try:
        m = mailer(redis_client, server.url, clock, certificate)
        await m.send(plain(1), key="tls:1")
        assert await delivery(m).deliver_due() == 1
        [received] = server.received
        assert received.tls and received.login == USER
    finally:
        server.stop()


@SMTPS_WARNING
async def test_smtps_with_login(redis_client: redis.asyncio.Redis, certificate: Certificate, clock: Clock) -> None:
    server = SmtpTestServer(mode="smtps", certificate=certificate)
    server.start()
    try:
        m = mailer(redis_client, server.url, clock, certificate)
        await m.send(plain(1), key="tls:1")
        assert await delivery(m).deliver_due() == 1
        [received] = server.received
        assert received.login == USER
    finally:
        server.stop()


@SMTPS_WARNING
async def test_a_certificate_not_trusted_is_not_sent_to(redis_client: redis.asyncio.Redis, certificate: Certificate, clock: Clock) -> None:
    server = SmtpTestServer(mode="smtps", certificate=certificate)
    server.start()
    try:
        m = mailer(redis_client, server.url, clock)  # the system's authorities: not the test's own
        await m.send(plain(1), key="tls:1")
        assert await delivery(m).deliver_due() == 0
        assert server.received == []
        assert (await m.outbox.status()).retrying == 1
    finally:
        server.stop()


async def test_given_up_after_the_retry_period_with_its_content_deleted(redis_client: redis.asyncio.Redis, clock: Clock) -> None:
    m = mailer(redis_client, "smtp://127.0.0.1:9", clock)  # nothing listens on the discard port
    message_id = await m.send(plain(1), key="doomed:1")
    d = delivery(m)
    hours = 0.0
    while (await m.outbox.record(message_id)).state != "failed":  # type: ignore[union-attr]
        await d.deliver_due()
        clock.advance(3600)
        hours += 1
        assert hours < 80
    assert 72 <= hours <= 74  # three days of hourly tries at most, then given up
    record = await m.outbox.record(message_id)
    assert record is not None and record.failed is not None and record.last_error
    assert CITIZEN not in await everything_in_redis(redis_client)
    status = await m.outbox.status()
    assert (status.queued, status.retrying, status.failed) == (0, 0, 1)


async def test_a_recipient_the_server_refuses_for_good_fails_at_once(
        redis_client: redis.asyncio.Redis, smtp_server: SmtpTestServer, clock: Clock) -> None:
    m = mailer(redis_client, smtp_server.url, clock)
    refused = await m.send(plain(1, to="refused@example.org"), key="refused:1")
    fine = await m.send(plain(2), key="fine:2")
    await delivery(m).deliver_due()
    assert [r.rcpt_tos for r in smtp_server.received] == [[CITIZEN]]
    assert (await m.outbox.record(fine)).state == "sent"  # type: ignore[union-attr]
    record = await m.outbox.record(refused)
    assert record is not None and record.state == "failed" and record.last_error is not None
    assert "550" in record.last_error and "refused@" not in record.last_error


async def test_a_process_that_dies_after_claiming_leaves_the_message_to_another_after_the_lease(
        redis_client: redis.asyncio.Redis, smtp_server: SmtpTestServer, clock: Clock) -> None:
    m = mailer(redis_client, smtp_server.url, clock)
    await m.send(plain(1), key="lease:1")
    [claimed] = await m.outbox.claim()  # the process that claimed it dies here
    assert await delivery(m).deliver_due() == 0  # leased: nobody else sends it meanwhile
    clock.advance(FAST.lease_seconds + 1)
    assert await delivery(m).deliver_due() == 1
    assert not await m.outbox.mark_sent(claimed)  # the first lease is worth nothing now
    assert len(smtp_server.received) == 1


async def test_a_sent_mark_lost_to_redis_is_made_before_anything_new_and_sends_nothing_twice(
        redis_client: redis.asyncio.Redis, smtp_server: SmtpTestServer, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    m = mailer(redis_client, smtp_server.url, clock)
    await m.send(plain(1), key="mark:1")
    d = delivery(m)
    real = m.outbox.mark_sent
    calls = 0

    async def away_once(claimed):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        if calls == 1:  # Redis gone for a moment between the server's reply and the mark
            raise MailError("the outbox is unavailable (ConnectionError)")
        return await real(claimed)

    monkeypatch.setattr(m.outbox, "mark_sent", away_once)
    assert await d.deliver_due() == 1
    clock.advance(FAST.lease_seconds + 1)  # even after the lease ran out
    await d.deliver_due()
    assert len(smtp_server.received) == 1
    assert (await m.outbox.status()).sent == 1


async def test_two_delivery_loops_send_every_message_once(
        redis_client: redis.asyncio.Redis, smtp_server: SmtpTestServer) -> None:
    first = Mailer.open(redis_client, smtp_url=smtp_server.url, mail_from=FROM)
    second = Mailer.open(redis_client, smtp_url=smtp_server.url, mail_from=FROM)
    loops = [Delivery(m.outbox, m.transport, FROM, redis=redis_client, interval=0.02, batch=3)  # type: ignore[arg-type]
             for m in (first, second)]
    tasks = [asyncio.create_task(loop.run()) for loop in loops]
    try:
        for n in range(40):
            await (first if n % 2 else second).send(plain(n), key=f"loop:{n}")
        async with asyncio.timeout(30):
            while len(smtp_server.received) < 40 or (await first.outbox.status()).queued:
                await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    assert smtp_server.by_subject() == {f"Nachricht {n}": 1 for n in range(40)}
