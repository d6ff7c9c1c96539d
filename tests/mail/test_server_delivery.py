"""The server runs the delivery loop: a message queued by any process is sent by the running server."""

from __future__ import annotations

import asyncio
from pathlib import Path

import redis.asyncio

from tests.conftest import RedisServer
from tests.mail.conftest import SmtpTestServer
from tests.mail.test_delivery import FROM, plain
from tests.server.conftest import ServerProcess
from virtual_office.mail import Mailer


async def test_a_running_server_delivers_what_is_queued(
        redis_server: RedisServer, redis_client: redis.asyncio.Redis, smtp_server: SmtpTestServer, tmp_path: Path) -> None:
    server = ServerProcess(tmp_path, {"VO_REDIS_URL": redis_server.url, "VO_SMTP_URL": smtp_server.url, "VO_MAIL_FROM": FROM})
    server.start()
    try:
        queuing = Mailer.open(redis_client, smtp_url=smtp_server.url, mail_from=FROM)  # another process's view: it only queues
        for n in range(3):
            await queuing.send(plain(n), key=f"server:{n}")
        async with asyncio.timeout(30):
            while len(smtp_server.received) < 3:
                await asyncio.sleep(0.1)
        assert smtp_server.by_subject() == {f"Nachricht {n}": 1 for n in range(3)}
        assert (await queuing.outbox.status()).sent == 3
    finally:
        server.stop()
