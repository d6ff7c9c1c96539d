"""A tenant's mail goes out from its own sender; everyone else's from the deployment's."""

from __future__ import annotations

from pathlib import Path

import redis.asyncio

from virtual_office.mail import Mailer, Message
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
