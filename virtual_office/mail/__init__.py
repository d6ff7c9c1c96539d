"""E-mail: an outbox in Redis that loses nothing, delivery with retries, texts and calendar files.

Like ``queue`` and ``media`` it knows nothing of HTTP or socket.io. A feature composes a
message (:func:`compose`, :mod:`.calendar`) and queues it with :meth:`Mailer.send`; the one
:class:`Delivery` loop of the deployment sends it through SMTP (or, in the demo, writes it
to a directory) and tries again with backoff until the server accepts it or three days pass.
"""

from virtual_office.mail.calendar import Appointment, attachment, ics
from virtual_office.mail.delivery import Delivery
from virtual_office.mail.directory import MailDirectory, StoredMail
from virtual_office.mail.errors import DeliveryFailed, InvalidMessage, MailError, MailNotConfigured
from virtual_office.mail.mailer import Mailer
from virtual_office.mail.message import Attachment, Message, valid_address
from virtual_office.mail.outbox import Backoff, Outbox, OutboxStatus, Record
from virtual_office.mail.smtp import SmtpServer, SmtpTransport, parse_smtp_url
from virtual_office.mail.templates import KINDS, Rendered, compose, render

__all__ = [
    "KINDS",
    "Appointment",
    "Attachment",
    "Backoff",
    "Delivery",
    "DeliveryFailed",
    "InvalidMessage",
    "MailDirectory",
    "MailError",
    "MailNotConfigured",
    "Mailer",
    "Message",
    "Outbox",
    "OutboxStatus",
    "Record",
    "Rendered",
    "SmtpServer",
    "SmtpTransport",
    "StoredMail",
    "attachment",
    "compose",
    "ics",
    "parse_smtp_url",
    "render",
    "valid_address",
]
