"""Errors of the mail component, with a base class; SMTP and file errors are translated here."""

from __future__ import annotations


class MailError(Exception):
    """Base class of everything the mail component refuses or fails at."""


class MailNotConfigured(MailError):
    """No way to send mail: ``serve`` without ``VO_SMTP_URL`` (the demo writes files instead)."""

    def __init__(self, message: str = "") -> None:
        super().__init__(
            message or "e-mail is not configured: set VO_SMTP_URL (smtp://user:password@host:port) and VO_MAIL_FROM"
        )


class InvalidMessage(MailError):
    """A message that cannot be queued (no recipient, no subject, a malformed address)."""


class DeliveryFailed(MailError):
    """One attempt to hand a message (or a whole connection) to the mail server failed.

    ``permanent`` when the server refused this message for good (a 5xx to its recipients or
    its content): trying again would only be refused again. The text names no address.
    """

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
