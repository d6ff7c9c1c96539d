"""The deployment's mail: the outbox, where messages go, and the sender's address, chosen once at start."""

from __future__ import annotations

import ssl
from dataclasses import dataclass, replace
from pathlib import Path

from redis.asyncio import Redis

from virtual_office.mail.delivery import Delivery
from virtual_office.mail.directory import MailDirectory
from virtual_office.mail.errors import MailNotConfigured
from virtual_office.mail.message import Message
from virtual_office.mail.outbox import Backoff, Outbox
from virtual_office.mail.smtp import SmtpTransport, parse_smtp_url
from virtual_office.mail.transport import Transport
from virtual_office.queue.tenants import DEFAULT, TenantDirectory

DEMO_FROM = "Virtuelles Bürgerbüro Demo <demo@localhost>"


@dataclass
class Mailer:
    """What features use to send mail: :meth:`send` queues, the :class:`Delivery` loop sends."""

    outbox: Outbox
    transport: Transport | None
    """None: ``serve`` without ``VO_SMTP_URL``; nothing may be queued."""
    mail_from: str
    redis: Redis

    @classmethod
    def open(cls, redis: Redis, *, smtp_url: str | None, mail_from: str, directory: Path | None = None,
             backoff: Backoff | None = None, tls_context: ssl.SSLContext | None = None) -> Mailer:
        """SMTP when ``smtp_url`` is set; else ``.eml`` files in ``directory`` (the demo); else not configured."""
        transport: Transport | None = None
        if smtp_url:
            transport = SmtpTransport(parse_smtp_url(smtp_url), tls_context=tls_context)
        elif directory is not None:
            transport = MailDirectory(directory)
            mail_from = mail_from or DEMO_FROM
        return cls(outbox=Outbox(redis, backoff=backoff), transport=transport, mail_from=mail_from, redis=redis)

    @property
    def configured(self) -> bool:
        return self.transport is not None

    @property
    def directory(self) -> MailDirectory | None:
        """The demo's mailbox, when mail is written to files."""
        return self.transport if isinstance(self.transport, MailDirectory) else None

    def require(self) -> None:
        """MailNotConfigured unless messages can be sent (a feature that must mail checks this before it is enabled)."""
        if self.transport is None:
            raise MailNotConfigured()

    async def send(self, message: Message, *, key: str, tenant: str | None = None) -> str:
        """Queue ``message`` once per ``key`` (see :meth:`Outbox.enqueue`); MailNotConfigured without a transport.

        The mail of a ``tenant`` with a sender of its own goes out from that sender; else from the deployment's.
        """
        self.require()
        if tenant is not None:
            own = (await TenantDirectory(self.redis).get(tenant)).mail_from
            message = replace(message, mail_from=own) if own else message
        return await self.outbox.enqueue(message, key=key, tenant=tenant if tenant is not None else DEFAULT)

    def delivery(self) -> Delivery | None:
        """The loop that sends the outbox, or None when there is nowhere to send to."""
        if self.transport is None:
            return None
        return Delivery(self.outbox, self.transport, self.mail_from, redis=self.redis)
