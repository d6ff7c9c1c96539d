"""Sending through a mail server with aiosmtplib: ``smtp://`` (STARTTLS when offered) or ``smtps://``."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

import aiosmtplib

from virtual_office.mail.errors import DeliveryFailed, MailError

TIMEOUT = 60.0
"""Seconds for each step with the server (connect, each command, the message)."""


@dataclass(frozen=True)
class SmtpServer:
    """A mail server from ``VO_SMTP_URL``."""

    host: str
    port: int
    implicit_tls: bool
    """``smtps://``: TLS from the first byte (port 465); ``smtp://`` upgrades with STARTTLS when the server offers it."""
    username: str | None = None
    password: str | None = None

    def __repr__(self) -> str:  # the password stays out of any log or traceback
        return f"SmtpServer({'smtps' if self.implicit_tls else 'smtp'}://{self.host}:{self.port})"


def parse_smtp_url(url: str) -> SmtpServer:
    """``smtp://user:password@host:port`` (port 587 by default) or ``smtps://…`` (465); MailError if malformed.

    User and password are percent-decoded (a ``@`` in a password is written ``%40``).
    """
    parts = urlsplit(url.strip())
    if parts.scheme not in ("smtp", "smtps"):
        raise MailError("VO_SMTP_URL: use smtp://user:password@host:port or smtps://…")
    try:
        port = parts.port
    except ValueError as exc:
        raise MailError("VO_SMTP_URL: the port is not a number") from exc
    if not parts.hostname:
        raise MailError("VO_SMTP_URL: no host")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise MailError("VO_SMTP_URL: nothing may follow host:port")
    implicit = parts.scheme == "smtps"
    return SmtpServer(
        host=parts.hostname,
        port=port or (465 if implicit else 587),
        implicit_tls=implicit,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


class SmtpTransport:
    """One SMTP connection per delivery round; each message is accepted (or not) on its own."""

    def __init__(self, server: SmtpServer, *, tls_context: ssl.SSLContext | None = None, timeout: float = TIMEOUT) -> None:
        self.server = server
        self._tls_context = tls_context
        """Certificates to trust instead of the system's (a test's own authority)."""
        self._timeout = timeout

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[_SmtpConnection]:
        s = self.server
        client = aiosmtplib.SMTP(
            hostname=s.host,
            port=s.port,
            username=s.username,
            password=s.password,
            use_tls=s.implicit_tls,
            start_tls=False if s.implicit_tls else None,  # None: upgrade when the server offers STARTTLS
            tls_context=self._tls_context,
            timeout=self._timeout,
        )
        try:
            await client.connect()
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise DeliveryFailed(describe(exc)) from exc
        try:
            yield _SmtpConnection(client)
        finally:
            try:
                await client.quit()
            except (aiosmtplib.SMTPException, OSError, TimeoutError):
                client.close()


class _SmtpConnection:
    def __init__(self, client: aiosmtplib.SMTP) -> None:
        self._client = client

    async def send(self, mail: EmailMessage) -> None:
        try:
            await self._client.send_message(mail)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            raise DeliveryFailed(describe(exc), permanent=all(500 <= c < 600 for c in codes)) from exc
        except aiosmtplib.SMTPRecipientRefused as exc:
            raise DeliveryFailed(describe(exc), permanent=500 <= exc.code < 600) from exc
        except aiosmtplib.SMTPDataError as exc:
            raise DeliveryFailed(describe(exc), permanent=500 <= exc.code < 600) from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise DeliveryFailed(describe(exc)) from exc


def describe(exc: BaseException) -> str:
    """The error's kind, SMTP code and the server's words (the outbox removes any address)."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return "recipients refused: " + "; ".join(f"{r.code} {r.message}" for r in exc.recipients)
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return f"{type(exc).__name__}: {exc.code} {exc.message}"
    return f"{type(exc).__name__}: {exc}"
