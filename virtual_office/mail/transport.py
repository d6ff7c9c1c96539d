"""Where messages go: a transport opens a connection, the connection sends one message at a time.

``smtp.SmtpTransport`` talks to a mail server; ``directory.MailDirectory`` writes ``.eml``
files (the demo's, which needs no mail server). A transport raises only
:class:`~virtual_office.mail.errors.DeliveryFailed`.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from email.message import EmailMessage
from typing import Protocol


class Connection(Protocol):
    async def send(self, mail: EmailMessage) -> None:
        """Hand over one message; returns once the server accepted it, DeliveryFailed otherwise."""


class Transport(Protocol):
    def connect(self) -> AbstractAsyncContextManager[Connection]:
        """One connection for a delivery round (DeliveryFailed when it cannot be made)."""
