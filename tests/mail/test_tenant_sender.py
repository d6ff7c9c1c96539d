"""A tenant's mail goes out from its own sender; everyone else's from the deployment's."""

from __future__ import annotations

from pathlib import Path

import redis.asyncio

from virtual_office.mail import Mailer, Message
from virtual_office.mail.outbox import Outbox
from virtual_office.queue import DEFAULT, Tenant, TenantDirectory


async def test_the_tenant_sender_is_used_where_the_tenant_has_one(redis_client: redis.asyncio.Redis, tmp_path: Path) -> None:
    await TenantDirectory(redis_client).save(Tenant("passau", "Stadt Passau", "09262000", mail_from="Stadt Passau <termine@passau.de>"))
    mailer = Mailer.open(redis_client, smtp_url=None, mail_from="Bürgerbüro <noreply@example.org>", directory=tmp_path)
    message = Message(to=("buerger@example.org",), subject="Ihr Termin", text="Hallo")
    await mailer.send(message, key="a", tenant="passau")
    await mailer.send(message, key="b", tenant=DEFAULT)
    await mailer.send(message, key="c")
    claimed = {c.message.mail_from for c in await mailer.outbox.claim()}
    assert claimed == {"Stadt Passau <termine@passau.de>", ""}
    tenant_mail = Message.from_json({**message.to_json(), "mail_from": "Stadt Passau <termine@passau.de>"})
    assert tenant_mail.email("Bürgerbüro <noreply@example.org>", message_id="x", date=0)["From"] == "Stadt Passau <termine@passau.de>"
    assert message.email("Bürgerbüro <noreply@example.org>", message_id="x", date=0)["From"] == "Bürgerbüro <noreply@example.org>"
    assert "mail_from" not in message.to_json()  # mail queued by a single city reads as before


async def test_the_outbox_counts_each_tenants_mail_through_every_state(redis_client: redis.asyncio.Redis) -> None:
    outbox = Outbox(redis_client)
    message = Message(to=("buerger@example.org",), subject="Ihr Termin", text="Hallo")
    for n in range(4):
        await outbox.enqueue(message, key=f"passau:{n}", tenant="passau")
    await outbox.enqueue(message, key="default:0")
    claimed = {c.id: c for c in await outbox.claim(limit=10)}
    passau = [c for i, c in claimed.items() if (await redis_client.hget(f"vo:{{mail}}:message:{i}", "tenant")) in ("passau", b"passau")]
    assert len(passau) == 4
    assert await outbox.mark_sent(passau[0])
    assert await outbox.mark_failed_attempt(passau[1], "451 try later") == "retrying"
    assert await outbox.mark_failed_attempt(passau[2], "550 no such user", permanent=True) == "failed"
    mine = await outbox.status("passau")
    assert (mine.queued, mine.retrying, mine.failed, mine.sent) == (1, 1, 1, 1)
    theirs = await outbox.status("default")
    assert (theirs.queued, theirs.retrying, theirs.failed, theirs.sent) == (1, 0, 0, 0)
    whole = await outbox.status()
    assert (whole.queued, whole.retrying, whole.failed, whole.sent) == (2, 1, 1, 1)
    assert (await outbox.status("straubing")).oldest_id is None
